import { describe, expect, test } from 'vitest';
import { createManualClock } from '../../../sync-server/platform/clock/clock.js';
import { createImpactJobs, IMPACT_BATCH_SIZE } from '../../../sync-server/modules/impact/impact-jobs.js';
import { buildImpactModel } from '../../../src-shared/domain/impact/impact.rules.js';
import { FakeIdentityPopulation } from '../../support/identity-population.fake.js';
import { runIdentityPopulationConformance } from '../../support/conformance/identity-population.js';
import { impactDocument, onOffContent } from '../../support/impact-fixtures.js';

describe('the fake identity population', () => {
  runIdentityPopulationConformance('fake', async () => {
    const population = new FakeIdentityPopulation();
    return { population, environments: [1, 2], add: async (env, identifier, traits) => population.add(env, identifier, traits) };
  });
});

describe('impact preview jobs', () => {
  const subject = { kind: 'version' as const, environment_id: 1, feature_id: 10, version_uuid: 'v', change_request_id: null };

  test('report progress batch by batch and stop at the next batch when cancelled', async () => {
    const population = new FakeIdentityPopulation();
    for (let i = 0; i < IMPACT_BATCH_SIZE * 3; i++) population.add(1, `user-${i}`);
    const jobs = createImpactJobs({ clock: createManualClock('2026-06-01T12:00:00.000Z'), population });
    const release = population.holdFrom(1);
    const { id, done } = jobs.start({ subject, model: buildImpactModel(impactDocument(), [onOffContent(true)]), mergedWithLive: false });
    // The first batch is evaluated; the second read waits.
    while (population.batchesStarted < 2) await new Promise((r) => setImmediate(r));
    expect(jobs.get(id)?.wire).toMatchObject({ status: 'running', progress: { evaluated: IMPACT_BATCH_SIZE, total: IMPACT_BATCH_SIZE * 3 } });
    jobs.cancel(id);
    release();
    await done;
    const wire = jobs.get(id)!.wire;
    expect(wire.status).toBe('cancelled');
    // The batch in hand when it was cancelled is the last one evaluated; the third is never read.
    expect(wire.identities_evaluated).toBe(IMPACT_BATCH_SIZE * 2);
    expect(population.batchesRead).toBe(2);
    expect(wire.finished_at).toBe('2026-06-01T12:00:00.000Z');
  });

  test('a finished preview counts every identity, and one more than four running at once is refused', async () => {
    const population = new FakeIdentityPopulation();
    for (let i = 0; i < 10; i++) population.add(1, `user-${i}`);
    const jobs = createImpactJobs({ clock: createManualClock('2026-06-01T12:00:00.000Z'), population });
    const model = buildImpactModel(impactDocument(), [onOffContent(true)]);
    const { id, done } = jobs.start({ subject, model, mergedWithLive: false });
    await done;
    expect(jobs.get(id)?.wire).toMatchObject({ status: 'done', identities_evaluated: 10, changed_any: 10 });

    const release = population.holdFrom(0);
    const running = Array.from({ length: 4 }, () => jobs.start({ subject, model, mergedWithLive: false }));
    expect(() => jobs.start({ subject, model, mergedWithLive: false })).toThrow(/4 impact previews are running/);
    release();
    await Promise.all(running.map((r) => r.done));
    await jobs.close();
  });
});
