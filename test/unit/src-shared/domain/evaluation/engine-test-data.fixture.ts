import type {
  EnvironmentDocument,
  FeatureStateDocument,
  SegmentDocument,
  SegmentRuleDocument,
} from '../../../../../src-shared/contracts/sdk/environment-document.schema.js';

/**
 * The "Test Environment" document of Flagsmith's engine-test-data (data/environment_n9fbf9h3v4fFgH3U3ngWhb.json),
 * the document every official SDK engine is tested against, with the fields the current document has and
 * that older copy lacks filled in (uuids, option ids). The expectations in ENGINE_TEST_CASES are copied
 * from that repository's test_cases/*.json results.
 */

let uuidCounter = 0;
const uuid = () => `00000000-0000-4000-8000-${String(++uuidCounter).padStart(12, '0')}`;

export function featureState(
  feature: { id: number; name: string; type?: 'STANDARD' | 'MULTIVARIATE' },
  fields: Partial<Omit<FeatureStateDocument, 'feature'>> = {},
): FeatureStateDocument {
  return {
    feature: { id: feature.id, name: feature.name, type: feature.type ?? 'STANDARD' },
    enabled: fields.enabled ?? true,
    feature_state_value: fields.feature_state_value ?? null,
    django_id: fields.django_id ?? null,
    featurestate_uuid: fields.featurestate_uuid ?? uuid(),
    feature_segment: fields.feature_segment ?? null,
    multivariate_feature_state_values: fields.multivariate_feature_state_values ?? [],
  };
}

export function rule(type: SegmentRuleDocument['type'], conditions: SegmentRuleDocument['conditions'], rules: SegmentRuleDocument[] = []): SegmentRuleDocument {
  return { type, conditions, rules };
}

export function condition(operator: SegmentRuleDocument['conditions'][number]['operator'], property_: string | null, value: string | null) {
  return { operator, property_, value };
}

export function segment(id: number, name: string, rules: SegmentRuleDocument[], feature_states: FeatureStateDocument[] = []): SegmentDocument {
  return { id, name, rules, feature_states };
}

export function environmentDocument(fields: Partial<EnvironmentDocument> & { segments?: SegmentDocument[] } = {}): EnvironmentDocument {
  const { segments = [], ...rest } = fields;
  return {
    id: 1,
    api_key: 'env_key',
    name: 'Environment',
    project: {
      id: 1,
      name: 'Project',
      organisation: { id: 1, name: 'Org', feature_analytics: false, stop_serving_flags: false, persist_trait_data: true },
      hide_disabled_flags: false,
      segments,
      enable_realtime_updates: false,
      server_key_only_feature_ids: [],
    },
    feature_states: [],
    identity_overrides: [],
    allow_client_traits: true,
    hide_sensitive_data: false,
    hide_disabled_flags: null,
    use_identity_composite_key_for_hashing: true,
    use_identity_overrides_in_local_eval: false,
    updated_at: '2025-07-16T07:58:09.391Z',
    ...rest,
  };
}

const STRING_FEATURE = { id: 15058, name: 'string_feature' };
const INTEGER_FEATURE = { id: 15059, name: 'integer_feature' };
const BASIC_FLAG = { id: 15060, name: 'basic_flag' };
const FLOAT_FEATURE = { id: 15061, name: 'float_feature' };
const MV_FEATURE = { id: 15062, name: 'mv_feature', type: 'MULTIVARIATE' as const };

const mv = (id: number, optionId: number, value: string | number | boolean, percentage_allocation: number) => ({
  id,
  multivariate_feature_option: { id: optionId, value },
  percentage_allocation,
  mv_fs_value_uuid: uuid(),
});

export const TEST_ENVIRONMENT: EnvironmentDocument = environmentDocument({
  id: 12561,
  api_key: 'n9fbf9h3v4fFgH3U3ngWhb',
  name: 'Test Environment',
  feature_states: [
    featureState(STRING_FEATURE, { django_id: 78978, feature_state_value: 'foo' }),
    featureState(INTEGER_FEATURE, { django_id: 78980, feature_state_value: 1234 }),
    featureState(BASIC_FLAG, { django_id: 78982, enabled: false, feature_state_value: '' }),
    featureState(FLOAT_FEATURE, { django_id: 78984, feature_state_value: '12.34' }),
    featureState(MV_FEATURE, {
      django_id: 78986,
      feature_state_value: 'foo',
      // Deliberately not in id order: the engine sorts by allocation id (bar 3402 before baz 3404).
      multivariate_feature_state_values: [mv(3404, 904, 'baz', 30), mv(3402, 902, 'bar', 30), mv(3405, 905, 1, 0), mv(3406, 906, true, 0)],
    }),
  ],
  segments: [
    segment(
      4267,
      'regular_segment',
      [
        rule('ALL', [], [
          rule('ANY', [condition('LESS_THAN', 'age', '40')]),
          rule('ANY', [condition('GREATER_THAN_INCLUSIVE', 'age', '21')]),
          rule('ANY', [condition('EQUAL', 'favourite_colour', 'green'), condition('EQUAL', 'favourite_colour', 'blue')]),
        ]),
      ],
      [featureState(STRING_FEATURE, { django_id: 81027, enabled: false, feature_state_value: 'segment_override' })],
    ),
    segment(
      4268,
      '10_percent',
      [rule('ALL', [], [rule('ANY', [condition('PERCENTAGE_SPLIT', '', '0.1')])])],
      [featureState(BASIC_FLAG, { django_id: 81026, enabled: true, feature_state_value: '' })],
    ),
    segment(
      16,
      'segment_two',
      [rule('ALL', [], [rule('ANY', [condition('EQUAL', 'two', '2'), condition('IS_SET', 'two', null)])])],
      [featureState(STRING_FEATURE, { django_id: 78978, feature_segment: { priority: 0 }, feature_state_value: 'segment_two_override_priority_0' })],
    ),
    segment(
      17,
      'segment_three',
      [rule('ALL', [], [rule('ALL', [condition('EQUAL', 'three', '3'), condition('IS_NOT_SET', 'something_that_is_not_set', null)])])],
      [featureState(STRING_FEATURE, { django_id: 78977, feature_segment: { priority: 1 }, feature_state_value: 'segment_three_override_priority_1' })],
    ),
    segment(
      381942,
      'context_values',
      [
        rule('ALL', [], [
          rule('ALL', [
            condition('IN', '$.identity.identifier', '1bde8445-ca19-4bda-a9d5-3543a800fc0f'),
            condition('EQUAL', '$.environment.name', 'Test Environment'),
          ]),
        ]),
      ],
      [featureState(STRING_FEATURE, { django_id: 81027, feature_state_value: 'context_values' })],
    ),
  ],
});

export interface EngineTestCase {
  name: string;
  identifier: string;
  key: string;
  traits: Record<string, string | number | boolean>;
  flags: Record<string, { enabled: boolean; value: unknown; reason: string }>;
  segments: string[];
}

const DEFAULT_FLAGS = {
  basic_flag: { enabled: false, value: '', reason: 'DEFAULT' },
  float_feature: { enabled: true, value: '12.34', reason: 'DEFAULT' },
  integer_feature: { enabled: true, value: 1234, reason: 'DEFAULT' },
  string_feature: { enabled: true, value: 'foo', reason: 'DEFAULT' },
};

/** Identities and the flags the engine gives them (engine-test-data test_cases). */
export const ENGINE_TEST_CASES: EngineTestCase[] = [
  {
    name: 'identity in two segments: priority 0 beats priority 1',
    identifier: 'identity_in_two_segments',
    key: '32102998',
    traits: { three: '3', two: '2' },
    flags: {
      ...DEFAULT_FLAGS,
      string_feature: { enabled: true, value: 'segment_two_override_priority_0', reason: 'TARGETING_MATCH; segment=segment_two' },
      mv_feature: { enabled: true, value: 'baz', reason: 'SPLIT; weight=30' },
    },
    segments: ['segment_two', 'segment_three'],
  },
  {
    name: 'test_042b3a46 (default): in no segment, outside every variant',
    identifier: '042b3a46-4575-419a-8a2f-62baa3226668',
    key: '32103705',
    traits: { age: 20, favourite_colour: 'yellow' },
    flags: { ...DEFAULT_FLAGS, mv_feature: { enabled: true, value: 'foo', reason: 'DEFAULT' } },
    segments: [],
  },
  {
    name: 'test_388b793f (regular_segment): nested ALL of ANY rules',
    identifier: '388b793f-5843-46c9-af6b-a942b52527b2',
    key: '32103688',
    traits: { age: 30, favourite_colour: 'blue' },
    flags: {
      ...DEFAULT_FLAGS,
      string_feature: { enabled: false, value: 'segment_override', reason: 'TARGETING_MATCH; segment=regular_segment' },
      mv_feature: { enabled: true, value: 'bar', reason: 'SPLIT; weight=30' },
    },
    segments: ['regular_segment'],
  },
  {
    name: 'test_1bde8445 (context_values): JSONPath conditions on identifier and environment name',
    identifier: '1bde8445-ca19-4bda-a9d5-3543a800fc0f',
    key: '32227281',
    traits: {},
    flags: {
      ...DEFAULT_FLAGS,
      string_feature: { enabled: true, value: 'context_values', reason: 'TARGETING_MATCH; segment=context_values' },
      mv_feature: { enabled: true, value: 'baz', reason: 'SPLIT; weight=30' },
    },
    segments: ['context_values'],
  },
];
