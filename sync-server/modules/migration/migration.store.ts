import type { DbExecutor } from '../../platform/database/database.js';
import type { TypedValueColumns } from '../../../src-shared/domain/flags/feature-state-value.rules.js';
import type { VersioningStatus } from '../../../src-shared/contracts/http/versioning-migration.contract.js';

/** The environment row as the migration job sees it. */
export interface MigrationEnvironment {
  id: number;
  projectId: number;
  organisationId: number;
  name: string;
  apiKey: string;
  useV2: boolean;
  status: VersioningStatus;
  /** `{done, total, cursor, error?}` as JSON: `cursor` is the last feature id the job finished. */
  progressJson: string | null;
}

/** A v1 feature state of a feature (no identity, no version) with its override's segment. */
export interface V1Row {
  id: number;
  featureSegmentId: number | null;
  segmentId: number | null;
  priority: number | null;
  enabled: boolean;
  value: TypedValueColumns;
  /** Flagsmith's v1 version counter: null for a draft (an uncommitted change request). */
  version: number | null;
  liveFrom: string | null;
  weights: { optionId: number; percentageAllocation: number }[];
}

/**
 * Port of what the v1 ↔ v2 migration job reads and writes besides what the versions service does for it
 * (initial and scheduled versions, and the version history discarded when disabling): the environment's
 * migration columns and the v1 rows a feature's initial version must not pick up (history, drafts,
 * scheduled changes).
 */
export interface MigrationStore {
  /** The environment row; with `lock`, locked for the rest of the transaction on PostgreSQL (`FOR UPDATE`). */
  lockEnvironment(ex: DbExecutor, environmentId: number, lock: boolean): Promise<MigrationEnvironment | undefined>;
  /**
   * Leaves `updated_at` alone: the environment document carries it, and migrating must not change what
   * SDKs see (the revision bump at the end is what invalidates cached documents).
   */
  setStatus(ex: DbExecutor, environmentId: number, patch: { status: VersioningStatus; progressJson: string | null; useV2?: boolean }): Promise<void>;
  /** Ids of the project's features after `cursor` (exclusive), ascending. */
  featuresAfter(ex: DbExecutor, projectId: number, cursor: number, limit: number): Promise<number[]>;
  countFeaturesAfter(ex: DbExecutor, projectId: number, cursor: number): Promise<number>;

  v1Rows(ex: DbExecutor, environmentId: number, featureId: number): Promise<V1Row[]>;
  /** Deletes feature states (their multivariate values cascade). */
  deleteStates(ex: DbExecutor, ids: readonly number[]): Promise<void>;
  /** Deletes the feature's v1 feature segments (no version) that no feature state points at any more. */
  deleteOrphanFeatureSegments(ex: DbExecutor, environmentId: number, featureId: number): Promise<void>;
}
