/**
 * Issue 16 item 1: tenant isolation of the replication endpoints. Every pull and push answer of every
 * sync collection holds only documents the caller may read: another organisation's admin (a user and an
 * organisation API key) and a member without grants push and pull with ids of organisation A's documents
 * and learn nothing of them (no master state, no tombstone), and change nothing.
 */
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import * as Y from 'yjs';
import { TestApi } from '../../support/api-harness.js';
import { DIALECTS } from '../../support/databases.js';
import { addMember, createEnvironment, createProject, otherOrganisation, type TestUser } from '../../support/tenancy.js';
import { at, insertFeature, insertSegment, stringValue, v2World, type V2World } from '../../support/versions-fixtures.js';
import { SYNC_COLLECTION_NAMES, type SyncCollectionName } from '../../../src-shared/contracts/sync/collections.js';
import { createDraftDoc, loadDraftDoc, setValue, upsertSegmentOverride } from '../../../src-shared/domain/versioning/draft-doc.js';

vi.setConfig({ testTimeout: 60_000, hookTimeout: 120_000 });

type Doc = Record<string, any> & { id: string; seq: number; _deleted: boolean };
const b64 = (u: Uint8Array) => Buffer.from(u).toString('base64');
const SECRET = 'acme-secret-override';

describe.each(DIALECTS)('sync tenant isolation on %s', (dialect) => {
  const api = new TestApi(dialect);
  let w: V2World;
  let member: TestUser;
  let rival: { organisationId: number; admin: TestUser };
  let rivalKey: string;
  let rivalEnv: { id: number };
  /** Organisation A's documents (live and tombstones) per collection, as its admin pulls them. */
  const acme = new Map<SyncCollectionName, Map<string, Doc>>();
  let draft: Doc;
  let published: string;
  let intentId: string;

  async function pullAll(collection: string, auth?: string): Promise<Map<string, Doc>> {
    const docs = new Map<string, Doc>();
    for (let checkpoint = 0; ; ) {
      const r = await api.op('syncPull', { params: { collection }, query: { checkpoint, limit: 100 }, ...(auth ? { auth } : {}) });
      expect(r.status).toBe(200);
      for (const d of r.body.documents as Doc[]) docs.set(d.id, d);
      checkpoint = r.body.checkpoint.sequence;
      if (r.body.documents.length < 100) return docs;
    }
  }
  const push = (collection: string, rows: unknown[], auth: string) => api.op<Doc[]>('syncPush', { params: { collection }, body: rows, auth });
  async function snapshot(): Promise<Map<SyncCollectionName, Map<string, Doc>>> {
    const all = new Map<SyncCollectionName, Map<string, Doc>>();
    for (const c of SYNC_COLLECTION_NAMES) all.set(c, await pullAll(c));
    return all;
  }

  beforeAll(async () => {
    await api.start();
    w = await v2World(api, { segments: 1 });
    member = await addMember(api, 'no-grants@example.com');
    rival = await otherOrganisation(api);
    rivalKey = `Api-Key ${(await api.op('createOrganisationApiKey', { params: { organisation_pk: rival.organisationId }, body: { name: 'rival' }, auth: rival.admin.auth })).body.key}`;
    rivalEnv = await createEnvironment(api, (await createProject(api, 'Rival web', rival.admin.auth, rival.organisationId)).id, 'Rival env', rival.admin.auth);

    // A draft whose override holds a value only organisation A may read.
    const created = await api.op('createFeatureVersion', { params: at(w), body: {} });
    expect(created.status).toBe(201);
    const d = (await pullAll('drafts')).get(created.body.uuid)!;
    const doc = loadDraftDoc(new Uint8Array(Buffer.from(d.state, 'base64')));
    upsertSegmentOverride(doc, String(w.segments[0]), { enabled: true, value: stringValue(SECRET) as never, multivariateWeights: {} });
    expect((await push('drafts', [{ newDocumentState: { ...d, state: b64(Y.encodeStateAsUpdate(doc)) }, assumedMasterState: d }], api.adminToken)).body).toEqual([]);
    draft = (await pullAll('drafts')).get(d.id)!;
    expect(JSON.stringify(draft)).toContain(SECRET);
    published = (await api.built.services.versions.liveVersionUuids(w.env.id)).get(w.feature)!;
    const cr = await api.op('createChangeRequest', { params: { api_key: w.env.api_key }, body: { title: 'isolated', change_sets: [{ feature: w.feature, feature_states_to_update: [{ feature_segment: null, enabled: true }] }] } });
    expect(cr.status).toBe(201);
    // An intent of A's admin (scheduling a second draft).
    const second = await api.op('createFeatureVersion', { params: at(w), body: {} });
    intentId = crypto.randomUUID();
    const intent = { id: intentId, seq: 0, kind: 'schedule', environmentId: w.env.id, featureId: w.feature, versionUuid: second.body.uuid, changeRequestId: null, liveFrom: '2026-09-01T00:00:00.000Z', createdAt: '2026-06-01T11:00:00.000Z', status: 'pending', result: null, _deleted: false };
    expect((await push('intents', [{ newDocumentState: intent, assumedMasterState: null }], api.adminToken)).body[0]).toMatchObject({ status: 'done' });

    // Tombstones of every kind: a feature, a segment, a draft, an environment and a whole project go.
    const gone = await createProject(api, 'Doomed');
    const goneEnv = await createEnvironment(api, w.project, 'Doomed env');
    const goneFeature = await insertFeature(api, w.project, { name: 'doomed-feature' });
    const goneSegment = await insertSegment(api, w.project, 'doomed-segment');
    const goneDraft = await api.op('createFeatureVersion', { params: at(w), body: {} });
    await insertFeature(api, gone.id, { name: 'doomed-with-project' });
    await api.testDb.db.kysely.deleteFrom('features').where('id', '=', goneFeature.id).execute();
    await api.testDb.db.kysely.deleteFrom('segments').where('id', '=', goneSegment).execute();
    expect((await api.op('deleteFeatureVersion', { params: at(w, { uuid: goneDraft.body.uuid }) })).status).toBe(204);
    expect((await api.op('deleteEnvironment', { params: { api_key: goneEnv.api_key } })).status).toBe(204);
    expect((await api.op('deleteProject', { params: { id: gone.id } })).status).toBe(204);

    for (const [c, docs] of await snapshot()) acme.set(c, docs);
    for (const c of ['projects', 'environments', 'features', 'segments', 'drafts'] as const) {
      expect([...acme.get(c)!.values()].some((doc) => doc._deleted), `a tombstone in ${c}`).toBe(true);
    }
  });
  afterAll(() => api.stop());

  const callers = () => [
    { name: 'another organisation’s admin', auth: rival.admin.auth, readable: new Set<string>() },
    { name: 'another organisation’s API key', auth: rivalKey, readable: new Set<string>() },
    // A member reads the organisation itself, nothing inside it without a grant.
    { name: 'a member without permissions', auth: member.auth, readable: new Set([...acme.get('organisations')!.keys()]) },
  ];

  test.each(SYNC_COLLECTION_NAMES)('pull of %s hands other callers no document of the organisation, live or deleted', async (collection) => {
    for (const caller of callers()) {
      const seen = [...(await pullAll(collection, caller.auth)).values()].filter((d) => acme.get(collection)!.has(d.id) && !caller.readable.has(d.id));
      expect(seen, `${caller.name} pulling ${collection}`).toEqual([]);
    }
  });

  /** A push answer is the caller's own row refused (or nothing, for a delete of what does not exist for them): never the master's content. */
  function expectNoMasterContent(answer: Doc[], sent: Doc, label: string): void {
    expect(answer.length, label).toBe(sent._deleted ? answer.length : 1);
    expect(answer.length, label).toBeLessThanOrEqual(1);
    for (const a of answer) {
      const text = JSON.stringify(a);
      expect(text, label).not.toContain(SECRET);
      expect(text, label).not.toContain(draft.state);
      expect(text, label).not.toContain('published');
      const { error, status: _s, result, ...rest } = a;
      const { status: _ss, result: _rr, error: _ee, ...mine } = sent;
      expect(rest, label).toEqual(mine);
      expect(error?.code ?? result?.code, label).toBe('NOT_FOUND');
    }
  }

  test('drafts: pushes naming the organisation’s drafts and versions are refused without their master state, and change nothing', async () => {
    const own = createDraftDoc({ environmentDefault: { enabled: true, value: stringValue('mine') as never, multivariateWeights: {} }, segmentOverrides: {} });
    setValue(own, null, stringValue('still mine') as never);
    const state = b64(Y.encodeStateAsUpdate(own));
    const row = (id: string, extra: Record<string, unknown> = {}): Doc => ({
      id, seq: 7, environmentId: rivalEnv.id, featureId: w.feature, organisationId: rival.organisationId, projectId: null, description: 'guess', baseVersionUuid: null,
      state, content: null, createdByUserId: null, createdAt: '2026-06-01T12:00:00.000Z', updatedAt: '2026-06-01T12:00:00.000Z', error: null, _deleted: false, ...extra,
    });
    for (const caller of callers()) {
      const rows = [
        row(draft.id),
        row(draft.id, { environmentId: w.env.id }),
        row(draft.id, { _deleted: true }),
        row(published),
        row(published, { environmentId: w.env.id, _deleted: true }),
      ];
      const stale = { id: draft.id, seq: 1, _deleted: false };
      for (const [i, d] of rows.entries()) {
        const r = await push('drafts', [{ newDocumentState: d, assumedMasterState: i < 2 ? stale : null }], caller.auth);
        expect(r.status, caller.name).toBe(200);
        expectNoMasterContent(r.body, d, `${caller.name} pushing drafts row ${i}`);
      }
    }
    const after = await snapshot();
    expect(after.get('drafts')!.get(draft.id)).toEqual(draft);
    expect(after.get('versions')!.get(published)).toEqual(acme.get('versions')!.get(published));
  });

  test('intents: pushes naming the organisation’s intent, environment or drafts are refused without their content, and run nothing', async () => {
    for (const caller of callers()) {
      const intent = (extra: Record<string, unknown>): Doc => ({
        id: crypto.randomUUID(), seq: 0, kind: 'publish', environmentId: w.env.id, featureId: w.feature, versionUuid: draft.id, changeRequestId: null, liveFrom: null,
        createdAt: '2026-06-01T11:00:00.000Z', status: 'pending', result: null, _deleted: false, ...extra,
      });
      const rows = [intent({ id: intentId }), intent({}), intent({ environmentId: rivalEnv.id }), intent({ kind: 'approve', changeRequestId: 1, featureId: null, versionUuid: null })];
      const r = await push('intents', rows.map((d) => ({ newDocumentState: d, assumedMasterState: null })), caller.auth);
      expect(r.status, caller.name).toBe(200);
      expect(r.body.length).toBe(rows.length);
      r.body.forEach((a, i) => {
        expect(a.status, caller.name).toBe('refused');
        expect(a.id).toBe(rows[i]!.id);
        expect(JSON.stringify(a), caller.name).not.toContain('2026-09-01');
        expect(['NOT_FOUND', 'PRECONDITION_FAILED']).toContain(a.result.code);
      });
    }
    const after = await snapshot();
    expect(after.get('drafts')!.get(draft.id)).toEqual(draft);
    expect(after.get('intents')).toEqual(acme.get('intents'));
    expect(after.get('versions')!.size).toBe(acme.get('versions')!.size);
  });
});
