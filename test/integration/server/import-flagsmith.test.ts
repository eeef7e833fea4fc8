import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { createTestDb, DIALECTS, type TestDb } from '../../support/databases.js';
import { runCli, startServerProcess, tempDataDir, type ServerProcess } from '../../support/server-process.js';
import { HttpClient } from '../../support/http-client.js';
import { seedOrganisation, servedFlags, type SeededOrganisation } from '../../support/seed-over-http.js';

// Real server processes on a shared, busy machine: generous limits (no timing is asserted).
vi.setConfig({ testTimeout: 300_000, hookTimeout: 300_000 });

const SOURCE_ADMIN = { email: 'source@example.com', password: 'source-password' };
const TARGET_ADMIN = { FLAGDESK_ADMIN_EMAIL: 'ops@example.com', FLAGDESK_ADMIN_PASSWORD: 'ops-password' };

/**
 * An identity's multivariate variant is a hash of the feature state's database id and the identity's
 * id (Flagsmith's engine), which no import can carry over: ids are the target's own. So for identities
 * the split feature is compared as "one of its variants"; its weights are compared exactly (below),
 * and every other flag exactly.
 */
function withVariantsMasked(flags: Record<string, unknown>): Record<string, unknown> {
  const variants = ['classic', 'one_page', 'wizard'];
  return Object.fromEntries(
    Object.entries(flags).map(([key, entry]: [string, any]) => {
      if (!key.startsWith('identity ') || !entry.flags.checkout_flow) return [key, entry];
      const v = entry.flags.checkout_flow.value;
      return [key, { ...entry, flags: { ...entry.flags, checkout_flow: { ...entry.flags.checkout_flow, value: variants.includes(v) ? 'a variant' : v } } }];
    }),
  );
}

/**
 * Issue 13 item 5: `npm run cli -- import-flagsmith` against a second Flagdesk server, which speaks the
 * Flagsmith Admin API. After the import both servers serve the same flags to the same identities (with
 * their traits); a second run writes nothing.
 */
describe.each(DIALECTS)('import-flagsmith into a Flagdesk server on %s', (dialect) => {
  let source: ServerProcess;
  let target: ServerProcess;
  let targetStorage: Record<string, string>;
  let pgDb: TestDb | undefined;
  let seeded: SeededOrganisation;
  let sourceToken: string;
  let sourceFlags: Record<string, unknown>;
  let firstRun: { status: number | null; output: string };

  const targetApi = () => new HttpClient(target.url).login(TARGET_ADMIN.FLAGDESK_ADMIN_EMAIL, TARGET_ADMIN.FLAGDESK_ADMIN_PASSWORD);
  const runImport = () => runCli(['import-flagsmith', '--url', `${source.url}/api/v1/`, '--token', sourceToken], { ...targetStorage, ...TARGET_ADMIN });

  /** The target's environment keys by name (they differ from the source's). */
  async function targetKeys(): Promise<SeededOrganisation['environments']> {
    const api = await targetApi();
    const out: SeededOrganisation['environments'] = [];
    for (const p of await api.call('listProjects')) for (const e of (await api.call('listEnvironments', {}, undefined, `?project=${p.id}`)).results) out.push({ name: e.name, id: e.id, apiKey: e.api_key });
    return out;
  }
  async function targetFlags(): Promise<Record<string, unknown>> {
    const environments = await targetKeys();
    const byName = new Map(environments.map((e) => [e.name, e.apiKey]));
    const identities = seeded.identities.map((i) => ({ ...i, environmentKey: byName.get(seeded.environments.find((e) => e.apiKey === i.environmentKey)!.name)! }));
    return servedFlags(await targetApi(), { environments, identities });
  }
  async function auditCount(): Promise<number> {
    return (await (await targetApi()).call('listAuditLogs', {}, undefined, '?page_size=1')).count as number;
  }

  beforeAll(async () => {
    source = await startServerProcess({ FLAGDESK_DATA_DIR: tempDataDir(), FLAGDESK_ADMIN_EMAIL: SOURCE_ADMIN.email, FLAGDESK_ADMIN_PASSWORD: SOURCE_ADMIN.password }, 90_000);
    const sourceApi = await new HttpClient(source.url).login(SOURCE_ADMIN.email, SOURCE_ADMIN.password);
    sourceToken = sourceApi.token;
    seeded = await seedOrganisation(sourceApi);
    sourceFlags = await servedFlags(sourceApi, seeded);

    if (dialect === 'sqlite') targetStorage = { FLAGDESK_DATA_DIR: tempDataDir() };
    else {
      pgDb = await createTestDb('postgres');
      await pgDb.db.close();
      targetStorage = { DATABASE_URL: pgDb.location };
    }
    // The target runs while the import writes into its database, as an operator would do it.
    target = await startServerProcess({ ...targetStorage, ...TARGET_ADMIN }, 90_000);
    firstRun = runImport();
  });

  afterAll(async () => {
    await source?.stop('SIGKILL');
    await target?.stop('SIGKILL');
    await pgDb?.drop();
  });

  test('the import reports its progress, and the target serves the same flags as the source to every identity', async () => {
    expect(firstRun.output).toContain('Importing Flagsmith organisation');
    expect(firstRun.output).toContain('project Shop');
    expect(firstRun.output).toContain('project Blog');
    expect(firstRun.output).toMatch(/features: 4 created, 0 updated, 0 unchanged/);
    expect(firstRun.output).toMatch(/segment overrides: 2 created/);
    expect(firstRun.output).toMatch(/identity overrides: 1 created/);
    expect(firstRun.status).toBe(0);
    expect(withVariantsMasked(await targetFlags())).toEqual(withVariantsMasked(sourceFlags));
  });

  test('the imported segments, options and overrides read as the source wrote them', async () => {
    const api = await targetApi();
    const shop = (await api.call('listProjects')).find((p: any) => p.name === 'Shop');
    const segments = (await api.call('listSegments', { project_pk: shop.id })).results.map((s: any) => s.name).sort();
    expect(segments).toEqual(['big_customers', 'staff']);
    const checkout = (await api.call('listFeatures', { project_pk: shop.id })).results.find((f: any) => f.name === 'checkout_flow');
    expect(checkout.multivariate_options.map((o: any) => [o.string_value, o.default_percentage_allocation])).toEqual([['one_page', 30], ['wizard', 20]]);
    const production = (await api.call('listEnvironments', {}, undefined, `?project=${shop.id}`)).results.find((e: any) => e.name === 'Production');
    const state = (await api.call('listEnvironmentFeatureStates', { environment_api_key: production.api_key }, undefined, `?feature=${checkout.id}`)).results[0];
    const optionValue = new Map(checkout.multivariate_options.map((o: any) => [o.id, o.string_value]));
    expect(state.multivariate_feature_state_values.map((v: any) => [optionValue.get(v.multivariate_feature_option), v.percentage_allocation]).sort()).toEqual([['one_page', 50], ['wizard', 25]]);
    // The priorities of the two segment overrides of banner_text: staff first, as on the source.
    const banner = (await api.call('listFeatures', { project_pk: shop.id })).results.find((f: any) => f.name === 'banner_text');
    const overrides = (await api.call('listFeatureSegments', {}, undefined, `?environment=${production.id}&feature=${banner.id}`)).results;
    expect(overrides.sort((a: any, b: any) => a.priority - b.priority).map((o: any) => o.segment_name)).toEqual(['staff', 'big_customers']);
  });

  test('a second run changes nothing', async () => {
    const before = await auditCount();
    const second = runImport();
    expect(second.output).toContain('Nothing to change: Flagdesk already matches the source.');
    expect(second.output).not.toMatch(/[1-9]\d* (created|updated)/);
    expect(second.status).toBe(0);
    expect(await auditCount()).toBe(before);
    expect(withVariantsMasked(await targetFlags())).toEqual(withVariantsMasked(sourceFlags));
    // The import's writes (from the CLI process, beside the running server) are in the audit chain.
    const api = await targetApi();
    const organisation = (await api.call('listOrganisations')).results[0].id as number;
    expect(await api.call('getAuditLogIntegrity', { organisation_pk: organisation })).toMatchObject({ is_valid: true, first_broken: null });
  });

  test('a token the source refuses stops the import with a clear message and writes nothing', async () => {
    const before = await auditCount();
    const r = runCli(['import-flagsmith', '--url', source.url, '--token', 'not-a-token'], { ...targetStorage, ...TARGET_ADMIN });
    expect(r.status).toBe(2);
    expect(r.output).toContain('answered 401: the token is not accepted');
    expect(await auditCount()).toBe(before);
  });
});
