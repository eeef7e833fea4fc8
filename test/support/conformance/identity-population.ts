import { expect, test } from 'vitest';
import type { IdentityPopulation } from '../../../sync-server/modules/identities/identity-population.sql.js';

/** Seeds identities with traits in an environment; returns their ids in creation order. */
export interface PopulationSeeder {
  population: IdentityPopulation;
  environments: [number, number];
  add(environmentId: number, identifier: string, traits: Record<string, unknown>): Promise<number>;
}

/** The contract every IdentityPopulation adapter passes (the SQL read model on both databases, and the fake). */
export function runIdentityPopulationConformance(name: string, setup: () => Promise<PopulationSeeder>): void {
  test(`${name}: counts one environment, reads it in id order in batches, and filters traits by key`, async () => {
    const { population, environments, add } = await setup();
    const [env, other] = environments;
    const ids: number[] = [];
    for (let i = 0; i < 5; i++) ids.push(await add(env, `user-${i}`, { plan: i % 2 === 0 ? 'pro' : 'free', age: 20 + i, beta: i === 3 }));
    await add(other, 'elsewhere', { plan: 'pro' });
    await add(env, 'no-traits', {});

    expect(await population.count(env)).toBe(6);
    const first = await population.batch(env, 0, 2, null);
    expect(first.map((i) => i.identifier)).toEqual(['user-0', 'user-1']);
    const byKey = (traits: { trait_key: string; trait_value: unknown }[]) => Object.fromEntries(traits.map((t) => [t.trait_key, t.trait_value]));
    expect(byKey(first[0]!.traits)).toEqual({ plan: 'pro', age: 20, beta: false });
    const rest = await population.batch(env, first[1]!.id, 10, ['plan', 'beta']);
    expect(rest.map((i) => i.identifier)).toEqual(['user-2', 'user-3', 'user-4', 'no-traits']);
    expect(rest.map((i) => byKey(i.traits))).toEqual([{ plan: 'pro', beta: false }, { plan: 'free', beta: true }, { plan: 'pro', beta: false }, {}]);
    expect(await population.batch(env, ids[4]!, 10, [])).toEqual([expect.objectContaining({ identifier: 'no-traits', traits: [] })]);
    expect(await population.batch(env, 2_147_483_647, 10, null)).toEqual([]);
  });
}
