import { createHash } from 'node:crypto';
import type { Db } from '../../platform/database/database.js';
import type { Clock } from '../../platform/clock/clock.js';
import type { SdkFlagWire } from '../../../src-shared/contracts/sdk/environment-document.schema.js';
import { buildEnvironmentDocument, type BuiltDocument } from './document-builder.js';
import type { DocumentRevision, DocumentSource, SdkStore } from './sdk.store.js';
import type { ServerMetrics } from '../../platform/metrics/server-metrics.js';

export interface EnvironmentFlags {
  flags: SdkFlagWire[];
  /** The flags as UTF-8 JSON bytes, sent as they are (encoding a large string on every poll costs more than the rest of the request). */
  body: Buffer;
}

/** A built document as served: the object for evaluation, its JSON and ETag for the document endpoint. */
export interface DocumentSnapshot extends BuiltDocument {
  environmentId: number;
  revision: number;
  /** The document as UTF-8 JSON bytes, what the document endpoint sends. */
  body: Buffer;
  /** Strong ETag: environment, revision and a digest of the content (a scheduled change alters content without a revision bump). */
  etag: string;
  /** Environment flags and their JSON, computed once per snapshot and key kind (see the SDK service). */
  flagsMemo: { client?: EnvironmentFlags; server?: EnvironmentFlags };
}

export interface DocumentLookup {
  snapshot: DocumentSnapshot;
  stopServingFlags: boolean;
  /** Whether the environment accepts this key right now (read with the revision, see `isKeyAccepted`). */
  accepts(key: SdkKey): boolean;
}

/** The key an SDK request came with: the client-side key as is, a server-side key by its SHA-256. */
export type SdkKey = { clientKey: string } | { serverKeyHash: string };

/** Whether `head` (read after the request arrived) still lists the key: exact across server instances. */
function isKeyAccepted(head: DocumentRevision, key: SdkKey, now: string): boolean {
  if ('clientKey' in key) return head.clientKey === key.clientKey;
  const expiresAt = head.serverKeys.get(key.serverKeyHash);
  return expiresAt !== undefined && (expiresAt === null || expiresAt > now);
}

/**
 * The environment documents of this server process, in memory. Every SDK request reads the environment's
 * `document_revision` (one indexed row, also what other server instances bump when they write) and
 * rebuilds only when it moved or a scheduled state went live; concurrent requests share one rebuild.
 * The same read lists the environment's keys, so a key the auth hook remembered is checked against the
 * database on every request without a query of its own.
 */
export interface DocumentCache {
  /** The current snapshot, or undefined when the environment no longer exists. */
  get(environmentId: number): Promise<DocumentLookup | undefined>;
}

export function createDocumentCache(deps: { db: Db; clock: Clock; store: SdkStore; metrics?: Pick<ServerMetrics, 'countDocumentLookup'> }): DocumentCache {
  const { db, clock, store } = deps;
  const snapshots = new Map<number, DocumentSnapshot>();
  const building = new Map<string, Promise<DocumentSnapshot | undefined>>();

  /** One read transaction, so the rows and the revision they are labelled with belong together. */
  async function readSource(environmentId: number, now: string): Promise<DocumentSource | undefined> {
    const tx = db.kysely.transaction();
    return (db.kind === 'postgres' ? tx.setIsolationLevel('repeatable read') : tx).execute((trx) => store.readDocumentSource(trx, environmentId, now));
  }

  async function build(environmentId: number): Promise<DocumentSnapshot | undefined> {
    const now = clock.now().toISOString();
    const source = await readSource(environmentId, now);
    if (!source) return undefined;
    const built = buildEnvironmentDocument(source, now);
    const json = JSON.stringify(built.document);
    const digest = createHash('sha256').update(json).digest('base64url').slice(0, 16);
    const snapshot: DocumentSnapshot = {
      ...built,
      environmentId,
      revision: source.environment.revision,
      body: Buffer.from(json, 'utf8'),
      etag: `"${environmentId}-${source.environment.revision}-${digest}"`,
      flagsMemo: {},
    };
    const current = snapshots.get(environmentId);
    // A slower build of an older revision must not replace a newer one.
    if (!current || current.revision <= snapshot.revision) snapshots.set(environmentId, snapshot);
    return snapshot;
  }

  const queuedHeads = new Map<number, Promise<DocumentRevision | undefined>>();
  /**
   * The revision check, shared by the requests that arrive in the same turn of the event loop: the query
   * is issued after all of them arrived (so each still sees every write committed before it came in),
   * but once for all of them, which keeps a polling fleet from costing one query per request.
   */
  function readHead(environmentId: number): Promise<DocumentRevision | undefined> {
    let queued = queuedHeads.get(environmentId);
    if (!queued) {
      queued = new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
        queuedHeads.delete(environmentId);
        return store.readRevision(db.kysely, environmentId);
      });
      queuedHeads.set(environmentId, queued);
    }
    return queued;
  }

  return {
    async get(environmentId) {
      const head = await readHead(environmentId);
      if (!head) {
        snapshots.delete(environmentId);
        return undefined;
      }
      const now = clock.now().toISOString();
      const accepts = (key: SdkKey) => isKeyAccepted(head, key, now);
      const current = snapshots.get(environmentId);
      const isExpired = current?.nextChangeAt != null && current.nextChangeAt <= now;
      if (current && current.revision >= head.revision && !isExpired) {
        deps.metrics?.countDocumentLookup('hit');
        return { snapshot: current, stopServingFlags: head.stopServingFlags, accepts };
      }

      const key = `${environmentId}:${head.revision}:${isExpired ? current?.nextChangeAt : ''}`;
      let pending = building.get(key);
      if (!pending) {
        deps.metrics?.countDocumentLookup('rebuild');
        pending = build(environmentId).finally(() => building.delete(key));
        building.set(key, pending);
      }
      const snapshot = await pending;
      return snapshot && { snapshot, stopServingFlags: head.stopServingFlags, accepts };
    },
  };
}
