import { sql } from 'kysely';
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
      if (traitKeys !== null && traitKeys.length === 0) {
        const rows = await k.selectFrom('identities').select(['id', 'identifier']).where('environment_id', '=', environmentId).where('id', '>', afterId).orderBy('id').limit(limit).execute();
        return rows.map((r) => ({ id: r.id, identifier: r.identifier, traits: [] }));
      }
      // One row per identity, its traits aggregated into one JSON object by the database (through the
      // traits_identity_key_uq index): a few times faster than one row per trait for large populations.
      const keyFilter = traitKeys === null ? sql`` : sql` AND t.trait_key IN (${sql.join(traitKeys.map((key) => sql`${key}`))})`;
      const aggregate =
        db.kind === 'postgres'
          ? // value_json already holds JSON text: joined as text, PostgreSQL parses nothing.
            sql<string | null>`(SELECT '{' || string_agg(to_json(t.trait_key)::text || ':' || t.value_json, ',') || '}' FROM traits t WHERE t.identity_id = i.id${keyFilter})`
          : sql<string | null>`(SELECT json_group_object(t.trait_key, json(t.value_json)) FROM traits t WHERE t.identity_id = i.id${keyFilter})`;
      const rows = await k
        .selectFrom('identities as i')
        .select(['i.id', 'i.identifier', aggregate.as('traits_json')])
        .where('i.environment_id', '=', environmentId)
        .where('i.id', '>', afterId)
        .orderBy('i.id')
        .limit(limit)
        .execute();
      return rows.map((r) => {
        const traits: TraitInput[] = [];
        if (r.traits_json) for (const [trait_key, trait_value] of Object.entries(JSON.parse(r.traits_json) as Record<string, unknown>)) traits.push({ trait_key, trait_value });
        return { id: r.id, identifier: r.identifier, traits };
      });
    },
  };
}
