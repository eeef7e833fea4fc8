import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { TestApi } from '../../support/api-harness.js';
import { DIALECTS } from '../../support/databases.js';
import { addMember, createEnvironment, createProject, otherOrganisation, type TestUser } from '../../support/tenancy.js';
import { enableV2, insertEnvironmentDefault, insertFeature, insertSegment, stringValue } from '../../support/versions-fixtures.js';
import { webhookEventsOf } from '../../support/flag-fixtures.js';

// Many requests per test on a shared, busy machine: generous limits (no timing is asserted).
vi.setConfig({ testTimeout: 60_000, hookTimeout: 120_000 });

let counter = 0;
const unique = (prefix: string) => `${prefix}-${++counter}-${Math.random().toString(36).slice(2, 8)}`;

describe.each(DIALECTS)('release pipeline routes on %s', (dialect) => {
  const api = new TestApi(dialect);
  const k = () => api.testDb.db.kysely;

  /** A project with two v2 environments (dev, prod), a v1 environment, one feature and one segment; webhooks on all. */
  interface World {
    project: number;
    dev: { id: number; api_key: string };
    prod: { id: number; api_key: string };
    legacy: { id: number; api_key: string };
    feature: number;
    segment: number;
  }

  async function world(): Promise<World> {
    const project = (await createProject(api, unique('project'))).id;
    const dev = await createEnvironment(api, project, unique('dev'));
    const prod = await createEnvironment(api, project, unique('prod'));
    const legacy = await createEnvironment(api, project, unique('legacy'));
    const feature = (await insertFeature(api, project, { name: unique('flag'), initialValue: 'base' })).id;
    for (const env of [dev, prod, legacy]) {
      await insertEnvironmentDefault(api, env.id, feature, false, 'base');
      // Events are stored only where a webhook listens.
      const hook = await api.op('createEnvironmentWebhook', { params: { api_key: env.api_key }, body: { url: 'http://127.0.0.1:9/hook' } });
      expect(hook.status).toBe(201);
    }
    const segment = await insertSegment(api, project, unique('beta'));
    await enableV2(api, dev.id);
    await enableV2(api, prod.id);
    return { project, dev, prod, legacy, feature, segment };
  }

  async function pipeline(w: World, stages: Record<string, unknown>[], auth?: string) {
    const r = await api.op('createReleasePipeline', { params: { project_pk: w.project }, body: { name: unique('pipeline'), stages }, ...(auth ? { auth } : {}) });
    if (r.status !== 201) throw new Error(`createReleasePipeline failed: ${JSON.stringify(r.body)}`);
    return r.body as { id: number; name: string; stages: { id: number; order: number; environment: number }[] };
  }

  async function publish(w: World, envId: number, body: Record<string, unknown>) {
    const r = await api.op('createFeatureVersion', { params: { environment_pk: envId, feature_pk: w.feature }, body: { ...body, publish_immediately: true } });
    if (r.status !== 201) throw new Error(`createFeatureVersion failed: ${JSON.stringify(r.body)}`);
    return r.body.uuid as string;
  }

  async function liveUuid(w: World, envId: number) {
    return (await api.built.services.versions.liveVersionUuids(envId)).get(w.feature) as string;
  }

  /** The live states of the feature in an environment: the environment default first, then overrides. */
  async function liveStates(w: World, envId: number) {
    const r = await api.op('listFeatureVersionFeatureStates', { params: { environment_pk: envId, feature_pk: w.feature, uuid: await liveUuid(w, envId) } });
    return r.body as { enabled: boolean; feature_state_value: { string_value: string | null }; feature_segment: { segment: number } | null }[];
  }

  async function pipelineAudit(pipelineId: number) {
    const rows = await k().selectFrom('audit_log').select('log').where('related_object_type', '=', 'RELEASE_PIPELINE').where('related_object_id', '=', pipelineId).orderBy('id').execute();
    return rows.map((r) => r.log);
  }

  const onEnter = (environment: number, actions: Record<string, unknown>[] = []) => ({ name: unique('stage'), environment, trigger: { trigger_type: 'ON_ENTER', trigger_body: null }, actions });

  let w: World;
  let viewer: TestUser;
  let member: TestUser;
  let rival: { organisationId: number; admin: TestUser };

  beforeAll(async () => {
    await api.start();
    w = await world();
    viewer = await addMember(api, 'rp-viewer@example.com');
    member = await addMember(api, 'rp-member@example.com');
    rival = await otherOrganisation(api, 'rp-rival@example.com');
    await api.op('createProjectUserPermission', { params: { project_pk: w.project }, body: { user: viewer.id, permissions: ['VIEW_PROJECT'] } });
    for (const env of [w.dev, w.prod]) await api.op('createEnvironmentUserPermission', { params: { api_key: env.api_key }, body: { user: viewer.id, permissions: ['VIEW_ENVIRONMENT'] } });
  });
  afterAll(() => api.stop());

  test('pipelines and stages are created, listed, read, replaced and deleted, each step audited', async () => {
    const created = await api.op('createReleasePipeline', {
      params: { project_pk: w.project },
      body: {
        name: 'Rollout',
        description: 'dev then prod',
        stages: [onEnter(w.dev.id, [{ action_type: 'TOGGLE_FEATURE', action_body: { enabled: true } }]), { name: 'Prod', environment: w.prod.id, trigger: { trigger_type: 'WAIT_FOR', trigger_body: { wait_for: '01:30:00' } } }],
      },
    });
    expect(created.status).toBe(201);
    const p = created.body;
    expect(p).toMatchObject({ name: 'Rollout', description: 'dev then prod', project: w.project, stages_count: 2, features: [] });
    expect(p.stages.map((s: any) => [s.order, s.environment, s.trigger])).toEqual([
      [0, w.dev.id, { trigger_type: 'ON_ENTER', trigger_body: null }],
      [1, w.prod.id, { trigger_type: 'WAIT_FOR', trigger_body: { wait_for: '01:30:00', wait_seconds: 5400 } }],
    ]);
    expect(p.stages[0].actions).toEqual([{ action_type: 'TOGGLE_FEATURE', action_body: { enabled: true } }]);

    const list = await api.op('listReleasePipelines', { params: { project_pk: w.project } });
    expect(list.status).toBe(200);
    expect(list.body.results.map((x: any) => x.id)).toContain(p.id);
    expect((await api.op('getReleasePipeline', { params: { project_pk: w.project, id: p.id } })).body).toEqual(p);

    expect(p).toMatchObject({ published_at: null, published_by: null });
    const renamed = await api.op('updateReleasePipeline', { params: { project_pk: w.project, id: p.id }, body: { name: 'Rollout 2' } });
    expect(renamed.status).toBe(200);
    expect(renamed.body).toMatchObject({ name: 'Rollout 2', description: null, stages_count: 2 });
    const published = await api.op('publishReleasePipeline', { params: { project_pk: w.project, id: p.id } });
    expect(published.status).toBe(200);
    expect(published.body).toMatchObject({ published_at: api.clock.now().toISOString(), published_by: expect.any(Number) });
    const twice = await api.op('publishReleasePipeline', { params: { project_pk: w.project, id: p.id } });
    expect(twice.status).toBe(400);
    expect(twice.body.code).toBe('PRECONDITION_FAILED');
    expect((await api.op('publishReleasePipeline', { params: { project_pk: w.project, id: p.id }, auth: viewer.auth })).status).toBe(403);

    const stage = await api.op('createReleasePipelineStage', {
      params: { project_pk: w.project, pipeline_pk: p.id },
      body: { name: 'Canary', environment: w.prod.id, trigger: { trigger_type: 'WAIT_FOR', trigger_body: { wait_seconds: 600 } }, actions: [{ action_type: 'TOGGLE_FEATURE_FOR_SEGMENT', action_body: { enabled: true, segment_id: w.segment } }] },
    });
    expect(stage.status).toBe(201);
    expect(stage.body).toMatchObject({ pipeline: p.id, order: 2, trigger: { trigger_body: { wait_for: '00:10:00', wait_seconds: 600 } } });
    const stageParams = { project_pk: w.project, pipeline_pk: p.id, id: stage.body.id };
    expect((await api.op('getReleasePipelineStage', { params: stageParams })).body).toEqual(stage.body);
    const replaced = await api.op('updateReleasePipelineStage', { params: stageParams, body: { name: 'Canary 2', environment: w.dev.id } });
    expect(replaced.status).toBe(200);
    expect(replaced.body).toMatchObject({ name: 'Canary 2', environment: w.dev.id, order: 2, trigger: { trigger_type: 'ON_ENTER', trigger_body: null }, actions: [] });
    const stages = await api.op('listReleasePipelineStages', { params: { project_pk: w.project, pipeline_pk: p.id } });
    expect(stages.body.map((s: any) => s.order)).toEqual([0, 1, 2]);
    expect((await api.op('deleteReleasePipelineStage', { params: stageParams })).status).toBe(204);
    expect((await api.op('getReleasePipelineStage', { params: stageParams })).status).toBe(404);

    expect((await api.op('deleteReleasePipeline', { params: { project_pk: w.project, id: p.id } })).status).toBe(204);
    expect((await api.op('getReleasePipeline', { params: { project_pk: w.project, id: p.id } })).status).toBe(404);
    expect(await pipelineAudit(p.id)).toEqual([
      'Release pipeline created: Rollout',
      'Release pipeline updated: Rollout 2',
      'Release pipeline published: Rollout 2',
      "Stage 'Canary' added to release pipeline: Rollout 2",
      "Stage 'Canary 2' of release pipeline updated: Rollout 2",
      "Stage 'Canary 2' removed from release pipeline: Rollout 2",
      'Release pipeline deleted: Rollout 2',
    ]);
  });

  test('bad stages answer 400 naming the field and write nothing', async () => {
    const other = await createProject(api, unique('other'));
    const otherEnv = await createEnvironment(api, other.id, unique('env'));
    const otherSegment = await insertSegment(api, other.id, unique('seg'));
    const featureSegment = await k()
      .insertInto('segments')
      .values({ uuid: unique('fseg'), project_id: w.project, feature_id: w.feature, name: unique('fseg'), description: null, rules_json: '[]', created_at: api.clock.now().toISOString(), updated_at: api.clock.now().toISOString() })
      .returning('id')
      .executeTakeFirstOrThrow();
    const cases: [Record<string, unknown>, string][] = [
      [{ name: 'x', environment: w.legacy.id }, 'body/stages/0/environment'],
      [{ name: 'x', environment: otherEnv.id }, 'body/stages/0/environment'],
      [{ name: 'x', environment: w.dev.id, trigger: { trigger_type: 'WAIT_FOR', trigger_body: null } }, 'body/stages/0/trigger/trigger_body/wait_for'],
      [{ name: 'x', environment: w.dev.id, trigger: { trigger_type: 'WAIT_FOR', trigger_body: { wait_for: 'soon' } } }, 'body/stages/0/trigger/trigger_body/wait_for'],
      [{ name: 'x', environment: w.dev.id, actions: [{ action_type: 'TOGGLE_FEATURE', action_body: {} }] }, 'body/stages/0/actions/0/action_body/enabled'],
      [{ name: 'x', environment: w.dev.id, actions: [{ action_type: 'TOGGLE_FEATURE_FOR_SEGMENT', action_body: { enabled: true, segment_id: otherSegment } }] }, 'body/stages/0/actions/0/action_body/segment_id'],
      [{ name: 'x', environment: w.dev.id, actions: [{ action_type: 'PUBLISH_VERSION', action_body: { version_uuid: 'no-such-version' } }] }, 'body/stages/0/actions/0/action_body/version_uuid'],
      [{ name: 'x', environment: w.dev.id, actions: [{ action_type: 'TOGGLE_FEATURE_FOR_SEGMENT', action_body: { enabled: true, segment_id: featureSegment.id } }] }, 'body/stages/0/actions/0/action_body/segment_id'],
      [{ name: 'x', environment: w.dev.id, actions: [{ action_type: 'TOGGLE_FEATURE_FOR_SEGMENT', action_body: { enabled: true } }] }, 'body/stages/0/actions/0/action_body/segment_id'],
      [{ name: '', environment: w.dev.id }, 'body/stages/0/name'],
    ];
    const before = await k().selectFrom('release_pipelines').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    for (const [stage, path] of cases) {
      const r = await api.op('createReleasePipeline', { params: { project_pk: w.project }, body: { name: unique('bad'), stages: [stage] } });
      expect(r.status, path).toBe(400);
      expect(r.body.code).toBe('VALIDATION_FAILED');
      expect(r.body.details.issues[0].path).toBe(path);
    }
    const missingName = await api.op('createReleasePipeline', { params: { project_pk: w.project }, body: { stages: [] } });
    expect(missingName.status).toBe(400);
    expect(missingName.body.details.issues[0].path).toBe('body/name');
    const after = await k().selectFrom('release_pipelines').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    expect(Number(after.n)).toBe(Number(before.n));

    const p = await pipeline(w, [onEnter(w.dev.id)]);
    const taken = await api.op('createReleasePipelineStage', { params: { project_pk: w.project, pipeline_pk: p.id }, body: { name: 'again', environment: w.prod.id, order: 0 } });
    expect(taken.status).toBe(400);
    expect(taken.body.details.issues[0].path).toBe('body/order');
    expect((await api.op('listReleasePipelineStages', { params: { project_pk: w.project, pipeline_pk: p.id } })).body).toHaveLength(1);
  });

  test('callers without credentials get 401, another organisation 404, a viewer 403 on writes', async () => {
    const p = await pipeline(w, [onEnter(w.dev.id), onEnter(w.prod.id)]);
    const at = { project_pk: w.project, id: p.id };
    expect((await api.op('getReleasePipeline', { params: at, auth: '' })).status).toBe(401);
    expect((await api.op('listReleasePipelines', { params: { project_pk: w.project }, auth: rival.admin.auth })).status).toBe(404);
    expect((await api.op('getReleasePipeline', { params: at, auth: rival.admin.auth })).status).toBe(404);
    expect((await api.op('getReleasePipeline', { params: at, auth: member.auth })).status).toBe(404);
    expect((await api.op('getReleasePipeline', { params: at, auth: viewer.auth })).status).toBe(200);
    expect((await api.op('updateReleasePipeline', { params: at, body: { name: 'nope' }, auth: viewer.auth })).status).toBe(403);
    expect((await api.op('addFeatureToReleasePipeline', { params: at, body: { feature_id: w.feature }, auth: viewer.auth })).status).toBe(403);
    expect((await api.op('getReleasePipeline', { params: { project_pk: w.project, id: 999999 } })).status).toBe(404);

    expect((await api.op('addFeatureToReleasePipeline', { params: at, body: { feature_id: w.feature } })).status).toBe(200);
    const promote = { feature_id: w.feature, version_uuid: await liveUuid(w, w.dev.id) };
    expect((await api.op('previewReleasePipelinePromotion', { params: at, query: promote, auth: viewer.auth })).status).toBe(200);
    expect((await api.op('promoteReleasePipelineFeature', { params: at, body: promote, auth: viewer.auth })).status).toBe(403);
    expect((await api.op('promoteReleasePipelineFeature', { params: at, body: promote, auth: rival.admin.auth })).status).toBe(404);
    expect((await api.op('promoteReleasePipelineFeature', { params: at, body: promote, auth: '' })).status).toBe(401);
    expect((await api.op('removeFeatureFromReleasePipeline', { params: at, body: { feature_id: w.feature } })).status).toBe(200);
  });

  test('a feature added to a pipeline enters the first stage and its ON_ENTER action publishes a version', async () => {
    const own = await world();
    const p = await pipeline(own, [onEnter(own.dev.id, [{ action_type: 'TOGGLE_FEATURE', action_body: { enabled: true } }]), onEnter(own.prod.id)]);
    const before = await liveUuid(own, own.dev.id);
    const r = await api.op('addFeatureToReleasePipeline', { params: { project_pk: own.project, id: p.id }, body: { feature_id: own.feature } });
    expect(r.status).toBe(200);
    expect(r.body.features).toEqual([
      { feature: own.feature, feature_name: expect.any(String), stage: p.stages[0]!.id, entered_at: api.clock.now().toISOString(), trigger_due_at: null, triggered_at: api.clock.now().toISOString(), trigger_error: null },
    ]);
    const after = await liveUuid(own, own.dev.id);
    expect(after).not.toBe(before);
    expect((await liveStates(own, own.dev.id))[0]).toMatchObject({ feature_segment: null, enabled: true });
    expect((await liveStates(own, own.prod.id))[0]).toMatchObject({ enabled: false });

    const entered = await webhookEventsOf(api, own.dev.id, 'RELEASE_PIPELINE_STAGE_ENTERED');
    const triggered = await webhookEventsOf(api, own.dev.id, 'RELEASE_PIPELINE_STAGE_TRIGGERED');
    expect(entered).toEqual([expect.objectContaining({ pipeline: { id: p.id, name: p.name }, feature: expect.objectContaining({ id: own.feature }), version_uuids: [], error: null })]);
    expect(triggered).toEqual([expect.objectContaining({ version_uuids: [after], error: null, actor: { id: expect.any(Number), email: 'admin@example.com' } })]);
    expect((await webhookEventsOf(api, own.dev.id, 'NEW_VERSION_PUBLISHED')).map((e) => e.uuid)).toContain(after);
    const audit = await pipelineAudit(p.id);
    expect(audit.slice(1)).toEqual([
      expect.stringMatching(/^Feature '.*' added to release pipeline: /),
      expect.stringMatching(/feature '.*' entered stage '/),
      expect.stringMatching(/actions of stage '.*' for feature '.*' ran \(1 version published\)$/),
    ]);
    const efv = await k().selectFrom('audit_log').select('log').where('related_object_type', '=', 'EF_VERSION').where('related_object_uuid', '=', after).execute();
    expect(efv).toHaveLength(1);

    const again = await api.op('addFeatureToReleasePipeline', { params: { project_pk: own.project, id: p.id }, body: { feature_id: own.feature } });
    expect(again.status).toBe(400);
    expect(again.body.details.issues[0].path).toBe('body/feature_id');
  });

  test('a wait trigger runs its actions once the clock passes the wait, not before', async () => {
    const own = await world();
    const p = await pipeline(own, [
      onEnter(own.dev.id),
      { name: 'Prod', environment: own.prod.id, trigger: { trigger_type: 'WAIT_FOR', trigger_body: { wait_for: '00:10:00' } }, actions: [{ action_type: 'TOGGLE_FEATURE_FOR_SEGMENT', action_body: { enabled: true, segment_id: own.segment } }] },
    ]);
    const at = { project_pk: own.project, id: p.id };
    expect((await api.op('addFeatureToReleasePipeline', { params: at, body: { feature_id: own.feature } })).status).toBe(200);
    const promoted = await api.op('promoteReleasePipelineFeature', { params: at, body: { feature_id: own.feature, version_uuid: await liveUuid(own, own.dev.id) } });
    expect(promoted.status).toBe(200);
    expect(promoted.body.entered_stage).toBe(true);
    const enteredAt = api.clock.now().getTime();
    const due = new Date(enteredAt + 600_000).toISOString();
    expect((await api.op('getReleasePipeline', { params: at })).body.features[0]).toMatchObject({ stage: p.stages[1]!.id, trigger_due_at: due, triggered_at: null });

    api.clock.set(new Date(enteredAt + 599_000));
    await api.built.services.jobs.runOnce();
    expect((await liveStates(own, own.prod.id)).some((s) => s.feature_segment?.segment === own.segment)).toBe(false);
    expect(await webhookEventsOf(api, own.prod.id, 'RELEASE_PIPELINE_STAGE_TRIGGERED')).toEqual([]);

    api.clock.set(due);
    await api.built.services.jobs.runOnce();
    const override = (await liveStates(own, own.prod.id)).find((s) => s.feature_segment?.segment === own.segment);
    expect(override).toMatchObject({ enabled: true });
    const state = (await api.op('getReleasePipeline', { params: at })).body.features[0];
    expect(state).toMatchObject({ trigger_due_at: null, triggered_at: due, trigger_error: null });
    const triggered = await webhookEventsOf(api, own.prod.id, 'RELEASE_PIPELINE_STAGE_TRIGGERED');
    expect(triggered).toEqual([expect.objectContaining({ version_uuids: [await liveUuid(own, own.prod.id)], error: null })]);
    expect((await pipelineAudit(p.id)).at(-1)).toMatch(/ran \(1 version published\)$/);

    // A second pass finds nothing due: the trigger ran exactly once.
    await api.built.services.jobs.runOnce();
    expect(await webhookEventsOf(api, own.prod.id, 'RELEASE_PIPELINE_STAGE_TRIGGERED')).toHaveLength(1);
  });

  test('promoting merges cleanly where the target diverged on a disjoint field, and shows the diff first', async () => {
    const own = await world();
    const p = await pipeline(own, [onEnter(own.dev.id), onEnter(own.prod.id)]);
    const at = { project_pk: own.project, id: p.id };
    expect((await api.op('addFeatureToReleasePipeline', { params: at, body: { feature_id: own.feature } })).status).toBe(200);
    // The target diverges on the value; the source changes enabled.
    await publish(own, own.prod.id, { feature_states_to_update: [{ feature_segment: null, feature_state_value: stringValue('prod-only') }] });
    const source = await publish(own, own.dev.id, { feature_states_to_update: [{ feature_segment: null, enabled: true }] });
    const liveBefore = await liveUuid(own, own.prod.id);

    const preview = await api.op('previewReleasePipelinePromotion', { params: at, query: { feature_id: own.feature, version_uuid: source } });
    expect(preview.status).toBe(200);
    expect(preview.body).toMatchObject({ version_uuid: source, from_stage: p.stages[0]!.id, to_stage: p.stages[1]!.id, live_version_uuid: liveBefore, published_version_uuid: null, entered_stage: false });
    expect(preview.body.changes.map((c: any) => c.kind).sort()).toEqual(['enabled', 'value']);
    expect(preview.body.changes.every((c: any) => typeof c.sentence === 'string' && c.sentence.length > 0)).toBe(true);
    expect(preview.body.merge).toMatchObject({ status: 'clean', conflicts: [] });
    expect(preview.body.merge.changes.map((c: any) => c.kind)).toEqual(['enabled']);
    expect(await liveUuid(own, own.prod.id)).toBe(liveBefore);

    const r = await api.op('promoteReleasePipelineFeature', { params: at, body: { feature_id: own.feature, version_uuid: source } });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ merge: { status: 'clean' }, entered_stage: true });
    const published = r.body.published_version_uuid as string;
    expect(await liveUuid(own, own.prod.id)).toBe(published);
    expect((await liveStates(own, own.prod.id))[0]).toMatchObject({ enabled: true, feature_state_value: { string_value: 'prod-only' } });

    const promotedEvents = await webhookEventsOf(api, own.prod.id, 'RELEASE_PIPELINE_PROMOTED');
    expect(promotedEvents).toEqual([expect.objectContaining({ version_uuids: [published], source_version_uuid: source, stage: expect.objectContaining({ id: p.stages[1]!.id }) })]);
    expect((await webhookEventsOf(api, own.prod.id, 'NEW_VERSION_PUBLISHED')).map((e) => e.uuid)).toContain(published);
    expect((await webhookEventsOf(api, own.prod.id, 'FLAG_UPDATED')).length).toBeGreaterThan(0);
    expect(await webhookEventsOf(api, own.prod.id, 'RELEASE_PIPELINE_STAGE_ENTERED')).toHaveLength(1);
    expect(await pipelineAudit(p.id)).toContainEqual(expect.stringContaining(`version ${source} of feature`));
    const efv = await k().selectFrom('audit_log').select('log').where('related_object_type', '=', 'EF_VERSION').where('related_object_uuid', '=', published).execute();
    expect(efv).toHaveLength(1);

    const last = await api.op('promoteReleasePipelineFeature', { params: at, body: { feature_id: own.feature, version_uuid: published } });
    expect(last.status).toBe(400);
    expect(last.body.details.issues[0].path).toBe('body/feature_id');
  });

  test('promoting answers 400 with the three-way detail when the target changed the same field, and changes nothing', async () => {
    const own = await world();
    const p = await pipeline(own, [onEnter(own.dev.id), onEnter(own.prod.id)]);
    const at = { project_pk: own.project, id: p.id };
    expect((await api.op('addFeatureToReleasePipeline', { params: at, body: { feature_id: own.feature } })).status).toBe(200);
    const base = await liveUuid(own, own.prod.id);
    await publish(own, own.prod.id, { feature_states_to_update: [{ feature_segment: null, feature_state_value: stringValue('prod-value') }] });
    const source = await publish(own, own.dev.id, { feature_states_to_update: [{ feature_segment: null, feature_state_value: stringValue('dev-value') }] });
    const liveBefore = await liveUuid(own, own.prod.id);

    const preview = await api.op('previewReleasePipelinePromotion', { params: at, query: { feature_id: own.feature, version_uuid: source } });
    expect(preview.status).toBe(200);
    expect(preview.body.merge.status).toBe('conflict');

    const r = await api.op('promoteReleasePipelineFeature', { params: at, body: { feature_id: own.feature, version_uuid: source } });
    expect(r.status).toBe(400);
    expect(r.body.code).toBe('PRECONDITION_FAILED');
    expect(r.body.details).toMatchObject({ reason: 'PROMOTION_CONFLICT', base_version_uuid: base, live_version_uuid: liveBefore, version_uuid: source });
    expect(r.body.details.merge.conflicts).toEqual([
      { path: 'environmentDefault.value', field: 'value', segment_id: null, option_id: null, base: stringValue('base'), live: stringValue('prod-value'), mine: stringValue('dev-value') },
    ]);
    expect(await liveUuid(own, own.prod.id)).toBe(liveBefore);
    expect((await api.op('getReleasePipeline', { params: at })).body.features[0].stage).toBe(p.stages[0]!.id);
    expect(await webhookEventsOf(api, own.prod.id, 'RELEASE_PIPELINE_PROMOTED')).toEqual([]);

    const draft = await api.op('createFeatureVersion', { params: { environment_pk: own.dev.id, feature_pk: own.feature }, body: {} });
    const notPublished = await api.op('promoteReleasePipelineFeature', { params: at, body: { feature_id: own.feature, version_uuid: draft.body.uuid } });
    expect(notPublished.status).toBe(400);
    expect(notPublished.body.details.issues[0].path).toBe('body/version_uuid');
    const wrongEnv = await api.op('promoteReleasePipelineFeature', { params: at, body: { feature_id: own.feature, version_uuid: liveBefore } });
    expect(wrongEnv.body.details.issues[0].path).toBe('body/version_uuid');
  });

  test('a stage holding a feature cannot be deleted or moved to another environment, and stages cannot be replaced', async () => {
    const own = await world();
    const p = await pipeline(own, [onEnter(own.dev.id), onEnter(own.prod.id)]);
    const at = { project_pk: own.project, id: p.id };
    expect((await api.op('addFeatureToReleasePipeline', { params: at, body: { feature_id: own.feature } })).status).toBe(200);
    const first = { project_pk: own.project, pipeline_pk: p.id, id: p.stages[0]!.id };
    expect((await api.op('deleteReleasePipelineStage', { params: first })).body.code).toBe('PRECONDITION_FAILED');
    expect((await api.op('updateReleasePipelineStage', { params: first, body: { name: 'moved', environment: own.prod.id } })).body.code).toBe('PRECONDITION_FAILED');
    expect((await api.op('updateReleasePipeline', { params: at, body: { name: 'x', stages: [] } })).body.code).toBe('PRECONDITION_FAILED');
    const removed = await api.op('removeFeatureFromReleasePipeline', { params: at, body: { feature_id: own.feature } });
    expect(removed.status).toBe(200);
    expect(removed.body.features).toEqual([]);
    expect((await api.op('removeFeatureFromReleasePipeline', { params: at, body: { feature_id: own.feature } })).body.details.issues[0].path).toBe('body/feature_id');
    expect((await pipelineAudit(p.id)).at(-1)).toMatch(/^Feature '.*' removed from release pipeline: /);
  });

  test('a due trigger runs once when several passes race for it', async () => {
    const own = await world();
    const p = await pipeline(own, [{ name: 'Dev', environment: own.dev.id, trigger: { trigger_type: 'WAIT_FOR', trigger_body: { wait_seconds: 60 } }, actions: [{ action_type: 'TOGGLE_FEATURE', action_body: { enabled: true } }] }]);
    expect((await api.op('addFeatureToReleasePipeline', { params: { project_pk: own.project, id: p.id }, body: { feature_id: own.feature } })).status).toBe(200);
    const versionsBefore = await k().selectFrom('environment_feature_versions').select('uuid').where('environment_id', '=', own.dev.id).execute();
    api.clock.advanceMs(60_000);
    const service = api.built.services.releasePipelines;
    const ran = await Promise.all([service.runDueTriggers(), service.runDueTriggers(), service.runDueTriggers()]);
    expect(ran.reduce((a, b) => a + b, 0)).toBe(1);
    expect(await webhookEventsOf(api, own.dev.id, 'RELEASE_PIPELINE_STAGE_TRIGGERED')).toHaveLength(1);
    const versionsAfter = await k().selectFrom('environment_feature_versions').select('uuid').where('environment_id', '=', own.dev.id).execute();
    expect(versionsAfter).toHaveLength(versionsBefore.length + 1);
    expect((await liveStates(own, own.dev.id))[0]).toMatchObject({ enabled: true });
  });

  test('a trigger whose actions fail records the error once, audited and announced, and publishes nothing', async () => {
    const own = await world();
    const lead = await addMember(api, `${unique('rp-lead')}@example.com`);
    const grant = await api.op('createProjectUserPermission', { params: { project_pk: own.project }, body: { user: lead.id, permissions: ['VIEW_PROJECT'], admin: true } });
    expect(grant.status).toBe(201);
    const p = await pipeline(own, [{ name: 'Dev', environment: own.dev.id, trigger: { trigger_type: 'WAIT_FOR', trigger_body: { wait_seconds: 60 } }, actions: [{ action_type: 'TOGGLE_FEATURE', action_body: { enabled: true } }] }]);
    expect((await api.op('addFeatureToReleasePipeline', { params: { project_pk: own.project, id: p.id }, body: { feature_id: own.feature }, auth: lead.auth })).status).toBe(200);
    // Whoever moved the feature in loses access before the wait is over: the actions run with their permissions.
    expect((await api.op('deleteProjectUserPermission', { params: { project_pk: own.project, id: grant.body.id } })).status).toBe(204);
    const live = await liveUuid(own, own.dev.id);
    api.clock.advanceMs(60_000);
    await api.built.services.jobs.runOnce();
    await api.built.services.jobs.runOnce();
    expect(await liveUuid(own, own.dev.id)).toBe(live);
    const state = (await api.op('getReleasePipeline', { params: { project_pk: own.project, id: p.id } })).body.features[0];
    expect(state).toMatchObject({ trigger_due_at: null, triggered_at: api.clock.now().toISOString(), trigger_error: expect.stringMatching(/not found/i) });
    const events = await webhookEventsOf(api, own.dev.id, 'RELEASE_PIPELINE_STAGE_TRIGGERED');
    expect(events).toEqual([expect.objectContaining({ version_uuids: [], error: state.trigger_error })]);
    expect((await pipelineAudit(p.id)).at(-1)).toMatch(/actions of stage 'Dev' for feature '.*' failed: /);
  });

  test('a PUBLISH_VERSION action publishes the given draft when its feature enters the stage', async () => {
    const own = await world();
    const draft = await api.op('createFeatureVersion', { params: { environment_pk: own.dev.id, feature_pk: own.feature }, body: { feature_states_to_update: [{ feature_segment: null, feature_state_value: stringValue('prepared') }] } });
    expect(draft.status).toBe(201);
    const p = await pipeline(own, [onEnter(own.dev.id, [{ action_type: 'PUBLISH_VERSION', action_body: { version_uuid: draft.body.uuid } }])]);
    expect(p.stages[0]).toMatchObject({ actions: [{ action_type: 'PUBLISH_VERSION', action_body: { version_uuid: draft.body.uuid } }] });
    expect((await api.op('addFeatureToReleasePipeline', { params: { project_pk: own.project, id: p.id }, body: { feature_id: own.feature } })).status).toBe(200);
    expect(await liveUuid(own, own.dev.id)).toBe(draft.body.uuid);
    expect((await liveStates(own, own.dev.id))[0]).toMatchObject({ feature_state_value: { string_value: 'prepared' } });
  });

  test('re-promoting from an earlier stage merges against what the target last received from the pipeline', async () => {
    const own = await world();
    const p = await pipeline(own, [onEnter(own.dev.id), onEnter(own.prod.id)]);
    const at = { project_pk: own.project, id: p.id };
    expect((await api.op('addFeatureToReleasePipeline', { params: at, body: { feature_id: own.feature } })).status).toBe(200);
    const first = await publish(own, own.dev.id, { feature_states_to_update: [{ feature_segment: null, enabled: true }] });
    const promoted = await api.op('promoteReleasePipelineFeature', { params: at, body: { feature_id: own.feature, version_uuid: first } });
    expect(promoted.status).toBe(200);
    const received = promoted.body.published_version_uuid as string;
    // Prod diverges on its value; dev changes its value too: the same field since what prod received.
    await publish(own, own.prod.id, { feature_states_to_update: [{ feature_segment: null, feature_state_value: stringValue('hotfix') }] });
    const second = await publish(own, own.dev.id, { feature_states_to_update: [{ feature_segment: null, feature_state_value: stringValue('next') }] });
    const again = await api.op('promoteReleasePipelineFeature', { params: at, body: { feature_id: own.feature, version_uuid: second, from_stage: p.stages[0]!.id } });
    expect(again.status).toBe(400);
    expect(again.body.details).toMatchObject({ reason: 'PROMOTION_CONFLICT', base_version_uuid: received });
    // Dev changes only enabled back: disjoint from prod's hotfix, so it merges and the feature stays in prod's stage.
    const third = await publish(own, own.dev.id, { feature_states_to_update: [{ feature_segment: null, enabled: false, feature_state_value: stringValue('base') }] });
    const merged = await api.op('promoteReleasePipelineFeature', { params: at, body: { feature_id: own.feature, version_uuid: third, from_stage: p.stages[0]!.id } });
    expect(merged.status).toBe(200);
    expect(merged.body).toMatchObject({ base_version_uuid: received, entered_stage: false, merge: { status: 'clean' } });
    expect((await liveStates(own, own.prod.id))[0]).toMatchObject({ enabled: false, feature_state_value: { string_value: 'hotfix' } });
    expect((await api.op('getReleasePipeline', { params: at })).body.features[0].stage).toBe(p.stages[1]!.id);
  });
});
