import type {
  EnvironmentDocument,
  FeatureDocument,
  FeatureStateDocument,
  FlagValueWire,
  MultivariateFeatureStateValueDocument,
  SegmentDocument,
} from '../../contracts/sdk/environment-document.schema.js';
import { buildEvaluationContext } from './context.js';
import { compileEnvironmentDocument, evaluateIdentity } from './compiled-document.js';
import { isContextInSegment } from './segment-evaluator.js';

export { buildEvaluationContext };

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
 * An identity's flags: identity override, else the winning segment override, else the environment default;
 * each split between its variants, if it has any. Callers evaluating many identities on one document
 * compile it once (`compileEnvironmentDocument`) and call `evaluateIdentity`.
 */
export function getIdentityFeatureStates(
  doc: EnvironmentDocument,
  identity: IdentityInput,
  traits: readonly TraitInput[],
  options: EvaluationOptions = {},
): EvaluatedFlag[] {
  return evaluateIdentity(compileEnvironmentDocument(doc), identity, traits, options);
}
