import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { TestApi } from '../../support/api-harness.js';
import { DIALECTS } from '../../support/databases.js';
import { addMember, createEnvironment, otherOrganisation, type TestUser } from '../../support/tenancy.js';
import { createFeature, webhookEventsOf } from '../../support/flag-fixtures.js';
import { createSdkEnvironment, createSegment, sdkOp, type SdkEnvironment } from '../../support/sdk-fixtures.js';

type Flag = { feature: { name: string }; enabled: boolean; feature_state_value: unknown };

describe.each(DIALECTS)('experimental update-flag routes on %s', (dialect) => {
  const api = new TestApi(dialect);
  let v1: SdkEnvironment;
  let v2: { id: number; api_key: string };
  let viewer: TestUser;
  let rival: { organisationId: number; admin: TestUser };
  let segments: { beta: number; staff: number; gold: number };
  const k = () => api.testDb.db.kysely;

  /**
   * Versions published by callers (a feature created after the environment moved to v2 also gets an
   * initial version, published by nobody, at its first versioned write).
   */
  async function versionCount(environmentId: number, featureId?: number): Promise<number> {
    let q = k()
      .selectFrom('environment_feature_versions')
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .where('environment_id', '=', environmentId)
      .where((eb) => eb.or([eb('published_by_user_id', 'is not', null), eb('published_by_api_key_id', 'is not', null)]));
    if (featureId !== undefined) q = q.where('feature_id', '=', featureId);
    return Number((await q.executeTakeFirstOrThrow()).n);
  }

  async function defaultStateRows(environmentId: number, featureId: number) {
    return k().selectFrom('feature_states').select(['id', 'enabled', 'value_type', 'string_value', 'integer_value', 'boolean_value']).where('environment_id', '=', environmentId).where('feature_id', '=', featureId).where('identity_id', 'is', null).where('feature_segment_id', 'is', null).execute();
  }

  /** The live state of a feature per segment (null: the environment default), read from the live version on v2. */
  async function liveStates(env: { id: number }, featureId: number): Promise<Map<number | null, { enabled: boolean; feature_state_value: Record<string, unknown>; priority: number | null }>> {
    const versions = await api.op<{ results: { uuid: string; live_from: string; status: string }[] }>('listFeatureVersions', { params: { environment_pk: env.id, feature_pk: featureId } });
    const live = versions.body.results.filter((v) => v.status === 'published').sort((a, b) => b.live_from.localeCompare(a.live_from))[0]!;
    const states = await api.op<{ feature_segment: { segment: number; priority: number } | null; enabled: boolean; feature_state_value: Record<string, unknown> }[]>('listFeatureVersionFeatureStates', {
      params: { environment_pk: env.id, feature_pk: featureId, uuid: live.uuid },
    });
    return new Map(states.body.map((s) => [s.feature_segment?.segment ?? null, { enabled: s.enabled, feature_state_value: s.feature_state_value, priority: s.feature_segment?.priority ?? null }]));
  }

  async function v1Overrides(featureId: number): Promise<{ segment: number; priority: number; enabled: boolean; value: unknown }[]> {
    const rows = await k()
      .selectFrom('feature_segments as fseg')
      .innerJoin('feature_states as fs', 'fs.feature_segment_id', 'fseg.id')
      .select(['fseg.segment_id', 'fseg.priority', 'fs.enabled', 'fs.string_value', 'fs.integer_value'])
      .where('fseg.environment_id', '=', v1.environmentId)
      .where('fseg.feature_id', '=', featureId)
      .orderBy('fseg.priority')
      .execute();
    return rows.map((r) => ({ segment: r.segment_id, priority: r.priority, enabled: Boolean(r.enabled), value: r.string_value ?? (r.integer_value === null ? null : Number(r.integer_value)) }));
  }

  beforeAll(async () => {
    await api.start();
    v1 = await createSdkEnvironment(api, 'Shop');
    v2 = await createEnvironment(api, v1.projectId, 'Versioned');
    expect((await api.op('enableV2Versioning', { params: { api_key: v2.api_key } })).status).toBe(202);
    await api.built.services.jobs.runOnce();
    segments = {
      beta: (await createSegment(api, v1.projectId, 'beta', [{ operator: 'EQUAL', property: 'plan', value: 'beta' }])).id,
      staff: (await createSegment(api, v1.projectId, 'staff', [{ operator: 'EQUAL', property: 'staff', value: 'true' }])).id,
      gold: (await createSegment(api, v1.projectId, 'gold', [{ operator: 'EQUAL', property: 'plan', value: 'gold' }])).id,
    };
    viewer = await addMember(api, 'viewer@example.com');
    await api.op('createProjectUserPermission', { params: { project_pk: v1.projectId }, body: { user: viewer.id, permissions: ['VIEW_PROJECT'] } });
    for (const key of [v1.clientKey, v2.api_key]) await api.op('createEnvironmentUserPermission', { params: { api_key: key }, body: { user: viewer.id, permissions: ['VIEW_ENVIRONMENT'] } });
    rival = await otherOrganisation(api);
    // Webhook events are recorded only when someone listens.
    for (const key of [v1.clientKey, v2.api_key]) await api.op('createEnvironmentWebhook', { params: { api_key: key }, body: { url: 'http://127.0.0.1:9/hook' } });
  }, 60_000);
  afterAll(() => api.stop());

  describe('on a v1 environment', () => {
    test('updateFlagV1 changes the environment default in place, typed as given, and creates no version', async () => {
      const f = await createFeature(api, v1.projectId, 'rate_limit', { initial_value: '10' });
      const [before] = await defaultStateRows(v1.environmentId, f.id);
      const r = await api.op('updateFlagV1', { params: { environment_key: v1.clientKey }, body: { feature: { name: 'rate_limit' }, enabled: true, value: { type: 'integer', value: '1000' } } });
      expect(r.status).toBe(204);
      expect(r.body).toBe('');
      const after = await defaultStateRows(v1.environmentId, f.id);
      expect(after).toHaveLength(1);
      expect(after[0]).toMatchObject({ id: before!.id, value_type: 'int', integer_value: 1000 });
      expect(Boolean(after[0]!.enabled)).toBe(true);
      expect(await versionCount(v1.environmentId)).toBe(0);
      expect((await webhookEventsOf(api, v1.environmentId, 'FLAG_UPDATED')).at(-1)).toMatchObject({ new_state: { enabled: true, feature_state_value: 1000 } });
      const flags = await sdkOp<Flag[]>(api, 'getSdkFlags', v1.clientKey);
      expect(flags.body.find((x) => x.feature.name === 'rate_limit')).toMatchObject({ enabled: true, feature_state_value: 1000 });
    });

    test('updateFlagV1 with a segment creates the override, then changes it in place and moves it', async () => {
      const f = await createFeature(api, v1.projectId, 'pricing');
      const call = (body: Record<string, unknown>) => api.op('updateFlagV1', { params: { environment_key: v1.clientKey }, body: { feature: { id: f.id }, ...body } });
      expect((await call({ segment: { id: segments.beta }, enabled: true, value: { type: 'string', value: 'beta price' } })).status).toBe(204);
      expect((await call({ segment: { id: segments.staff }, enabled: true, value: { type: 'string', value: 'staff price' } })).status).toBe(204);
      expect(await v1Overrides(f.id)).toEqual([
        { segment: segments.beta, priority: 0, enabled: true, value: 'beta price' },
        { segment: segments.staff, priority: 1, enabled: true, value: 'staff price' },
      ]);
      expect((await call({ segment: { id: segments.staff, priority: 0 }, value: { type: 'string', value: 'staff first' } })).status).toBe(204);
      expect(await v1Overrides(f.id)).toEqual([
        { segment: segments.staff, priority: 0, enabled: true, value: 'staff first' },
        { segment: segments.beta, priority: 1, enabled: true, value: 'beta price' },
      ]);
      expect(await versionCount(v1.environmentId)).toBe(0);
    });

    test('updateFlagV2 sets the environment default and several overrides', async () => {
      const f = await createFeature(api, v1.projectId, 'tier');
      const r = await api.op('updateFlagV2', {
        params: { environment_key: v1.clientKey },
        body: {
          feature: { name: 'tier' },
          environment_default: { enabled: true, value: { type: 'string', value: 'standard' } },
          segment_overrides: [
            { segment_id: segments.gold, priority: 0, enabled: true, value: { type: 'string', value: 'gold' } },
            { segment_id: segments.beta, priority: 1, enabled: false, value: { type: 'string', value: 'beta' } },
          ],
        },
      });
      expect(r.status).toBe(204);
      expect((await defaultStateRows(v1.environmentId, f.id))[0]).toMatchObject({ string_value: 'standard' });
      expect(await v1Overrides(f.id)).toEqual([
        { segment: segments.gold, priority: 0, enabled: true, value: 'gold' },
        { segment: segments.beta, priority: 1, enabled: false, value: 'beta' },
      ]);
      expect(await versionCount(v1.environmentId)).toBe(0);
    });

    test('deleteSegmentOverride removes the override; a second call answers 400 naming the segment', async () => {
      const f = await createFeature(api, v1.projectId, 'doomed_override');
      await api.op('updateFlagV1', { params: { environment_key: v1.clientKey }, body: { feature: { id: f.id }, segment: { id: segments.beta }, enabled: true } });
      const r = await api.op('deleteSegmentOverride', { params: { environment_key: v1.clientKey }, body: { feature: { name: 'doomed_override' }, segment: { id: segments.beta } } });
      expect(r.status).toBe(204);
      expect(await v1Overrides(f.id)).toEqual([]);
      const again = await api.op('deleteSegmentOverride', { params: { environment_key: v1.clientKey }, body: { feature: { id: f.id }, segment: { id: segments.beta } } });
      expect(again.status).toBe(400);
      expect(again.body).toMatchObject({ code: 'VALIDATION_FAILED', details: { issues: [{ path: 'body/segment/id' }] } });
    });
  });

  describe('on a v2 environment', () => {
    test('updateFlagV1 publishes exactly one version per call, with its audit entry and webhooks', async () => {
      const f = await createFeature(api, v1.projectId, 'banner', { initial_value: 'hello' });
      const before = await versionCount(v2.id, f.id);
      const events = (await webhookEventsOf(api, v2.id, 'NEW_VERSION_PUBLISHED')).length;
      const call = (body: Record<string, unknown>) => api.op('updateFlagV1', { params: { environment_key: v2.api_key }, body: { feature: { id: f.id }, ...body } });

      expect((await call({ enabled: true, value: { type: 'string', value: 'welcome' } })).status).toBe(204);
      expect(await versionCount(v2.id, f.id)).toBe(before + 1);
      expect((await call({ segment: { id: segments.beta }, enabled: true, value: { type: 'boolean', value: 'TRUE' } })).status).toBe(204);
      expect(await versionCount(v2.id, f.id)).toBe(before + 2);

      const live = await liveStates(v2, f.id);
      expect(live.get(null)).toMatchObject({ enabled: true, feature_state_value: { type: 'unicode', string_value: 'welcome' } });
      expect(live.get(segments.beta)).toMatchObject({ enabled: true, feature_state_value: { type: 'bool', boolean_value: true } });
      const published = await webhookEventsOf(api, v2.id, 'NEW_VERSION_PUBLISHED');
      expect(published).toHaveLength(events + 2);
      const audit = await k().selectFrom('audit_log').select('log').where('environment_id', '=', v2.id).where('related_object_type', '=', 'EF_VERSION').where('log', '=', 'New version published for feature: banner').execute();
      expect(audit).toHaveLength(2);
      // Nothing changed a feature state in place: the v1-shaped audit entry is absent.
      const inPlace = await k().selectFrom('audit_log').select('log').where('environment_id', '=', v2.id).where('related_object_type', '=', 'FEATURE_STATE').execute();
      expect(inPlace).toEqual([]);
      const flags = await sdkOp<Flag[]>(api, 'getSdkFlags', v2.api_key);
      expect(flags.body.find((x) => x.feature.name === 'banner')).toMatchObject({ enabled: true, feature_state_value: 'welcome' });
    });

    test('updateFlagV2 publishes the default and every override as one version', async () => {
      const f = await createFeature(api, v1.projectId, 'plan_limits', { initial_value: '1' });
      const before = await versionCount(v2.id, f.id);
      const r = await api.op('updateFlagV2', {
        params: { environment_key: v2.api_key },
        body: {
          feature: { name: 'plan_limits' },
          environment_default: { enabled: true, value: { type: 'integer', value: '5' } },
          segment_overrides: [
            { segment_id: segments.gold, enabled: true, value: { type: 'integer', value: '500' } },
            { segment_id: segments.staff, priority: 0, enabled: true, value: { type: 'integer', value: '9999' } },
          ],
        },
      });
      expect(r.status).toBe(204);
      expect(await versionCount(v2.id, f.id)).toBe(before + 1);
      const live = await liveStates(v2, f.id);
      expect(live.get(null)).toMatchObject({ feature_state_value: { type: 'int', integer_value: 5 } });
      expect(live.get(segments.gold)).toMatchObject({ feature_state_value: { integer_value: 500 } });
      expect(live.get(segments.staff)).toMatchObject({ priority: 0, feature_state_value: { integer_value: 9999 } });
    });

    test('deleteSegmentOverride publishes one version without the override; a missing override answers 400 and publishes nothing', async () => {
      const f = await createFeature(api, v1.projectId, 'v2_doomed');
      await api.op('updateFlagV1', { params: { environment_key: v2.api_key }, body: { feature: { id: f.id }, segment: { id: segments.gold }, enabled: true } });
      const before = await versionCount(v2.id, f.id);
      expect((await api.op('deleteSegmentOverride', { params: { environment_key: v2.api_key }, body: { feature: { id: f.id }, segment: { id: segments.gold } } })).status).toBe(204);
      expect(await versionCount(v2.id, f.id)).toBe(before + 1);
      expect((await liveStates(v2, f.id)).has(segments.gold)).toBe(false);
      const again = await api.op('deleteSegmentOverride', { params: { environment_key: v2.api_key }, body: { feature: { id: f.id }, segment: { id: segments.gold } } });
      expect(again.status).toBe(400);
      expect(again.body).toMatchObject({ details: { issues: [{ path: 'body/segment/id' }] } });
      expect(await versionCount(v2.id, f.id)).toBe(before + 1);
    });
  });

  test.each(['v1', 'v2'] as const)('updateFlagV1 re-weights existing multivariate options on a %s environment', async (mode) => {
    const f = await createFeature(api, v1.projectId, `experiment_${mode}`, {
      initial_value: 'control',
      multivariate_options: [
        { type: 'unicode', string_value: 'a', default_percentage_allocation: 10 },
        { type: 'unicode', string_value: 'b', default_percentage_allocation: 10 },
      ],
    });
    const [a, b] = f.multivariate_options.map((o) => o.id);
    const key = mode === 'v1' ? v1.clientKey : v2.api_key;
    const shares = [
      { multivariate_feature_option: a!, percentage_allocation: 70 },
      { multivariate_feature_option: b!, percentage_allocation: 30 },
    ];
    expect((await api.op('updateFlagV1', { params: { environment_key: key }, body: { feature: { id: f.id }, multivariate_feature_state_values: shares } })).status).toBe(204);
    const environmentId = mode === 'v1' ? v1.environmentId : v2.id;
    const served = await k()
      .selectFrom('multivariate_feature_state_values as mv')
      .innerJoin('feature_states as fs', 'fs.id', 'mv.feature_state_id')
      .select(['mv.multivariate_option_id', 'mv.percentage_allocation', 'fs.environment_feature_version_uuid'])
      .where('fs.environment_id', '=', environmentId)
      .where('fs.feature_id', '=', f.id)
      .where('fs.feature_segment_id', 'is', null)
      .orderBy('mv.id')
      .execute();
    const wanted = mode === 'v1' ? served : served.filter((r) => r.environment_feature_version_uuid !== null).slice(-2);
    expect(wanted.map((r) => [r.multivariate_option_id, Number(r.percentage_allocation)])).toEqual([
      [a, 70],
      [b, 30],
    ]);
    const tooMuch = await api.op('updateFlagV1', { params: { environment_key: key }, body: { feature: { id: f.id }, multivariate_feature_state_values: [{ multivariate_feature_option: a!, percentage_allocation: 80 }, { multivariate_feature_option: b!, percentage_allocation: 30 }] } });
    expect(tooMuch.status).toBe(400);
  });

  describe('validation and access', () => {
    test('bad input answers 400 naming the field and publishes nothing', async () => {
      const f = await createFeature(api, v1.projectId, 'validated');
      const before = await versionCount(v2.id);
      const cases: [string, 'updateFlagV1' | 'updateFlagV2' | 'deleteSegmentOverride', Record<string, unknown>][] = [
        ['body/feature', 'updateFlagV1', { feature: { name: 'validated', id: f.id }, enabled: true }],
        ['body/feature', 'updateFlagV1', { feature: {}, enabled: true }],
        ['body/feature/name', 'updateFlagV1', { feature: { name: 'no_such_flag' }, enabled: true }],
        ['body/feature/id', 'updateFlagV2', { feature: { id: 2147483000 }, environment_default: { enabled: true } }],
        ['body/value/value', 'updateFlagV1', { feature: { id: f.id }, value: { type: 'integer', value: '12abc' } }],
        ['body/value/value', 'updateFlagV1', { feature: { id: f.id }, value: { type: 'boolean', value: 'yes' } }],
        ['body/segment/id', 'updateFlagV1', { feature: { id: f.id }, segment: { id: 2147483000 }, enabled: true }],
        ['body/segment_overrides/1/segment_id', 'updateFlagV2', { feature: { id: f.id }, environment_default: {}, segment_overrides: [{ segment_id: segments.beta }, { segment_id: segments.beta }] }],
        ['body/segment/id', 'deleteSegmentOverride', { feature: { id: f.id }, segment: { id: segments.beta } }],
      ];
      for (const [path, op, body] of cases) {
        const r = await api.op(op, { params: { environment_key: v2.api_key }, body });
        expect(r.status, `${op} ${JSON.stringify(body)}`).toBe(400);
        expect(r.body, `${op} ${JSON.stringify(body)}`).toMatchObject({ code: 'VALIDATION_FAILED', details: { issues: [{ path }] } });
      }
      const missingFeature = await api.op('updateFlagV1', { params: { environment_key: v2.api_key }, body: { enabled: true } });
      expect(missingFeature.status).toBe(400);
      expect(await versionCount(v2.id)).toBe(before);
    });

    test('a viewer gets 403, another organisation and unknown keys 404, anonymous callers 401', async () => {
      const f = await createFeature(api, v1.projectId, 'guarded');
      const bodies = {
        updateFlagV1: { feature: { id: f.id }, enabled: true },
        updateFlagV2: { feature: { id: f.id }, environment_default: { enabled: true } },
        deleteSegmentOverride: { feature: { id: f.id }, segment: { id: segments.beta } },
      } as const;
      for (const [op, body] of Object.entries(bodies) as [keyof typeof bodies, unknown][]) {
        for (const key of [v1.clientKey, v2.api_key]) {
          expect((await api.op(op, { params: { environment_key: key }, body, auth: viewer.auth })).status, op).toBe(403);
          expect((await api.op(op, { params: { environment_key: key }, body, auth: rival.admin.auth })).status, op).toBe(404);
          expect((await api.op(op, { params: { environment_key: key }, body, auth: '' })).status, op).toBe(401);
        }
        expect((await api.op(op, { params: { environment_key: 'no-such-key' }, body })).status, op).toBe(404);
      }
      const [state] = await defaultStateRows(v1.environmentId, f.id);
      expect(Boolean(state!.enabled)).toBe(false);
    });

    test('an environment whose versioning migration is running answers 400 and changes nothing', async () => {
      const env = await createEnvironment(api, v1.projectId, 'Migrating');
      const f = await createFeature(api, v1.projectId, 'mid_migration');
      expect((await api.op('enableV2Versioning', { params: { api_key: env.api_key } })).status).toBe(202);
      const r = await api.op('updateFlagV1', { params: { environment_key: env.api_key }, body: { feature: { id: f.id }, enabled: true } });
      expect(r.status).toBe(400);
      expect(r.body).toMatchObject({ code: 'PRECONDITION_FAILED', details: { reason: 'VERSIONING_MIGRATION_RUNNING' } });
      await api.built.services.jobs.runOnce();
      expect((await api.op('updateFlagV1', { params: { environment_key: env.api_key }, body: { feature: { id: f.id }, enabled: true } })).status).toBe(204);
    });

    test('an environment with change requests refuses the endpoints with 403', async () => {
      const env = await createEnvironment(api, v1.projectId, 'Guarded');
      expect((await api.op('partialUpdateEnvironment', { params: { api_key: env.api_key }, body: { minimum_change_request_approvals: 1 } })).status).toBe(200);
      const f = await createFeature(api, v1.projectId, 'reviewed');
      const r = await api.op('updateFlagV1', { params: { environment_key: env.api_key }, body: { feature: { id: f.id }, enabled: true } });
      expect(r.status).toBe(403);
      expect(r.body).toMatchObject({ message: 'This endpoint cannot be used when change requests are enabled. Use the change request workflow instead.' });
    });
  });
});
