import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { TestApi } from '../../support/api-harness.js';
import { DIALECTS } from '../../support/databases.js';
import { createEnvironment, createProject } from '../../support/tenancy.js';
import { enableV2, insertEnvironmentDefault, insertFeature, insertSegment, stringValue } from '../../support/versions-fixtures.js';

vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

/**
 * Publishes racing each other (issue 15 item 4): publishes of different features run in parallel (each
 * locks its feature's chain, the environment only briefly at the end), so the plan limit must still hold
 * exactly, and publishes of one feature must still form one linear chain. On PostgreSQL the publishes
 * really run at once (a pool of connections); on SQLite they are serialised by the database.
 */
describe.each(DIALECTS)('concurrent publishes on %s', (dialect) => {
  const api = new TestApi(dialect);
  const k = () => api.testDb.db.kysely;
  let counter = 0;

  async function world(featureCount: number, segmentCount: number) {
    const project = (await createProject(api, `race-${++counter}`)).id;
    const env = await createEnvironment(api, project, `env-${counter}`);
    const features: number[] = [];
    for (let i = 0; i < featureCount; i++) {
      const f = await insertFeature(api, project);
      await insertEnvironmentDefault(api, env.id, f.id);
      features.push(f.id);
    }
    const segments: number[] = [];
    for (let i = 0; i < segmentCount; i++) segments.push(await insertSegment(api, project, `seg-${i}`));
    await enableV2(api, env.id);
    return { env, features, segments };
  }
  const overrides = (segments: number[]) => segments.map((segment) => ({ feature_segment: { segment }, enabled: true, feature_state_value: stringValue('on') }));
  async function draft(envId: number, feature: number, body: Record<string, unknown>): Promise<string> {
    const r = await api.op('createFeatureVersion', { params: { environment_pk: envId, feature_pk: feature }, body });
    if (r.status !== 201) throw new Error(`createFeatureVersion failed: ${JSON.stringify(r.body)}`);
    return (r.body as { uuid: string }).uuid;
  }
  const publish = (envId: number, feature: number, uuid: string) => api.op('publishFeatureVersion', { params: { environment_pk: envId, feature_pk: feature, uuid } });

  beforeAll(() => api.start());
  afterAll(() => api.stop());

  test('publishes racing at the segment-override limit: exactly as many go live as fit, the others are LIMIT_EXCEEDED', async () => {
    const r = await api.op('updateOrganisationPlanLimits', { params: { id: api.organisationId }, body: { max_segment_overrides_per_environment: 4 } });
    expect(r.status).toBe(200);
    try {
      const w = await world(6, 2);
      const drafts = await Promise.all(w.features.map(async (f) => ({ feature: f, uuid: await draft(w.env.id, f, { feature_states_to_create: overrides(w.segments) }) })));
      const results = await Promise.all(drafts.map((d) => publish(w.env.id, d.feature, d.uuid)));
      const statuses = results.map((x) => x.status).sort();
      expect(statuses).toEqual([200, 200, 400, 400, 400, 400]);
      for (const refused of results.filter((x) => x.status === 400)) expect(refused.body).toMatchObject({ code: 'LIMIT_EXCEEDED', details: { max: 4 } });
      expect(await api.built.services.versions.countLiveSegmentOverrides(k(), w.env.id)).toBe(4);
    } finally {
      await api.op('updateOrganisationPlanLimits', { params: { id: api.organisationId }, body: { max_segment_overrides_per_environment: 100 } });
    }
  });

  test('publishes of different features at once all go live, each on its own chain, and the document revision moves', async () => {
    const w = await world(8, 0);
    const revision = async () => (await k().selectFrom('environments').select('document_revision').where('id', '=', w.env.id).executeTakeFirstOrThrow()).document_revision;
    const before = await revision();
    const drafts = await Promise.all(w.features.map(async (f, i) => ({ feature: f, uuid: await draft(w.env.id, f, { feature_states_to_update: [{ feature_segment: null, enabled: true, feature_state_value: stringValue(`v${i}`) }] }) })));
    const results = await Promise.all(drafts.map((d) => publish(w.env.id, d.feature, d.uuid)));
    expect(results.map((x) => x.status)).toEqual(drafts.map(() => 200));
    const live = await api.built.services.versions.liveVersionUuids(w.env.id);
    for (const d of drafts) expect(live.get(d.feature)).toBe(d.uuid);
    expect(Number(await revision())).toBeGreaterThanOrEqual(Number(before) + drafts.length);
  });

  test('drafts of one feature published at once form one linear chain: consecutive live_seq, each on the one before', async () => {
    const w = await world(1, 6);
    const feature = w.features[0]!;
    // Disjoint changes (one override each), so each merges onto whichever went live before it.
    const uuids = await Promise.all(w.segments.map((segment) => draft(w.env.id, feature, { feature_states_to_create: overrides([segment]) })));
    const results = await Promise.all(uuids.map((uuid) => publish(w.env.id, feature, uuid)));
    expect(results.map((x) => x.status)).toEqual(uuids.map(() => 200));
    const chain = await k()
      .selectFrom('environment_feature_versions')
      .select(['uuid', 'live_seq', 'previous_version_uuid'])
      .where('environment_id', '=', w.env.id)
      .where('feature_id', '=', feature)
      .where('status', '=', 'published')
      .orderBy('live_seq')
      .execute();
    expect(chain.map((v) => v.live_seq)).toEqual(chain.map((_, i) => i + 1));
    for (let i = 1; i < chain.length; i++) expect(chain[i]!.previous_version_uuid).toBe(chain[i - 1]!.uuid);
    expect(chain.slice(1).map((v) => v.uuid).sort()).toEqual([...uuids].sort());
    expect(await api.built.services.versions.countLiveSegmentOverrides(k(), w.env.id)).toBe(6);
  });
});
