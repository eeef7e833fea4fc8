import type { DbExecutor } from '../../platform/database/database.js';
import type { TypedValueColumns } from '../../../src-shared/domain/flags/feature-state-value.rules.js';
import type { VersionStatus } from '../../../src-shared/contracts/http/versions.contract.js';

/** A row of `environment_feature_versions`. */
export interface VersionRecord {
  id: number;
  uuid: string;
  environmentId: number;
  featureId: number;
  status: VersionStatus;
  description: string | null;
  contentJson: string;
  contentHash: string;
  draftState: string | null;
  baseVersionUuid: string | null;
  previousVersionUuid: string | null;
  conflictJson: string | null;
  liveFrom: string | null;
  /** Go-live order among the feature's versions in the environment; breaks `liveFrom` ties. */
  liveSeq: number | null;
  publishedAt: string | null;
  createdByUserId: number | null;
  createdByApiKeyId: number | null;
  publishedByUserId: number | null;
  publishedByApiKeyId: number | null;
  createdAt: string;
  updatedAt: string;
}

/** What the versions list shows of a version: the row without its content and draft document (ADR 0005: no joins, no blobs). */
export type VersionSummary = Omit<VersionRecord, 'contentJson' | 'contentHash' | 'draftState'>;

export type NewVersion = Omit<VersionRecord, 'id'>;
export type VersionPatch = Partial<Omit<VersionRecord, 'id' | 'uuid' | 'environmentId' | 'featureId' | 'createdAt'>>;

/** A feature state row of a version (environment default when `segmentId` is null). */
export interface VersionStateRow {
  id: number;
  uuid: string;
  featureId: number;
  environmentId: number;
  featureSegmentId: number | null;
  featureSegmentUuid: string | null;
  segmentId: number | null;
  priority: number | null;
  enabled: boolean;
  value: TypedValueColumns;
  liveFrom: string | null;
  createdAt: string;
  updatedAt: string;
  /** Ordered by option id. */
  multivariateValues: { id: number; optionId: number; percentageAllocation: number }[];
}

/** One state to write for a version (the environment default when `segmentId` is null). */
export interface StateContentRow {
  segmentId: number | null;
  priority: number;
  enabled: boolean;
  value: TypedValueColumns;
  /** Option id → percentage. */
  weights: Map<number, number>;
}

export interface VersionListFilter {
  isLive?: boolean | undefined;
  published?: boolean | undefined;
  /** `is_live` is judged at this time. */
  now: string;
  /**
   * `feature_history_visibility_days`: only versions without `live_from` or with `live_from >= visibleFrom`,
   * plus the version `alwaysUuid` (the live one). Absent or null: the whole history.
   */
  visibleFrom?: string | null | undefined;
  alwaysUuid?: string | undefined;
}

export interface FeatureRef {
  id: number;
  projectId: number;
  name: string;
  defaultEnabled: boolean;
  initialValue: string | null;
}

export interface EnvironmentRef {
  id: number;
  projectId: number;
  organisationId: number;
  name: string;
  apiKey: string;
  isV2: boolean;
}

/** A v1 feature state (no version) with its override's segment, read when an environment moves to v2. */
export interface V1StateRow {
  id: number;
  featureId: number;
  featureSegmentId: number | null;
  segmentId: number | null;
  priority: number | null;
  enabled: boolean;
  value: TypedValueColumns;
  weights: { optionId: number; percentageAllocation: number }[];
}

/**
 * Port of the versions module's tables: `environment_feature_versions`, and the feature states / feature
 * segments / multivariate values that carry a version uuid (ADR 0005: those rows belong to this module).
 * It reads features, segments, options and environments to validate references. Every method takes the
 * executor, so the service reads and writes inside its transaction.
 */
export interface VersionsStore {
  insertVersion(ex: DbExecutor, v: NewVersion): Promise<number>;
  findVersion(ex: DbExecutor, uuid: string): Promise<VersionRecord | undefined>;
  /**
   * The version row locked for the rest of the transaction (PostgreSQL `FOR UPDATE`, or `SKIP LOCKED`
   * with `skipLocked`, which answers undefined when another transaction holds it); plain read on SQLite,
   * where transactions are serial.
   */
  lockVersion(ex: DbExecutor, uuid: string, options?: { skipLocked?: boolean }): Promise<VersionRecord | undefined>;
  updateVersion(ex: DbExecutor, id: number, patch: VersionPatch): Promise<void>;
  /** Links a version to the change request that made it (issue 5). */
  setChangeRequest(ex: DbExecutor, uuid: string, changeRequestId: number): Promise<void>;
  /** Deletes a version with its feature segments, feature states and multivariate values. */
  deleteVersion(ex: DbExecutor, uuid: string): Promise<void>;
  /** Newest first (`created_at`, then id); `total` counts every version matching the filter. */
  listVersions(ex: DbExecutor, environmentId: number, featureId: number, filter: VersionListFilter, page: { offset: number; limit: number }): Promise<{ total: number; items: VersionSummary[] }>;
  /** The live version of a feature: published, greatest `live_from <= now` (ties: greatest `live_seq`). */
  liveVersion(ex: DbExecutor, environmentId: number, featureId: number, now: string): Promise<VersionRecord | undefined>;
  /** Live version uuid per feature of an environment at `now`. */
  liveVersionUuids(ex: DbExecutor, environmentId: number, now: string): Promise<Map<number, string>>;
  /** Number of segment overrides in the live version at `now`, per feature that has any (plan-limit count on v2). */
  liveOverrideCounts(ex: DbExecutor, environmentId: number, now: string): Promise<Map<number, number>>;
  /** The next `live_seq` for a feature in an environment (call under the environment lock). */
  nextLiveSeq(ex: DbExecutor, environmentId: number, featureId: number): Promise<number>;
  /** Uuids of scheduled versions with `live_from <= now`, oldest first. */
  dueScheduledVersions(ex: DbExecutor, now: string, limit: number): Promise<string[]>;
  /** The earliest `live_from` of the scheduled versions that are due (`live_from <= now`) and not live yet; for the scheduler-lag metric. */
  oldestDueLiveFrom(ex: DbExecutor, now: string): Promise<string | undefined>;
  /** Whether any version exists for the feature in the environment. */
  hasVersion(ex: DbExecutor, environmentId: number, featureId: number): Promise<boolean>;

  /** The version's feature states: the environment default first, then overrides by priority. */
  versionStates(ex: DbExecutor, versionUuid: string): Promise<VersionStateRow[]>;
  /**
   * Makes the version's rows hold exactly `states`: rows are matched by segment (the environment default
   * by null) and updated in place, so their ids stay stable; missing ones are inserted, extra ones deleted.
   * Returns whether any row changed.
   */
  syncVersionStates(ex: DbExecutor, version: { uuid: string; environmentId: number; featureId: number; liveFrom: string | null }, states: StateContentRow[], now: string): Promise<boolean>;
  /** Sets `live_from` on the version's feature states (Flagsmith keeps it on them too). */
  setStatesLiveFrom(ex: DbExecutor, versionUuid: string, liveFrom: string): Promise<void>;

  /** v1 states (no version, no identity) of an environment, for the move to v2. */
  v1States(ex: DbExecutor, environmentId: number, featureId?: number): Promise<V1StateRow[]>;
  /** Attaches v1 states and their feature segments to a version (the initial version of a feature). */
  attachToVersion(ex: DbExecutor, stateIds: number[], featureSegmentIds: number[], versionUuid: string, liveFrom: string): Promise<void>;
  /**
   * The move back to v1, one feature: the live version's states become v1 states (`version` 1,
   * `live_from` now, no version uuid); every other non-identity state, feature segment and version of the
   * feature in the environment is deleted. Without a live version the feature's v1 rows stay as they are.
   */
  discardHistory(ex: DbExecutor, environmentId: number, featureId: number, liveVersionUuid: string | undefined, now: string): Promise<void>;
  /** Deletes every version row of the environment (the end of the move back to v1). */
  deleteVersionsOfEnvironment(ex: DbExecutor, environmentId: number): Promise<void>;

  findFeature(ex: DbExecutor, id: number): Promise<FeatureRef | undefined>;
  featuresOfProject(ex: DbExecutor, projectId: number): Promise<FeatureRef[]>;
  findEnvironment(ex: DbExecutor, id: number): Promise<EnvironmentRef | undefined>;
  /** Segments by id with their project and (for feature-specific segments) feature. */
  segments(ex: DbExecutor, ids: readonly number[]): Promise<Map<number, { name: string; projectId: number; featureId: number | null }>>;
  /** Multivariate options of a feature: id → display value. */
  options(ex: DbExecutor, featureId: number): Promise<Map<number, string>>;
  /** Email of a user (for `published_by` of a scheduled publish), and name of an organisation API key. */
  userEmail(ex: DbExecutor, userId: number): Promise<string | undefined>;
  apiKey(ex: DbExecutor, apiKeyId: number): Promise<{ name: string; organisationId: number; isAdmin: boolean } | undefined>;
}
