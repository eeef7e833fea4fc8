import type { FeatureStateWire } from '../../../src-shared/contracts/http/feature-states.contract.js';
import type { FeatureSegmentWire } from '../../../src-shared/contracts/http/segments.contract.js';
import type { FlagsmithSource, SourceFeatureState } from './flagsmith-client.js';
import type { ProjectMapping } from './import-catalogue.js';
import { allPages, ImportedKind, sameTypedValue, sharesKey, type ImportContext, type ImportedKind as Kind, type TypedValue } from './import-support.js';

type Env = ProjectMapping['environments'][number];

/** The source state's multivariate shares in target option ids (shares of options the target lacks are dropped). */
function mappedShares(state: SourceFeatureState, mapping: ProjectMapping): { multivariate_feature_option: number; percentage_allocation: number }[] {
  return state.multivariate_feature_state_values.flatMap((s) => {
    const option = mapping.options.get(s.multivariate_feature_option);
    return option === undefined ? [] : [{ multivariate_feature_option: option, percentage_allocation: s.percentage_allocation }];
  });
}

/** Brings one target state to the source's enabled, value and shares; counts it. */
async function syncState(ctx: ImportContext, kind: Kind, env: Env, target: FeatureStateWire, source: SourceFeatureState, mapping: ProjectMapping, featureId: number): Promise<void> {
  const shares = mappedShares(source, mapping);
  const same =
    target.enabled === source.enabled &&
    sameTypedValue(target.feature_state_value, source.feature_state_value as TypedValue) &&
    sharesKey(target.multivariate_feature_state_values) === sharesKey(shares);
  if (same) {
    ctx.tally.record(kind, 'unchanged');
    return;
  }
  await ctx.target.featureStates.update(
    ctx.actor,
    target.id,
    { feature: featureId, environment: env.targetId, enabled: source.enabled, feature_state_value: source.feature_state_value, multivariate_feature_state_values: shares },
    true,
  );
  ctx.tally.record(kind, 'updated');
}

/**
 * An environment's defaults and segment overrides: each default is brought to the source's; each
 * override is matched by its segment (created with its feature segment when missing), and a feature's
 * overrides are put in the source's priority order.
 */
export async function importEnvironmentStates(ctx: ImportContext, source: FlagsmithSource, env: Env, mapping: ProjectMapping): Promise<void> {
  const sourceStates = await source.featureStates(env.source.id);
  const targetStates = await allPages((page) => ctx.target.featureStates.list(ctx.actor, { environment: env.targetId }, page));
  const targetDefaults = new Map(targetStates.filter((s) => s.feature_segment === null).map((s) => [s.feature, s]));
  const targetByFeatureSegment = new Map(targetStates.filter((s) => s.feature_segment !== null).map((s) => [s.feature_segment!, s]));

  const overridesByFeature = new Map<number, SourceFeatureState[]>();
  for (const state of sourceStates) {
    const featureId = mapping.features.get(state.feature);
    if (featureId === undefined) continue;
    if (state.feature_segment === null) {
      const target = targetDefaults.get(featureId);
      if (target) await syncState(ctx, ImportedKind.FEATURE_STATE, env, target, state, mapping, featureId);
    } else overridesByFeature.set(state.feature, [...(overridesByFeature.get(state.feature) ?? []), state]);
  }
  for (const [sourceFeature, states] of overridesByFeature) {
    const featureId = mapping.features.get(sourceFeature)!;
    const sourceSegments = new Map((await source.featureSegments(env.source.id, sourceFeature)).map((fs) => [fs.id, fs]));
    let targetSegments = await allPages((page) => ctx.target.featureSegments.list(ctx.actor, { environment: env.targetId, feature: featureId }, page));
    const order: { targetFeatureSegment: number; priority: number }[] = [];
    for (const state of states) {
      const fs = sourceSegments.get(state.feature_segment!);
      const segmentId = fs ? mapping.segments.get(fs.segment) : undefined;
      if (!fs || segmentId === undefined) continue;
      let targetFs: FeatureSegmentWire | undefined = targetSegments.find((t) => t.segment === segmentId);
      const targetState = targetFs ? targetByFeatureSegment.get(targetFs.id) : undefined;
      if (targetFs && targetState) await syncState(ctx, ImportedKind.SEGMENT_OVERRIDE, env, targetState, state, mapping, featureId);
      else {
        targetFs ??= await ctx.target.featureSegments.create(ctx.actor, { feature: featureId, segment: segmentId, environment: env.targetId });
        await ctx.target.featureStates.create(ctx.actor, {
          feature: featureId,
          environment: env.targetId,
          feature_segment: targetFs.id,
          enabled: state.enabled,
          feature_state_value: state.feature_state_value,
          multivariate_feature_state_values: mappedShares(state, mapping),
        });
        ctx.tally.record(ImportedKind.SEGMENT_OVERRIDE, 'created');
      }
      order.push({ targetFeatureSegment: targetFs.id, priority: fs.priority });
    }
    targetSegments = await allPages((page) => ctx.target.featureSegments.list(ctx.actor, { environment: env.targetId, feature: featureId }, page));
    await putInSourceOrder(ctx, order, targetSegments);
  }
}

/** Moves the target's overrides of one feature into the source's priority order, when it differs. */
async function putInSourceOrder(ctx: ImportContext, order: { targetFeatureSegment: number; priority: number }[], targetSegments: FeatureSegmentWire[]): Promise<void> {
  const wanted = [...order].sort((a, b) => a.priority - b.priority).map((o) => o.targetFeatureSegment);
  const current = [...targetSegments].sort((a, b) => a.priority - b.priority).map((t) => t.id).filter((id) => wanted.includes(id));
  if (JSON.stringify(wanted) === JSON.stringify(current)) {
    ctx.tally.record(ImportedKind.OVERRIDE_ORDER, 'unchanged');
    return;
  }
  const base = Math.min(...targetSegments.filter((t) => wanted.includes(t.id)).map((t) => t.priority));
  await ctx.target.featureSegments.updatePriorities(ctx.actor, wanted.map((id, i) => ({ id, priority: base + i })));
  ctx.tally.record(ImportedKind.OVERRIDE_ORDER, 'updated');
}
