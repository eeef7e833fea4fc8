import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { TestApi } from '../../support/api-harness.js';
import { DIALECTS } from '../../support/databases.js';
import { createEnvironment, createProject } from '../../support/tenancy.js';
import { enableV2, insertEnvironmentDefault, insertFeature, insertSegment, stringValue } from '../../support/versions-fixtures.js';

// Many requests per test on a shared, busy machine: generous limits (no timing is asserted).
vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

const LIMIT = 'max_segment_overrides_per_environment';
const DAY = 24 * 3600_000;

/**
 * Plan limits on Feature Versioning v2 (issue 3 item 10, spec "Plan-limit accounting"): the segment
 * override limit counts only the overrides of each feature's live version, and the versions list keeps
 * to the feature history window (always showing the live version).
 */
describe.each(DIALECTS)('plan limits on versioned environments on %s', (dialect) => {
  const api = new TestApi(dialect);
  const k = () => api.testDb.db.kysely;
  let counter = 0;

  interface World {
    project: number;
    env: { id: number; api_key: string };
    features: number[];
    segments: number[];
  }

  /** A project with an environment holding `features` features and `segments` segments; on v2 unless `v1`. */
  async function world(options: { features?: number; segments?: number; v1?: boolean } = {}): Promise<World> {
    const project = (await createProject(api, `limits-${++counter}`)).id;
    const env = await createEnvironment(api, project, `env-${counter}`);
    const features: number[] = [];
    for (let i = 0; i < (options.features ?? 2); i++) {
      const f = await insertFeature(api, project);
      await insertEnvironmentDefault(api, env.id, f.id);
      features.push(f.id);
    }
    const segments: number[] = [];
    for (let i = 0; i < (options.segments ?? 4); i++) segments.push(await insertSegment(api, project, `seg-${i}`));
    if (!options.v1) await enableV2(api, env.id);
    return { project, env, features, segments };
  }
  const at = (w: World, feature: number, extra: Record<string, string | number> = {}) => ({ environment_pk: w.env.id, feature_pk: feature, ...extra });
  const overrides = (segments: number[]) => segments.map((segment) => ({ feature_segment: { segment }, enabled: true, feature_state_value: stringValue('on') }));

  async function setLimits(body: { max_segment_overrides_per_environment?: number; feature_history_visibility_days?: number | null }) {
    const r = await api.op('updateOrganisationPlanLimits', { params: { id: api.organisationId }, body });
    expect(r.status).toBe(200);
  }
  async function draft(w: World, feature: number, body: Record<string, unknown>) {
    const r = await api.op('createFeatureVersion', { params: at(w, feature), body });
    if (r.status !== 201) throw new Error(`createFeatureVersion failed: ${JSON.stringify(r.body)}`);
    return r.body as { uuid: string };
  }
  async function publishNow(w: World, feature: number, body: Record<string, unknown>) {
    const r = await api.op('createFeatureVersion', { params: at(w, feature), body: { ...body, publish_immediately: true } });
    if (r.status !== 201) throw new Error(`publish failed: ${JSON.stringify(r.body)}`);
    return r.body as { uuid: string };
  }
  const live = async (w: World, feature: number) => (await api.built.services.versions.liveVersionUuids(w.env.id)).get(feature);
  const liveCount = (w: World) => api.built.services.versions.countLiveSegmentOverrides(k(), w.env.id);
  const featureSegmentRows = async (w: World) => Number((await k().selectFrom('feature_segments').select((eb) => eb.fn.countAll().as('n')).where('environment_id', '=', w.env.id).executeTakeFirstOrThrow()).n);
  const versionRows = async (w: World) => Number((await k().selectFrom('environment_feature_versions').select((eb) => eb.fn.countAll().as('n')).where('environment_id', '=', w.env.id).executeTakeFirstOrThrow()).n);
  const auditOf = (uuid: string) => k().selectFrom('audit_log').select('log').where('related_object_uuid', '=', uuid).execute();
  const advance = (ms: number) => (api.clock as unknown as { advanceMs(ms: number): void }).advanceMs(ms);

  beforeAll(() => api.start());
  afterAll(() => api.stop());

  test('publishing a version that takes the live overrides over max_segment_overrides_per_environment is LIMIT_EXCEEDED naming the limit; the draft stays a draft', async () => {
    await setLimits({ max_segment_overrides_per_environment: 3 });
    const w = await world();
    const [a, b] = w.features as [number, number];
    await publishNow(w, a, { feature_states_to_create: overrides(w.segments.slice(0, 2)) });
    const before = await live(w, b);
    const d = await draft(w, b, { feature_states_to_create: overrides(w.segments.slice(0, 2)) });
    const rows = await featureSegmentRows(w);

    const r = await api.op('publishFeatureVersion', { params: at(w, b, { uuid: d.uuid }) });
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ code: 'LIMIT_EXCEEDED', details: { limit: LIMIT, max: 3, count: 4 } });
    expect(r.body.message).toContain(LIMIT);
    expect((await api.op('getFeatureVersion', { params: at(w, b, { uuid: d.uuid }) })).body).toMatchObject({ status: 'draft', published: false });
    expect(await live(w, b)).toBe(before);
    expect(await featureSegmentRows(w)).toBe(rows);
    expect(await auditOf(d.uuid)).toEqual([]);
    expect(await liveCount(w)).toBe(2);

    // One override fits: the same draft with one override fewer publishes.
    const removed = await api.op('listFeatureVersionFeatureStates', { params: at(w, b, { uuid: d.uuid }) });
    const second = (removed.body as any[]).find((s) => s.feature_segment?.segment === w.segments[1]);
    expect((await api.op('deleteFeatureVersionFeatureState', { params: at(w, b, { uuid: d.uuid, id: second.id }) })).status).toBe(204);
    const ok = await api.op('publishFeatureVersion', { params: at(w, b, { uuid: d.uuid }) });
    expect(ok.status).toBe(200);
    expect(await liveCount(w)).toBe(3);
  });

  test('drafts may hold more overrides than the limit: only a version going live counts', async () => {
    await setLimits({ max_segment_overrides_per_environment: 1 });
    const w = await world();
    const d = await draft(w, w.features[0]!, { feature_states_to_create: overrides(w.segments.slice(0, 3)) });
    const s = await api.op('createFeatureVersionFeatureState', { params: at(w, w.features[0]!, { uuid: d.uuid }), body: overrides([w.segments[3]!])[0] });
    expect(s.status).toBe(201);
    expect((await api.op('listFeatureVersionFeatureStates', { params: at(w, w.features[0]!, { uuid: d.uuid }) })).body).toHaveLength(5);
    expect(await liveCount(w)).toBe(0);
  });

  test('history does not count on v2: an environment at the cap on v1 drops under it once versions replace its overrides', async () => {
    await setLimits({ max_segment_overrides_per_environment: 3 });
    const w = await world({ v1: true });
    const [a, b] = w.features as [number, number];
    for (const [feature, segment] of [[a, w.segments[0]], [a, w.segments[1]], [b, w.segments[0]]] as const) {
      const fseg = await api.op('createFeatureSegment', { body: { feature, segment, environment: w.env.id } });
      expect(fseg.status).toBe(201);
      const state = await api.op('createFeatureState', { body: { feature, environment: w.env.id, feature_segment: fseg.body.id, enabled: true, feature_state_value: stringValue('on') } });
      expect(state.status).toBe(201);
    }
    const atCap = await api.op('createFeatureSegment', { body: { feature: b, segment: w.segments[1], environment: w.env.id } });
    expect(atCap.status).toBe(400);
    expect(atCap.body).toMatchObject({ code: 'LIMIT_EXCEEDED', details: { limit: LIMIT, max: 3 } });

    await enableV2(api, w.env.id);
    // The initial versions hold the v1 overrides: still at the cap, by either count.
    expect(await liveCount(w)).toBe(3);
    const stillAtCap = await draft(w, b, { feature_states_to_create: overrides([w.segments[1]!]) });
    expect((await api.op('publishFeatureVersion', { params: at(w, b, { uuid: stillAtCap.uuid }) })).body).toMatchObject({ code: 'LIMIT_EXCEEDED' });

    // A new version of feature a drops one override: the old version's rows stay as history.
    await publishNow(w, a, { segment_ids_to_delete_overrides: [w.segments[1]] });
    expect(await featureSegmentRows(w)).toBeGreaterThan(3);
    expect(await liveCount(w)).toBe(2);
    const fits = await api.op('publishFeatureVersion', { params: at(w, b, { uuid: stillAtCap.uuid }) });
    expect(fits.status).toBe(200);
    expect(await liveCount(w)).toBe(3);

    // Many versions of a feature with overrides add rows but not to the count.
    for (let i = 0; i < 3; i++) await publishNow(w, a, { feature_states_to_update: [{ feature_segment: { segment: w.segments[0] }, feature_state_value: stringValue(`v${i}`) }] });
    expect(await featureSegmentRows(w)).toBeGreaterThanOrEqual(8);
    expect(await liveCount(w)).toBe(3);
    // On v2 the feature-segments route adds to a draft (issue 10 §2.3); the count applies when it goes live.
    const d = await draft(w, a, {});
    const legacy = await api.op('createFeatureSegment', { body: { feature: a, segment: w.segments[2], environment: w.env.id, environment_feature_version: d.uuid } });
    expect(legacy.status).toBe(201);
    expect((await api.op('publishFeatureVersion', { params: at(w, a, { uuid: d.uuid }) })).body).toMatchObject({ code: 'LIMIT_EXCEEDED', details: { limit: LIMIT, max: 3 } });
    await publishNow(w, b, { segment_ids_to_delete_overrides: [w.segments[1]] });
    expect((await api.op('publishFeatureVersion', { params: at(w, a, { uuid: d.uuid }) })).status).toBe(200);
    expect(await liveCount(w)).toBe(3);
  });

  test('create with publish_immediately and restore are checked like publish, and write nothing when refused', async () => {
    await setLimits({ max_segment_overrides_per_environment: 2 });
    const w = await world();
    const [a, b] = w.features as [number, number];
    const withTwo = await publishNow(w, a, { feature_states_to_create: overrides(w.segments.slice(0, 2)) });
    await publishNow(w, a, { segment_ids_to_delete_overrides: w.segments.slice(0, 2) });
    await publishNow(w, b, { feature_states_to_create: overrides([w.segments[2]!]) });

    const versions = await versionRows(w);
    const immediate = await api.op('createFeatureVersion', { params: at(w, a), body: { feature_states_to_create: overrides([w.segments[3]!, w.segments[0]!]), publish_immediately: true } });
    expect(immediate.status).toBe(400);
    expect(immediate.body).toMatchObject({ code: 'LIMIT_EXCEEDED', details: { limit: LIMIT, max: 2, count: 3 } });
    expect(await versionRows(w)).toBe(versions);

    const liveA = await live(w, a);
    const restore = await api.op('restoreFeatureVersion', { params: at(w, a, { uuid: withTwo.uuid }) });
    expect(restore.status).toBe(400);
    expect(restore.body).toMatchObject({ code: 'LIMIT_EXCEEDED', details: { limit: LIMIT, max: 2, count: 3 } });
    expect(await versionRows(w)).toBe(versions);
    expect(await live(w, a)).toBe(liveA);

    await setLimits({ max_segment_overrides_per_environment: 3 });
    const restored = await api.op('restoreFeatureVersion', { params: at(w, a, { uuid: withTwo.uuid }) });
    expect(restored.status).toBe(201);
    expect(await liveCount(w)).toBe(3);
  });

  test('a version that adds no override goes live even when the environment is above a lowered limit', async () => {
    await setLimits({ max_segment_overrides_per_environment: 5 });
    const w = await world();
    const [a] = w.features as [number];
    await publishNow(w, a, { feature_states_to_create: overrides(w.segments.slice(0, 3)) });
    await setLimits({ max_segment_overrides_per_environment: 1 });

    await publishNow(w, a, { feature_states_to_update: [{ feature_segment: { segment: w.segments[0] }, enabled: false }, { feature_segment: null, enabled: true }] });
    await publishNow(w, a, { segment_ids_to_delete_overrides: [w.segments[2]] });
    expect(await liveCount(w)).toBe(2);
    // Swapping one override for another keeps the count: allowed.
    await publishNow(w, a, { segment_ids_to_delete_overrides: [w.segments[1]], feature_states_to_create: overrides([w.segments[3]!]) });
    const more = await api.op('createFeatureVersion', { params: at(w, a), body: { feature_states_to_create: overrides([w.segments[1]!]), publish_immediately: true } });
    expect(more.body).toMatchObject({ code: 'LIMIT_EXCEEDED', details: { limit: LIMIT, max: 1, count: 3 } });
  });

  test('a scheduled version is checked when scheduled and again at live_from, where one over the limit is left in conflict with an audit entry naming the limit', async () => {
    await setLimits({ max_segment_overrides_per_environment: 2 });
    const w = await world();
    const [a, b] = w.features as [number, number];
    const inAnHour = () => new Date(api.clock.now().getTime() + 3600_000).toISOString();

    const tooMany = await draft(w, a, { feature_states_to_create: overrides(w.segments.slice(0, 3)) });
    const refused = await api.op('publishFeatureVersion', { params: at(w, a, { uuid: tooMany.uuid }), body: { live_from: inAnHour() } });
    expect(refused.body).toMatchObject({ code: 'LIMIT_EXCEEDED', details: { limit: LIMIT } });

    const scheduled = await draft(w, a, { feature_states_to_create: overrides(w.segments.slice(0, 2)) });
    expect((await api.op('publishFeatureVersion', { params: at(w, a, { uuid: scheduled.uuid }), body: { live_from: inAnHour() } })).body).toMatchObject({ status: 'scheduled' });
    // Meanwhile feature b takes the room.
    await publishNow(w, b, { feature_states_to_create: overrides([w.segments[3]!]) });
    const liveA = await live(w, a);

    advance(3600_000);
    await api.built.services.versions.publishDueVersions();
    const v = await api.op('getFeatureVersion', { params: at(w, a, { uuid: scheduled.uuid }) });
    expect(v.body).toMatchObject({ status: 'conflict', is_live: false, conflicts: [] });
    expect(await live(w, a)).toBe(liveA);
    expect(await liveCount(w)).toBe(1);
    const audit = await auditOf(scheduled.uuid);
    expect(audit).toHaveLength(1);
    expect(audit[0]!.log).toContain(LIMIT);
    // Left in conflict, it is not retried and can be deleted.
    expect(await api.built.services.versions.publishDueVersions()).toBe(0);
    expect((await api.op('deleteFeatureVersion', { params: at(w, a, { uuid: scheduled.uuid }) })).status).toBe(204);
  });

  test('the versions list hides versions that went live before feature_history_visibility_days, except the live one; drafts and scheduled versions show', async () => {
    await setLimits({ max_segment_overrides_per_environment: 100, feature_history_visibility_days: 7 });
    const w = await world({ features: 1 });
    const [a] = w.features as [number];
    try {
      const initial = await live(w, a);
      advance(10 * DAY);
      const old = await publishNow(w, a, { feature_states_to_update: [{ feature_segment: null, enabled: true }] });
      advance(10 * DAY);
      const list = async (query: Record<string, string | number | boolean> = {}) => {
        const r = await api.op('listFeatureVersions', { params: at(w, a), query });
        expect(r.status).toBe(200);
        return r.body as { count: number; results: { uuid: string; is_live: boolean }[] };
      };
      // Only the live version is left in the window: it is listed though 10 days old.
      expect((await list()).results.map((v) => v.uuid)).toEqual([old.uuid]);

      advance(DAY);
      const recent = await publishNow(w, a, { feature_states_to_update: [{ feature_segment: null, enabled: false }] });
      const pending = await draft(w, a, { description: 'pending' });
      const scheduled = await draft(w, a, { description: 'later' });
      await api.op('publishFeatureVersion', { params: at(w, a, { uuid: scheduled.uuid }), body: { live_from: new Date(api.clock.now().getTime() + DAY).toISOString() } });
      const visible = await list();
      expect(visible.count).toBe(3);
      expect(new Set(visible.results.map((v) => v.uuid))).toEqual(new Set([recent.uuid, pending.uuid, scheduled.uuid]));
      expect(visible.results.find((v) => v.uuid === recent.uuid)).toMatchObject({ is_live: true });
      expect((await list({ is_live: true })).results.map((v) => v.uuid)).toEqual([recent.uuid]);
      expect((await list({ page_size: 1 })).count).toBe(3);

      // Reading a version by uuid is not limited (Flagsmith limits the list only).
      for (const uuid of [initial!, old.uuid]) {
        expect((await api.op('getEnvironmentFeatureVersion', { params: { uuid } })).status).toBe(200);
        expect((await api.op('getFeatureVersion', { params: at(w, a, { uuid }) })).status).toBe(200);
      }

      await setLimits({ feature_history_visibility_days: null });
      expect((await list()).count).toBe(5);
    } finally {
      await setLimits({ feature_history_visibility_days: null });
    }
  });
});
