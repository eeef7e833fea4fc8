import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { TestApi } from '../../support/api-harness.js';
import { DIALECTS } from '../../support/databases.js';
import { eventsFixtures } from '../../support/events-fixtures.js';
import type { AuditEntryInput } from '../../../sync-server/modules/audit/audit.service.js';

describe.each(DIALECTS)('audit log routes on %s', (dialect) => {
  const api = new TestApi(dialect);
  const fx = eventsFixtures(api);
  let projectA: number;
  let projectB: number;
  let envA1: { id: number; apiKey: string };
  let envA2: { id: number; apiKey: string };
  let auditor: { id: number; auth: string };
  let outsider: { id: number; auth: string };
  let other: { id: number; adminAuth: string };
  let otherEntryId: number;

  async function record(entry: Omit<AuditEntryInput, 'organisationId' | 'relatedObjectType'> & Partial<AuditEntryInput>, organisationId = api.organisationId) {
    return api.testDb.db.transaction((trx) => api.built.services.audit.record(trx, null, { organisationId, relatedObjectType: 'FEATURE', ...entry }));
  }

  beforeAll(async () => {
    await api.start();
    projectA = await fx.project('Alpha');
    projectB = await fx.project('Beta');
    envA1 = await fx.environment(projectA, 'Development');
    envA2 = await fx.environment(projectA, 'Production');
    auditor = await fx.user('auditor@example.com');
    await fx.grantProject(auditor.id, projectA, ['VIEW_PROJECT', 'VIEW_AUDIT_LOG']);
    outsider = await fx.user('outsider@example.com');
    await fx.grantProject(outsider.id, projectA, ['VIEW_PROJECT']);
    other = await fx.otherOrganisation();

    api.clock.set('2026-06-02T00:00:00.000Z');
    await record({ projectId: projectA, log: 'New Flag / Remote Config created: beta', relatedObjectId: 1 });
    api.clock.set('2026-06-03T00:00:00.000Z');
    await record({ environmentId: envA1.id, log: 'Flag state updated for feature: beta', relatedObjectType: 'FEATURE_STATE', relatedObjectId: 7 });
    api.clock.set('2026-06-04T00:00:00.000Z');
    await record({ environmentId: envA2.id, log: 'New version published for feature: beta', relatedObjectType: 'EF_VERSION', relatedObjectUuid: '11111111-2222-3333-4444-555555555555' });
    api.clock.set('2026-06-05T00:00:00.000Z');
    await record({ projectId: projectB, log: 'Segment created: 100% of users', relatedObjectType: 'SEGMENT', isSystemEvent: true });
    const foreign = await record({ log: 'Other organisation entry', relatedObjectType: 'ORGANISATION' }, other.id);
    otherEntryId = foreign.id;
  });
  afterAll(() => api.stop());

  test('listAuditLogs returns Flagsmith-shaped entries newest first, paginated', async () => {
    const r = await api.op('listAuditLogs', { query: { page_size: 2 } });
    expect(r.status).toBe(200);
    // 4 entries above + the organisation-created entry of the harness.
    expect(r.body.count).toBe(5);
    expect(r.body.next).toContain('page=2');
    expect(r.body.previous).toBeNull();
    expect(r.body.results.map((e: { log: string }) => e.log)).toEqual(['Segment created: 100% of users', 'New version published for feature: beta']);
    expect(r.body.results[1]).toEqual({
      id: expect.any(Number),
      uuid: expect.any(String),
      created_date: '2026-06-04T00:00:00.000Z',
      log: 'New version published for feature: beta',
      author: null,
      environment: { id: envA2.id, name: 'Production', api_key: envA2.apiKey },
      project: { id: projectA, name: 'Alpha', organisation: api.organisationId },
      related_object_id: null,
      related_object_uuid: '11111111-2222-3333-4444-555555555555',
      related_object_type: 'EF_VERSION',
      is_system_event: false,
    });
    const last = await api.op('listAuditLogs', { query: { page: 3, page_size: 2 } });
    expect(last.body.results.map((e: { log: string }) => e.log)).toEqual(['Organisation created: Acme']);
    expect(last.body.results[0].author).toEqual({ id: expect.any(Number), email: 'admin@example.com', first_name: '', last_name: '' });
  });

  test('filters: project, environments, search, date range and system events', async () => {
    const logs = async (query: Record<string, string | number | boolean>) => (await api.op('listAuditLogs', { query })).body.results.map((e: { log: string }) => e.log);
    expect(await logs({ project: projectA })).toEqual(['New version published for feature: beta', 'Flag state updated for feature: beta', 'New Flag / Remote Config created: beta']);
    expect(await logs({ environments: envA1.id })).toEqual(['Flag state updated for feature: beta']);
    const both = await api.request('GET', `/api/v1/audit/?environments=${envA1.id}&environments=${envA2.id}`);
    expect(both.body.count).toBe(2);
    expect(await logs({ search: 'FLAG STATE' })).toEqual(['Flag state updated for feature: beta']);
    expect(await logs({ search: '100%' })).toEqual(['Segment created: 100% of users']);
    expect(await logs({ search: '_' })).toEqual([]);
    expect(await logs({ from: '2026-06-03T00:00:00.000Z', to: '2026-06-05T00:00:00.000Z' })).toEqual(['New version published for feature: beta', 'Flag state updated for feature: beta']);
    expect(await logs({ is_system_event: true })).toEqual(['Segment created: 100% of users']);
    const bad = await api.op('listAuditLogs', { query: { from: 'yesterday' } });
    expect(bad.status).toBe(400);
    expect(bad.body.details.issues[0].path).toBe('querystring/from');
  });

  test('a user with VIEW_AUDIT_LOG on a project reads only that project; without it, 403; other projects 404', async () => {
    const mine = await api.op('listAuditLogs', { auth: auditor.auth });
    expect(mine.body.results.map((e: { project: { id: number } | null }) => e.project?.id)).toEqual([projectA, projectA, projectA]);
    expect((await api.op('listAuditLogs', { auth: outsider.auth })).body.count).toBe(0);
    expect((await api.op('listAuditLogs', { query: { project: projectA }, auth: outsider.auth })).status).toBe(403);
    expect((await api.op('listAuditLogs', { query: { project: projectB }, auth: auditor.auth })).status).toBe(404);
    // Another organisation's admin sees only their own organisation.
    const foreign = await api.op('listAuditLogs', { auth: other.adminAuth });
    expect(foreign.body.results.map((e: { log: string }) => e.log)).toEqual(['Other organisation entry']);
  });

  test('listProjectAuditLogs lists one project; 403 without VIEW_AUDIT_LOG, 404 for another organisation', async () => {
    const r = await api.op('listProjectAuditLogs', { params: { project_pk: projectA }, query: { search: 'beta' }, auth: auditor.auth });
    expect(r.status).toBe(200);
    expect(r.body.count).toBe(3);
    expect((await api.op('listProjectAuditLogs', { params: { project_pk: projectA }, auth: outsider.auth })).status).toBe(403);
    expect((await api.op('listProjectAuditLogs', { params: { project_pk: projectA }, auth: other.adminAuth })).status).toBe(404);
  });

  test('listOrganisationAuditLogs lists one organisation to its admins, with the filters; members 403, other organisations 404', async () => {
    const r = await api.op('listOrganisationAuditLogs', { params: { organisation_pk: api.organisationId }, query: { search: 'beta' } });
    expect(r.status).toBe(200);
    expect(r.body.results.map((e: { log: string }) => e.log)).toEqual(['New version published for feature: beta', 'Flag state updated for feature: beta', 'New Flag / Remote Config created: beta']);
    const all = await api.op('listOrganisationAuditLogs', { params: { organisation_pk: api.organisationId }, query: { page_size: 1000 } });
    expect(all.body.results.map((e: { log: string }) => e.log)).not.toContain('Other organisation entry');
    expect((await api.op('listOrganisationAuditLogs', { params: { organisation_pk: api.organisationId }, auth: auditor.auth })).status).toBe(403);
    expect((await api.op('listOrganisationAuditLogs', { params: { organisation_pk: api.organisationId }, auth: other.adminAuth })).status).toBe(404);
  });

  test('getAuditLog returns one entry; an entry of another organisation or an unreadable project is 404', async () => {
    const list = await api.op('listAuditLogs', { query: { project: projectA, page_size: 1 } });
    const id = list.body.results[0].id;
    const r = await api.op('getAuditLog', { params: { id } });
    expect(r).toMatchObject({ status: 200, body: list.body.results[0] });
    expect((await api.op('getAuditLog', { params: { id }, auth: auditor.auth })).status).toBe(200);
    expect((await api.op('getAuditLog', { params: { id }, auth: outsider.auth })).status).toBe(404);
    expect((await api.op('getAuditLog', { params: { id: otherEntryId } })).status).toBe(404);
    expect((await api.op('getAuditLog', { params: { id: 99999 } })).status).toBe(404);
  });

  test('getAuditLogIntegrity verifies the chain; organisation admins only', async () => {
    const r = await api.op('getAuditLogIntegrity', { params: { organisation_pk: api.organisationId } });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ organisation_id: api.organisationId, is_valid: true, chain_length: 5, checked_entries: 5, head_hash: expect.stringMatching(/^[0-9a-f]{64}$/), first_broken: null });
    expect((await api.op('getAuditLogIntegrity', { params: { organisation_pk: api.organisationId }, auth: auditor.auth })).status).toBe(403);
    expect((await api.op('getAuditLogIntegrity', { params: { organisation_pk: other.id } })).status).toBe(404);
  });
});

describe.each(DIALECTS)('audit chain tampering on %s', (dialect) => {
  let api: TestApi;
  const entries: number[] = [];

  beforeEach(async () => {
    api = await new TestApi(dialect).start();
    entries.length = 0;
    for (let i = 1; i <= 4; i++) {
      const { id } = await api.testDb.db.transaction((trx) => api.built.services.audit.record(trx, null, { organisationId: api.organisationId, log: `entry ${i}`, relatedObjectType: 'FEATURE' }));
      entries.push(id);
    }
  });
  afterEach(() => api.stop());

  const verify = async () => (await api.op('getAuditLogIntegrity', { params: { organisation_pk: api.organisationId } })).body;
  const k = () => api.testDb.db.kysely;

  test('an edited entry is reported as HASH_MISMATCH at that entry', async () => {
    await k().updateTable('audit_log').set({ log: 'entry 2 (edited)' }).where('id', '=', entries[1]!).execute();
    const r = await verify();
    expect(r).toMatchObject({ is_valid: false, checked_entries: 2, first_broken: { id: entries[1], chain_seq: 3, reason: 'HASH_MISMATCH' } });
  });

  test('an edited entry whose hash was recomputed breaks the link of the next one', async () => {
    const row = await k().selectFrom('audit_log').selectAll().where('id', '=', entries[1]!).executeTakeFirstOrThrow();
    const { computeAuditHash } = await import('../../../sync-server/modules/audit/audit-chain.js');
    const forged = computeAuditHash(row.prev_hash!, { ...row, log: 'forged', chain_seq: row.chain_seq! });
    await k().updateTable('audit_log').set({ log: 'forged', hash: forged }).where('id', '=', entries[1]!).execute();
    expect((await verify()).first_broken).toMatchObject({ id: entries[2], chain_seq: 4, reason: 'LINK_MISMATCH' });
  });

  test('a deleted entry is reported as MISSING_ENTRY; deleting the newest is HEAD_MISMATCH', async () => {
    await k().deleteFrom('audit_log').where('id', '=', entries[3]!).execute();
    expect((await verify()).first_broken).toMatchObject({ id: null, chain_seq: 5, reason: 'HEAD_MISMATCH' });
    await k().deleteFrom('audit_log').where('id', '=', entries[0]!).execute();
    expect((await verify()).first_broken).toMatchObject({ id: entries[1], chain_seq: 2, reason: 'MISSING_ENTRY' });
  });

  test('a row inserted around the audit service is reported as UNCHAINED_ENTRY', async () => {
    const r = await k()
      .insertInto('audit_log')
      .values({ uuid: 'manual', organisation_id: api.organisationId, project_id: null, environment_id: null, log: 'sneaky', author_user_id: null, author_api_key_id: null, related_object_type: 'FEATURE', related_object_id: null, related_object_uuid: null, created_at: '2026-06-01T12:00:00.000Z', chain_seq: null, prev_hash: null, hash: null })
      .returning('id')
      .executeTakeFirstOrThrow();
    expect((await verify()).first_broken).toMatchObject({ id: r.id, chain_seq: null, reason: 'UNCHAINED_ENTRY' });
  });
});
