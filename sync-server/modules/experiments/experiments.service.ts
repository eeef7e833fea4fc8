import { EnvironmentPermission } from '../../../src-shared/domain/permissions/permissions.js';
import { AppError, notFound, validationFailed } from '../../../src-shared/errors/app-error.js';
import { ErrorCode } from '../../../src-shared/errors/error-codes.js';
import type { DeleteSegmentOverrideInput, UpdateFlagV1Input, UpdateFlagV2Input } from '../../../src-shared/contracts/http/experiments.contract.js';
import type { FeatureStateWire, SegmentOverrideCreateInput } from '../../../src-shared/contracts/http/feature-states.contract.js';
import { V2_DIRECT_WRITE_REFUSED } from '../segments/feature-segments.service.js';
import type { FeatureVersionCreateInput } from '../../../src-shared/contracts/http/versions.contract.js';
import { changeRequestsRequired } from '../access/direct-change.js';
import type { Principal } from '../access/principal.js';
import type { AccessService } from '../access/access.service.js';
import type { EnvironmentsService } from '../environments/environments.service.js';
import type { FeaturesService } from '../features/features.service.js';
import type { FeatureStatesService } from '../features/feature-states.service.js';
import type { FeatureSegmentsService } from '../segments/feature-segments.service.js';
import type { SegmentsService } from '../segments/segments.service.js';
import type { VersionsService } from '../versions/versions.service.js';
import type { MigrationService } from '../migration/migration.service.js';

/**
 * Flagsmith's experimental flag-update endpoints (`update-flag-v1`, `update-flag-v2`,
 * `delete-segment-override`). The caller needs UPDATE_FEATURE_STATE on the environment; an environment
 * with change requests refuses them (403), as Flagsmith does, and one whose v1 ↔ v2 migration is running
 * answers 400 (PRECONDITION_FAILED) until it finishes. The feature is named by `name` or `id` and
 * must be one of the environment's project; segments likewise (else 400 naming the field).
 *
 * On a v1 environment the feature states change in place through the features and segments modules'
 * services (each with their audit entries, FLAG_UPDATED webhooks and document revision bumps). On a v2
 * environment every call publishes exactly one version through the versions service (its EF_VERSION
 * audit entry, NEW_VERSION_PUBLISHED and FLAG_UPDATED webhooks). Omitted fields keep their value.
 */
export interface ExperimentsService {
  updateFlagV1(p: Principal, environmentKey: string, input: UpdateFlagV1Input): Promise<void>;
  updateFlagV2(p: Principal, environmentKey: string, input: UpdateFlagV2Input): Promise<void>;
  deleteSegmentOverride(p: Principal, environmentKey: string, input: DeleteSegmentOverrideInput): Promise<void>;
  /**
   * `POST /environments/{key}/features/{id}/create-segment-override/`: the feature segment and its state
   * (v1). Refused on v2 with Flagsmith's 400 (spec §6.1 HEAD): overrides change through versions there.
   */
  createSegmentOverride(p: Principal, environmentKey: string, featureId: number, input: SegmentOverrideCreateInput): Promise<FeatureStateWire>;
}

type FlagValueInput = NonNullable<UpdateFlagV1Input['value']>;
type TypedValue = { type: 'unicode'; string_value: string } | { type: 'int'; integer_value: number } | { type: 'bool'; boolean_value: boolean };
type Shares = { multivariate_feature_option: number; percentage_allocation: number }[];

/** One place's change, already checked: the environment default (`segmentId` null) or an override. */
interface PlaceChange {
  segmentId: number | null;
  priority: number | undefined;
  enabled: boolean | undefined;
  value: TypedValue | undefined;
  shares: Shares | undefined;
}

interface Target {
  environmentId: number;
  projectId: number;
  isV2: boolean;
  featureId: number;
}

const PAGE = { offset: 0, limit: 1000 };

/** Flagsmith's `FeatureValueSerializer`: the text read as the given type. */
function typedValue(path: string, v: FlagValueInput): TypedValue {
  if (v.type === 'integer') {
    const n = Number(v.value.trim());
    if (!/^\s*[-+]?\d+\s*$/.test(v.value) || !Number.isSafeInteger(n)) throw validationFailed(`${path}/value`, `'${v.value}' is not a valid integer`);
    return { type: 'int', integer_value: n };
  }
  if (v.type === 'boolean') {
    const lower = v.value.toLowerCase();
    if (lower !== 'true' && lower !== 'false') throw validationFailed(`${path}/value`, `'${v.value}' is not a valid boolean (use 'true' or 'false')`);
    return { type: 'bool', boolean_value: lower === 'true' };
  }
  return { type: 'unicode', string_value: v.value };
}

/** A number as Python prints a float (`110.0`, `100.5`), as Flagsmith's messages show allocations. */
function pythonFloat(n: number): string {
  const rounded = Math.round(n * 1e9) / 1e9;
  return Number.isInteger(rounded) ? `${rounded}.0` : String(rounded);
}

function stateFields(c: PlaceChange) {
  return {
    ...(c.enabled === undefined ? {} : { enabled: c.enabled }),
    ...(c.value === undefined ? {} : { feature_state_value: c.value }),
    ...(c.shares === undefined ? {} : { multivariate_feature_state_values: c.shares }),
  };
}

export function createExperimentsService(deps: {
  access: AccessService;
  environments: Pick<EnvironmentsService, 'find'>;
  features: Pick<FeaturesService, 'list' | 'get'>;
  featureStates: Pick<FeatureStatesService, 'list' | 'listInEnvironment' | 'update' | 'create'>;
  segments: Pick<SegmentsService, 'get'>;
  featureSegments: Pick<FeatureSegmentsService, 'list' | 'create' | 'remove' | 'updatePriorities'>;
  versions: Pick<VersionsService, 'create' | 'liveVersionUuids' | 'listStates'>;
  migration: Pick<MigrationService, 'isMigrating'>;
}): ExperimentsService {
  const { access, environments, features, featureStates, segments, featureSegments, versions, migration } = deps;

  const asBadField = (path: string, message: string) => (e: unknown): never => {
    throw e instanceof AppError && e.code === ErrorCode.NOT_FOUND ? validationFailed(path, message) : e;
  };

  async function target(p: Principal, environmentKey: string, feature: UpdateFlagV1Input['feature']): Promise<Target> {
    const scope = await access.assertEnvironmentByApiKey(p, environmentKey, EnvironmentPermission.UPDATE_FEATURE_STATE);
    const env = await environments.find(scope.environmentId);
    if (!env) throw notFound('Environment');
    // Flagsmith's 403 on an environment with change requests. With the explicit bypass the call goes on;
    // each write it makes (feature states, feature segments, versions) audits the bypass itself.
    if ((await access.directChange(p, env.id)) === 'refused') throw changeRequestsRequired();
    // Mid-migration a change would land on the side the job is leaving and be lost.
    if (await migration.isMigrating(env.id)) {
      throw new AppError(ErrorCode.PRECONDITION_FAILED, `A feature versioning migration is running on this environment; try again when GET /api/v1/environments/${environmentKey}/versioning-status/ shows it finished.`, {
        details: { reason: 'VERSIONING_MIGRATION_RUNNING' },
      });
    }
    const hasName = feature.name !== undefined;
    const hasId = feature.id !== undefined;
    if (hasName === hasId) throw validationFailed('body/feature', hasName ? "Provide either 'name' or 'id', not both" : "Either 'name' or 'id' is required for feature identification");
    let featureId: number;
    if (hasId) {
      featureId = (await features.get(p, scope.projectId, feature.id!).catch(asBadField('body/feature/id', `Feature with id ${feature.id} not found in project`))).id;
    } else {
      const found = (await features.list(p, scope.projectId, { search: feature.name }, PAGE)).items.find((f) => f.name === feature.name);
      if (!found) throw validationFailed('body/feature/name', `Feature '${feature.name}' not found in project`);
      featureId = found.id;
    }
    return { environmentId: env.id, projectId: scope.projectId, isV2: env.useV2FeatureVersioning, featureId };
  }

  async function checkSegment(p: Principal, t: Target, segmentId: number, path: string): Promise<void> {
    await segments.get(p, t.projectId, segmentId).catch(asBadField(path, `Segment with id ${segmentId} not found in project`));
  }

  // ---- v1: feature states changed in place ------------------------------------------------------------

  async function overrideOf(p: Principal, t: Target, segmentId: number) {
    return (await featureSegments.list(p, { environment: t.environmentId, feature: t.featureId }, PAGE)).items.find((s) => s.segment === segmentId);
  }

  async function stateIdOf(p: Principal, t: Target, featureSegmentId: number | null): Promise<number> {
    const { items } = await featureStates.list(p, { environment: t.environmentId, feature: t.featureId, ...(featureSegmentId === null ? {} : { feature_segment: featureSegmentId }) }, PAGE);
    const state = items.find((s) => s.feature_segment === featureSegmentId && s.identity === null);
    if (!state) throw notFound('Feature state');
    return state.id;
  }

  async function applyV1(p: Principal, environmentKey: string, t: Target, c: PlaceChange): Promise<void> {
    const fields = stateFields(c);
    if (c.segmentId === null) {
      const { items } = await featureStates.listInEnvironment(p, environmentKey, { feature: t.featureId }, PAGE);
      const state = items[0];
      if (!state) throw notFound('Feature state');
      await featureStates.update(p, state.id, fields, true);
      return;
    }
    const existing = await overrideOf(p, t, c.segmentId);
    if (!existing) {
      const created = await featureSegments.create(p, { feature: t.featureId, segment: c.segmentId, environment: t.environmentId, ...(c.priority === undefined ? {} : { priority: c.priority }) });
      await featureStates.create(p, { feature: t.featureId, environment: t.environmentId, feature_segment: created.id, enabled: c.enabled ?? false, ...fields });
      return;
    }
    await featureStates.update(p, await stateIdOf(p, t, existing.id), fields, true);
    if (c.priority !== undefined && c.priority !== existing.priority) await featureSegments.updatePriorities(p, [{ id: existing.id, priority: c.priority }]);
  }

  // ---- v2: one published version per call -----------------------------------------------------------

  async function liveOverrides(p: Principal, t: Target): Promise<Set<number>> {
    const live = (await versions.liveVersionUuids(t.environmentId)).get(t.featureId);
    if (live === undefined) return new Set();
    const states = await versions.listStates(p, t.environmentId, t.featureId, live);
    return new Set(states.flatMap((s) => (s.feature_segment ? [s.feature_segment.segment] : [])));
  }

  async function publishV2(p: Principal, t: Target, changes: PlaceChange[], deleteSegmentIds: number[]): Promise<void> {
    const existing = await liveOverrides(p, t);
    const input: FeatureVersionCreateInput = { publish_immediately: true, feature_states_to_create: [], feature_states_to_update: [], segment_ids_to_delete_overrides: deleteSegmentIds };
    for (const c of changes) {
      if (c.segmentId === null) {
        input.feature_states_to_update!.push({ feature_segment: null, ...stateFields(c) });
      } else {
        const feature_segment = { segment: c.segmentId, ...(c.priority === undefined ? {} : { priority: c.priority }) };
        if (existing.has(c.segmentId)) input.feature_states_to_update!.push({ feature_segment, ...stateFields(c) });
        else input.feature_states_to_create!.push({ feature_segment, enabled: c.enabled ?? false, ...stateFields(c) });
      }
    }
    await versions.create(p, t.environmentId, t.featureId, input);
  }

  /** The shares a place has now (option id → percentage): the live version's on v2, the v1 state's otherwise. */
  async function currentShares(p: Principal, t: Target, segmentId: number | null): Promise<Map<number, number>> {
    let values: { multivariate_feature_option: number; percentage_allocation: number }[] | undefined;
    if (t.isV2) {
      const live = (await versions.liveVersionUuids(t.environmentId)).get(t.featureId);
      const states = live === undefined ? [] : await versions.listStates(p, t.environmentId, t.featureId, live);
      values = states.find((s) => (s.feature_segment?.segment ?? null) === segmentId)?.multivariate_feature_state_values;
    } else {
      const fsegId = segmentId === null ? null : (await overrideOf(p, t, segmentId))?.id;
      if (fsegId !== undefined) {
        const { items } = await featureStates.list(p, { environment: t.environmentId, feature: t.featureId }, PAGE);
        values = items.find((s) => s.feature_segment === fsegId && s.identity === null)?.multivariate_feature_state_values;
      }
    }
    return new Map((values ?? []).map((v) => [v.multivariate_feature_option, v.percentage_allocation]));
  }

  /**
   * update-flag-v2's shares (spec §5.3): each entry updates or adds its option's allocation and unlisted
   * options keep theirs; options must be unique and the feature's; passed + retained over 100 is a 400.
   */
  async function mergeShares(p: Principal, t: Target, changes: PlaceChange[]): Promise<void> {
    const options = new Set((await features.get(p, t.projectId, t.featureId)).multivariate_options.map((o) => o.id));
    for (const [i, c] of changes.entries()) {
      if (c.shares === undefined) continue;
      const path = c.segmentId === null ? 'body/environment_default/multivariate_feature_state_values' : `body/segment_overrides/${i - 1}/multivariate_feature_state_values`;
      const ids = c.shares.map((s) => s.multivariate_feature_option);
      if (new Set(ids).size !== ids.length) throw validationFailed(path, 'Multivariate options must be unique');
      const foreign = ids.filter((id) => !options.has(id));
      if (foreign.length > 0) throw validationFailed(path, `Multivariate options [${foreign.join(', ')}] do not belong to the feature`);
      const merged = await currentShares(p, t, c.segmentId);
      for (const s of c.shares) merged.set(s.multivariate_feature_option, s.percentage_allocation);
      const total = [...merged.values()].reduce((a, b) => a + b, 0);
      if (total > 100 + 1e-9) throw validationFailed(path, `Multivariate allocations for the feature state must not exceed 100%, got ${pythonFloat(total)}%.`);
      c.shares = [...merged].map(([multivariate_feature_option, percentage_allocation]) => ({ multivariate_feature_option, percentage_allocation }));
    }
  }

  return {
    async updateFlagV1(p, environmentKey, input) {
      const t = await target(p, environmentKey, input.feature);
      if (input.segment) await checkSegment(p, t, input.segment.id, 'body/segment/id');
      const change: PlaceChange = {
        segmentId: input.segment?.id ?? null,
        priority: input.segment?.priority ?? undefined,
        enabled: input.enabled,
        value: input.value === undefined ? undefined : typedValue('body/value', input.value),
        shares: input.multivariate_feature_state_values,
      };
      if (t.isV2) await publishV2(p, t, [change], []);
      else await applyV1(p, environmentKey, t, change);
    },

    async updateFlagV2(p, environmentKey, input) {
      const t = await target(p, environmentKey, input.feature);
      const overrides = input.segment_overrides ?? [];
      const seen = new Set<number>();
      for (const [i, o] of overrides.entries()) {
        if (seen.has(o.segment_id)) throw validationFailed(`body/segment_overrides/${i}/segment_id`, 'Duplicate segment_id values are not allowed');
        seen.add(o.segment_id);
        await checkSegment(p, t, o.segment_id, `body/segment_overrides/${i}/segment_id`);
      }
      const changes: PlaceChange[] = [];
      const d = input.environment_default;
      changes.push({ segmentId: null, priority: undefined, enabled: d.enabled, value: d.value === undefined ? undefined : typedValue('body/environment_default/value', d.value), shares: d.multivariate_feature_state_values });
      overrides.forEach((o, i) =>
        changes.push({
          segmentId: o.segment_id,
          priority: o.priority ?? undefined,
          enabled: o.enabled,
          value: o.value === undefined ? undefined : typedValue(`body/segment_overrides/${i}/value`, o.value),
          shares: o.multivariate_feature_state_values,
        }),
      );
      await mergeShares(p, t, changes);
      if (t.isV2) {
        await publishV2(p, t, changes, []);
        return;
      }
      // v1 has no unit of several changes: they are saved one after the other, each with its own entries.
      for (const c of changes) await applyV1(p, environmentKey, t, c);
    },

    async createSegmentOverride(p, environmentKey, featureId, input) {
      const scope = await access.assertEnvironmentByApiKey(p, environmentKey);
      const env = await environments.find(scope.environmentId);
      if (!env) throw notFound('Environment');
      await features.get(p, scope.projectId, featureId);
      if (env.useV2FeatureVersioning) {
        throw new AppError(ErrorCode.PRECONDITION_FAILED, V2_DIRECT_WRITE_REFUSED, { details: { reason: 'DIRECT_FEATURE_STATE_WRITE_NOT_ALLOWED' } });
      }
      const { segment, priority } = input.feature_segment;
      const fseg = await featureSegments.create(p, { feature: featureId, segment, environment: env.id, ...(priority === undefined ? {} : { priority }) });
      const { feature_segment: _unused, ...state } = input;
      try {
        return await featureStates.create(p, { feature: featureId, environment: env.id, feature_segment: fseg.id, ...state });
      } catch (e) {
        // The override is one unit: a refused state takes its feature segment with it.
        await featureSegments.remove(p, fseg.id);
        throw e;
      }
    },

    async deleteSegmentOverride(p, environmentKey, input) {
      const t = await target(p, environmentKey, input.feature);
      const segmentId = input.segment.id;
      await checkSegment(p, t, segmentId, 'body/segment/id');
      const missing = () => validationFailed('body/segment/id', `Segment override for segment ${segmentId} does not exist`);
      if (t.isV2) {
        if (!(await liveOverrides(p, t)).has(segmentId)) throw missing();
        await publishV2(p, t, [], [segmentId]);
        return;
      }
      const existing = await overrideOf(p, t, segmentId);
      if (!existing) throw missing();
      await featureSegments.remove(p, existing.id);
    },
  };
}
