import type { Db, DbExecutor } from '../../platform/database/database.js';
import type { OrganisationRole, PermissionGrant } from '../../../src-shared/domain/permissions/permissions.js';
import type { AccessStore, EnvironmentScope, ProjectScope } from './access.store.js';

function toGrant(row: { admin: boolean | number; permissions_json: string } | undefined): PermissionGrant | undefined {
  if (!row) return undefined;
  return { admin: Boolean(row.admin), permissions: JSON.parse(row.permissions_json) as string[] };
}

export function createSqlAccessStore(db: Db): AccessStore {
  const k = db.kysely;
  const envScope = k
    .selectFrom('environments')
    .innerJoin('projects', 'projects.id', 'environments.project_id')
    .select(['environments.id as environmentId', 'projects.id as projectId', 'projects.organisation_id as organisationId']);
  return {
    async organisationRole(userId, organisationId) {
      const row = await k.selectFrom('organisation_users').select('role').where('user_id', '=', userId).where('organisation_id', '=', organisationId).executeTakeFirst();
      return row?.role as OrganisationRole | undefined;
    },
    async projectGrant(userId, projectId) {
      return toGrant(await k.selectFrom('user_project_permissions').select(['admin', 'permissions_json']).where('user_id', '=', userId).where('project_id', '=', projectId).executeTakeFirst());
    },
    async environmentGrant(userId, environmentId, ex: DbExecutor = k) {
      return toGrant(await ex.selectFrom('user_environment_permissions').select(['admin', 'permissions_json']).where('user_id', '=', userId).where('environment_id', '=', environmentId).executeTakeFirst());
    },
    async minimumChangeRequestApprovals(environmentId, ex: DbExecutor = k) {
      const row = await ex.selectFrom('environments').select('minimum_change_request_approvals').where('id', '=', environmentId).executeTakeFirst();
      return row?.minimum_change_request_approvals ?? null;
    },
    async projectScope(projectId): Promise<ProjectScope | undefined> {
      return k.selectFrom('projects').select(['id as projectId', 'organisation_id as organisationId']).where('id', '=', projectId).executeTakeFirst();
    },
    async environmentScopeById(environmentId): Promise<EnvironmentScope | undefined> {
      return envScope.where('environments.id', '=', environmentId).executeTakeFirst();
    },
    async environmentScopeByApiKey(apiKey): Promise<EnvironmentScope | undefined> {
      return envScope.where('environments.api_key', '=', apiKey).executeTakeFirst();
    },
    async organisationIdsOfUser(userId) {
      const rows = await k.selectFrom('organisation_users').select('organisation_id').where('user_id', '=', userId).execute();
      return rows.map((r) => r.organisation_id);
    },
  };
}
