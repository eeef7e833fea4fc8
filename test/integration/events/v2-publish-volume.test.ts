import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { TestApi } from '../../support/api-harness.js';
import { DIALECTS } from '../../support/databases.js';
import { WebhookReceiver } from '../../support/webhook-receiver.js';
import { at, stringValue, v2World, type V2World } from '../../support/versions-fixtures.js';
import { verifySignature } from '../../../sync-server/modules/webhooks/webhook-signature.js';

// 500 publishes through the API on a shared, busy machine: generous limits (no timing is asserted).
vi.setConfig({ testTimeout: 600_000, hookTimeout: 120_000 });

const N = 500;
const WRITERS = 10;

/**
 * Issue 4, reliability: "500 publishes produce exactly the number of events and audit rows the rules
 * say", on v2, through the versions API, with concurrent writers on two environments of one project.
 */
describe.each(DIALECTS)('500 v2 publishes on %s', (dialect) => {
  let api: TestApi;
  const receivers: WebhookReceiver[] = [];
  const receiver = async () => {
    const r = await new WebhookReceiver().start();
    receivers.push(r);
    return r;
  };

  beforeEach(async () => {
    api = await new TestApi(dialect, { webhooks: { timeoutMs: 5000 } }).start();
  });
  afterEach(async () => {
    await Promise.all(receivers.splice(0).map((r) => r.stop()));
    await api.stop();
  });

  test('produce exactly one NEW_VERSION_PUBLISHED per version and one FLAG_UPDATED per changed state per destination, one EF_VERSION row per version, in commit order, with a valid chain', async () => {
    const k = api.testDb.db.kysely;
    const a = await v2World(api, { segments: 1 });
    const b = await v2World(api, { segments: 1, project: a.project });
    const worlds = [a, b];
    const rxA = await receiver();
    const rxB = await receiver();
    const rxOrg = await receiver();
    await api.op('createEnvironmentWebhook', { params: { api_key: a.env.api_key }, body: { url: rxA.url, secret: 'a-secret' } });
    await api.op('createEnvironmentWebhook', { params: { api_key: b.env.api_key }, body: { url: rxB.url, secret: 'b-secret' } });
    await api.op('createOrganisationWebhook', { params: { organisation_pk: api.organisationId }, body: { url: rxOrg.url, secret: 'org-secret' } });
    // Setup: one segment override per feature, so later versions can change two states at once.
    for (const w of worlds) {
      const r = await api.op('createFeatureVersion', { params: at(w), body: { publish_immediately: true, feature_states_to_create: [{ feature_segment: { segment: w.segments[0] }, enabled: false, feature_state_value: stringValue('o') }] } });
      expect(r.status).toBe(201);
    }
    await api.built.services.jobs.runOnce();
    for (const rx of [rxA, rxB, rxOrg]) rx.clear();
    const auditBefore = Number((await k.selectFrom('audit_log').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);

    // Publish i goes to environment a (even) or b (odd) and changes the default's value; every fifth also
    // changes the override's value. Values are unique, so every named state really changes whatever the
    // commit order of the concurrent writers.
    const worldOf = (i: number): V2World => worlds[i % 2]!;
    const changesOverride = (i: number) => i % 5 === 0;
    const published: string[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: WRITERS }, async () => {
        while (next < N) {
          const i = next++;
          const w = worldOf(i);
          const r = await api.op('createFeatureVersion', {
            params: at(w),
            body: {
              publish_immediately: true,
              feature_states_to_update: [
                { feature_segment: null, feature_state_value: stringValue(`v${i}`) },
                ...(changesOverride(i) ? [{ feature_segment: { segment: w.segments[0] }, feature_state_value: stringValue(`o${i}`) }] : []),
              ],
            },
          });
          if (r.status !== 201) throw new Error(`publish ${i} failed: ${JSON.stringify(r.body)}`);
          published.push(r.body.uuid);
        }
      }),
    );
    await api.built.services.jobs.runOnce();

    // What the rules say, per destination.
    const indices = Array.from({ length: N }, (_, i) => i);
    const flagUpdates = (is: number[]) => is.reduce((n, i) => n + 1 + (changesOverride(i) ? 1 : 0), 0);
    const ofA = indices.filter((i) => i % 2 === 0);
    const ofB = indices.filter((i) => i % 2 === 1);
    const count = (rx: WebhookReceiver, type: string) => rx.ofType(type).length;
    expect(count(rxA, 'NEW_VERSION_PUBLISHED')).toBe(ofA.length);
    expect(count(rxA, 'FLAG_UPDATED')).toBe(flagUpdates(ofA));
    expect(count(rxB, 'NEW_VERSION_PUBLISHED')).toBe(ofB.length);
    expect(count(rxB, 'FLAG_UPDATED')).toBe(flagUpdates(ofB));
    expect(rxA.requests).toHaveLength(ofA.length + flagUpdates(ofA));
    expect(rxB.requests).toHaveLength(ofB.length + flagUpdates(ofB));
    expect(count(rxOrg, 'NEW_VERSION_PUBLISHED')).toBe(0);
    expect(count(rxOrg, 'FLAG_UPDATED')).toBe(flagUpdates(indices));
    expect(count(rxOrg, 'AUDIT_LOG_CREATED')).toBe(N);
    expect(rxOrg.requests).toHaveLength(flagUpdates(indices) + N);

    // Signed, one idempotency key per delivery, sequences gap-free in arrival order per destination.
    for (const [rx, secret] of [[rxA, 'a-secret'], [rxB, 'b-secret'], [rxOrg, 'org-secret']] as const) {
      expect(rx.requests.every((r) => verifySignature(r.raw, secret, String(r.headers['x-flagsmith-signature'])))).toBe(true);
      expect(new Set(rx.requests.map((r) => r.json.idempotency_key)).size).toBe(rx.requests.length);
      const seqs = rx.sequences();
      expect(seqs).toEqual(seqs.map((_, j) => seqs[0]! + j));
    }

    // Sequence order is commit order: each environment receives its versions in the order of their chain.
    for (const [w, rx] of [[a, rxA], [b, rxB]] as const) {
      const chain = await k.selectFrom('environment_feature_versions').select('uuid').where('environment_id', '=', w.env.id).where('feature_id', '=', w.feature).where('live_seq', 'is not', null).orderBy('live_seq').execute();
      const received = rx.ofType('NEW_VERSION_PUBLISHED').map((r) => r.json.data.uuid as string);
      expect(received).toEqual(chain.map((v) => v.uuid).slice(-received.length));
      // Each version's FLAG_UPDATED events come right after its NEW_VERSION_PUBLISHED, before the next version's.
      let current = '';
      for (const r of rx.requests) {
        if (r.json.event_type === 'NEW_VERSION_PUBLISHED') current = r.json.data.feature_states[0].value;
        else if (r.json.data.new_state.feature_segment === null) expect(r.json.data.new_state.feature_state_value).toBe(current);
      }
    }
    // The organisation gets the FLAG_UPDATED events of each environment in that environment's order.
    for (const [w, rx] of [[a, rxA], [b, rxB]] as const) {
      const fromOrg = rxOrg.ofType('FLAG_UPDATED').filter((r) => r.json.data.new_state.environment.id === w.env.id).map((r) => r.json.data.new_state.feature_state_value);
      expect(fromOrg).toEqual(rx.ofType('FLAG_UPDATED').map((r) => r.json.data.new_state.feature_state_value));
    }

    // Audit: exactly one EF_VERSION row per published version, streamed to the organisation webhook.
    const auditAfter = Number((await k.selectFrom('audit_log').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
    expect(auditAfter - auditBefore).toBe(N);
    const rows = await k.selectFrom('audit_log').select(['related_object_uuid', 'related_object_id', 'related_object_type']).where('related_object_uuid', 'in', published).execute();
    expect(rows).toHaveLength(N);
    expect(rows.every((r) => r.related_object_type === 'EF_VERSION' && r.related_object_id === null)).toBe(true);
    expect(new Set(rows.map((r) => r.related_object_uuid))).toEqual(new Set(published));
    expect(new Set(rxOrg.ofType('AUDIT_LOG_CREATED').map((r) => r.json.data.related_object_uuid))).toEqual(new Set(published));
    const listed = await api.op('listAuditLogs', { query: { project: a.project, search: 'new version published', page_size: 1 } });
    expect(listed.body.count).toBe(N + 2); // and the two setup versions
    const integrity = await api.op('getAuditLogIntegrity', { params: { organisation_pk: api.organisationId } });
    expect(integrity.body).toMatchObject({ is_valid: true, first_broken: null, chain_length: auditAfter, checked_entries: auditAfter });
  });
});
