import { sql, type Kysely } from 'kysely';

/* eslint-disable @typescript-eslint/no-explicit-any -- migrations run against a schema that is being built */

/**
 * Stable multivariate bucketing (issue 10 §2.1, ADR 0009). Every non-identity feature state carries the
 * seed of its lineage (environment, feature, segment or environment default): the id of the lineage's
 * first state. The environment document emits it as `django_id`, the key Flagsmith's engine hashes an
 * identity with, so a new version, a recreated override or a reweight keeps identities in their variant.
 * Existing rows start their own lineage (seed = own id); the oldest row of a lineage gives its seed.
 */
export function bucketingSeedsMigration() {
  return {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema.alterTable('feature_states').addColumn('mv_hashing_salt', 'integer').execute();
      await sql`UPDATE feature_states SET mv_hashing_salt = id WHERE identity_id IS NULL`.execute(db);
    },
    async down(db: Kysely<any>): Promise<void> {
      await db.schema.alterTable('feature_states').dropColumn('mv_hashing_salt').execute();
    },
  };
}
