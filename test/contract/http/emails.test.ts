import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { TestApi } from '../../support/api-harness.js';
import { DIALECTS } from '../../support/databases.js';
import { eventsFixtures } from '../../support/events-fixtures.js';

describe.each(DIALECTS)('email routes on %s (no SMTP configured)', (dialect) => {
  const api = new TestApi(dialect);
  const fx = eventsFixtures(api);

  beforeAll(() => api.start());
  afterAll(() => api.stop());

  test('listOrganisationEmails shows emails kept in the database, newest first', async () => {
    const { db } = api.testDb;
    await db.transaction((trx) => api.built.services.email.send(trx, { organisationId: api.organisationId, to: ['a@example.com'], subject: 'First', text: 'one' }));
    await db.transaction((trx) => api.built.services.email.send(trx, { organisationId: api.organisationId, to: ['b@example.com', 'b@example.com'], subject: 'Second', text: 'two', html: '<p>two</p>' }));
    const queued = await api.op('listOrganisationEmails', { params: { organisation_pk: api.organisationId }, query: { status: 'queued' } });
    expect(queued.body.count).toBe(2);

    await api.built.services.jobs.runOnce();
    const r = await api.op('listOrganisationEmails', { params: { organisation_pk: api.organisationId } });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ count: 2, next: null, previous: null });
    expect(r.body.results[0]).toEqual({
      id: expect.any(Number),
      uuid: expect.any(String),
      to: ['b@example.com'],
      subject: 'Second',
      text: 'two',
      html: '<p>two</p>',
      status: 'stored',
      transport: 'database',
      message_id: null,
      error: null,
      created_at: '2026-06-01T12:00:00.000Z',
      sent_at: null,
    });
    expect(r.body.results[1]).toMatchObject({ subject: 'First', status: 'stored' });
  });

  test('only organisation admins list emails; another organisation is 404', async () => {
    const member = await fx.user('member@example.com');
    expect((await api.op('listOrganisationEmails', { params: { organisation_pk: api.organisationId }, auth: member.auth })).status).toBe(403);
    const other = await fx.otherOrganisation();
    expect((await api.op('listOrganisationEmails', { params: { organisation_pk: api.organisationId }, auth: other.adminAuth })).status).toBe(404);
    expect((await api.op('listOrganisationEmails', { params: { organisation_pk: other.id }, auth: other.adminAuth })).body.count).toBe(0);
  });
});
