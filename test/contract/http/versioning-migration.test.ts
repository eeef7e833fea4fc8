import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { TestApi } from '../../support/api-harness.js';
import { DIALECTS } from '../../support/databases.js';
import { addMember, createEnvironment, createProject, otherOrganisation, type TestUser } from '../../support/tenancy.js';
import { createFeature } from '../../support/flag-fixtures.js';

describe.each(DIALECTS)('feature versioning migration routes on %s', (dialect) => {
  const api = new TestApi(dialect);
  let viewer: TestUser;
  let member: TestUser;
  let envAdmin: TestUser;
  let rival: { organisationId: number; admin: TestUser };
  let project: { id: number };
  let features: number[];
  const k = () => api.testDb.db.kysely;

  async function grant(env: { api_key: string }, user: TestUser, admin: boolean): Promise<void> {
    await api.op('createEnvironmentUserPermission', { params: { api_key: env.api_key }, body: { user: user.id, permissions: ['VIEW_ENVIRONMENT'], admin } });
  }

  async function freshEnvironment(name: string): Promise<{ id: number; api_key: string }> {
    const env = await createEnvironment(api, project.id, name);
    await grant(env, viewer, false);
    await grant(env, envAdmin, true);
    return env;
  }

  async function versionCount(environmentId: number): Promise<number> {
    const r = await k().selectFrom('environment_feature_versions').select((eb) => eb.fn.countAll<number | string>().as('n')).where('environment_id', '=', environmentId).executeTakeFirstOrThrow();
    return Number(r.n);
  }

  async function enableAndRun(env: { api_key: string }): Promise<void> {
    expect((await api.op('enableV2Versioning', { params: { api_key: env.api_key } })).status).toBe(202);
    await api.built.services.jobs.runOnce();
  }

  /** The migration's audit entries of an environment (creating it wrote one too). */
  async function environmentAuditLogs(environmentId: number): Promise<{ log: string }[]> {
    const rows = await k().selectFrom('audit_log').select(['log']).where('environment_id', '=', environmentId).where('related_object_type', '=', 'ENVIRONMENT').where('log', 'like', 'Feature versioning%').orderBy('id').execute();
    return rows;
  }

  beforeAll(async () => {
    await api.start();
    viewer = await addMember(api, 'viewer@example.com');
    member = await addMember(api, 'member@example.com');
    envAdmin = await addMember(api, 'env-admin@example.com');
    rival = await otherOrganisation(api);
    project = await createProject(api, 'Web');
    for (const u of [viewer, envAdmin]) await api.op('createProjectUserPermission', { params: { project_pk: project.id }, body: { user: u.id, permissions: ['VIEW_PROJECT'] } });
    features = [];
    for (const name of ['alpha', 'beta', 'gamma']) features.push((await createFeature(api, project.id, name)).id);
  }, 60_000);
  afterAll(() => api.stop());

  test('enableV2Versioning answers 202 with the enabling status; the job gives each feature one version and then flips the flag', async () => {
    const env = await freshEnvironment('Enable');
    const r = await api.op('enableV2Versioning', { params: { api_key: env.api_key } });
    expect(r.status).toBe(202);
    expect(r.body).toEqual({ environment: env.id, api_key: env.api_key, versioning_status: 'enabling', use_v2_feature_versioning: false, progress: { done: 0, total: 3 }, last_error: null });
    // Until the job runs, the environment stays on v1.
    expect((await api.op('getEnvironment', { params: { api_key: env.api_key } })).body.use_v2_feature_versioning).toBe(false);
    expect((await api.op('getVersioningStatus', { params: { api_key: env.api_key } })).body.versioning_status).toBe('enabling');

    await api.built.services.jobs.runOnce();

    const status = await api.op('getVersioningStatus', { params: { api_key: env.api_key } });
    expect(status.status).toBe(200);
    expect(status.body).toMatchObject({ versioning_status: 'v2', use_v2_feature_versioning: true, progress: { done: 3, total: 3 }, last_error: null });
    expect((await api.op('getEnvironment', { params: { api_key: env.api_key } })).body.use_v2_feature_versioning).toBe(true);
    for (const feature of features) {
      const versions = await api.op<{ results: { is_live: boolean; published: boolean }[] }>('listFeatureVersions', { params: { environment_pk: env.id, feature_pk: feature } });
      expect(versions.status).toBe(200);
      expect(versions.body.results).toHaveLength(1);
      expect(versions.body.results[0]).toMatchObject({ is_live: true, published: true });
    }
    expect((await environmentAuditLogs(env.id)).map((e) => e.log)).toEqual(['Feature versioning v2 enabling started for environment: Enable', 'Feature versioning v2 enabled for environment: Enable']);
  });

  test('enableV2Versioning on an environment already on v2 answers 400 and enqueues nothing', async () => {
    const env = await freshEnvironment('Already');
    await enableAndRun(env);
    const before = await versionCount(env.id);
    const r = await api.op('enableV2Versioning', { params: { api_key: env.api_key } });
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ code: 'PRECONDITION_FAILED', message: 'Environment already using v2 versioning.', details: { reason: 'VERSIONING_ALREADY_ENABLED' } });
    await api.built.services.jobs.runOnce();
    expect(await versionCount(env.id)).toBe(before);
    expect((await api.op('getVersioningStatus', { params: { api_key: env.api_key } })).body.versioning_status).toBe('v2');
  });

  test('enableV2Versioning while a migration is running answers 400 naming the running migration', async () => {
    const env = await freshEnvironment('Running');
    expect((await api.op('enableV2Versioning', { params: { api_key: env.api_key } })).status).toBe(202);
    const again = await api.op('enableV2Versioning', { params: { api_key: env.api_key } });
    expect(again.status).toBe(400);
    expect(again.body).toMatchObject({ code: 'PRECONDITION_FAILED', details: { reason: 'VERSIONING_MIGRATION_RUNNING' } });
    const disable = await api.op('disableV2Versioning', { params: { api_key: env.api_key }, body: { confirm_discard_history: true } });
    expect(disable.status).toBe(400);
    expect(disable.body).toMatchObject({ details: { reason: 'VERSIONING_MIGRATION_RUNNING' } });
    await api.built.services.jobs.runOnce();
    expect((await api.op('getVersioningStatus', { params: { api_key: env.api_key } })).body.versioning_status).toBe('v2');
  });

  test('disableV2Versioning without the confirmation answers 400 naming confirm_discard_history and changes nothing', async () => {
    const env = await freshEnvironment('Unconfirmed');
    await enableAndRun(env);
    for (const body of [{}, { confirm_discard_history: false }]) {
      const r = await api.op('disableV2Versioning', { params: { api_key: env.api_key }, body });
      expect(r.status).toBe(400);
      expect(r.body).toMatchObject({ code: 'VALIDATION_FAILED', details: { issues: [{ path: 'body/confirm_discard_history' }] } });
    }
    const noBody = await api.op('disableV2Versioning', { params: { api_key: env.api_key } });
    expect(noBody.status).toBe(400);
    await api.built.services.jobs.runOnce();
    expect((await api.op('getVersioningStatus', { params: { api_key: env.api_key } })).body).toMatchObject({ versioning_status: 'v2', use_v2_feature_versioning: true });
    expect(await versionCount(env.id)).toBe(3);
  });

  test('disableV2Versioning on a v1 environment answers 400', async () => {
    const env = await freshEnvironment('NotOn');
    const r = await api.op('disableV2Versioning', { params: { api_key: env.api_key }, body: { confirm_discard_history: true } });
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ code: 'PRECONDITION_FAILED', message: 'Environment is not using v2 versioning.', details: { reason: 'VERSIONING_NOT_ENABLED' } });
  });

  test('disableV2Versioning with the confirmation answers 202, then the job discards the versions and flips the flag back', async () => {
    const env = await freshEnvironment('Disable');
    await enableAndRun(env);
    const r = await api.op('disableV2Versioning', { params: { api_key: env.api_key }, body: { confirm_discard_history: true } });
    expect(r.status).toBe(202);
    expect(r.body).toMatchObject({ versioning_status: 'disabling', use_v2_feature_versioning: true, progress: { done: 0, total: 3 } });
    await api.built.services.jobs.runOnce();
    expect((await api.op('getVersioningStatus', { params: { api_key: env.api_key } })).body).toMatchObject({ versioning_status: 'v1', use_v2_feature_versioning: false, progress: { done: 3, total: 3 } });
    expect(await versionCount(env.id)).toBe(0);
    // The versions list answers as on any v1 environment (issue 10 §2.7): 200, empty.
    for (const feature of features) {
      const list = await api.op('listFeatureVersions', { params: { environment_pk: env.id, feature_pk: feature } });
      expect(list.status).toBe(200);
      expect(list.body).toMatchObject({ count: 0, results: [] });
    }
    // Each feature keeps exactly its environment default, as a v1 state.
    const states = await k().selectFrom('feature_states').select(['feature_id', 'environment_feature_version_uuid', 'version']).where('environment_id', '=', env.id).execute();
    expect(states.map((s) => s.feature_id).sort((a, b) => a - b)).toEqual(features);
    expect(states.every((s) => s.environment_feature_version_uuid === null && Number(s.version) === 1)).toBe(true);
    expect((await environmentAuditLogs(env.id)).map((e) => e.log)).toEqual([
      'Feature versioning v2 enabling started for environment: Disable',
      'Feature versioning v2 enabled for environment: Disable',
      'Feature versioning v2 disabling started for environment: Disable (version history will be discarded)',
      'Feature versioning v2 disabled for environment: Disable; version history discarded',
    ]);
  });

  test('an environment admin may enable and disable; a viewer gets 403 and may read the status', async () => {
    const env = await freshEnvironment('Roles');
    expect((await api.op('enableV2Versioning', { params: { api_key: env.api_key }, auth: viewer.auth })).status).toBe(403);
    expect((await api.op('disableV2Versioning', { params: { api_key: env.api_key }, body: { confirm_discard_history: true }, auth: viewer.auth })).status).toBe(403);
    expect((await api.op('getVersioningStatus', { params: { api_key: env.api_key }, auth: viewer.auth })).status).toBe(200);
    expect((await api.op('enableV2Versioning', { params: { api_key: env.api_key }, auth: envAdmin.auth })).status).toBe(202);
    await api.built.services.jobs.runOnce();
    expect((await api.op('disableV2Versioning', { params: { api_key: env.api_key }, body: { confirm_discard_history: true }, auth: envAdmin.auth })).status).toBe(202);
    // The viewer's attempts wrote nothing: the only request entries are the admin's.
    const logs = await k().selectFrom('audit_log').select(['log', 'author_user_id']).where('environment_id', '=', env.id).where('related_object_type', '=', 'ENVIRONMENT').where('log', 'like', 'Feature versioning%').where('is_system_event', '=', false).execute();
    expect(logs.map((l) => l.author_user_id)).toEqual([envAdmin.id, envAdmin.id]);
  });

  test('another organisation, a member without grants and an anonymous caller cannot see the migration routes', async () => {
    const env = await freshEnvironment('Isolated');
    for (const op of ['enableV2Versioning', 'getVersioningStatus'] as const) {
      expect((await api.op(op, { params: { api_key: env.api_key }, auth: rival.admin.auth })).status).toBe(404);
      expect((await api.op(op, { params: { api_key: env.api_key }, auth: member.auth })).status).toBe(404);
      expect((await api.op(op, { params: { api_key: env.api_key }, auth: '' })).status).toBe(401);
    }
    expect((await api.op('disableV2Versioning', { params: { api_key: env.api_key }, body: { confirm_discard_history: true }, auth: rival.admin.auth })).status).toBe(404);
    expect((await api.op('disableV2Versioning', { params: { api_key: env.api_key }, body: { confirm_discard_history: true }, auth: '' })).status).toBe(401);
    expect((await api.op('getVersioningStatus', { params: { api_key: 'no-such-key' } })).status).toBe(404);
    expect((await api.op('getVersioningStatus', { params: { api_key: env.api_key } })).body.versioning_status).toBe('v1');
  });
});
