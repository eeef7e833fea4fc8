import { addRxPlugin, createRxDatabase, type RxCollection, type RxDatabase, type RxJsonSchema, type RxStorage } from 'rxdb';
import { RxDBLeaderElectionPlugin } from 'rxdb/plugins/leader-election';
import { RxDBLocalDocumentsPlugin } from 'rxdb/plugins/local-documents';
import { SYNC_COLLECTION_NAMES, type SyncCollectionName } from '../../src-shared/contracts/sync/collections.js';
import { toRxJsonSchema } from '../../src-shared/contracts/sync/rx-schema.js';
import { draftConflictHandler } from './draft-conflicts.js';
import type {
  ChangeRequestDoc,
  DraftDoc,
  EnvironmentDoc,
  FeatureDoc,
  IntentDoc,
  OrganisationDoc,
  ProjectDoc,
  SegmentDoc,
  VersionDoc,
} from '../../src-shared/contracts/sync/documents.js';

/*
 * The local replica (D5): one RxDB database per server and user, one collection per replicated
 * collection of src-shared/contracts/sync (9 of the free build's 13). Schemas are generated from the
 * same TypeBox schemas the server answers with, so the two never disagree on a document's shape.
 * Local documents (`db.getLocal`/`upsertLocal`) hold replica-only bookkeeping (pending drafts).
 *
 * Two tabs of one browser profile open the same database (one IndexedDB). `multiInstance` makes RxDB
 * tell each tab what the others wrote (BroadcastChannel), so their queries stay current, and elects one
 * leader tab that runs the replication (replication.ts). Node tests keep one instance per database.
 */

export interface ReplicaDocs {
  organisations: OrganisationDoc;
  projects: ProjectDoc;
  environments: EnvironmentDoc;
  features: FeatureDoc;
  segments: SegmentDoc;
  versions: VersionDoc;
  drafts: DraftDoc;
  change_requests: ChangeRequestDoc;
  intents: IntentDoc;
}

export type ReplicaCollections = { [K in SyncCollectionName]: RxCollection<ReplicaDocs[K]> };
export type ReplicaDatabase = RxDatabase<ReplicaCollections>;

let pluginsAdded = false;

/** The IndexedDB-safe database name of a user's replica of one server. */
export function replicaName(serverOrigin: string, userId: number): string {
  const host = serverOrigin.replace(/^[a-z]+:\/\//i, '').replace(/[^a-z0-9]+/gi, '_').toLowerCase();
  return `flagdesk_${host}_u${userId}`;
}

/** Opens (or creates) the replica database with every collection. Close it with `db.close()`. */
export async function createReplicaDatabase(options: {
  name: string;
  storage: RxStorage<unknown, unknown>;
  ignoreDuplicate?: boolean;
  /** Several tabs may open this database: by default when a browser page uses IndexedDB (Dexie). */
  multiInstance?: boolean;
}): Promise<ReplicaDatabase> {
  if (!pluginsAdded) {
    addRxPlugin(RxDBLocalDocumentsPlugin);
    addRxPlugin(RxDBLeaderElectionPlugin);
    pluginsAdded = true;
  }
  const db = await createRxDatabase<ReplicaCollections>({
    name: options.name,
    storage: options.storage as RxStorage<never, never>,
    localDocuments: true,
    multiInstance: options.multiInstance ?? (typeof window !== 'undefined' && options.storage.name === 'dexie'),
    ...(options.ignoreDuplicate ? { ignoreDuplicate: true } : {}),
  });
  const collections = Object.fromEntries(
    SYNC_COLLECTION_NAMES.map((name) => [
      name,
      // Drafts are Yjs states: a push answered with a newer master merges both (draft-conflicts.ts).
      { schema: toRxJsonSchema(name) as unknown as RxJsonSchema<never>, localDocuments: true, ...(name === 'drafts' ? { conflictHandler: draftConflictHandler } : {}) },
    ]),
  );
  await db.addCollections(collections as never);
  return db;
}
