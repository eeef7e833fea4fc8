import type { Db, DbExecutor } from '../../platform/database/database.js';
import type { Clock } from '../../platform/clock/clock.js';
import { generateUuid } from '../../platform/security/secrets.js';
import { EnvironmentPermission } from '../../../src-shared/domain/permissions/permissions.js';
import { AppError, assert, notFound, validationFailed } from '../../../src-shared/errors/app-error.js';
import { ErrorCode } from '../../../src-shared/errors/error-codes.js';
import { inferFeatureStateValue, type TypedValueColumns } from '../../../src-shared/domain/flags/feature-state-value.rules.js';
import type {
  EnvironmentFeatureStateInput,
  EnvironmentFeatureStateWire,
  FeatureStateCreateInput,
  FeatureStateUpdateInput,
  FeatureStateWire,
} from '../../../src-shared/contracts/http/feature-states.contract.js';
import { assertDirectChange } from '../access/direct-change.js';
import type { Principal } from '../access/principal.js';
import type { AccessService } from '../access/access.service.js';
import { AuditObjectType, type AuditService } from '../audit/audit.service.js';
import type { EventsService } from '../webhooks/events.service.js';
import { bumpDocumentRevision } from '../sdk/document-revision.js';
import type { FeatureStateRecord, FeaturesStore, Page } from './features.store.js';
import { exceedsHundred, inferRawValue, parseTypedValue } from './flag-value-input.js';
import { toEnvironmentFeatureStateWire, toFeatureStateWire } from './feature-wire.js';
import type { VersionsService } from '../versions/versions.service.js';
import type { EnvironmentsService } from '../environments/environments.service.js';
import { VersionStatus } from '../../../src-shared/contracts/http/versions.contract.js';
import { V2_DIRECT_WRITE_REFUSED } from '../segments/feature-segments.service.js';

type EnvironmentScope = Awaited<ReturnType<AccessService['assertEnvironment']>>;
type MultivariateInput = { multivariate_feature_option: number; percentage_allocation: number }[];

/** What one save changes: any of enabled, value and the multivariate shares. */
interface StateChange {
  enabled?: boolean | undefined;
  value?: TypedValueColumns | undefined;
  multivariate?: MultivariateInput | undefined;
}

/**
 * Environment defaults and segment overrides (v1 saves; identity overrides belong to the identities
 * module and are neither listed nor changed here). VIEW_ENVIRONMENT reads; UPDATE_FEATURE_STATE
 * saves an environment default; a segment override needs UPDATE_FEATURE_STATE or
 * MANAGE_SEGMENT_OVERRIDES. An environment default cannot be deleted (it lives as long as its
 * feature). On an environment with v2 versioning these routes still change the live state in place:
 * the environment routes list and change only the rows of each feature's live version (creating no
 * version, as Flagsmith's spec says), and a row of any other version (history, draft, scheduled) cannot
 * be changed here (PRECONDITION_FAILED by id, NOT_FOUND under the environment routes).
 *
 * Every save is one transaction with its audit entry, one FLAG_UPDATED event (FLAG_DELETED for a
 * deleted override) and a bump of the environment's document revision.
 */
export interface FeatureStatesService {
  list(p: Principal, filter: { environment: number; feature?: number | undefined; feature_segment?: number | undefined }, page: Page): Promise<{ total: number; items: FeatureStateWire[] }>;
  create(p: Principal, input: FeatureStateCreateInput): Promise<FeatureStateWire>;
  get(p: Principal, id: number): Promise<FeatureStateWire>;
  /** PUT (`partial: false`: `feature` and `environment` required) or PATCH. */
  update(p: Principal, id: number, input: FeatureStateUpdateInput, partial: boolean): Promise<FeatureStateWire>;
  remove(p: Principal, id: number): Promise<void>;

  listInEnvironment(p: Principal, apiKey: string, filter: { feature?: number | undefined; feature_name?: string | undefined }, page: Page): Promise<{ total: number; items: EnvironmentFeatureStateWire[] }>;
  createInEnvironment(p: Principal, apiKey: string, input: EnvironmentFeatureStateInput & { feature: number }): Promise<EnvironmentFeatureStateWire>;
  getInEnvironment(p: Principal, apiKey: string, id: number): Promise<EnvironmentFeatureStateWire>;
  /** Always partial, as Flagsmith's environment feature-state view is. */
  updateInEnvironment(p: Principal, apiKey: string, id: number, input: EnvironmentFeatureStateInput): Promise<EnvironmentFeatureStateWire>;
  removeInEnvironment(p: Principal, apiKey: string, id: number): Promise<void>;
}

export function createFeatureStatesService(deps: {
  db: Db;
  clock: Clock;
  store: FeaturesStore;
  access: AccessService;
  audit: AuditService;
  events: EventsService;
  /** The live version per feature on v2 environments (none: every environment is treated as v1). */
  versions?: Pick<VersionsService, 'liveVersionUuids' | 'refreshContentFromStates' | 'versionContent' | 'updateState'>;
  /** Whether an environment is on v2 (legacy writes there land in drafts or are refused). */
  environments?: Pick<EnvironmentsService, 'find'>;
}): FeatureStatesService {
  const { db, clock, store, access, audit, events } = deps;
  const k = db.kysely;

  async function liveVersions(ex: DbExecutor, environmentId: number): Promise<ReadonlyMap<number, string>> {
    return deps.versions ? deps.versions.liveVersionUuids(environmentId, clock.now(), ex) : new Map();
  }

  /** Whether SDKs are served this row: its feature's live version's, or (no version) a v1 row. */
  async function isServed(ex: DbExecutor, s: FeatureStateRecord): Promise<boolean> {
    const live = (await liveVersions(ex, s.environmentId)).get(s.featureId);
    return live === undefined ? s.environmentFeatureVersionUuid === null : s.environmentFeatureVersionUuid === live;
  }

  /** v2: only the live version's rows change in place; other versions are immutable or drafts of the versions routes. */
  async function assertServed(ex: DbExecutor, s: FeatureStateRecord): Promise<void> {
    if (await isServed(ex, s)) return;
    throw new AppError(
      ErrorCode.PRECONDITION_FAILED,
      `Feature state ${s.id} belongs to version ${s.environmentFeatureVersionUuid ?? '(none)'}, which is not live: change a v2 feature through the versions endpoints.`,
      { details: { reason: 'FEATURE_STATE_NOT_LIVE' } },
    );
  }

  /** A segment override may be saved with either of two permissions (Flagsmith added the second later). */
  async function assertCanSave(p: Principal, environmentId: number, isOverride: boolean): Promise<EnvironmentScope> {
    try {
      return await access.assertEnvironment(p, environmentId, EnvironmentPermission.UPDATE_FEATURE_STATE);
    } catch (e) {
      if (!isOverride || !(e instanceof AppError) || e.code !== ErrorCode.PERMISSION_DENIED) throw e;
      return access.assertEnvironment(p, environmentId, EnvironmentPermission.MANAGE_SEGMENT_OVERRIDES);
    }
  }

  async function loadState(ex: DbExecutor, id: number): Promise<FeatureStateRecord> {
    const s = await store.findState(ex, id);
    if (!s) throw notFound('Feature state');
    return s;
  }

  async function featureName(ex: DbExecutor, featureId: number): Promise<string> {
    const f = await store.findFeature(ex, featureId);
    assert(f, `feature ${featureId} of a feature state exists`);
    return f.name;
  }

  /** Checks the shares (options of this feature, each once, at most 100 in total) and gives the rows to write. */
  async function checkMultivariate(ex: DbExecutor, featureId: number, items: MultivariateInput) {
    const options = new Set((await store.listOptions(ex, [featureId])).map((o) => o.id));
    const seen = new Set<number>();
    items.forEach((item, i) => {
      const path = `body/multivariate_feature_state_values/${i}/multivariate_feature_option`;
      if (!options.has(item.multivariate_feature_option)) throw validationFailed(path, `option ${item.multivariate_feature_option} is not an option of feature ${featureId}`);
      if (seen.has(item.multivariate_feature_option)) throw validationFailed(path, `option ${item.multivariate_feature_option} is given twice`);
      seen.add(item.multivariate_feature_option);
    });
    if (exceedsHundred(items.reduce((sum, v) => sum + v.percentage_allocation, 0))) throw validationFailed('body/multivariate_feature_state_values', 'Multivariate percentage values exceed 100%.');
    return items.map((v) => ({ uuid: generateUuid(), optionId: v.multivariate_feature_option, percentageAllocation: v.percentage_allocation }));
  }

  async function auditLog(ex: DbExecutor, s: FeatureStateRecord, verb: 'updated' | 'deleted'): Promise<string> {
    const name = await featureName(ex, s.featureId);
    if (s.featureSegmentId === null) return `Flag state / Remote Config value updated for feature: ${name}`;
    const segment = await store.findFeatureSegment(ex, s.featureSegmentId);
    return `Flag state / Remote config value ${verb} for feature '${name}' and segment '${segment?.segmentName ?? ''}'`;
  }

  async function record(trx: DbExecutor, p: Principal, scope: EnvironmentScope, s: FeatureStateRecord, verb: 'updated' | 'deleted'): Promise<void> {
    await audit.record(trx, p, {
      organisationId: scope.organisationId,
      projectId: scope.projectId,
      environmentId: scope.environmentId,
      log: await auditLog(trx, s, verb),
      relatedObjectType: AuditObjectType.FEATURE_STATE,
      relatedObjectId: s.id,
    });
  }

  /** The save itself: rows, audit, FLAG_UPDATED, revision bump, in the caller's transaction. */
  async function save(trx: DbExecutor, p: Principal, scope: EnvironmentScope, before: FeatureStateRecord, change: StateChange): Promise<FeatureStateRecord> {
    const multivariate = change.multivariate === undefined ? undefined : await checkMultivariate(trx, before.featureId, change.multivariate);
    const previousState = (await events.describeFeatureState(trx, before.id)) ?? null;
    await store.updateState(trx, before.id, { enabled: change.enabled, value: change.value, updatedAt: clock.now().toISOString() });
    if (multivariate) await store.replaceMultivariateValues(trx, before.id, multivariate);
    // v2: the row is the live version's; its stored content must follow, or the next draft would undo this.
    if (before.environmentFeatureVersionUuid !== null) await deps.versions?.refreshContentFromStates(trx, before.environmentFeatureVersionUuid);
    const after = await loadState(trx, before.id);
    await record(trx, p, scope, after, 'updated');
    const newState = await events.describeFeatureState(trx, before.id);
    assert(newState, `feature state ${before.id} was just saved`);
    await events.emitFlagUpdated(trx, { environmentId: before.environmentId, newState, previousState, changedBy: p });
    await bumpDocumentRevision(trx, { environmentId: before.environmentId });
    return after;
  }

  async function insert(trx: DbExecutor, p: Principal, scope: EnvironmentScope, input: { featureId: number; featureSegmentId: number | null; enabled: boolean; value: TypedValueColumns; multivariate: MultivariateInput | undefined }) {
    const multivariate = await checkMultivariate(trx, input.featureId, input.multivariate ?? []);
    const id = await store.insertState(trx, {
      uuid: generateUuid(),
      featureId: input.featureId,
      environmentId: scope.environmentId,
      featureSegmentId: input.featureSegmentId,
      enabled: input.enabled,
      value: input.value,
      createdAt: clock.now().toISOString(),
      multivariateValues: multivariate,
    });
    const created = await loadState(trx, id);
    await record(trx, p, scope, created, 'updated');
    const newState = await events.describeFeatureState(trx, id);
    assert(newState, `feature state ${id} was just created`);
    await events.emitFlagUpdated(trx, { environmentId: scope.environmentId, newState, previousState: null, changedBy: p });
    await bumpDocumentRevision(trx, { environmentId: scope.environmentId });
    return created;
  }

  /**
   * v2 (issue 10 §2.3, spec §6.1): the feature segment must be one of a draft (the one the body names, when
   * it names one), whose override the state's content then becomes; otherwise 400, never a state that no
   * version holds.
   */
  async function createOnV2(p: Principal, scope: EnvironmentScope, input: FeatureStateCreateInput): Promise<FeatureStateWire> {
    await checkFeatureOfProject(k, input.feature, scope.projectId);
    const fseg = await store.findFeatureSegment(k, input.feature_segment);
    if (!fseg || fseg.environmentId !== scope.environmentId || fseg.featureId !== input.feature) {
      throw validationFailed('body/feature_segment', `feature segment ${input.feature_segment} is not a feature segment of this feature and environment`);
    }
    const state = await store.stateOfFeatureSegment(k, fseg.id);
    const draft = state && (await draftOf(k, state));
    const named = input.environment_feature_version;
    if (!state || draft === undefined || (named !== undefined && named !== null && named !== draft)) {
      throw validationFailed(named ? 'body/environment_feature_version' : 'body/environment', named ? `feature segment ${fseg.id} is not in draft version ${named}` : V2_DIRECT_WRITE_REFUSED);
    }
    return saveInDraft(p, state, draft, input);
  }

  /** A referenced feature must be one of the environment's project. */
  async function checkFeatureOfProject(ex: DbExecutor, featureId: number, projectId: number): Promise<void> {
    const f = await store.findFeature(ex, featureId);
    if (!f || f.projectId !== projectId) throw validationFailed('body/feature', `feature ${featureId} is not a feature of this project`);
  }

  /** An environment-route state: an environment default of that environment, else 404. */
  async function loadEnvironmentDefault(ex: DbExecutor, scope: EnvironmentScope, id: number): Promise<FeatureStateRecord> {
    const s = await store.findState(ex, id);
    if (!s || s.environmentId !== scope.environmentId || s.featureSegmentId !== null || !(await isServed(ex, s))) throw notFound('Feature state');
    return s;
  }

  /** The draft a v2 state belongs to, or undefined (v1 rows, the live and other published versions). */
  async function draftOf(ex: DbExecutor, s: FeatureStateRecord): Promise<string | undefined> {
    if (s.environmentFeatureVersionUuid === null || !deps.versions) return undefined;
    const v = await deps.versions.versionContent(ex, s.environmentFeatureVersionUuid);
    return v?.status === VersionStatus.DRAFT ? v.uuid : undefined;
  }

  /** A save of a draft's state is an edit of the draft (issue 10 §2.3): the versions service applies it to the draft's content. */
  async function saveInDraft(p: Principal, s: FeatureStateRecord, uuid: string, input: Pick<FeatureStateUpdateInput, 'enabled' | 'feature_state_value' | 'multivariate_feature_state_values'>): Promise<FeatureStateWire> {
    assert(deps.versions, 'a draft state is found only with the versions service');
    await deps.versions.updateState(p, s.environmentId, s.featureId, uuid, s.id, {
      ...(input.enabled === undefined ? {} : { enabled: input.enabled }),
      ...(input.feature_state_value === undefined ? {} : { feature_state_value: input.feature_state_value }),
      ...(input.multivariate_feature_state_values === undefined ? {} : { multivariate_feature_state_values: input.multivariate_feature_state_values }),
    });
    return toFeatureStateWire(await loadState(k, s.id));
  }

  async function isV2(ex: DbExecutor, environmentId: number): Promise<boolean> {
    return Boolean((await deps.environments?.find(environmentId, ex))?.useV2FeatureVersioning);
  }

  return {
    async list(p, filter, page) {
      await access.assertEnvironment(p, filter.environment);
      // v2: the states SDKs are served (each feature's live version), never drafts, scheduled or old versions.
      const live = await liveVersions(k, filter.environment);
      const { total, items } = await store.listStates(k, { environmentId: filter.environment, featureId: filter.feature, featureSegmentId: filter.feature_segment, liveVersions: live }, page);
      return { total, items: items.map(toFeatureStateWire) };
    },

    async create(p, input) {
      // Ids in the body that the caller cannot use are bad fields (as for projects and environments), not missing pages.
      const scope = await assertCanSave(p, input.environment, true).catch((e: unknown) => {
        throw e instanceof AppError && e.code === ErrorCode.NOT_FOUND ? validationFailed('body/environment', `environment ${input.environment} does not exist or is not visible to you`) : e;
      });
      const value = input.feature_state_value === undefined ? inferFeatureStateValue(null) : parseTypedValue('body/feature_state_value', input.feature_state_value);
      if (await isV2(k, scope.environmentId)) return createOnV2(p, scope, input);
      const created = await db.transaction(async (trx) => {
        await checkFeatureOfProject(trx, input.feature, scope.projectId);
        const fseg = await store.findFeatureSegment(trx, input.feature_segment);
        if (!fseg || fseg.environmentId !== scope.environmentId || fseg.featureId !== input.feature) {
          throw validationFailed('body/feature_segment', `feature segment ${input.feature_segment} is not a feature segment of this feature and environment`);
        }
        if (await store.stateOfFeatureSegment(trx, fseg.id)) throw validationFailed('body/feature_segment', `feature segment ${fseg.id} already has a feature state`);
        await assertDirectChange(deps, trx, p, scope, `segment override of feature ${input.feature} created through the feature-states API`);
        return insert(trx, p, scope, { featureId: input.feature, featureSegmentId: fseg.id, enabled: input.enabled ?? false, value, multivariate: input.multivariate_feature_state_values });
      });
      return toFeatureStateWire(created);
    },

    async get(p, id) {
      const s = await loadState(k, id);
      await access.assertEnvironment(p, s.environmentId);
      return toFeatureStateWire(s);
    },

    async update(p, id, input, partial) {
      const current = await loadState(k, id);
      const scope = await assertCanSave(p, current.environmentId, current.featureSegmentId !== null);
      if (!partial && input.feature === undefined) throw validationFailed('body/feature', 'is required');
      if (!partial && input.environment === undefined) throw validationFailed('body/environment', 'is required');
      // The state's place (feature, environment, feature segment) is fixed; only its content changes.
      if (input.feature !== undefined && input.feature !== current.featureId) throw validationFailed('body/feature', 'cannot be changed');
      if (input.environment !== undefined && input.environment !== current.environmentId) throw validationFailed('body/environment', 'cannot be changed');
      if (input.feature_segment !== undefined && input.feature_segment !== current.featureSegmentId) throw validationFailed('body/feature_segment', 'cannot be changed');
      const value = input.feature_state_value === undefined ? undefined : parseTypedValue('body/feature_state_value', input.feature_state_value);
      const draft = await draftOf(k, current);
      if (draft !== undefined) return saveInDraft(p, current, draft, input);
      const saved = await db.transaction(async (trx) => {
        const before = await loadState(trx, id);
        await assertServed(trx, before);
        await assertDirectChange(deps, trx, p, scope, `feature state ${id} of feature ${before.featureId} saved through the feature-states API`);
        return save(trx, p, scope, before, { enabled: input.enabled, value, multivariate: input.multivariate_feature_state_values });
      });
      return toFeatureStateWire(saved);
    },

    async remove(p, id) {
      const current = await loadState(k, id);
      const scope = await assertCanSave(p, current.environmentId, current.featureSegmentId !== null);
      if (current.featureSegmentId === null) throw validationFailed('params/id', 'an environment default feature state cannot be deleted; delete the feature instead');
      await db.transaction(async (trx) => {
        const before = await loadState(trx, id);
        await assertServed(trx, before);
        await assertDirectChange(deps, trx, p, scope, `segment override state ${id} of feature ${before.featureId} deleted through the feature-states API`);
        const previousState = await events.describeFeatureState(trx, id);
        assert(previousState, `feature state ${id} exists`);
        await record(trx, p, scope, before, 'deleted');
        await events.emitFlagDeleted(trx, { environmentId: before.environmentId, previousState, changedBy: p });
        await bumpDocumentRevision(trx, { environmentId: before.environmentId });
        await store.deleteState(trx, id);
        if (before.environmentFeatureVersionUuid !== null) await deps.versions?.refreshContentFromStates(trx, before.environmentFeatureVersionUuid);
      });
    },

    async listInEnvironment(p, apiKey, filter, page) {
      const scope = await access.assertEnvironmentByApiKey(p, apiKey);
      const live = await liveVersions(k, scope.environmentId);
      const { total, items } = await store.listStates(k, { environmentId: scope.environmentId, featureId: filter.feature, featureName: filter.feature_name, defaultsOnly: true, liveVersions: live }, page);
      return { total, items: items.map(toEnvironmentFeatureStateWire) };
    },

    async createInEnvironment(p, apiKey, input) {
      const scope = await access.assertEnvironmentByApiKey(p, apiKey, EnvironmentPermission.UPDATE_FEATURE_STATE);
      const value = input.feature_state_value === undefined ? inferFeatureStateValue(null) : inferRawValue('body/feature_state_value', input.feature_state_value);
      const created = await db.transaction(async (trx) => {
        await checkFeatureOfProject(trx, input.feature, scope.projectId);
        if (await store.environmentDefault(trx, input.feature, scope.environmentId)) {
          throw validationFailed('body/feature', `feature ${input.feature} already has a feature state in this environment`);
        }
        await assertDirectChange(deps, trx, p, scope, `environment default of feature ${input.feature} created through /environments/{api_key}/featurestates/`);
        return insert(trx, p, scope, { featureId: input.feature, featureSegmentId: null, enabled: input.enabled ?? false, value, multivariate: input.multivariate_feature_state_values });
      });
      return toEnvironmentFeatureStateWire(created);
    },

    async getInEnvironment(p, apiKey, id) {
      const scope = await access.assertEnvironmentByApiKey(p, apiKey);
      return toEnvironmentFeatureStateWire(await loadEnvironmentDefault(k, scope, id));
    },

    async updateInEnvironment(p, apiKey, id, input) {
      const scope = await access.assertEnvironmentByApiKey(p, apiKey, EnvironmentPermission.UPDATE_FEATURE_STATE);
      const current = await loadEnvironmentDefault(k, scope, id);
      if (input.feature !== undefined && input.feature !== current.featureId) throw validationFailed('body/feature', 'cannot be changed');
      const value = input.feature_state_value === undefined ? undefined : inferRawValue('body/feature_state_value', input.feature_state_value);
      const saved = await db.transaction(async (trx) => {
        const before = await loadEnvironmentDefault(trx, scope, id);
        await assertDirectChange(deps, trx, p, scope, `feature state ${id} of feature ${before.featureId} saved through /environments/{api_key}/featurestates/`);
        return save(trx, p, scope, before, { enabled: input.enabled, value, multivariate: input.multivariate_feature_state_values });
      });
      return toEnvironmentFeatureStateWire(saved);
    },

    async removeInEnvironment(p, apiKey, id) {
      const scope = await access.assertEnvironmentByApiKey(p, apiKey, EnvironmentPermission.UPDATE_FEATURE_STATE);
      await loadEnvironmentDefault(k, scope, id);
      throw validationFailed('params/id', 'an environment default feature state cannot be deleted; delete the feature instead');
    },
  };
}
