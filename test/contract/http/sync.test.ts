import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import * as Y from 'yjs';
import { TestApi } from '../../support/api-harness.js';
import { DIALECTS } from '../../support/databases.js';
import { addMember, createEnvironment, createProject, otherOrganisation, type TestUser } from '../../support/tenancy.js';
import { at, insertFeature, insertSegment, stringValue, v2World, type V2World } from '../../support/versions-fixtures.js';
import { createDraftDoc, loadDraftDoc, readDraftDoc, setEnabled, setValue, upsertSegmentOverride } from '../../../src-shared/domain/versioning/draft-doc.js';
import type { VersionContent } from '../../../src-shared/domain/versioning/version-content.js';

// Many requests per test on a shared, busy machine: generous limits (no timing is asserted).
vi.setConfig({ testTimeout: 60_000, hookTimeout: 120_000 });

type Doc = Record<string, any> & { id: string; seq: number; _deleted: boolean };
interface Pulled {
  documents: Doc[];
  checkpoint: { sequence: number };
}

const b64 = (u: Uint8Array) => Buffer.from(u).toString('base64');
const docOf = (d: Doc) => loadDraftDoc(new Uint8Array(Buffer.from(d.state as string, 'base64')));

describe.each(DIALECTS)('sync endpoints on %s', (dialect) => {
  const api = new TestApi(dialect);
  let w: V2World;
  let viewer: TestUser;
  let member: TestUser;
  let rival: { organisationId: number; admin: TestUser };

  async function pull(collection: string, checkpoint = 0, limit?: number, auth?: string): Promise<Pulled> {
    const r = await api.op<Pulled>('syncPull', { params: { collection }, query: { checkpoint, limit }, ...(auth ? { auth } : {}) });
    if (r.status !== 200) throw new Error(`syncPull failed: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  }
  /** Every document of a collection the caller can see, page by page from `from`. */
  async function pullAll(collection: string, auth?: string, from = 0, limit = 50): Promise<{ docs: Map<string, Doc>; checkpoint: number; pages: number }> {
    const docs = new Map<string, Doc>();
    let checkpoint = from;
    let pages = 0;
    for (;;) {
      const page = await pull(collection, checkpoint, limit, auth);
      pages++;
      for (const d of page.documents) docs.set(d.id, d);
      expect(page.checkpoint.sequence).toBeGreaterThanOrEqual(checkpoint);
      checkpoint = page.checkpoint.sequence;
      if (page.documents.length < limit) return { docs, checkpoint, pages };
    }
  }
  async function push(collection: string, rows: unknown[], auth?: string) {
    return api.op<Doc[]>('syncPush', { params: { collection }, body: rows, ...(auth ? { auth } : {}) });
  }
  async function draftDoc(world: V2World): Promise<Doc> {
    const r = await api.op('createFeatureVersion', { params: at(world), body: {} });
    expect(r.status).toBe(201);
    const { docs } = await pullAll('drafts');
    return docs.get(r.body.uuid)!;
  }
  async function restStates(world: V2World, uuid: string) {
    return (await api.op('listFeatureVersionFeatureStates', { params: at(world, { uuid }) })).body as any[];
  }

  beforeAll(async () => {
    await api.start();
    w = await v2World(api, { segments: 2 });
    viewer = await addMember(api, 'viewer@example.com');
    member = await addMember(api, 'member@example.com');
    rival = await otherOrganisation(api);
    await api.op('createProjectUserPermission', { params: { project_pk: w.project }, body: { user: viewer.id, permissions: ['VIEW_PROJECT'] } });
    await api.op('createEnvironmentUserPermission', { params: { api_key: w.env.api_key }, body: { user: viewer.id, permissions: ['VIEW_ENVIRONMENT'] } });
  });
  afterAll(() => api.stop());

  // ---- pull ----------------------------------------------------------------------------------------

  test('pull pages a collection by change sequence and resumes from a checkpoint with only what changed after it', async () => {
    const project = await createProject(api, 'Paging');
    const ids: number[] = [];
    for (let i = 0; i < 7; i++) ids.push((await insertFeature(api, project.id, { name: `paged-${i}`, optionValues: i === 0 ? ['red', 'blue'] : [] })).id);

    const first = await pullAll('features', undefined, 0, 3);
    expect(first.pages).toBeGreaterThanOrEqual(3);
    const mine = [...first.docs.values()].filter((d) => d.projectId === project.id);
    expect(mine.map((d) => d.name).sort()).toEqual(['paged-0', 'paged-1', 'paged-2', 'paged-3', 'paged-4', 'paged-5', 'paged-6']);
    const withOptions = mine.find((d) => d.name === 'paged-0')!;
    expect(withOptions).toMatchObject({ type: 'MULTIVARIATE', organisationId: api.organisationId, _deleted: false });
    expect(withOptions.multivariateOptions.map((o: any) => o.stringValue)).toEqual(['red', 'blue']);

    // Nothing changed: the checkpoint pulls nothing.
    expect((await pull('features', first.checkpoint)).documents).toEqual([]);
    // A checkpoint the feed never reached (a replica of a replaced database) starts over.
    const ahead = await pull('features', first.checkpoint + 1000, 1000);
    expect(ahead.documents.length).toBe(first.docs.size);
    expect(ahead.checkpoint.sequence).toBe(first.checkpoint);

    // A rename and an added option each move one document past the checkpoint, once.
    await api.testDb.db.kysely.updateTable('features').set({ description: 'renamed' }).where('id', '=', ids[3]!).execute();
    await api.testDb.db.kysely.insertInto('multivariate_options').values({ uuid: 'opt-green', feature_id: ids[0]!, type: 'unicode', string_value: 'green', integer_value: null, boolean_value: null, default_percentage_allocation: 0 }).execute();
    const next = await pull('features', first.checkpoint);
    expect(next.documents.map((d) => d.name).sort()).toEqual(['paged-0', 'paged-3']);
    expect(next.documents.find((d) => d.name === 'paged-0')!.multivariateOptions.map((o: any) => o.stringValue)).toEqual(['red', 'blue', 'green']);
    expect(Math.min(...next.documents.map((d) => d.seq))).toBeGreaterThan(first.checkpoint);

    // A deleted feature comes back as a tombstone.
    const deleted = mine.find((d) => d.name === 'paged-6')!;
    await api.testDb.db.kysely.deleteFrom('features').where('id', '=', ids[6]!).execute();
    const after = await pull('features', next.checkpoint.sequence);
    expect(after.documents).toEqual([{ id: deleted.id, seq: expect.any(Number), _deleted: true }]);
  });

  test('pull answers every collection it replicates, with the documents the caller can see', async () => {
    const orgs = await pullAll('organisations');
    expect([...orgs.docs.values()].map((d) => d.pk)).toEqual([api.organisationId]);
    const projects = await pullAll('projects');
    expect([...projects.docs.values()].some((d) => d.pk === w.project)).toBe(true);
    const envs = await pullAll('environments');
    expect(envs.docs.get([...envs.docs.values()].find((d) => d.pk === w.env.id)!.id)).toMatchObject({ useV2FeatureVersioning: true, versioningStatus: 'v2', apiKey: w.env.api_key });
    await insertSegment(api, w.project, 'pulled-segment');
    const segments = await pullAll('segments');
    expect([...segments.docs.values()].find((d) => d.name === 'pulled-segment')).toMatchObject({ projectId: w.project, rules: [] });
    const versions = await pullAll('versions');
    const live = (await api.built.services.versions.liveVersionUuids(w.env.id)).get(w.feature)!;
    expect(versions.docs.get(live)).toMatchObject({ status: 'published', environmentId: w.env.id, featureId: w.feature, content: { environmentDefault: { enabled: false } } });
  });

  test('pull filters by access: members see their organisation, viewers what they may view, other tenants nothing', async () => {
    const hidden = await createProject(api, 'Hidden');
    await insertFeature(api, hidden.id, { name: 'secret-feature' });
    const hiddenEnv = await createEnvironment(api, hidden.id, 'Hidden env');

    // Members see tombstones of their organisation (ids only), never a live document without a grant.
    const memberFeatures = [...(await pullAll('features', member.auth)).docs.values()];
    expect(memberFeatures.filter((d) => !d._deleted)).toEqual([]);
    expect(memberFeatures.every((d) => Object.keys(d).sort().join() === '_deleted,id,seq')).toBe(true);
    expect([...(await pullAll('organisations', member.auth)).docs.values()].map((d) => d.pk)).toEqual([api.organisationId]);

    const viewerFeatures = [...(await pullAll('features', viewer.auth)).docs.values()].filter((d) => !d._deleted);
    expect(viewerFeatures.length).toBeGreaterThan(0);
    expect(viewerFeatures.every((d) => d.projectId === w.project)).toBe(true);
    const viewerEnvs = [...(await pullAll('environments', viewer.auth)).docs.values()].map((d) => d.pk);
    expect(viewerEnvs).toContain(w.env.id);
    expect(viewerEnvs).not.toContain(hiddenEnv.id);

    expect([...(await pullAll('organisations', rival.admin.auth)).docs.values()].map((d) => d.pk)).toEqual([rival.organisationId]);
    for (const collection of ['projects', 'environments', 'features', 'segments', 'versions', 'drafts', 'change_requests', 'intents']) {
      expect([...(await pullAll(collection, rival.admin.auth)).docs.values()].filter((d) => !d._deleted)).toEqual([]);
    }
  });

  test('sync routes need credentials', async () => {
    expect((await api.op('syncPull', { params: { collection: 'features' }, auth: '' })).status).toBe(401);
    expect((await api.op('syncPush', { params: { collection: 'drafts' }, body: [], auth: '' })).status).toBe(401);
    expect((await api.op('syncStream', { query: { max_seconds: 0 }, auth: '' })).status).toBe(401);
  });

  test('pull of an unknown collection and push to a pull-only collection are 400', async () => {
    expect((await api.op('syncPull', { params: { collection: 'widgets' } })).status).toBe(400);
    const r = await api.op('syncPush', { params: { collection: 'features' }, body: [] });
    expect(r.status).toBe(400);
    expect(r.body.details.issues[0].path).toMatch(/collection/);
  });

  // ---- drafts ----------------------------------------------------------------------------------------

  test('a draft pushed with the master it assumed is taken and materialised for the REST API', async () => {
    const d = await draftDoc(w);
    const doc = docOf(d);
    setEnabled(doc, null, true);
    const r = await push('drafts', [{ newDocumentState: { ...d, state: b64(Y.encodeStateAsUpdate(doc)) }, assumedMasterState: d }]);
    expect(r.status).toBe(200);
    expect(r.body).toEqual([]);
    expect((await restStates(w, d.id)).find((s) => s.feature_segment === null)).toMatchObject({ enabled: true });
    const again = (await pullAll('drafts')).docs.get(d.id)!;
    expect(again.seq).toBeGreaterThan(d.seq);
    expect(again.content.environmentDefault.enabled).toBe(true);
  });

  test('concurrent Yjs edits from two replicas both land; the stale one is answered with the merged master', async () => {
    const d = await draftDoc(w);
    const a = docOf(d);
    const b = docOf(d);
    setEnabled(a, null, true);
    setValue(b, null, stringValue('from-b') as never);
    upsertSegmentOverride(b, String(w.segments[0]), { enabled: true, value: stringValue('vip') as never, multivariateWeights: {} });

    const first = await push('drafts', [{ newDocumentState: { ...d, state: b64(Y.encodeStateAsUpdate(a)) }, assumedMasterState: d }]);
    expect(first.body).toEqual([]);
    const second = await push('drafts', [{ newDocumentState: { ...d, state: b64(Y.encodeStateAsUpdate(b)) }, assumedMasterState: d }]);
    expect(second.status).toBe(200);
    expect(second.body).toHaveLength(1);
    const master = second.body[0]!;
    const merged: VersionContent = readDraftDoc(docOf(master));
    expect(merged.environmentDefault).toMatchObject({ enabled: true, value: { string_value: 'from-b' } });
    expect(merged.segmentOverrides[String(w.segments[0])]).toMatchObject({ enabled: true, value: { string_value: 'vip' } });
    expect(master.content).toEqual(merged);

    // Replica A applies the master it got and converges with B.
    Y.applyUpdate(a, new Uint8Array(Buffer.from(master.state, 'base64')));
    Y.applyUpdate(b, new Uint8Array(Buffer.from(master.state, 'base64')));
    expect(readDraftDoc(a)).toEqual(readDraftDoc(b));
    const rest = await restStates(w, d.id);
    expect(rest).toHaveLength(2);
  });

  test('a draft created offline on a replica is created with its id, based on the live version', async () => {
    const live = (await api.built.services.versions.liveVersionUuids(w.env.id)).get(w.feature)!;
    const liveDoc = (await pullAll('versions')).docs.get(live)!;
    const doc = createDraftDoc(liveDoc.content);
    setValue(doc, null, stringValue('offline') as never);
    const id = '7b0f1c1e-5a43-4a43-9e53-1f2a3b4c5d6e';
    const newDoc = { id, seq: 0, environmentId: w.env.id, featureId: w.feature, organisationId: api.organisationId, projectId: w.project, description: 'made offline', baseVersionUuid: live, state: b64(Y.encodeStateAsUpdate(doc)), content: readDraftDoc(doc), createdByUserId: null, createdAt: '2026-06-01T12:00:00.000Z', updatedAt: '2026-06-01T12:00:00.000Z', error: null, _deleted: false };
    const r = await push('drafts', [{ newDocumentState: newDoc, assumedMasterState: null }]);
    expect(r.body).toEqual([]);
    const got = (await api.op('getFeatureVersion', { params: at(w, { uuid: id }) })).body;
    expect(got).toMatchObject({ uuid: id, status: 'draft', base_version_uuid: live, description: 'made offline' });
    expect((await pullAll('drafts')).docs.get(id)!.content.environmentDefault.value.string_value).toBe('offline');
  });

  test('a push to a draft published meanwhile is answered with a tombstone saying why; the version is untouched', async () => {
    const d = await draftDoc(w);
    expect((await api.op('publishFeatureVersion', { params: at(w, { uuid: d.id }), body: {} })).status).toBe(200);
    const doc = docOf(d);
    setEnabled(doc, null, true);
    const r = await push('drafts', [{ newDocumentState: { ...d, state: b64(Y.encodeStateAsUpdate(doc)) }, assumedMasterState: d }]);
    expect(r.body).toEqual([expect.objectContaining({ id: d.id, _deleted: true, error: expect.objectContaining({ code: 'PRECONDITION_FAILED' }) })]);
    expect((await pullAll('versions')).docs.get(d.id)).toMatchObject({ status: 'published', content: d.content });
  });

  test('a draft push by a caller who may not change it is refused per document with the master state', async () => {
    const d = await draftDoc(w);
    const doc = docOf(d);
    setEnabled(doc, null, true);
    const r = await push('drafts', [{ newDocumentState: { ...d, state: b64(Y.encodeStateAsUpdate(doc)) }, assumedMasterState: d }], viewer.auth);
    expect(r.status).toBe(200);
    expect(r.body).toEqual([expect.objectContaining({ id: d.id, _deleted: false, seq: d.seq, error: expect.objectContaining({ code: 'PERMISSION_DENIED' }) })]);
    expect((await restStates(w, d.id)).find((s) => s.feature_segment === null)).toMatchObject({ enabled: false });
    // Another tenant cannot even see it.
    const rivalPush = await push('drafts', [{ newDocumentState: { ...d, state: b64(Y.encodeStateAsUpdate(doc)) }, assumedMasterState: d }], rival.admin.auth);
    expect(rivalPush.body[0]!.error.code).toBe('NOT_FOUND');
  });

  test('a draft push naming a segment of another project is refused and writes nothing', async () => {
    const d = await draftDoc(w);
    const other = await createProject(api, 'Elsewhere');
    const foreign = await insertSegment(api, other.id, 'foreign');
    const doc = docOf(d);
    upsertSegmentOverride(doc, String(foreign), { enabled: true, value: stringValue('x') as never, multivariateWeights: {} });
    const r = await push('drafts', [{ newDocumentState: { ...d, state: b64(Y.encodeStateAsUpdate(doc)) }, assumedMasterState: d }]);
    expect(r.body[0]!.error).toMatchObject({ code: 'VALIDATION_FAILED' });
    expect(await restStates(w, d.id)).toHaveLength(1);
  });

  test('a malformed push is 400 naming the field and writes nothing', async () => {
    const d = await draftDoc(w);
    const r = await push('drafts', [{ newDocumentState: { ...d, state: 42 }, assumedMasterState: d }]);
    expect(r.status).toBe(400);
    expect((r.body as any).details.issues[0].path).toBe('body/0/newDocumentState/state');
    expect((await pullAll('drafts')).docs.get(d.id)!.seq).toBe(d.seq);
  });

  // ---- intents ---------------------------------------------------------------------------------------

  function intent(kind: string, extra: Record<string, unknown>): Doc {
    return { id: crypto.randomUUID(), seq: 0, kind, organisationId: null, projectId: null, environmentId: w.env.id, featureId: w.feature, versionUuid: null, changeRequestId: null, liveFrom: null, createdAt: '2026-06-01T11:00:00.000Z', status: 'pending', result: null, _deleted: false, ...extra };
  }

  test('a publish intent runs on arrival and is answered with its result; pushing it again does not run it twice', async () => {
    const d = await draftDoc(w);
    const i = intent('publish', { versionUuid: d.id });
    const r = await push('intents', [{ newDocumentState: i, assumedMasterState: null }]);
    expect(r.status).toBe(200);
    expect(r.body).toEqual([expect.objectContaining({ id: i.id, status: 'done', result: expect.objectContaining({ code: 'OK', versionUuid: d.id }) })]);
    expect((await api.built.services.versions.liveVersionUuids(w.env.id)).get(w.feature)).toBe(d.id);
    const again = await push('intents', [{ newDocumentState: i, assumedMasterState: null }]);
    expect(again.body).toEqual([expect.objectContaining({ id: i.id, status: 'done', seq: r.body[0]!.seq })]);
    const pulled = (await pullAll('intents')).docs.get(i.id);
    expect(pulled).toMatchObject({ status: 'done', organisationId: api.organisationId, projectId: w.project });
    // Only their author replicates them, and another user reusing the id learns nothing of it.
    expect((await pullAll('intents', viewer.auth)).docs.has(i.id)).toBe(false);
    const reused = await push('intents', [{ newDocumentState: i, assumedMasterState: null }], viewer.auth);
    expect(reused.body).toEqual([expect.objectContaining({ id: i.id, status: 'refused', result: expect.objectContaining({ code: 'PRECONDITION_FAILED', versionUuid: null }) })]);
  });

  test('a schedule intent schedules the draft at its time', async () => {
    const d = await draftDoc(w);
    const i = intent('schedule', { versionUuid: d.id, liveFrom: '2026-07-01T00:00:00.000Z' });
    const r = await push('intents', [{ newDocumentState: i, assumedMasterState: null }]);
    expect(r.body[0]).toMatchObject({ status: 'done', result: { code: 'OK', versionUuid: d.id } });
    expect((await pullAll('versions')).docs.get(d.id)).toMatchObject({ status: 'scheduled', liveFrom: '2026-07-01T00:00:00.000Z' });
  });

  test('a publish intent whose draft is stale on the same field comes back as a conflict, and publishes nothing', async () => {
    const stale = await draftDoc(w);
    const doc = docOf(stale);
    setValue(doc, null, stringValue('mine') as never);
    expect((await push('drafts', [{ newDocumentState: { ...stale, state: b64(Y.encodeStateAsUpdate(doc)) }, assumedMasterState: stale }])).body).toEqual([]);
    // Someone else publishes another value first.
    const theirs = await api.op('createFeatureVersion', { params: at(w), body: { publish_immediately: true, feature_states_to_update: [{ feature_segment: null, enabled: true, feature_state_value: stringValue('theirs') }] } });
    expect(theirs.status).toBe(201);
    const i = intent('publish', { versionUuid: stale.id });
    const r = await push('intents', [{ newDocumentState: i, assumedMasterState: null }]);
    expect(r.body[0]).toMatchObject({ status: 'conflict', result: { code: 'PRECONDITION_FAILED' } });
    expect(r.body[0]!.result.conflicts.length).toBeGreaterThan(0);
    expect((await api.built.services.versions.liveVersionUuids(w.env.id)).get(w.feature)).toBe(theirs.body.uuid);
  });

  test('approve and commit intents run through change requests on arrival', async () => {
    const approver = await addMember(api, `approver-${dialect}@example.com`);
    await api.op('createProjectUserPermission', { params: { project_pk: w.project }, body: { user: approver.id, permissions: ['VIEW_PROJECT'] } });
    await api.op('createEnvironmentUserPermission', { params: { api_key: w.env.api_key }, body: { user: approver.id, permissions: ['VIEW_ENVIRONMENT', 'APPROVE_CHANGE_REQUEST'] } });
    const cr = await api.op('createChangeRequest', { params: { api_key: w.env.api_key }, body: { title: 'via sync', change_sets: [{ feature: w.feature, feature_states_to_update: [{ feature_segment: null, enabled: true, feature_state_value: stringValue('from-cr') }] }] } });
    expect(cr.status).toBe(201);

    // The change request replicates to those who may view its environment.
    const pulledCr = [...(await pullAll('change_requests', viewer.auth)).docs.values()].find((d) => d.pk === cr.body.id);
    expect(pulledCr).toMatchObject({ id: cr.body.uuid, environmentId: w.env.id, changeRequest: { title: 'via sync', is_committed: false, status: 'open' } });
    expect([...(await pullAll('change_requests', rival.admin.auth)).docs.values()].filter((d) => !d._deleted)).toEqual([]);
    const crCheckpoint = (await pull('change_requests', 0)).checkpoint.sequence;

    const ownApproval = intent('approve', { changeRequestId: cr.body.id, featureId: null });
    expect((await push('intents', [{ newDocumentState: ownApproval, assumedMasterState: null }])).body[0]).toMatchObject({ status: 'refused', result: { code: 'PRECONDITION_FAILED' } });
    const approve = intent('approve', { changeRequestId: cr.body.id, featureId: null });
    expect((await push('intents', [{ newDocumentState: approve, assumedMasterState: null }], approver.auth)).body[0]).toMatchObject({ status: 'done', result: { code: 'OK' } });
    expect((await api.op('getChangeRequest', { params: { id: cr.body.id } })).body.current_approvals).toBe(1);

    const commit = intent('commit', { changeRequestId: cr.body.id, featureId: null });
    const committed = await push('intents', [{ newDocumentState: commit, assumedMasterState: null }]);
    expect(committed.body[0]).toMatchObject({ status: 'done', result: { code: 'OK' } });
    const live = (await api.built.services.versions.liveVersionUuids(w.env.id)).get(w.feature)!;
    expect(committed.body[0]!.result.versionUuid).toBe(live);
    expect((await pullAll('versions')).docs.get(live)!.content.environmentDefault.value.string_value).toBe('from-cr');
    // Approving and committing moved the change request's document past the earlier checkpoint.
    const afterCommit = (await pull('change_requests', crCheckpoint)).documents.find((d) => d.pk === cr.body.id);
    expect(afterCommit).toMatchObject({ changeRequest: { is_committed: true, current_approvals: 1 } });

    const elsewhere = intent('commit', { changeRequestId: cr.body.id, featureId: null, environmentId: (await createEnvironment(api, w.project, `cr-other-${dialect}`)).id });
    expect((await push('intents', [{ newDocumentState: elsewhere, assumedMasterState: null }])).body[0]).toMatchObject({ status: 'refused', result: { code: 'VALIDATION_FAILED' } });
  });

  test('intents the caller may not run are refused with the reason', async () => {
    const d = await draftDoc(w);
    const denied = intent('publish', { versionUuid: d.id });
    expect((await push('intents', [{ newDocumentState: denied, assumedMasterState: null }], viewer.auth)).body[0]).toMatchObject({ status: 'refused', result: { code: 'PERMISSION_DENIED' } });
    const hidden = intent('publish', { versionUuid: d.id });
    expect((await push('intents', [{ newDocumentState: hidden, assumedMasterState: null }], rival.admin.auth)).body[0]).toMatchObject({ status: 'refused', result: { code: 'NOT_FOUND' } });
    expect((await pullAll('intents', rival.admin.auth)).docs.size).toBe(0);
    const missing = intent('approve', { changeRequestId: 999999 });
    expect((await push('intents', [{ newDocumentState: missing, assumedMasterState: null }])).body[0]).toMatchObject({ status: 'refused', result: { code: 'NOT_FOUND' } });
    expect((await api.op('getFeatureVersion', { params: at(w, { uuid: d.id }) })).body.status).toBe('draft');
  });

  // ---- stream ----------------------------------------------------------------------------------------

  test('the stream opens with the current checkpoint', async () => {
    const r = await api.op('syncStream', { query: { max_seconds: 0 } });
    expect(r.status).toBe(200);
    expect(String(r.headers['content-type'])).toContain('text/event-stream');
    const current = (await pull('organisations', 0)).checkpoint.sequence;
    expect(r.body).toBe(`event: checkpoint\ndata: ${JSON.stringify({ sequence: current, collections: [] })}\n\n`);
  });

  test('the stream wakes a replica when a collection it can see changes, and not for other tenants', async () => {
    const address = await api.app.listen({ port: 0, host: '127.0.0.1' });
    const open = async (auth: string) => {
      const controller = new AbortController();
      const res = await fetch(`${address}/api/v1/sync/stream/?max_seconds=30`, { headers: { authorization: auth }, signal: controller.signal });
      const reader = res.body!.getReader();
      const decoder = new TextDecoder();
      let buffer = '';
      const next = async (): Promise<{ event: string; data: any }> => {
        for (;;) {
          const end = buffer.indexOf('\n\n');
          if (end >= 0) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            if (block.startsWith(':')) continue;
            const event = /^event: (.*)$/m.exec(block)![1]!;
            return { event, data: JSON.parse(/^data: (.*)$/m.exec(block)![1]!) };
          }
          const chunk = await reader.read();
          if (chunk.done) throw new Error('stream ended');
          buffer += decoder.decode(chunk.value, { stream: true });
        }
      };
      return { next, close: () => controller.abort() };
    };
    const mine = await open(api.adminToken);
    const theirs = await open(rival.admin.auth);
    const start = await mine.next();
    expect(start.event).toBe('checkpoint');
    await theirs.next();

    await insertFeature(api, w.project, { name: 'wakes-the-stream' });
    const woke = await mine.next();
    expect(woke).toEqual({ event: 'checkpoint', data: { sequence: expect.any(Number), collections: ['features'] } });
    expect(woke.data.sequence).toBeGreaterThan(start.data.sequence);
    const pulled = await pull('features', start.data.sequence);
    expect(pulled.documents.map((d) => d.name)).toContain('wakes-the-stream');

    // The rival's stream stays quiet for our write; it wakes for theirs (a new project grants its creator
    // admin, an access change: their replica starts over).
    const rivalProject = await createProject(api, 'Rival project', rival.admin.auth, rival.organisationId);
    const theirWake = await theirs.next();
    expect(theirWake.event === 'resync' || theirWake.data.collections.includes('projects')).toBe(true);
    expect(theirWake.data.collections ?? []).not.toContain('features');
    expect((await pull('projects', 0, 100, rival.admin.auth)).documents.map((d) => d.pk)).toEqual([rivalProject.id]);

    // A new grant makes the viewer's replica start over.
    const watcher = await open(member.auth);
    await watcher.next();
    await api.op('createProjectUserPermission', { params: { project_pk: w.project }, body: { user: member.id, permissions: ['VIEW_PROJECT'] } });
    for (;;) {
      const e = await watcher.next();
      if (e.event === 'resync') break;
    }
    mine.close();
    theirs.close();
    watcher.close();
  });
});
