import type { FeatureImpactWire, ImpactRuleWire } from '../../contracts/http/impact.contract.js';
import { changesOf, evaluateImpact, IMPACT_EXAMPLES_PER_KIND, ImpactRuleKind, ruleOf, type ImpactIdentity, type ImpactModel } from './impact.rules.js';

/**
 * Counting an impact preview as identities stream through it (batch by batch, in bounded memory: the
 * tally keeps counts and at most 20 examples per kind, never the identities).
 */

interface FeatureTally {
  featureId: number;
  featureName: string;
  evaluated: number;
  changed: { any: number; enabled: number; value: number; variant: number };
  rules: Map<string, ImpactRuleWire>;
  examples: { enabled: string[]; value: string[]; variant: string[] };
}

export interface ImpactTally {
  readonly model: ImpactModel;
  evaluated: number;
  changedAny: number;
  features: FeatureTally[];
}

export function createImpactTally(model: ImpactModel): ImpactTally {
  const names = new Map(model.document.feature_states.map((fs) => [fs.feature.id, fs.feature.name]));
  return {
    model,
    evaluated: 0,
    changedAny: 0,
    features: model.featureIds.map((featureId) => ({
      featureId,
      featureName: names.get(featureId) ?? String(featureId),
      evaluated: 0,
      changed: { any: 0, enabled: 0, value: 0, variant: 0 },
      rules: new Map(),
      examples: { enabled: [], value: [], variant: [] },
    })),
  };
}

function ruleEntry(tally: ImpactTally, feature: FeatureTally, rule: ReturnType<typeof ruleOf>): ImpactRuleWire {
  let entry = feature.rules.get(rule.key);
  if (!entry) {
    const segment = rule.segmentId === null ? undefined : tally.model.segments.get(rule.segmentId);
    entry = { kind: rule.kind, segment_id: rule.segmentId, segment_name: segment?.name ?? null, is_percentage_split: segment?.isPercentageSplit ?? false, identities: 0, changed: 0, variant_split: 0 };
    feature.rules.set(rule.key, entry);
  }
  return entry;
}

/** Evaluates one identity and counts it. */
export function tallyIdentity(tally: ImpactTally, identity: ImpactIdentity): void {
  tally.evaluated += 1;
  let isChanged = false;
  const pairs = evaluateImpact(tally.model, identity);
  for (const pair of pairs) {
    const feature = tally.features.find((f) => f.featureId === pair.featureId);
    if (!feature) continue;
    feature.evaluated += 1;
    const entry = ruleEntry(tally, feature, ruleOf(pair.next));
    entry.identities += 1;
    if (pair.next.variant) entry.variant_split += 1;
    const changes = changesOf(pair);
    if (changes.length === 0) continue;
    isChanged = true;
    entry.changed += 1;
    feature.changed.any += 1;
    for (const kind of changes) {
      feature.changed[kind] += 1;
      const examples = feature.examples[kind];
      if (examples.length < IMPACT_EXAMPLES_PER_KIND) examples.push(identity.identifier);
    }
  }
  if (isChanged) tally.changedAny += 1;
}

/** Ties in the rule breakdown list the default first and identity overrides last. */
const KIND_ORDER: readonly string[] = [ImpactRuleKind.ENVIRONMENT_DEFAULT, ImpactRuleKind.SEGMENT_OVERRIDE, ImpactRuleKind.IDENTITY_OVERRIDE];

/** The tally as the API shows it: rules with most identities first. */
export function featureImpactsOf(tally: ImpactTally): FeatureImpactWire[] {
  return tally.features.map((f) => ({
    feature_id: f.featureId,
    feature_name: f.featureName,
    identities_evaluated: f.evaluated,
    changed: { ...f.changed },
    rules: [...f.rules.values()].map((r) => ({ ...r })).sort((a, b) => b.identities - a.identities || KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind) || (a.segment_id ?? 0) - (b.segment_id ?? 0)),
    examples: { enabled: [...f.examples.enabled], value: [...f.examples.value], variant: [...f.examples.variant] },
    has_provisional_buckets: tally.model.hasProvisionalBuckets,
  }));
}

/**
 * The sentence a screen shows for a feature's impact, e.g. "changes the value for 1,204 of 48,310
 * known identities (2.5%)". `locale` formats the numbers.
 */
export function describeFeatureImpact(impact: Pick<FeatureImpactWire, 'identities_evaluated' | 'changed'>, locale = 'en-US'): string {
  const n = (x: number) => x.toLocaleString(locale);
  const total = impact.identities_evaluated;
  if (total === 0) return 'No identities are stored in this environment, so the impact cannot be computed.';
  const { any, enabled, value, variant } = impact.changed;
  if (any === 0) return `Changes nothing for the ${n(total)} known identities.`;
  const pct = (x: number) => `${((x / total) * 100).toLocaleString(locale, { maximumFractionDigits: x / total < 0.001 ? 2 : 1 })}%`;
  const parts: string[] = [];
  if (value > 0) parts.push(`the value for ${n(value)}`);
  if (enabled > 0) parts.push(`the enabled state for ${n(enabled)}`);
  if (variant > 0 && variant !== value) parts.push(`the variant for ${n(variant)}`);
  const what = parts.length > 0 ? parts.join(', ') : `the flag for ${n(any)}`;
  return `Changes ${what} of ${n(total)} known identities (${pct(any)} affected).`;
}
