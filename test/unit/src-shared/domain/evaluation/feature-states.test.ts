import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FormatRegistry } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { describe, expect, test } from 'vitest';
import { Flagsmith, LocalFileHandler } from 'flagsmith-nodejs';
import { EnvironmentDocumentSchema } from '../../../../../src-shared/contracts/sdk/environment-document.schema.js';
import {
  getEnvironmentFeatureStates,
  getIdentityFeatureStates,
  getIdentitySegments,
  hideDisabledFlagsOf,
  identityHashKey,
  type EvaluatedFlag,
} from '../../../../../src-shared/domain/evaluation/feature-states.js';
import { getMultivariateVariant } from '../../../../../src-shared/domain/evaluation/multivariate.js';
import { condition, ENGINE_TEST_CASES, environmentDocument, featureState, rule, segment, TEST_ENVIRONMENT } from './engine-test-data.fixture.js';

// TypeBox's Value checks formats only once registered (Fastify's Ajv has them built in).
if (!FormatRegistry.Has('date-time')) FormatRegistry.Set('date-time', (v) => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/.test(v));

const byName = (flags: EvaluatedFlag[]) => Object.fromEntries(flags.map((f) => [f.feature.name, { enabled: f.enabled, value: f.value, reason: f.reason }]));
const traitsOf = (traits: Record<string, unknown>) => Object.entries(traits).map(([trait_key, trait_value]) => ({ trait_key, trait_value }));

describe('the engine-test-data environment', () => {
  test('is a valid environment document', () => {
    expect([...Value.Errors(EnvironmentDocumentSchema, TEST_ENVIRONMENT)]).toEqual([]);
  });

  test.each(ENGINE_TEST_CASES.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const identity = { identifier: c.identifier, key: c.key };
    expect(byName(getIdentityFeatureStates(TEST_ENVIRONMENT, identity, traitsOf(c.traits)))).toEqual(c.flags);
    expect(getIdentitySegments(TEST_ENVIRONMENT, identity, traitsOf(c.traits)).map((s) => s.name)).toEqual(c.segments);
  });

  test('environment flags are the defaults with their control values', () => {
    const flags = getEnvironmentFeatureStates(TEST_ENVIRONMENT);
    expect(flags.map((f) => [f.feature.name, f.enabled, f.value, f.source])).toEqual([
      ['string_feature', true, 'foo', 'ENVIRONMENT'],
      ['integer_feature', true, 1234, 'ENVIRONMENT'],
      ['basic_flag', false, '', 'ENVIRONMENT'],
      ['float_feature', true, '12.34', 'ENVIRONMENT'],
      ['mv_feature', true, 'foo', 'ENVIRONMENT'],
    ]);
  });
});

describe('override priority: identity > segment (lowest priority number) > environment', () => {
  const F1 = { id: 1, name: 'feature_1' };
  const F2 = { id: 2, name: 'feature_2' };
  const fooIsBar = [rule('ALL', [condition('EQUAL', 'foo', 'bar')])];
  const identity = { identifier: 'identity_2', key: 'api-key_identity_2' };
  const traits = traitsOf({ foo: 'bar' });

  // flag_engine test_get_evaluation_result__two_segments_override_same_feature__returns_expected.
  test('of two matching segments overriding a feature, the one with the lower priority number wins', () => {
    const doc = environmentDocument({
      feature_states: [featureState(F1, { django_id: 1, enabled: false }), featureState(F2, { django_id: 2, enabled: false })],
      segments: [
        segment(1, 'my_segment', fooIsBar, [featureState(F1, { django_id: 4, enabled: false, feature_state_value: 'segment_override', feature_segment: { priority: 2 } })]),
        segment(3, 'higher_priority_segment', fooIsBar, [featureState(F1, { django_id: 5, enabled: true, feature_state_value: 'segment_override_other', feature_segment: { priority: 1 } })]),
      ],
    });
    expect(byName(getIdentityFeatureStates(doc, identity, traits))).toEqual({
      feature_1: { enabled: true, value: 'segment_override_other', reason: 'TARGETING_MATCH; segment=higher_priority_segment' },
      feature_2: { enabled: false, value: null, reason: 'DEFAULT' },
    });
    expect(getIdentitySegments(doc, identity, traits).map((s) => s.name)).toEqual(['my_segment', 'higher_priority_segment']);
  });

  // test_get_evaluation_result__segment_override__no_priority__returns_expected.
  test('an override with a priority beats one without, whatever the segment order', () => {
    const doc = environmentDocument({
      feature_states: [featureState(F1, { django_id: 1, enabled: false })],
      segments: [
        segment(1, 'segment_without_override_priority', fooIsBar, [featureState(F1, { django_id: 3, feature_state_value: 'overridden_without_priority' })]),
        segment(2, 'segment_with_override_priority', fooIsBar, [featureState(F1, { django_id: 4, feature_state_value: 'overridden_with_priority', feature_segment: { priority: 1 } })]),
      ],
    });
    expect(byName(getIdentityFeatureStates(doc, identity, traits))['feature_1']).toEqual({
      enabled: true,
      value: 'overridden_with_priority',
      reason: 'TARGETING_MATCH; segment=segment_with_override_priority',
    });
  });

  test('on equal priorities the segment listed first wins', () => {
    const doc = environmentDocument({
      feature_states: [featureState(F1, { django_id: 1 })],
      segments: [
        segment(9, 'first', fooIsBar, [featureState(F1, { django_id: 3, feature_state_value: 'first', feature_segment: { priority: 0 } })]),
        segment(2, 'second', fooIsBar, [featureState(F1, { django_id: 4, feature_state_value: 'second', feature_segment: { priority: 0 } })]),
      ],
    });
    expect(getIdentityFeatureStates(doc, identity, traits)[0]!.value).toBe('first');
  });

  test('a segment the identity is not in does not override', () => {
    const doc = environmentDocument({
      feature_states: [featureState(F1, { django_id: 1, feature_state_value: 'default' })],
      segments: [segment(1, 'other', [rule('ALL', [condition('EQUAL', 'foo', 'baz')])], [featureState(F1, { feature_state_value: 'x', feature_segment: { priority: 0 } })])],
    });
    const [flag] = getIdentityFeatureStates(doc, identity, traits);
    expect(flag).toMatchObject({ value: 'default', source: 'ENVIRONMENT', segment: null, reason: 'DEFAULT' });
  });

  test("the identity's own override beats every segment override", () => {
    const doc = environmentDocument({
      feature_states: [featureState(F1, { django_id: 1, enabled: false, feature_state_value: 'default' })],
      segments: [segment(1, 's', fooIsBar, [featureState(F1, { feature_state_value: 'segment', feature_segment: { priority: 0 } })])],
    });
    const override = featureState(F1, { django_id: 50, enabled: true, feature_state_value: 'overridden_for_identity' });
    const [flag] = getIdentityFeatureStates(doc, { ...identity, overrides: [override] }, traits);
    expect(flag).toMatchObject({ enabled: true, value: 'overridden_for_identity', source: 'IDENTITY', featureState: override });
    expect(flag!.reason).toBe('TARGETING_MATCH; segment=identity_overrides');
  });

  test("without explicit overrides, the document's identity_overrides for the identifier apply (local evaluation)", () => {
    const doc = environmentDocument({
      feature_states: [featureState(F1, { django_id: 1, enabled: false }), featureState(F2, { django_id: 2, enabled: false })],
      identity_overrides: [
        {
          identifier: 'identity_2',
          environment_api_key: 'env_key',
          created_date: '2024-01-01T00:00:00Z',
          identity_uuid: 'aaaaaaaa-0000-4000-8000-000000000000',
          django_id: 7,
          identity_features: [featureState(F2, { django_id: 60, enabled: true, feature_state_value: 'mine' })],
          identity_traits: [],
        },
      ],
    });
    expect(byName(getIdentityFeatureStates(doc, identity, []))['feature_2']).toMatchObject({ enabled: true, value: 'mine' });
    expect(byName(getIdentityFeatureStates(doc, { identifier: 'someone_else', key: 'k' }, []))['feature_2']).toMatchObject({ enabled: false });
  });

  test('an override for a feature the environment does not have is ignored', () => {
    const doc = environmentDocument({ feature_states: [featureState(F1, { django_id: 1 })] });
    const flags = getIdentityFeatureStates(doc, { ...identity, overrides: [featureState(F2, { feature_state_value: 'x' })] }, []);
    expect(flags.map((f) => f.feature.name)).toEqual(['feature_1']);
  });
});

// flagsmith-nodejs 8.x local evaluation (`evaluateFeatures`) runs the multivariate split on whichever
// feature state decides (environment default, segment override or identity override), hashing that
// state's own key with the identity key; Flagsmith's remote evaluation does the same.
describe('multivariate overrides are split between their own variants', () => {
  const MV = { id: 3, name: 'mv', type: 'MULTIVARIATE' as const };
  const fooIsBar = [rule('ALL', [condition('EQUAL', 'foo', 'bar')])];
  const mv = (id: number, value: string, percentage_allocation: number) => ({
    id,
    multivariate_feature_option: { id, value },
    percentage_allocation,
    mv_fs_value_uuid: `bbbbbbbb-0000-4000-8000-${String(id).padStart(12, '0')}`,
  });
  const identities = Array.from({ length: 200 }, (_, i) => ({ identifier: `user-${i}`, key: `env_key_user-${i}` }));

  test('a segment override with weights gives each identity in the segment one of its variants, by its own hash', () => {
    const overrideValues = [mv(21, 'seg-a', 40), mv(22, 'seg-b', 40)];
    const doc = environmentDocument({
      feature_states: [featureState(MV, { django_id: 10, feature_state_value: 'control', multivariate_feature_state_values: [mv(11, 'default-a', 100)] })],
      segments: [segment(1, 'bar people', fooIsBar, [featureState(MV, { django_id: 20, feature_state_value: 'segment control', feature_segment: { priority: 0 }, multivariate_feature_state_values: overrideValues })])],
    });
    const seen = new Map<unknown, number>();
    for (const identity of identities) {
      const [flag] = getIdentityFeatureStates(doc, identity, traitsOf({ foo: 'bar' }));
      expect(flag!.source).toBe('SEGMENT');
      const expected = getMultivariateVariant({ django_id: 20, featurestate_uuid: '', multivariate_feature_state_values: overrideValues }, identity.key);
      expect(flag!.value).toBe(expected ? expected.multivariate_feature_option.value : 'segment control');
      expect(flag!.reason).toBe(expected ? `SPLIT; weight=${expected.percentage_allocation}` : 'TARGETING_MATCH; segment=bar people');
      seen.set(flag!.value, (seen.get(flag!.value) ?? 0) + 1);
    }
    // 40/40/20: every outcome occurs, and the environment default's variant never does.
    expect([...seen.keys()].sort()).toEqual(['seg-a', 'seg-b', 'segment control']);
    // Outside the segment, the environment default (all on its one variant).
    expect(getIdentityFeatureStates(doc, identities[0]!, [])[0]).toMatchObject({ value: 'default-a', source: 'ENVIRONMENT', reason: 'SPLIT; weight=100' });
    // Environment flags are never split.
    expect(getEnvironmentFeatureStates(doc)[0]).toMatchObject({ value: 'control', variant: null, reason: 'DEFAULT' });
  });

  test('an identity override with weights is split too, hashed with the override itself', () => {
    const doc = environmentDocument({
      feature_states: [featureState(MV, { django_id: 10, feature_state_value: 'control' })],
    });
    const override = featureState(MV, { django_id: 30, feature_state_value: 'mine', multivariate_feature_state_values: [mv(31, 'mine-a', 50)] });
    const outcomes = identities.map((identity) => getIdentityFeatureStates(doc, { ...identity, overrides: [override] }, [])[0]!);
    expect(new Set(outcomes.map((f) => f.value))).toEqual(new Set(['mine', 'mine-a']));
    for (const flag of outcomes) {
      expect(flag.source).toBe('IDENTITY');
      expect(flag.reason).toBe(flag.value === 'mine-a' ? 'SPLIT; weight=50' : 'TARGETING_MATCH; segment=identity_overrides');
    }
  });

  test('agrees with flagsmith-nodejs local evaluation of the same document, identity by identity', async () => {
    const doc = environmentDocument({
      api_key: 'env_key',
      feature_states: [
        featureState(MV, { django_id: 10, feature_state_value: 'control', multivariate_feature_state_values: [mv(11, 'default-a', 30), mv(12, 'default-b', 30)] }),
        featureState({ id: 4, name: 'plain' }, { django_id: 40, feature_state_value: 'plain' }),
      ],
      segments: [
        segment(1, 'bar people', fooIsBar, [
          featureState(MV, { django_id: 20, feature_state_value: 'segment control', feature_segment: { priority: 1 }, multivariate_feature_state_values: [mv(22, 'seg-b', 45), mv(21, 'seg-a', 35)] }),
          featureState({ id: 4, name: 'plain' }, { django_id: 41, feature_state_value: 'plain for bar', feature_segment: { priority: 1 } }),
        ]),
        segment(2, 'half', [rule('ALL', [condition('PERCENTAGE_SPLIT', null, '50')])], [
          featureState(MV, { django_id: 25, feature_state_value: 'half control', feature_segment: { priority: 0 }, multivariate_feature_state_values: [mv(26, 'half-a', 50)] }),
        ]),
      ],
    });
    const dir = mkdtempSync(join(tmpdir(), 'flagdesk-engine-'));
    const file = join(dir, 'environment.json');
    writeFileSync(file, JSON.stringify(doc));
    const sdk = new Flagsmith({ offlineMode: true, offlineHandler: new LocalFileHandler(file) });
    try {
      const outcomes = new Set<unknown>();
      for (const [i, identity] of identities.entries()) {
        const traits: Record<string, string> = i % 2 === 0 ? { foo: 'bar' } : {};
        const ours = getIdentityFeatureStates(doc, identity, traitsOf(traits));
        const theirs = await sdk.getIdentityFlags(identity.identifier, traits);
        expect(
          Object.fromEntries(ours.map((f) => [f.feature.name, { enabled: f.enabled, value: f.value }])),
          `${identity.identifier} ${JSON.stringify(traits)}`,
        ).toEqual(Object.fromEntries(theirs.allFlags().map((f) => [f.featureName, { enabled: f.enabled, value: f.value }])));
        outcomes.add(ours[0]!.value);
      }
      // Every branch was exercised: both segments' variants and controls, and the default's.
      expect([...outcomes].sort()).toEqual(['control', 'default-a', 'default-b', 'half control', 'half-a', 'seg-a', 'seg-b', 'segment control'].sort());
    } finally {
      await sdk.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('filters', () => {
  const doc = environmentDocument({
    feature_states: [featureState({ id: 1, name: 'on' }, { enabled: true }), featureState({ id: 2, name: 'off' }, { enabled: false }), featureState({ id: 3, name: 'secret' })],
  });
  doc.project.server_key_only_feature_ids = [3];
  const names = (flags: EvaluatedFlag[]) => flags.map((f) => f.feature.name);

  test('hide_disabled_flags: the environment setting wins over the project one when set', () => {
    expect(hideDisabledFlagsOf({ hide_disabled_flags: null, project: { ...doc.project, hide_disabled_flags: true } })).toBe(true);
    expect(hideDisabledFlagsOf({ hide_disabled_flags: false, project: { ...doc.project, hide_disabled_flags: true } })).toBe(false);
    expect(hideDisabledFlagsOf({ hide_disabled_flags: true, project: { ...doc.project, hide_disabled_flags: false } })).toBe(true);
  });

  test('disabled flags are left out when the document hides them, or when asked', () => {
    expect(names(getEnvironmentFeatureStates(doc))).toEqual(['on', 'off', 'secret']);
    expect(names(getEnvironmentFeatureStates({ ...doc, hide_disabled_flags: true }))).toEqual(['on', 'secret']);
    expect(names(getEnvironmentFeatureStates(doc, { hideDisabledFlags: true }))).toEqual(['on', 'secret']);
    expect(names(getIdentityFeatureStates({ ...doc, hide_disabled_flags: true }, { identifier: 'i', key: 'k' }, []))).toEqual(['on', 'secret']);
  });

  test('an identity override that enables a flag keeps it visible when disabled flags are hidden', () => {
    const overrides = [featureState({ id: 2, name: 'off' }, { enabled: true })];
    expect(names(getIdentityFeatureStates(doc, { identifier: 'i', key: 'k', overrides }, [], { hideDisabledFlags: true }))).toEqual(['on', 'off', 'secret']);
  });

  test('server-key-only features are left out for client-side keys', () => {
    expect(names(getEnvironmentFeatureStates(doc, { excludeServerKeyOnly: true }))).toEqual(['on', 'off']);
    expect(names(getIdentityFeatureStates(doc, { identifier: 'i', key: 'k' }, [], { excludeServerKeyOnly: true }))).toEqual(['on', 'off']);
  });
});

describe('identityHashKey', () => {
  test('is "<api key>_<identifier>" when the environment hashes by composite key or the identity has no id', () => {
    expect(identityHashKey({ environmentApiKey: 'env', identifier: 'user', identityId: 5, useCompositeKey: true })).toBe('env_user');
    expect(identityHashKey({ environmentApiKey: 'env', identifier: 'user', identityId: null, useCompositeKey: false })).toBe('env_user');
  });

  test('is the database id otherwise', () => {
    expect(identityHashKey({ environmentApiKey: 'env', identifier: 'user', identityId: 5, useCompositeKey: false })).toBe('5');
  });
});
