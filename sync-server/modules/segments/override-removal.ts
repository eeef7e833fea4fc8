import type { DbExecutor } from '../../platform/database/database.js';
import { moveToPosition, priorityChanges } from '../../../src-shared/domain/segments/override-priority.rules.js';
import type { Principal } from '../access/principal.js';
import { AuditObjectType, type AuditService } from '../audit/audit.service.js';
import type { EventsService } from '../webhooks/events.service.js';
import type { FeatureSegmentRecord, FeatureSegmentsStore, PriorityScope } from './feature-segments.store.js';
import type { FeaturesService } from '../features/features.service.js';

/** Rewrites one ordering scope's priorities to a dense 0..n-1 order (moving `move` first, when given). */
export async function reorderScope(trx: DbExecutor, store: FeatureSegmentsStore, scope: PriorityScope, move?: { id: number; priority: number }): Promise<void> {
  const rows = await store.listInScope(trx, scope);
  const ids = rows.map((r) => r.id);
  const order = move ? moveToPosition(ids, move.id, move.priority) : ids;
  await store.setPriorities(trx, priorityChanges(new Map(rows.map((r) => [r.id, r.priority])), order));
}

export function scopeOf(fs: FeatureSegmentRecord): PriorityScope {
  return { featureId: fs.featureId, environmentId: fs.environmentId, environmentFeatureVersionUuid: fs.environmentFeatureVersionUuid };
}

/**
 * Deletes one segment override inside the caller's transaction: FLAG_DELETED for each of its feature
 * states (described before they go), Flagsmith's audit entry, the row (its states cascade), and the
 * overrides after it move up. The caller authorises and bumps the document revision.
 */
export async function deleteOverride(
  trx: DbExecutor,
  deps: { store: FeatureSegmentsStore; features: Pick<FeaturesService, 'findFeatureRef'>; audit: AuditService; events: EventsService },
  p: Principal,
  organisationId: number,
  fs: FeatureSegmentRecord,
): Promise<void> {
  const stateIds = await deps.store.overrideStateIds(trx, fs.id);
  for (const stateId of stateIds) {
    const previousState = await deps.events.describeFeatureState(trx, stateId);
    if (previousState) await deps.events.emitFlagDeleted(trx, { environmentId: fs.environmentId, previousState, changedBy: p });
  }
  const feature = await deps.features.findFeatureRef(trx, fs.featureId);
  const log = `Flag state / Remote config value deleted for feature '${feature?.name ?? fs.featureId}' and segment '${fs.segmentName}'`;
  const related = stateIds.length > 0 ? { relatedObjectType: AuditObjectType.FEATURE_STATE, relatedObjectId: stateIds[0]! } : { relatedObjectType: AuditObjectType.FEATURE, relatedObjectId: fs.featureId };
  await deps.audit.record(trx, p, { organisationId, environmentId: fs.environmentId, log, ...related });
  await deps.store.delete(trx, fs.id);
  await reorderScope(trx, deps.store, scopeOf(fs));
}
