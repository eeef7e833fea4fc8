import type {
  EnvironmentDocument,
  FeatureDocument,
  FeatureStateDocument,
  FlagValueWire,
  MultivariateFeatureStateValueDocument,
  SegmentDocument,
} from '../../contracts/sdk/environment-document.schema.js';
import { toTraitValue, type EvaluationContext, type TraitValue } from './context.js';
import { getMultivariateVariant } from './multivariate.js';
import { pythonStr } from './python-values.js';
import { isContextInSegment } from './segment-evaluator.js';

/**
 * The flags of an environment, and of one identity in it, from an environment document: the
 * Flagsmith engine's `get_evaluation_result`. For an identity, each feature takes, from highest to
 * lowest precedence:
 *   1. the identity's own override;
 *   2. the override of a segment the identity is in; when several segments the identity is in
 *      override the feature, the one with the lowest `feature_segment.priority` wins (0 is the
 *      highest priority; an override without priority loses to any with one; on a tie the segment
 *      listed first in the document wins);
 *   3. the environment default.
 * Whichever feature state decides, when it carries multivariate allocations the identity gets a variant
 * by hashing [that feature state's key, identity key] (`getMultivariateVariant`), and the reason becomes
 * `SPLIT; weight=<w>`; an identity outside every allocation keeps the state's own (control) value and
 * its targeting reason. So a segment override (or identity override) with its own weights is split
 * between its variants. This is what the official SDKs do in local evaluation (flagsmith-nodejs 8.x
 * `evaluateFeatures`: overrides keep their `variants` and go through the same split as defaults), and
 * what Flagsmith's remote evaluation does (`FeatureState.get_feature_state_value` splits any
 * multivariate feature state for an identity), so local and remote evaluation agree.
 */

/** Which kind of feature state decided a flag. */
export type FlagSource = 'ENVIRONMENT' | 'SEGMENT' | 'IDENTITY';

/** One evaluated flag. */
export interface EvaluatedFlag {
  feature: FeatureDocument;
  enabled: boolean;
  value: FlagValueWire;
  /** The feature state that decided the flag (environment default, segment override or identity override). */
  featureState: FeatureStateDocument;
  source: FlagSource;
  /** The segment whose override decided the flag (source SEGMENT). */
  segment: SegmentDocument | null;
  /** The multivariate allocation the identity got, when the value comes from one. */
  variant: MultivariateFeatureStateValueDocument | null;
  /** The engine's reason: `DEFAULT`, `SPLIT; weight=30`, `TARGETING_MATCH; segment=<name>` (`identity_overrides` for identity overrides). */
  reason: string;
}

/** A trait as SDKs send it and the document stores it. */
export interface TraitInput {
  trait_key: string;
  trait_value: unknown;
}

/** The identity to evaluate. */
export interface IdentityInput {
  identifier: string;
  /** Hash key for percentage splits and variants: see `identityHashKey`. */
  key: string;
  /**
   * The identity's overrides. When omitted, those listed for this identifier in the document's
   * `identity_overrides` (what SDKs use in local evaluation).
   */
  overrides?: readonly FeatureStateDocument[];
}

export interface EvaluationOptions {
  /**
   * Leave out features in `project.server_key_only_feature_ids` (for callers using a client-side key).
   * Default false.
   */
  excludeServerKeyOnly?: boolean;
  /** Leave out disabled flags. Default: `hideDisabledFlagsOf(doc)`. */
  hideDisabledFlags?: boolean;
}

/** Segment overrides without priority rank after every prioritised one (the engine's DEFAULT_PRIORITY). */
const DEFAULT_PRIORITY = Number.POSITIVE_INFINITY;
const IDENTITY_OVERRIDES_SEGMENT_NAME = 'identity_overrides';

/**
 * The identity's hash key, as Flagsmith's `Identity.get_hash_key`: `<environment api key>_<identifier>`
 * (the "composite key", which is also what SDKs in local evaluation use) when the environment hashes by
 * composite key or the identity has no database id; otherwise the database id.
 */
export function identityHashKey(args: { environmentApiKey: string; identifier: string; identityId?: number | null; useCompositeKey: boolean }): string {
  if (args.useCompositeKey || !args.identityId) return `${args.environmentApiKey}_${args.identifier}`;
  return String(args.identityId);
}

/** Whether SDKs get disabled flags: the environment's setting when set, else the project's. */
export function hideDisabledFlagsOf(doc: Pick<EnvironmentDocument, 'hide_disabled_flags' | 'project'>): boolean {
  return doc.hide_disabled_flags ?? doc.project.hide_disabled_flags;
}

/** The evaluation context of an identity in the document's environment; trait values are typed as the engine types them. */
export function buildEvaluationContext(doc: Pick<EnvironmentDocument, 'api_key' | 'name'>, identity: Pick<IdentityInput, 'identifier' | 'key'>, traits: readonly TraitInput[]): EvaluationContext {
  const traitValues: Record<string, TraitValue> = {};
  for (const trait of traits) traitValues[trait.trait_key] = toTraitValue(trait.trait_value);
  return { environment: { key: doc.api_key, name: doc.name }, identity: { identifier: identity.identifier, key: identity.key, traits: traitValues } };
}

function segmentKey(segment: SegmentDocument): string {
  return String(segment.id);
}

/** The document's segments the identity is in, in document order. */
export function getIdentitySegments(doc: EnvironmentDocument, identity: Pick<IdentityInput, 'identifier' | 'key'>, traits: readonly TraitInput[]): SegmentDocument[] {
  const context = buildEvaluationContext(doc, identity, traits);
  return doc.project.segments.filter((segment) => isContextInSegment(context, { key: segmentKey(segment), rules: segment.rules }));
}

function applyFilters(doc: EnvironmentDocument, flags: EvaluatedFlag[], options: EvaluationOptions): EvaluatedFlag[] {
  const hideDisabled = options.hideDisabledFlags ?? hideDisabledFlagsOf(doc);
  const serverOnly = options.excludeServerKeyOnly ? new Set(doc.project.server_key_only_feature_ids) : null;
  return flags.filter((flag) => !(hideDisabled && !flag.enabled) && !serverOnly?.has(flag.feature.id));
}

/** The environment's flags without an identity: every environment default with its own (control) value. */
export function getEnvironmentFeatureStates(doc: EnvironmentDocument, options: EvaluationOptions = {}): EvaluatedFlag[] {
  const flags = doc.feature_states.map(
    (fs): EvaluatedFlag => ({
      feature: fs.feature,
      enabled: fs.enabled,
      value: fs.feature_state_value,
      featureState: fs,
      source: 'ENVIRONMENT',
      segment: null,
      variant: null,
      reason: 'DEFAULT',
    }),
  );
  return applyFilters(doc, flags, options);
}

/**
 * The flag a feature state gives an identity: its variant when the identity's hash falls in one of its
 * multivariate allocations, else its own value with the reason of the state's kind.
 */
function decide(
  feature: FeatureDocument,
  featureState: FeatureStateDocument,
  identityKey: string,
  kind: { source: FlagSource; segment: SegmentDocument | null; reason: string },
): EvaluatedFlag {
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

/** An identity's flags: identity override, else the winning segment override, else the environment default; each split between its variants, if it has any. */
export function getIdentityFeatureStates(
  doc: EnvironmentDocument,
  identity: IdentityInput,
  traits: readonly TraitInput[],
  options: EvaluationOptions = {},
): EvaluatedFlag[] {
  const context = buildEvaluationContext(doc, identity, traits);

  const segmentOverrides = new Map<number, { fs: FeatureStateDocument; segment: SegmentDocument; priority: number }>();
  for (const segment of doc.project.segments) {
    if (segment.feature_states.length === 0) continue;
    if (!isContextInSegment(context, { key: segmentKey(segment), rules: segment.rules })) continue;
    for (const fs of segment.feature_states) {
      const priority = fs.feature_segment?.priority ?? DEFAULT_PRIORITY;
      const current = segmentOverrides.get(fs.feature.id);
      if (!current || priority < current.priority) segmentOverrides.set(fs.feature.id, { fs, segment, priority });
    }
  }

  const identityOverrides = new Map<number, FeatureStateDocument>();
  const overrides = identity.overrides ?? doc.identity_overrides.find((o) => o.identifier === identity.identifier)?.identity_features ?? [];
  for (const fs of overrides) if (!identityOverrides.has(fs.feature.id)) identityOverrides.set(fs.feature.id, fs);

  const flags = doc.feature_states.map((fs): EvaluatedFlag => {
    const identityOverride = identityOverrides.get(fs.feature.id);
    if (identityOverride) return decide(fs.feature, identityOverride, identity.key, { source: 'IDENTITY', segment: null, reason: `TARGETING_MATCH; segment=${IDENTITY_OVERRIDES_SEGMENT_NAME}` });
    const segmentOverride = segmentOverrides.get(fs.feature.id);
    if (segmentOverride) return decide(fs.feature, segmentOverride.fs, identity.key, { source: 'SEGMENT', segment: segmentOverride.segment, reason: `TARGETING_MATCH; segment=${segmentOverride.segment.name}` });
    return decide(fs.feature, fs, identity.key, { source: 'ENVIRONMENT', segment: null, reason: 'DEFAULT' });
  });
  return applyFilters(doc, flags, options);
}
