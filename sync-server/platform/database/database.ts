import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import {
  Kysely,
  PostgresDialect,
  SqliteDialect,
  OperationNodeTransformer,
  type KyselyPlugin,
  type PluginTransformQueryArgs,
  type PluginTransformResultArgs,
  type QueryResult,
  type RootOperationNode,
  type UnknownRow,
  type ValueNode,
  type PrimitiveValueListNode,
  type Transaction,
} from 'kysely';
import type { Database } from './database.schema.js';

export type DialectName = 'sqlite' | 'postgres';

/** The database handle every store receives. `kind` lets a store pick dialect-specific SQL where needed. */
export interface Db {
  readonly kysely: Kysely<Database>;
  readonly kind: DialectName;
  /**
   * Runs `fn` in one transaction; everything a command writes (rows, audit, outbox) goes through it.
   * On PostgreSQL a deadlock or serialisation failure reruns `fn` (up to 3 attempts), so `fn` must only
   * have effects through `trx` (and `afterCommit`).
   */
  transaction<T>(fn: (trx: Kysely<Database>) => Promise<T>): Promise<T>;
  close(): Promise<void>;
  /** Connection pool use (PostgreSQL); undefined on SQLite, which has one connection and no pool. */
  poolStats?(): PoolStats | undefined;
}

/** Connection pool use, as the driver reports it. */
export interface PoolStats {
  /** Connections open, in use or idle. */
  total: number;
  idle: number;
  /** Queries waiting for a free connection. */
  waiting: number;
  max: number;
}

export type DbExecutor = Kysely<Database> | Transaction<Database>;

export interface DatabaseOptions {
  /** PostgreSQL connection string; when absent, SQLite at `sqliteFile`. */
  databaseUrl?: string | undefined;
  sqliteFile?: string;
  /** Pool size for PostgreSQL. */
  poolSize?: number;
}

/** better-sqlite3 binds no booleans: turn boolean parameters into 0/1 before they reach the driver. */
class SqliteBooleanTransformer extends OperationNodeTransformer {
  protected override transformValue(node: ValueNode): ValueNode {
    const v = node.value;
    return typeof v === 'boolean' ? { ...node, value: v ? 1 : 0 } : super.transformValue(node);
  }
  protected override transformPrimitiveValueList(node: PrimitiveValueListNode): PrimitiveValueListNode {
    return { ...node, values: node.values.map((v) => (typeof v === 'boolean' ? (v ? 1 : 0) : v)) };
  }
}

class SqliteBooleanPlugin implements KyselyPlugin {
  readonly #transformer = new SqliteBooleanTransformer();
  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    return this.#transformer.transformNode(args.node);
  }
  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return args.result;
  }
}

// PostgreSQL returns int8 (count(*), bigserial) as strings by default; our ids and counts fit in a double.
pg.types.setTypeParser(20, (v: string) => Number.parseInt(v, 10));

export function openDatabase(options: DatabaseOptions): Db {
  if (options.databaseUrl) {
    const pool = new pg.Pool({ connectionString: options.databaseUrl, max: options.poolSize ?? 10 });
    const kysely = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    const max = options.poolSize ?? 10;
    return { ...wrap(kysely, 'postgres'), poolStats: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount, max }) };
  }
  const file = options.sqliteFile ?? ':memory:';
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const sqlite = new SQLite(file);
  // WAL lets readers proceed while one writer commits; NORMAL sync is durable across process crashes
  // (only an OS crash can lose the last commits), which is SQLite's recommended pairing with WAL.
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  cachePreparedStatements(sqlite);
  const kysely = new Kysely<Database>({
    dialect: new SqliteDialect({ database: sqlite }),
    plugins: [new SqliteBooleanPlugin()],
  });
  return wrap(kysely, 'sqlite');
}

/**
 * better-sqlite3 compiles a statement on every `prepare()`, and Kysely prepares every query it runs, so a
 * hot query would be compiled on every request: keep compiled statements by their SQL (a statement still
 * iterating is never handed out twice). SQLite recompiles a kept statement itself after a schema change.
 */
function cachePreparedStatements(sqlite: SQLite.Database, max = 2000): void {
  const prepare = sqlite.prepare.bind(sqlite);
  const cache = new Map<string, SQLite.Statement>();
  sqlite.prepare = ((source: string) => {
    const kept = cache.get(source);
    if (kept && !kept.busy) return kept;
    const statement = prepare(source);
    if (!kept) {
      if (cache.size >= max) cache.delete(cache.keys().next().value!);
      cache.set(source, statement);
    }
    return statement;
  }) as typeof sqlite.prepare;
}

/** Callbacks to run once the transaction a `trx` belongs to has committed; keyed by the transaction object. */
const commitHooks = new WeakMap<object, (() => void)[]>();
/** Work to do inside the transaction, after its body, just before it commits; keyed by the transaction object. */
const finalHooks = new WeakMap<object, (() => Promise<void>)[]>();

/**
 * Runs `fn` inside the transaction of `trx`, after the transaction's body and before it commits (in the
 * order registered); outside a `db.transaction`, runs it now. For work that must take a lock *last*: a
 * row lock taken at the very end cannot sit in the middle of a lock cycle, so two writers that lock
 * environments and then the organisation's audit-chain head in different orders cannot deadlock.
 */
export async function beforeCommit(trx: DbExecutor, fn: () => Promise<void>): Promise<void> {
  const hooks = finalHooks.get(trx);
  if (hooks) hooks.push(fn);
  else await fn();
}

/**
 * Runs `fn` after the transaction of `trx` commits (never when it rolls back), e.g. to wake the worker
 * that drains an outbox row written in it. Outside a `db.transaction`, runs it on the next microtask.
 * `fn` must not throw; it is for nudges, not for work that must happen (that belongs in the outbox).
 */
export function afterCommit(trx: DbExecutor, fn: () => void): void {
  const hooks = commitHooks.get(trx);
  if (hooks) hooks.push(fn);
  else queueMicrotask(fn);
}

/**
 * PostgreSQL aborts one of two transactions that wait on each other's row locks (40P01) and may abort a
 * transaction on a serialisation failure (40001). Both mean "run it again": nothing of the aborted
 * attempt was written.
 */
function isRetryableConflict(kind: DialectName, error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return kind === 'postgres' && (code === '40P01' || code === '40001');
}

function wrap(kysely: Kysely<Database>, kind: DialectName): Db {
  return {
    kysely,
    kind,
    async transaction(fn) {
      for (let attempt = 1; ; attempt++) {
        const hooks: (() => void)[] = [];
        try {
          const result = await kysely.transaction().execute(async (trx) => {
            commitHooks.set(trx, hooks);
            const finals: (() => Promise<void>)[] = [];
            finalHooks.set(trx, finals);
            const value = await fn(trx);
            // A hook may register more; run until none is left.
            for (let i = 0; i < finals.length; i++) await finals[i]!();
            finalHooks.delete(trx);
            return value;
          });
          for (const hook of hooks) hook();
          return result;
        } catch (error) {
          if (attempt >= 3 || !isRetryableConflict(kind, error)) throw error;
          await new Promise((resolve) => setTimeout(resolve, 5 + Math.random() * 20 * attempt));
        }
      }
    },
    close: () => kysely.destroy(),
  };
}
