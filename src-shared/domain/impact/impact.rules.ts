import type {
  EnvironmentDocument,
  FeatureDocument,
  FeatureStateDocument,
  FlagValueWire,
  MultivariateFeatureStateValueDocument,
  SegmentDocument,
  SegmentRuleDocument,
} from '../../contracts/sdk/environment-document.schema.js';
import { identityHashKey, type EvaluatedFlag, type TraitInput } from '../evaluation/feature-states.js';
import { compileEnvironmentDocument, evaluateIdentity, type CompiledDocument } from '../evaluation/compiled-document.js';
import { featureStateValueOf } from '../flags/feature-state-value.rules.js';
import type { FlagStateContent, VersionContent } from '../versioning/version-content.js';

/**
 * Impact preview (issue 14): who a change to one or more features would affect, evaluated with the same
 * engine the SDKs run (`evaluateIdentity` on the compiled document, what `getIdentityFeatureStates` runs), identity by identity.
 *
 * The trick that keeps it one engine and one pass: the preview document holds each previewed feature
 * twice, as it is live (feature id `f`) and as the change would make it (feature id `-f`), with only
 * the segments that override one of them. One evaluation per identity then gives both flags, and each
 * segment's rules are evaluated once. The candidate's feature states take the hashing key (django_id /
 * featurestate_uuid) of the live state at the same place (environment default, or the same segment), so
 * variant buckets are what they will be once published; an override the change adds has no state yet,
 * and its variant split is estimated with a provisional key (`hasProvisionalBuckets`).
 */

/** Which rule decides a flag for an identity under the change. */
export const ImpactRuleKind = {
  ENVIRONMENT_DEFAULT: 'ENVIRONMENT_DEFAULT',
  SEGMENT_OVERRIDE: 'SEGMENT_OVERRIDE',
  IDENTITY_OVERRIDE: 'IDENTITY_OVERRIDE',
} as const;
export type ImpactRuleKind = (typeof ImpactRuleKind)[keyof typeof ImpactRuleKind];

/** The kinds of change counted; an identity may count in several. */
export const ImpactChangeKind = { ENABLED: 'enabled', VALUE: 'value', VARIANT: 'variant' } as const;
export type ImpactChangeKind = (typeof ImpactChangeKind)[keyof typeof ImpactChangeKind];

/** Examples kept per kind of change. */
export const IMPACT_EXAMPLES_PER_KIND = 20;

/** One feature to preview: its content under the change, and the values of its multivariate options. */
export interface ImpactFeatureInput {
  featureId: number;
  content: VersionContent;
  /** Option id (decimal string) → option value, for allocations the live state does not have yet. */
  optionValues: Readonly<Record<string, FlagValueWire>>;
}

/** The prepared preview: the two-sided document and what identities must be read for it. */
export interface ImpactModel {
  document: EnvironmentDocument;
  /** `document` compiled once for the engine (segments once per identity, winners pre-ordered). */
  compiled: CompiledDocument;
  featureIds: readonly number[];
  /**
   * Trait keys the evaluation reads (segment rule properties); null when a rule reads traits through a
   * JSONPath, so every trait is needed.
   */
  traitKeys: readonly string[] | null;
  /** Segment names and whether their rules split by percentage, by segment id. */
  segments: ReadonlyMap<number, { name: string; isPercentageSplit: boolean }>;
  /** Whether a variant split of an override the change adds is estimated (no state id to hash with yet). */
  hasProvisionalBuckets: boolean;
  /** Each identity's overrides of the previewed features, live and candidate side (the same override), by identifier. */
  identityOverrides: ReadonlyMap<string, readonly FeatureStateDocument[]>;
}

/** An identity as stored: database id, identifier and traits. */
export interface ImpactIdentity {
  id: number;
  identifier: string;
  traits: readonly TraitInput[];
}

function candidateFeature(feature: FeatureDocument): FeatureDocument {
  return { ...feature, id: -feature.id };
}

function mvValues(
  state: FlagStateContent,
  template: FeatureStateDocument | undefined,
  optionValues: Readonly<Record<string, FlagValueWire>>,
  provisionalId: string,
): MultivariateFeatureStateValueDocument[] {
  const existing = new Map((template?.multivariate_feature_state_values ?? []).map((v) => [String(v.multivariate_feature_option.id), v]));
  // A new allocation row gets an id above every existing one when it is saved; ordering new ones after
  // the existing ones, by option id, is that order.
  const maxId = Math.max(0, ...[...existing.values()].map((v) => v.id ?? 0));
  return Object.entries(state.multivariateWeights).map(([optionId, weight], index) => {
    const known = existing.get(optionId);
    if (known) return { ...known, percentage_allocation: weight };
    return {
      id: maxId + 1 + index,
      multivariate_feature_option: { id: Number(optionId), value: optionValues[optionId] ?? null },
      percentage_allocation: weight,
      mv_fs_value_uuid: `${provisionalId}-mv-${optionId}`,
    };
  });
}

function candidateState(
  feature: FeatureDocument,
  state: FlagStateContent,
  template: FeatureStateDocument | undefined,
  optionValues: Readonly<Record<string, FlagValueWire>>,
  place: { provisionalId: string; priority: number | null },
): FeatureStateDocument {
  return {
    feature: candidateFeature(feature),
    enabled: state.enabled,
    feature_state_value: featureStateValueOf(state.value),
    django_id: template?.django_id ?? null,
    featurestate_uuid: template?.featurestate_uuid ?? place.provisionalId,
    feature_segment: place.priority === null ? null : { priority: place.priority },
    multivariate_feature_state_values: mvValues(state, template, optionValues, place.provisionalId),
  };
}

function hasPercentageSplit(rules: readonly SegmentRuleDocument[]): boolean {
  return rules.some((r) => (r.conditions ?? []).some((c) => c.operator === 'PERCENTAGE_SPLIT') || hasPercentageSplit(r.rules ?? []));
}

/** Adds the trait keys the rules read to `keys`; false when a rule reads traits by JSONPath (all are needed). */
function collectTraitKeys(rules: readonly SegmentRuleDocument[], keys: Set<string>): boolean {
  for (const rule of rules) {
    for (const c of rule.conditions ?? []) {
      const property = c.property_ ?? '';
      if (!property) continue;
      // A property that looks like a JSONPath may also be a trait's literal name.
      keys.add(property);
      if (property.startsWith('$.') && !property.startsWith('$.identity.identifier') && !property.startsWith('$.identity.key') && !property.startsWith('$.environment.')) return false;
    }
    if (!collectTraitKeys(rule.rules ?? [], keys)) return false;
  }
  return true;
}

/**
 * The preview document for `features` against the live document `live`: the previewed features, live
 * and candidate side by side, the segments overriding either, and no identity overrides (they are
 * passed per identity from `identityOverrides`, see `evaluateImpact`). Throws when a feature is not in
 * the document.
 */
export function buildImpactModel(live: EnvironmentDocument, features: readonly ImpactFeatureInput[]): ImpactModel {
  const ids = new Set(features.map((f) => f.featureId));
  const defaults: FeatureStateDocument[] = [];
  const segmentStates = new Map<number, FeatureStateDocument[]>();
  let hasProvisionalBuckets = false;
  for (const input of features) {
    const liveDefault = live.feature_states.find((fs) => fs.feature.id === input.featureId);
    if (!liveDefault) throw new Error(`feature ${input.featureId} is not in the environment document`);
    const feature = liveDefault.feature;
    defaults.push(liveDefault, candidateState(feature, input.content.environmentDefault, liveDefault, input.optionValues, { provisionalId: `preview-${feature.id}`, priority: null }));
    for (const segment of live.project.segments) {
      const liveOverride = segment.feature_states.find((fs) => fs.feature.id === input.featureId);
      const next = input.content.segmentOverrides[String(segment.id)];
      const list = segmentStates.get(segment.id) ?? [];
      if (liveOverride) list.push(liveOverride);
      if (next) {
        if (!liveOverride && Object.keys(next.multivariateWeights).length > 0) hasProvisionalBuckets = true;
        list.push(candidateState(feature, next, liveOverride, input.optionValues, { provisionalId: `preview-${feature.id}-${segment.id}`, priority: next.priority }));
      }
      if (list.length > 0) segmentStates.set(segment.id, list);
    }
  }
  const segments: SegmentDocument[] = live.project.segments.filter((s) => segmentStates.has(s.id)).map((s) => ({ ...s, feature_states: segmentStates.get(s.id) ?? [] }));
  const keys = new Set<string>();
  const readsAllTraits = segments.some((s) => !collectTraitKeys(s.rules, keys));
  // An identity override is outside versions: the same override decides both sides.
  const identityOverrides = new Map<string, FeatureStateDocument[]>();
  for (const o of live.identity_overrides) {
    const own = o.identity_features.filter((fs) => ids.has(fs.feature.id));
    if (own.length > 0) identityOverrides.set(o.identifier, own.flatMap((fs) => [fs, { ...fs, feature: candidateFeature(fs.feature) }]));
  }
  const document: EnvironmentDocument = { ...live, project: { ...live.project, segments, server_key_only_feature_ids: [] }, feature_states: defaults, identity_overrides: [] };
  return {
    document,
    compiled: compileEnvironmentDocument(document),
    featureIds: features.map((f) => f.featureId),
    traitKeys: readsAllTraits ? null : [...keys].sort(),
    segments: new Map(segments.map((s) => [s.id, { name: s.name, isPercentageSplit: hasPercentageSplit(s.rules) }])),
    hasProvisionalBuckets,
    identityOverrides,
  };
}

/** One feature's flag for one identity, live and under the change (`next.feature.id` is the negated id). */
export interface ImpactPair {
  featureId: number;
  live: EvaluatedFlag;
  next: EvaluatedFlag;
}

/** Evaluates an identity once against the preview document: a live / candidate pair per previewed feature. */
export function evaluateImpact(model: ImpactModel, identity: ImpactIdentity): ImpactPair[] {
  const doc = model.document;
  const key = identityHashKey({ environmentApiKey: doc.api_key, identifier: identity.identifier, identityId: identity.id, useCompositeKey: doc.use_identity_composite_key_for_hashing });
  const overrides = model.identityOverrides.get(identity.identifier) ?? [];
  const flags = evaluateIdentity(model.compiled, { identifier: identity.identifier, key, overrides }, identity.traits, { hideDisabledFlags: false, excludeServerKeyOnly: false });
  const byId = new Map(flags.map((f) => [f.feature.id, f]));
  return model.featureIds.flatMap((featureId) => {
    const live = byId.get(featureId);
    const next = byId.get(-featureId);
    return live && next ? [{ featureId, live, next }] : [];
  });
}

/** What changes for an identity between two flags. */
export function changesOf(pair: Pick<ImpactPair, 'live' | 'next'>): ImpactChangeKind[] {
  const out: ImpactChangeKind[] = [];
  if (pair.live.enabled !== pair.next.enabled) out.push(ImpactChangeKind.ENABLED);
  if (pair.live.value !== pair.next.value) out.push(ImpactChangeKind.VALUE);
  const variantOf = (f: EvaluatedFlag) => f.variant?.multivariate_feature_option.id ?? null;
  if (variantOf(pair.live) !== variantOf(pair.next)) out.push(ImpactChangeKind.VARIANT);
  return out;
}

/** The rule that decides a flag, as a stable key and its description. */
export function ruleOf(flag: EvaluatedFlag): { key: string; kind: ImpactRuleKind; segmentId: number | null } {
  if (flag.source === 'IDENTITY') return { key: 'identity', kind: ImpactRuleKind.IDENTITY_OVERRIDE, segmentId: null };
  if (flag.source === 'SEGMENT' && flag.segment) return { key: `segment:${flag.segment.id}`, kind: ImpactRuleKind.SEGMENT_OVERRIDE, segmentId: flag.segment.id };
  return { key: 'default', kind: ImpactRuleKind.ENVIRONMENT_DEFAULT, segmentId: null };
}
