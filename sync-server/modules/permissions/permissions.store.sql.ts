import type { DbExecutor } from '../../platform/database/database.js';
import type { GrantRecord, GrantTarget, PermissionsStore } from './permissions.store.js';

type GrantRow = { id: number; user_id: number; admin: boolean | number; permissions_json: string; email: string; first_name: string; last_name: string };

function toGrant(r: GrantRow): GrantRecord {
  return {
    id: r.id,
    userId: r.user_id,
    admin: Boolean(r.admin),
    permissions: JSON.parse(r.permissions_json) as string[],
    user: { id: r.user_id, email: r.email, firstName: r.first_name, lastName: r.last_name },
  };
}

/** Rows of the target's table joined with their users; the two tables differ only in the scope column. */
function grants(ex: DbExecutor, target: GrantTarget) {
  if ('projectId' in target) {
    return ex
      .selectFrom('user_project_permissions as g')
      .innerJoin('users', 'users.id', 'g.user_id')
      .select(['g.id', 'g.user_id', 'g.admin', 'g.permissions_json', 'users.email', 'users.first_name', 'users.last_name'])
      .where('g.project_id', '=', target.projectId);
  }
  return ex
    .selectFrom('user_environment_permissions as g')
    .innerJoin('users', 'users.id', 'g.user_id')
    .select(['g.id', 'g.user_id', 'g.admin', 'g.permissions_json', 'users.email', 'users.first_name', 'users.last_name'])
    .where('g.environment_id', '=', target.environmentId);
}

export function createSqlPermissionsStore(): PermissionsStore {
  return {
    async list(ex, target) {
      return (await grants(ex, target).orderBy('g.id').execute()).map(toGrant);
    },
    async find(ex, target, id) {
      const r = await grants(ex, target).where('g.id', '=', id).executeTakeFirst();
      return r && toGrant(r);
    },
    async findByUser(ex, target, userId) {
      const r = await grants(ex, target).where('g.user_id', '=', userId).executeTakeFirst();
      return r && toGrant(r);
    },
    async insert(ex, target, grant) {
      const values = { user_id: grant.userId, admin: grant.admin, permissions_json: JSON.stringify(grant.permissions) };
      const r =
        'projectId' in target
          ? await ex.insertInto('user_project_permissions').values({ ...values, project_id: target.projectId }).returning('id').executeTakeFirstOrThrow()
          : await ex.insertInto('user_environment_permissions').values({ ...values, environment_id: target.environmentId }).returning('id').executeTakeFirstOrThrow();
      return r.id;
    },
    async update(ex, target, id, patch) {
      const set = {
        ...(patch.admin !== undefined ? { admin: patch.admin } : {}),
        ...(patch.permissions !== undefined ? { permissions_json: JSON.stringify(patch.permissions) } : {}),
      };
      if (Object.keys(set).length === 0) return;
      if ('projectId' in target) await ex.updateTable('user_project_permissions').set(set).where('id', '=', id).where('project_id', '=', target.projectId).execute();
      else await ex.updateTable('user_environment_permissions').set(set).where('id', '=', id).where('environment_id', '=', target.environmentId).execute();
    },
    async delete(ex, target, id) {
      if ('projectId' in target) await ex.deleteFrom('user_project_permissions').where('id', '=', id).where('project_id', '=', target.projectId).execute();
      else await ex.deleteFrom('user_environment_permissions').where('id', '=', id).where('environment_id', '=', target.environmentId).execute();
    },
  };
}
