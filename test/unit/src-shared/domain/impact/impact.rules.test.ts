import { describe, expect, test } from 'vitest';
import { buildImpactModel, evaluateImpact } from '../../../../../src-shared/domain/impact/impact.rules.js';
import { createImpactTally, describeFeatureImpact, featureImpactsOf, tallyIdentity } from '../../../../../src-shared/domain/impact/impact-tally.rules.js';
import { getIdentityFeatureStates } from '../../../../../src-shared/domain/evaluation/feature-states.js';
import type { SegmentDocument } from '../../../../../src-shared/contracts/sdk/environment-document.schema.js';
import { IMPACT_FEATURE, flagContent, impactDocument, liveState, onOffContent, overrideContent } from '../../../../support/impact-fixtures.js';

const segment = (id: number, name: string, conditions: SegmentDocument['rules'][number]['conditions'], overrides = [] as SegmentDocument['feature_states']): SegmentDocument => ({
  id,
  name,
  rules: [{ type: 'ALL', rules: [{ type: 'ANY', rules: [], conditions }], conditions: [] }],
  feature_states: overrides,
});
const identity = (id: number, identifier: string, traits: Record<string, unknown> = {}) => ({ id, identifier, traits: Object.entries(traits).map(([trait_key, trait_value]) => ({ trait_key, trait_value })) });

describe('impact preview rules', () => {
  test('each side is what the engine gives the identity with that content live', () => {
    const pro = segment(7, 'pro', [{ operator: 'EQUAL', property_: 'plan', value: 'pro' }]);
    const live = impactDocument([pro]);
    const model = buildImpactModel(live, [onOffContent(true, { 7: overrideContent(0, true, 'pro-only') })]);
    const user = identity(1, 'u1', { plan: 'pro' });
    const [pair] = evaluateImpact(model, user);
    const liveFlag = getIdentityFeatureStates(live, { identifier: 'u1', key: 'env-key_u1' }, user.traits)[0]!;
    expect(pair!.live).toMatchObject({ enabled: liveFlag.enabled, value: liveFlag.value, source: 'ENVIRONMENT' });
    expect(pair!.next).toMatchObject({ enabled: true, value: 'pro-only', source: 'SEGMENT', segment: { id: 7 } });
  });

  test('reads only the trait keys the overriding segments use, or all of them for a JSONPath into traits', () => {
    const a = segment(1, 'a', [{ operator: 'EQUAL', property_: 'plan', value: 'pro' }]);
    const b = segment(2, 'b', [{ operator: 'PERCENTAGE_SPLIT', property_: '', value: '10' }, { operator: 'IN', property_: '$.identity.identifier', value: 'x,y' }]);
    const unused = segment(3, 'unused', [{ operator: 'EQUAL', property_: 'country', value: 'de' }]);
    const model = buildImpactModel(impactDocument([a, b, unused]), [onOffContent(true, { 1: overrideContent(0, true), 2: overrideContent(1, true) })]);
    expect(model.traitKeys).toEqual(['$.identity.identifier', 'plan']);
    expect([...model.segments.keys()]).toEqual([1, 2]);
    expect(model.segments.get(2)).toEqual({ name: 'b', isPercentageSplit: true });
    const byPath = segment(4, 'path', [{ operator: 'EQUAL', property_: '$.identity.traits.plan', value: 'pro' }]);
    expect(buildImpactModel(impactDocument([byPath]), [onOffContent(true, { 4: overrideContent(0, true) })]).traitKeys).toBeNull();
  });

  test('variants keep the live state’s bucketing key, so only a reweight’s moved band changes; a new override’s split is provisional', () => {
    const mv = (weights: [number, number]) => [
      { id: 1, multivariate_feature_option: { id: 501, value: 'red' }, percentage_allocation: weights[0], mv_fs_value_uuid: 'mv-1' },
      { id: 2, multivariate_feature_option: { id: 502, value: 'blue' }, percentage_allocation: weights[1], mv_fs_value_uuid: 'mv-2' },
    ];
    const live = impactDocument([], [liveState({ enabled: true, multivariate_feature_state_values: mv([50, 50]) })]);
    const model = buildImpactModel(live, [{ featureId: IMPACT_FEATURE.id, content: { environmentDefault: flagContent(true, null, { 501: 50, 502: 50 }), segmentOverrides: {} }, optionValues: {} }]);
    const tally = createImpactTally(model);
    for (let i = 0; i < 200; i++) tallyIdentity(tally, identity(i + 1, `user-${i}`));
    expect(featureImpactsOf(tally)[0]!.changed).toEqual({ any: 0, enabled: 0, value: 0, variant: 0 });
    expect(model.hasProvisionalBuckets).toBe(false);

    const reweighted = buildImpactModel(live, [{ featureId: IMPACT_FEATURE.id, content: { environmentDefault: flagContent(true, null, { 501: 20, 502: 80 }), segmentOverrides: {} }, optionValues: {} }]);
    const t2 = createImpactTally(reweighted);
    for (let i = 0; i < 200; i++) tallyIdentity(t2, identity(i + 1, `user-${i}`));
    for (let i = 0; i < 200; i++) {
      const [pair] = evaluateImpact(reweighted, identity(i + 1, `user-${i}`));
      // Shrinking red from 50% to 20% only ever moves red → blue.
      if (pair!.live.value !== pair!.next.value) expect([pair!.live.value, pair!.next.value]).toEqual(['red', 'blue']);
    }
    const moved = featureImpactsOf(t2)[0]!.changed.variant;
    expect(moved).toBeGreaterThan(30);
    expect(moved).toBeLessThan(90);

    const seg = segment(9, 'beta', [{ operator: 'EQUAL', property_: 'beta', value: 'true' }]);
    const withNew = buildImpactModel(impactDocument([seg]), [onOffContent(false, { 9: overrideContent(0, true, null, { 501: 50 }) })]);
    expect(withNew.hasProvisionalBuckets).toBe(true);
  });

  test('an identity override decides both sides, so it never counts as changed', () => {
    const live = impactDocument([], [liveState()], [
      { identifier: 'vip', environment_api_key: 'env-key', created_date: '2026-01-01T00:00:00.000Z', identity_uuid: 'i-vip', django_id: 5, identity_features: [liveState({ django_id: 900, featurestate_uuid: 'fs-900', enabled: true, feature_state_value: 'mine' })], identity_traits: [] },
    ]);
    const tally = createImpactTally(buildImpactModel(live, [onOffContent(true)]));
    tallyIdentity(tally, identity(5, 'vip'));
    tallyIdentity(tally, identity(6, 'plain'));
    const [impact] = featureImpactsOf(tally);
    expect(impact!.changed).toEqual({ any: 1, enabled: 1, value: 0, variant: 0 });
    expect(impact!.rules).toEqual([
      { kind: 'ENVIRONMENT_DEFAULT', segment_id: null, segment_name: null, is_percentage_split: false, identities: 1, changed: 1, variant_split: 0 },
      { kind: 'IDENTITY_OVERRIDE', segment_id: null, segment_name: null, is_percentage_split: false, identities: 1, changed: 0, variant_split: 0 },
    ]);
    expect(impact!.examples).toEqual({ enabled: ['plain'], value: [], variant: [] });
  });

  test('keeps at most 20 examples per kind and describes the impact in one sentence', () => {
    const tally = createImpactTally(buildImpactModel(impactDocument(), [onOffContent(true)]));
    for (let i = 0; i < 48_310; i++) if (i < 1204) tallyIdentity(tally, identity(i + 1, `user-${i}`));
    const [impact] = featureImpactsOf(tally);
    expect(impact!.examples.enabled).toHaveLength(20);
    expect(describeFeatureImpact({ identities_evaluated: 48_310, changed: { any: 1204, enabled: 0, value: 1204, variant: 0 } })).toBe('Changes the value for 1,204 of 48,310 known identities (2.5% affected).');
    expect(describeFeatureImpact({ identities_evaluated: 10, changed: { any: 0, enabled: 0, value: 0, variant: 0 } })).toBe('Changes nothing for the 10 known identities.');
    expect(describeFeatureImpact({ identities_evaluated: 0, changed: { any: 0, enabled: 0, value: 0, variant: 0 } })).toBe('No identities are stored in this environment, so the impact cannot be computed.');
  });
});
