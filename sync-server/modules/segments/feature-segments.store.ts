import type { DbExecutor } from '../../platform/database/database.js';

export interface FeatureSegmentRecord {
  id: number;
  uuid: string;
  featureId: number;
  segmentId: number;
  environmentId: number;
  priority: number;
  /** The version this override belongs to on a v2 environment; null on v1. */
  environmentFeatureVersionUuid: string | null;
  createdAt: string;
  segmentName: string;
  /** The segment's own feature, when it is feature-specific. */
  segmentFeatureId: number | null;
}

/** The overrides that are ordered together: one feature, one environment, one version (null on v1). */
export interface PriorityScope {
  featureId: number;
  environmentId: number;
  environmentFeatureVersionUuid: string | null;
}

export type NewFeatureSegment = Omit<FeatureSegmentRecord, 'id' | 'segmentName' | 'segmentFeatureId'>;

/** Port of the feature_segments table (and the override feature states that hang off it). */
export interface FeatureSegmentsStore {
  find(ex: DbExecutor, id: number): Promise<FeatureSegmentRecord | undefined>;
  /** Several by id (unknown ids are left out). */
  findMany(ex: DbExecutor, ids: readonly number[]): Promise<FeatureSegmentRecord[]>;
  /** A page of the overrides of one ordering scope (v1: no version; v2: the live version's), by priority. */
  list(ex: DbExecutor, scope: PriorityScope, page: { offset: number; limit: number }): Promise<{ total: number; items: FeatureSegmentRecord[] }>;
  /** Every override in one ordering scope, by priority then id. */
  listInScope(ex: DbExecutor, scope: PriorityScope): Promise<FeatureSegmentRecord[]>;
  /** Overrides using a segment, in any environment. */
  listBySegment(ex: DbExecutor, segmentId: number): Promise<FeatureSegmentRecord[]>;
  /** True when the segment already overrides the feature in this scope (optionally ignoring one row). */
  exists(ex: DbExecutor, scope: PriorityScope & { segmentId: number }, exceptId?: number): Promise<boolean>;
  /** Every feature_segments row of an environment (how v1 counts the segment-override plan limit). */
  countOfEnvironment(ex: DbExecutor, environmentId: number): Promise<number>;
  insert(ex: DbExecutor, row: NewFeatureSegment): Promise<number>;
  setSegment(ex: DbExecutor, id: number, segmentId: number): Promise<void>;
  setPriorities(ex: DbExecutor, changes: readonly { id: number; priority: number }[]): Promise<void>;
  /** Deletes the row; its override feature states go with it (FK cascade). */
  delete(ex: DbExecutor, id: number): Promise<void>;
  /** Ids of the feature states that carry this override's value. */
  overrideStateIds(ex: DbExecutor, featureSegmentId: number): Promise<number[]>;
}
