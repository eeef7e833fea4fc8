import type { Db, DbExecutor } from '../../platform/database/database.js';
import type { Clock } from '../../platform/clock/clock.js';
import { generateUuid } from '../../platform/security/secrets.js';
import { ADMIN } from '../../../src-shared/domain/permissions/permissions.js';
import { AppError, notFound, validationFailed } from '../../../src-shared/errors/app-error.js';
import { ErrorCode } from '../../../src-shared/errors/error-codes.js';
import type { ProjectWire } from '../../../src-shared/contracts/http/projects.contract.js';
import type { Principal } from '../access/principal.js';
import type { AccessService } from '../access/access.service.js';
import { AuditObjectType, type AuditService } from '../audit/audit.service.js';
import { bumpDocumentRevision } from '../sdk/document-revision.js';
import type { PermissionsService } from '../permissions/permissions.service.js';
import type { ProjectRecord, ProjectsStore } from './projects.store.js';

export interface ProjectInput {
  name?: string | undefined;
  hide_disabled_flags?: boolean | undefined;
}

/**
 * Projects. Anyone with VIEW_PROJECT reads one; organisation admins create them; project admins change
 * and delete them. Another organisation's projects, and projects without a view grant, are NOT_FOUND.
 */
export interface ProjectsService {
  list(p: Principal, filter: { organisation?: number | undefined; uuid?: string | undefined }): Promise<ProjectWire[]>;
  create(p: Principal, input: ProjectInput & { name: string; organisation: number }): Promise<ProjectWire>;
  get(p: Principal, id: number): Promise<ProjectWire>;
  /** PUT (`partial: false`: `name` required) or PATCH; as in Flagsmith (DRF), omitted settings keep their value either way. */
  update(p: Principal, id: number, input: ProjectInput, partial: boolean): Promise<ProjectWire>;
  remove(p: Principal, id: number): Promise<void>;
  /** A project by id without authorisation, for services that have already checked access. */
  find(id: number, ex?: DbExecutor): Promise<ProjectRecord | undefined>;
}

export function toProjectWire(r: ProjectRecord): ProjectWire {
  return { id: r.id, uuid: r.uuid, name: r.name, organisation: r.organisationId, hide_disabled_flags: r.hideDisabledFlags, enable_dynamo_db: false, use_edge_identities: false, created_date: r.createdAt };
}

function trimmedName(name: string): string {
  const trimmed = name.trim();
  if (!trimmed) throw validationFailed('body/name', 'must not be blank');
  return trimmed;
}

export function createProjectsService(deps: { db: Db; clock: Clock; store: ProjectsStore; access: AccessService; audit: AuditService; permissions: Pick<PermissionsService, 'grantCreatorAdmin'> }): ProjectsService {
  const { db, clock, store, access, audit, permissions } = deps;
  const k = db.kysely;

  async function load(ex: DbExecutor, id: number): Promise<ProjectRecord> {
    const r = await store.find(ex, id);
    if (!r) throw notFound('Project');
    return r;
  }

  return {
    async list(p, filter) {
      let orgIds = await access.organisationIds(p);
      if (filter.organisation !== undefined) orgIds = orgIds.filter((id) => id === filter.organisation);
      const all = await store.listByOrganisations(k, orgIds, { uuid: filter.uuid });
      const visible: ProjectWire[] = [];
      for (const r of all) if (await access.canViewProject(p, r.id)) visible.push(toProjectWire(r));
      return visible;
    },

    async create(p, input) {
      // The organisation comes in the body: one the caller cannot see is a bad field, not a missing URL.
      await access.assertOrganisation(p, input.organisation, ADMIN).catch((e: unknown) => {
        throw e instanceof AppError && e.code === ErrorCode.NOT_FOUND ? validationFailed('body/organisation', `organisation ${input.organisation} does not exist or is not yours`) : e;
      });
      const name = trimmedName(input.name);
      const now = clock.now().toISOString();
      const id = await db.transaction(async (trx) => {
        const projectId = await store.insert(trx, { uuid: generateUuid(), organisationId: input.organisation, name, hideDisabledFlags: input.hide_disabled_flags ?? false, createdAt: now });
        if (p.kind === 'user') await permissions.grantCreatorAdmin(trx, { projectId }, p.userId);
        await audit.record(trx, p, { organisationId: input.organisation, projectId, log: `New Project created: ${name}`, relatedObjectType: AuditObjectType.PROJECT, relatedObjectId: projectId });
        return projectId;
      });
      return toProjectWire(await load(k, id));
    },

    async get(p, id) {
      await access.assertProject(p, id);
      return toProjectWire(await load(k, id));
    },

    async update(p, id, input, partial) {
      await access.assertProject(p, id, ADMIN);
      const name = input.name === undefined ? undefined : trimmedName(input.name);
      if (!partial && name === undefined) throw validationFailed('body/name', 'is required');
      const hideDisabledFlags = input.hide_disabled_flags;
      const updated = await db.transaction(async (trx) => {
        const before = await load(trx, id);
        await store.update(trx, id, { name, hideDisabledFlags });
        // Project name and hide_disabled_flags are part of every environment document of the project.
        await bumpDocumentRevision(trx, { projectId: id });
        await audit.record(trx, p, { organisationId: before.organisationId, projectId: id, log: `Project updated: ${name ?? before.name}`, relatedObjectType: AuditObjectType.PROJECT, relatedObjectId: id });
        return load(trx, id);
      });
      return toProjectWire(updated);
    },

    async remove(p, id) {
      await access.assertProject(p, id, ADMIN);
      await db.transaction(async (trx) => {
        const before = await load(trx, id);
        await audit.record(trx, p, { organisationId: before.organisationId, projectId: id, log: `Project deleted: ${before.name}`, relatedObjectType: AuditObjectType.PROJECT, relatedObjectId: id });
        await store.delete(trx, id);
      });
    },

    async find(id, ex = k) {
      return store.find(ex, id);
    },
  };
}
