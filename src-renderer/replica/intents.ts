import { combineLatest, map, pairwise, startWith, type Observable, type Subscription } from 'rxjs';
import type { ChangeRequestDoc, DraftDoc, IntentDoc } from '../../src-shared/contracts/sync/documents.js';
import type { DesktopApi } from '../../src-shared/contracts/ipc/ipc-contract.js';
import { formatDateTime } from '../ui/format.js';
import { NoticeError } from '../ui/error-text.js';
import { requiresChangeRequests } from '../../src-shared/domain/change-requests/direct-change.rules.js';
import type { ReplicaDatabase } from './replica-db.js';
import { newUuid } from './uuid.js';

/*
 * Commands queued on the replica (D6): publish or schedule a draft, approve or commit a change request.
 * The intents replication pushes them as `pending`; the server runs each on arrival, re-checking
 * everything, and its answer (done, refused, conflict, with a result) comes back on the same document.
 * Intents stay in the collection; the user dismisses finished ones from view (a local list of ids).
 */
const DISMISSED = 'dismissed-intents';

type NewIntent = Pick<IntentDoc, 'kind' | 'organisationId' | 'projectId' | 'environmentId'> & Partial<Pick<IntentDoc, 'featureId' | 'versionUuid' | 'changeRequestId' | 'liveFrom'>>;

async function queue(db: ReplicaDatabase, intent: NewIntent): Promise<IntentDoc> {
  const doc: IntentDoc = {
    id: newUuid(),
    seq: 0,
    featureId: null,
    versionUuid: null,
    changeRequestId: null,
    liveFrom: null,
    ...intent,
    createdAt: new Date().toISOString(),
    status: 'pending',
    result: null,
  };
  await db.intents.insert(doc);
  return doc;
}

const draftScope = (draft: DraftDoc) => ({ organisationId: draft.organisationId, projectId: draft.projectId, environmentId: draft.environmentId, featureId: draft.featureId, versionUuid: draft.id });
const changeRequestScope = (cr: ChangeRequestDoc) => ({ organisationId: cr.organisationId, projectId: cr.projectId, environmentId: cr.environmentId, changeRequestId: cr.pk });

/**
 * A publish or schedule is never queued for an environment that requires change requests (issue 12 §2):
 * the server would refuse it on arrival, and a queued direct change must not wait for the moment someone
 * turns the requirement off. The change goes through a change request instead.
 */
async function assertDirectChangeAllowed(db: ReplicaDatabase, draft: DraftDoc): Promise<void> {
  const environment = await db.environments.findOne({ selector: { pk: draft.environmentId } }).exec();
  if (environment && requiresChangeRequests(environment.minimumChangeRequestApprovals)) {
    throw new NoticeError(`${environment.name} requires approvals: request a change instead of publishing directly.`);
  }
}

/** Publishes the draft now (when the server gets the intent). The server records the signed-in user. */
export async function queuePublish(db: ReplicaDatabase, draft: DraftDoc): Promise<IntentDoc> {
  await assertDirectChangeAllowed(db, draft);
  return queue(db, { kind: 'publish', ...draftScope(draft) });
}

/** Schedules the draft to go live at `liveFrom` (ISO-8601). */
export async function queueSchedule(db: ReplicaDatabase, draft: DraftDoc, liveFrom: string): Promise<IntentDoc> {
  await assertDirectChangeAllowed(db, draft);
  return queue(db, { kind: 'schedule', ...draftScope(draft), liveFrom });
}

export function queueApprove(db: ReplicaDatabase, changeRequest: ChangeRequestDoc): Promise<IntentDoc> {
  return queue(db, { kind: 'approve', ...changeRequestScope(changeRequest) });
}

export function queueCommit(db: ReplicaDatabase, changeRequest: ChangeRequestDoc): Promise<IntentDoc> {
  return queue(db, { kind: 'commit', ...changeRequestScope(changeRequest) });
}

const newestFirst = (docs: { toMutableJSON(): IntentDoc }[]) => docs.map((d) => d.toMutableJSON()).sort((a, b) => b.createdAt.localeCompare(a.createdAt));

/** Every intent, newest first, now and after every change. */
export function allIntents$(db: ReplicaDatabase): Observable<IntentDoc[]> {
  return db.intents.find().$.pipe(map(newestFirst));
}

/** The intents of one feature in one environment, newest first. */
export function intentsForFeature$(db: ReplicaDatabase, environmentId: number, featureId: number): Observable<IntentDoc[]> {
  return db.intents.find({ selector: { environmentId, featureId } }).$.pipe(map(newestFirst));
}

/** The intents of one change request, newest first. */
export function intentsForChangeRequest$(db: ReplicaDatabase, changeRequestId: number): Observable<IntentDoc[]> {
  return db.intents.find({ selector: { changeRequestId } }).$.pipe(map(newestFirst));
}

export async function dismissedIntentIds(db: ReplicaDatabase): Promise<string[]> {
  const doc = await db.getLocal<{ ids: string[] }>(DISMISSED);
  return doc?.get('ids') ?? [];
}

export function dismissedIntentIds$(db: ReplicaDatabase): Observable<string[]> {
  return db.getLocal$<{ ids: string[] }>(DISMISSED).pipe(map((doc) => (doc?.get('ids') as string[] | undefined) ?? []));
}

export function isIntentFinished(intent: Pick<IntentDoc, 'status'>): boolean {
  return intent.status !== 'pending';
}

/** Hides a finished intent from the outbox and the feature page (only on this replica). */
export async function dismissIntent(db: ReplicaDatabase, id: string): Promise<void> {
  const ids = await dismissedIntentIds(db);
  if (!ids.includes(id)) await db.upsertLocal(DISMISSED, { ids: [...ids, id] });
}

/** `intents$` without the dismissed ones. */
export function withoutDismissed(db: ReplicaDatabase, intents$: Observable<IntentDoc[]>): Observable<IntentDoc[]> {
  return combineLatest([intents$, dismissedIntentIds$(db)]).pipe(map(([intents, dismissed]) => intents.filter((i) => !dismissed.includes(i.id))));
}

const KIND_LABEL: Record<IntentDoc['kind'], string> = { publish: 'Publish', schedule: 'Schedule', approve: 'Approve', commit: 'Commit' };

export function intentKindLabel(intent: Pick<IntentDoc, 'kind'>): string {
  return KIND_LABEL[intent.kind];
}

/** The line the feature page and the outbox show for an intent (agreed labels, issue 6). */
export function intentStatusText(intent: IntentDoc): string {
  switch (intent.status) {
    case 'pending':
      return intent.kind === 'publish' || intent.kind === 'schedule' ? 'Queued: publishes when the server is reachable.' : 'Queued: runs when the server is reachable.';
    case 'done':
      if (intent.kind === 'schedule') return `Scheduled for ${intent.liveFrom ? formatDateTime(intent.liveFrom) : 'later'}.`;
      if (intent.kind === 'publish') return 'Published.';
      return intent.result?.message ?? 'Done.';
    case 'refused':
      return intent.result?.message ?? 'The server refused it.';
    case 'conflict':
      return 'This draft conflicts with a newer version';
  }
}

/**
 * Calls `notify` once for each publish or schedule seen pending on this replica that comes back as a
 * conflict (a native notification in the desktop app). One watcher per database, however many screens
 * ask for it; it ends when the database closes.
 */
const watching = new WeakSet<ReplicaDatabase>();
export function watchIntentConflicts(db: ReplicaDatabase, notify: (intent: IntentDoc) => void): Subscription | null {
  if (watching.has(db)) return null;
  watching.add(db);
  const seenPending = new Set<string>();
  return allIntents$(db)
    .pipe(startWith([] as IntentDoc[]), pairwise())
    .subscribe(([, now]) => {
      for (const intent of now) {
        if (intent.status === 'pending') seenPending.add(intent.id);
        else if (seenPending.delete(intent.id) && intent.status === 'conflict' && (intent.kind === 'publish' || intent.kind === 'schedule')) notify(intent);
      }
    });
}

/**
 * In the desktop app, a native notification for each queued publish or schedule that comes back as a
 * conflict (issue 6). Failures to notify are ignored: the outbox and the feature page show it anyway.
 */
export function notifyIntentConflicts(db: ReplicaDatabase, desktop: Pick<DesktopApi, 'notifications'>): void {
  watchIntentConflicts(db, (intent) => {
    void (async () => {
      const feature = intent.featureId === null ? null : await db.features.findOne({ selector: { pk: intent.featureId } }).exec();
      const environment = await db.environments.findOne({ selector: { pk: intent.environmentId } }).exec();
      const where = `${feature?.name ?? 'A feature'}${environment ? ` in ${environment.name}` : ''}`;
      await desktop.notifications.show({ title: 'A queued change conflicts', body: `${where}: the queued ${intent.kind} conflicts with a newer version. Open Flagdesk to resolve it.` });
    })().catch(() => undefined);
  });
}
