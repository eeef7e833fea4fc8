import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { TestApi } from '../../support/api-harness.js';
import { DIALECTS } from '../../support/databases.js';
import { buildApp } from '../../../sync-server/app/build-app.js';
import { at, stringValue, v2World, type V2World } from '../../support/versions-fixtures.js';

// Many requests per test on a shared, busy machine: generous limits (no timing is asserted).
vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

/** Scheduling (D4), staleness (D8) and one chain per feature under concurrent publishes (ADR 0005). */
describe.each(DIALECTS)('scheduled and concurrent versions on %s', (dialect) => {
  const api = new TestApi(dialect);
  const k = () => api.testDb.db.kysely;
  const HOUR = 3600_000;

  beforeAll(() => api.start());
  afterAll(() => api.stop());

  async function world(segments = 2): Promise<V2World> {
    const w = await v2World(api, { segments });
    await api.op('createEnvironmentWebhook', { params: { api_key: w.env.api_key }, body: { url: 'http://127.0.0.1:9/hook' } });
    return w;
  }
  async function draft(w: V2World, body: Record<string, unknown>) {
    const r = await api.op('createFeatureVersion', { params: at(w), body });
    if (r.status !== 201) throw new Error(`createFeatureVersion failed: ${JSON.stringify(r.body)}`);
    return r.body as { uuid: string };
  }
  async function publishNow(w: V2World, body: Record<string, unknown>) {
    const r = await api.op('createFeatureVersion', { params: at(w), body: { ...body, publish_immediately: true } });
    if (r.status !== 201) throw new Error(`publish failed: ${JSON.stringify(r.body)}`);
    return r.body as { uuid: string };
  }
  const live = async (w: V2World) => (await api.built.services.versions.liveVersionUuids(w.env.id)).get(w.feature);
  const version = async (uuid: string) => (await api.op('getEnvironmentFeatureVersion', { params: { uuid } })).body;
  const content = async (uuid: string) => JSON.parse((await k().selectFrom('environment_feature_versions').select('content_json').where('uuid', '=', uuid).executeTakeFirstOrThrow()).content_json);
  const eventTypes = async (w: V2World) => (await k().selectFrom('events').select('event_type').where('environment_id', '=', w.env.id).orderBy('id').execute()).map((e) => e.event_type);
  const auditOf = (uuid: string) => k().selectFrom('audit_log').selectAll().where('related_object_uuid', '=', uuid).execute();
  const inAnHour = () => new Date(api.clock.now().getTime() + HOUR).toISOString();
  const advance = (ms: number) => (api.clock as unknown as { advanceMs(ms: number): void }).advanceMs(ms);

  test('a future live_from schedules the version: not live, no webhooks or audit until the clock passes it', async () => {
    const w = await world();
    const before = await live(w);
    const d = await draft(w, { feature_states_to_update: [{ feature_segment: null, enabled: true }] });
    const liveFrom = inAnHour();
    const r = await api.op('publishFeatureVersion', { params: at(w, { uuid: d.uuid }), body: { live_from: liveFrom } });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ status: 'scheduled', published: true, is_live: false, live_from: liveFrom });
    expect(await live(w)).toBe(before);
    expect(await eventTypes(w)).toEqual([]);
    expect(await auditOf(d.uuid)).toEqual([]);

    advance(HOUR - 1000);
    await api.built.services.jobs.runOnce();
    expect((await version(d.uuid)).status).toBe('scheduled');
    expect(await live(w)).toBe(before);

    advance(1000);
    await api.built.services.jobs.runOnce();
    expect(await version(d.uuid)).toMatchObject({ status: 'published', is_live: true, live_from: liveFrom, previous_version_uuid: before });
    expect(await live(w)).toBe(d.uuid);
    expect(await eventTypes(w)).toEqual(['NEW_VERSION_PUBLISHED', 'FLAG_UPDATED']);
    const audit = await auditOf(d.uuid);
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ related_object_type: 'EF_VERSION', related_object_id: null });
    expect(Boolean(audit[0]!.is_system_event)).toBe(true);
    // A second pass finds nothing due: nothing is published twice.
    await api.built.services.jobs.runOnce();
    expect(await eventTypes(w)).toEqual(['NEW_VERSION_PUBLISHED', 'FLAG_UPDATED']);
  });

  test('a live_from in the past publishes now', async () => {
    const w = await world();
    const d = await draft(w, { feature_states_to_update: [{ feature_segment: null, enabled: true }] });
    const r = await api.op('publishFeatureVersion', { params: at(w, { uuid: d.uuid }), body: { live_from: '2020-01-01T00:00:00.000Z' } });
    expect(r.body).toMatchObject({ status: 'published', is_live: true, live_from: api.clock.now().toISOString() });
    expect(await live(w)).toBe(d.uuid);
    // Scripts often POST publish with no body at all: that is "now" too.
    const next = await draft(w, { feature_states_to_update: [{ feature_segment: null, enabled: false }] });
    const bare = await api.op('publishFeatureVersion', { params: at(w, { uuid: next.uuid }) });
    expect(bare.status).toBe(200);
    expect(await live(w)).toBe(next.uuid);
    const bad = await api.op('publishFeatureVersion', { params: at(w, { uuid: (await draft(w, {})).uuid }), body: { live_from: 'tomorrow' } });
    expect(bad.status).toBe(400);
    expect(bad.body.details.issues[0].path).toBe('body/live_from');
  });

  test('a server that was down at live_from publishes the scheduled version when it starts again', async () => {
    const w = await world();
    const d = await draft(w, { feature_states_to_update: [{ feature_segment: null, feature_state_value: stringValue('later') }] });
    await api.op('publishFeatureVersion', { params: at(w, { uuid: d.uuid }), body: { live_from: inAnHour() } });
    // "Down": the first app stops; the clock passes live_from; a new app starts on the same database.
    await api.built.services.jobs.stop();
    await api.built.app.close();
    advance(3 * HOUR);
    api.built = await buildApp({ db: api.testDb.db, clock: api.clock });
    expect((await version(d.uuid)).status).toBe('scheduled');
    await api.built.services.jobs.runOnce();
    expect((await version(d.uuid)).status).toBe('published');
    expect(await live(w)).toBe(d.uuid);
  });

  test('two server instances passing over the same due version publish it once', async () => {
    const w = await world();
    const d = await draft(w, { feature_states_to_update: [{ feature_segment: null, enabled: true }] });
    await api.op('publishFeatureVersion', { params: at(w, { uuid: d.uuid }), body: { live_from: inAnHour() } });
    advance(HOUR);
    const second = await buildApp({ db: api.testDb.db, clock: api.clock });
    try {
      await Promise.all([api.built.services.versions.publishDueVersions(), second.services.versions.publishDueVersions()]);
    } finally {
      await second.app.close();
    }
    expect(await live(w)).toBe(d.uuid);
    expect((await eventTypes(w)).filter((t) => t === 'NEW_VERSION_PUBLISHED')).toHaveLength(1);
    expect(await auditOf(d.uuid)).toHaveLength(1);
  });

  test('publishing a stale draft merges disjoint changes published since its base', async () => {
    const w = await world();
    const d = await draft(w, { feature_states_to_create: [{ feature_segment: { segment: w.segments[0] }, enabled: true }] });
    const newer = await publishNow(w, { feature_states_to_update: [{ feature_segment: null, enabled: true, feature_state_value: stringValue('newer') }] });
    const r = await api.op('publishFeatureVersion', { params: at(w, { uuid: d.uuid }), body: {} });
    expect(r.status).toBe(200);
    expect(await version(d.uuid)).toMatchObject({ previous_version_uuid: newer.uuid, base_version_uuid: newer.uuid });
    const states = (await api.op('listFeatureVersionFeatureStates', { params: at(w, { uuid: d.uuid }) })).body;
    expect(states.map((s: any) => [s.feature_segment?.segment ?? null, s.enabled, s.feature_state_value.string_value])).toEqual([
      [null, true, 'newer'],
      [w.segments[0], true, null],
    ]);
  });

  test('publishing a draft whose change overlaps a newer one answers 400 with the conflicts; it stays a draft', async () => {
    const w = await world();
    const d = await draft(w, { feature_states_to_update: [{ feature_segment: null, feature_state_value: stringValue('mine') }] });
    const newer = await publishNow(w, { feature_states_to_update: [{ feature_segment: null, feature_state_value: stringValue('theirs') }] });
    const r = await api.op('publishFeatureVersion', { params: at(w, { uuid: d.uuid }), body: {} });
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ code: 'PRECONDITION_FAILED', details: { reason: 'VERSION_CONFLICT', live_version_uuid: newer.uuid } });
    expect(r.body.details.conflicts).toEqual([
      { path: 'environmentDefault.value', field: 'value', segment_id: null, option_id: null, base: stringValue(null), live: stringValue('theirs'), mine: stringValue('mine') },
    ]);
    expect((await version(d.uuid)).status).toBe('draft');
    expect(await live(w)).toBe(newer.uuid);
  });

  test('a scheduled version merges disjoint newer changes when it goes live, rewriting its rows', async () => {
    const w = await world();
    const d = await draft(w, { feature_states_to_create: [{ feature_segment: { segment: w.segments[1] }, enabled: true, feature_state_value: stringValue('scheduled') }] });
    await api.op('publishFeatureVersion', { params: at(w, { uuid: d.uuid }), body: { live_from: inAnHour() } });
    const newer = await publishNow(w, { feature_states_to_update: [{ feature_segment: null, enabled: true }] });
    advance(HOUR);
    await api.built.services.jobs.runOnce();
    expect(await version(d.uuid)).toMatchObject({ status: 'published', is_live: true, previous_version_uuid: newer.uuid });
    expect(await live(w)).toBe(d.uuid);
    const merged = await content(d.uuid);
    expect(merged.environmentDefault.enabled).toBe(true);
    expect(merged.segmentOverrides[String(w.segments[1])]).toMatchObject({ enabled: true, value: stringValue('scheduled') });
    const states = (await api.op('listFeatureVersionFeatureStates', { params: at(w, { uuid: d.uuid }) })).body;
    expect(states.map((s: any) => [s.feature_segment?.segment ?? null, s.enabled])).toEqual([
      [null, true],
      [w.segments[1], true],
    ]);
  });

  test('an overlapping scheduled change does not publish: conflict status, audit entry, webhook event and email', async () => {
    const w = await world();
    const d = await draft(w, { feature_states_to_update: [{ feature_segment: null, feature_state_value: stringValue('scheduled') }] });
    const scheduledFor = inAnHour();
    await api.op('publishFeatureVersion', { params: at(w, { uuid: d.uuid }), body: { live_from: scheduledFor } });
    const newer = await publishNow(w, { feature_states_to_update: [{ feature_segment: null, feature_state_value: stringValue('hotfix') }] });
    advance(HOUR);
    await api.built.services.jobs.runOnce();
    const v = await version(d.uuid);
    expect(v).toMatchObject({ status: 'conflict', published: false, is_live: false });
    expect(v.conflicts).toEqual([{ path: 'environmentDefault.value', field: 'value', segment_id: null, option_id: null, base: stringValue(null), live: stringValue('hotfix'), mine: stringValue('scheduled') }]);
    expect(await live(w)).toBe(newer.uuid);
    const audit = await auditOf(d.uuid);
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ related_object_type: 'EF_VERSION', related_object_id: null });
    expect(audit[0]!.log).toContain('was not published');
    const events = await k().selectFrom('events').select(['event_type', 'data_json']).where('environment_id', '=', w.env.id).where('event_type', '=', 'SCHEDULED_VERSION_CONFLICT').execute();
    expect(events).toHaveLength(1);
    expect(JSON.parse(events[0]!.data_json)).toMatchObject({ version_uuid: d.uuid, conflicting_version_uuid: newer.uuid, scheduled_for: scheduledFor, environment: { id: w.env.id, api_key: w.env.api_key }, author: { email: 'admin@example.com' } });
    const emails = await k().selectFrom('emails').selectAll().where('subject', 'like', '%was not published%').execute();
    expect(emails.some((e) => e.to_json.includes('admin@example.com'))).toBe(true);
    // A conflict version is not retried, and can be deleted.
    await api.built.services.jobs.runOnce();
    expect((await version(d.uuid)).status).toBe('conflict');
    expect((await api.op('deleteFeatureVersion', { params: at(w, { uuid: d.uuid }) })).status).toBe(204);
  });

  test('concurrent REST edits of one draft all land (the draft document is locked per edit)', async () => {
    const w = await world(10);
    const d = await draft(w, { feature_states_to_create: w.segments.map((segment) => ({ feature_segment: { segment }, enabled: false })) });
    const states = (await api.op('listFeatureVersionFeatureStates', { params: at(w, { uuid: d.uuid }) })).body as any[];
    const overrides = states.filter((s) => s.feature_segment !== null);
    const results = await Promise.all(
      overrides.map((s) => api.op('partialUpdateFeatureVersionFeatureState', { params: at(w, { uuid: d.uuid, id: s.id }), body: { enabled: true, feature_state_value: stringValue(`v${s.feature_segment.segment}`) } })),
    );
    expect(results.map((r) => r.status)).toEqual(overrides.map(() => 200));
    const after = (await api.op('listFeatureVersionFeatureStates', { params: at(w, { uuid: d.uuid }) })).body as any[];
    expect(after.filter((s) => s.feature_segment !== null).map((s) => [s.id, s.enabled, s.feature_state_value.string_value])).toEqual(
      overrides.map((s) => [s.id, true, `v${s.feature_segment.segment}`]),
    );
    const doc = await content(d.uuid);
    expect(Object.values(doc.segmentOverrides).every((o: any) => o.enabled === true)).toBe(true);
  });

  test('a scheduled version is immutable: it cannot be edited or published again (it can be cancelled, versions-cancel.test.ts)', async () => {
    const w = await world();
    const d = await draft(w, { feature_states_to_update: [{ feature_segment: null, enabled: true }] });
    await api.op('publishFeatureVersion', { params: at(w, { uuid: d.uuid }), body: { live_from: inAnHour() } });
    const [state] = (await api.op('listFeatureVersionFeatureStates', { params: at(w, { uuid: d.uuid }) })).body as any[];
    for (const r of [
      await api.op('publishFeatureVersion', { params: at(w, { uuid: d.uuid }), body: {} }),
      await api.op('partialUpdateFeatureVersionFeatureState', { params: at(w, { uuid: d.uuid, id: state.id }), body: { enabled: false } }),
    ]) {
      expect(r.status).toBe(400);
      expect(r.body.code).toBe('PRECONDITION_FAILED');
    }
    // Run it out so later tests of this file see no due version of this world.
    advance(HOUR);
    await api.built.services.jobs.runOnce();
    expect((await version(d.uuid)).status).toBe('published');
  });

  test('20 concurrent publishes on one feature form one chain: none lost, none duplicated', async () => {
    const w = await world(20);
    const initial = await live(w);
    const drafts: string[] = [];
    for (const segment of w.segments) drafts.push((await draft(w, { feature_states_to_create: [{ feature_segment: { segment }, enabled: true }] })).uuid);
    const results = await Promise.all(drafts.map((uuid) => api.op('publishFeatureVersion', { params: at(w, { uuid }), body: {} })));
    expect(results.map((r) => r.status)).toEqual(drafts.map(() => 200));
    const chain: string[] = [];
    for (let uuid: string | null = (await live(w)) ?? null; uuid !== null; uuid = (await version(uuid)).previous_version_uuid) chain.push(uuid);
    expect(chain).toHaveLength(21);
    expect(chain.at(-1)).toBe(initial);
    expect(new Set(chain.slice(0, 20))).toEqual(new Set(drafts));
    const final = await content(chain[0]!);
    expect(Object.keys(final.segmentOverrides).map(Number).sort((a, b) => a - b)).toEqual([...w.segments].sort((a, b) => a - b));
    expect((await eventTypes(w)).filter((t) => t === 'NEW_VERSION_PUBLISHED')).toHaveLength(20);
    expect((await eventTypes(w)).filter((t) => t === 'FLAG_UPDATED')).toHaveLength(20);
  });
});
