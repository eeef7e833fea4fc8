import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { TestApi } from '../../support/api-harness.js';
import { DIALECTS } from '../../support/databases.js';
import { createEnvironment, createProject } from '../../support/tenancy.js';

/**
 * Writers take row locks on environments (document revision, event sequence) and on the organisation
 * (audit-chain head). Some audit before they bump the revision, others after; the chain head is therefore
 * locked last, at commit, so no two writers can wait on each other. On PostgreSQL a lock cycle would be
 * a deadlock (40P01): retried a few times, then a 500.
 */
describe.runIf(DIALECTS.includes('postgres'))('lock order of concurrent admin writes on postgres', () => {
  const api = new TestApi('postgres');
  let env: { id: number; api_key: string };
  const features: number[] = [];
  const segments: number[] = [];

  beforeAll(async () => {
    await api.start();
    const project = await createProject(api, 'Locks');
    env = await createEnvironment(api, project.id, 'Production');
    await api.op('updateOrganisationPlanLimits', { params: { id: api.organisationId }, body: { max_segment_overrides_per_environment: 10_000 } });
    // An organisation webhook: every flag event and audit entry also takes the organisation's event sequence.
    await api.op('createOrganisationWebhook', { params: { organisation_pk: api.organisationId }, body: { url: 'http://127.0.0.1:9/hook' } });
    for (let i = 0; i < 12; i++) {
      features.push((await api.op('createFeature', { params: { project_pk: project.id }, body: { name: `lock_${i}` } })).body.id);
      segments.push((await api.op('createSegment', { params: { project_pk: project.id }, body: { name: `segment_${i}`, rules: [{ type: 'ALL', rules: [], conditions: [{ operator: 'EQUAL', property: 'n', value: String(i) }] }] } })).body.id);
    }
  });
  afterAll(() => api.stop());

  test('feature-segment creates and feature-state saves in one environment, 48 at once, all succeed', async () => {
    const defaults = (await api.op('listEnvironmentFeatureStates', { params: { environment_api_key: env.api_key }, query: { page_size: 100 } })).body.results as { id: number }[];
    const writes: Promise<{ status: number; body: unknown }>[] = [];
    for (let i = 0; i < 12; i++) {
      writes.push(api.op('createFeatureSegment', { body: { feature: features[i], segment: segments[i], environment: env.id } }));
      writes.push(api.op('partialUpdateEnvironmentFeatureState', { params: { environment_api_key: env.api_key, id: defaults[i]!.id }, body: { enabled: true } }));
      writes.push(api.op('createFeatureSegment', { body: { feature: features[(i + 1) % 12], segment: segments[(i + 5) % 12], environment: env.id } }));
      writes.push(api.op('partialUpdateEnvironmentFeatureState', { params: { environment_api_key: env.api_key, id: defaults[(i + 3) % 12]!.id }, body: { feature_state_value: `v${i}` } }));
    }
    const answers = await Promise.all(writes);
    expect(answers.filter((a) => a.status >= 300).map((a) => `${a.status} ${JSON.stringify(a.body).slice(0, 120)}`)).toEqual([]);
    const integrity = await api.op('getAuditLogIntegrity', { params: { organisation_pk: api.organisationId } });
    expect(integrity.body.is_valid).toBe(true);
    // Organisation-webhook sequences were taken at commit: dense, positive, one per event, in commit order.
    const sequences = (await api.testDb.db.kysely.selectFrom('webhook_deliveries').select('sequence').orderBy('sequence').execute()).map((r) => Number(r.sequence));
    expect(sequences).toEqual(sequences.map((_, i) => i + 1));
  });
});
