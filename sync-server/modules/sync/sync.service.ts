import { Value } from '@sinclair/typebox/value';
import { Type } from '@sinclair/typebox';
import type { Db } from '../../platform/database/database.js';
import type { Clock } from '../../platform/clock/clock.js';
import { AppError, notFound, validationFailed } from '../../../src-shared/errors/app-error.js';
import { ErrorCode } from '../../../src-shared/errors/error-codes.js';
import type { PushableCollectionName, SyncCollectionName } from '../../../src-shared/contracts/sync/collections.js';
import { IntentKind, IntentStatus, type IntentResult } from '../../../src-shared/contracts/sync/documents.js';
import type { SyncDocument, SyncPullResponse, SyncPushRow } from '../../../src-shared/contracts/sync/sync.contract.js';
import type { Principal } from '../access/principal.js';
import { ADMIN, OrganisationRole } from '../../../src-shared/domain/permissions/permissions.js';
import type { AccessService } from '../access/access.service.js';
import type { VersionsService } from '../versions/versions.service.js';
import type { ChangeRequestsService } from '../change-requests/change-requests.service.js';
import type { StoredDocument, SyncStore, Visibility } from './sync.store.js';
import type { SyncHub, SyncNotice } from './sync-hub.js';

/** What a live stream sends: a wake-up for collections, or "start over" after an access change. */
export type StreamEvent = { kind: 'checkpoint'; sequence: number; collections: string[] } | { kind: 'resync'; sequence: number };

/**
 * The server half of the replica (D6, issue 6): pull by change sequence, push of drafts (Yjs, D7) and
 * intents, and the live stream. Every document pulled is one the caller can view (organisation member;
 * VIEW_PROJECT / VIEW_ENVIRONMENT as the REST API decides through AccessService); a push is checked per
 * row by the service that does the work, and a refused row comes back as its master state.
 */
export interface SyncService {
  pull(p: Principal, collection: SyncCollectionName, checkpoint: number, limit: number): Promise<SyncPullResponse>;
  push(p: Principal, collection: PushableCollectionName, rows: SyncPushRow[]): Promise<SyncDocument[]>;
  /** Subscribes a stream: `send` gets the current checkpoint first, then wake-ups; returns the unsubscribe. */
  stream(p: Principal, send: (event: StreamEvent) => void): Promise<() => void>;
  stop(): Promise<void>;
}

const DraftPushSchema = Type.Object({
  id: Type.String({ minLength: 1, maxLength: 64 }),
  environmentId: Type.Integer({ minimum: 1 }),
  featureId: Type.Integer({ minimum: 1 }),
  state: Type.String(),
  description: Type.Optional(Type.Union([Type.Null(), Type.String()])),
  baseVersionUuid: Type.Optional(Type.Union([Type.Null(), Type.String()])),
  _deleted: Type.Boolean(),
});

const IntentPushSchema = Type.Object({
  id: Type.String({ minLength: 1, maxLength: 64 }),
  kind: Type.Union(Object.values(IntentKind).map((k) => Type.Literal(k))),
  environmentId: Type.Integer({ minimum: 1 }),
  featureId: Type.Optional(Type.Union([Type.Null(), Type.Integer({ minimum: 1 })])),
  versionUuid: Type.Optional(Type.Union([Type.Null(), Type.String()])),
  changeRequestId: Type.Optional(Type.Union([Type.Null(), Type.Integer({ minimum: 1 })])),
  liveFrom: Type.Optional(Type.Union([Type.Null(), Type.String()])),
  createdAt: Type.String(),
  _deleted: Type.Boolean(),
});

function checkRows(rows: SyncPushRow[], schema: typeof DraftPushSchema | typeof IntentPushSchema): void {
  rows.forEach((row, i) => {
    const error = Value.Errors(schema, row.newDocumentState).First();
    if (error) throw validationFailed(`body/${i}/newDocumentState${error.path}`, error.message);
  });
}

function fromBase64(text: string, path: string): Uint8Array {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text)) throw validationFailed(path, 'must be base64');
  return new Uint8Array(Buffer.from(text, 'base64'));
}

function refusal(e: unknown): { code: string; message: string } {
  if (e instanceof AppError) return { code: e.code, message: e.message };
  throw e;
}

export function createSyncService(deps: {
  db: Db;
  clock: Clock;
  store: SyncStore;
  access: AccessService;
  versions: VersionsService;
  /** Approve and commit intents run through it; without it they are refused as NOT_SUPPORTED. */
  changeRequests?: Pick<ChangeRequestsService, 'get' | 'approve' | 'commit'> | undefined;
  hub: SyncHub;
}): SyncService {
  const { db, clock, store, access, versions, changeRequests, hub } = deps;
  const k = db.kysely;

  async function visibility(p: Principal): Promise<Visibility> {
    const organisationIds = await access.organisationIds(p);
    const adminOrganisationIds: number[] = [];
    for (const id of organisationIds) if ((await access.organisationRole(p, id)) === OrganisationRole.ADMIN) adminOrganisationIds.push(id);
    const projects = await store.projectsOf(k, organisationIds);
    const projectIds: number[] = [];
    const adminProjectIds: number[] = [];
    for (const pr of projects) {
      if (!(await access.canViewProject(p, pr.id))) continue;
      projectIds.push(pr.id);
      if (adminOrganisationIds.includes(pr.organisationId) || (await isProjectAdmin(p, pr.id))) adminProjectIds.push(pr.id);
    }
    const environmentIds: number[] = [];
    for (const e of await store.environmentsOf(k, projectIds)) if (await access.canViewEnvironment(p, e.id)) environmentIds.push(e.id);
    return { userId: p.kind === 'user' ? p.userId : null, organisationIds, adminOrganisationIds, projectIds, adminProjectIds, environmentIds };
  }

  async function isProjectAdmin(p: Principal, projectId: number): Promise<boolean> {
    try {
      await access.assertProject(p, projectId, ADMIN);
      return true;
    } catch (e) {
      if (e instanceof AppError) return false;
      throw e;
    }
  }

  /** A draft or version the caller cannot view is answered as if it did not exist: the caller's own row, refused. */
  async function isHidden(p: Principal, doc: StoredDocument): Promise<boolean> {
    return !(await access.canViewEnvironment(p, Number(doc.environmentId)));
  }
  const notFoundRow = (mine: SyncDocument): SyncDocument => ({ ...mine, error: { code: ErrorCode.NOT_FOUND, message: 'Draft not found.' } });

  /** The master state of documents: current rows with their sequence; missing ones as tombstones. */
  async function masters(collection: SyncCollectionName, ids: string[]): Promise<Map<string, SyncDocument & StoredDocument>> {
    const docs = await store.documents(k, collection, ids);
    const seqs = await store.sequences(k, collection, ids);
    return new Map([...docs].map(([id, d]) => [id, { ...d, seq: seqs.get(id) ?? 0, _deleted: false }]));
  }

  async function pushDraft(p: Principal, row: SyncPushRow): Promise<SyncDocument | undefined> {
    const mine = row.newDocumentState as SyncDocument & { environmentId: number; featureId: number; state: string; description?: string | null; baseVersionUuid?: string | null };
    const master = (await masters('drafts', [mine.id])).get(mine.id);
    const assumedSeq = (row.assumedMasterState as { seq?: unknown } | null)?.seq;
    // Another tenant's draft, or one of an environment the caller cannot view: nothing of it is answered.
    if (master && (await isHidden(p, master))) return mine._deleted ? undefined : notFoundRow(mine);
    if (!master) {
      if (mine._deleted) return undefined;
      // Published (or scheduled) meanwhile: the draft is gone from this collection, immutable from now on.
      const published = (await masters('versions', [mine.id])).get(mine.id);
      if (published && (await isHidden(p, published))) return notFoundRow(mine);
      if (published) {
        return { ...mine, _deleted: true, error: { code: ErrorCode.PRECONDITION_FAILED, message: `Version ${mine.id} was published (${String(published.status)}); published versions are immutable.` } };
      }
      try {
        const update = fromBase64(mine.state, 'draft/state');
        await versions.createDraftFromUpdate(p, { uuid: mine.id, environmentId: mine.environmentId, featureId: mine.featureId, baseVersionUuid: mine.baseVersionUuid ?? null, description: mine.description ?? null, update });
      } catch (e) {
        return { ...mine, error: refusal(e) };
      }
      return undefined;
    }
    if (mine._deleted) {
      try {
        await versions.remove(p, Number(master.environmentId), Number(master.featureId), mine.id);
      } catch (e) {
        return { ...master, error: refusal(e) };
      }
      return undefined;
    }
    try {
      await versions.mergeDraftUpdate(p, mine.id, fromBase64(mine.state, 'draft/state'));
    } catch (e) {
      return { ...master, error: refusal(e) };
    }
    // The replica had not seen the server's latest state: answer the merged state (it holds both sides).
    if (assumedSeq !== master.seq) return (await masters('drafts', [mine.id])).get(mine.id);
    return undefined;
  }

  async function runIntent(p: Principal, intent: { kind: string; environmentId: number; featureId: number | null; versionUuid: string | null; liveFrom: string | null; changeRequestId: number | null }): Promise<{ status: string; result: IntentResult }> {
    const executedAt = clock.now().toISOString();
    const done = (message: string, versionUuid: string | null) => ({ status: IntentStatus.DONE, result: { code: 'OK', message, versionUuid, conflicts: null, executedAt } });
    try {
      if (intent.kind === IntentKind.APPROVE || intent.kind === IntentKind.COMMIT) {
        if (!changeRequests) return { status: IntentStatus.REFUSED, result: { code: 'NOT_SUPPORTED', message: `'${intent.kind}' intents need change requests, which this server does not have.`, versionUuid: null, conflicts: null, executedAt } };
        if (intent.changeRequestId === null) throw validationFailed('intent/changeRequestId', `an ${intent.kind} names the change request`);
        const cr = await changeRequests.get(p, intent.changeRequestId);
        if (cr.environment !== intent.environmentId) throw validationFailed('intent/changeRequestId', `change request ${cr.id} is not in environment ${intent.environmentId}`);
        if (intent.kind === IntentKind.APPROVE) {
          await changeRequests.approve(p, cr.id);
          return done('Approved.', null);
        }
        const committed = await changeRequests.commit(p, cr.id);
        return done(`Committed: ${committed.status}.`, committed.environment_feature_versions[0] ?? null);
      }
      if (intent.featureId === null || intent.versionUuid === null) throw validationFailed('intent/versionUuid', 'a publish or schedule names the feature and the draft version');
      if (intent.kind === IntentKind.SCHEDULE && !intent.liveFrom) throw validationFailed('intent/liveFrom', 'a schedule needs liveFrom');
      if (intent.liveFrom && Number.isNaN(Date.parse(intent.liveFrom))) throw validationFailed('intent/liveFrom', 'must be an ISO-8601 time');
      const v = await versions.publish(p, intent.environmentId, intent.featureId, intent.versionUuid, intent.kind === IntentKind.SCHEDULE ? intent.liveFrom : undefined);
      return done(v.status === 'scheduled' ? `Scheduled for ${v.live_from ?? ''}.` : 'Published.', v.uuid);
    } catch (e) {
      if (!(e instanceof AppError)) throw e;
      // Re-checked on arrival: a draft or change whose base moved under an overlapping change is a conflict.
      const isConflict = e.details?.reason === 'VERSION_CONFLICT' || e.details?.reason === 'CHANGE_REQUEST_NEEDS_REBASE';
      const conflicts = isConflict ? ((e.details?.conflicts as unknown[] | undefined) ?? []) : null;
      return { status: conflicts ? IntentStatus.CONFLICT : IntentStatus.REFUSED, result: { code: e.code, message: e.message, versionUuid: intent.versionUuid, conflicts, executedAt } };
    }
  }

  async function pushIntent(p: Principal, row: SyncPushRow): Promise<SyncDocument | undefined> {
    const mine = row.newDocumentState as SyncDocument & { kind: string; environmentId: number; featureId?: number | null; versionUuid?: string | null; changeRequestId?: number | null; liveFrom?: string | null; createdAt: string };
    const existingRow = await store.findIntent(k, mine.id);
    if (existingRow) {
      const isMine = p.kind === 'user' ? existingRow.userId === p.userId : existingRow.apiKeyId === p.apiKeyId;
      if (!isMine) return { ...mine, status: IntentStatus.REFUSED, result: { code: ErrorCode.PRECONDITION_FAILED, message: 'This intent id is taken.', versionUuid: null, conflicts: null, executedAt: clock.now().toISOString() } };
      // Intents are immutable once received: any later push of one answers its master (with its result).
      const master = (await masters('intents', [mine.id])).get(mine.id);
      if (master) return master;
    }
    if (mine._deleted) return undefined;
    const intent = { kind: mine.kind, environmentId: mine.environmentId, featureId: mine.featureId ?? null, versionUuid: mine.versionUuid ?? null, liveFrom: mine.liveFrom ?? null, changeRequestId: mine.changeRequestId ?? null };
    let scope;
    try {
      scope = await access.assertEnvironment(p, mine.environmentId);
    } catch (e) {
      // Nowhere to keep it (not a visible environment): answered, not stored.
      return { ...mine, status: IntentStatus.REFUSED, result: { ...refusal(e), versionUuid: null, conflicts: null, executedAt: clock.now().toISOString() } };
    }
    const now = clock.now().toISOString();
    await store.insertIntent(k, {
      id: mine.id, userId: p.kind === 'user' ? p.userId : null, apiKeyId: p.kind === 'api_key' ? p.apiKeyId : null, organisationId: scope.organisationId, projectId: scope.projectId,
      environmentId: scope.environmentId, kind: mine.kind, payloadJson: JSON.stringify(intent), status: IntentStatus.PENDING, resultJson: null, createdAt: mine.createdAt, receivedAt: now, updatedAt: now,
    });
    const outcome = await runIntent(p, intent);
    await store.updateIntent(k, mine.id, { status: outcome.status, resultJson: JSON.stringify(outcome.result), updatedAt: clock.now().toISOString() });
    // The replica sent it pending; the master now holds the result, so it is answered at once.
    return (await masters('intents', [mine.id])).get(mine.id) ?? { ...mine, ...outcome };
  }

  /** Fills change-request documents with the Admin API shape; one the caller cannot read is left out (a tombstone). */
  async function withChangeRequests(p: Principal, docs: Map<string, StoredDocument>): Promise<void> {
    for (const [id, d] of docs) {
      try {
        if (!changeRequests) throw notFound('Change request');
        d.changeRequest = await changeRequests.get(p, Number(d.pk));
      } catch (e) {
        if (!(e instanceof AppError)) throw e;
        docs.delete(id);
      }
    }
  }

  return {
    async pull(p, collection, checkpoint, limit) {
      const v = await visibility(p);
      // Read the counter first: every change up to it has committed (ADR 0006), so scanning up to it
      // and answering it as the checkpoint loses nothing that commits later.
      const upTo = await store.currentSequence(k);
      // A checkpoint ahead of the feed comes from another database (restored or replaced): start over.
      const from = checkpoint > upTo ? 0 : checkpoint;
      const changes = await store.changes(k, collection, from, upTo, limit, v);
      const docs = await store.documents(
        k,
        collection,
        changes.filter((c) => !c.deleted).map((c) => c.docId),
      );
      if (collection === 'change_requests') await withChangeRequests(p, docs);
      const documents: SyncDocument[] = changes.map((c) => {
        const d = c.deleted ? undefined : docs.get(c.docId);
        return d ? { ...d, seq: c.seq, _deleted: false } : { id: c.docId, seq: c.seq, _deleted: true };
      });
      const last = changes.at(-1);
      const sequence = changes.length === limit && last ? last.seq : upTo;
      return { documents, checkpoint: { sequence } };
    },

    async push(p, collection, rows) {
      checkRows(rows, collection === 'drafts' ? DraftPushSchema : IntentPushSchema);
      const answers: SyncDocument[] = [];
      for (const row of rows) {
        const answer = collection === 'drafts' ? await pushDraft(p, row) : await pushIntent(p, row);
        if (answer) answers.push(answer);
      }
      hub.nudge();
      return answers;
    },

    async stream(p, send) {
      let organisationIds = new Set(await access.organisationIds(p));
      const userId = p.kind === 'user' ? p.userId : null;
      send({ kind: 'checkpoint', sequence: await store.currentSequence(k), collections: [] });
      return hub.subscribe((notices: SyncNotice[]) => {
        const collections = new Set<string>();
        let sequence = 0;
        let resync = false;
        for (const n of notices) {
          if (n.collection === 'access') {
            if (n.userId === userId || (n.organisationId !== null && organisationIds.has(n.organisationId))) resync = true;
          } else if (n.collection === 'intents' ? n.userId === userId : n.organisationId !== null && organisationIds.has(n.organisationId)) {
            collections.add(n.collection);
          }
          sequence = Math.max(sequence, n.sequence);
        }
        if (resync) {
          void access.organisationIds(p).then((ids) => {
            organisationIds = new Set(ids);
            send({ kind: 'resync', sequence });
          });
        } else if (collections.size > 0) {
          send({ kind: 'checkpoint', sequence, collections: [...collections].sort() });
        }
      });
    },

    stop: () => hub.stop(),
  };
}
