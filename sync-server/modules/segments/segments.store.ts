import type { DbExecutor } from '../../platform/database/database.js';
import type { SegmentRule } from '../../../src-shared/domain/segments/segment-rules.rules.js';

export interface SegmentRecord {
  id: number;
  uuid: string;
  projectId: number;
  /** Set for feature-specific segments. */
  featureId: number | null;
  name: string;
  description: string | null;
  /** The stored tree (`segments.rules_json`), already checked by `normaliseSegmentRules`. */
  rules: SegmentRule[];
  createdAt: string;
  updatedAt: string;
}

export interface SegmentPatch {
  name?: string | undefined;
  description?: string | null | undefined;
  featureId?: number | null | undefined;
  rules?: SegmentRule[] | undefined;
  updatedAt: string;
}

export interface SegmentListFilter {
  /** Case-insensitive substring of the name. */
  q?: string | undefined;
  includeFeatureSpecific: boolean;
}

/**
 * Port of the segments table. `rules_json` holds the tree exactly as the API shows it (rules with `id`,
 * `type`, `rules`, `conditions`; conditions with `id`, `operator`, `property`, `value`, `description`),
 * which is also what the environment document's segments are built from.
 */
export interface SegmentsStore {
  find(ex: DbExecutor, id: number): Promise<SegmentRecord | undefined>;
  /** A page of a project's segments by id, and the number matching the filter. */
  list(ex: DbExecutor, projectId: number, filter: SegmentListFilter, page: { offset: number; limit: number }): Promise<{ total: number; items: SegmentRecord[] }>;
  insert(ex: DbExecutor, segment: Omit<SegmentRecord, 'id'>): Promise<number>;
  update(ex: DbExecutor, id: number, patch: SegmentPatch): Promise<void>;
  /** Deletes the segment; its feature segments and their override states go with it (FK cascades). */
  delete(ex: DbExecutor, id: number): Promise<void>;
}
