import type { Db, DbExecutor } from '../../platform/database/database.js';
import type { Clock } from '../../platform/clock/clock.js';
import { generateKey, generateToken, generateUuid, hashToken } from '../../platform/security/secrets.js';
import { isUniqueViolation } from '../../platform/database/unique-violation.js';
import { ADMIN, ProjectPermission } from '../../../src-shared/domain/permissions/permissions.js';
import { AppError, notFound, validationFailed } from '../../../src-shared/errors/app-error.js';
import { ErrorCode } from '../../../src-shared/errors/error-codes.js';
import { inferFeatureStateValue } from '../../../src-shared/domain/flags/feature-state-value.rules.js';
import type { EnvironmentApiKeyWire, EnvironmentWire } from '../../../src-shared/contracts/http/environments.contract.js';
import type { Principal } from '../access/principal.js';
import type { AccessService } from '../access/access.service.js';
import { AuditObjectType, type AuditService } from '../audit/audit.service.js';
import { bumpDocumentRevision } from '../sdk/document-revision.js';
import type { PermissionsService } from '../permissions/permissions.service.js';
import type { EnvironmentApiKeyRecord, EnvironmentRecord, EnvironmentsStore } from './environments.store.js';

export interface EnvironmentInput {
  name?: string | undefined;
  /** On update: must be the environment's own project when given. */
  project?: number | undefined;
  description?: string | null | undefined;
  allow_client_traits?: boolean | undefined;
  hide_disabled_flags?: boolean | null | undefined;
  minimum_change_request_approvals?: number | null | undefined;
}

export interface EnvironmentApiKeyInput {
  name?: string | undefined;
  active?: boolean | undefined;
  expires_at?: string | null | undefined;
}

/**
 * Environments and their server-side keys. VIEW_ENVIRONMENT reads one; CREATE_ENVIRONMENT (or project
 * admin) creates one; environment admins change and delete them and manage their keys. A new
 * environment gets an environment-default feature state for every feature of its project. Settings
 * changes bump the environment's document revision.
 */
export interface EnvironmentsService {
  list(p: Principal, filter: { project?: number | undefined }, page: { offset: number; limit: number }): Promise<{ total: number; items: EnvironmentWire[] }>;
  create(p: Principal, input: EnvironmentInput & { name: string; project: number }): Promise<EnvironmentWire>;
  get(p: Principal, apiKey: string): Promise<EnvironmentWire>;
  /** PUT (`partial: false`: `name` required) or PATCH; as in Flagsmith (DRF), omitted settings keep their value either way. */
  update(p: Principal, apiKey: string, input: EnvironmentInput, partial: boolean): Promise<EnvironmentWire>;
  remove(p: Principal, apiKey: string): Promise<void>;

  listApiKeys(p: Principal, apiKey: string): Promise<EnvironmentApiKeyWire[]>;
  /** Returns the full key (`ser.…`) once; only its SHA-256 hash is stored. */
  createApiKey(p: Principal, apiKey: string, input: EnvironmentApiKeyInput & { name: string }): Promise<EnvironmentApiKeyWire & { key: string }>;
  updateApiKey(p: Principal, apiKey: string, id: number, input: EnvironmentApiKeyInput): Promise<EnvironmentApiKeyWire>;
  deleteApiKey(p: Principal, apiKey: string, id: number): Promise<void>;

  /**
   * Ids of every environment of a project, without authorisation (the caller has checked the project).
   * The features module calls it inside its transaction to give a new feature a state in each environment.
   */
  listEnvironmentIdsOfProject(projectId: number, ex?: DbExecutor): Promise<number[]>;
  /** An environment by id without authorisation, for services that have already checked access. */
  find(id: number, ex?: DbExecutor): Promise<EnvironmentRecord | undefined>;
}

export function toEnvironmentWire(e: EnvironmentRecord): EnvironmentWire {
  return {
    id: e.id,
    uuid: e.uuid,
    name: e.name,
    api_key: e.apiKey,
    project: e.projectId,
    description: e.description,
    use_v2_feature_versioning: e.useV2FeatureVersioning,
    minimum_change_request_approvals: e.minimumChangeRequestApprovals,
    allow_client_traits: e.allowClientTraits,
    hide_disabled_flags: e.hideDisabledFlags,
    created_date: e.createdAt,
  };
}

function toApiKeyWire(k: EnvironmentApiKeyRecord): EnvironmentApiKeyWire {
  return { id: k.id, name: k.name, prefix: k.prefix, active: k.active, created_at: k.createdAt, expires_at: k.expiresAt };
}

function trimmedName(name: string): string {
  const trimmed = name.trim();
  if (!trimmed) throw validationFailed('body/name', 'must not be blank');
  return trimmed;
}

function isoOrNull(value: string | null | undefined): string | null | undefined {
  return value === undefined || value === null ? value : new Date(value).toISOString();
}

export function createEnvironmentsService(deps: {
  db: Db;
  clock: Clock;
  store: EnvironmentsStore;
  access: AccessService;
  audit: AuditService;
  permissions: Pick<PermissionsService, 'grantCreatorAdmin'>;
}): EnvironmentsService {
  const { db, clock, store, access, audit, permissions } = deps;
  const k = db.kysely;

  async function load(ex: DbExecutor, id: number): Promise<EnvironmentRecord> {
    const e = await store.find(ex, id);
    if (!e) throw notFound('Environment');
    return e;
  }

  function auditEntry(scope: Awaited<ReturnType<AccessService['assertEnvironment']>>, log: string, type: AuditObjectType, id: number) {
    return { organisationId: scope.organisationId, projectId: scope.projectId, environmentId: scope.environmentId, log, relatedObjectType: type, relatedObjectId: id };
  }

  async function findKeyOrThrow(ex: DbExecutor, environmentId: number, id: number): Promise<EnvironmentApiKeyRecord> {
    const key = await store.findApiKey(ex, environmentId, id);
    if (!key) throw notFound('Environment API key');
    return key;
  }

  return {
    async list(p, filter, page) {
      const orgIds = await access.organisationIds(p);
      const all = await store.listInOrganisations(k, orgIds, { projectId: filter.project });
      const visible: EnvironmentRecord[] = [];
      for (const e of all) if (await access.canViewEnvironment(p, e.id)) visible.push(e);
      return { total: visible.length, items: visible.slice(page.offset, page.offset + page.limit).map(toEnvironmentWire) };
    },

    async create(p, input) {
      // The project comes in the body: one the caller cannot see is a bad field, not a missing URL.
      const scope = await access.assertProject(p, input.project, ProjectPermission.CREATE_ENVIRONMENT).catch((e: unknown) => {
        throw e instanceof AppError && e.code === ErrorCode.NOT_FOUND ? validationFailed('body/project', `project ${input.project} does not exist or is not visible to you`) : e;
      });
      const name = trimmedName(input.name);
      const now = clock.now().toISOString();
      const id = await db.transaction(async (trx) => {
        const environmentId = await store.insert(trx, {
          uuid: generateUuid(),
          projectId: input.project,
          name,
          description: input.description ?? null,
          apiKey: generateKey(),
          minimumChangeRequestApprovals: input.minimum_change_request_approvals ?? null,
          allowClientTraits: input.allow_client_traits ?? true,
          hideDisabledFlags: input.hide_disabled_flags ?? null,
          createdAt: now,
          updatedAt: now,
        });
        // Every feature needs its environment default here, as Flagsmith creates on environment save.
        for (const f of await store.featureSeeds(trx, input.project)) {
          await store.insertDefaultFeatureState(trx, {
            uuid: generateUuid(),
            featureId: f.id,
            environmentId,
            enabled: f.defaultEnabled,
            value: inferFeatureStateValue(f.initialValue),
            createdAt: now,
            multivariateValues: f.multivariateOptions.map((o) => ({ uuid: generateUuid(), optionId: o.id, percentageAllocation: o.defaultPercentageAllocation })),
          });
        }
        if (p.kind === 'user') await permissions.grantCreatorAdmin(trx, { environmentId }, p.userId);
        await audit.record(trx, p, auditEntry({ ...scope, environmentId }, `New Environment created: ${name}`, AuditObjectType.ENVIRONMENT, environmentId));
        return environmentId;
      });
      return toEnvironmentWire(await load(k, id));
    },

    async get(p, apiKey) {
      const scope = await access.assertEnvironmentByApiKey(p, apiKey);
      return toEnvironmentWire(await load(k, scope.environmentId));
    },

    async update(p, apiKey, input, partial) {
      const scope = await access.assertEnvironmentByApiKey(p, apiKey, ADMIN);
      const name = input.name === undefined ? undefined : trimmedName(input.name);
      if (!partial && name === undefined) throw validationFailed('body/name', 'is required');
      if (input.project !== undefined && input.project !== scope.projectId) throw validationFailed('body/project', 'an environment cannot move to another project');
      const updated = await db.transaction(async (trx) => {
        await store.update(trx, scope.environmentId, {
          name,
          description: input.description,
          allowClientTraits: input.allow_client_traits,
          hideDisabledFlags: input.hide_disabled_flags,
          minimumChangeRequestApprovals: input.minimum_change_request_approvals,
          updatedAt: clock.now().toISOString(),
        });
        await bumpDocumentRevision(trx, { environmentId: scope.environmentId });
        const after = await load(trx, scope.environmentId);
        await audit.record(trx, p, auditEntry(scope, `Environment updated: ${after.name}`, AuditObjectType.ENVIRONMENT, scope.environmentId));
        return after;
      });
      return toEnvironmentWire(updated);
    },

    async remove(p, apiKey) {
      const scope = await access.assertEnvironmentByApiKey(p, apiKey, ADMIN);
      await db.transaction(async (trx) => {
        const before = await load(trx, scope.environmentId);
        await audit.record(trx, p, auditEntry(scope, `Environment deleted: ${before.name}`, AuditObjectType.ENVIRONMENT, scope.environmentId));
        await store.delete(trx, scope.environmentId);
      });
    },

    async listApiKeys(p, apiKey) {
      const scope = await access.assertEnvironmentByApiKey(p, apiKey, ADMIN);
      return (await store.listApiKeys(k, scope.environmentId)).map(toApiKeyWire);
    },

    async createApiKey(p, apiKey, input) {
      const scope = await access.assertEnvironmentByApiKey(p, apiKey, ADMIN);
      const name = trimmedName(input.name);
      const key = `ser.${generateToken()}`;
      const now = clock.now().toISOString();
      const record = await db.transaction(async (trx) => {
        const id = await store.insertApiKey(trx, {
          environmentId: scope.environmentId,
          name,
          // Enough to recognise the key in a list; the secret part stays unguessable.
          prefix: key.slice(0, 8),
          keyHash: hashToken(key),
          active: input.active ?? true,
          createdAt: now,
          expiresAt: isoOrNull(input.expires_at) ?? null,
        });
        await audit.record(trx, p, auditEntry(scope, `Server-side environment key created: ${name}`, AuditObjectType.API_KEY, id));
        return findKeyOrThrow(trx, scope.environmentId, id);
      }).catch((e: unknown) => {
        // A hash collision of two random 256-bit keys does not happen; a retry would be the answer if it did.
        throw isUniqueViolation(e) ? new AppError(ErrorCode.UNAVAILABLE, 'Could not create a unique key; try again.') : e;
      });
      return { ...toApiKeyWire(record), key };
    },

    async updateApiKey(p, apiKey, id, input) {
      const scope = await access.assertEnvironmentByApiKey(p, apiKey, ADMIN);
      const name = input.name === undefined ? undefined : trimmedName(input.name);
      const updated = await db.transaction(async (trx) => {
        await findKeyOrThrow(trx, scope.environmentId, id);
        await store.updateApiKey(trx, id, { name, active: input.active, expiresAt: isoOrNull(input.expires_at) });
        const after = await findKeyOrThrow(trx, scope.environmentId, id);
        await audit.record(trx, p, auditEntry(scope, `Server-side environment key updated: ${after.name}${after.active ? '' : ' (inactive)'}`, AuditObjectType.API_KEY, id));
        return after;
      });
      return toApiKeyWire(updated);
    },

    async deleteApiKey(p, apiKey, id) {
      const scope = await access.assertEnvironmentByApiKey(p, apiKey, ADMIN);
      await db.transaction(async (trx) => {
        const key = await findKeyOrThrow(trx, scope.environmentId, id);
        await store.deleteApiKey(trx, id);
        await audit.record(trx, p, auditEntry(scope, `Server-side environment key deleted: ${key.name}`, AuditObjectType.API_KEY, id));
      });
    },

    async listEnvironmentIdsOfProject(projectId, ex = k) {
      return store.idsOfProject(ex, projectId);
    },

    async find(id, ex = k) {
      return store.find(ex, id);
    },
  };
}
