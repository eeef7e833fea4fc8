import type { DbExecutor } from '../../platform/database/database.js';

/** A row of `change_requests`. */
export interface ChangeRequestRecord {
  id: number;
  uuid: string;
  environmentId: number;
  title: string;
  description: string | null;
  authorUserId: number | null;
  authorApiKeyId: number | null;
  committedAt: string | null;
  committedByUserId: number | null;
  createdAt: string;
  updatedAt: string;
}

/** A row of `change_request_change_sets`: one feature's change (`contentJson`, "mine") against `baseVersionUuid`. */
export interface ChangeSetRecord {
  id: number;
  changeRequestId: number;
  featureId: number;
  liveFrom: string | null;
  baseVersionUuid: string | null;
  contentJson: string;
  contentHash: string;
  /** The version the commit created; null while pending. */
  versionUuid: string | null;
  /** JSON array of conflicts when the scheduled version did not go live. */
  conflictJson: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface ApprovalRecord {
  id: number;
  changeRequestId: number;
  userId: number;
  approvedAt: string;
  /** The binding hash the approval was given for. */
  contentHash: string;
  contentJson: string;
}

/** The environment a change request belongs to, with what the rules need. */
export interface CrEnvironmentRef {
  id: number;
  projectId: number;
  organisationId: number;
  name: string;
  apiKey: string;
  minimumApprovals: number | null;
}

/**
 * Port of the change-request tables (`change_requests`, `change_request_change_sets`,
 * `change_request_approvals`, `change_request_assignees`); it also reads users, environments, features,
 * segments and options for names and validation. Every method takes the executor.
 */
export interface ChangeRequestsStore {
  insert(ex: DbExecutor, r: Omit<ChangeRequestRecord, 'id'>): Promise<number>;
  find(ex: DbExecutor, id: number): Promise<ChangeRequestRecord | undefined>;
  /** The row locked for the transaction (PostgreSQL `FOR UPDATE`; plain read on SQLite, where writes are serial). */
  lock(ex: DbExecutor, id: number): Promise<ChangeRequestRecord | undefined>;
  update(ex: DbExecutor, id: number, patch: Partial<Omit<ChangeRequestRecord, 'id' | 'uuid' | 'environmentId' | 'createdAt'>>): Promise<void>;
  delete(ex: DbExecutor, id: number): Promise<void>;
  list(ex: DbExecutor, environmentId: number, filter: { committed?: boolean | undefined; search?: string | undefined; featureId?: number | undefined }, page: { offset: number; limit: number }): Promise<{ total: number; items: ChangeRequestRecord[] }>;

  changeSets(ex: DbExecutor, changeRequestId: number): Promise<ChangeSetRecord[]>;
  /** Replaces every change set of the request. */
  replaceChangeSets(ex: DbExecutor, changeRequestId: number, sets: Omit<ChangeSetRecord, 'id' | 'changeRequestId'>[]): Promise<void>;
  updateChangeSet(ex: DbExecutor, id: number, patch: Partial<Omit<ChangeSetRecord, 'id' | 'changeRequestId' | 'featureId' | 'createdAt'>>): Promise<void>;
  /** The change set whose commit created the version. */
  changeSetByVersion(ex: DbExecutor, versionUuid: string): Promise<ChangeSetRecord | undefined>;

  approvals(ex: DbExecutor, changeRequestId: number): Promise<ApprovalRecord[]>;
  /** Inserts or replaces the user's approval. */
  upsertApproval(ex: DbExecutor, a: Omit<ApprovalRecord, 'id'>): Promise<void>;
  assignees(ex: DbExecutor, changeRequestId: number): Promise<{ userId: number; email: string }[]>;
  setAssignees(ex: DbExecutor, changeRequestId: number, userIds: number[], now: string): Promise<void>;

  environment(ex: DbExecutor, id: number): Promise<CrEnvironmentRef | undefined>;
  /** Members of the organisation among `userIds`: id → email. */
  organisationMembers(ex: DbExecutor, organisationId: number, userIds: readonly number[]): Promise<Map<number, string>>;
  userEmail(ex: DbExecutor, userId: number): Promise<string | undefined>;
  featureNames(ex: DbExecutor, ids: readonly number[]): Promise<Map<number, string>>;
  /** Display names for diff sentences: segment names and multivariate option values. */
  names(ex: DbExecutor, segmentIds: readonly number[], featureIds: readonly number[]): Promise<{ segments: Record<string, string>; multivariateOptions: Record<string, string> }>;
}
