import type { Db, DbExecutor } from '../../platform/database/database.js';
import type { Clock } from '../../platform/clock/clock.js';
import { generateUuid } from '../../platform/security/secrets.js';
import { isUniqueViolation } from '../../platform/database/unique-violation.js';
import { ProjectPermission } from '../../../src-shared/domain/permissions/permissions.js';
import { assert, notFound, validationFailed } from '../../../src-shared/errors/app-error.js';
import { inferFeatureStateValue } from '../../../src-shared/domain/flags/feature-state-value.rules.js';
import type { FeatureCreateInput, FeatureUpdateInput, FeatureWire, MultivariateOptionInput, MultivariateOptionWire } from '../../../src-shared/contracts/http/features.contract.js';
import type { Principal } from '../access/principal.js';
import type { AccessService } from '../access/access.service.js';
import { AuditObjectType, type AuditService } from '../audit/audit.service.js';
import type { EventsService } from '../webhooks/events.service.js';
import type { EnvironmentsService } from '../environments/environments.service.js';
import { bumpDocumentRevision } from '../sdk/document-revision.js';
import type { FeatureRecord, FeaturesStore, FeatureType, MultivariateOptionRecord, Page } from './features.store.js';
import { exceedsHundred, parseInitialValue, parseTypedValue } from './flag-value-input.js';
import { toFeatureWire, toOptionWire } from './feature-wire.js';

type ProjectScope = Awaited<ReturnType<AccessService['assertProject']>>;

export interface FeatureListQuery {
  search?: string | undefined;
  sort_field?: 'created_date' | 'name' | undefined;
  sort_direction?: 'ASC' | 'DESC' | undefined;
  is_archived?: boolean | undefined;
  environment?: number | undefined;
}

/**
 * Features and their multivariate options (v1). VIEW_PROJECT reads them; CREATE_FEATURE creates a
 * feature and changes its options, EDIT_FEATURE changes its settings, DELETE_FEATURE deletes it. A
 * feature of another project, or in a project the caller cannot see, is NOT_FOUND.
 *
 * Creating a feature gives it an environment default in every environment of the project (enabled =
 * `default_enabled`, value inferred from `initial_value`, one share per option at its default
 * allocation); adding an option adds its share to every environment default. Each write is one
 * transaction with its audit entry, a FLAG_UPDATED (or FLAG_DELETED) event per feature state it saves
 * (or deletes), and a document-revision bump for the project's environments.
 */
export interface FeaturesService {
  list(p: Principal, projectId: number, query: FeatureListQuery, page: Page): Promise<{ total: number; items: FeatureWire[] }>;
  create(p: Principal, projectId: number, input: FeatureCreateInput): Promise<FeatureWire>;
  get(p: Principal, projectId: number, id: number): Promise<FeatureWire>;
  /** PUT (`partial: false`: `name` required) or PATCH. */
  update(p: Principal, projectId: number, id: number, input: FeatureUpdateInput, partial: boolean): Promise<FeatureWire>;
  remove(p: Principal, projectId: number, id: number): Promise<void>;

  listOptions(p: Principal, projectId: number, featureId: number, page: Page): Promise<{ total: number; items: MultivariateOptionWire[] }>;
  createOption(p: Principal, projectId: number, featureId: number, input: MultivariateOptionInput & { feature?: number | undefined }): Promise<MultivariateOptionWire>;
  getOption(p: Principal, projectId: number, featureId: number, id: number): Promise<MultivariateOptionWire>;
  /** PUT replaces the value (omitted value columns become null); PATCH changes only what is given. */
  updateOption(p: Principal, projectId: number, featureId: number, id: number, input: MultivariateOptionInput & { feature?: number | undefined }, partial: boolean): Promise<MultivariateOptionWire>;
  removeOption(p: Principal, projectId: number, featureId: number, id: number): Promise<void>;

  /**
   * A feature's project, name and initial value, for other modules' reference checks and audit texts
   * (segments, identity overrides). No authorisation (the caller checked access); reads on `ex`, so it
   * sees the caller's transaction.
   */
  findFeatureRef(ex: DbExecutor, featureId: number): Promise<FeatureRef | undefined>;
}

/** What another module may read of a feature. */
export interface FeatureRef {
  id: number;
  projectId: number;
  name: string;
  initialValue: string | null;
}

/**
 * PATCH of an option's value: columns not given keep their value. Without `type`, a newly given value
 * decides the type (so `{integer_value: 5}` makes an `int` option); otherwise the type stays.
 */
function patchedValue(before: MultivariateOptionRecord, input: MultivariateOptionInput): MultivariateOptionInput {
  const given = [input.string_value, input.integer_value, input.boolean_value].some((v) => v !== undefined && v !== null);
  return {
    type: input.type ?? (given ? undefined : before.value.type),
    string_value: input.string_value !== undefined ? input.string_value : input.type === undefined && given ? undefined : before.value.string_value,
    integer_value: input.integer_value !== undefined ? input.integer_value : input.type === undefined && given ? undefined : before.value.integer_value,
    boolean_value: input.boolean_value !== undefined ? input.boolean_value : input.type === undefined && given ? undefined : before.value.boolean_value,
  };
}

function trimmedName(name: string): string {
  const trimmed = name.trim();
  if (!trimmed) throw validationFailed('body/name', 'must not be blank');
  return trimmed;
}

function duplicateName(): Error {
  return validationFailed('body/name', 'Feature with that name already exists for this project. Note that feature names are case insensitive.');
}

export function createFeaturesService(deps: {
  db: Db;
  clock: Clock;
  store: FeaturesStore;
  access: AccessService;
  audit: AuditService;
  events: EventsService;
  environments: Pick<EnvironmentsService, 'listEnvironmentIdsOfProject' | 'find'>;
  /** On a v2 environment a new feature's state lives in a version: its initial one is made with the feature. */
  versions: {
    createInitialVersion(trx: DbExecutor, environmentId: number, featureId: number): Promise<unknown>;
    liveVersionUuids(environmentId: number, now?: Date, ex?: DbExecutor): Promise<Map<number, string>>;
  };
}): FeaturesService {
  const { db, clock, store, access, audit, events, environments, versions } = deps;
  const k = db.kysely;

  async function loadFeature(ex: DbExecutor, projectId: number, id: number): Promise<FeatureRecord> {
    const f = await store.findFeature(ex, id);
    if (!f || f.projectId !== projectId) throw notFound('Feature');
    return f;
  }

  async function loadOption(ex: DbExecutor, featureId: number, id: number): Promise<MultivariateOptionRecord> {
    const o = await store.findOption(ex, id);
    if (!o || o.featureId !== featureId) throw notFound('Multivariate option');
    return o;
  }

  async function featureWire(ex: DbExecutor, f: FeatureRecord): Promise<FeatureWire> {
    return toFeatureWire(f, await store.listOptions(ex, [f.id]));
  }

  function featureAudit(scope: ProjectScope, featureId: number, log: string) {
    return { organisationId: scope.organisationId, projectId: scope.projectId, log, relatedObjectType: AuditObjectType.FEATURE, relatedObjectId: featureId };
  }

  async function emitUpdated(trx: DbExecutor, p: Principal, stateId: number, environmentId: number, previous: Awaited<ReturnType<EventsService['describeFeatureState']>> | null): Promise<void> {
    const newState = await events.describeFeatureState(trx, stateId);
    assert(newState, `feature state ${stateId} was just saved`);
    await events.emitFlagUpdated(trx, { environmentId, newState, previousState: previous ?? null, changedBy: p });
  }

  function checkFeatureReference(featureId: number, given: number | undefined): void {
    if (given !== undefined && given !== featureId) throw validationFailed('body/feature', 'must be the feature of the path');
  }

  return {
    async findFeatureRef(ex, featureId) {
      const f = await store.findFeature(ex, featureId);
      return f && { id: f.id, projectId: f.projectId, name: f.name, initialValue: f.initialValue };
    },

    async list(p, projectId, query, page) {
      await access.assertProject(p, projectId);
      let environmentId: number | undefined;
      if (query.environment !== undefined) {
        const env = query.environment;
        // An environment of another project (or one the caller cannot see) is a bad filter, not a missing page.
        const visible = await access.canViewEnvironment(p, env);
        const scope = visible ? await access.assertEnvironment(p, env) : undefined;
        if (!scope || scope.projectId !== projectId) throw validationFailed('querystring/environment', `environment ${env} is not an environment of project ${projectId}`);
        environmentId = env;
      }
      const { total, items } = await store.listFeatures(
        k,
        projectId,
        { search: query.search, isArchived: query.is_archived, sortField: query.sort_field ?? 'created_date', sortDirection: query.sort_direction ?? 'ASC' },
        page,
      );
      const ids = items.map((f) => f.id);
      const options = await store.listOptions(k, ids);
      if (environmentId === undefined) return { total, items: items.map((f) => toFeatureWire(f, options)) };
      // On a v2 environment the state shown is the live version's (drafts and history have rows too).
      const live = (await environments.find(environmentId, k))?.useV2FeatureVersioning ? await versions.liveVersionUuids(environmentId, clock.now(), k) : undefined;
      const counts = await store.overrideCounts(k, environmentId, ids, live);
      const out: FeatureWire[] = [];
      for (const f of items) {
        const c = counts.get(f.id) ?? { segments: 0, identities: 0 };
        const liveVersion = live?.get(f.id);
        const state = live && !liveVersion ? undefined : await store.environmentDefault(k, f.id, environmentId, liveVersion);
        out.push(toFeatureWire(f, options, { environment: { state, segments: c.segments, identities: c.identities } }));
      }
      return { total, items: out };
    },

    async create(p, projectId, input) {
      const scope = await access.assertProject(p, projectId, ProjectPermission.CREATE_FEATURE);
      const name = trimmedName(input.name);
      const initialValue = parseInitialValue('body/initial_value', input.initial_value);
      const optionInputs = (input.multivariate_options ?? []).map((o, i) => ({
        value: parseTypedValue(`body/multivariate_options/${i}`, o),
        defaultPercentageAllocation: o.default_percentage_allocation ?? 100,
      }));
      if (exceedsHundred(optionInputs.reduce((sum, o) => sum + o.defaultPercentageAllocation, 0))) {
        throw validationFailed('body/multivariate_options', 'Invalid percentage allocation: the default allocations total more than 100');
      }
      const type: FeatureType = input.type ?? (optionInputs.length > 0 ? 'MULTIVARIATE' : 'STANDARD');
      const defaultEnabled = input.default_enabled ?? false;
      const now = clock.now().toISOString();
      try {
        const id = await db.transaction(async (trx) => {
          if (await store.findFeatureByName(trx, projectId, name)) throw duplicateName();
          const featureId = await store.insertFeature(trx, {
            uuid: generateUuid(),
            projectId,
            name,
            type,
            initialValue,
            defaultEnabled,
            description: input.description ?? null,
            isArchived: input.is_archived ?? false,
            isServerKeyOnly: input.is_server_key_only ?? false,
            createdAt: now,
          });
          const options: { id: number; allocation: number }[] = [];
          for (const o of optionInputs) {
            options.push({ id: await store.insertOption(trx, { uuid: generateUuid(), featureId, value: o.value, defaultPercentageAllocation: o.defaultPercentageAllocation }), allocation: o.defaultPercentageAllocation });
          }
          await audit.record(trx, p, featureAudit(scope, featureId, `New Flag / Remote Config created: ${name}`));
          for (const environmentId of await environments.listEnvironmentIdsOfProject(projectId, trx)) {
            const stateId = await store.insertState(trx, {
              uuid: generateUuid(),
              featureId,
              environmentId,
              featureSegmentId: null,
              enabled: defaultEnabled,
              value: inferFeatureStateValue(initialValue),
              createdAt: now,
              multivariateValues: options.map((o) => ({ uuid: generateUuid(), optionId: o.id, percentageAllocation: o.allocation })),
            });
            await emitUpdated(trx, p, stateId, environmentId, null);
            // Flagsmith gives a feature created in a project with v2 environments its initial version at once;
            // without one, SDKs of that environment (served from live versions) would not see the feature.
            if ((await environments.find(environmentId, trx))?.useV2FeatureVersioning) await versions.createInitialVersion(trx, environmentId, featureId);
          }
          await bumpDocumentRevision(trx, { projectId });
          return featureId;
        });
        return await featureWire(k, await loadFeature(k, projectId, id));
      } catch (e) {
        // Two concurrent creates of one name: the loser hits the unique constraint.
        if (isUniqueViolation(e)) throw duplicateName();
        throw e;
      }
    },

    async get(p, projectId, id) {
      await access.assertProject(p, projectId);
      return featureWire(k, await loadFeature(k, projectId, id));
    },

    async update(p, projectId, id, input, partial) {
      const scope = await access.assertProject(p, projectId, ProjectPermission.EDIT_FEATURE);
      await loadFeature(k, projectId, id);
      const name = input.name === undefined ? undefined : trimmedName(input.name);
      if (!partial && name === undefined) throw validationFailed('body/name', 'is required');
      try {
        const updated = await db.transaction(async (trx) => {
          const before = await loadFeature(trx, projectId, id);
          if (name !== undefined) {
            const clash = await store.findFeatureByName(trx, projectId, name);
            if (clash && clash.id !== id) throw duplicateName();
          }
          await store.updateFeature(trx, id, { name, type: input.type, description: input.description, isArchived: input.is_archived, isServerKeyOnly: input.is_server_key_only });
          await audit.record(trx, p, featureAudit(scope, id, `Flag / Remote Config updated: ${name ?? before.name}`));
          // Name and server-key-only are part of every environment document of the project.
          await bumpDocumentRevision(trx, { projectId });
          return loadFeature(trx, projectId, id);
        });
        return await featureWire(k, updated);
      } catch (e) {
        if (isUniqueViolation(e)) throw duplicateName();
        throw e;
      }
    },

    async remove(p, projectId, id) {
      const scope = await access.assertProject(p, projectId, ProjectPermission.DELETE_FEATURE);
      await loadFeature(k, projectId, id);
      await db.transaction(async (trx) => {
        const before = await loadFeature(trx, projectId, id);
        // As Flagsmith does: one FLAG_DELETED per environment default, described before the rows go.
        for (const s of await store.environmentDefaults(trx, id)) {
          const previousState = await events.describeFeatureState(trx, s.id);
          if (previousState) await events.emitFlagDeleted(trx, { environmentId: s.environmentId, previousState, changedBy: p });
        }
        await audit.record(trx, p, featureAudit(scope, id, `Flag / Remote Config Deleted: ${before.name}`));
        await bumpDocumentRevision(trx, { projectId });
        await store.deleteFeature(trx, id);
      });
    },

    async listOptions(p, projectId, featureId, page) {
      await access.assertProject(p, projectId);
      await loadFeature(k, projectId, featureId);
      const all = await store.listOptions(k, [featureId]);
      return { total: all.length, items: all.slice(page.offset, page.offset + page.limit).map(toOptionWire) };
    },

    async createOption(p, projectId, featureId, input) {
      const scope = await access.assertProject(p, projectId, ProjectPermission.CREATE_FEATURE);
      await loadFeature(k, projectId, featureId);
      checkFeatureReference(featureId, input.feature);
      const value = parseTypedValue('body', input);
      const allocation = input.default_percentage_allocation ?? 100;
      const id = await db.transaction(async (trx) => {
        const feature = await loadFeature(trx, projectId, featureId);
        const siblings = await store.listOptions(trx, [featureId]);
        if (exceedsHundred(siblings.reduce((sum, o) => sum + o.defaultPercentageAllocation, allocation))) {
          throw validationFailed('body/default_percentage_allocation', 'Invalid percentage allocation: the options of the feature would total more than 100');
        }
        const optionId = await store.insertOption(trx, { uuid: generateUuid(), featureId, value, defaultPercentageAllocation: allocation });
        for (const s of await store.environmentDefaults(trx, featureId)) {
          // An environment whose shares were raised by hand may have no room left for the default share.
          if (exceedsHundred(s.multivariateValues.reduce((sum, v) => sum + v.percentageAllocation, allocation))) {
            throw validationFailed('body/default_percentage_allocation', `Invalid percentage allocation: the feature state in environment ${s.environmentId} would total more than 100`);
          }
          const previous = await events.describeFeatureState(trx, s.id);
          await store.addMultivariateValue(trx, s.id, { uuid: generateUuid(), optionId, percentageAllocation: allocation });
          await emitUpdated(trx, p, s.id, s.environmentId, previous);
        }
        await audit.record(trx, p, featureAudit(scope, featureId, `Multivariate option added to feature '${feature.name}'.`));
        await bumpDocumentRevision(trx, { projectId });
        return optionId;
      });
      return toOptionWire(await loadOption(k, featureId, id));
    },

    async getOption(p, projectId, featureId, id) {
      await access.assertProject(p, projectId);
      await loadFeature(k, projectId, featureId);
      return toOptionWire(await loadOption(k, featureId, id));
    },

    async updateOption(p, projectId, featureId, id, input, partial) {
      const scope = await access.assertProject(p, projectId, ProjectPermission.CREATE_FEATURE);
      await loadFeature(k, projectId, featureId);
      checkFeatureReference(featureId, input.feature);
      const touchesValue = input.type !== undefined || input.string_value !== undefined || input.integer_value !== undefined || input.boolean_value !== undefined;
      const updated = await db.transaction(async (trx) => {
        const feature = await loadFeature(trx, projectId, featureId);
        const before = await loadOption(trx, featureId, id);
        const value = !partial ? parseTypedValue('body', input) : touchesValue ? parseTypedValue('body', patchedValue(before, input)) : undefined;
        const allocation = input.default_percentage_allocation;
        if (allocation !== undefined) {
          const siblings = (await store.listOptions(trx, [featureId])).filter((o) => o.id !== id);
          if (exceedsHundred(siblings.reduce((sum, o) => sum + o.defaultPercentageAllocation, allocation))) {
            throw validationFailed('body/default_percentage_allocation', 'Invalid percentage allocation: the options of the feature would total more than 100');
          }
        }
        await store.updateOption(trx, id, { value, defaultPercentageAllocation: allocation });
        await audit.record(trx, p, featureAudit(scope, featureId, `Multivariate option updated for feature '${feature.name}'.`));
        // Option values are part of every environment document (allocations in states are kept).
        await bumpDocumentRevision(trx, { projectId });
        return loadOption(trx, featureId, id);
      });
      return toOptionWire(updated);
    },

    async removeOption(p, projectId, featureId, id) {
      const scope = await access.assertProject(p, projectId, ProjectPermission.CREATE_FEATURE);
      await loadFeature(k, projectId, featureId);
      await loadOption(k, featureId, id);
      await db.transaction(async (trx) => {
        const feature = await loadFeature(trx, projectId, featureId);
        await loadOption(trx, featureId, id);
        await audit.record(trx, p, featureAudit(scope, featureId, `Multivariate option removed from feature '${feature.name}'.`));
        await bumpDocumentRevision(trx, { projectId });
        await store.deleteOption(trx, id);
      });
    },
  };
}
