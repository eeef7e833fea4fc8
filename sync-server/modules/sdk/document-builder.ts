import { featureStateValueOf } from '../../../src-shared/domain/flags/feature-state-value.rules.js';
import type { SegmentRule } from '../../../src-shared/domain/segments/segment-rules.rules.js';
import type {
  EnvironmentDocument,
  FeatureStateDocument,
  IdentityDocument,
  SdkFeatureWire,
  SegmentConditionDocument,
  SegmentRuleDocument,
  TraitDocument,
} from '../../../src-shared/contracts/sdk/environment-document.schema.js';
import type { DocumentFeatureRow, DocumentFeatureSegmentRow, DocumentFeatureStateRow, DocumentSource } from './sdk.store.js';

/** An environment document plus what the remote-evaluation answers show beyond it. */
export interface BuiltDocument {
  document: EnvironmentDocument;
  /** The `feature` object of a flag (`SDKFeatureSerializer`), by feature id. */
  features: ReadonlyMap<number, SdkFeatureWire>;
  serverKeyOnlyFeatureIds: ReadonlySet<number>;
  /** `feature_segment` of a flag decided by a segment override, by the state's `django_id`. */
  featureSegmentIdByStateId: ReadonlyMap<number, number>;
  /**
   * The feature state id of a served state, by its `django_id` (the lineage's bucketing seed, ADR 0009):
   * the flags endpoints show the state's own id.
   */
  stateIdByDjangoId: ReadonlyMap<number, number>;
  /** Identity id by identifier, for the identities that have overrides. */
  identityIdByIdentifier: ReadonlyMap<string, number>;
  /** The environment's own hide_disabled_flags, else the project's. */
  hidesDisabledFlags: boolean;
  /**
   * The earliest `live_from` still in the future when the document was built (a scheduled change), or
   * null. The document is stale from then on even though no write bumped the revision.
   */
  nextChangeAt: string | null;
}

/** On v1, the newest version of a place wins (ties: the later row). */
function isNewer(a: DocumentFeatureStateRow, b: DocumentFeatureStateRow): boolean {
  if ((a.version ?? 0) !== (b.version ?? 0)) return (a.version ?? 0) > (b.version ?? 0);
  return a.id > b.id;
}

/**
 * The feature states SDKs see at `now`.
 * - v2 (ADR 0005): a feature with a live version shows exactly that version's states (environment
 *   default and segment overrides); drafts, scheduled and superseded versions are never served. The
 *   live versions are decided in SQL (`selectLiveVersionUuids`), so a scheduled version goes live only
 *   when the scheduler has published it.
 * - v1: a state is served once it has a version number and its `live_from` has passed; per place
 *   (environment default, each feature segment, each identity) the highest version wins, so a change
 *   scheduled for later takes over at its `live_from` (`nextChangeAt`).
 * Identity overrides live outside versions and always follow the v1 rule.
 */
export function selectLiveFeatureStates(
  states: readonly DocumentFeatureStateRow[],
  liveVersionUuids: ReadonlySet<string>,
  now: string,
): { live: DocumentFeatureStateRow[]; nextChangeAt: string | null } {
  const versionedFeatures = new Set<number>();
  for (const s of states) {
    if (s.environmentFeatureVersionUuid !== null && liveVersionUuids.has(s.environmentFeatureVersionUuid)) versionedFeatures.add(s.featureId);
  }

  let nextChangeAt: string | null = null;
  const live: DocumentFeatureStateRow[] = [];
  const winners = new Map<string, DocumentFeatureStateRow>();
  for (const s of states) {
    if (s.environmentFeatureVersionUuid !== null) {
      if (liveVersionUuids.has(s.environmentFeatureVersionUuid)) live.push(s);
      continue;
    }
    if (s.identityId === null && versionedFeatures.has(s.featureId)) continue;
    if (s.version === null || s.liveFrom === null) continue;
    if (s.liveFrom > now) {
      if (nextChangeAt === null || s.liveFrom < nextChangeAt) nextChangeAt = s.liveFrom;
      continue;
    }
    const place = `${s.featureId}:${s.featureSegmentId ?? '-'}:${s.identityId ?? '-'}`;
    const current = winners.get(place);
    if (!current || isNewer(s, current)) winners.set(place, s);
  }
  live.push(...winners.values());
  return { live: live.sort((a, b) => a.id - b.id), nextChangeAt };
}

function toRuleDocument(rule: SegmentRule): SegmentRuleDocument {
  return {
    type: rule.type,
    rules: (rule.rules ?? []).map(toRuleDocument),
    conditions: (rule.conditions ?? []).map(
      (c): SegmentConditionDocument => ({ operator: c.operator, property_: c.property ?? null, value: c.value ?? null }),
    ),
  };
}

function parseRules(rulesJson: string): SegmentRuleDocument[] {
  const rules = JSON.parse(rulesJson) as SegmentRule[];
  return Array.isArray(rules) ? rules.map(toRuleDocument) : [];
}

function toSdkFeature(f: DocumentFeatureRow): SdkFeatureWire {
  return { id: f.id, name: f.name, created_date: f.createdAt, description: f.description, initial_value: f.initialValue, default_enabled: f.defaultEnabled, type: f.type };
}

/**
 * The `django_id` of a served state: the bucketing seed of its lineage, the key Flagsmith's engine hashes
 * identities with for multivariate values, so a new version or a recreated override keeps every identity
 * in its variant (ADR 0009). Identity overrides (and rows without a seed) use their own id.
 */
function djangoIdOf(s: DocumentFeatureStateRow): number {
  return s.identityId === null && s.bucketingSeed !== null ? s.bucketingSeed : s.id;
}

/** Builds the environment document (Flagsmith's `map_environment_to_sdk_document`) from its rows at `now`. */
export function buildEnvironmentDocument(source: DocumentSource, now: string): BuiltDocument {
  const env = source.environment;
  const featuresById = new Map(source.features.map((f) => [f.id, f]));
  const featureSegmentsById = new Map<number, DocumentFeatureSegmentRow>(source.featureSegments.map((fs) => [fs.id, fs]));
  const mvByState = new Map<number, FeatureStateDocument['multivariate_feature_state_values']>();
  for (const v of source.multivariateValues) {
    const list = mvByState.get(v.featureStateId) ?? [];
    list.push({
      id: v.id,
      multivariate_feature_option: { id: v.optionId, value: featureStateValueOf(v.optionValue) },
      percentage_allocation: v.percentageAllocation,
      mv_fs_value_uuid: v.uuid,
    });
    mvByState.set(v.featureStateId, list);
  }

  const selected = selectLiveFeatureStates(source.featureStates, new Set(source.liveVersionUuids), now);
  const { live } = selected;
  const nextChangeAt =
    selected.nextChangeAt !== null && source.nextVersionLiveFrom !== null
      ? selected.nextChangeAt < source.nextVersionLiveFrom
        ? selected.nextChangeAt
        : source.nextVersionLiveFrom
      : (selected.nextChangeAt ?? source.nextVersionLiveFrom);

  const toStateDocument = (s: DocumentFeatureStateRow, feature: DocumentFeatureRow, featureSegment: DocumentFeatureSegmentRow | undefined): FeatureStateDocument => ({
    feature: { id: feature.id, name: feature.name, type: feature.type },
    enabled: s.enabled,
    feature_state_value: featureStateValueOf(s.value),
    django_id: djangoIdOf(s),
    featurestate_uuid: s.uuid,
    feature_segment: featureSegment ? { priority: featureSegment.priority } : null,
    multivariate_feature_state_values: mvByState.get(s.id) ?? [],
  });

  const defaults: FeatureStateDocument[] = [];
  const overridesBySegment = new Map<number, FeatureStateDocument[]>();
  const overridesByIdentity = new Map<number, FeatureStateDocument[]>();
  const featureSegmentIdByStateId = new Map<number, number>();
  const serverKeyOnlyFeatureIds = new Set<number>();
  const stateIdByDjangoId = new Map<number, number>();
  for (const s of live) {
    const feature = featuresById.get(s.featureId);
    if (!feature) continue;
    stateIdByDjangoId.set(djangoIdOf(s), s.id);
    if (s.identityId !== null) {
      const list = overridesByIdentity.get(s.identityId) ?? [];
      list.push(toStateDocument(s, feature, undefined));
      overridesByIdentity.set(s.identityId, list);
    } else if (s.featureSegmentId !== null) {
      const fs = featureSegmentsById.get(s.featureSegmentId);
      if (!fs) continue;
      const list = overridesBySegment.get(fs.segmentId) ?? [];
      list.push(toStateDocument(s, feature, fs));
      overridesBySegment.set(fs.segmentId, list);
      featureSegmentIdByStateId.set(djangoIdOf(s), fs.id);
    } else {
      defaults.push(toStateDocument(s, feature, undefined));
      if (feature.isServerKeyOnly) serverKeyOnlyFeatureIds.add(feature.id);
    }
  }
  defaults.sort((a, b) => a.feature.id - b.feature.id);

  const traitsByIdentity = new Map<number, TraitDocument[]>();
  for (const t of source.traits) {
    const list = traitsByIdentity.get(t.identityId) ?? [];
    list.push({ trait_key: t.traitKey, trait_value: JSON.parse(t.valueJson) as TraitDocument['trait_value'] });
    traitsByIdentity.set(t.identityId, list);
  }
  const identityOverrides: IdentityDocument[] = [];
  const identityIdByIdentifier = new Map<string, number>();
  for (const i of source.identities) {
    const overrides = overridesByIdentity.get(i.id);
    if (!overrides) continue;
    identityIdByIdentifier.set(i.identifier, i.id);
    identityOverrides.push({
      identifier: i.identifier,
      environment_api_key: env.apiKey,
      created_date: i.createdAt,
      identity_uuid: i.uuid,
      django_id: i.id,
      identity_features: overrides.sort((a, b) => a.feature.id - b.feature.id),
      identity_traits: traitsByIdentity.get(i.id) ?? [],
    });
  }

  const document: EnvironmentDocument = {
    id: env.id,
    api_key: env.apiKey,
    name: env.name,
    project: {
      id: env.projectId,
      name: env.projectName,
      organisation: {
        id: env.organisationId,
        name: env.organisationName,
        feature_analytics: false,
        stop_serving_flags: env.stopServingFlags,
        persist_trait_data: env.persistTraitData,
      },
      hide_disabled_flags: env.projectHideDisabledFlags,
      segments: source.segments.map((s) => ({
        id: s.id,
        name: s.name,
        rules: parseRules(s.rulesJson),
        feature_states: (overridesBySegment.get(s.id) ?? []).sort((a, b) => a.feature.id - b.feature.id),
      })),
      enable_realtime_updates: false,
      server_key_only_feature_ids: [...serverKeyOnlyFeatureIds].sort((a, b) => a - b),
    },
    feature_states: defaults,
    identity_overrides: identityOverrides,
    allow_client_traits: env.allowClientTraits,
    hide_sensitive_data: false,
    hide_disabled_flags: env.hideDisabledFlags,
    // Flagdesk always hashes identities by `<api_key>_<identifier>`, as SDKs in local evaluation do, so
    // remote and local evaluation put an identity in the same multivariate bucket and percentage split.
    use_identity_composite_key_for_hashing: true,
    use_identity_overrides_in_local_eval: true,
    updated_at: env.updatedAt,
  };

  return {
    document,
    features: new Map(source.features.map((f) => [f.id, toSdkFeature(f)])),
    serverKeyOnlyFeatureIds,
    featureSegmentIdByStateId,
    stateIdByDjangoId,
    identityIdByIdentifier,
    hidesDisabledFlags: env.hideDisabledFlags ?? env.projectHideDisabledFlags,
    nextChangeAt,
  };
}
