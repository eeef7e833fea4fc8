import { NoticeError } from '../../ui/error-text.js';
import { combineLatest, map, type Observable } from 'rxjs';
import type { DraftDoc, IntentDoc, VersionDoc } from '../../../src-shared/contracts/sync/documents.js';
import { setEnabled } from '../../../src-shared/domain/versioning/draft-doc.js';
import { diffVersionContent } from '../../../src-shared/domain/versioning/version-diff.js';
import type { VersionContent } from '../../../src-shared/domain/versioning/version-content.js';
import type { Environment, Feature } from '../../data/api-client.js';
import { queuePublish, withoutDismissed } from '../../replica/intents.js';
import { createLocalDraft, defaultContentOf, editLocalDraft, findLocalDraft } from '../../replica/local-drafts.js';
import type { Replica } from '../../replica/replica.js';
import type { ReplicaDatabase } from '../../replica/replica-db.js';
import { liveVersionOf } from '../../../src-shared/domain/versioning/live-version.js';

/*
 * The feature list's switch on a v2 environment with a ready replica (issue 6, offline): the toggle is
 * an edit of the feature's local draft (a Yjs document) plus a queued publish intent, so it works with
 * the server stopped and the server re-checks it on arrival, like a publish from the feature page.
 */

/**
 * What a toggle did: `queued` (draft edited, publish queued), or `has-draft` when the feature already
 * has a draft with other unpublished edits, which the toggle must not publish unseen.
 */
export type ReplicaToggleOutcome = 'queued' | 'has-draft';

type ToggleEnvironment = Pick<Environment, 'id' | 'project'>;
type ToggleFeature = Pick<Feature, 'id' | 'default_enabled' | 'initial_value'>;

/** True when a draft differs from what is live: it holds edits nobody published yet. */
export function hasUnpublishedEdits(draft: Pick<DraftDoc, 'content'>, liveContent: VersionContent): boolean {
  return diffVersionContent(liveContent, draft.content as VersionContent).length > 0;
}

/**
 * Sets the environment default's `enabled` in the feature's local draft (made from the live version when
 * there is none) and queues its publish. A draft that already holds other edits is left untouched.
 */
export async function toggleOnReplica(replica: Replica, environment: ToggleEnvironment, feature: ToggleFeature, enabled: boolean, fallbackOrganisationId?: number): Promise<ReplicaToggleOutcome> {
  const db = replica.db;
  const versions = (await db.versions.find({ selector: { environmentId: environment.id, featureId: feature.id } }).exec()).map((d) => d.toMutableJSON() as VersionDoc);
  const live = liveVersionOf(versions, Date.now());
  const fallback = defaultContentOf({ defaultEnabled: feature.default_enabled, initialValue: feature.initial_value });
  const liveContent = (live?.content as VersionContent | undefined) ?? fallback;

  let draft = await findLocalDraft(db, environment.id, feature.id);
  if (draft && hasUnpublishedEdits(draft, liveContent)) return 'has-draft';
  if (!draft) {
    const environmentDoc = await db.environments.findOne({ selector: { pk: environment.id } }).exec();
    const organisationId = environmentDoc?.organisationId ?? fallbackOrganisationId;
    if (organisationId === undefined) throw new NoticeError('This environment has not reached this device yet. Try again once it is in sync.');
    draft = await createLocalDraft(db, { environment: { pk: environment.id, organisationId, projectId: environment.project }, featureId: feature.id, userId: replica.userId, live, fallback });
  }
  const edited = await editLocalDraft(db, draft.id, (doc) => void setEnabled(doc, null, enabled));
  await queuePublish(db, edited);
  replica.reSync();
  return 'queued';
}

/** What a row shows about the feature's newest queued command: pending (and the state it asks for), or its refusal. */
export interface RowIntent {
  intent: IntentDoc;
  /** For a pending publish, the environment default's `enabled` it publishes (null when not known here). */
  pendingEnabled: boolean | null;
}

/**
 * For each feature of the environment, its newest intent unless that one is done (the new version then
 * shows in the row by itself) or the user dismissed it. Live: follows every intent and draft change.
 */
export function featureListIntents$(db: ReplicaDatabase, environmentId: number): Observable<Map<number, RowIntent>> {
  const intents = withoutDismissed(
    db,
    db.intents.find({ selector: { environmentId } }).$.pipe(map((docs) => docs.map((d) => d.toMutableJSON() as IntentDoc))),
  );
  const drafts = db.drafts.find({ selector: { environmentId } }).$.pipe(map((docs) => docs.map((d) => d.toMutableJSON() as DraftDoc)));
  return combineLatest([intents, drafts]).pipe(
    map(([all, allDrafts]) => {
      const newest = new Map<number, IntentDoc>();
      for (const intent of all) {
        if (intent.featureId === null) continue;
        const seen = newest.get(intent.featureId);
        if (!seen || intent.createdAt > seen.createdAt) newest.set(intent.featureId, intent);
      }
      const rows = new Map<number, RowIntent>();
      for (const [featureId, intent] of newest) {
        if (intent.status === 'done') continue;
        const draft = intent.versionUuid === null ? undefined : allDrafts.find((d) => d.id === intent.versionUuid);
        const pendingEnabled = intent.status === 'pending' && intent.kind === 'publish' && draft ? (draft.content as VersionContent).environmentDefault.enabled : null;
        rows.set(featureId, { intent, pendingEnabled });
      }
      return rows;
    }),
  );
}
