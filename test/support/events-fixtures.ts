import { generateKey, generateToken, generateUuid, hashToken } from '../../sync-server/platform/security/secrets.js';
import type { TestApi } from './api-harness.js';

/**
 * Rows the events tests need (projects, environments, features, feature states, users), written straight
 * to the database so these tests do not depend on the modules that own those routes.
 */
export function eventsFixtures(api: TestApi) {
  const k = () => api.testDb.db.kysely;
  const now = () => api.clock.now().toISOString();

  return {
    async project(name = 'Project', organisationId = api.organisationId): Promise<number> {
      const r = await k()
        .insertInto('projects')
        .values({ uuid: generateUuid(), organisation_id: organisationId, name, hide_disabled_flags: false, created_at: now() })
        .returning('id')
        .executeTakeFirstOrThrow();
      return r.id;
    },
    async environment(projectId: number, name = 'Production'): Promise<{ id: number; apiKey: string }> {
      const apiKey = generateKey();
      const r = await k()
        .insertInto('environments')
        .values({
          uuid: generateUuid(), project_id: projectId, name, description: null, api_key: apiKey, use_v2_feature_versioning: false,
          minimum_change_request_approvals: null, allow_client_traits: true, hide_disabled_flags: null, document_revision: 0, created_at: now(), updated_at: now(),
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      return { id: r.id, apiKey };
    },
    async feature(projectId: number, name = 'beta'): Promise<number> {
      const r = await k()
        .insertInto('features')
        .values({ uuid: generateUuid(), project_id: projectId, name, type: 'STANDARD', initial_value: null, default_enabled: false, description: null, is_archived: false, is_server_key_only: false, created_at: now() })
        .returning('id')
        .executeTakeFirstOrThrow();
      return r.id;
    },
    async featureState(input: { featureId: number; environmentId: number; enabled?: boolean; value?: string | null; identityId?: number | null }): Promise<number> {
      const r = await k()
        .insertInto('feature_states')
        .values({
          uuid: generateUuid(), feature_id: input.featureId, environment_id: input.environmentId, identity_id: input.identityId ?? null, feature_segment_id: null,
          enabled: input.enabled ?? false, value_type: 'unicode', string_value: input.value ?? null, integer_value: null, boolean_value: null,
          version: 1, live_from: now(), environment_feature_version_uuid: null, created_at: now(), updated_at: now(),
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      return r.id;
    },
    async identity(environmentId: number, identifier: string): Promise<number> {
      const r = await k().insertInto('identities').values({ uuid: generateUuid(), identifier, environment_id: environmentId, created_at: now() }).returning('id').executeTakeFirstOrThrow();
      return r.id;
    },
    /** A user in the organisation with a session token; `Token …` for `auth`. */
    async user(email: string, role: 'ADMIN' | 'USER' = 'USER', organisationId = api.organisationId): Promise<{ id: number; auth: string }> {
      const u = await k()
        .insertInto('users')
        .values({ uuid: generateUuid(), email, first_name: email.split('@')[0] ?? '', last_name: '', password_hash: 'scrypt$0$0$0$x$x', is_active: true, created_at: now() })
        .returning('id')
        .executeTakeFirstOrThrow();
      await k().insertInto('organisation_users').values({ organisation_id: organisationId, user_id: u.id, role, created_at: now() }).execute();
      const token = generateToken();
      await k().insertInto('auth_tokens').values({ user_id: u.id, key_hash: hashToken(token), created_at: now() }).execute();
      return { id: u.id, auth: `Token ${token}` };
    },
    async grantProject(userId: number, projectId: number, permissions: string[], admin = false): Promise<void> {
      await k().insertInto('user_project_permissions').values({ project_id: projectId, user_id: userId, admin, permissions_json: JSON.stringify(permissions) }).execute();
    },
    async grantEnvironment(userId: number, environmentId: number, permissions: string[], admin = false): Promise<void> {
      await k().insertInto('user_environment_permissions').values({ environment_id: environmentId, user_id: userId, admin, permissions_json: JSON.stringify(permissions) }).execute();
    },
    /** Another organisation with its own admin, for tenant-isolation checks. */
    async otherOrganisation(): Promise<{ id: number; adminAuth: string }> {
      const o = await k()
        .insertInto('organisations')
        .values({ uuid: generateUuid(), name: 'Other', persist_trait_data: true, stop_serving_flags: false, plan_name: 'free', max_segment_overrides_per_environment: 100, feature_history_visibility_days: null, created_at: now() })
        .returning('id')
        .executeTakeFirstOrThrow();
      const admin = await this.user(`admin-${o.id}@other.example`, 'ADMIN', o.id);
      return { id: o.id, adminAuth: admin.auth };
    },
  };
}
