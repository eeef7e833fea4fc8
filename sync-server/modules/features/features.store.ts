import type { DbExecutor } from '../../platform/database/database.js';
import type { TypedValueColumns } from '../../../src-shared/domain/flags/feature-state-value.rules.js';

export type FeatureType = 'STANDARD' | 'MULTIVARIATE';

export interface FeatureRecord {
  id: number;
  uuid: string;
  projectId: number;
  name: string;
  type: FeatureType;
  initialValue: string | null;
  defaultEnabled: boolean;
  description: string | null;
  isArchived: boolean;
  isServerKeyOnly: boolean;
  createdAt: string;
}

export interface FeaturePatch {
  name?: string | undefined;
  type?: FeatureType | undefined;
  description?: string | null | undefined;
  isArchived?: boolean | undefined;
  isServerKeyOnly?: boolean | undefined;
}

export interface FeatureListFilter {
  /** Case-insensitive substring of the name. */
  search?: string | undefined;
  isArchived?: boolean | undefined;
  sortField: 'created_date' | 'name';
  sortDirection: 'ASC' | 'DESC';
}

export interface MultivariateOptionRecord {
  id: number;
  uuid: string;
  featureId: number;
  value: TypedValueColumns;
  defaultPercentageAllocation: number;
}

export interface MultivariateStateValueRecord {
  id: number;
  optionId: number;
  percentageAllocation: number;
}

export interface FeatureStateRecord {
  id: number;
  uuid: string;
  featureId: number;
  environmentId: number;
  identityId: number | null;
  featureSegmentId: number | null;
  enabled: boolean;
  value: TypedValueColumns;
  version: number | null;
  liveFrom: string | null;
  environmentFeatureVersionUuid: string | null;
  createdAt: string;
  updatedAt: string;
  /** Ordered by option id. */
  multivariateValues: MultivariateStateValueRecord[];
}

export interface NewFeatureState {
  uuid: string;
  featureId: number;
  environmentId: number;
  featureSegmentId: number | null;
  enabled: boolean;
  value: TypedValueColumns;
  createdAt: string;
  multivariateValues: { uuid: string; optionId: number; percentageAllocation: number }[];
}

export interface FeatureStateListFilter {
  environmentId: number;
  featureId?: number | undefined;
  featureSegmentId?: number | undefined;
  featureName?: string | undefined;
  /** Only environment defaults (no segment overrides). Identity overrides are never listed. */
  defaultsOnly?: boolean;
  /**
   * The live version uuid per feature (v2, from the versions service): a feature with a live version
   * shows only that version's rows, any other feature only its rows without a version (what SDKs see).
   */
  liveVersions?: ReadonlyMap<number, string> | undefined;
}

/** A feature segment, read to validate a segment override (the segments module owns the table). */
export interface FeatureSegmentRef {
  id: number;
  featureId: number;
  environmentId: number;
  segmentName: string;
}

export interface Page {
  offset: number;
  limit: number;
}

/**
 * Port of the flag tables the features module owns: features, multivariate options, and the
 * environment-default / segment-override feature states with their multivariate shares. Identity
 * overrides (rows with an identity) are never read or written here. Methods take the executor, so
 * services read and write inside their transaction.
 */
export interface FeaturesStore {
  findFeature(ex: DbExecutor, id: number): Promise<FeatureRecord | undefined>;
  /** A feature of the project whose name equals `name` ignoring case. */
  findFeatureByName(ex: DbExecutor, projectId: number, name: string): Promise<FeatureRecord | undefined>;
  listFeatures(ex: DbExecutor, projectId: number, filter: FeatureListFilter, page: Page): Promise<{ total: number; items: FeatureRecord[] }>;
  insertFeature(ex: DbExecutor, feature: Omit<FeatureRecord, 'id'>): Promise<number>;
  updateFeature(ex: DbExecutor, id: number, patch: FeaturePatch): Promise<void>;
  /** Deletes the feature; its options, states, shares and feature segments go with it (FK cascades). */
  deleteFeature(ex: DbExecutor, id: number): Promise<void>;

  /** Options of these features, by id. */
  listOptions(ex: DbExecutor, featureIds: readonly number[]): Promise<MultivariateOptionRecord[]>;
  findOption(ex: DbExecutor, id: number): Promise<MultivariateOptionRecord | undefined>;
  insertOption(ex: DbExecutor, option: Omit<MultivariateOptionRecord, 'id'>): Promise<number>;
  updateOption(ex: DbExecutor, id: number, patch: { value?: TypedValueColumns | undefined; defaultPercentageAllocation?: number | undefined }): Promise<void>;
  /** Deletes the option; its shares in every feature state go with it (FK cascade). */
  deleteOption(ex: DbExecutor, id: number): Promise<void>;

  /** A feature state that is not an identity override. */
  findState(ex: DbExecutor, id: number): Promise<FeatureStateRecord | undefined>;
  listStates(ex: DbExecutor, filter: FeatureStateListFilter, page: Page): Promise<{ total: number; items: FeatureStateRecord[] }>;
  /** Environment defaults of a feature, one per environment. */
  environmentDefaults(ex: DbExecutor, featureId: number): Promise<FeatureStateRecord[]>;
  /** The environment default of a feature in one environment. */
  /**
   * The environment default of a feature: on a v1 environment the unversioned row (`version` undefined),
   * on a v2 environment the row of the given version (the live one).
   */
  environmentDefault(ex: DbExecutor, featureId: number, environmentId: number, version?: string): Promise<FeatureStateRecord | undefined>;
  /** The state of a feature segment (its segment override), if it has one. */
  stateOfFeatureSegment(ex: DbExecutor, featureSegmentId: number): Promise<FeatureStateRecord | undefined>;
  insertState(ex: DbExecutor, state: NewFeatureState): Promise<number>;
  /** Sets enabled / value, bumps the v1 version counter and `updated_at`. */
  updateState(ex: DbExecutor, id: number, patch: { enabled?: boolean | undefined; value?: TypedValueColumns | undefined; updatedAt: string }): Promise<void>;
  deleteState(ex: DbExecutor, id: number): Promise<void>;
  /** Replaces a state's multivariate shares with these. */
  replaceMultivariateValues(ex: DbExecutor, stateId: number, values: { uuid: string; optionId: number; percentageAllocation: number }[]): Promise<void>;
  addMultivariateValue(ex: DbExecutor, stateId: number, value: { uuid: string; optionId: number; percentageAllocation: number }): Promise<void>;

  findFeatureSegment(ex: DbExecutor, id: number): Promise<FeatureSegmentRef | undefined>;
  /** Segment-override and identity-override counts per feature in one environment. */
  /** Segment and identity overrides per feature; with `liveVersions` (v2), only the live version's segment overrides count. */
  overrideCounts(ex: DbExecutor, environmentId: number, featureIds: readonly number[], liveVersions?: ReadonlyMap<number, string>): Promise<Map<number, { segments: number; identities: number }>>;
}
