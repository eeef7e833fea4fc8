import type { EnvironmentDocument, FeatureStateDocument, SegmentDocument } from '../../contracts/sdk/environment-document.schema.js';
import { buildEvaluationContext } from './context.js';
import type { EvaluatedFlag, EvaluationOptions, IdentityInput, TraitInput } from './feature-states.js';
import { getMultivariateVariant } from './multivariate.js';
import { pythonStr } from './python-values.js';
import { isContextInSegment, type SegmentToEvaluate } from './segment-evaluator.js';

/**
 * An environment document prepared for evaluating many identities: what does not depend on the identity
 * is worked out once (which segments override anything, each feature's segment overrides in the order
 * they win, reasons, the server-key-only set), so evaluating
 * an identity is one membership test per overriding segment and one lookup per feature. The result is
 * the same as `getIdentityFeatureStates` gives (a unit test holds the two together on the engine test data).
 */
export interface CompiledDocument {
  readonly document: EnvironmentDocument;
  /** The segments that override at least one feature, in document order (the others cannot decide a flag). */
  readonly segments: readonly { segment: SegmentDocument; toEvaluate: SegmentToEvaluate }[];
  readonly features: readonly CompiledFeature[];
  readonly hideDisabledFlags: boolean;
  readonly serverKeyOnly: ReadonlySet<number>;
  readonly identityOverridesByIdentifier: ReadonlyMap<string, readonly FeatureStateDocument[]>;
}

interface CompiledFeature {
  featureId: number;
  environmentDefault: FeatureStateDocument;
  /** Segment overrides, the winning one first: lowest priority, then document order; without priority last. */
  segmentOverrides: { segmentIndex: number; segment: SegmentDocument; featureState: FeatureStateDocument; reason: string }[];
}

/** Segment overrides without priority rank after every prioritised one (the engine's DEFAULT_PRIORITY). */
const DEFAULT_PRIORITY = Number.POSITIVE_INFINITY;
const IDENTITY_OVERRIDE_REASON = 'TARGETING_MATCH; segment=identity_overrides';

export function compileEnvironmentDocument(doc: EnvironmentDocument): CompiledDocument {
  const segments: CompiledDocument['segments'][number][] = [];
  const candidates = new Map<number, { segmentIndex: number; segment: SegmentDocument; featureState: FeatureStateDocument; reason: string; priority: number; order: number }[]>();
  let order = 0;
  for (const segment of doc.project.segments) {
    if (segment.feature_states.length === 0) continue;
    const segmentIndex = segments.length;
    segments.push({ segment, toEvaluate: { key: String(segment.id), rules: segment.rules } });
    const reason = `TARGETING_MATCH; segment=${segment.name}`;
    for (const featureState of segment.feature_states) {
      const list = candidates.get(featureState.feature.id) ?? [];
      list.push({ segmentIndex, segment, featureState, reason, priority: featureState.feature_segment?.priority ?? DEFAULT_PRIORITY, order: order++ });
      candidates.set(featureState.feature.id, list);
    }
  }
  const features = doc.feature_states.map((fs): CompiledFeature => {
    const list = [...(candidates.get(fs.feature.id) ?? [])].sort((a, b) => (a.priority < b.priority ? -1 : a.priority > b.priority ? 1 : a.order - b.order));
    return { featureId: fs.feature.id, environmentDefault: fs, segmentOverrides: list.map(({ segmentIndex, segment, featureState, reason }) => ({ segmentIndex, segment, featureState, reason })) };
  });
  const identityOverridesByIdentifier = new Map<string, readonly FeatureStateDocument[]>();
  for (const o of doc.identity_overrides) if (!identityOverridesByIdentifier.has(o.identifier)) identityOverridesByIdentifier.set(o.identifier, o.identity_features);
  return {
    document: doc,
    segments,
    features,
    hideDisabledFlags: doc.hide_disabled_flags ?? doc.project.hide_disabled_flags,
    serverKeyOnly: new Set(doc.project.server_key_only_feature_ids),
    identityOverridesByIdentifier,
  };
}

/** The flag a feature state gives an identity (the feature as the environment default carries it). */
function decide(feature: FeatureStateDocument['feature'], featureState: FeatureStateDocument, identityKey: string, kind: Pick<EvaluatedFlag, 'source' | 'segment' | 'reason'>): EvaluatedFlag {
  const variant = getMultivariateVariant(featureState, identityKey);
  return {
    feature,
    enabled: featureState.enabled,
    value: variant ? variant.multivariate_feature_option.value : featureState.feature_state_value,
    featureState,
    source: kind.source,
    segment: kind.segment,
    variant,
    reason: variant ? `SPLIT; weight=${pythonStr(variant.percentage_allocation)}` : kind.reason,
  };
}

/** An identity's flags on a compiled document: the engine's order of precedence (see `getIdentityFeatureStates`). */
export function evaluateIdentity(compiled: CompiledDocument, identity: IdentityInput, traits: readonly TraitInput[], options: EvaluationOptions = {}): EvaluatedFlag[] {
  const context = buildEvaluationContext(compiled.document, identity, traits);
  const isMember = compiled.segments.map((s) => isContextInSegment(context, s.toEvaluate));
  const identityOverrides = new Map<number, FeatureStateDocument>();
  for (const fs of identity.overrides ?? compiled.identityOverridesByIdentifier.get(identity.identifier) ?? []) if (!identityOverrides.has(fs.feature.id)) identityOverrides.set(fs.feature.id, fs);
  const hideDisabled = options.hideDisabledFlags ?? compiled.hideDisabledFlags;
  const serverOnly = options.excludeServerKeyOnly ? compiled.serverKeyOnly : null;

  const flags: EvaluatedFlag[] = [];
  for (const feature of compiled.features) {
    if (serverOnly?.has(feature.featureId)) continue;
    const identityOverride = identityOverrides.get(feature.featureId);
    const won = identityOverride ? undefined : feature.segmentOverrides.find((o) => isMember[o.segmentIndex]);
    const f = feature.environmentDefault.feature;
    const flag = identityOverride
      ? decide(f, identityOverride, identity.key, { source: 'IDENTITY', segment: null, reason: IDENTITY_OVERRIDE_REASON })
      : won
        ? decide(f, won.featureState, identity.key, { source: 'SEGMENT', segment: won.segment, reason: won.reason })
        : decide(f, feature.environmentDefault, identity.key, { source: 'ENVIRONMENT', segment: null, reason: 'DEFAULT' });
    if (hideDisabled && !flag.enabled) continue;
    flags.push(flag);
  }
  return flags;
}
