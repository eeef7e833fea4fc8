import { diffVersionContent, describeChange } from '../../src-shared/domain/versioning/version-diff.js';
import type { VersionContent } from '../../src-shared/domain/versioning/version-content.js';
import { featureStateValueOf } from '../../src-shared/domain/flags/feature-state-value.rules.js';
import {
  ApiError,
  type ApiClient,
  type AuditEntry,
  type CurrentUser,
  type Environment,
  type Feature,
  type FeatureState,
  type FeatureVersion,
  type Organisation,
  type OrganisationUser,
  type Project,
  type Segment,
  type VersioningStatus,
  type VersionState,
  type Webhook,
  type WebhookDelivery,
  type ChangeRequest,
  type ChangeRequestDiff,
  type RebaseResolution,
  type ImpactPreview,
  type RevertResult,
} from './api-client.js';

type TypedValue = VersionState['feature_state_value'];

/** Seed data of the fake: one user with password, and the organisation → project → environment tree. */
export interface FakeApiData {
  user: CurrentUser & { password: string };
  organisations: Organisation[];
  projects: Project[];
  environments: Environment[];
  /** Features, each with its state keyed by environment id. */
  features?: { feature: Omit<Feature, 'environment_feature_state'>; states: Record<number, Feature['environment_feature_state']> }[];
  segments?: Segment[];
  users?: OrganisationUser[];
  webhooks?: { environmentId: number; webhook: Webhook; deliveries: WebhookDelivery[] }[];
  audit?: AuditEntry[];
  /** Change requests as the server returns them, with their diff (the fake does not compute diffs). */
  changeRequests?: { changeRequest: ChangeRequest; diff: ChangeRequestDiff }[];
  /**
   * Impact previews the fake answers: a start answers `running` when given (else `done`), and polling
   * answers `done`. `revert` is what a revert answers, or the conflicts it is refused with.
   */
  impact?: { running?: ImpactPreview; done: ImpactPreview; revert?: RevertResult | { conflicts: { feature: number; feature_name: string; reason: string; live_version_uuid: string | null }[] } };
}

interface FakeVersion {
  environmentId: number;
  featureId: number;
  version: FeatureVersion;
  states: VersionState[];
}

const EPOCH = '2026-11-01T00:00:00.000Z';

function typedOf(value: string | number | boolean | null): TypedValue {
  if (typeof value === 'boolean') return { type: 'bool', string_value: null, integer_value: null, boolean_value: value };
  if (typeof value === 'number') return { type: 'int', string_value: null, integer_value: value, boolean_value: null };
  return { type: 'unicode', string_value: value, integer_value: null, boolean_value: null };
}

function typedInput(input: { type?: string; string_value?: unknown; integer_value?: unknown; boolean_value?: unknown } | undefined, fallback: TypedValue): TypedValue {
  if (!input) return fallback;
  const type = (input.type ?? (input.integer_value != null ? 'int' : input.boolean_value != null ? 'bool' : 'unicode')) as TypedValue['type'];
  return {
    type,
    string_value: type === 'unicode' ? ((input.string_value as string | null | undefined) ?? null) : null,
    integer_value: type === 'int' ? ((input.integer_value as number | null | undefined) ?? null) : null,
    boolean_value: type === 'bool' ? ((input.boolean_value as boolean | null | undefined) ?? null) : null,
  };
}

function weightsOf(state: VersionState | undefined): Record<string, number> {
  return Object.fromEntries((state?.multivariate_feature_state_values ?? []).map((m) => [String(m.multivariate_feature_option), m.percentage_allocation]));
}

type WeightsInput = { multivariate_feature_option: number; percentage_allocation: number }[] | undefined;

/** Applies written multivariate shares (the list replaces the state's shares, as on the server). */
function applyWeights(state: VersionState, input: WeightsInput): void {
  if (!input) return;
  if (input.reduce((sum, m) => sum + m.percentage_allocation, 0) > 100) throw new ApiError('VALIDATION_FAILED', 'Multivariate percentage values exceed 100%.', 400);
  state.multivariate_feature_state_values = input.map((m, i) => ({ id: state.id * 100 + i, multivariate_feature_option: m.multivariate_feature_option, percentage_allocation: m.percentage_allocation }));
}

function contentOf(states: VersionState[]): VersionContent {
  const def = states.find((s) => s.feature_segment === null);
  const content: VersionContent = {
    environmentDefault: { enabled: def?.enabled ?? false, value: def?.feature_state_value ?? typedOf(null), multivariateWeights: weightsOf(def) },
    segmentOverrides: {},
  };
  for (const s of states) {
    if (s.feature_segment) content.segmentOverrides[String(s.feature_segment.segment)] = { priority: s.feature_segment.priority, enabled: s.enabled, value: s.feature_state_value, multivariateWeights: weightsOf(s) };
  }
  return content;
}

/**
 * An in-memory ApiClient for component tests, answering as the server does: wrong credentials are
 * VALIDATION_FAILED, calls without the issued token UNAUTHENTICATED; versions follow ADR 0005 (one
 * chain of published versions, drafts made from the live one, restore publishes a copy).
 */
export function createFakeApiClient(
  data: FakeApiData,
  getToken: () => string | null,
  /** Tokens the fake server has issued; share it between clients to model one server and several page loads. */
  issued: Set<string> = new Set(),
  /** The fake server's clock. */
  now: () => string = () => EPOCH,
): ApiClient & { calls: string[]; versions: FakeVersion[]; versioning: Map<string, VersioningStatus[]>; rebases: { id: number; resolutions: RebaseResolution[] }[] } {
  const calls: string[] = [];
  /** The rebase requests received, for tests to check the resolutions sent. */
  const rebases: { id: number; resolutions: RebaseResolution[] }[] = [];
  const changeRequestEntry = (id: number) => (data.changeRequests ?? []).find((c) => c.changeRequest.id === id) ?? fail('NOT_FOUND', 'Not found.');
  const versions: FakeVersion[] = [];
  /** Statuses each environment's status endpoint answers next, one per poll; the last one stays. */
  const versioning = new Map<string, VersioningStatus[]>();
  let nextId = 1;
  const newId = () => nextId++;
  const authed = <T>(name: string, answer: () => T): Promise<T> => {
    calls.push(name);
    const token = getToken();
    if (!token || !issued.has(token)) return Promise.reject(new ApiError('UNAUTHENTICATED', 'Invalid token.', 401));
    try {
      return Promise.resolve(answer());
    } catch (error) {
      return Promise.reject(error);
    }
  };
  const environmentOf = (id: number) => data.environments.find((e) => e.id === id) ?? fail('NOT_FOUND', 'Not found.');
  const environmentByKey = (key: string) => data.environments.find((e) => e.api_key === key) ?? fail('NOT_FOUND', 'Not found.');
  const featureEntry = (id: number) => (data.features ?? []).find((f) => f.feature.id === id) ?? fail('NOT_FOUND', 'Not found.');
  function fail(code: ApiError['code'], message: string, details?: Record<string, unknown>): never {
    throw new ApiError(code, message, code === 'NOT_FOUND' ? 404 : 400, undefined, details);
  }

  function chain(environmentId: number, featureId: number): FakeVersion[] {
    const env = environmentOf(environmentId);
    if (!env.use_v2_feature_versioning) fail('PRECONDITION_FAILED', 'Feature versioning v2 is not enabled for this environment.');
    let list = versions.filter((v) => v.environmentId === environmentId && v.featureId === featureId);
    if (list.length === 0) {
      // As enabling v2 does: one initial published version holding the current state.
      const state = featureEntry(featureId).states[environmentId];
      const initial = makeVersion(environmentId, featureId, { status: 'published', published: true, live_from: EPOCH, is_live: true, created_at: EPOCH, created_by: null });
      initial.states = [makeState(initial, null, state?.enabled ?? false, typedOf(state?.feature_state_value ?? null))];
      versions.push(initial);
      list = [initial];
    }
    return list;
  }

  function makeVersion(environmentId: number, featureId: number, fields: Partial<FeatureVersion>): FakeVersion {
    const at = fields.created_at ?? now();
    return {
      environmentId,
      featureId,
      states: [],
      version: {
        uuid: `v-${newId()}`,
        created_at: at,
        updated_at: at,
        published: false,
        live_from: null,
        is_live: false,
        published_by: null,
        created_by: data.user.id,
        description: null,
        status: 'draft',
        base_version_uuid: null,
        conflicts: null,
        ...fields,
      },
    };
  }

  function makeState(v: FakeVersion, segment: { segment: number; priority: number } | null, enabled: boolean, value: TypedValue): VersionState {
    const id = newId();
    return {
      id,
      uuid: `s-${id}`,
      feature: v.featureId,
      environment: v.environmentId,
      identity: null,
      feature_segment: segment ? { id: newId(), uuid: `fs-${id}`, segment: segment.segment, priority: segment.priority } : null,
      enabled,
      feature_state_value: value,
      multivariate_feature_state_values: [],
      live_from: v.version.live_from,
      created_at: now(),
      updated_at: now(),
      change_request: null,
      environment_feature_version: v.version.uuid,
    };
  }

  function liveOf(environmentId: number, featureId: number): FakeVersion | undefined {
    return chain(environmentId, featureId)
      .filter((v) => v.version.is_live)
      .sort((a, b) => (b.version.live_from ?? '').localeCompare(a.version.live_from ?? ''))[0];
  }

  function findVersion(environmentId: number, featureId: number, uuid: string): FakeVersion {
    return chain(environmentId, featureId).find((v) => v.version.uuid === uuid) ?? fail('NOT_FOUND', 'Not found.');
  }

  function draftOf(environmentId: number, featureId: number, uuid: string): FakeVersion {
    const v = findVersion(environmentId, featureId, uuid);
    if (v.version.status !== 'draft') fail('PRECONDITION_FAILED', 'Published versions cannot be changed.');
    return v;
  }

  function renumber(v: FakeVersion): void {
    const overrides = v.states.filter((s) => s.feature_segment !== null).sort((a, b) => a.feature_segment!.priority - b.feature_segment!.priority);
    overrides.forEach((s, i) => (s.feature_segment!.priority = i));
    v.states = [...v.states.filter((s) => s.feature_segment === null), ...overrides];
  }

  function moveTo(v: FakeVersion, state: VersionState, priority: number): void {
    const others = v.states.filter((s) => s.feature_segment !== null && s !== state).sort((a, b) => a.feature_segment!.priority - b.feature_segment!.priority);
    others.splice(Math.min(priority, others.length), 0, state);
    others.forEach((s, i) => (s.feature_segment!.priority = i));
    renumber(v);
  }

  function copyFrom(source: FakeVersion | undefined, target: FakeVersion): void {
    target.states = (source?.states ?? []).map((s) => ({ ...makeState(target, s.feature_segment, s.enabled, { ...s.feature_state_value }), multivariate_feature_state_values: s.multivariate_feature_state_values.map((m) => ({ ...m })) }));
  }

  function publish(v: FakeVersion, liveFrom: string | undefined): FeatureVersion {
    const at = now();
    const isScheduled = liveFrom !== undefined && liveFrom > at;
    v.version = { ...v.version, published: true, published_by: data.user.id, live_from: liveFrom ?? at, is_live: !isScheduled, status: isScheduled ? 'scheduled' : 'published', updated_at: at };
    return v.version;
  }

  /**
   * A simplified D8: when live moved on since the draft's base and both changed the same field of the same
   * place, publishing is refused with the conflicts, as the server does. (Disjoint changes are not merged:
   * the draft's content wins.)
   */
  function refuseConflicts(draft: FakeVersion, live: FakeVersion | undefined): void {
    const baseUuid = draft.version.base_version_uuid;
    if (!baseUuid || !live || live.version.uuid === baseUuid) return;
    const base = contentOf(findVersion(draft.environmentId, draft.featureId, baseUuid).states);
    const theirs = diffVersionContent(base, contentOf(live.states));
    const mine = diffVersionContent(base, contentOf(draft.states));
    const place = (c: (typeof mine)[number]) => `${c.kind}:${c.segmentId}`;
    const conflicts = mine.flatMap((m) => {
      const t = theirs.find((x) => place(x) === place(m));
      if (!t || (m.kind !== 'enabled' && m.kind !== 'value') || (t.kind !== 'enabled' && t.kind !== 'value')) return [];
      const path = m.segmentId === null ? `environmentDefault.${m.kind}` : `segmentOverrides.${m.segmentId}.${m.kind}`;
      return [{ path, field: m.kind, segment_id: m.segmentId === null ? null : Number(m.segmentId), option_id: null, base: m.from, live: t.to, mine: m.to }];
    });
    if (conflicts.length > 0) fail('PRECONDITION_FAILED', `Version ${draft.version.uuid} conflicts with version ${live.version.uuid}, published after its base.`, { conflicts });
  }

  function segmentNames(): Record<string, string> {
    return Object.fromEntries((data.segments ?? []).map((s) => [String(s.id), s.name]));
  }

  return {
    calls,
    versions,
    versioning,
    rebases,
    login: async ({ email, password }) => {
      calls.push('login');
      if (email.toLowerCase() !== data.user.email || password !== data.user.password) throw new ApiError('VALIDATION_FAILED', 'Unable to log in with provided credentials.', 400);
      const token = `token-${issued.size + 1}`;
      issued.add(token);
      return token;
    },
    logout: () => authed('logout', () => void issued.delete(getToken()!)),
    getCurrentUser: () => authed('getCurrentUser', () => ({ id: data.user.id, email: data.user.email, first_name: data.user.first_name, last_name: data.user.last_name, uuid: data.user.uuid })),
    listOrganisations: () => authed('listOrganisations', () => data.organisations),
    listOrganisationUsers: (organisationId) => authed(`listOrganisationUsers:${organisationId}`, () => data.users ?? []),
    listProjects: (organisationId) => authed(`listProjects:${organisationId}`, () => data.projects.filter((p) => p.organisation === organisationId)),
    listEnvironments: (projectId) => authed(`listEnvironments:${projectId}`, () => data.environments.filter((e) => e.project === projectId).map((e) => ({ ...e }))),
    listFeatures: (projectId, { environmentId, search }) =>
      authed(`listFeatures:${projectId}:${environmentId}:${search ?? ''}`, () =>
        (data.features ?? [])
          .filter(({ feature }) => feature.project === projectId && !feature.is_archived && feature.name.toLowerCase().includes((search ?? '').toLowerCase()))
          // Like the server today, the list shows the environment's first default row, not the live version's.
          .map(({ feature, states }) => ({ ...feature, environment_feature_state: states[environmentId] ?? null }))
          .sort((a, b) => a.name.localeCompare(b.name)),
      ),
    listSegments: (projectId) => authed(`listSegments:${projectId}`, () => (data.segments ?? []).filter((s) => s.project === projectId)),
    createSegment: (projectId, body) =>
      authed(`createSegment:${projectId}`, () => {
        if (!body.name.trim()) fail('VALIDATION_FAILED', 'body/name: must not be empty');
        const created: Segment = { id: newId() + 1000, uuid: `seg-${nextId}`, name: body.name, description: body.description ?? null, project: projectId, feature: body.feature ?? null, rules: body.rules, created_at: now(), updated_at: now() };
        (data.segments ??= []).push(created);
        return created;
      }),
    updateSegment: (projectId, segmentId, body) =>
      authed(`updateSegment:${projectId}:${segmentId}`, () => {
        const existing = (data.segments ?? []).find((x) => x.id === segmentId && x.project === projectId) ?? fail('NOT_FOUND', 'Not found.');
        Object.assign(existing, { name: body.name, description: body.description ?? null, rules: body.rules, updated_at: now() });
        return existing;
      }),
    deleteSegment: (projectId, segmentId) =>
      authed(`deleteSegment:${projectId}:${segmentId}`, () => {
        data.segments = (data.segments ?? []).filter((x) => x.id !== segmentId);
      }),

    listFeatureStates: (environmentId, featureId) =>
      authed(`listFeatureStates:${environmentId}:${featureId}`, (): FeatureState[] => {
        const state = featureEntry(featureId).states[environmentId];
        if (!state) return [];
        return [
          {
            id: state.id, uuid: `fs-${state.id}`, feature: featureId, environment: environmentId, identity: null, feature_segment: null, enabled: state.enabled,
            feature_state_value: typedOf(state.feature_state_value), multivariate_feature_state_values: [], version: 1, live_from: EPOCH, created_at: EPOCH,
            updated_at: state.updated_at, change_request: null, environment_feature_version: null,
          },
        ];
      }),
    listFeatureSegments: (environmentId, featureId) => authed(`listFeatureSegments:${environmentId}:${featureId}`, () => []),
    updateFeatureState: (id, body) =>
      authed(`updateFeatureState:${id}`, () => {
        const entry = featureEntry(body.feature ?? 0);
        const state = entry.states[body.environment ?? 0] ?? fail('NOT_FOUND', 'Not found.');
        if (body.enabled !== undefined) state.enabled = body.enabled;
        if (body.feature_state_value) state.feature_state_value = featureStateValueOf({ ...typedInput(body.feature_state_value, typedOf(null)) });
        return {
          id, uuid: `fs-${id}`, feature: entry.feature.id, environment: state.environment, identity: null, feature_segment: null, enabled: state.enabled,
          feature_state_value: typedOf(state.feature_state_value), multivariate_feature_state_values: [], version: 1, live_from: EPOCH, created_at: EPOCH, updated_at: now(),
          change_request: null, environment_feature_version: null,
        };
      }),
    createFeatureState: () => authed('createFeatureState', () => fail('PRECONDITION_FAILED', 'The fake keeps no v1 segment overrides.')),
    createFeatureSegment: () => authed('createFeatureSegment', () => fail('PRECONDITION_FAILED', 'The fake keeps no v1 segment overrides.')),
    deleteFeatureSegment: (id) => authed(`deleteFeatureSegment:${id}`, () => undefined),
    updateFeatureSegmentPriorities: () => authed('updateFeatureSegmentPriorities', () => []),
    listEnvironmentFeatureStates: (apiKey) =>
      authed(`listEnvironmentFeatureStates:${apiKey}`, () => {
        const env = environmentByKey(apiKey);
        return (data.features ?? []).flatMap(({ feature, states }) => {
          const state = states[env.id];
          if (!state) return [];
          const live = env.use_v2_feature_versioning ? liveOf(env.id, feature.id)?.states.find((s) => s.feature_segment === null) : undefined;
          return [
            {
              id: state.id, uuid: `fs-${state.id}`, feature: feature.id, environment: env.id, identity: null, feature_segment: null,
              enabled: live ? live.enabled : state.enabled,
              feature_state_value: live ? featureStateValueOf({ ...live.feature_state_value }) : state.feature_state_value,
              multivariate_feature_state_values: [], version: null, live_from: EPOCH, created_at: EPOCH, updated_at: state.updated_at, change_request: null,
              environment_feature_version: live ? live.environment_feature_version : null,
            },
          ];
        });
      }),
    setEnvironmentFeatureStateEnabled: (apiKey, stateId, enabled) =>
      authed(`setEnvironmentFeatureStateEnabled:${apiKey}:${stateId}:${enabled}`, () => {
        const env = environmentByKey(apiKey);
        const entry = (data.features ?? []).find((f) => f.states[env.id]?.id === stateId) ?? fail('NOT_FOUND', 'Not found.');
        entry.states[env.id]!.enabled = enabled;
      }),

    listFeatureVersions: (environmentId, featureId, filter = {}) =>
      authed(`listFeatureVersions:${environmentId}:${featureId}`, () =>
        chain(environmentId, featureId)
          .map((v) => v.version)
          .filter((v) => (filter.published === undefined || v.published === filter.published) && (filter.is_live === undefined || v.is_live === filter.is_live))
          .sort((a, b) => b.created_at.localeCompare(a.created_at) || b.uuid.localeCompare(a.uuid, undefined, { numeric: true })),
      ),
    createFeatureVersion: (environmentId, featureId, body) =>
      authed(`createFeatureVersion:${environmentId}:${featureId}`, () => {
        const live = liveOf(environmentId, featureId);
        const draft = makeVersion(environmentId, featureId, { base_version_uuid: live?.version.uuid ?? null, description: body.description ?? null });
        copyFrom(live, draft);
        for (const u of body.feature_states_to_update ?? []) {
          const target = draft.states.find((s) => (u.feature_segment ? s.feature_segment?.segment === u.feature_segment.segment : s.feature_segment === null)) ?? fail('VALIDATION_FAILED', 'No such state.');
          if (u.enabled !== undefined) target.enabled = u.enabled;
          target.feature_state_value = typedInput(u.feature_state_value, target.feature_state_value);
          applyWeights(target, u.multivariate_feature_state_values);
          if (u.feature_segment?.priority !== undefined) moveTo(draft, target, u.feature_segment.priority);
        }
        for (const segmentId of body.segment_ids_to_delete_overrides ?? []) draft.states = draft.states.filter((s) => s.feature_segment?.segment !== segmentId);
        for (const c of body.feature_states_to_create ?? []) {
          const state = makeState(draft, { segment: c.feature_segment.segment, priority: 0 }, c.enabled ?? false, typedInput(c.feature_state_value, typedOf(null)));
          applyWeights(state, c.multivariate_feature_state_values);
          draft.states.push(state);
          moveTo(draft, state, c.feature_segment.priority ?? draft.states.length);
        }
        renumber(draft);
        versions.push(draft);
        return body.publish_immediately ? publish(draft, undefined) : draft.version;
      }),
    deleteFeatureVersion: (environmentId, featureId, uuid) =>
      authed(`deleteFeatureVersion:${uuid}`, () => {
        const v = findVersion(environmentId, featureId, uuid);
        // A scheduled version can be deleted (its schedule is cancelled), as Flagsmith answers 204.
        if (v.version.published && v.version.status !== 'scheduled') fail('PRECONDITION_FAILED', 'Published versions are immutable.');
        versions.splice(versions.indexOf(v), 1);
      }),
    publishFeatureVersion: (environmentId, featureId, uuid, liveFrom) =>
      authed(`publishFeatureVersion:${uuid}:${liveFrom ?? 'now'}`, () => {
        const draft = draftOf(environmentId, featureId, uuid);
        refuseConflicts(draft, liveOf(environmentId, featureId));
        return publish(draft, liveFrom);
      }),
    restoreFeatureVersion: (environmentId, featureId, uuid) =>
      authed(`restoreFeatureVersion:${uuid}`, () => {
        const source = findVersion(environmentId, featureId, uuid);
        if (!source.version.published) fail('PRECONDITION_FAILED', 'Only published versions can be restored.');
        const copy = makeVersion(environmentId, featureId, { base_version_uuid: liveOf(environmentId, featureId)?.version.uuid ?? null, description: `Restored from version ${uuid}` });
        copyFrom(source, copy);
        versions.push(copy);
        return publish(copy, undefined);
      }),
    getFeatureVersionDiff: (environmentId, featureId, uuid, against) =>
      authed(`getFeatureVersionDiff:${uuid}:${against ?? ''}`, () => {
        const v = findVersion(environmentId, featureId, uuid);
        const otherUuid = against ?? v.version.base_version_uuid;
        const other = otherUuid ? findVersion(environmentId, featureId, otherUuid) : undefined;
        if (!other) return { version_uuid: uuid, against_version_uuid: null, changes: [] };
        const options = featureEntry(featureId).feature.multivariate_options;
        const names = { segments: segmentNames(), multivariateOptions: Object.fromEntries(options.map((o) => [String(o.id), String(featureStateValueOf({ ...o }))])) };
        return {
          version_uuid: uuid,
          against_version_uuid: other.version.uuid,
          changes: diffVersionContent(contentOf(other.states), contentOf(v.states)).map((c) => ({
            kind: c.kind,
            segment_id: c.segmentId === null ? null : Number(c.segmentId),
            option_id: c.kind === 'weight' ? Number(c.optionId) : null,
            from: c.kind === 'override-added' ? null : c.kind === 'override-removed' ? c.override : c.from,
            to: c.kind === 'override-removed' ? null : c.kind === 'override-added' ? c.override : c.to,
            sentence: describeChange(c, names),
          })),
        };
      }),
    listVersionStates: (environmentId, featureId, uuid) => authed(`listVersionStates:${uuid}`, () => findVersion(environmentId, featureId, uuid).states.map((s) => ({ ...s }))),
    createVersionState: (environmentId, featureId, uuid, body) =>
      authed(`createVersionState:${uuid}:${body.feature_segment.segment}`, () => {
        const v = draftOf(environmentId, featureId, uuid);
        if (v.states.some((s) => s.feature_segment?.segment === body.feature_segment.segment)) fail('VALIDATION_FAILED', 'segment override already exists');
        const state = makeState(v, { segment: body.feature_segment.segment, priority: 0 }, body.enabled ?? false, typedInput(body.feature_state_value, typedOf(null)));
        applyWeights(state, body.multivariate_feature_state_values);
        v.states.push(state);
        moveTo(v, state, body.feature_segment.priority ?? v.states.length);
        return state;
      }),
    updateVersionState: (environmentId, featureId, uuid, stateId, body) =>
      authed(`updateVersionState:${uuid}:${stateId}`, () => {
        const v = draftOf(environmentId, featureId, uuid);
        const state = v.states.find((s) => s.id === stateId) ?? fail('NOT_FOUND', 'Not found.');
        if (body.enabled !== undefined) state.enabled = body.enabled;
        state.feature_state_value = typedInput(body.feature_state_value, state.feature_state_value);
        applyWeights(state, body.multivariate_feature_state_values);
        if (body.feature_segment?.priority !== undefined) moveTo(v, state, body.feature_segment.priority);
        v.version.updated_at = now();
        return { ...state };
      }),
    deleteVersionState: (environmentId, featureId, uuid, stateId) =>
      authed(`deleteVersionState:${uuid}:${stateId}`, () => {
        const v = draftOf(environmentId, featureId, uuid);
        v.states = v.states.filter((s) => s.id !== stateId);
        renumber(v);
      }),

    getVersioningStatus: (apiKey) =>
      authed(`getVersioningStatus:${apiKey}`, () => {
        const env = environmentByKey(apiKey);
        const queue = versioning.get(apiKey);
        if (queue && queue.length > 0) return queue.length > 1 ? queue.shift()! : queue[0]!;
        return { environment: env.id, api_key: apiKey, versioning_status: env.use_v2_feature_versioning ? 'v2' : 'v1', use_v2_feature_versioning: env.use_v2_feature_versioning, progress: null, last_error: null };
      }),
    // The fake's migration is seen running once (half done) by the next poll, then done.
    enableV2Versioning: (apiKey) =>
      authed(`enableV2Versioning:${apiKey}`, () => {
        const env = environmentByKey(apiKey);
        if (env.use_v2_feature_versioning) fail('PRECONDITION_FAILED', 'Feature versioning v2 is already enabled.');
        env.use_v2_feature_versioning = true;
        const total = (data.features ?? []).filter((f) => f.feature.project === env.project).length;
        const status: VersioningStatus = { environment: env.id, api_key: apiKey, versioning_status: 'v2', use_v2_feature_versioning: true, progress: { done: total, total }, last_error: null };
        const running = { ...status, versioning_status: 'enabling' as const, use_v2_feature_versioning: false };
        versioning.set(apiKey, [{ ...running, progress: { done: Math.floor(total / 2), total } }, status]);
        return { ...running, progress: { done: 0, total } };
      }),
    disableV2Versioning: (apiKey) =>
      authed(`disableV2Versioning:${apiKey}`, () => {
        const env = environmentByKey(apiKey);
        if (!env.use_v2_feature_versioning) fail('PRECONDITION_FAILED', 'Feature versioning v2 is not enabled.');
        env.use_v2_feature_versioning = false;
        const status: VersioningStatus = { environment: env.id, api_key: apiKey, versioning_status: 'v1', use_v2_feature_versioning: false, progress: null, last_error: null };
        versioning.set(apiKey, [status]);
        return { ...status, versioning_status: 'disabling', use_v2_feature_versioning: true };
      }),

    listEnvironmentWebhooks: (apiKey) => authed(`listEnvironmentWebhooks:${apiKey}`, () => (data.webhooks ?? []).filter((w) => w.environmentId === environmentByKey(apiKey).id).map((w) => w.webhook)),
    createEnvironmentWebhook: (apiKey, body) =>
      authed(`createEnvironmentWebhook:${apiKey}`, () => {
        const webhook: Webhook = { id: newId(), url: body.url, enabled: body.enabled ?? true, has_secret: Boolean(body.secret), created_at: now(), updated_at: now() };
        (data.webhooks ??= []).push({ environmentId: environmentByKey(apiKey).id, webhook, deliveries: [] });
        return webhook;
      }),
    listWebhookDeliveries: (apiKey, webhookId, page) =>
      authed(`listWebhookDeliveries:${apiKey}:${webhookId}:${page}`, () => {
        const entry = (data.webhooks ?? []).find((w) => w.webhook.id === webhookId) ?? fail('NOT_FOUND', 'Not found.');
        return { count: entry.deliveries.length, results: entry.deliveries.slice((page - 1) * 20, page * 20) };
      }),
    redeliverWebhookDelivery: (apiKey, webhookId, deliveryId) =>
      authed(`redeliverWebhookDelivery:${webhookId}:${deliveryId}`, () => {
        const entry = (data.webhooks ?? []).find((w) => w.webhook.id === webhookId) ?? fail('NOT_FOUND', 'Not found.');
        const delivery = entry.deliveries.find((d) => d.id === deliveryId) ?? fail('NOT_FOUND', 'Not found.');
        if (delivery.status !== 'failed' && delivery.status !== 'dead') fail('PRECONDITION_FAILED', 'Only failed or dead deliveries can be sent again.');
        Object.assign(delivery, { status: 'pending', attempts: 0, next_attempt_at: now() });
        return delivery;
      }),

    listAuditLogs: (query) =>
      authed(`listAuditLogs:${JSON.stringify(query)}`, () => {
        const search = query.search?.toLowerCase();
        const matching = (data.audit ?? []).filter(
          (e) =>
            (!search || e.log.toLowerCase().includes(search)) &&
            (query.environments === undefined || (e.environment !== null && query.environments.includes(e.environment.id))) &&
            (query.is_system_event === undefined || e.is_system_event === query.is_system_event) &&
            (query.project === undefined || e.project?.id === query.project),
        );
        const size = query.page_size ?? 100;
        const page = query.page ?? 1;
        return { count: matching.length, results: matching.slice((page - 1) * size, page * size) };
      }),

    listChangeRequests: (environmentId, filter = {}) =>
      authed('listChangeRequests', () =>
        (data.changeRequests ?? [])
          .map((c) => c.changeRequest)
          .filter((c) => c.environment === environmentId && (filter.committed === undefined || c.is_committed === filter.committed))
          .sort((a, b) => b.id - a.id),
      ),
    getChangeRequest: (id) => authed('getChangeRequest', () => changeRequestEntry(id).changeRequest),
    getChangeRequestDiff: (id) => authed('getChangeRequestDiff', () => changeRequestEntry(id).diff),
    createChangeRequest: (apiKey, body) =>
      authed('createChangeRequest', () => {
        const env = environmentByKey(apiKey);
        const id = newId();
        const at = now();
        const changeRequest: ChangeRequest = {
          id, uuid: `cr-${id}`, title: body.title, description: body.description ?? null, user: data.user.id, environment: env.id, project: env.project, created_at: at, updated_at: at,
          committed_at: null, committed_by: null, deleted_at: null, is_committed: false, is_approved: !env.minimum_change_request_approvals, status: 'open',
          required_approvals: env.minimum_change_request_approvals, current_approvals: 0, content_hash: `sha256:${id}`, feature_states: [],
          approvals: (body.approvals ?? []).map((a) => ({ user: a.user, approved_at: null, is_assignee: true, content_hash: null, is_stale: false })),
          environment_feature_versions: [],
          change_sets: body.change_sets.map((set, i) => ({
            id: id * 100 + i, feature: set.feature, live_from: set.live_from ?? null, feature_states_to_create: [], feature_states_to_update: [], segment_ids_to_delete_overrides: set.segment_ids_to_delete_overrides ?? [],
            base_version_uuid: liveOf(env.id, set.feature)?.version.uuid ?? null, content_hash: `sha256:${id}-${i}`, environment_feature_version: null, version_status: null, conflicts: [],
          })),
        };
        const diff: ChangeRequestDiff = { change_request: id, content_hash: changeRequest.content_hash, features: [], approvals: [] };
        data.changeRequests = [...(data.changeRequests ?? []), { changeRequest, diff }];
        return changeRequest;
      }),
    approveChangeRequest: (id) =>
      authed('approveChangeRequest', () => {
        const entry = changeRequestEntry(id);
        const cr = entry.changeRequest;
        if (cr.user === data.user.id) fail('PRECONDITION_FAILED', 'A user cannot approve their own change request.');
        const approval = { user: data.user.id, approved_at: now(), is_assignee: false, content_hash: cr.content_hash, is_stale: false };
        const approvals = [...cr.approvals.filter((a) => a.user !== data.user.id), approval];
        const current = approvals.filter((a) => a.approved_at !== null && !a.is_stale).length;
        entry.changeRequest = { ...cr, approvals, current_approvals: current, is_approved: current >= (cr.required_approvals ?? 0) };
        return entry.changeRequest;
      }),
    commitChangeRequest: (id) =>
      authed('commitChangeRequest', () => {
        const entry = changeRequestEntry(id);
        const cr = entry.changeRequest;
        if (cr.status === 'needs_rebase') fail('PRECONDITION_FAILED', 'Rebase it first.', { reason: 'CHANGE_REQUEST_NEEDS_REBASE' });
        if (!cr.is_approved) fail('PRECONDITION_FAILED', `Change request ${id} needs ${cr.required_approvals} current approval(s).`, { reason: 'CHANGE_REQUEST_NOT_APPROVED' });
        const isScheduled = cr.change_sets.some((s) => s.live_from !== null && s.live_from > now());
        entry.changeRequest = { ...cr, is_committed: true, committed_at: now(), committed_by: data.user.id, status: isScheduled ? 'scheduled' : 'committed' };
        return entry.changeRequest;
      }),
    rebaseChangeRequest: (id, resolutions) =>
      authed('rebaseChangeRequest', () => {
        const entry = changeRequestEntry(id);
        rebases.push({ id, resolutions });
        entry.changeRequest = {
          ...entry.changeRequest, status: 'open', is_committed: false, committed_at: null, committed_by: null,
          change_sets: entry.changeRequest.change_sets.map((s) => ({ ...s, conflicts: [], version_status: null, environment_feature_version: null })),
        };
        entry.diff = { ...entry.diff, features: entry.diff.features.map((f) => ({ ...f, conflicts: [], is_mergeable: true })) };
        return entry.changeRequest;
      }),

    previewVersionImpact: () => authed('previewVersionImpact', () => impactStart()),
    previewChangeRequestImpact: () => authed('previewChangeRequestImpact', () => impactStart()),
    getImpactPreview: () => authed('getImpactPreview', () => data.impact?.done ?? fail('NOT_FOUND', 'Impact preview not found.')),
    cancelImpactPreview: () => authed('cancelImpactPreview', () => undefined),
    revertChangeRequest: (id, { skipConflicting }) =>
      authed('revertChangeRequest', () => {
        changeRequestEntry(id);
        const answer = data.impact?.revert ?? fail('PRECONDITION_FAILED', 'Only a committed change request can be reverted', { reason: 'NOT_COMMITTED' });
        if ('conflicts' in answer) {
          if (!skipConflicting) throw new ApiError('REVISION_CONFLICT', `${answer.conflicts.length} feature(s) changed since`, 409, undefined, { reason: 'CHANGED_SINCE', conflicts: answer.conflicts });
          return { reverted: [], skipped: answer.conflicts.map((c) => ({ feature: c.feature, feature_name: c.feature_name, reason: c.reason })), change_request: null };
        }
        return answer;
      }),
  };

  function impactStart(): ImpactPreview {
    const impact = data.impact ?? fail('NOT_FOUND', 'Version not found.');
    return impact.running ?? impact.done;
  }
}
