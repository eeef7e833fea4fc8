import type { Db, DbExecutor } from '../../platform/database/database.js';
import type { Kysely } from 'kysely';
import type { Database } from '../../platform/database/database.schema.js';

/**
 * A `Db` whose queries and transactions all run inside an open transaction `trx`: `transaction(fn)` runs
 * `fn(trx)` in place (no nested transaction). The composition root builds a versions service on it, so a
 * pipeline step's publishes commit or roll back with the step's own rows, audit entries and events (D3).
 */
export function joinTransaction(db: Db, trx: DbExecutor): Db {
  const joined = trx as Kysely<Database>;
  return {
    kysely: joined,
    kind: db.kind,
    transaction: (fn) => fn(joined),
    // The transaction's owner closes the connection; closing a joined handle would end someone else's work.
    close: async () => {},
  };
}
