import type { DbExecutor } from '../../platform/database/database.js';
import type { Clock } from '../../platform/clock/clock.js';
import { generateUuid } from '../../platform/security/secrets.js';
import { ADMIN, OrganisationRole, ProjectPermission } from '../../../src-shared/domain/permissions/permissions.js';
import { AppError, notFound } from '../../../src-shared/errors/app-error.js';
import type { AuditIntegritySchema, AuditLogWire } from '../../../src-shared/contracts/http/audit.contract.js';
import type { Static } from '@sinclair/typebox';
import { auditAuthor, type Principal } from '../access/principal.js';
import type { AccessService } from '../access/access.service.js';
import { appendAuditRow, computeAuditHash, GENESIS_HASH } from './audit-chain.js';
import type { AuditFilter, AuditStore } from './audit.store.js';

/** Related object types of audit entries, as Flagsmith names them (WEBHOOK is Flagdesk's). */
export const AuditObjectType = {
  FEATURE: 'FEATURE',
  FEATURE_STATE: 'FEATURE_STATE',
  EF_VERSION: 'EF_VERSION',
  SEGMENT: 'SEGMENT',
  ENVIRONMENT: 'ENVIRONMENT',
  PROJECT: 'PROJECT',
  ORGANISATION: 'ORGANISATION',
  IDENTITY: 'IDENTITY',
  CHANGE_REQUEST: 'CHANGE_REQUEST',
  USER: 'USER',
  API_KEY: 'API_KEY',
  WEBHOOK: 'WEBHOOK',
  RELEASE_PIPELINE: 'RELEASE_PIPELINE',
} as const;
export type AuditObjectType = (typeof AuditObjectType)[keyof typeof AuditObjectType];

export interface AuditEntryInput {
  organisationId: number;
  /** Filled from the environment when only `environmentId` is given. */
  projectId?: number | null;
  environmentId?: number | null;
  log: string;
  relatedObjectType: AuditObjectType;
  relatedObjectId?: number | null;
  relatedObjectUuid?: string | null;
  /** True for entries the server writes on its own (a scheduled change going live, a conflict). */
  isSystemEvent?: boolean;
}

export interface AuditListQuery {
  page: { offset: number; limit: number };
  /** One organisation's entries only (its admins only: PERMISSION_DENIED for members, NOT_FOUND for others). */
  organisation?: number | undefined;
  project?: number | undefined;
  environments?: number[] | undefined;
  isSystemEvent?: boolean | undefined;
  search?: string | undefined;
  from?: string | undefined;
  to?: string | undefined;
}

export type AuditIntegrity = Static<typeof AuditIntegritySchema>;

/**
 * The audit log. `record` writes an entry inside the caller's transaction, so an entry exists exactly
 * when its change does; entries are hash-chained per organisation and streamed to the organisation's
 * webhooks as AUDIT_LOG_CREATED. Reading needs organisation admin, or VIEW_AUDIT_LOG on the project.
 */
export interface AuditService {
  record(trx: DbExecutor, actor: Principal | null, entry: AuditEntryInput): Promise<{ id: number; uuid: string }>;
  list(p: Principal, query: AuditListQuery): Promise<{ total: number; items: AuditLogWire[] }>;
  get(p: Principal, id: number): Promise<AuditLogWire>;
  /** Walks the organisation's chain and reports the first entry that does not verify (organisation admin). */
  verifyIntegrity(p: Principal, organisationId: number): Promise<AuditIntegrity>;
}

/** What the audit service needs from the events module (kept narrow, so tests can pass a stub). */
export interface AuditEventSink {
  hasOrganisationWebhooks(trx: DbExecutor, organisationId: number): Promise<boolean>;
  emitAuditLogCreated(trx: DbExecutor, input: { organisationId: number; entry: AuditLogWire }): Promise<unknown>;
}

function normaliseTime(iso: string | undefined): string | undefined {
  return iso === undefined ? undefined : new Date(iso).toISOString();
}

export function createAuditService(clock: Clock, deps?: { store: AuditStore; access: AccessService; events: AuditEventSink }): AuditService {
  function needDeps() {
    if (!deps) throw new Error('Invariant violated: the audit service was built without its store');
    return deps;
  }

  /** Organisations (admin) and projects (VIEW_AUDIT_LOG) whose entries the caller may read. */
  async function readable(p: Principal): Promise<AuditFilter['readable']> {
    const { access, store } = needDeps();
    const organisationIds: number[] = [];
    const projectIds: number[] = [];
    for (const orgId of await access.organisationIds(p)) {
      if ((await access.organisationRole(p, orgId)) === OrganisationRole.ADMIN) {
        organisationIds.push(orgId);
        continue;
      }
      for (const projectId of await store.projectIdsOfOrganisation(orgId)) {
        const allowed = await access.assertProject(p, projectId, ProjectPermission.VIEW_AUDIT_LOG).then(
          () => true,
          (e: unknown) => (e instanceof AppError ? false : Promise.reject(e)),
        );
        if (allowed) projectIds.push(projectId);
      }
    }
    return { organisationIds, projectIds };
  }

  return {
    async record(trx, actor, entry) {
      const projectId = entry.projectId ?? (entry.environmentId ? ((await deps?.store.projectOfEnvironment(trx, entry.environmentId)) ?? null) : null);
      const uuid = generateUuid();
      const { id } = await appendAuditRow(trx, {
        uuid,
        organisation_id: entry.organisationId,
        project_id: projectId,
        environment_id: entry.environmentId ?? null,
        log: entry.log,
        ...(actor ? auditAuthor(actor) : { author_user_id: null, author_api_key_id: null }),
        related_object_type: entry.relatedObjectType,
        related_object_id: entry.relatedObjectId ?? null,
        related_object_uuid: entry.relatedObjectUuid ?? null,
        is_system_event: entry.isSystemEvent ?? false,
        created_at: clock.now().toISOString(),
      });
      // The audit-log webhook: organisation webhooks receive every entry.
      if (deps && (await deps.events.hasOrganisationWebhooks(trx, entry.organisationId))) {
        const wire = await deps.store.entryWire(trx, id);
        if (wire) {
          const { organisationId: _o, projectId: _p, ...data } = wire;
          await deps.events.emitAuditLogCreated(trx, { organisationId: entry.organisationId, entry: data });
        }
      }
      return { id, uuid };
    },

    async list(p, q) {
      const { store, access } = needDeps();
      if (q.project !== undefined) await access.assertProject(p, q.project, ProjectPermission.VIEW_AUDIT_LOG);
      if (q.organisation !== undefined) await access.assertOrganisation(p, q.organisation, ADMIN);
      const from = normaliseTime(q.from);
      const to = normaliseTime(q.to);
      return store.list(
        {
          readable: q.organisation !== undefined ? { organisationIds: [q.organisation], projectIds: [] } : await readable(p),
          ...(q.project !== undefined ? { projectId: q.project } : {}),
          ...(q.environments ? { environmentIds: q.environments } : {}),
          ...(q.isSystemEvent !== undefined ? { isSystemEvent: q.isSystemEvent } : {}),
          ...(q.search ? { search: q.search } : {}),
          ...(from ? { from } : {}),
          ...(to ? { to } : {}),
        },
        q.page,
      );
    },

    async get(p, id) {
      const { store, access } = needDeps();
      const entry = await store.entryWire(undefined, id);
      if (!entry) throw notFound('Audit log entry');
      const role = await access.organisationRole(p, entry.organisationId).catch(() => undefined);
      if (role !== OrganisationRole.ADMIN) {
        // Non-admins read project entries with VIEW_AUDIT_LOG; everything else stays invisible (404).
        if (entry.projectId === null) throw notFound('Audit log entry');
        await access.assertProject(p, entry.projectId, ProjectPermission.VIEW_AUDIT_LOG).catch((e: unknown) => {
          throw e instanceof AppError ? notFound('Audit log entry') : e;
        });
      }
      const { organisationId: _o, projectId: _p, ...wire } = entry;
      return wire;
    },

    async verifyIntegrity(p, organisationId) {
      const { store, access } = needDeps();
      await access.assertOrganisation(p, organisationId, ADMIN);
      const head = await store.chainHead(organisationId);
      if (!head) throw notFound('Organisation');
      const result = (first_broken: AuditIntegrity['first_broken'], checked: number): AuditIntegrity => ({
        organisation_id: organisationId,
        is_valid: first_broken === null,
        chain_length: head.length,
        checked_entries: checked,
        head_hash: head.headHash,
        first_broken,
      });

      let prev = GENESIS_HASH;
      let expected = 1;
      let checked = 0;
      for (;;) {
        const rows = await store.chainRows(organisationId, expected - 1, 1000);
        if (rows.length === 0) break;
        for (const row of rows) {
          if (row.chain_seq !== expected) {
            return result({ id: row.id, chain_seq: expected, reason: 'MISSING_ENTRY', detail: `Entry ${expected} of the chain is missing; the next one present is ${row.chain_seq}.` }, checked);
          }
          if (row.prev_hash !== prev) {
            return result({ id: row.id, chain_seq: expected, reason: 'LINK_MISMATCH', detail: 'The entry does not link to the hash of the entry before it: an earlier entry was removed or replaced.' }, checked);
          }
          if (row.hash !== computeAuditHash(prev, row)) {
            return result({ id: row.id, chain_seq: expected, reason: 'HASH_MISMATCH', detail: 'The entry does not match its hash: it was edited after it was written.' }, checked);
          }
          prev = row.hash;
          expected++;
          checked++;
        }
      }
      if (checked !== head.length || (head.length > 0 && head.headHash !== prev)) {
        return result({ id: null, chain_seq: checked + 1, reason: 'HEAD_MISMATCH', detail: `The organisation recorded ${head.length} entries but the chain ends after ${checked}: the newest entries were removed.` }, checked);
      }
      const unchained = await store.firstUnchained(organisationId);
      if (unchained) return result({ id: unchained.id, chain_seq: null, reason: 'UNCHAINED_ENTRY', detail: 'The entry is not part of the chain: it was written around the audit service.' }, checked);
      return result(null, checked);
    },
  };
}
