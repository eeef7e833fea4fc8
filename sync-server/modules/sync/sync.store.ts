import type { DbExecutor } from '../../platform/database/database.js';
import type { SyncCollectionName } from '../../../src-shared/contracts/sync/collections.js';

/** A row of the change feed: the latest change of one document (ADR 0006). */
export interface ChangeRow {
  collection: string;
  docId: string;
  seq: number;
  organisationId: number | null;
  userId: number | null;
  deleted: boolean;
}

/**
 * What a caller may pull: their organisations, and the projects and environments they can view. Tombstones
 * go only to those who could see the document: viewers of its project or environment while that exists,
 * and, once it is gone too, admins of its organisation or project (others lost their grant with it, an
 * access change that makes their replica start over).
 */
export interface Visibility {
  userId: number | null;
  organisationIds: number[];
  adminOrganisationIds: number[];
  projectIds: number[];
  adminProjectIds: number[];
  environmentIds: number[];
}

/** A document as stored, without its `seq` (which the change row gives). */
export type StoredDocument = Record<string, unknown> & { id: string };

export interface IntentRow {
  id: string;
  userId: number | null;
  apiKeyId: number | null;
  organisationId: number;
  projectId: number;
  environmentId: number;
  kind: string;
  payloadJson: string;
  status: string;
  resultJson: string | null;
  createdAt: string;
  receivedAt: string;
  updatedAt: string;
}

/** Reads of the change feed and of the replicated documents, and the intents table. */
export interface SyncStore {
  /** The greatest change sequence committed (every smaller one is committed too, ADR 0006). */
  currentSequence(ex: DbExecutor): Promise<number>;
  /** Changes of a collection in (after, upTo], visible to `v`, by sequence. */
  changes(ex: DbExecutor, collection: SyncCollectionName, after: number, upTo: number, limit: number, v: Visibility): Promise<ChangeRow[]>;
  /** Every change in (after, upTo], any collection, for the live stream. */
  changesSince(ex: DbExecutor, after: number, upTo: number, limit: number): Promise<ChangeRow[]>;
  /** The current documents of a collection by id; ids without a row (or no longer in the collection) are absent. */
  documents(ex: DbExecutor, collection: SyncCollectionName, ids: string[]): Promise<Map<string, StoredDocument>>;
  /** Change sequence of documents (by id) in a collection. */
  sequences(ex: DbExecutor, collection: SyncCollectionName, ids: string[]): Promise<Map<string, number>>;
  /** Projects (id, organisation) and environments (id, project) of organisations, to filter by access. */
  projectsOf(ex: DbExecutor, organisationIds: number[]): Promise<{ id: number; organisationId: number }[]>;
  environmentsOf(ex: DbExecutor, projectIds: number[]): Promise<{ id: number; projectId: number; organisationId: number }[]>;
  findIntent(ex: DbExecutor, id: string): Promise<IntentRow | undefined>;
  insertIntent(ex: DbExecutor, row: IntentRow): Promise<void>;
  updateIntent(ex: DbExecutor, id: string, patch: { status: string; resultJson: string | null; updatedAt: string }): Promise<void>;
}
