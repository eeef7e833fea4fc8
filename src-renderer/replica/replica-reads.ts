import type {
  ChangeRequestDoc,
  EnvironmentDoc,
  FeatureDoc,
  OrganisationDoc,
  ProjectDoc,
  SegmentDoc,
  VersionDoc,
} from '../../src-shared/contracts/sync/documents.js';
import { isLiveAt, liveVersionOf } from '../../src-shared/domain/versioning/live-version.js';
import { featureStateValueOf } from '../../src-shared/domain/flags/feature-state-value.rules.js';
import type { VersionContent } from '../../src-shared/domain/versioning/version-content.js';
import { describeChange, diffVersionContent, type VersionChange as ContentChange, type VersionNames } from '../../src-shared/domain/versioning/version-diff.js';
import type { ChangeRequest, Environment, Feature, FeatureVersion, Organisation, Project, Segment, VersionChange, VersionConflict, VersionState } from '../data/api-client.js';
import { valueToText } from '../data/flag-value.js';
import { changeToWire } from '../../src-shared/domain/versioning/version-change-wire.js';

/*
 * Pure mapping from replicated documents (src-shared/contracts/sync/documents.ts) to the Admin API shapes
 * the screens already render, so a screen reading the replica shares its rendering with the REST path.
 * Fields the replica does not carry get neutral values, named in the comments where they matter.
 */

/** What the navigator shows of an organisation (the replica has no role or plan summary). */
export type OrganisationSummary = Pick<Organisation, 'id' | 'uuid' | 'name'>;

/** Orders documents as the Admin API lists them: by numeric id. */
export function byPk<T extends { pk: number }>(a: T, b: T): number {
  return a.pk - b.pk;
}

export function organisationFromDoc(doc: OrganisationDoc): OrganisationSummary {
  return { id: doc.pk, uuid: doc.id, name: doc.name };
}

export function projectFromDoc(doc: ProjectDoc): Project {
  return {
    id: doc.pk,
    uuid: doc.id,
    name: doc.name,
    organisation: doc.organisationId,
    hide_disabled_flags: doc.hideDisabledFlags,
    enable_dynamo_db: false,
    use_edge_identities: false,
    created_date: doc.createdAt,
  };
}

export function environmentFromDoc(doc: EnvironmentDoc): Environment {
  return {
    id: doc.pk,
    uuid: doc.id,
    name: doc.name,
    api_key: doc.apiKey,
    project: doc.projectId,
    description: doc.description,
    use_v2_feature_versioning: doc.useV2FeatureVersioning,
    minimum_change_request_approvals: doc.minimumChangeRequestApprovals,
    allow_client_traits: doc.allowClientTraits,
    hide_disabled_flags: doc.hideDisabledFlags,
    created_date: doc.createdAt,
  };
}

export function segmentFromDoc(doc: SegmentDoc): Segment {
  return {
    id: doc.pk,
    uuid: doc.id,
    name: doc.name,
    description: doc.description,
    project: doc.projectId,
    feature: doc.featureId,
    rules: doc.rules as Segment['rules'],
    created_at: doc.createdAt,
    updated_at: doc.updatedAt,
  };
}

/** Change requests of one environment, newest first (as the Admin API lists them). */
export function changeRequestsFromDocs(docs: readonly ChangeRequestDoc[]): ChangeRequest[] {
  return docs.map((d) => d.changeRequest as ChangeRequest).sort((a, b) => b.created_at.localeCompare(a.created_at) || b.id - a.id);
}

const time = (iso: string) => Date.parse(iso);


/** The live version of each feature among one environment's versions, by feature id. */
export function liveVersionsByFeature(versions: readonly VersionDoc[], now: number): Map<number, VersionDoc> {
  const byFeature = new Map<number, VersionDoc[]>();
  for (const v of versions) {
    const list = byFeature.get(v.featureId);
    if (list) list.push(v);
    else byFeature.set(v.featureId, [v]);
  }
  const live = new Map<number, VersionDoc>();
  for (const [featureId, list] of byFeature) {
    const v = liveVersionOf(list, now);
    if (v) live.set(featureId, v);
  }
  return live;
}

/**
 * The next moment after `now` at which a published version goes live, so a screen can re-read the live
 * state then (null when nothing is waiting, or only beyond what a timer can wait for).
 */
export function nextGoLiveAfter(versions: readonly Pick<VersionDoc, 'status' | 'liveFrom'>[], now: number): number | null {
  const MAX_TIMER_MS = 2_147_483_647;
  let next: number | null = null;
  for (const v of versions) {
    if (v.status !== 'published' || v.liveFrom === null) continue;
    const at = time(v.liveFrom);
    if (at > now && at - now <= MAX_TIMER_MS && (next === null || at < next)) next = at;
  }
  return next;
}

/**
 * A feature with its state in a v2 environment taken from its live version (null state without one). The
 * state's `id` is 0: the replica has no feature-state rows, and the v2 toggle publishes a version
 * instead of writing a state.
 */
export function featureFromDoc(doc: FeatureDoc, environmentId: number | null, live: VersionDoc | null): Feature {
  const def = live?.content.environmentDefault;
  return {
    id: doc.pk,
    uuid: doc.id,
    name: doc.name,
    type: doc.type,
    default_enabled: doc.defaultEnabled,
    initial_value: doc.initialValue,
    created_date: doc.createdAt,
    description: doc.description,
    tags: [],
    multivariate_options: doc.multivariateOptions.map((o) => ({
      id: o.pk,
      uuid: o.uuid,
      type: o.type,
      string_value: o.stringValue,
      integer_value: o.integerValue,
      boolean_value: o.booleanValue,
      default_percentage_allocation: o.defaultPercentageAllocation,
      feature: doc.pk,
    })),
    is_archived: doc.isArchived,
    is_server_key_only: doc.isServerKeyOnly,
    owners: [],
    group_owners: [],
    project: doc.projectId,
    num_segment_overrides: live ? Object.keys(live.content.segmentOverrides).length : 0,
    num_identity_overrides: null,
    environment_feature_state:
      live && def && environmentId !== null
        ? {
            id: 0,
            enabled: def.enabled,
            feature_state_value: featureStateValueOf(def.value),
            environment: environmentId,
            feature: doc.pk,
            feature_segment: null,
            identity: null,
            updated_at: live.liveFrom ?? live.updatedAt,
          }
        : null,
  };
}

/**
 * The feature list of a v2 environment from the replica: the project's live (not archived) features whose
 * name contains `search` (ignoring case), in creation order as the Admin API lists them, each with the
 * environment default of its live version at `now`.
 */
export function featureListFromDocs(features: readonly FeatureDoc[], versions: readonly VersionDoc[], environmentId: number, search: string, now: number): Feature[] {
  const live = liveVersionsByFeature(versions, now);
  const needle = search.trim().toLowerCase();
  return features
    .filter((f) => !f.isArchived && (needle === '' || f.name.toLowerCase().includes(needle)))
    .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.pk - b.pk)
    .map((f) => featureFromDoc(f, environmentId, live.get(f.pk) ?? null));
}

/** A replicated version in the Admin API's shape (`is_live` judged at `now`). */
export function versionFromDoc(doc: VersionDoc, now: number): FeatureVersion {
  return {
    created_at: doc.createdAt,
    updated_at: doc.updatedAt,
    published: doc.publishedAt !== null,
    live_from: doc.liveFrom,
    uuid: doc.id,
    is_live: isLiveAt(doc, now),
    published_by: doc.publishedByUserId,
    created_by: doc.createdByUserId,
    description: doc.description,
    status: doc.status,
    base_version_uuid: doc.baseVersionUuid,
    conflicts: doc.conflicts as VersionConflict[] | null,
  };
}

/** The versions of one feature newest first (by creation, as the Admin API lists them). */
export function sortVersionsNewestFirst<T extends Pick<VersionDoc, 'createdAt' | 'id'>>(versions: readonly T[]): T[] {
  return [...versions].sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.id.localeCompare(a.id));
}

/**
 * A version's content as feature states (environment default first, then overrides by priority), for the
 * history's values and the side-by-side table. Ids are made up per place: the replica has no state rows.
 */
export function statesFromContent(content: VersionContent, featureId: number, environmentId: number, versionUuid: string): VersionState[] {
  const stateOf = (place: VersionContent['environmentDefault'], id: number, segment: { segment: number; priority: number } | null): VersionState => ({
    id,
    uuid: `${versionUuid}-${id}`,
    feature: featureId,
    environment: environmentId,
    identity: null,
    feature_segment: segment ? { id, uuid: `${versionUuid}-fs-${id}`, ...segment } : null,
    enabled: place.enabled,
    feature_state_value: { ...place.value },
    multivariate_feature_state_values: Object.entries(place.multivariateWeights)
      .sort(([a], [b]) => Number(a) - Number(b))
      .map(([option, percentage], i) => ({ id: id * 1000 + i, multivariate_feature_option: Number(option), percentage_allocation: percentage })),
    live_from: null,
    created_at: '',
    updated_at: '',
    change_request: null,
    environment_feature_version: versionUuid,
  });
  const overrides = Object.entries(content.segmentOverrides)
    .sort(([idA, a], [idB, b]) => a.priority - b.priority || Number(idA) - Number(idB))
    .map(([segment, o], i) => stateOf(o, i + 2, { segment: Number(segment), priority: i }));
  return [stateOf(content.environmentDefault, 1, null), ...overrides];
}

/** One change of the pure diff in the Admin API's diff shape, with its sentence (the server's mapping). */
export function changeToApiShape(change: ContentChange, sentence: string): VersionChange {
  return changeToWire(change, sentence);
}

/** Names for the diff's sentences: segments by id, and a multivariate feature's options by their value. */
export function versionNames(segments: readonly Pick<Segment, 'id' | 'name'>[], feature: Pick<Feature, 'multivariate_options'> | null): VersionNames {
  return {
    segments: Object.fromEntries(segments.map((s) => [String(s.id), s.name])),
    multivariateOptions: Object.fromEntries((feature?.multivariate_options ?? []).map((o) => [String(o.id), valueToText(o)])),
  };
}

/** The changes that turn `older` into `newer`, computed locally (works offline), with readable sentences. */
export function diffContents(older: VersionContent, newer: VersionContent, names: VersionNames): VersionChange[] {
  return diffVersionContent(older, newer).map((c) => changeToApiShape(c, describeChange(c, names)));
}
