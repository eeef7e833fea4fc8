import { Type, type Static } from '@sinclair/typebox';
import { defineRoutes } from '../http/route-contract.js';
import { ErrorCode } from '../../errors/error-codes.js';
import { PUSHABLE_COLLECTIONS, SYNC_COLLECTION_NAMES } from './collections.js';

/*
 * The replication endpoints (D6): RxDB's HTTP replication protocol, per collection.
 * - pull: documents changed after a checkpoint, in batches, ordered by change sequence. The checkpoint is
 *   the server's change sequence (an integer, never a timestamp); `0` (or none) starts from the beginning.
 * - push: rows `{newDocumentState, assumedMasterState}`; the answer lists the master state of every row
 *   the server did not take as it was (RxDB's contract: conflicts are results, not errors). A refused row
 *   comes back as its master state with `error` set (drafts), or as an intent with its refused result.
 * - stream: Server-Sent Events that wake a replica when a collection it can see changed.
 * Documents are those of src-shared/contracts/sync/documents.ts plus RxDB's `_deleted`.
 */

const CollectionParam = Type.Union(
  SYNC_COLLECTION_NAMES.map((c) => Type.Literal(c)),
  { description: 'A replicated collection.' },
);
const PushableCollectionParam = Type.Union(
  PUSHABLE_COLLECTIONS.map((c) => Type.Literal(c)),
  { description: 'A collection replicas write to (the others are pull only).' },
);

/** A replicated document on the wire: one of the collection's schema, plus `_deleted`. */
export const SyncDocumentSchema = Type.Object({ id: Type.String({ maxLength: 200 }), _deleted: Type.Boolean() }, { additionalProperties: true });

export const SyncCheckpointSchema = Type.Object({
  sequence: Type.Integer({ minimum: 0, description: 'Change sequence: the next pull asks for changes after it.' }),
});

export const SyncPullResponseSchema = Type.Object({
  documents: Type.Array(SyncDocumentSchema),
  checkpoint: SyncCheckpointSchema,
});

export const SyncPushRowSchema = Type.Object({
  newDocumentState: SyncDocumentSchema,
  assumedMasterState: Type.Union([Type.Null(), SyncDocumentSchema]),
});

export type SyncPullResponse = Static<typeof SyncPullResponseSchema>;
export type SyncPushRow = Static<typeof SyncPushRowSchema>;
export type SyncDocument = Static<typeof SyncDocumentSchema> & Record<string, unknown>;

export const syncRoutes = defineRoutes({
  syncPull: {
    method: 'GET',
    url: '/api/v1/sync/:collection/pull/',
    summary: 'Replication pull: the documents of a collection changed after a checkpoint, oldest change first, only those the caller can view.',
    tag: 'sync',
    auth: 'admin',
    params: Type.Object({ collection: CollectionParam }),
    querystring: Type.Object({
      checkpoint: Type.Optional(Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description: 'The `checkpoint.sequence` of the previous pull; 0 or absent: from the start.' })),
      limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, description: 'Batch size (default 100).' })),
    }),
    successStatus: 200,
    response: SyncPullResponseSchema,
    errors: [],
  },
  syncPush: {
    method: 'POST',
    url: '/api/v1/sync/:collection/push/',
    summary: 'Replication push: rows with their assumed master state; answers the master state of each row not taken as sent (conflicts and refusals).',
    tag: 'sync',
    auth: 'admin',
    params: Type.Object({ collection: PushableCollectionParam }),
    body: Type.Array(SyncPushRowSchema, { maxItems: 200 }),
    successStatus: 200,
    response: Type.Array(SyncDocumentSchema),
    errors: [ErrorCode.VALIDATION_FAILED],
  },
  syncStream: {
    method: 'GET',
    url: '/api/v1/sync/stream/',
    summary:
      'Server-Sent Events (text/event-stream): `checkpoint` events `{"sequence": n, "collections": [...]}` when collections the caller can see changed, `resync` when the caller\'s access changed (pull every collection from 0). Read with fetch (it needs the Authorization header). The server ends the stream after `max_seconds`; reconnect.',
    tag: 'sync',
    auth: 'admin',
    querystring: Type.Object({
      max_seconds: Type.Optional(Type.Integer({ minimum: 0, maximum: 3600, description: 'Close the stream after this many seconds (default 300); 0 sends the current checkpoint and closes.' })),
    }),
    successStatus: 200,
    response: Type.String({ description: 'An event stream.' }),
    errors: [],
  },
});
