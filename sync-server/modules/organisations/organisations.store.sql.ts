import type { Selectable } from 'kysely';
import type { OrganisationsTable, OrganisationApiKeysTable } from '../../platform/database/database.schema.js';
import type { OrganisationRole } from '../../../src-shared/domain/permissions/permissions.js';
import type { MemberRecord, OrganisationApiKeyRecord, OrganisationRecord, OrganisationsStore } from './organisations.store.js';

function toOrganisation(r: Selectable<OrganisationsTable>): OrganisationRecord {
  return {
    id: r.id,
    uuid: r.uuid,
    name: r.name,
    persistTraitData: Boolean(r.persist_trait_data),
    stopServingFlags: Boolean(r.stop_serving_flags),
    planName: r.plan_name,
    maxSegmentOverridesPerEnvironment: r.max_segment_overrides_per_environment,
    featureHistoryVisibilityDays: r.feature_history_visibility_days,
    createdAt: r.created_at,
  };
}

function toApiKey(r: Selectable<OrganisationApiKeysTable>): OrganisationApiKeyRecord {
  return { id: r.id, organisationId: r.organisation_id, name: r.name, prefix: r.prefix, isAdmin: Boolean(r.is_admin), revoked: Boolean(r.revoked), createdAt: r.created_at, expiresAt: r.expires_at };
}

const memberColumns = ['users.id', 'users.uuid', 'users.email', 'users.first_name', 'users.last_name', 'organisation_users.role', 'organisation_users.created_at'] as const;
type MemberRow = { id: number; uuid: string; email: string; first_name: string; last_name: string; role: string; created_at: string };
function toMember(r: MemberRow): MemberRecord {
  return { userId: r.id, uuid: r.uuid, email: r.email, firstName: r.first_name, lastName: r.last_name, role: r.role as OrganisationRole, joinedAt: r.created_at };
}

export function createSqlOrganisationsStore(): OrganisationsStore {
  return {
    async listByIds(ex, ids, page) {
      if (ids.length === 0) return { total: 0, items: [] };
      const rows = await ex.selectFrom('organisations').selectAll().where('id', 'in', [...ids]).orderBy('id').offset(page.offset).limit(page.limit).execute();
      return { total: ids.length, items: rows.map(toOrganisation) };
    },
    async find(ex, id) {
      const r = await ex.selectFrom('organisations').selectAll().where('id', '=', id).executeTakeFirst();
      return r && toOrganisation(r);
    },
    async insert(ex, org) {
      const r = await ex
        .insertInto('organisations')
        .values({ uuid: org.uuid, name: org.name, persist_trait_data: org.persistTraitData, stop_serving_flags: false, plan_name: 'free', max_segment_overrides_per_environment: 100, feature_history_visibility_days: null, created_at: org.createdAt })
        .returning('id')
        .executeTakeFirstOrThrow();
      return r.id;
    },
    async update(ex, id, patch) {
      const set = {
        ...(patch.name !== undefined ? { name: patch.name } : {}),
        ...(patch.persistTraitData !== undefined ? { persist_trait_data: patch.persistTraitData } : {}),
        ...(patch.planName !== undefined ? { plan_name: patch.planName } : {}),
        ...(patch.maxSegmentOverridesPerEnvironment !== undefined ? { max_segment_overrides_per_environment: patch.maxSegmentOverridesPerEnvironment } : {}),
        ...(patch.featureHistoryVisibilityDays !== undefined ? { feature_history_visibility_days: patch.featureHistoryVisibilityDays } : {}),
      };
      if (Object.keys(set).length > 0) await ex.updateTable('organisations').set(set).where('id', '=', id).execute();
    },
    async delete(ex, id) {
      await ex.deleteFrom('organisations').where('id', '=', id).execute();
    },
    async projectIds(ex, organisationId) {
      const rows = await ex.selectFrom('projects').select('id').where('organisation_id', '=', organisationId).execute();
      return rows.map((r) => r.id);
    },

    async listMembers(ex, organisationId) {
      const rows = await ex.selectFrom('organisation_users').innerJoin('users', 'users.id', 'organisation_users.user_id').select(memberColumns).where('organisation_users.organisation_id', '=', organisationId).orderBy('users.id').execute();
      return rows.map(toMember);
    },
    async findMember(ex, organisationId, userId) {
      const r = await ex
        .selectFrom('organisation_users')
        .innerJoin('users', 'users.id', 'organisation_users.user_id')
        .select(memberColumns)
        .where('organisation_users.organisation_id', '=', organisationId)
        .where('organisation_users.user_id', '=', userId)
        .executeTakeFirst();
      return r && toMember(r);
    },
    async countAdmins(ex, organisationId) {
      const r = await ex.selectFrom('organisation_users').select((eb) => eb.fn.countAll<number>().as('n')).where('organisation_id', '=', organisationId).where('role', '=', 'ADMIN').executeTakeFirstOrThrow();
      return Number(r.n);
    },
    async lockMembership(ex, organisationId) {
      // A no-op write takes the row lock on both dialects, without dialect-specific FOR UPDATE syntax.
      await ex.updateTable('organisations').set((eb) => ({ name: eb.ref('name') })).where('id', '=', organisationId).execute();
    },
    async findUserIdByEmail(ex, email) {
      const r = await ex.selectFrom('users').select('id').where('email', '=', email).executeTakeFirst();
      return r?.id;
    },
    async insertUser(ex, user) {
      const r = await ex
        .insertInto('users')
        .values({ uuid: user.uuid, email: user.email, first_name: user.firstName, last_name: user.lastName, password_hash: user.passwordHash, is_active: true, created_at: user.createdAt })
        .returning('id')
        .executeTakeFirstOrThrow();
      return r.id;
    },
    async addMember(ex, organisationId, userId, role, createdAt) {
      await ex.insertInto('organisation_users').values({ organisation_id: organisationId, user_id: userId, role, created_at: createdAt }).execute();
    },
    async setRole(ex, organisationId, userId, role) {
      await ex.updateTable('organisation_users').set({ role }).where('organisation_id', '=', organisationId).where('user_id', '=', userId).execute();
    },
    async removeMember(ex, organisationId, userId) {
      const projectIds = ex.selectFrom('projects').select('id').where('organisation_id', '=', organisationId);
      const environmentIds = ex.selectFrom('environments').select('environments.id').where('project_id', 'in', projectIds);
      await ex.deleteFrom('user_environment_permissions').where('user_id', '=', userId).where('environment_id', 'in', environmentIds).execute();
      await ex.deleteFrom('user_project_permissions').where('user_id', '=', userId).where('project_id', 'in', projectIds).execute();
      await ex.deleteFrom('organisation_users').where('organisation_id', '=', organisationId).where('user_id', '=', userId).execute();
    },

    async listApiKeys(ex, organisationId, page) {
      const base = ex.selectFrom('organisation_api_keys').where('organisation_id', '=', organisationId).where('revoked', '=', false);
      const total = await base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
      const rows = await base.selectAll().orderBy('id').offset(page.offset).limit(page.limit).execute();
      return { total: Number(total.n), items: rows.map(toApiKey) };
    },
    async insertApiKey(ex, key) {
      const r = await ex
        .insertInto('organisation_api_keys')
        .values({ organisation_id: key.organisationId, name: key.name, prefix: key.prefix, key_hash: key.keyHash, is_admin: key.isAdmin, revoked: false, created_at: key.createdAt, expires_at: key.expiresAt })
        .returningAll()
        .executeTakeFirstOrThrow();
      return toApiKey(r);
    },
    async findActiveApiKey(ex, organisationId, prefix) {
      const r = await ex.selectFrom('organisation_api_keys').selectAll().where('organisation_id', '=', organisationId).where('prefix', '=', prefix).where('revoked', '=', false).executeTakeFirst();
      return r && toApiKey(r);
    },
    async revokeApiKey(ex, id) {
      await ex.updateTable('organisation_api_keys').set({ revoked: true }).where('id', '=', id).execute();
    },
  };
}
