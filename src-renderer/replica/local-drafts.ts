import * as Y from 'yjs';
import { map, type Observable } from 'rxjs';
import type { DraftDoc, EnvironmentDoc, FeatureDoc, VersionDoc } from '../../src-shared/contracts/sync/documents.js';
import { inferFeatureStateValue } from '../../src-shared/domain/flags/feature-state-value.rules.js';
import { createDraftDoc, loadDraftDoc, readDraftDoc } from '../../src-shared/domain/versioning/draft-doc.js';
import type { VersionContent } from '../../src-shared/domain/versioning/version-content.js';
import { base64ToBytes, bytesToBase64 } from './base64.js';
import { markDraftPending } from './pending-drafts.js';
import { newUuid } from './uuid.js';
import type { ReplicaDatabase } from './replica-db.js';

/*
 * Drafts made and edited on the replica (D7), offline or not: each edit is applied to the draft's Yjs
 * document and stored as its whole state, so the server (and any other replica) merges it without loss.
 * The drafts replication pushes the marked drafts; a new draft id is created on the server from its state.
 */

/** The newest draft of a feature in an environment, or null. Tombstones are never returned by queries. */
function newestOf(drafts: DraftDoc[]): DraftDoc | null {
  return [...drafts].sort((a, b) => b.updatedAt.localeCompare(a.updatedAt) || b.createdAt.localeCompare(a.createdAt))[0] ?? null;
}

function draftsQuery(db: ReplicaDatabase, environmentId: number, featureId: number) {
  return db.drafts.find({ selector: { environmentId, featureId } });
}

export async function findLocalDraft(db: ReplicaDatabase, environmentId: number, featureId: number): Promise<DraftDoc | null> {
  const docs = await draftsQuery(db, environmentId, featureId).exec();
  return newestOf(docs.map((d) => d.toMutableJSON()));
}

/** The feature's draft now and after every change (null while it has none). */
export function localDraft$(db: ReplicaDatabase, environmentId: number, featureId: number): Observable<DraftDoc | null> {
  return draftsQuery(db, environmentId, featureId).$.pipe(map((docs) => newestOf(docs.map((d) => d.toMutableJSON()))));
}

/** A draft is stale when a version other than the one it started from went live since. */
export function isDraftStale(draft: Pick<DraftDoc, 'baseVersionUuid'>, live: Pick<VersionDoc, 'id'> | null): boolean {
  return (draft.baseVersionUuid ?? null) !== (live?.id ?? null);
}

/** What a feature serves before any version: its default enabled and initial value, no overrides. */
export function defaultContentOf(feature: Pick<FeatureDoc, 'defaultEnabled' | 'initialValue'>): VersionContent {
  return { environmentDefault: { enabled: feature.defaultEnabled, value: inferFeatureStateValue(feature.initialValue), multivariateWeights: {} }, segmentOverrides: {} };
}

export function encodeDraftState(doc: Y.Doc): string {
  return bytesToBase64(Y.encodeStateAsUpdate(doc));
}

export function decodeDraftState(state: string): Y.Doc {
  return loadDraftDoc(base64ToBytes(state));
}

export interface NewLocalDraft {
  environment: Pick<EnvironmentDoc, 'pk' | 'organisationId' | 'projectId'>;
  featureId: number;
  userId: number | null;
  /** The live version the draft starts from (its base); null when the feature has none. */
  live: VersionDoc | null;
  /** What the draft holds at first; default: the live version's content (or `fallback`). */
  content?: VersionContent;
  /** The content when there is no live version (the feature's defaults). */
  fallback?: VersionContent;
}

/** Creates a draft on the replica (no server needed) and marks it for the next push. */
export async function createLocalDraft(db: ReplicaDatabase, options: NewLocalDraft): Promise<DraftDoc> {
  const content = options.content ?? options.live?.content ?? options.fallback;
  if (!content) throw new Error('A draft of a feature without a live version needs its default content');
  const doc = createDraftDoc(content);
  const now = new Date().toISOString();
  const draft: DraftDoc = {
    id: newUuid(),
    seq: 0,
    organisationId: options.environment.organisationId,
    projectId: options.environment.projectId,
    environmentId: options.environment.pk,
    featureId: options.featureId,
    description: null,
    baseVersionUuid: options.live?.id ?? null,
    state: encodeDraftState(doc),
    content: readDraftDoc(doc),
    createdByUserId: options.userId,
    createdAt: now,
    updatedAt: now,
    error: null,
  };
  await db.drafts.insert(draft);
  await markDraftPending(db, draft.id);
  return draft;
}

/**
 * Applies one edit (calls of src-shared/domain/versioning/draft-doc.ts on the Y.Doc) to a draft of the
 * replica and marks it for the next push. `mutate` may run more than once (on a concurrent local write
 * the edit is redone on the newer state), so it must only edit the doc it is given. A new edit clears a
 * refusal the server gave to the previous state: it is a new attempt.
 */
export async function editLocalDraft(db: ReplicaDatabase, id: string, mutate: (doc: Y.Doc) => void): Promise<DraftDoc> {
  const found = await db.drafts.findOne(id).exec();
  if (!found) throw new Error(`Draft ${id} is not in the replica`);
  const edited = await found.incrementalModify((data) => {
    const doc = decodeDraftState(data.state);
    mutate(doc);
    return { ...data, state: encodeDraftState(doc), content: readDraftDoc(doc), updatedAt: new Date().toISOString(), error: null };
  });
  await markDraftPending(db, id);
  return edited.toMutableJSON();
}

/** Deletes a draft on the replica; the push deletes it on the server. */
export async function discardLocalDraft(db: ReplicaDatabase, id: string): Promise<void> {
  const found = await db.drafts.findOne(id).exec();
  if (!found) return;
  await found.remove();
  await markDraftPending(db, id);
}

/**
 * A draft the server refused (published meanwhile from elsewhere, a segment it names deleted …) keeps
 * the edits made here. This copies them into a new draft from the same base, which is pushed and then
 * shows as stale or conflicting like any other, and discards the refused one.
 */
export async function keepAsNewDraft(db: ReplicaDatabase, refused: DraftDoc, userId: number | null): Promise<DraftDoc> {
  const content = readDraftDoc(decodeDraftState(refused.state));
  const doc = createDraftDoc(content);
  const now = new Date().toISOString();
  const draft: DraftDoc = {
    ...refused,
    id: newUuid(),
    seq: 0,
    state: encodeDraftState(doc),
    content: readDraftDoc(doc),
    createdByUserId: userId,
    createdAt: now,
    updatedAt: now,
    error: null,
  };
  await db.drafts.insert(draft);
  await markDraftPending(db, draft.id);
  await discardLocalDraft(db, refused.id);
  return draft;
}
