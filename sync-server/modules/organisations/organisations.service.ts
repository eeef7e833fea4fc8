import type { Db, DbExecutor } from '../../platform/database/database.js';
import type { Clock } from '../../platform/clock/clock.js';
import { generateKey, generateToken, generateUuid, hashToken } from '../../platform/security/secrets.js';
import { isUniqueViolation } from '../../platform/database/unique-violation.js';
import { ADMIN, OrganisationRole } from '../../../src-shared/domain/permissions/permissions.js';
import { notFound, permissionDenied, preconditionFailed, validationFailed } from '../../../src-shared/errors/app-error.js';
import type { OrganisationApiKeyWire, OrganisationUserWire, OrganisationWire } from '../../../src-shared/contracts/http/organisations.contract.js';
import type { Principal } from '../access/principal.js';
import type { AccessService } from '../access/access.service.js';
import { AuditObjectType, type AuditService } from '../audit/audit.service.js';
import { bumpDocumentRevision } from '../sdk/document-revision.js';
import type { MemberRecord, OrganisationApiKeyRecord, OrganisationRecord, OrganisationsStore } from './organisations.store.js';

export interface OrganisationInput {
  name?: string | undefined;
  persist_trait_data?: boolean | undefined;
}

export interface PlanLimitsInput {
  plan_name?: string | undefined;
  max_segment_overrides_per_environment?: number | undefined;
  feature_history_visibility_days?: number | null | undefined;
}

/** The plan limits other modules enforce (versioning: segment overrides, history visibility). */
export interface PlanLimits {
  planName: string;
  maxSegmentOverridesPerEnvironment: number;
  /** null: unlimited. */
  featureHistoryVisibilityDays: number | null;
}

export interface NewMemberInput {
  email: string;
  password?: string | undefined;
  first_name?: string | undefined;
  last_name?: string | undefined;
  role?: OrganisationRole | undefined;
}

export interface ApiKeyInput {
  name: string;
  is_admin?: boolean | undefined;
  expiry_date?: string | null | undefined;
  expires_at?: string | null | undefined;
}

/**
 * Organisations, their members and their API keys. Any member reads the organisation and its members;
 * changes need organisation admin. Another organisation is NOT_FOUND. Every write records an audit
 * entry in its transaction. An organisation always keeps at least one admin.
 */
export interface OrganisationsService {
  list(p: Principal, page: { offset: number; limit: number }): Promise<{ total: number; items: OrganisationWire[] }>;
  /** Users only: the creator becomes the organisation's admin. */
  create(p: Principal, input: OrganisationInput & { name: string }): Promise<OrganisationWire>;
  get(p: Principal, id: number): Promise<OrganisationWire>;
  /** PUT (`partial: false`: `name` required) or PATCH; as in Flagsmith (DRF), omitted settings keep their value either way. */
  update(p: Principal, id: number, input: OrganisationInput, partial: boolean): Promise<OrganisationWire>;
  remove(p: Principal, id: number): Promise<void>;
  updatePlanLimits(p: Principal, id: number, input: PlanLimitsInput): Promise<OrganisationWire>;
  /** Plan limits of an organisation, for services that enforce them (no authorisation: callers have checked). */
  planLimits(organisationId: number, ex?: DbExecutor): Promise<PlanLimits>;

  listUsers(p: Principal, organisationId: number): Promise<OrganisationUserWire[]>;
  addUser(p: Principal, organisationId: number, input: NewMemberInput): Promise<OrganisationUserWire>;
  updateUserRole(p: Principal, organisationId: number, userId: number, role: OrganisationRole): Promise<OrganisationUserWire>;
  removeUsers(p: Principal, organisationId: number, userIds: readonly number[]): Promise<{ id: number }[]>;
  /** Whether the user belongs to the organisation (no authorisation: for other services' validation). */
  isMember(organisationId: number, userId: number, ex?: DbExecutor): Promise<boolean>;

  listApiKeys(p: Principal, organisationId: number, page: { offset: number; limit: number }): Promise<{ total: number; items: OrganisationApiKeyWire[] }>;
  /** Returns the full key once; only its SHA-256 hash is stored. */
  createApiKey(p: Principal, organisationId: number, input: ApiKeyInput): Promise<OrganisationApiKeyWire & { key: string }>;
  revokeApiKey(p: Principal, organisationId: number, prefix: string): Promise<void>;
}

function toOrganisationWire(o: OrganisationRecord, role: OrganisationRole): OrganisationWire {
  return {
    id: o.id,
    uuid: o.uuid,
    name: o.name,
    created_date: o.createdAt,
    persist_trait_data: o.persistTraitData,
    stop_serving_flags: o.stopServingFlags,
    role,
    plan_name: o.planName,
    max_segment_overrides_per_environment: o.maxSegmentOverridesPerEnvironment,
    feature_history_visibility_days: o.featureHistoryVisibilityDays,
    subscription: { plan: o.planName },
  };
}

function toMemberWire(m: MemberRecord): OrganisationUserWire {
  return { id: m.userId, uuid: m.uuid, email: m.email, first_name: m.firstName, last_name: m.lastName, role: m.role, date_joined: m.joinedAt };
}

function toApiKeyWire(k: OrganisationApiKeyRecord, now: string): OrganisationApiKeyWire {
  return {
    id: k.id,
    prefix: k.prefix,
    name: k.name,
    is_admin: k.isAdmin,
    revoked: k.revoked,
    created: k.createdAt,
    expiry_date: k.expiresAt,
    expires_at: k.expiresAt,
    has_expired: k.expiresAt !== null && k.expiresAt <= now,
  };
}

function trimmedName(name: string, path = 'body/name'): string {
  const trimmed = name.trim();
  if (!trimmed) throw validationFailed(path, 'must not be blank');
  return trimmed;
}

export function createOrganisationsService(deps: {
  db: Db;
  clock: Clock;
  store: OrganisationsStore;
  access: AccessService;
  audit: AuditService;
  hashPassword: (password: string) => Promise<string>;
}): OrganisationsService {
  const { db, clock, store, access, audit } = deps;
  const k = db.kysely;

  async function load(ex: DbExecutor, id: number): Promise<OrganisationRecord> {
    const o = await store.find(ex, id);
    if (!o) throw notFound('Organisation');
    return o;
  }

  async function wire(p: Principal, ex: DbExecutor, id: number): Promise<OrganisationWire> {
    return toOrganisationWire(await load(ex, id), await access.organisationRole(p, id));
  }

  /** Refuses a change that would leave the organisation without an admin. */
  async function keepAnAdmin(trx: DbExecutor, organisationId: number, losing: number): Promise<void> {
    if (losing > 0 && (await store.countAdmins(trx, organisationId)) <= losing) {
      throw preconditionFailed('An organisation must keep at least one admin; make another member admin first.', { reason: 'LAST_ADMIN' });
    }
  }

  return {
    async list(p, page) {
      const ids = await access.organisationIds(p);
      const { total, items } = await store.listByIds(k, ids, page);
      const result: OrganisationWire[] = [];
      for (const o of items) result.push(toOrganisationWire(o, await access.organisationRole(p, o.id)));
      return { total, items: result };
    },

    async create(p, input) {
      if (p.kind !== 'user') throw permissionDenied('Organisations are created by users; an API key belongs to one organisation.');
      const name = trimmedName(input.name);
      const now = clock.now().toISOString();
      const id = await db.transaction(async (trx) => {
        const orgId = await store.insert(trx, { uuid: generateUuid(), name, persistTraitData: input.persist_trait_data ?? true, createdAt: now });
        await store.addMember(trx, orgId, p.userId, OrganisationRole.ADMIN, now);
        await audit.record(trx, p, { organisationId: orgId, log: `Organisation created: ${name}`, relatedObjectType: AuditObjectType.ORGANISATION, relatedObjectId: orgId });
        return orgId;
      });
      return wire(p, k, id);
    },

    async get(p, id) {
      await access.assertOrganisation(p, id);
      return wire(p, k, id);
    },

    async update(p, id, input, partial) {
      await access.assertOrganisation(p, id, ADMIN);
      const name = input.name === undefined ? undefined : trimmedName(input.name);
      if (!partial && name === undefined) throw validationFailed('body/name', 'is required');
      const persistTraitData = input.persist_trait_data;
      await db.transaction(async (trx) => {
        const before = await load(trx, id);
        await store.update(trx, id, { name, persistTraitData });
        // Trait persistence changes what the identify endpoints do: SDK documents of every project go stale.
        if (persistTraitData !== undefined && persistTraitData !== before.persistTraitData) {
          for (const projectId of await store.projectIds(trx, id)) await bumpDocumentRevision(trx, { projectId });
        }
        await audit.record(trx, p, { organisationId: id, log: `Organisation updated: ${name ?? before.name}`, relatedObjectType: AuditObjectType.ORGANISATION, relatedObjectId: id });
      });
      return wire(p, k, id);
    },

    async remove(p, id) {
      await access.assertOrganisation(p, id, ADMIN);
      await db.transaction(async (trx) => {
        const before = await load(trx, id);
        // Recorded for the audit webhook; the entry itself goes with the organisation's rows.
        await audit.record(trx, p, { organisationId: id, log: `Organisation deleted: ${before.name}`, relatedObjectType: AuditObjectType.ORGANISATION, relatedObjectId: id });
        await store.delete(trx, id);
      });
    },

    async updatePlanLimits(p, id, input) {
      await access.assertOrganisation(p, id, ADMIN);
      const planName = input.plan_name === undefined ? undefined : trimmedName(input.plan_name, 'body/plan_name');
      await db.transaction(async (trx) => {
        await load(trx, id);
        await store.update(trx, id, {
          planName,
          maxSegmentOverridesPerEnvironment: input.max_segment_overrides_per_environment,
          featureHistoryVisibilityDays: input.feature_history_visibility_days,
        });
        const changes = Object.entries(input)
          .filter(([, v]) => v !== undefined)
          .map(([key, v]) => `${key}=${v === null ? 'unlimited' : String(v)}`)
          .join(', ');
        await audit.record(trx, p, { organisationId: id, log: `Organisation plan limits updated: ${changes || 'no change'}`, relatedObjectType: AuditObjectType.ORGANISATION, relatedObjectId: id });
      });
      return wire(p, k, id);
    },

    async planLimits(organisationId, ex = k) {
      const o = await load(ex, organisationId);
      return { planName: o.planName, maxSegmentOverridesPerEnvironment: o.maxSegmentOverridesPerEnvironment, featureHistoryVisibilityDays: o.featureHistoryVisibilityDays };
    },

    async listUsers(p, organisationId) {
      await access.assertOrganisation(p, organisationId);
      return (await store.listMembers(k, organisationId)).map(toMemberWire);
    },

    async addUser(p, organisationId, input) {
      await access.assertOrganisation(p, organisationId, ADMIN);
      const email = input.email.trim().toLowerCase();
      const role = input.role ?? OrganisationRole.USER;
      const passwordHash = input.password === undefined ? undefined : await deps.hashPassword(input.password);
      const now = clock.now().toISOString();
      try {
        const userId = await db.transaction(async (trx) => {
          let id = await store.findUserIdByEmail(trx, email);
          if (id !== undefined) {
            if (passwordHash !== undefined) throw validationFailed('body/password', 'a user with this email already exists; omit password to add them to the organisation');
            if (await store.findMember(trx, organisationId, id)) throw validationFailed('body/email', 'this user is already a member of the organisation');
          } else {
            if (passwordHash === undefined) throw validationFailed('body/password', 'is required to create a new user');
            id = await store.insertUser(trx, { uuid: generateUuid(), email, firstName: input.first_name?.trim() ?? '', lastName: input.last_name?.trim() ?? '', passwordHash, createdAt: now });
          }
          await store.addMember(trx, organisationId, id, role, now);
          await audit.record(trx, p, { organisationId, log: `User added to organisation: ${email} (${role})`, relatedObjectType: AuditObjectType.USER, relatedObjectId: id });
          return id;
        });
        const member = await store.findMember(k, organisationId, userId);
        if (!member) throw notFound('User');
        return toMemberWire(member);
      } catch (error) {
        if (isUniqueViolation(error)) throw validationFailed('body/email', 'this user was just added by another request');
        throw error;
      }
    },

    async updateUserRole(p, organisationId, userId, role) {
      await access.assertOrganisation(p, organisationId, ADMIN);
      await db.transaction(async (trx) => {
        await store.lockMembership(trx, organisationId);
        const member = await store.findMember(trx, organisationId, userId);
        if (!member) throw notFound('User');
        if (member.role === role) return;
        if (member.role === OrganisationRole.ADMIN) await keepAnAdmin(trx, organisationId, 1);
        await store.setRole(trx, organisationId, userId, role);
        await audit.record(trx, p, { organisationId, log: `User role changed: ${member.email} ${member.role} → ${role}`, relatedObjectType: AuditObjectType.USER, relatedObjectId: userId });
      });
      const updated = await store.findMember(k, organisationId, userId);
      if (!updated) throw notFound('User');
      return toMemberWire(updated);
    },

    async removeUsers(p, organisationId, userIds) {
      await access.assertOrganisation(p, organisationId, ADMIN);
      const ids = [...new Set(userIds)];
      await db.transaction(async (trx) => {
        await store.lockMembership(trx, organisationId);
        const members: MemberRecord[] = [];
        for (const [i, id] of ids.entries()) {
          const m = await store.findMember(trx, organisationId, id);
          if (!m) throw validationFailed(`body/${i}/id`, `user ${id} is not a member of this organisation`);
          members.push(m);
        }
        await keepAnAdmin(trx, organisationId, members.filter((m) => m.role === OrganisationRole.ADMIN).length);
        for (const m of members) {
          await store.removeMember(trx, organisationId, m.userId);
          await audit.record(trx, p, { organisationId, log: `User removed from organisation: ${m.email}`, relatedObjectType: AuditObjectType.USER, relatedObjectId: m.userId });
        }
      });
      return ids.map((id) => ({ id }));
    },

    async isMember(organisationId, userId, ex = k) {
      return (await store.findMember(ex, organisationId, userId)) !== undefined;
    },

    async listApiKeys(p, organisationId, page) {
      await access.assertOrganisation(p, organisationId, ADMIN);
      const now = clock.now().toISOString();
      const { total, items } = await store.listApiKeys(k, organisationId, page);
      return { total, items: items.map((key) => toApiKeyWire(key, now)) };
    },

    async createApiKey(p, organisationId, input) {
      await access.assertOrganisation(p, organisationId, ADMIN);
      const name = trimmedName(input.name);
      const expiresRaw = input.expires_at !== undefined ? input.expires_at : input.expiry_date;
      const expiresAt = expiresRaw === undefined || expiresRaw === null ? null : new Date(expiresRaw).toISOString();
      const now = clock.now().toISOString();
      // Flagsmith's master keys are `<prefix>.<secret>`: the prefix names the key in URLs and lists.
      const prefix = generateKey(8);
      const key = `${prefix}.${generateToken()}`;
      const record = await db.transaction(async (trx) => {
        const created = await store.insertApiKey(trx, { organisationId, name, prefix, keyHash: hashToken(key), isAdmin: input.is_admin ?? true, createdAt: now, expiresAt });
        await audit.record(trx, p, { organisationId, log: `Organisation API key created: ${name} (${prefix})`, relatedObjectType: AuditObjectType.API_KEY, relatedObjectId: created.id });
        return created;
      });
      return { ...toApiKeyWire(record, now), key };
    },

    async revokeApiKey(p, organisationId, prefix) {
      await access.assertOrganisation(p, organisationId, ADMIN);
      await db.transaction(async (trx) => {
        const key = await store.findActiveApiKey(trx, organisationId, prefix);
        if (!key) throw notFound('API key');
        await store.revokeApiKey(trx, key.id);
        await audit.record(trx, p, { organisationId, log: `Organisation API key revoked: ${key.name} (${key.prefix})`, relatedObjectType: AuditObjectType.API_KEY, relatedObjectId: key.id });
      });
    },
  };
}
