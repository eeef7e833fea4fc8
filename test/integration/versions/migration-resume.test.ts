import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { TestApi } from '../../support/api-harness.js';
import { DIALECTS } from '../../support/databases.js';
import { createFeature } from '../../support/flag-fixtures.js';
import { createSdkEnvironment, sdkOp, type SdkEnvironment } from '../../support/sdk-fixtures.js';
import { claimDueJobs } from '../../../sync-server/platform/jobs/job-queue.js';

/**
 * A server that dies in the middle of enabling v2: the batches it committed stay, the job's lease runs
 * out, and the next runner resumes after the last committed batch and finishes; no feature gets a second
 * initial version, and the flag flips only at the end.
 */
describe.each(DIALECTS)('an interrupted v2 migration on %s', (dialect) => {
  const api = new TestApi(dialect);
  let env: SdkEnvironment;
  const features: number[] = [];
  const k = () => api.testDb.db.kysely;

  async function versionsPerFeature(): Promise<Map<number, number>> {
    const rows = await k()
      .selectFrom('environment_feature_versions')
      .select(['feature_id', (eb) => eb.fn.countAll<number | string>().as('n')])
      .where('environment_id', '=', env.environmentId)
      .groupBy('feature_id')
      .execute();
    return new Map(rows.map((r) => [r.feature_id, Number(r.n)]));
  }

  async function status() {
    return (await api.op('getVersioningStatus', { params: { api_key: env.clientKey } })).body;
  }

  beforeAll(async () => {
    await api.start();
    env = await createSdkEnvironment(api, 'Big');
    for (let i = 0; i < 5; i++) features.push((await createFeature(api, env.projectId, `flag-${i}`, { initial_value: `v${i}`, default_enabled: i % 2 === 0 })).id);
  });
  afterAll(() => api.stop());

  test('the job resumes after the last committed batch once the crashed worker’s lease expires, and finishes', async () => {
    const documentBefore = (await sdkOp(api, 'getEnvironmentDocument', env.serverKey)).body;
    expect((await api.op('enableV2Versioning', { params: { api_key: env.clientKey } })).status).toBe(202);

    // A worker takes the job, commits one batch of two features, and dies before finishing.
    const claimed = await claimDueJobs(api.testDb.db, api.clock, 'worker-that-crashes', 1, 60_000, ['versioning.enable-v2']);
    expect(claimed).toHaveLength(1);
    expect(await api.built.services.migration.runBatch(env.environmentId, 'enable', 2)).toBe(false);

    expect(await status()).toMatchObject({ versioning_status: 'enabling', use_v2_feature_versioning: false, progress: { done: 2, total: 5 } });
    expect(await versionsPerFeature()).toEqual(new Map([[features[0], 1], [features[1], 1]]));

    // While the dead worker's lease holds, nobody else takes the job.
    await api.built.services.jobs.runOnce();
    expect((await status()).versioning_status).toBe('enabling');

    api.clock.advanceMs(61_000);
    await api.built.services.jobs.runOnce();

    expect(await status()).toMatchObject({ versioning_status: 'v2', use_v2_feature_versioning: true, progress: { done: 5, total: 5 } });
    expect(await versionsPerFeature()).toEqual(new Map(features.map((id) => [id, 1])));
    expect((await sdkOp(api, 'getEnvironmentDocument', env.serverKey)).body).toEqual(documentBefore);
    const jobs = await k().selectFrom('jobs').select(['status', 'attempts']).where('kind', '=', 'versioning.enable-v2').execute();
    expect(jobs).toEqual([{ status: 'done', attempts: 2 }]);
  });

  test('a batch run again after the migration finished changes nothing', async () => {
    const before = await versionsPerFeature();
    expect(await api.built.services.migration.runBatch(env.environmentId, 'enable', 2)).toBe(true);
    expect(await versionsPerFeature()).toEqual(before);
    expect((await status()).versioning_status).toBe('v2');
  });

  test('features are processed in batches that each record their progress', async () => {
    const other = await createSdkEnvironment(api, 'Batched');
    for (let i = 0; i < 3; i++) await createFeature(api, other.projectId, `b-${i}`);
    expect((await api.op('enableV2Versioning', { params: { api_key: other.clientKey } })).status).toBe(202);
    await claimDueJobs(api.testDb.db, api.clock, 'manual', 1, 60_000, ['versioning.enable-v2']);
    const seen: unknown[] = [];
    for (;;) {
      const finished = await api.built.services.migration.runBatch(other.environmentId, 'enable', 1);
      seen.push((await api.op('getVersioningStatus', { params: { api_key: other.clientKey } })).body.progress);
      if (finished) break;
    }
    expect(seen).toEqual([
      { done: 1, total: 3 },
      { done: 2, total: 3 },
      { done: 3, total: 3 },
    ]);
  });

  test('a job that fails on its last attempt marks the environment failed; enabling again starts over and finishes', async () => {
    const broken = await createSdkEnvironment(api, 'Broken');
    await createFeature(api, broken.projectId, 'only');
    expect((await api.op('enableV2Versioning', { params: { api_key: broken.clientKey } })).status).toBe(202);
    // Unreadable progress makes every batch throw; one attempt only, so the queue gives up at once.
    await k().updateTable('environments').set({ versioning_progress_json: '{not json' }).where('id', '=', broken.environmentId).execute();
    await k().updateTable('jobs').set({ max_attempts: 1 }).where('kind', '=', 'versioning.enable-v2').where('status', '=', 'pending').execute();
    await api.built.services.jobs.runOnce();

    const failed = (await api.op('getVersioningStatus', { params: { api_key: broken.clientKey } })).body;
    expect(failed).toMatchObject({ versioning_status: 'failed', use_v2_feature_versioning: false, progress: { done: 0, total: 0 } });
    expect(failed.last_error).toEqual(expect.stringContaining('JSON'));
    expect(await k().selectFrom('jobs').select('status').where('kind', '=', 'versioning.enable-v2').where('status', '=', 'dead').execute()).toHaveLength(1);

    expect((await api.op('enableV2Versioning', { params: { api_key: broken.clientKey } })).status).toBe(202);
    await api.built.services.jobs.runOnce();
    expect((await api.op('getVersioningStatus', { params: { api_key: broken.clientKey } })).body).toMatchObject({ versioning_status: 'v2', use_v2_feature_versioning: true, last_error: null });
  });
});
