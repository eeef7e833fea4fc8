import type { FlagStateContent, VersionContent } from '../../src-shared/domain/versioning/version-content.js';
import { mergeVersionContent, resolveMergeConflicts, type MergeSide } from '../../src-shared/domain/versioning/three-way-merge.js';
import type {
  ApiClient,
  ChangeRequest,
  ChangeRequestDiff,
  ChangeRequestFeatureDiff,
  ChangeSetCreate,
  Environment,
  Feature,
  FeatureVersion,
  OrganisationUser,
  RebaseResolution,
  VersionConflict,
  VersionState,
} from './api-client.js';
import { currentLiveVersion } from './feature-editing.js';
import { requiresChangeRequests } from '../../src-shared/domain/change-requests/direct-change.rules.js';

/*
 * Change requests on v2 environments (list, detail with its diff against live, approve, commit, rebase)
 * and creating one from a feature's draft. Screens call these, not the ApiClient.
 */

/**
 * Whether a change to this environment must go through a change request: any approval count, 0 included,
 * as the server decides (`direct-change.rules.ts`). Change requests carry versions, so v2 only; a v1
 * environment with the setting refuses direct writes and offers no change request.
 */
export function requiresApprovals(environment: Pick<Environment, 'use_v2_feature_versioning' | 'minimum_change_request_approvals'>): boolean {
  return environment.use_v2_feature_versioning && requiresChangeRequests(environment.minimum_change_request_approvals);
}

/**
 * The feature list's switch on an environment that requires approvals: a change request that turns the
 * environment default on or off (nothing goes live until it is approved and committed).
 */
export function requestToggleChange(api: ApiClient, environment: Pick<Environment, 'api_key'>, feature: Pick<Feature, 'id' | 'name'>, enabled: boolean): Promise<ChangeRequest> {
  return api.createChangeRequest(environment.api_key, {
    title: `Turn ${feature.name} ${enabled ? 'on' : 'off'}`,
    change_sets: [{ feature: feature.id, feature_states_to_update: [{ feature_segment: null, enabled }] }],
  });
}

export function loadChangeRequests(api: ApiClient, environment: Environment): Promise<ChangeRequest[]> {
  return api.listChangeRequests(environment.id);
}

/** One feature of a change request: what it publishes against what is live now. */
export interface ChangeRequestFeature {
  diff: ChangeRequestFeatureDiff;
  live: VersionState[];
  /** What a commit would publish now; null while the change conflicts with live. */
  toPublish: VersionState[] | null;
}

export interface ChangeRequestDetail {
  changeRequest: ChangeRequest;
  diff: ChangeRequestDiff;
  features: ChangeRequestFeature[];
  /** Members of the organisation, for names of authors and approvers. */
  users: OrganisationUser[];
}

export async function loadChangeRequestDetail(api: ApiClient, environment: Environment, id: number, organisationId: number): Promise<ChangeRequestDetail> {
  const [changeRequest, diff, users] = await Promise.all([
    api.getChangeRequest(id),
    api.getChangeRequestDiff(id),
    api.listOrganisationUsers(organisationId).catch(() => [] as OrganisationUser[]),
  ]);
  const features = await Promise.all(
    diff.features.map(async (f) => ({
      diff: f,
      live: f.live_version_uuid ? await api.listVersionStates(environment.id, f.feature, f.live_version_uuid) : [],
      toPublish: f.content_to_publish ? statesOfContent(f.content_to_publish as VersionContent, f.feature, environment.id) : null,
    })),
  );
  return { changeRequest, diff, features, users };
}

/** Members who can be asked to review a change (everyone but the author). */
export async function loadReviewers(api: ApiClient, organisationId: number, authorId: number | null): Promise<OrganisationUser[]> {
  return (await api.listOrganisationUsers(organisationId)).filter((u) => u.id !== authorId);
}

export function userName(users: OrganisationUser[], id: number | null): string {
  if (id === null) return 'an API key';
  return users.find((u) => u.id === id)?.email ?? `user ${id}`;
}

function stateOf(content: FlagStateContent, featureId: number, environmentId: number, id: number, segment: { segment: number; priority: number } | null): VersionState {
  return {
    id,
    uuid: `content-${id}`,
    feature: featureId,
    environment: environmentId,
    identity: null,
    feature_segment: segment ? { id, uuid: `content-fs-${id}`, ...segment } : null,
    enabled: content.enabled,
    feature_state_value: content.value as VersionState['feature_state_value'],
    multivariate_feature_state_values: Object.entries(content.multivariateWeights).map(([option, percentage], i) => ({ id: id * 100 + i, multivariate_feature_option: Number(option), percentage_allocation: percentage })),
    live_from: null,
    created_at: '',
    updated_at: '',
    change_request: null,
    environment_feature_version: '',
  };
}

/** A version content (as the diff endpoint gives it) as feature states, for the side-by-side view. */
export function statesOfContent(content: VersionContent, featureId: number, environmentId: number): VersionState[] {
  const overrides = Object.entries(content.segmentOverrides)
    .sort(([, a], [, b]) => a.priority - b.priority)
    .map(([segment, o], i) => stateOf(o, featureId, environmentId, i + 2, { segment: Number(segment), priority: i }));
  return [stateOf(content.environmentDefault, featureId, environmentId, 1, null), ...overrides];
}

function stateWrite(state: VersionState) {
  return {
    enabled: state.enabled,
    feature_state_value: state.feature_state_value,
    multivariate_feature_state_values: state.multivariate_feature_state_values.map((m) => ({ multivariate_feature_option: m.multivariate_feature_option, percentage_allocation: m.percentage_allocation })),
  };
}

/** The change set that turns the live states into the draft's: every place of the draft, overrides in its order. */
export function changeSetFromDraft(featureId: number, live: VersionState[], draft: VersionState[], liveFrom: string | null): ChangeSetCreate {
  const liveSegments = new Set(live.filter((s) => s.feature_segment).map((s) => s.feature_segment!.segment));
  const draftOverrides = draft.filter((s) => s.feature_segment).sort((a, b) => a.feature_segment!.priority - b.feature_segment!.priority);
  const draftSegments = new Set(draftOverrides.map((s) => s.feature_segment!.segment));
  const draftDefault = draft.find((s) => s.feature_segment === null);
  return {
    feature: featureId,
    ...(liveFrom ? { live_from: liveFrom } : {}),
    feature_states_to_update: [
      ...(draftDefault ? [{ feature_segment: null, ...stateWrite(draftDefault) }] : []),
      ...draftOverrides.flatMap((s, priority) => (liveSegments.has(s.feature_segment!.segment) ? [{ feature_segment: { segment: s.feature_segment!.segment, priority }, ...stateWrite(s) }] : [])),
    ],
    feature_states_to_create: draftOverrides.flatMap((s, priority) => (liveSegments.has(s.feature_segment!.segment) ? [] : [{ feature_segment: { segment: s.feature_segment!.segment, priority }, ...stateWrite(s) }])),
    segment_ids_to_delete_overrides: [...liveSegments].filter((id) => !draftSegments.has(id)),
  };
}

/** What the user writes when requesting a change from a draft. */
export interface ChangeRequestFromDraft {
  title: string;
  description: string;
  /** ISO-8601; schedules the commit's version. */
  liveFrom: string | null;
  /** Users asked to review. */
  assignees: number[];
}

/**
 * Turns a feature's draft into a change request (to be approved before it goes live) and discards the
 * draft, whose content now lives in the request. `liveFrom` (ISO-8601) schedules the commit's version.
 * Only the draft's uuid is needed, so a replica draft (whose id is its uuid on the server) works once pushed.
 */
export async function requestChangeFromDraft(
  api: ApiClient,
  environment: Pick<Environment, 'id' | 'api_key'>,
  feature: Pick<Feature, 'id'>,
  draft: Pick<FeatureVersion, 'uuid'>,
  request: ChangeRequestFromDraft,
): Promise<ChangeRequest> {
  const draftStates = await api.listVersionStates(environment.id, feature.id, draft.uuid);
  // The change set applies to the version live now (which the draft may predate).
  const liveVersion = currentLiveVersion(await api.listFeatureVersions(environment.id, feature.id));
  const live = liveVersion ? await api.listVersionStates(environment.id, feature.id, liveVersion.uuid) : [];
  const created = await api.createChangeRequest(environment.api_key, {
    title: request.title,
    ...(request.description ? { description: request.description } : {}),
    change_sets: [changeSetFromDraft(feature.id, live, draftStates, request.liveFrom)],
    ...(request.assignees.length > 0 ? { approvals: request.assignees.map((user) => ({ user })) } : {}),
  });
  await api.deleteFeatureVersion(environment.id, feature.id, draft.uuid);
  return created;
}

export function approveChangeRequest(api: ApiClient, changeRequest: ChangeRequest): Promise<ChangeRequest> {
  return api.approveChangeRequest(changeRequest.id);
}

export function commitChangeRequest(api: ApiClient, changeRequest: ChangeRequest): Promise<ChangeRequest> {
  return api.commitChangeRequest(changeRequest.id);
}

export function rebaseChangeRequest(api: ApiClient, changeRequest: ChangeRequest, resolutions: RebaseResolution[]): Promise<ChangeRequest> {
  return api.rebaseChangeRequest(changeRequest.id, resolutions);
}

/** A conflict of one feature, as the conflict view lists it. */
export interface FeatureConflict {
  feature: number;
  featureName: string;
  conflict: VersionConflict;
}

/** Every conflicting field of a change request, feature by feature (from its change sets and its diff). */
export function conflictsOf(changeRequest: ChangeRequest, diff: ChangeRequestDiff): FeatureConflict[] {
  return changeRequest.change_sets.flatMap((set) => {
    const featureDiff = diff.features.find((f) => f.feature === set.feature);
    const conflicts = set.conflicts.length > 0 ? set.conflicts : (featureDiff?.conflicts ?? []);
    return conflicts.map((conflict) => ({ feature: set.feature, featureName: featureDiff?.feature_name ?? `Feature ${set.feature}`, conflict }));
  });
}

/** Where a conflict is, for people: "Environment default · value", "beta_users · override". */
export function conflictPlace(conflict: VersionConflict, segmentName: (id: number) => string, optionName: (id: number) => string = (id) => `option ${id}`): string {
  const place = conflict.field === 'order' ? 'Override order' : conflict.segment_id === null ? 'Environment default' : segmentName(conflict.segment_id);
  const setting =
    conflict.field === 'enabled' ? 'enabled' : conflict.field === 'value' ? 'value' : conflict.field === 'weight' ? `weight of ${optionName(conflict.option_id ?? 0)}` : conflict.field === 'override' ? 'the override' : 'priorities';
  return conflict.field === 'order' ? place : `${place} · ${setting}`;
}

function flagStateOf(state: VersionState): FlagStateContent {
  return {
    enabled: state.enabled,
    value: state.feature_state_value,
    multivariateWeights: Object.fromEntries(state.multivariate_feature_state_values.map((m) => [String(m.multivariate_feature_option), m.percentage_allocation])),
  };
}

/** Feature states as a version content (the inverse of statesOfContent). */
export function contentOfStates(states: VersionState[]): VersionContent {
  const def = states.find((s) => s.feature_segment === null);
  const content: VersionContent = {
    environmentDefault: def ? flagStateOf(def) : { enabled: false, value: { type: 'unicode', string_value: null, integer_value: null, boolean_value: null }, multivariateWeights: {} },
    segmentOverrides: {},
  };
  for (const s of states) if (s.feature_segment) content.segmentOverrides[String(s.feature_segment.segment)] = { ...flagStateOf(s), priority: s.feature_segment.priority };
  return content;
}

/**
 * Resolves a draft whose publish answered a conflict: merges base → live and base → draft with the
 * user's choice per conflicting path, then replaces the draft with a new one made from what is live now
 * holding the merged content (so publishing it no longer conflicts). Returns the new draft.
 */
export async function resolveDraftConflicts(
  api: ApiClient,
  environment: Environment,
  feature: Pick<Feature, 'id'>,
  draft: FeatureVersion,
  resolutions: RebaseResolution[],
): Promise<FeatureVersion> {
  const liveVersion = currentLiveVersion(await api.listFeatureVersions(environment.id, feature.id));
  const [mine, live, base] = await Promise.all([
    api.listVersionStates(environment.id, feature.id, draft.uuid),
    liveVersion ? api.listVersionStates(environment.id, feature.id, liveVersion.uuid) : Promise.resolve([]),
    draft.base_version_uuid ? api.listVersionStates(environment.id, feature.id, draft.base_version_uuid) : Promise.resolve(null),
  ]);
  const liveContent = contentOfStates(live);
  const merged = mergeVersionContent(base ? contentOfStates(base) : liveContent, liveContent, contentOfStates(mine));
  const choices: Record<string, MergeSide> = Object.fromEntries(resolutions.filter((r) => r.feature === feature.id).map((r) => [r.path, r.choice]));
  const resolved = statesOfContent(resolveMergeConflicts(merged, choices), feature.id, environment.id);
  const set = changeSetFromDraft(feature.id, live, resolved, null);
  await api.deleteFeatureVersion(environment.id, feature.id, draft.uuid);
  return api.createFeatureVersion(environment.id, feature.id, {
    feature_states_to_update: set.feature_states_to_update ?? [],
    feature_states_to_create: set.feature_states_to_create ?? [],
    segment_ids_to_delete_overrides: set.segment_ids_to_delete_overrides ?? [],
  });
}
