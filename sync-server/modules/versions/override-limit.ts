import type { DbExecutor } from '../../platform/database/database.js';
import { checkSegmentOverrideLimit, countSegmentOverrides, liveOverridesAfterGoingLive, type LimitCheck } from '../../../src-shared/domain/plan-limits/plan-limits.rules.js';
import type { OrganisationsService } from '../organisations/organisations.service.js';
import { bumpDocumentRevision } from '../sdk/document-revision.js';
import type { VersionsStore } from './versions.store.js';

/**
 * The plan-limit check of a version going live: `max_segment_overrides_per_environment` counts the
 * overrides of every feature's live version (v2).
 *
 * A version with no more overrides than its feature's live version cannot raise the count, so it passes
 * without reading the rest of the environment (`checkSegmentOverrideLimit` lets any change that does not
 * raise the count through): most publishes change values, and their cost stays independent of the
 * environment's size. Only a version that adds overrides counts the environment, and it does so under
 * the environment row's lock (taken here, before the count), so concurrent publishes that add overrides
 * are counted one after the other and the limit holds exactly. Concurrent publishes that do not add
 * overrides can only lower a count read meanwhile.
 */
export function createOverrideLimitCheck(deps: { organisations: Pick<OrganisationsService, 'planLimits'>; store: Pick<VersionsStore, 'liveOverrideCounts'> }) {
  const { organisations, store } = deps;
  return async function checkOverrideLimit(
    trx: DbExecutor,
    target: { environmentId: number; organisationId: number; featureId: number },
    overrides: { goingLive: number; liveNow: number },
    now: string,
  ): Promise<LimitCheck> {
    if (overrides.goingLive <= overrides.liveNow) return { isWithinLimit: true };
    await bumpDocumentRevision(trx, { environmentId: target.environmentId });
    const { maxSegmentOverridesPerEnvironment: max } = await organisations.planLimits(target.organisationId, trx);
    const live = await store.liveOverrideCounts(trx, target.environmentId, now);
    const before = countSegmentOverrides({ mode: 'v2', liveOverridesByFeature: live });
    const after = countSegmentOverrides({ mode: 'v2', liveOverridesByFeature: liveOverridesAfterGoingLive(live, target.featureId, overrides.goingLive) });
    return checkSegmentOverrideLimit(before, after, max);
  };
}
