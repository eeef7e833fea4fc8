import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { TestApi } from '../../support/api-harness.js';
import { DIALECTS } from '../../support/databases.js';
import { addMember, otherOrganisation, type TestUser } from '../../support/tenancy.js';
import { at, v2World, type V2World } from '../../support/versions-fixtures.js';
import { sdkOp } from '../../support/sdk-fixtures.js';
import { createFeature } from '../../support/flag-fixtures.js';

vi.setConfig({ testTimeout: 60_000, hookTimeout: 120_000 });

const rulesOf = (...conditions: object[]) => [{ type: 'ALL', rules: [{ type: 'ANY', rules: [], conditions }], conditions: [] }];
const str = (s: string) => ({ type: 'unicode', string_value: s });

type Flag = { feature: { id: number }; enabled: boolean; feature_state_value: unknown };

/**
 * The impact preview and the one-step revert (issue 14), through the Admin API. Every count a preview
 * gives is checked against what the SDK endpoint answers each identity before and after the change is
 * published: the preview must predict exactly who changes.
 */
describe.each(DIALECTS)('impact preview and revert routes on %s', (dialect) => {
  const api = new TestApi(dialect);
  let w: V2World;
  let segment: number;
  let viewer: TestUser;
  let rival: { organisationId: number; admin: TestUser };
  const identifiers = Array.from({ length: 40 }, (_, i) => `user-${String(i).padStart(2, '0')}`);

  async function createSegment(world: V2World, name: string, conditions: object[]): Promise<number> {
    const r = await api.op('createSegment', { params: { project_pk: world.project }, body: { name, rules: rulesOf(...conditions) } });
    if (r.status !== 201) throw new Error(`createSegment failed: ${JSON.stringify(r.body)}`);
    return r.body.id;
  }
  async function flagsOf(world: V2World, identifier: string): Promise<Flag> {
    const r = await sdkOp<{ flags: Flag[] }>(api, 'getSdkIdentity', world.env.api_key, { query: { identifier } });
    const flag = r.body.flags.find((f) => f.feature.id === world.feature);
    if (!flag) throw new Error(`no flag for ${identifier}: ${JSON.stringify(r.body)}`);
    return flag;
  }
  async function snapshot(world: V2World): Promise<Map<string, Flag>> {
    const out = new Map<string, Flag>();
    for (const id of identifiers) out.set(id, await flagsOf(world, id));
    return out;
  }
  async function draft(world: V2World, body: Record<string, unknown>): Promise<string> {
    const r = await api.op('createFeatureVersion', { params: at(world), body });
    if (r.status !== 201) throw new Error(`createFeatureVersion failed: ${JSON.stringify(r.body)}`);
    return r.body.uuid;
  }
  async function publish(world: V2World, uuid: string): Promise<void> {
    const r = await api.op('publishFeatureVersion', { params: at(world, { uuid }), body: {} });
    if (r.status >= 300) throw new Error(`publish failed: ${JSON.stringify(r.body)}`);
  }
  async function liveUuid(world: V2World): Promise<string | undefined> {
    return (await api.built.services.versions.liveVersionUuids(world.env.id)).get(world.feature);
  }

  beforeAll(async () => {
    await api.start();
    w = await v2World(api, { optionValues: ['red', 'blue'] });
    segment = await createSegment(w, 'pro users', [{ operator: 'EQUAL', property: 'plan', value: 'pro' }]);
    // 40 identities through the SDK: every third is on the pro plan; the rest are free.
    for (const [i, identifier] of identifiers.entries()) {
      const traits = [
        { trait_key: 'plan', trait_value: i % 3 === 0 ? 'pro' : 'free' },
        { trait_key: 'age', trait_value: 20 + i },
      ];
      const r = await sdkOp(api, 'identifySdkIdentity', w.env.api_key, { body: { identifier, traits } });
      if (r.status !== 200) throw new Error(`identify failed: ${JSON.stringify(r.body)}`);
    }
    viewer = await addMember(api, 'viewer@example.com');
    await api.op('createProjectUserPermission', { params: { project_pk: w.project }, body: { user: viewer.id, permissions: ['VIEW_PROJECT'] } });
    await api.op('createEnvironmentUserPermission', { params: { api_key: w.env.api_key }, body: { user: viewer.id, permissions: ['VIEW_ENVIRONMENT'] } });
    rival = await otherOrganisation(api);
  });
  afterAll(() => api.stop());

  test('a draft preview predicts exactly which identities change once it is published, by rule, with examples', async () => {
    const uuid = await draft(w, {
      feature_states_to_update: [{ feature_segment: null, enabled: true }],
      feature_states_to_create: [{ feature_segment: { segment }, enabled: true, feature_state_value: str('pro-value') }],
    });
    const r = await api.op('previewFeatureVersionImpact', { params: at(w, { uuid }), body: {} });
    expect(r.status).toBe(200);
    const preview = r.body;
    expect(preview).toMatchObject({ status: 'done', subject: { kind: 'version', environment_id: w.env.id, feature_id: w.feature, version_uuid: uuid }, progress: { evaluated: 40, total: 40 }, identities_evaluated: 40, merged_with_live: false });

    const before = await snapshot(w);
    await publish(w, uuid);
    const after = await snapshot(w);
    const changed = (pick: (f: Flag) => unknown) => identifiers.filter((id) => pick(before.get(id)!) !== pick(after.get(id)!));
    const feature = preview.features[0];
    expect(feature.changed).toEqual({ any: changed((f) => `${f.enabled}|${JSON.stringify(f.feature_state_value)}`).length, enabled: changed((f) => f.enabled).length, value: changed((f) => f.feature_state_value).length, variant: 0 });
    // Every identity turns on (the default was off); the 14 pro identities also get the override's value.
    expect(feature.changed).toMatchObject({ any: 40, enabled: 40, value: 14 });
    expect(feature.examples.value).toEqual(changed((f) => f.feature_state_value).slice(0, 20));
    expect(feature.examples.enabled).toEqual(identifiers.slice(0, 20));
    expect(feature.rules).toEqual([
      { kind: 'ENVIRONMENT_DEFAULT', segment_id: null, segment_name: null, is_percentage_split: false, identities: 26, changed: 26, variant_split: 0 },
      { kind: 'SEGMENT_OVERRIDE', segment_id: segment, segment_name: 'pro users', is_percentage_split: false, identities: 14, changed: 14, variant_split: 0 },
    ]);
  });

  test('a reweight of the variations moves only the identities in the band that moved, as the SDK then serves', async () => {
    const [red, blue] = w.options;
    const first = await draft(w, { feature_states_to_update: [{ feature_segment: null, multivariate_feature_state_values: [{ multivariate_feature_option: red, percentage_allocation: 50 }, { multivariate_feature_option: blue, percentage_allocation: 50 }] }] });
    await publish(w, first);
    const before = await snapshot(w);
    const uuid = await draft(w, { feature_states_to_update: [{ feature_segment: null, multivariate_feature_state_values: [{ multivariate_feature_option: red, percentage_allocation: 20 }, { multivariate_feature_option: blue, percentage_allocation: 80 }] }] });
    const preview = (await api.op('previewFeatureVersionImpact', { params: at(w, { uuid }), body: {} })).body;
    await publish(w, uuid);
    const after = await snapshot(w);
    const moved = identifiers.filter((id) => before.get(id)!.feature_state_value !== after.get(id)!.feature_state_value);
    const feature = preview.features[0];
    expect(feature.changed.variant).toBe(moved.length);
    expect(feature.changed.value).toBe(moved.length);
    expect(feature.examples.variant).toEqual(moved.slice(0, 20));
    // Only red → blue moves happen when red shrinks from 50% to 20%.
    for (const id of moved) expect([before.get(id)!.feature_state_value, after.get(id)!.feature_state_value]).toEqual(['red', 'blue']);
    // With 20% + 80% every identity the default decides gets a variant; the 14 pro identities keep their override's value.
    const byKind = Object.fromEntries(feature.rules.map((rule: { kind: string }) => [rule.kind, rule]));
    expect(byKind.ENVIRONMENT_DEFAULT).toMatchObject({ identities: 26, variant_split: 26 });
    expect(byKind.SEGMENT_OVERRIDE).toMatchObject({ identities: 14, variant_split: 0, changed: 0 });
  });

  test('a stale draft is previewed merged with what went live since its base', async () => {
    const stale = await draft(w, { feature_states_to_update: [{ feature_segment: { segment }, enabled: false }] });
    await publish(w, await draft(w, { feature_states_to_update: [{ feature_segment: null, enabled: false }] }));
    const r = await api.op('previewFeatureVersionImpact', { params: at(w, { uuid: stale }), body: {} });
    expect(r.status).toBe(200);
    expect(r.body.merged_with_live).toBe(true);
    // Live: default off, pro override on. Merged: default off (from live), pro override off: the 14 pro identities turn off.
    expect(r.body.features[0].changed).toMatchObject({ enabled: 14 });
  });

  test('viewers may preview; another organisation and unknown versions get 404; a v1 draft uuid of another feature is 404', async () => {
    const uuid = await draft(w, { feature_states_to_update: [{ feature_segment: null, enabled: true }] });
    const asViewer = await api.op('previewFeatureVersionImpact', { params: at(w, { uuid }), body: {}, auth: viewer.auth });
    expect(asViewer.status).toBe(200);
    const asRival = await api.op('previewFeatureVersionImpact', { params: at(w, { uuid }), body: {}, auth: rival.admin.auth });
    expect(asRival.status).toBe(404);
    const unknown = await api.op('previewFeatureVersionImpact', { params: at(w, { uuid: '00000000-0000-4000-8000-000000000000' }), body: {} });
    expect(unknown.status).toBe(404);
    expect(unknown.body.code).toBe('NOT_FOUND');
    const other = await v2World(api, { project: w.project });
    const wrongFeature = await api.op('previewFeatureVersionImpact', { params: at(other, { uuid }), body: {} });
    expect(wrongFeature.status).toBe(404);
    const getAsRival = await api.op('getImpactPreview', { params: { id: asViewer.body.id }, auth: rival.admin.auth });
    expect(getAsRival.status).toBe(404);
  });

  test('wait_ms 0 answers 202 with the running preview and where to poll it; GET gives it finished; DELETE cancels', async () => {
    const uuid = await draft(w, { feature_states_to_update: [{ feature_segment: null, enabled: true }] });
    const r = await api.op('previewFeatureVersionImpact', { params: at(w, { uuid }), body: { wait_ms: 0 } });
    expect(r.status).toBe(202);
    expect(r.body.status).toBe('running');
    expect(r.headers.location).toBe(`/api/v1/impact-previews/${r.body.id}/`);
    await api.built.services.impactJobs.wait(r.body.id, 30_000);
    const got = await api.op('getImpactPreview', { params: { id: r.body.id } });
    expect(got.status).toBe(200);
    expect(got.body).toMatchObject({ id: r.body.id, status: 'done', identities_evaluated: 40 });
    expect(got.body.finished_at).not.toBeNull();
    const cancelled = await api.op('cancelImpactPreview', { params: { id: r.body.id } });
    expect(cancelled.status).toBe(204);
    const unknown = await api.op('cancelImpactPreview', { params: { id: 'no-such-preview' } });
    expect(unknown.status).toBe(404);
  });

  test('a change request is previewed as a whole; its revert undoes every feature in one call with one audit entry per new version', async () => {
    // A second feature of the project: created on a v2 environment, it gets its initial version there.
    const featureB = (await createFeature(api, w.project, 'launch_banner')).id;
    const wb = { ...w, feature: featureB };
    const liveA = await liveUuid(w);
    const liveB = await liveUuid(wb);
    const contentBefore = await Promise.all([w, wb].map(async (x) => (await api.op('listFeatureVersionFeatureStates', { params: at(x, { uuid: (await liveUuid(x))! }) })).body));

    const created = await api.op('createChangeRequest', {
      params: { api_key: w.env.api_key },
      body: {
        title: 'Launch',
        change_sets: [
          { feature: w.feature, feature_states_to_update: [{ feature_segment: null, enabled: true, feature_state_value: str('launched') }] },
          { feature: featureB, feature_states_to_update: [{ feature_segment: null, enabled: true }] },
        ],
      },
    });
    expect(created.status).toBe(201);
    const preview = await api.op('previewChangeRequestImpact', { params: { id: created.body.id }, body: {} });
    expect(preview.status).toBe(200);
    expect(preview.body.subject).toMatchObject({ kind: 'change_request', change_request_id: created.body.id });
    expect(preview.body.features.map((f: { feature_id: number }) => f.feature_id)).toEqual([w.feature, featureB]);
    expect(preview.body.changed_any).toBe(40);

    expect((await api.op('commitChangeRequest', { params: { id: created.body.id } })).status).toBe(200);
    expect(await liveUuid(w)).not.toBe(liveA);
    expect(await liveUuid(wb)).not.toBe(liveB);

    const revertPreview = await api.op('previewChangeRequestImpact', { params: { id: created.body.id }, body: { revert: true } });
    expect(revertPreview.status).toBe(200);
    expect(revertPreview.body.subject.kind).toBe('change_request_revert');
    expect(revertPreview.body.changed_any).toBe(40);

    const auditBefore = await api.testDb.db.kysely.selectFrom('audit_log').select('log').where('environment_id', '=', w.env.id).execute();
    const reverted = await api.op('revertChangeRequest', { params: { id: created.body.id }, body: {} });
    expect(reverted.status).toBe(201);
    expect(reverted.body.skipped).toEqual([]);
    expect(reverted.body.change_request).toBeNull();
    expect(reverted.body.reverted.map((x: { feature: number }) => x.feature)).toEqual([w.feature, featureB]);
    const contentAfter = await Promise.all([w, wb].map(async (x) => (await api.op('listFeatureVersionFeatureStates', { params: at(x, { uuid: (await liveUuid(x))! }) })).body));
    type State = { enabled: boolean; feature_state_value: unknown; feature_segment: { segment: number; priority: number } | null; multivariate_feature_state_values: { multivariate_feature_option: number; percentage_allocation: number }[] };
    const shape = (states: State[]) =>
      states
        .map((s) => [s.feature_segment?.segment ?? null, s.feature_segment?.priority ?? null, s.enabled, s.feature_state_value, s.multivariate_feature_state_values.map((m) => [m.multivariate_feature_option, m.percentage_allocation])])
        .sort((a, b) => Number(a[0]) - Number(b[0]));
    expect(contentAfter.map(shape)).toEqual(contentBefore.map(shape));
    const auditAfter = await api.testDb.db.kysely.selectFrom('audit_log').select('log').where('environment_id', '=', w.env.id).execute();
    const added = auditAfter.slice(auditBefore.length).map((a) => a.log);
    expect(added.filter((l) => l.startsWith('New version published for feature')).length).toBe(2);
    expect(added).toContain('Change request reverted: Launch');
  });

  test('a feature that changed again since blocks the revert with a clear answer; skip_conflicting reverts the others', async () => {
    const wb = { ...w, feature: (await createFeature(api, w.project, 'pair_banner')).id };
    const created = await api.op('createChangeRequest', {
      params: { api_key: w.env.api_key },
      body: {
        title: 'Pair',
        change_sets: [
          { feature: w.feature, feature_states_to_update: [{ feature_segment: null, feature_state_value: str('pair-a') }] },
          { feature: wb.feature, feature_states_to_update: [{ feature_segment: null, feature_state_value: str('pair-b') }] },
        ],
      },
    });
    await api.op('commitChangeRequest', { params: { id: created.body.id } });
    await publish(wb, await draft(wb, { feature_states_to_update: [{ feature_segment: null, feature_state_value: str('later') }] }));
    const liveA = await liveUuid(w);
    const liveB = await liveUuid(wb);

    const blocked = await api.op('revertChangeRequest', { params: { id: created.body.id }, body: {} });
    expect(blocked.status).toBe(409);
    expect(blocked.body.code).toBe('REVISION_CONFLICT');
    expect(blocked.body.details.conflicts).toEqual([{ feature: wb.feature, feature_name: expect.any(String), reason: `it changed again since: version ${liveB} is live now`, live_version_uuid: liveB }]);
    expect(await liveUuid(w)).toBe(liveA);
    expect(await liveUuid(wb)).toBe(liveB);

    const partial = await api.op('revertChangeRequest', { params: { id: created.body.id }, body: { skip_conflicting: true } });
    expect(partial.status).toBe(201);
    expect(partial.body.reverted.map((x: { feature: number }) => x.feature)).toEqual([w.feature]);
    expect(partial.body.skipped.map((x: { feature: number }) => x.feature)).toEqual([wb.feature]);
    expect(await liveUuid(w)).not.toBe(liveA);
    expect(await liveUuid(wb)).toBe(liveB);

    const open = await api.op('createChangeRequest', { params: { api_key: w.env.api_key }, body: { title: 'Open', change_sets: [{ feature: w.feature, feature_states_to_update: [{ feature_segment: null, enabled: false }] }] } });
    const notCommitted = await api.op('revertChangeRequest', { params: { id: open.body.id }, body: {} });
    expect(notCommitted.status).toBe(400);
    expect(notCommitted.body.details.reason).toBe('NOT_COMMITTED');
  });

  test('on an environment that requires approvals the revert is a new change request, and nothing is published', async () => {
    const world = await v2World(api, { project: w.project });
    const created = await api.op('createChangeRequest', { params: { api_key: world.env.api_key }, body: { title: 'Guarded', change_sets: [{ feature: world.feature, feature_states_to_update: [{ feature_segment: null, enabled: true }] }] } });
    await api.op('commitChangeRequest', { params: { id: created.body.id } });
    const env = await api.op('partialUpdateEnvironment', { params: { api_key: world.env.api_key }, body: { minimum_change_request_approvals: 1 } });
    expect(env.status).toBe(200);
    const live = await liveUuid(world);
    const r = await api.op('revertChangeRequest', { params: { id: created.body.id }, body: {} });
    expect(r.status).toBe(201);
    expect(r.body.reverted).toEqual([]);
    expect(typeof r.body.change_request).toBe('number');
    expect(await liveUuid(world)).toBe(live);
    const request = await api.op('getChangeRequest', { params: { id: r.body.change_request } });
    expect(request.body).toMatchObject({ title: 'Revert: Guarded', is_committed: false, required_approvals: 1 });
    expect(request.body.change_sets[0]).toMatchObject({ feature: world.feature, base_version_uuid: live });
  });
});
