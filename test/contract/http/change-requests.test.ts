import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { TestApi } from '../../support/api-harness.js';
import { DIALECTS } from '../../support/databases.js';
import { addMember, otherOrganisation, type TestUser } from '../../support/tenancy.js';
import { at, insertEnvironmentDefault, insertFeature, stringValue, v2World, type V2World } from '../../support/versions-fixtures.js';

// Many requests per test on a shared, busy machine: generous limits (no timing is asserted).
vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

/** Change requests on v2 environments (issue 5): CRUD, approvals bound to content, all-or-none commits, scheduling and rebase. */
describe.each(DIALECTS)('change requests on %s', (dialect) => {
  const api = new TestApi(dialect);
  const k = () => api.testDb.db.kysely;
  const HOUR = 3600_000;
  let reviewer: TestUser;
  let second: TestUser;
  let viewer: TestUser;
  let n = 0;

  beforeAll(async () => {
    await api.start();
    reviewer = await addMember(api, 'cr-reviewer@example.com', 'ADMIN');
    second = await addMember(api, 'cr-second@example.com', 'ADMIN');
    viewer = await addMember(api, 'cr-viewer@example.com');
  });
  afterAll(() => api.stop());

  async function world(options: { segments?: number; optionValues?: string[]; approvals?: number | null } = {}): Promise<V2World> {
    const w = await v2World(api, { segments: options.segments ?? 1, ...(options.optionValues ? { optionValues: options.optionValues } : {}) });
    await api.op('createEnvironmentWebhook', { params: { api_key: w.env.api_key }, body: { url: 'http://127.0.0.1:9/hook' } });
    if (options.approvals !== undefined) await api.op('partialUpdateEnvironment', { params: { api_key: w.env.api_key }, body: { minimum_change_request_approvals: options.approvals } });
    // These tests move a change request's base by publishing directly as the admin, which an environment
    // requiring change requests allows only with the explicit, audited bypass (issue 12 §2).
    const admin = await k().selectFrom('users').select('id').where('email', '=', 'admin@example.com').executeTakeFirstOrThrow();
    const grants = (await api.op('listEnvironmentUserPermissions', { params: { api_key: w.env.api_key } })).body as { id: number; user: { id: number } }[];
    const own = grants.find((g) => g.user.id === admin.id);
    const body = { user: admin.id, permissions: ['BYPASS_CHANGE_REQUESTS'] };
    const granted = own
      ? await api.op('partialUpdateEnvironmentUserPermission', { params: { api_key: w.env.api_key, id: own.id }, body: { permissions: body.permissions } })
      : await api.op('createEnvironmentUserPermission', { params: { api_key: w.env.api_key }, body });
    if (granted.status >= 300) throw new Error(`bypass grant failed: ${JSON.stringify(granted.body)}`);
    return w;
  }
  const setDefault = (feature: number, value: string, extra: Record<string, unknown> = {}) => ({ feature, feature_states_to_update: [{ feature_segment: null, feature_state_value: stringValue(value), ...extra }] });
  async function createCr(w: V2World, body: Record<string, unknown>, auth?: string) {
    const r = await api.op('createChangeRequest', { params: { api_key: w.env.api_key }, body: { title: `cr-${++n}`, ...body }, ...(auth ? { auth } : {}) });
    if (r.status !== 201) throw new Error(`createChangeRequest failed: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  }
  const getCr = async (id: number) => (await api.op('getChangeRequest', { params: { id } })).body;
  const live = async (w: V2World, feature = w.feature) => (await api.built.services.versions.liveVersionUuids(w.env.id)).get(feature);
  const liveValue = async (w: V2World, feature = w.feature) => {
    const uuid = await live(w, feature);
    const r = await k().selectFrom('environment_feature_versions').select('content_json').where('uuid', '=', uuid!).executeTakeFirstOrThrow();
    return JSON.parse(r.content_json).environmentDefault.value.string_value as string | null;
  };
  const publishNow = async (w: V2World, body: Record<string, unknown>, feature = w.feature) => {
    const r = await api.op('createFeatureVersion', { params: at(w, { feature_pk: feature }), body: { ...body, publish_immediately: true } });
    if (r.status !== 201) throw new Error(`publish failed: ${JSON.stringify(r.body)}`);
    return r.body as { uuid: string };
  };
  const auditOf = (id: number) => k().selectFrom('audit_log').select(['log', 'related_object_type']).where('related_object_type', '=', 'CHANGE_REQUEST').where('related_object_id', '=', id).orderBy('id').execute();
  const emailsTo = async (address: string) => {
    const r = await api.op('listOrganisationEmails', { params: { organisation_pk: api.organisationId }, query: { page_size: 1000 } });
    return (r.body.results as { to: string[]; subject: string; text: string }[]).filter((e) => e.to.includes(address));
  };
  const advance = (ms: number) => (api.clock as unknown as { advanceMs(ms: number): void }).advanceMs(ms);

  test('creates a change request whose content is carried on change_sets, and emails its assignees', async () => {
    const w = await world();
    const before = (await emailsTo(second.email)).length;
    const cr = await createCr(w, { description: 'blue banner', change_sets: [setDefault(w.feature, 'blue')], approvals: [{ user: second.id }] });
    expect(cr).toMatchObject({ title: expect.stringMatching(/^cr-/), description: 'blue banner', environment: w.env.id, project: w.project, is_committed: false, status: 'open', feature_states: [], environment_feature_versions: [] });
    expect(cr.change_sets).toEqual([
      expect.objectContaining({
        feature: w.feature,
        feature_states_to_create: [],
        feature_states_to_update: [{ feature_segment: null, enabled: false, feature_state_value: stringValue('blue'), multivariate_feature_state_values: [] }],
        segment_ids_to_delete_overrides: [],
        base_version_uuid: await live(w),
        environment_feature_version: null,
        conflicts: [],
      }),
    ]);
    expect(cr.approvals).toEqual([{ user: second.id, approved_at: null, is_assignee: true, content_hash: null, is_stale: false }]);
    const mails = await emailsTo(second.email);
    expect(mails).toHaveLength(before + 1);
    expect(mails[0]!.subject).toContain(cr.title);
    expect(await auditOf(cr.id)).toEqual([{ log: `Change request created: ${cr.title}`, related_object_type: 'CHANGE_REQUEST' }]);
    // Nothing is published by creating it.
    expect(await liveValue(w)).toBeNull();
  });

  test('create validates its body and writes nothing on a bad one', async () => {
    const w = await world();
    const count = async () => Number((await k().selectFrom('change_requests').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
    const before = await count();
    const noTitle = await api.op('createChangeRequest', { params: { api_key: w.env.api_key }, body: { change_sets: [setDefault(w.feature, 'x')] } });
    expect(noTitle.status).toBe(400);
    expect(noTitle.body.details.issues[0].path).toBe('body/title');
    const badSegment = await api.op('createChangeRequest', {
      params: { api_key: w.env.api_key },
      body: { title: 'bad', change_sets: [{ feature: w.feature, feature_states_to_create: [{ feature_segment: { segment: 999999 }, enabled: true }] }] },
    });
    expect(badSegment.status).toBe(400);
    expect(badSegment.body.details.issues[0].path).toBe('body/change_sets/0/feature_states_to_create/0/feature_segment/segment');
    const twice = await api.op('createChangeRequest', { params: { api_key: w.env.api_key }, body: { title: 'twice', change_sets: [setDefault(w.feature, 'a'), setDefault(w.feature, 'b')] } });
    expect(twice.status).toBe(400);
    expect(twice.body.details.issues[0].path).toBe('body/change_sets/1/feature');
    const rival = await otherOrganisation(api, `cr-rival-${++n}@example.com`);
    const stranger = await api.op('createChangeRequest', { params: { api_key: w.env.api_key }, body: { title: 'assign', change_sets: [setDefault(w.feature, 'a')], approvals: [{ user: rival.admin.id }] } });
    expect(stranger.status).toBe(400);
    expect(stranger.body.details.issues[0].path).toBe('body/approvals/0/user');
    expect(await count()).toBe(before);
  });

  test('a v1 environment answers 400 PRECONDITION_FAILED: change requests carry versions', async () => {
    const w = await world();
    const projectEnv = await api.op('createEnvironment', { body: { name: `v1-${++n}`, project: w.project } });
    const r = await api.op('createChangeRequest', { params: { api_key: projectEnv.body.api_key }, body: { title: 'v1', change_sets: [setDefault(w.feature, 'a')] } });
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ code: 'PRECONDITION_FAILED', details: { reason: 'VERSIONING_NOT_ENABLED' } });
  });

  test('lists, retrieves, updates and deletes; list filters by committed and title', async () => {
    const w = await world({ approvals: 0 });
    const a = await createCr(w, { title: 'alpha banner', change_sets: [setDefault(w.feature, 'a')] });
    const b = await createCr(w, { title: 'beta banner', change_sets: [setDefault(w.feature, 'b')] });
    const all = await api.op('listChangeRequests', { query: { environment: w.env.id } });
    expect(all.status).toBe(200);
    expect(all.body).toMatchObject({ count: 2, next: null, previous: null });
    expect(all.body.results.map((c: { id: number }) => c.id)).toEqual([b.id, a.id]);
    expect((await api.op('listChangeRequests', { query: { environment: w.env.id, search: 'alpha' } })).body.results.map((c: { id: number }) => c.id)).toEqual([a.id]);
    // Flagsmith's environment-scoped list, by client-side key, with its feature filter.
    const byKey = await api.op('listEnvironmentChangeRequests', { params: { api_key: w.env.api_key } });
    expect(byKey.status).toBe(200);
    expect(byKey.body).toMatchObject({ count: 2, results: [{ id: b.id }, { id: a.id }] });
    expect((await api.op('listEnvironmentChangeRequests', { params: { api_key: w.env.api_key }, query: { feature_id: w.feature, search: 'beta' } })).body.results.map((c: { id: number }) => c.id)).toEqual([b.id]);
    expect((await api.op('listEnvironmentChangeRequests', { params: { api_key: w.env.api_key }, query: { feature_id: 2147483647 } })).body.count).toBe(0);
    expect((await api.op('listEnvironmentChangeRequests', { params: { api_key: 'no-such-key' } })).status).toBe(404);
    expect((await api.op('getChangeRequest', { params: { id: a.id } })).body).toMatchObject({ id: a.id, title: 'alpha banner' });

    const put = await api.op('updateChangeRequest', { params: { id: a.id }, body: { title: 'alpha banner 2', change_sets: [setDefault(w.feature, 'a2')] } });
    expect(put.status).toBe(200);
    expect(put.body.title).toBe('alpha banner 2');
    expect(put.body.change_sets[0].feature_states_to_update[0].feature_state_value).toEqual(stringValue('a2'));
    const patch = await api.op('partialUpdateChangeRequest', { params: { id: a.id }, body: { description: 'now with words' } });
    expect(patch.body).toMatchObject({ title: 'alpha banner 2', description: 'now with words' });
    const blank = await api.op('partialUpdateChangeRequest', { params: { id: a.id }, body: { title: '  ' } });
    expect(blank.status).toBe(400);
    expect(blank.body.details.issues[0].path).toBe('body/title');

    expect((await api.op('commitChangeRequest', { params: { id: a.id } })).status).toBe(200);
    expect((await api.op('listChangeRequests', { query: { environment: w.env.id, committed: true } })).body.results.map((c: { id: number }) => c.id)).toEqual([a.id]);
    expect((await api.op('listChangeRequests', { query: { environment: w.env.id, committed: false } })).body.results.map((c: { id: number }) => c.id)).toEqual([b.id]);
    const editCommitted = await api.op('partialUpdateChangeRequest', { params: { id: a.id }, body: { title: 'late' } });
    expect(editCommitted.status).toBe(400);
    expect(editCommitted.body.details.reason).toBe('CHANGE_REQUEST_COMMITTED');
    expect((await api.op('deleteChangeRequest', { params: { id: a.id } })).status).toBe(400);

    expect((await api.op('deleteChangeRequest', { params: { id: b.id } })).status).toBe(204);
    expect((await api.op('getChangeRequest', { params: { id: b.id } })).status).toBe(404);
    expect((await auditOf(b.id)).map((e) => e.log)).toEqual([`Change request created: beta banner`, `Change request deleted: beta banner`]);
  });

  test('commit needs the environment’s number of approvals, and the author cannot approve their own', async () => {
    const w = await world({ approvals: 2 });
    const cr = await createCr(w, { change_sets: [setDefault(w.feature, 'approved')] });
    const early = await api.op('commitChangeRequest', { params: { id: cr.id } });
    expect(early.status).toBe(400);
    expect(early.body.details).toMatchObject({ reason: 'CHANGE_REQUEST_NOT_APPROVED', required_approvals: 2, current_approvals: 0 });

    const own = await api.op('approveChangeRequest', { params: { id: cr.id } });
    expect(own.status).toBe(400);
    expect(own.body.details.reason).toBe('OWN_CHANGE_REQUEST');

    const one = await api.op('approveChangeRequest', { params: { id: cr.id }, auth: reviewer.auth });
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({ is_approved: false, current_approvals: 1, required_approvals: 2 });
    // Approving twice is still one approval.
    await api.op('approveChangeRequest', { params: { id: cr.id }, auth: reviewer.auth });
    expect((await api.op('commitChangeRequest', { params: { id: cr.id } })).status).toBe(400);

    const two = await api.op('approveChangeRequest', { params: { id: cr.id }, auth: second.auth });
    expect(two.body).toMatchObject({ is_approved: true, current_approvals: 2 });
    const committed = await api.op('commitChangeRequest', { params: { id: cr.id } });
    expect(committed.status).toBe(200);
    expect(committed.body).toMatchObject({ is_committed: true, status: 'committed', committed_by: expect.any(Number) });
    expect(committed.body.environment_feature_versions).toHaveLength(1);
    const uuid = committed.body.environment_feature_versions[0];
    expect(await live(w)).toBe(uuid);
    expect(await liveValue(w)).toBe('approved');
    expect((await k().selectFrom('environment_feature_versions').select('change_request_id').where('uuid', '=', uuid).executeTakeFirstOrThrow()).change_request_id).toBe(cr.id);
    // Webhooks as any publish: NEW_VERSION_PUBLISHED and FLAG_UPDATED.
    const events = (await k().selectFrom('events').select('event_type').where('environment_id', '=', w.env.id).execute()).map((e) => e.event_type);
    expect(events).toEqual(expect.arrayContaining(['NEW_VERSION_PUBLISHED', 'FLAG_UPDATED']));
    expect((await auditOf(cr.id)).map((e) => e.log)).toEqual([
      `Change request created: ${cr.title}`,
      `Change request approved: ${cr.title}`,
      `Change request approved: ${cr.title}`,
      `Change request approved: ${cr.title}`,
      `Change request committed: ${cr.title}`,
    ]);
    expect((await emailsTo('admin@example.com')).filter((e) => e.text.includes(cr.title)).length).toBeGreaterThanOrEqual(2);
    expect((await api.op('commitChangeRequest', { params: { id: cr.id } })).body.details.reason).toBe('CHANGE_REQUEST_COMMITTED');
  });

  test('an approval is bound to the content it saw: an edit or a base move makes it stale', async () => {
    const w = await world({ approvals: 1, segments: 1 });
    const cr = await createCr(w, { change_sets: [setDefault(w.feature, 'first')] });
    const approved = await api.op('approveChangeRequest', { params: { id: cr.id }, auth: reviewer.auth });
    expect(approved.body).toMatchObject({ is_approved: true, current_approvals: 1 });
    expect(approved.body.approvals[0]).toMatchObject({ user: reviewer.id, is_stale: false, content_hash: approved.body.content_hash });

    const edited = await api.op('partialUpdateChangeRequest', { params: { id: cr.id }, body: { change_sets: [setDefault(w.feature, 'second')] } });
    expect(edited.body).toMatchObject({ is_approved: false, current_approvals: 0 });
    expect(edited.body.approvals[0]).toMatchObject({ user: reviewer.id, is_stale: true });
    expect(edited.body.content_hash).not.toBe(approved.body.content_hash);
    const diff = (await api.op('getChangeRequestDiff', { params: { id: cr.id } })).body;
    expect(diff.approvals[0]).toMatchObject({ user: reviewer.id, is_stale: true });
    expect(diff.approvals[0].approved_content[0].content.environmentDefault.value).toEqual(stringValue('first'));
    expect(diff.approvals[0].changes_since_approval[0].changes.map((c: { sentence: string }) => c.sentence)).toEqual(['Changed the value of the environment default from "first" to "second"']);
    expect((await api.op('commitChangeRequest', { params: { id: cr.id } })).body.details.reason).toBe('CHANGE_REQUEST_NOT_APPROVED');

    // Approve again, then a disjoint change goes live under it: the base moved, the approval is stale.
    await api.op('approveChangeRequest', { params: { id: cr.id }, auth: reviewer.auth });
    expect((await getCr(cr.id)).is_approved).toBe(true);
    await publishNow(w, { feature_states_to_create: [{ feature_segment: { segment: w.segments[0] }, enabled: true }] });
    const moved = await getCr(cr.id);
    expect(moved).toMatchObject({ is_approved: false, status: 'open' });
    expect(moved.approvals[0].is_stale).toBe(true);
    await api.op('approveChangeRequest', { params: { id: cr.id }, auth: reviewer.auth });
    const committed = await api.op('commitChangeRequest', { params: { id: cr.id } });
    expect(committed.status).toBe(200);
    expect(await liveValue(w)).toBe('second');
  });

  test('the diff against live covers the environment default and segment overrides, structured and as sentences', async () => {
    const w = await world({ segments: 3 });
    await publishNow(w, {
      feature_states_to_create: [
        { feature_segment: { segment: w.segments[0], priority: 0 }, enabled: true },
        { feature_segment: { segment: w.segments[1], priority: 1 }, enabled: true },
      ],
    });
    const cr = await createCr(w, {
      change_sets: [
        {
          feature: w.feature,
          feature_states_to_update: [{ feature_segment: null, enabled: true }, { feature_segment: { segment: w.segments[1], priority: 0 }, feature_state_value: stringValue('vip') }],
          feature_states_to_create: [{ feature_segment: { segment: w.segments[2] }, enabled: false }],
          segment_ids_to_delete_overrides: [w.segments[0]],
        },
      ],
    });
    const r = await api.op('getChangeRequestDiff', { params: { id: cr.id } });
    expect(r.status).toBe(200);
    const f = r.body.features[0];
    expect(f).toMatchObject({ feature: w.feature, is_mergeable: true, conflicts: [], live_version_uuid: await live(w) });
    expect(f.changes.map((c: { kind: string; segment_id: number | null }) => [c.kind, c.segment_id])).toEqual([
      ['enabled', null],
      ['override-removed', w.segments[0]],
      ['value', w.segments[1]],
      ['override-added', w.segments[2]],
    ]);
    expect(f.changes.map((c: { sentence: string }) => c.sentence)).toEqual([
      'Enabled the environment default',
      "Removed the override for segment 'seg-0'",
      "Changed the value for segment 'seg-1' from no value to \"vip\"",
      "Added an override for segment 'seg-2' at priority 1 (disabled, value no value)",
    ]);
  });

  test('a change request changing several features commits all of them or none', async () => {
    const w = await world({ approvals: 0, optionValues: ['a', 'b'] });
    const other = await insertFeature(api, w.project, { optionValues: ['x', 'y'] });
    await insertEnvironmentDefault(api, w.env.id, other.id);
    await publishNow(w, { feature_states_to_update: [{ feature_segment: null, multivariate_feature_state_values: [{ multivariate_feature_option: other.options[0], percentage_allocation: 30 }, { multivariate_feature_option: other.options[1], percentage_allocation: 30 }] }] }, other.id);
    const firstLive = await live(w);
    const otherLive = await live(w, other.id);
    const cr = await createCr(w, {
      change_sets: [
        setDefault(w.feature, 'together'),
        { feature: other.id, feature_states_to_update: [{ feature_segment: null, multivariate_feature_state_values: [{ multivariate_feature_option: other.options[0], percentage_allocation: 30 }, { multivariate_feature_option: other.options[1], percentage_allocation: 60 }] }] },
      ],
    });
    // A disjoint newer change on the second feature: it merges field by field, but 60 + 60 is over 100%.
    const newer = await publishNow(w, { feature_states_to_update: [{ feature_segment: null, multivariate_feature_state_values: [{ multivariate_feature_option: other.options[0], percentage_allocation: 60 }, { multivariate_feature_option: other.options[1], percentage_allocation: 30 }] }] }, other.id);
    expect(newer.uuid).not.toBe(otherLive);
    const versionsBefore = Number((await k().selectFrom('environment_feature_versions').select((eb) => eb.fn.countAll().as('n')).where('environment_id', '=', w.env.id).executeTakeFirstOrThrow()).n);
    const failed = await api.op('commitChangeRequest', { params: { id: cr.id } });
    expect(failed.status).toBe(400);
    expect(failed.body).toMatchObject({ code: 'PRECONDITION_FAILED', details: { feature: other.id } });
    // None: the first feature did not change either, and no version, audit entry or commit was kept.
    expect(await live(w)).toBe(firstLive);
    expect(await liveValue(w)).toBeNull();
    expect(Number((await k().selectFrom('environment_feature_versions').select((eb) => eb.fn.countAll().as('n')).where('environment_id', '=', w.env.id).executeTakeFirstOrThrow()).n)).toBe(versionsBefore);
    expect((await getCr(cr.id)).is_committed).toBe(false);
    expect((await auditOf(cr.id)).map((e) => e.log)).toEqual([`Change request created: ${cr.title}`]);

    // All: with the second change set fixed, both features change in one commit.
    await api.op('partialUpdateChangeRequest', { params: { id: cr.id }, body: { change_sets: [setDefault(w.feature, 'together'), setDefault(other.id, 'together too')] } });
    const ok = await api.op('commitChangeRequest', { params: { id: cr.id } });
    expect(ok.status).toBe(200);
    expect(ok.body.environment_feature_versions).toHaveLength(2);
    expect(await liveValue(w)).toBe('together');
    expect(await liveValue(w, other.id)).toBe('together too');
  });

  test('a scheduled change request goes live at live_from when the clock passes it', async () => {
    const w = await world({ approvals: 0 });
    const before = await live(w);
    const liveFrom = new Date(api.clock.now().getTime() + HOUR).toISOString();
    const cr = await createCr(w, { change_sets: [{ ...setDefault(w.feature, 'later'), live_from: liveFrom }] });
    const committed = await api.op('commitChangeRequest', { params: { id: cr.id } });
    expect(committed.body).toMatchObject({ status: 'scheduled', is_committed: true });
    expect(committed.body.change_sets[0]).toMatchObject({ live_from: liveFrom, version_status: 'scheduled' });
    expect(await live(w)).toBe(before);
    advance(HOUR);
    await api.built.services.jobs.runOnce();
    expect(await getCr(cr.id)).toMatchObject({ status: 'committed' });
    expect(await live(w)).toBe(committed.body.environment_feature_versions[0]);
    expect(await liveValue(w)).toBe('later');
  });

  test('an overlapping newer change stops the scheduled change: needs rebase, emails, event and audit; rebase, approve and schedule again', async () => {
    const w = await world({ approvals: 1 });
    const liveFrom = new Date(api.clock.now().getTime() + HOUR).toISOString();
    const cr = await createCr(w, { change_sets: [{ ...setDefault(w.feature, 'mine'), live_from: liveFrom }], approvals: [{ user: second.id }] });
    await api.op('approveChangeRequest', { params: { id: cr.id }, auth: reviewer.auth });
    const committed = await api.op('commitChangeRequest', { params: { id: cr.id } });
    expect(committed.body.status).toBe('scheduled');
    const scheduled = committed.body.environment_feature_versions[0];
    const theirs = await publishNow(w, { feature_states_to_update: [{ feature_segment: null, feature_state_value: stringValue('theirs') }] });
    const mailsBefore = { author: (await emailsTo('admin@example.com')).length, assignee: (await emailsTo(second.email)).length };

    advance(HOUR);
    await api.built.services.jobs.runOnce();
    const stuck = await getCr(cr.id);
    expect(stuck.status).toBe('needs_rebase');
    expect(stuck.change_sets[0]).toMatchObject({ version_status: 'conflict', environment_feature_version: scheduled });
    expect(stuck.change_sets[0].conflicts).toEqual([
      { path: 'environmentDefault.value', field: 'value', segment_id: null, option_id: null, base: stringValue(null), live: stringValue('theirs'), mine: stringValue('mine') },
    ]);
    expect(await liveValue(w)).toBe('theirs');
    // The author and the assignee get the conflict email; the event names the change request; the audit records it.
    const authorMails = await emailsTo('admin@example.com');
    const assigneeMails = await emailsTo(second.email);
    expect(authorMails).toHaveLength(mailsBefore.author + 1);
    expect(assigneeMails).toHaveLength(mailsBefore.assignee + 1);
    expect(assigneeMails.filter((m) => m.subject.startsWith('Scheduled change') && m.text.includes(`change request '${cr.title}'`))).toHaveLength(1);
    expect(authorMails.filter((m) => m.subject.startsWith('Scheduled change') && m.text.includes(`change request '${cr.title}'`))).toHaveLength(1);
    const event = await k().selectFrom('events').select(['data_json']).where('environment_id', '=', w.env.id).where('event_type', '=', 'SCHEDULED_VERSION_CONFLICT').executeTakeFirstOrThrow();
    expect(JSON.parse(event.data_json)).toMatchObject({ version_uuid: scheduled, conflicting_version_uuid: theirs.uuid, change_request: { id: cr.id, title: cr.title } });
    expect((await auditOf(cr.id)).at(-1)!.log).toMatch(/^Change request needs rebase/);

    // Rebase: every conflicting path needs a choice.
    const missing = await api.op('rebaseChangeRequest', { params: { id: cr.id }, body: {} });
    expect(missing.status).toBe(400);
    expect(missing.body.details.issues[0].path).toBe('body/resolutions');
    const later = new Date(api.clock.now().getTime() + HOUR).toISOString();
    const rebased = await api.op('rebaseChangeRequest', { params: { id: cr.id }, body: { resolutions: [{ feature: w.feature, path: 'environmentDefault.value', choice: 'mine' }], live_from: later } });
    expect(rebased.status).toBe(200);
    expect(rebased.body).toMatchObject({ status: 'open', is_committed: false, is_approved: false });
    expect(rebased.body.change_sets[0]).toMatchObject({ base_version_uuid: theirs.uuid, environment_feature_version: null, conflicts: [], live_from: later });
    expect(rebased.body.approvals.find((a: { user: number }) => a.user === reviewer.id)).toMatchObject({ is_stale: true });
    expect((await auditOf(cr.id)).at(-1)!.log).toBe(`Change request rebased: ${cr.title}`);

    await api.op('approveChangeRequest', { params: { id: cr.id }, auth: reviewer.auth });
    const again = await api.op('commitChangeRequest', { params: { id: cr.id } });
    expect(again.body.status).toBe('scheduled');
    advance(HOUR);
    await api.built.services.jobs.runOnce();
    expect((await getCr(cr.id)).status).toBe('committed');
    expect(await liveValue(w)).toBe('mine');
  });

  test('an open change request whose base moved in a conflicting way must be rebased before approval', async () => {
    const w = await world({ approvals: 1 });
    const cr = await createCr(w, { change_sets: [setDefault(w.feature, 'mine')] });
    await publishNow(w, { feature_states_to_update: [{ feature_segment: null, feature_state_value: stringValue('theirs') }] });
    expect((await getCr(cr.id)).status).toBe('needs_rebase');
    expect((await api.op('approveChangeRequest', { params: { id: cr.id }, auth: reviewer.auth })).body.details.reason).toBe('CHANGE_REQUEST_NEEDS_REBASE');
    expect((await api.op('commitChangeRequest', { params: { id: cr.id } })).body.details.reason).toBe('CHANGE_REQUEST_NEEDS_REBASE');
    const rebased = await api.op('rebaseChangeRequest', { params: { id: cr.id }, body: { resolutions: [{ feature: w.feature, path: 'environmentDefault.value', choice: 'live' }] } });
    expect(rebased.body.status).toBe('open');
    expect(rebased.body.change_sets[0].feature_states_to_update).toEqual([]);
    expect((await api.op('rebaseChangeRequest', { params: { id: cr.id } })).body.details.reason).toBe('NOTHING_TO_REBASE');
  });

  test('authorisation: 401 without credentials, 404 for another organisation, 403 without the permission', async () => {
    const w = await world();
    const cr = await createCr(w, { change_sets: [setDefault(w.feature, 'x')] });
    const rival = await otherOrganisation(api, `cr-rival-auth-${++n}@example.com`);
    const grant = await api.op('createEnvironmentUserPermission', { params: { api_key: w.env.api_key }, body: { user: viewer.id, permissions: ['VIEW_ENVIRONMENT'] } });
    expect(grant.status).toBe(201);
    await api.op('createProjectUserPermission', { params: { project_pk: w.project }, body: { user: viewer.id, permissions: ['VIEW_PROJECT'] } });
    const calls = [
      { op: 'createChangeRequest', params: { api_key: w.env.api_key }, body: { title: 't', change_sets: [setDefault(w.feature, 'y')] } },
      { op: 'getChangeRequest', params: { id: cr.id } },
      { op: 'listChangeRequests', query: { environment: w.env.id } },
      { op: 'partialUpdateChangeRequest', params: { id: cr.id }, body: { title: 'z' } },
      { op: 'approveChangeRequest', params: { id: cr.id } },
      { op: 'commitChangeRequest', params: { id: cr.id } },
      { op: 'rebaseChangeRequest', params: { id: cr.id } },
      { op: 'getChangeRequestDiff', params: { id: cr.id } },
      { op: 'deleteChangeRequest', params: { id: cr.id } },
    ] as const;
    for (const c of calls) {
      const { op, ...options } = c;
      expect((await api.op(op, { ...options, auth: '' })).status, `${op} anonymous`).toBe(401);
      expect((await api.op(op, { ...options, auth: rival.admin.auth })).status, `${op} rival`).toBe(404);
      const asViewer = (await api.op(op, { ...options, auth: viewer.auth })).status;
      expect(asViewer, `${op} viewer`).toBe(['getChangeRequest', 'listChangeRequests', 'getChangeRequestDiff'].includes(op) ? 200 : 403);
    }
    expect((await api.op('getChangeRequest', { params: { id: 999999 } })).status).toBe(404);
  });
});
