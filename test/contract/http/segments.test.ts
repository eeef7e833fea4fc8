import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { TestApi } from '../../support/api-harness.js';
import { DIALECTS } from '../../support/databases.js';
import { createFeature } from '../../support/flag-fixtures.js';
import { addMember, createEnvironment, createProject, otherOrganisation, type TestUser } from '../../support/tenancy.js';

/** The Flagsmith dashboard's shape: an ALL rule holding one ANY rule with the conditions. */
const rulesOf = (...conditions: object[]) => [{ type: 'ALL', rules: [{ type: 'ANY', rules: [], conditions }], conditions: [] }];

describe.each(DIALECTS)('segment routes on %s', (dialect) => {
  const api = new TestApi(dialect);
  let manager: TestUser;
  let viewer: TestUser;
  let outsider: TestUser;
  let rival: { organisationId: number; admin: TestUser };
  let project: { id: number };
  let env: { id: number; api_key: string };
  const k = () => api.testDb.db.kysely;

  async function insertFeature(name: string, projectId = project.id): Promise<number> {
    return (await createFeature(api, projectId, name)).id;
  }

  async function revision(id: number): Promise<number> {
    return (await k().selectFrom('environments').select('document_revision').where('id', '=', id).executeTakeFirstOrThrow()).document_revision;
  }

  async function segmentCount(): Promise<number> {
    return Number((await k().selectFrom('segments').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
  }

  async function auditLogs(type: string): Promise<string[]> {
    return (await k().selectFrom('audit_log').select('log').where('related_object_type', '=', type).orderBy('id').execute()).map((r) => r.log);
  }

  async function create(name: string, extra: object = {}) {
    const r = await api.op('createSegment', { params: { project_pk: project.id }, body: { name, rules: rulesOf({ operator: 'EQUAL', property: 'plan', value: 'pro' }), ...extra } });
    if (r.status !== 201) throw new Error(`createSegment failed: ${JSON.stringify(r.body)}`);
    return r.body as { id: number; rules: { id: number; rules: { id: number; conditions: { id: number }[] }[] }[] };
  }

  beforeAll(async () => {
    await api.start();
    manager = await addMember(api, 'manager@example.com');
    viewer = await addMember(api, 'viewer@example.com');
    outsider = await addMember(api, 'outsider@example.com');
    rival = await otherOrganisation(api);
    project = await createProject(api, 'Web');
    env = await createEnvironment(api, project.id, 'Development');
    await api.op('createProjectUserPermission', { params: { project_pk: project.id }, body: { user: manager.id, permissions: ['VIEW_PROJECT', 'MANAGE_SEGMENTS'] } });
    await api.op('createProjectUserPermission', { params: { project_pk: project.id }, body: { user: viewer.id, permissions: ['VIEW_PROJECT'] } });
  }, 60_000);
  afterAll(() => api.stop());

  test('createSegment stores every engine operator, returns the tree with ids, audits and bumps the document revision', async () => {
    const before = await revision(env.id);
    const conditions = [
      { operator: 'EQUAL', property: 'plan', value: 'pro', description: 'paying' },
      { operator: 'NOT_EQUAL', property: 'plan', value: 'free' },
      { operator: 'GREATER_THAN', property: 'age', value: 18 },
      { operator: 'GREATER_THAN_INCLUSIVE', property: 'age', value: '18.5' },
      { operator: 'LESS_THAN', property: 'age', value: 65 },
      { operator: 'LESS_THAN_INCLUSIVE', property: 'age', value: 64 },
      { operator: 'CONTAINS', property: 'email', value: '@acme' },
      { operator: 'NOT_CONTAINS', property: 'email', value: '@rival' },
      { operator: 'REGEX', property: 'email', value: '^.+@acme\\.com$' },
      { operator: 'PERCENTAGE_SPLIT', value: 25 },
      { operator: 'MODULO', property: 'user_id', value: '2|0' },
      { operator: 'IS_SET', property: 'beta' },
      { operator: 'IS_NOT_SET', property: 'churned', value: null },
      { operator: 'IN', property: 'country', value: 'GB,FR,DE' },
      { operator: 'EQUAL', property: 'is_admin', value: true },
    ];
    const r = await api.op('createSegment', { params: { project_pk: project.id }, body: { name: ' Power users ', description: 'they pay', rules: rulesOf(...conditions) } });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ name: 'Power users', description: 'they pay', project: project.id, feature: null, created_at: '2026-06-01T12:00:00.000Z' });
    const inner = r.body.rules[0].rules[0];
    expect(r.body.rules[0]).toMatchObject({ id: 1, type: 'ALL', conditions: [] });
    expect(inner).toMatchObject({ id: 2, type: 'ANY', rules: [] });
    expect(inner.conditions.map((c: { value: unknown }) => c.value)).toEqual(['pro', 'free', '18', '18.5', '65', '64', '@acme', '@rival', '^.+@acme\\.com$', '25', '2|0', null, null, 'GB,FR,DE', 'true']);
    expect(inner.conditions[9]).toEqual({ id: 12, operator: 'PERCENTAGE_SPLIT', property: null, value: '25', description: null });
    const stored = await k().selectFrom('segments').select('rules_json').where('id', '=', r.body.id).executeTakeFirstOrThrow();
    expect(JSON.parse(stored.rules_json)).toEqual(r.body.rules);
    expect(await revision(env.id)).toBe(before + 1);
    expect(await auditLogs('SEGMENT')).toContain('New Segment created: Power users');
  });

  test('createSegment keeps a MODULO value Flagsmith accepts at creation; it never matches', async () => {
    const r = await api.op('createSegment', { params: { project_pk: project.id }, body: { name: 'odd modulo', rules: rulesOf({ operator: 'MODULO', property: 'n', value: 'every other' }) } });
    expect(r.status).toBe(201);
    expect(r.body.rules[0].rules[0].conditions[0]).toMatchObject({ operator: 'MODULO', property: 'n', value: 'every other' });
  });

  test('createSegment answers 400 naming the offending field, and writes nothing', async () => {
    const count = await segmentCount();
    const cases: [object, string][] = [
      [{ name: 'x', rules: rulesOf({ operator: 'EQUAL', property: 'a', value: 'b' }, { operator: 'REGEX', property: 'a', value: '([a-z' }) }, 'body/rules/0/rules/0/conditions/1/value'],
      [{ name: 'x', rules: rulesOf({ operator: 'PERCENTAGE_SPLIT', value: 150 }) }, 'body/rules/0/rules/0/conditions/0/value'],
      [{ name: 'x', rules: rulesOf({ operator: 'MODULO', property: 'n' }) }, 'body/rules/0/rules/0/conditions/0/value'],
      [{ name: 'x', rules: rulesOf({ operator: 'EQUAL', property: '', value: 'b' }) }, 'body/rules/0/rules/0/conditions/0/property'],
      [{ name: 'x', rules: rulesOf({ operator: 'STARTS_WITH', property: 'a', value: 'b' }) }, 'body/rules/0/rules/0/conditions/0/operator'],
      [{ name: 'x', rules: [{ type: 'SOME', conditions: [] }] }, 'body/rules/0/type'],
      [{ name: 'x', rules: [] }, 'body/rules'],
      // 101 conditions in one rule: the contract bounds the list (issue 16 item 7); spread over rules, the total check names the tree.
      [{ name: 'x', rules: rulesOf(...Array.from({ length: 101 }, (_, i) => ({ operator: 'EQUAL', property: 'n', value: i }))) }, 'body/rules/0/rules/0/conditions'],
      [{ name: 'x', rules: [...rulesOf(...Array.from({ length: 60 }, (_, i) => ({ operator: 'EQUAL', property: 'n', value: i }))), ...rulesOf(...Array.from({ length: 41 }, (_, i) => ({ operator: 'EQUAL', property: 'm', value: i })))] }, 'body/rules'],
      [{ name: 'x', rules: [{ type: 'ALL', rules: [{ type: 'ALL', rules: [{ type: 'ALL', rules: [{ type: 'ALL', rules: [{ type: 'ALL', rules: [{ type: 'ALL', conditions: [] }] }] }] }] }] }] }, 'body/rules/0/rules/0/rules/0/rules/0/rules/0/rules'],
      [{ name: '   ', rules: rulesOf({ operator: 'IS_SET', property: 'a' }) }, 'body/name'],
      [{ rules: rulesOf({ operator: 'IS_SET', property: 'a' }) }, 'body/name'],
      [{ name: 'x' }, 'body/rules'],
      [{ name: 'x', project: project.id + 1000, rules: rulesOf({ operator: 'IS_SET', property: 'a' }) }, 'body/project'],
      [{ name: 'x', feature: 999999, rules: rulesOf({ operator: 'IS_SET', property: 'a' }) }, 'body/feature'],
    ];
    for (const [body, path] of cases) {
      const r = await api.op('createSegment', { params: { project_pk: project.id }, body });
      expect({ status: r.status, path: r.body.details?.issues?.[0]?.path }).toEqual({ status: 400, path });
    }
    expect(await segmentCount()).toBe(count);
  });

  test('a feature-specific segment names a feature of the same project', async () => {
    const feature = await insertFeature('checkout');
    expect((await create('Checkout testers', { feature })).id).toBeGreaterThan(0);
    const otherProject = await createProject(api, 'Mobile');
    const foreign = await insertFeature('foreign', otherProject.id);
    const r = await api.op('createSegment', { params: { project_pk: project.id }, body: { name: 'wrong', feature: foreign, rules: rulesOf({ operator: 'IS_SET', property: 'a' }) } });
    expect(r.status).toBe(400);
    expect(r.body.details.issues[0].path).toBe('body/feature');
  });

  test('createSegment needs MANAGE_SEGMENTS (403) and a visible project (404); 401 without credentials', async () => {
    const body = { name: 'Mine', rules: rulesOf({ operator: 'IS_SET', property: 'a' }) };
    expect((await api.op('createSegment', { params: { project_pk: project.id }, body, auth: viewer.auth })).status).toBe(403);
    expect((await api.op('createSegment', { params: { project_pk: project.id }, body, auth: outsider.auth })).status).toBe(404);
    expect((await api.op('createSegment', { params: { project_pk: project.id }, body, auth: rival.admin.auth })).status).toBe(404);
    expect((await api.op('createSegment', { params: { project_pk: project.id }, body, auth: '' })).status).toBe(401);
    expect((await api.op('createSegment', { params: { project_pk: project.id }, body, auth: manager.auth })).status).toBe(201);
  });

  test('listSegments pages a project’s segments, searches names and can leave out feature-specific ones', async () => {
    await create('Alpha testers');
    await create('100%_sure');
    const all = await api.op('listSegments', { params: { project_pk: project.id }, auth: viewer.auth });
    expect(all.status).toBe(200);
    const total = all.body.count;
    expect(all.body.results.length).toBe(total);
    const page = await api.op('listSegments', { params: { project_pk: project.id }, query: { page_size: 2, page: 1 } });
    expect(page.body).toMatchObject({ count: total, previous: null });
    expect(page.body.results).toHaveLength(2);
    expect(page.body.next).toContain('page=2');
    const search = await api.op('listSegments', { params: { project_pk: project.id }, query: { q: 'TESTERS' } });
    expect(search.body.results.map((s: { name: string }) => s.name)).toEqual(['Checkout testers', 'Alpha testers']);
    // LIKE wildcards in the search text match literally.
    expect((await api.op('listSegments', { params: { project_pk: project.id }, query: { q: '%_' } })).body.results.map((s: { name: string }) => s.name)).toEqual(['100%_sure']);
    const general = await api.op('listSegments', { params: { project_pk: project.id }, query: { include_feature_specific: false } });
    expect(general.body.count).toBe(total - 1);
    expect((await api.op('listSegments', { params: { project_pk: project.id }, auth: rival.admin.auth })).status).toBe(404);
    expect((await api.op('listSegments', { params: { project_pk: project.id }, auth: outsider.auth })).status).toBe(404);
    expect((await api.op('listSegments', { params: { project_pk: project.id }, auth: '' })).status).toBe(401);
  });

  test('getSegment answers viewers; another project’s segment and other tenants get 404', async () => {
    const s = await create('Readable');
    expect((await api.op('getSegment', { params: { project_pk: project.id, id: s.id }, auth: viewer.auth })).body).toMatchObject({ id: s.id, name: 'Readable', rules: s.rules });
    const mobile = await createProject(api, 'Other');
    expect((await api.op('getSegment', { params: { project_pk: mobile.id, id: s.id } })).status).toBe(404);
    expect((await api.op('getSegment', { params: { project_pk: project.id, id: s.id }, auth: rival.admin.auth })).status).toBe(404);
    expect((await api.op('getSegment', { params: { project_pk: project.id, id: 999999 } })).status).toBe(404);
    expect((await api.op('getSegment', { params: { project_pk: project.id, id: s.id }, auth: '' })).status).toBe(401);
  });

  test('updateSegment replaces the tree, keeps ids sent back, audits and bumps the revision', async () => {
    const s = await create('Editable');
    const before = await revision(env.id);
    const inner = s.rules[0]!.rules[0]!;
    const rules = [{ id: s.rules[0]!.id, type: 'ALL', conditions: [], rules: [{ id: inner.id, type: 'ANY', conditions: [{ id: inner.conditions[0]!.id, operator: 'EQUAL', property: 'plan', value: 'enterprise' }, { operator: 'IS_SET', property: 'trial' }] }] }];
    const r = await api.op('updateSegment', { params: { project_pk: project.id, id: s.id }, body: { name: 'Edited', description: 'new', rules }, auth: manager.auth });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ name: 'Edited', description: 'new', rules: [{ id: 1, rules: [{ id: 2, conditions: [{ id: 3, value: 'enterprise' }, { id: 4, operator: 'IS_SET', value: null }] }] }] });
    expect(await revision(env.id)).toBe(before + 1);
    expect(await auditLogs('SEGMENT')).toContain('Segment updated: Edited');
    const missing = await api.op('updateSegment', { params: { project_pk: project.id, id: s.id }, body: { name: 'No rules' } });
    expect(missing.status).toBe(400);
    expect(missing.body.details.issues[0].path).toBe('body/rules');
    const bad = await api.op('updateSegment', { params: { project_pk: project.id, id: s.id }, body: { name: 'Bad', rules: rulesOf({ operator: 'PERCENTAGE_SPLIT', value: 'half' }) } });
    expect(bad.status).toBe(400);
    expect(bad.body.details.issues[0].path).toBe('body/rules/0/rules/0/conditions/0/value');
    expect((await api.op('getSegment', { params: { project_pk: project.id, id: s.id } })).body.name).toBe('Edited');
    expect((await api.op('updateSegment', { params: { project_pk: project.id, id: s.id }, body: { name: 'x', rules }, auth: viewer.auth })).status).toBe(403);
    expect((await api.op('updateSegment', { params: { project_pk: project.id, id: s.id }, body: { name: 'x', rules }, auth: rival.admin.auth })).status).toBe(404);
    expect((await api.op('updateSegment', { params: { project_pk: project.id, id: s.id }, body: { name: 'x', rules }, auth: '' })).status).toBe(401);
  });

  test('partialUpdateSegment changes only what is given', async () => {
    const s = await create('Patchable');
    const r = await api.op('partialUpdateSegment', { params: { project_pk: project.id, id: s.id }, body: { description: 'only this' } });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ name: 'Patchable', description: 'only this', rules: s.rules });
    const rules = await api.op('partialUpdateSegment', { params: { project_pk: project.id, id: s.id }, body: { rules: rulesOf({ operator: 'LESS_THAN', property: 'age', value: 30 }) } });
    // New items get ids above every id the segment had, so a stale client id never points at a new item.
    expect(rules.body.rules[0]).toMatchObject({ id: 4, rules: [{ id: 5, conditions: [{ id: 6, value: '30' }] }] });
    const flag = await insertFeature('patch-flag');
    const other = await insertFeature('patch-other');
    expect((await api.op('createFeatureSegment', { body: { feature: other, segment: s.id, environment: env.id } })).status).toBe(201);
    const narrowed = await api.op('partialUpdateSegment', { params: { project_pk: project.id, id: s.id }, body: { feature: flag } });
    expect(narrowed.status).toBe(400);
    expect(narrowed.body.details.issues[0].path).toBe('body/feature');
    expect((await api.op('partialUpdateSegment', { params: { project_pk: project.id, id: s.id }, body: { feature: other } })).body.feature).toBe(other);
    const bad = await api.op('partialUpdateSegment', { params: { project_pk: project.id, id: s.id }, body: { name: '' } });
    expect(bad.status).toBe(400);
    expect(bad.body.details.issues[0].path).toBe('body/name');
    expect((await api.op('partialUpdateSegment', { params: { project_pk: project.id, id: s.id }, body: { name: 'y' }, auth: viewer.auth })).status).toBe(403);
    expect((await api.op('partialUpdateSegment', { params: { project_pk: project.id, id: s.id }, body: { name: 'y' }, auth: rival.admin.auth })).status).toBe(404);
    expect((await api.op('partialUpdateSegment', { params: { project_pk: project.id, id: s.id }, body: { name: 'y' }, auth: '' })).status).toBe(401);
  });

  test('deleteSegment removes its overrides with a FLAG_DELETED event per override state, audits and bumps the revision', async () => {
    const s = await create('Doomed');
    const feature = await insertFeature('doomed-flag');
    const keeper = await create('Keeper');
    const now = api.clock.now().toISOString();
    await k().insertInto('webhooks').values({ uuid: `wh-${dialect}`, organisation_id: api.organisationId, environment_id: env.id, url: 'http://127.0.0.1:9/hook', enabled: true, secret: null, created_at: now, updated_at: now }).execute();
    const doomedOverride = await api.op('createFeatureSegment', { body: { feature, segment: s.id, environment: env.id } });
    const keptOverride = await api.op('createFeatureSegment', { body: { feature, segment: keeper.id, environment: env.id } });
    expect(keptOverride.body.priority).toBe(1);
    const state = await k()
      .insertInto('feature_states')
      .values({ uuid: `fs-doomed-${dialect}`, feature_id: feature, environment_id: env.id, identity_id: null, feature_segment_id: doomedOverride.body.id, enabled: true, value_type: 'unicode', string_value: 'on', integer_value: null, boolean_value: null, version: 1, live_from: now, environment_feature_version_uuid: null, created_at: now, updated_at: now })
      .returning('id')
      .executeTakeFirstOrThrow();

    expect((await api.op('deleteSegment', { params: { project_pk: project.id, id: s.id }, auth: viewer.auth })).status).toBe(403);
    expect((await api.op('deleteSegment', { params: { project_pk: project.id, id: s.id }, auth: rival.admin.auth })).status).toBe(404);
    expect((await api.op('deleteSegment', { params: { project_pk: project.id, id: s.id }, auth: '' })).status).toBe(401);
    const before = await revision(env.id);
    expect((await api.op('deleteSegment', { params: { project_pk: project.id, id: s.id } })).status).toBe(204);

    expect((await api.op('getSegment', { params: { project_pk: project.id, id: s.id } })).status).toBe(404);
    expect(await k().selectFrom('feature_states').select('id').where('id', '=', state.id).executeTakeFirst()).toBeUndefined();
    expect((await api.op('getFeatureSegment', { params: { id: doomedOverride.body.id } })).status).toBe(404);
    expect((await api.op('getFeatureSegment', { params: { id: keptOverride.body.id } })).body.priority).toBe(0);
    const events = await k().selectFrom('events').select(['event_type', 'data_json']).where('event_type', '=', 'FLAG_DELETED').execute();
    expect(events).toHaveLength(1);
    expect(JSON.parse(events[0]!.data_json)).toMatchObject({ new_state: null, previous_state: { feature_state_value: 'on', feature_segment: { segment: { id: s.id, name: 'Doomed' }, priority: 0 } }, changed_by: 'admin@example.com' });
    expect(await auditLogs('SEGMENT')).toContain('Segment deleted: Doomed');
    expect(await auditLogs('FEATURE_STATE')).toContain("Flag state / Remote config value deleted for feature 'doomed-flag' and segment 'Doomed'");
    expect(await revision(env.id)).toBe(before + 1);
    expect((await api.op('deleteSegment', { params: { project_pk: project.id, id: s.id } })).status).toBe(404);
  });
});
