import type { Db } from '../../platform/database/database.js';
import type { TraitInput } from '../../../src-shared/domain/evaluation/feature-states.js';

/** One stored identity with the traits a reader asked for. */
export interface PopulationIdentity {
  id: number;
  identifier: string;
  traits: TraitInput[];
}

/**
 * The identities module's read model of an environment's whole population, for work that evaluates
 * every identity (the impact preview, issue 14). It reads in id order, one batch at a time (identities,
 * then their traits by id range), so memory stays bounded by the batch size whatever the population.
 * No authorisation: the caller has checked access to the environment.
 */
export interface IdentityPopulation {
  count(environmentId: number): Promise<number>;
  /**
   * The identities with id > `afterId`, at most `limit`, with their traits; only the keys in
   * `traitKeys` when it is given (null: every trait).
   */
  batch(environmentId: number, afterId: number, limit: number, traitKeys: readonly string[] | null): Promise<PopulationIdentity[]>;
}

export function createIdentityPopulation(db: Db): IdentityPopulation {
  const k = db.kysely;
  return {
    async count(environmentId) {
      const r = await k.selectFrom('identities').select((eb) => eb.fn.countAll<number>().as('n')).where('environment_id', '=', environmentId).executeTakeFirst();
      return Number(r?.n ?? 0);
    },
    async batch(environmentId, afterId, limit, traitKeys) {
      const identities = await k
        .selectFrom('identities')
        .select(['id', 'identifier'])
        .where('environment_id', '=', environmentId)
        .where('id', '>', afterId)
        .orderBy('id')
        .limit(limit)
        .execute();
      if (identities.length === 0) return [];
      const first = identities[0]!.id;
      const last = identities[identities.length - 1]!.id;
      const byId = new Map<number, PopulationIdentity>(identities.map((i) => [i.id, { id: i.id, identifier: i.identifier, traits: [] }]));
      if (traitKeys === null || traitKeys.length > 0) {
        // By id range (the traits_identity_key_uq index): ids of other environments in the range are dropped below.
        let q = k.selectFrom('traits').select(['identity_id', 'trait_key', 'value_json']).where('identity_id', '>=', first).where('identity_id', '<=', last);
        if (traitKeys !== null) q = q.where('trait_key', 'in', [...traitKeys]);
        for (const t of await q.execute()) {
          byId.get(t.identity_id)?.traits.push({ trait_key: t.trait_key, trait_value: JSON.parse(t.value_json) as unknown });
        }
      }
      return [...byId.values()];
    },
  };
}
