import type { Db, DbExecutor } from '../../platform/database/database.js';
import type { Clock } from '../../platform/clock/clock.js';
import { generateUuid } from '../../platform/security/secrets.js';
import { EnvironmentPermission } from '../../../src-shared/domain/permissions/permissions.js';
import { AppError, notFound, validationFailed } from '../../../src-shared/errors/app-error.js';
import { ErrorCode } from '../../../src-shared/errors/error-codes.js';
import { applyMoves, priorityChanges } from '../../../src-shared/domain/segments/override-priority.rules.js';
import { checkSegmentOverrideLimit, countSegmentOverrides, PlanLimit } from '../../../src-shared/domain/plan-limits/plan-limits.rules.js';
import type { FeatureSegmentWire } from '../../../src-shared/contracts/http/segments.contract.js';
import { assertDirectChange } from '../access/direct-change.js';
import type { Principal } from '../access/principal.js';
import type { AccessService } from '../access/access.service.js';
import { AuditObjectType, type AuditService } from '../audit/audit.service.js';
import type { EventsService } from '../webhooks/events.service.js';
import type { EnvironmentsService } from '../environments/environments.service.js';
import type { OrganisationsService } from '../organisations/organisations.service.js';
import type { FeatureRef, FeaturesService } from '../features/features.service.js';
import { bumpDocumentRevision } from '../sdk/document-revision.js';
import type { SegmentRecord, SegmentsStore } from './segments.store.js';
import type { FeatureSegmentRecord, FeatureSegmentsStore, PriorityScope } from './feature-segments.store.js';
import { deleteOverride, reorderScope, scopeOf } from './override-removal.js';

type EnvironmentScope = Awaited<ReturnType<AccessService['assertEnvironment']>>;
type EnvironmentRecord = NonNullable<Awaited<ReturnType<EnvironmentsService['find']>>>;

export interface FeatureSegmentInput {
  feature?: number | undefined;
  segment?: number | undefined;
  environment?: number | undefined;
  priority?: number | undefined;
  /** v2: the draft the override is added to. */
  environment_feature_version?: string | null | undefined;
}

/** Flagsmith's answer to a write outside the versions family on a v2 environment (spec §6.1). */
export const V2_DIRECT_WRITE_REFUSED = 'This environment uses v2 feature versioning. Use the environment feature version endpoint instead.';

/** The versions service's draft edit a feature segment create on v2 becomes. */
export type DraftOverrideCreator = (
  p: Principal,
  environmentId: number,
  featureId: number,
  uuid: string,
  input: { feature_segment: { segment: number; priority?: number }; enabled: boolean },
) => Promise<{ feature_segment: { id: number } | null }>;

/**
 * Counts the segment overrides of an environment that count against `max_segment_overrides_per_environment`.
 * v1 counts every feature_segments row (spec "Plan-limit accounting"); v2 counts only the overrides of
 * each feature's latest published version, which the versions module knows, so it passes its counter here.
 */
export type SegmentOverrideCounter = (ex: DbExecutor, environment: EnvironmentRecord) => Promise<number>;

/** The limit's name, as `details.limit` of LIMIT_EXCEEDED carries it. */
export const SEGMENT_OVERRIDES_LIMIT = PlanLimit.MAX_SEGMENT_OVERRIDES_PER_ENVIRONMENT;

/**
 * Feature segments: the container of one segment override of a feature in an environment, ordered by
 * priority (dense 0..n-1 per feature and environment; the lowest matching override wins). Reading needs
 * VIEW_ENVIRONMENT, writing MANAGE_SEGMENT_OVERRIDES. Every write bumps the environment's document
 * revision; deleting one fires FLAG_DELETED for its feature state. The override's value is a feature
 * state the client creates next (POST /api/v1/features/featurestates/), as with Flagsmith.
 */
export interface FeatureSegmentsService {
  list(p: Principal, filter: { environment: number; feature: number }, page: { offset: number; limit: number }): Promise<{ total: number; items: FeatureSegmentWire[] }>;
  create(p: Principal, input: Required<Omit<FeatureSegmentInput, 'priority' | 'environment_feature_version'>> & Pick<FeatureSegmentInput, 'priority' | 'environment_feature_version'>): Promise<FeatureSegmentWire>;
  get(p: Principal, id: number): Promise<FeatureSegmentWire>;
  /** PUT or PATCH: the segment and the priority may change; feature and environment must stay as they are. */
  update(p: Principal, id: number, input: FeatureSegmentInput): Promise<FeatureSegmentWire>;
  remove(p: Principal, id: number): Promise<void>;
  /** Applies each `{id, priority}` move in turn within one feature and environment; returns those overrides by priority. */
  updatePriorities(p: Principal, moves: readonly { id: number; priority: number }[]): Promise<FeatureSegmentWire[]>;
}

export function toFeatureSegmentWire(r: FeatureSegmentRecord): FeatureSegmentWire {
  return { id: r.id, uuid: r.uuid, feature: r.featureId, segment: r.segmentId, environment: r.environmentId, priority: r.priority, segment_name: r.segmentName, is_feature_specific: r.segmentFeatureId !== null };
}

function asBadField(path: string, message: string) {
  return (e: unknown): never => {
    throw e instanceof AppError && e.code === ErrorCode.NOT_FOUND ? validationFailed(path, message) : e;
  };
}

export function createFeatureSegmentsService(deps: {
  db: Db;
  clock: Clock;
  store: FeatureSegmentsStore;
  segments: SegmentsStore;
  features: Pick<FeaturesService, 'findFeatureRef'>;
  access: AccessService;
  audit: AuditService;
  events: EventsService;
  environments: Pick<EnvironmentsService, 'find'>;
  organisations: Pick<OrganisationsService, 'planLimits'>;
  /** v2 counting of the plan limit; until given, v2 environments count like v1 ones. */
  countV2Overrides?: SegmentOverrideCounter;
  /** v2: the live version of each feature of an environment (what the list shows). */
  liveVersionUuids?: (environmentId: number, now?: Date, ex?: DbExecutor) => Promise<Map<number, string>>;
  /** v2: adds an override to a draft (a create naming `environment_feature_version`). */
  addDraftOverride?: DraftOverrideCreator;
}): FeatureSegmentsService {
  const { db, clock, store, segments, features, access, audit, events, environments, organisations } = deps;
  const k = db.kysely;

  async function load(ex: DbExecutor, id: number): Promise<FeatureSegmentRecord> {
    const r = await store.find(ex, id);
    if (!r) throw notFound('Feature segment');
    return r;
  }

  async function environmentOf(ex: DbExecutor, id: number): Promise<EnvironmentRecord> {
    const e = await environments.find(id, ex);
    if (!e) throw notFound('Environment');
    return e;
  }

  async function countOverrides(ex: DbExecutor, env: EnvironmentRecord): Promise<number> {
    if (env.useV2FeatureVersioning && deps.countV2Overrides) return deps.countV2Overrides(ex, env);
    return countSegmentOverrides({ mode: 'v1', featureSegmentRows: await store.countOfEnvironment(ex, env.id) });
  }

  async function featureOfProject(ex: DbExecutor, featureId: number, projectId: number): Promise<FeatureRef> {
    const f = await features.findFeatureRef(ex, featureId);
    if (!f || f.projectId !== projectId) throw validationFailed('body/feature', `feature ${featureId} is not a feature of the environment's project`);
    return f;
  }

  /** The segment, checked to belong to the project and, when feature-specific, to the feature. */
  async function segmentFor(ex: DbExecutor, segmentId: number, feature: FeatureRef): Promise<SegmentRecord> {
    const s = await segments.find(ex, segmentId);
    if (!s || s.projectId !== feature.projectId) throw validationFailed('body/segment', `segment ${segmentId} is not a segment of the environment's project`);
    if (s.featureId !== null && s.featureId !== feature.id) throw validationFailed('body/feature', `Can only create segment override (using this segment) for feature ${s.featureId}`);
    return s;
  }

  async function assertUnique(ex: DbExecutor, scope: PriorityScope, segmentId: number, exceptId?: number): Promise<void> {
    if (await store.exists(ex, { ...scope, segmentId }, exceptId)) throw validationFailed('body/segment', 'this segment already overrides the feature in this environment');
  }

  async function recordUpdated(trx: DbExecutor, p: Principal, scope: EnvironmentScope, featureId: number): Promise<void> {
    const feature = await features.findFeatureRef(trx, featureId);
    const env = await environmentOf(trx, scope.environmentId);
    await audit.record(trx, p, { organisationId: scope.organisationId, environmentId: scope.environmentId, log: `Segment rules updated for flag: ${feature?.name ?? featureId} in environment: ${env.name}`, relatedObjectType: AuditObjectType.FEATURE, relatedObjectId: featureId });
  }

  /**
   * v2 (issue 10 §2.3): a feature segment lands in the draft the body names, as a segment override of its
   * content (disabled, no value, until its feature state is written); without a draft it is refused, so no
   * override is created that no version holds.
   */
  async function createInDraft(p: Principal, environmentId: number, input: FeatureSegmentInput, feature: FeatureRef, segment: SegmentRecord): Promise<FeatureSegmentWire> {
    const uuid = input.environment_feature_version;
    if (!uuid || !deps.addDraftOverride) throw validationFailed('body/environment_feature_version', V2_DIRECT_WRITE_REFUSED);
    const state = await deps
      .addDraftOverride(p, environmentId, feature.id, uuid, {
        feature_segment: { segment: segment.id, ...(input.priority === undefined ? {} : { priority: input.priority }) },
        enabled: false,
      })
      .catch(asBadField('body/environment_feature_version', `version ${uuid} is not a version of this feature in this environment`));
    if (!state.feature_segment) throw new Error(`Invariant violated: the override added to draft ${uuid} has a feature segment`);
    return toFeatureSegmentWire(await load(k, state.feature_segment.id));
  }

  return {
    async list(p, filter, page) {
      await access.assertEnvironment(p, filter.environment);
      // v2 (spec §1.6): the overrides of the feature's live version; v1 rows (no version) otherwise.
      const live = deps.liveVersionUuids ? (await deps.liveVersionUuids(filter.environment, clock.now(), k)).get(filter.feature) : undefined;
      const { total, items } = await store.list(k, { featureId: filter.feature, environmentId: filter.environment, environmentFeatureVersionUuid: live ?? null }, page);
      return { total, items: items.map(toFeatureSegmentWire) };
    },

    async create(p, input) {
      // The environment comes in the body: one the caller cannot see is a bad field, not a missing URL.
      const scope = await access
        .assertEnvironment(p, input.environment, EnvironmentPermission.MANAGE_SEGMENT_OVERRIDES)
        .catch(asBadField('body/environment', `environment ${input.environment} does not exist or is not yours`));
      const feature = await featureOfProject(k, input.feature, scope.projectId);
      const segment = await segmentFor(k, input.segment, feature);
      if ((await environmentOf(k, scope.environmentId)).useV2FeatureVersioning) return createInDraft(p, scope.environmentId, input, feature, segment);
      const id = await db.transaction(async (trx) => {
        // First write of the transaction: it takes the environment row's lock, so concurrent creates
        // in one environment see each other's rows when they count and order.
        await bumpDocumentRevision(trx, { environmentId: scope.environmentId });
        await assertDirectChange(deps, trx, p, scope, `segment override of feature '${feature.name}' for segment '${segment.name}' created through feature-segments`);
        const env = await environmentOf(trx, scope.environmentId);
        const orderScope: PriorityScope = { featureId: feature.id, environmentId: env.id, environmentFeatureVersionUuid: null };
        await assertUnique(trx, orderScope, segment.id);
        const { maxSegmentOverridesPerEnvironment: max } = await organisations.planLimits(scope.organisationId, trx);
        const before = await countOverrides(trx, env);
        if (!checkSegmentOverrideLimit(before, before + 1, max).isWithinLimit) {
          throw new AppError(ErrorCode.LIMIT_EXCEEDED, `The environment has reached the maximum allowed segments overrides limit (${SEGMENT_OVERRIDES_LIMIT}: ${max}).`, {
            details: { limit: SEGMENT_OVERRIDES_LIMIT, max },
          });
        }
        const existing = await store.listInScope(trx, orderScope);
        const newId = await store.insert(trx, {
          uuid: generateUuid(),
          featureId: feature.id,
          segmentId: segment.id,
          environmentId: env.id,
          priority: existing.length,
          environmentFeatureVersionUuid: null,
          createdAt: clock.now().toISOString(),
        });
        await reorderScope(trx, store, orderScope, input.priority === undefined ? undefined : { id: newId, priority: input.priority });
        await audit.record(trx, p, {
          organisationId: scope.organisationId,
          environmentId: env.id,
          log: `Segment override created for feature '${feature.name}' and segment '${segment.name}'`,
          relatedObjectType: AuditObjectType.FEATURE,
          relatedObjectId: feature.id,
        });
        return newId;
      });
      return toFeatureSegmentWire(await load(k, id));
    },

    async get(p, id) {
      const fs = await load(k, id);
      await access.assertEnvironment(p, fs.environmentId).catch(hiddenAsNotFound);
      return toFeatureSegmentWire(fs);
    },

    async update(p, id, input) {
      const current = await load(k, id);
      const scope = await access.assertEnvironment(p, current.environmentId, EnvironmentPermission.MANAGE_SEGMENT_OVERRIDES).catch(hiddenAsNotFound);
      if (input.feature !== undefined && input.feature !== current.featureId) throw validationFailed('body/feature', 'the feature of a segment override cannot be changed');
      if (input.environment !== undefined && input.environment !== current.environmentId) throw validationFailed('body/environment', 'the environment of a segment override cannot be changed');
      const feature = await featureOfProject(k, current.featureId, scope.projectId);
      const segment = input.segment !== undefined && input.segment !== current.segmentId ? await segmentFor(k, input.segment, feature) : undefined;
      await db.transaction(async (trx) => {
        await bumpDocumentRevision(trx, { environmentId: scope.environmentId });
        await assertDirectChange(deps, trx, p, scope, `segment override ${id} of feature '${feature.name}' changed through feature-segments`);
        const before = await load(trx, id);
        if (segment) {
          await assertUnique(trx, scopeOf(before), segment.id, id);
          await store.setSegment(trx, id, segment.id);
        }
        await reorderScope(trx, store, scopeOf(before), input.priority === undefined ? undefined : { id, priority: input.priority });
        await recordUpdated(trx, p, scope, before.featureId);
      });
      return toFeatureSegmentWire(await load(k, id));
    },

    async remove(p, id) {
      const current = await load(k, id);
      const scope = await access.assertEnvironment(p, current.environmentId, EnvironmentPermission.MANAGE_SEGMENT_OVERRIDES).catch(hiddenAsNotFound);
      await db.transaction(async (trx) => {
        await bumpDocumentRevision(trx, { environmentId: scope.environmentId });
        await assertDirectChange(deps, trx, p, scope, `segment override ${id} of feature ${current.featureId} deleted through feature-segments`);
        await deleteOverride(trx, { store, features, audit, events }, p, scope.organisationId, await load(trx, id));
      });
    },

    async updatePriorities(p, moves) {
      if (moves.length === 0) return [];
      const ids = [...new Set(moves.map((m) => m.id))];
      const rows = await store.findMany(k, ids);
      const visible: FeatureSegmentRecord[] = [];
      for (const r of rows) if (await access.canViewEnvironment(p, r.environmentId)) visible.push(r);
      if (visible.length !== ids.length) throw validationFailed('body', 'Some of the provided ids were not found.');
      const scopes = new Set(visible.map((r) => JSON.stringify(scopeOf(r))));
      if (scopes.size !== 1) throw validationFailed('body', 'All feature segments must belong to the same feature & environment.');
      const first = visible[0]!;
      const scope = await access.assertEnvironment(p, first.environmentId, EnvironmentPermission.MANAGE_SEGMENT_OVERRIDES);
      await db.transaction(async (trx) => {
        await bumpDocumentRevision(trx, { environmentId: scope.environmentId });
        await assertDirectChange(deps, trx, p, scope, `segment override priorities of feature ${first.featureId} changed through feature-segments`);
        const inScope = await store.listInScope(trx, scopeOf(first));
        const order = applyMoves(inScope.map((r) => r.id), moves);
        await store.setPriorities(trx, priorityChanges(new Map(inScope.map((r) => [r.id, r.priority])), order));
        await recordUpdated(trx, p, scope, first.featureId);
      });
      const updated = await store.findMany(k, ids);
      return updated.sort((a, b) => a.priority - b.priority).map(toFeatureSegmentWire);
    },
  };
}

/** A feature segment in an environment the caller cannot see is itself not found. */
function hiddenAsNotFound(e: unknown): never {
  throw e instanceof AppError && e.code === ErrorCode.NOT_FOUND ? notFound('Feature segment') : e;
}
