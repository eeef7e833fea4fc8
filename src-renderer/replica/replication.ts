import type { RxCollection, RxReplicationPullStreamItem, WithDeleted } from 'rxdb';
import { replicateRxCollection, type RxReplicationState } from 'rxdb/plugins/replication';
import { ReplaySubject, filter, switchMap, type Observable, type Subscription } from 'rxjs';
import { SYNC_COLLECTION_NAMES, isPushable, type SyncCollectionName } from '../../src-shared/contracts/sync/collections.js';
import { ApiError } from '../data/api-client.js';
import { describeError } from '../ui/error-text.js';
import type { Replica } from './replica.js';
import type { ReplicaDatabase } from './replica-db.js';
import { clearPendingDrafts, pendingDraftIds, pendingDraftIds$ } from './pending-drafts.js';
import { createSyncStatusStore, type SyncStatus, type SyncStatusStore } from './sync-status.js';
import { watchSyncCounts } from './sync-status-counts.js';
import { openSyncStream, type SyncStream } from './sync-stream.js';

/*
 * The replica's replication (D6): one RxDB replication per collection against the sync endpoints of the
 * server that served the dashboard. Pull by change-sequence checkpoint in large batches; push only for
 * drafts and intents; the SSE stream wakes the collections the server names. Every request reports to
 * the sync status: answered → online, no answer or 5xx → offline, 401 → the session ended.
 * Several tabs share one database (replica-db.ts): only the leader tab replicates and opens the stream;
 * the others read the shared storage and take its connection state from a local document it writes.
 */

type Checkpoint = { sequence: number };
type AnyReplication = RxReplicationState<unknown, Checkpoint>;

/** Documents per pull request: the server's maximum, so 20,000 versions take 20 requests. */
const PULL_BATCH = 1000;
/** Rows per push request (the server takes at most 200): small, so a batch of large drafts stays under the body limit. */
const PUSH_BATCH = 20;
/** Wait between retries of a failed pull or push while the server is away. */
const RETRY_MS = 3000;
/** The longest wait between sync attempts while the server stays away (issue 12 §4: back off, not every 3 s). */
const MAX_BACKOFF_MS = 15_000;

/**
 * The extra wait before the next sync request after `failures` network failures in a row, on top of the
 * replication's own `retryMs`: the delay doubles per failure up to MAX_BACKOFF_MS (0 before the second try).
 */
export function backoffDelayMs(failures: number, retryMs: number): number {
  if (failures <= 1) return 0;
  return Math.max(0, Math.min(retryMs * 2 ** (failures - 1), Math.max(MAX_BACKOFF_MS, retryMs)) - retryMs);
}
/** How long an intents push waits for the drafts push before trying again later. */
const DRAFTS_FIRST_MS = 30_000;

export interface StartReplicaOptions {
  db: ReplicaDatabase;
  /** Origin of the sync server; '' for the origin that served the page. */
  baseUrl: string;
  fetch: typeof fetch;
  getToken(): string | null;
  userId: number;
  status?: SyncStatusStore;
  /** The server answered 401: the token is no longer valid. */
  onUnauthenticated?: () => void;
  /** Pull batch size (at most 1000). */
  batchSize?: number;
  /** Retry wait and stream backoff (tests shorten them). */
  retryMs?: number;
}

/** Resolves with `work`, or rejects once the status says offline (at once if it already does) or after `ms`. */
function unlessOffline<T>(status: SyncStatusStore, work: Promise<T>, ms: number): Promise<T> {
  let off = () => undefined as void;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const gaveUp = new Promise<never>((_, reject) => {
    const offline = () => reject(new ApiError('NETWORK', 'The server is not reachable.', 0));
    if (status.getState().connection === 'offline') return offline();
    off = status.subscribe((s) => s.connection === 'offline' && offline());
    timer = setTimeout(() => reject(new Error(`Still waiting after ${ms} ms.`)), ms);
  });
  return Promise.race([work, gaveUp]).finally(() => {
    off();
    clearTimeout(timer);
  });
}

/** The error code of an answer without the server's error body (a proxy's 502, a crashed server's 500). */
function codeOfStatus(status: number): ApiError['code'] {
  if (status === 502 || status === 503 || status === 504) return 'UNAVAILABLE';
  if (status === 401) return 'UNAUTHENTICATED';
  return status >= 500 ? 'INTERNAL' : 'VALIDATION_FAILED';
}

/** Local document set once every collection finished a first pull into this database. */
const REPLICATED = 'replicated-once';

/** Local document where the leader tab keeps its connection state for the other tabs. */
const CONNECTION = 'sync-connection';
type SharedConnection = Pick<SyncStatus, 'connection' | 'lastError' | 'lastSyncedAt'>;

async function markReplicated(db: ReplicaDatabase): Promise<void> {
  if (!db.closed) await db.upsertLocal(REPLICATED, { at: new Date().toISOString() });
}

/** Resolves once no draft edit and no intent waits to be sent. */
function nothingPending(status: SyncStatusStore): Promise<void> {
  return new Promise((resolve) => {
    const check = (s: SyncStatus) => s.pendingDrafts === 0 && s.pendingIntents === 0;
    if (check(status.getState())) return resolve();
    const off = status.subscribe((s) => {
      if (!check(s)) return;
      off();
      resolve();
    });
  });
}

export function startReplica(options: StartReplicaOptions): Replica {
  const { db } = options;
  const status = options.status ?? createSyncStatusStore();
  const retryMs = options.retryMs ?? RETRY_MS;
  const replications = new Map<SyncCollectionName, AnyReplication>();
  const initialDone = new Set<SyncCollectionName>();
  const subscriptions: Subscription[] = [];
  let closed = false;

  status.setState({ connection: 'connecting', initial: { done: 0, total: SYNC_COLLECTION_NAMES.length, finished: false } });
  // A replica that finished its first replication (in an earlier session, or in the leader tab) is
  // complete, if not current: screens read it at once, so a reload (or an app start) while the server is
  // away still browses it, and a tab that does not replicate learns when the leader's first pull ended.
  subscriptions.push(
    db.getLocal$(REPLICATED).subscribe((doc) => {
      if (doc && !closed && !status.getState().initial?.finished) status.setState({ initial: { done: SYNC_COLLECTION_NAMES.length, total: SYNC_COLLECTION_NAMES.length, finished: true } });
    }),
  );
  // A tab that does not lead shows the leader's connection; the leader shares its own.
  let leading = false;
  subscriptions.push(
    db.getLocal$<SharedConnection>(CONNECTION).subscribe((doc) => {
      if (doc && !leading && !closed) status.setState(doc.toJSON().data);
    }),
  );

  // Network failures in a row, and the requests waiting out the backoff they cause. Any sign of the server
  // (an answer, the live stream connecting, a manual re-sync) ends the wait at once.
  let failures = 0;
  const waiting = new Set<() => void>();
  function wakeWaiting(): void {
    for (const wake of [...waiting]) wake();
  }
  function backoff(): Promise<void> {
    const delay = backoffDelayMs(failures, retryMs);
    if (delay === 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        waiting.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, delay);
      waiting.add(wake);
    });
  }

  function reachable(): void {
    failures = 0;
    wakeWaiting();
    const was = status.getState().connection;
    if (was === 'online') return;
    status.setState({ connection: 'online', lastError: null });
    // Back: the stream need not wait out its backoff to resume the live wake-ups.
    if (was === 'offline') stream?.retryNow();
  }
  function unreachable(error: ApiError): void {
    status.setState({ connection: 'offline', lastError: describeError(error) });
  }

  /** A sync request; throws ApiError and reports to the status. */
  async function request<T>(path: string, body?: unknown): Promise<T> {
    // A closed replica sends nothing more: after sign-out the current token may be the next user's.
    if (closed) throw new ApiError('NETWORK', 'The replica is closed.', 0);
    const token = options.getToken();
    const headers: Record<string, string> = { accept: 'application/json', ...(token ? { authorization: `Token ${token}` } : {}) };
    if (body !== undefined) headers['content-type'] = 'application/json';
    await backoff();
    if (closed) throw new ApiError('NETWORK', 'The replica is closed.', 0);
    let response: Response;
    try {
      response = await options.fetch(`${options.baseUrl}${path}`, body === undefined ? { headers } : { method: 'POST', headers, body: JSON.stringify(body) });
    } catch (error) {
      const e = new ApiError('NETWORK', `The server could not be reached (${error instanceof Error ? error.message : String(error)}).`, 0);
      failures++;
      unreachable(e);
      throw e;
    }
    const answer: unknown = await response.json().catch(() => undefined);
    if (response.ok) {
      reachable();
      return answer as T;
    }
    const wire = answer as { code?: string; message?: string; id?: string } | undefined;
    const error = new ApiError((wire?.code ?? codeOfStatus(response.status)) as ApiError['code'], wire?.message ?? `HTTP ${response.status}`, response.status, wire?.id);
    if (response.status >= 500) unreachable(error);
    else {
      reachable();
      status.setState({ lastError: describeError(error) });
    }
    if (response.status === 401 && !closed) options.onUnauthenticated?.();
    throw error;
  }

  const openStream = (): SyncStream => openSyncStream({
    url: `${options.baseUrl}/api/v1/sync/stream/`,
    fetch: options.fetch,
    getToken: options.getToken,
    minDelayMs: Math.min(1000, retryMs),
    onConnected() {
      reachable();
      // Back after a gap (or first connect): push what waited, pull what was missed.
      for (const replication of replications.values()) replication.reSync();
    },
    onFailure(error, response) {
      if (response?.status === 401) {
        status.setState({ lastError: describeError(new ApiError(codeOfStatus(401), 'HTTP 401', 401)) });
        options.onUnauthenticated?.();
      } else if (!response || response.status >= 500) {
        unreachable(new ApiError(response ? codeOfStatus(response.status) : 'NETWORK', error instanceof Error ? error.message : String(error), response?.status ?? 0));
      }
    },
    onResync: () => void restartFromZero(),
  });
  let stream: SyncStream | null = null;
  const streamOpened = new ReplaySubject<SyncStream>(1);

  type PushRow = { newDocumentState: { id: string; _deleted?: boolean; environmentId?: unknown }; assumedMasterState?: unknown };
  /**
   * The rows as the server's contract wants them: `assumedMasterState` null for a new document (RxDB
   * leaves it out), and without the server's own tombstones (`{id, seq, _deleted}`), which a replication
   * restarted from zero offers again and the server would refuse for their missing fields.
   */
  type SentRow = WithDeleted<{ id: string; seq?: number; state?: string; environmentId?: unknown; error?: unknown; status?: string }>;
  /**
   * Of those, only rows that carry something of this replica's own. RxDB offers more after a restart
   * from zero (it forgot what the server has) and after a refusal; the server is not asked to merge or
   * run anything the user did not do:
   * - drafts changed here (marked pending, made here and never on the server, or differing from the
   *   server state RxDB knows), but not one the server refused and the user has not edited since (it
   *   keeps the refusal until then; pushing it again would loop);
   * - intents still pending (a finished one is the server's answer).
   */
  async function wireRows(name: SyncCollectionName, rows: PushRow[]) {
    const pending = name === 'drafts' ? new Set(await pendingDraftIds(db)) : null;
    return rows
      .filter((row) => {
        const d = row.newDocumentState as SentRow;
        const assumed = row.assumedMasterState as SentRow | undefined | null;
        if (d._deleted && d.environmentId === undefined) return false;
        if (!pending) return d.status === 'pending';
        if (d.error && !d._deleted) return false;
        if (pending.has(d.id)) return true;
        if (!assumed) return d.seq === 0 && !d._deleted;
        return assumed.state !== d.state || (d._deleted && !assumed._deleted);
      })
      .map((row) => ({ newDocumentState: row.newDocumentState, assumedMasterState: row.assumedMasterState ?? null }));
  }
  const push = async (name: SyncCollectionName, rows: PushRow[]) => {
    const body = await wireRows(name, rows);
    if (body.length === 0) return [];
    try {
      return await request<WithDeleted<unknown>[]>(`/api/v1/sync/${name}/push/`, body);
    } catch (error) {
      // The server refused the batch as a whole (too large, malformed): RxDB would retry it forever and
      // hold back every later push. Each row comes back refused instead, for the user to see and fix.
      if (!(error instanceof ApiError) || error.status < 400 || error.status >= 500 || error.status === 401) throw error;
      const refusal = { code: error.code, message: error.message };
      const executedAt = new Date().toISOString();
      return body.map(({ newDocumentState: doc }) =>
        name === 'drafts' ? { ...doc, error: refusal } : { ...doc, status: 'refused', result: { ...refusal, versionUuid: null, conflicts: null, executedAt } },
      );
    }
  };

  function pushHandlerFor(name: SyncCollectionName) {
    // Drafts: their pending marks are cleared by clearMarkWhenPushed once the state the user sees is on the server.
    if (name === 'drafts') return (rows: PushRow[]) => push(name, rows);
    return async (rows: PushRow[]) => {
      // An intent names a draft the server must already have: let the drafts push go first.
      const drafts = replications.get('drafts');
      if (drafts) await unlessOffline(status, drafts.awaitInSync(), DRAFTS_FIRST_MS);
      return push(name, rows);
    };
  }

  function replicate(name: SyncCollectionName): AnyReplication {
    const collection = db.collections[name] as unknown as RxCollection<unknown>;
    const replication = replicateRxCollection<unknown, Checkpoint>({
      collection,
      replicationIdentifier: `flagdesk-sync-${name}`,
      live: true,
      retryTime: retryMs,
      // Only the leader tab replicates (also while hidden); RxDB tells the other tabs what it writes. By
      // default RxDB would also start it in whichever tab becomes visible: two tabs pushing the same rows.
      waitForLeadership: true,
      toggleOnDocumentVisible: false,
      pull: {
        batchSize: options.batchSize ?? PULL_BATCH,
        handler: async (checkpoint, batchSize) => {
          const answer = await request<{ documents: WithDeleted<{ id: string }>[]; checkpoint: Checkpoint }>(`/api/v1/sync/${name}/pull/?checkpoint=${checkpoint?.sequence ?? 0}&limit=${batchSize}`);
          const seen = seenSinceRestart.get(name);
          if (seen) for (const d of answer.documents) if (!d._deleted) seen.add(d.id);
          status.setState({ lastSyncedAt: new Date().toISOString() });
          return answer;
        },
        stream$: streamOpened.pipe(switchMap((s) => s.wakeups(name))) as Observable<RxReplicationPullStreamItem<unknown, Checkpoint>>,
      },
      ...(isPushable(name) ? { push: { batchSize: PUSH_BATCH, handler: pushHandlerFor(name) as never } } : {}),
    });
    // Request failures are reported by `request`; anything else (a document RxDB refused) shows here.
    subscriptions.push(
      replication.error$.subscribe((error) => {
        if (error.code !== 'RC_PULL' && error.code !== 'RC_PUSH') status.setState({ lastError: error.message });
      }),
    );
    void replication.awaitInitialReplication().then(() => {
      if (closed || replications.get(name) !== replication) return;
      initialDone.add(name);
      const total = SYNC_COLLECTION_NAMES.length;
      const finished = initialDone.size === total;
      // After a restart from zero (resync) the replica keeps what it had: it stays readable meanwhile.
      if (status.getState().initial?.finished && !finished) return;
      status.setState({ initial: { done: initialDone.size, total, finished } });
      if (finished) void markReplicated(db).catch(() => undefined);
    });
    return replication;
  }

  /** The server says the user's access changed: forget every checkpoint and pull everything again. */
  let restarting: Promise<void> = Promise.resolve();
  /**
   * Ids of the documents each pull-only collection received since a restart from zero. When that first
   * pull is done, what it did not bring is what the user may no longer see (the server sends no
   * tombstone for lost access, ADR 0006), and is removed from this device. Drafts and intents are the
   * user's own work and stay (the server refuses what they may no longer do).
   */
  const seenSinceRestart = new Map<SyncCollectionName, Set<string>>();

  async function pruneUnseen(name: SyncCollectionName, seen: Set<string>): Promise<void> {
    const collection = db.collections[name] as unknown as RxCollection<{ id: string }>;
    const gone = (await collection.find().exec()).map((d) => d.primary).filter((id) => !seen.has(id));
    if (gone.length > 0 && !closed) await collection.bulkRemove(gone);
  }

  function restartFromZero(): Promise<void> {
    restarting = restarting.then(async () => {
      for (const name of SYNC_COLLECTION_NAMES) {
        if (closed) return;
        // remove() drops the replication's checkpoint and bookkeeping; the documents stay.
        await replications.get(name)?.remove();
        if (closed) return;
        const seen = new Set<string>();
        if (!isPushable(name)) seenSinceRestart.set(name, seen);
        const replication = replicate(name);
        replications.set(name, replication);
        if (!isPushable(name)) {
          void replication.awaitInitialReplication().then(async () => {
            if (closed || seenSinceRestart.get(name) !== seen) return;
            seenSinceRestart.delete(name);
            await pruneUnseen(name, seen);
          });
        }
      }
    });
    return restarting;
  }

  /*
   * A draft's pending mark goes once RxDB says the draft's current state reached the server (taken,
   * merged, or answered with a refusal). Watching the marks rather than clearing them in the push handler
   * also covers a mark made after its write was already pushed, and keeps the mark of an edit made while
   * an older state was being pushed.
   */
  const watchedMarks = new Set<string>();
  const wakeOnClose = new Set<() => void>();
  /** Resolves after `ms`, or at once when the replica closes. */
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        wakeOnClose.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      wakeOnClose.add(done);
    });
  /**
   * One wait per draft revision and replication, reused by every round of the loop below: RxDB keeps
   * each `awaitDocumentPushed` listening until the push, so asking again every round while offline
   * would pile them up.
   */
  const pushWaits = new WeakMap<AnyReplication, Map<string, Promise<boolean>>>();
  function pushedOnce(replication: AnyReplication, draft: { primary: string; revision: string }): Promise<boolean> {
    let waits = pushWaits.get(replication);
    if (!waits) pushWaits.set(replication, (waits = new Map()));
    const key = `${draft.primary}@${draft.revision}`;
    let wait = waits.get(key);
    if (!wait) {
      wait = replication.awaitDocumentPushed(draft as never).then(
        () => true,
        () => false,
      );
      waits.set(key, wait);
      void wait.then(() => waits.delete(key));
    }
    return wait;
  }

  async function clearMarkWhenPushed(id: string): Promise<void> {
    watchedMarks.add(id);
    try {
      while (!closed) {
        const draft = await db.drafts.findOne(id).exec();
        const replication = replications.get('drafts');
        if (!replication) return;
        // Bounded: a replication replaced by a restart from zero never answers; the next round asks the new one.
        // A draft the pull deletes meanwhile (published, or discarded elsewhere) has nothing left to push.
        let stopWatching = () => undefined as void;
        const deleted = new Promise<boolean>((resolve) => {
          const watch = db.drafts.findOne(id).$.pipe(filter((d) => d === null)).subscribe(() => resolve(true));
          stopWatching = () => watch.unsubscribe();
        });
        const pushed = draft
          ? await Promise.race([pushedOnce(replication, draft), deleted, pause(DRAFTS_FIRST_MS).then(() => false)]).finally(() => stopWatching())
          : true;
        if (closed) return;
        if (!pushed) {
          await pause(retryMs);
          continue;
        }
        const now = await db.drafts.findOne(id).exec();
        if (!now || now.revision === draft?.revision) return await clearPendingDrafts(db, [id]);
      }
    } finally {
      watchedMarks.delete(id);
    }
  }

  for (const name of SYNC_COLLECTION_NAMES) replications.set(name, replicate(name));
  subscriptions.push(watchSyncCounts(db, status));
  // The replications start by themselves once this tab leads (waitForLeadership); so do the stream, the
  // pending marks' watch and the shared connection state. A single instance (Node) leads at once.
  void db.waitForLeadership().then(() => {
    if (closed) return;
    leading = true;
    // Whatever the last leader left in the shared state: this tab has not reached the server yet.
    status.setState({ connection: 'connecting' });
    const share = (s: SyncStatus) => void db.upsertLocal<SharedConnection>(CONNECTION, { connection: s.connection, lastError: s.lastError, lastSyncedAt: s.lastSyncedAt }).catch(() => undefined);
    share(status.getState());
    const unshare = status.subscribe((s, was) => {
      if (!closed && (s.connection !== was.connection || s.lastError !== was.lastError || s.lastSyncedAt !== was.lastSyncedAt)) share(s);
    });
    subscriptions.push({ unsubscribe: unshare } as Subscription);
    stream = openStream();
    streamOpened.next(stream);
    subscriptions.push(
      pendingDraftIds$(db).subscribe((doc) => {
        for (const id of (doc?.get('ids') as string[] | undefined) ?? []) if (!watchedMarks.has(id)) void clearMarkWhenPushed(id).catch(() => undefined);
      }),
    );
  });

  return {
    db,
    status,
    userId: options.userId,
    awaitInitialReplication: () =>
      new Promise<void>((resolve) => {
        if (status.getState().initial?.finished) return resolve();
        const off = status.subscribe((s) => {
          if (!s.initial?.finished) return;
          off();
          resolve();
        });
      }),
    awaitInSync: () =>
      unlessOffline(
        status,
        // Another tab replicates: in sync once it has sent what waited (the counts follow the shared storage).
        leading ? Promise.all([...replications.values()].map((r) => r.awaitInSync())).then(() => undefined) : nothingPending(status),
        60_000,
      ),
    reSync: () => {
      wakeWaiting();
      for (const replication of replications.values()) replication.reSync();
    },
    async close(closing = {}) {
      if (closed) return;
      closed = true;
      stream?.stop();
      for (const wake of [...wakeOnClose]) wake();
      await restarting;
      for (const s of subscriptions) s.unsubscribe();
      await Promise.all([...replications.values()].map((r) => r.cancel()));
      if (closing.remove) await db.remove();
      else await db.close();
    },
  };
}
