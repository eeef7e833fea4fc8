import { afterAll, beforeAll, describe } from 'vitest';
import { TestApi } from '../../support/api-harness.js';
import { DIALECTS } from '../../support/databases.js';
import { createEnvironment, createProject } from '../../support/tenancy.js';
import { runIdentityPopulationConformance } from '../../support/conformance/identity-population.js';
import { createIdentityPopulation } from '../../../sync-server/modules/identities/identity-population.sql.js';

describe.each(DIALECTS)('the identity population read model on %s', (dialect) => {
  const api = new TestApi(dialect);
  beforeAll(() => api.start());
  afterAll(() => api.stop());

  runIdentityPopulationConformance(`SQL (${dialect})`, async () => {
    const project = await createProject(api, 'Population');
    const a = await createEnvironment(api, project.id, 'A');
    const b = await createEnvironment(api, project.id, 'B');
    const k = api.testDb.db.kysely;
    const now = api.clock.now().toISOString();
    return {
      population: createIdentityPopulation(api.testDb.db),
      environments: [a.id, b.id],
      async add(environmentId, identifier, traits) {
        const row = await k.insertInto('identities').values({ uuid: `${environmentId}-${identifier}`, identifier, environment_id: environmentId, created_at: now }).returning('id').executeTakeFirstOrThrow();
        for (const [trait_key, value] of Object.entries(traits)) await k.insertInto('traits').values({ identity_id: row.id, trait_key, value_json: JSON.stringify(value), created_at: now }).execute();
        return row.id;
      },
    };
  });
});
