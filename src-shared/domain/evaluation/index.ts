/**
 * The flag evaluation engine (ARCHITECTURE.md D9): Flagsmith's engine in TypeScript, pure and
 * deterministic, so the server's remote evaluation and the official SDKs' local evaluation (which run
 * the engine on the environment document) agree flag for flag.
 */
export { getHashedPercentageForObjectIds, percentageOfMd5Hex, type HashableId } from './hashing.js';
export { getContextValue, toTraitValue, type EvaluationContext, type TraitValue } from './context.js';
export { contextMatchesCondition, contextMatchesRule, isContextInSegment, type ConditionInput, type SegmentToEvaluate } from './segment-evaluator.js';
export { featureStateHashKey, getMultivariateVariant, sortMultivariateValues } from './multivariate.js';
export {
  buildEvaluationContext,
  getEnvironmentFeatureStates,
  getIdentityFeatureStates,
  getIdentitySegments,
  hideDisabledFlagsOf,
  identityHashKey,
  type EvaluatedFlag,
  type EvaluationOptions,
  type FlagSource,
  type IdentityInput,
  type TraitInput,
} from './feature-states.js';
export { compileEnvironmentDocument, evaluateIdentity, type CompiledDocument } from './compiled-document.js';
export { toSdkFlag, toSdkTraits, type SdkFlagMeta } from './sdk-flags.js';
