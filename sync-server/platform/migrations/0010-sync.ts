import { sql, type Kysely } from 'kysely';
import type { DialectName } from '../database/database.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- migrations run against a schema that is being built */

/**
 * The change feed of the desktop replica (issue 6, D3, D6, ADR 0006). Database triggers on every
 * replicated table keep one row per replicated document in `sync_changes`, in the transaction of the
 * write, whichever service made it. Its `seq` comes from the one-row `sync_counter`:
 * - on SQLite, in the trigger (SQLite has one writer at a time, so taking order is commit order);
 * - on PostgreSQL, in a DEFERRABLE INITIALLY DEFERRED constraint trigger, i.e. at COMMIT: the counter row
 *   lock is the last lock a transaction takes and is held only while it commits, so sequence order is
 *   commit order and a reader that has seen sequence N has seen every sequence below N.
 * `sync_intents` holds the commands (publish, schedule, approve, commit) replicas queue while offline.
 * Change requests (migration 0008) are replicated with their change sets, approvals and assignees.
 */

/** A replicated document that a row of a table maps to. SQL expressions use `R.` for the row (NEW or OLD). */
interface Touch {
  collection: string;
  docId: string;
  organisationId: string;
  projectId: string;
  environmentId: string;
  userId: string;
  /** Only when this condition holds. */
  when?: string;
}

interface TableSpec {
  table: string;
  /** Columns whose update changes a document; absent = any update. */
  updateOf?: string[];
  touches: Touch[];
  /** Extra touches on UPDATE that use both OLD and NEW (always `deleted`). */
  onUpdateDeleted?: Touch[];
  /** False: documents are not backfilled (access changes only wake replicas). */
  backfill?: boolean;
  /** True: the touch never marks a document deleted (access rows). */
  neverDeleted?: boolean;
}

const orgOfProject = (p: string) => `(SELECT organisation_id FROM projects WHERE id = ${p})`;
const projectOfEnv = (e: string) => `(SELECT project_id FROM environments WHERE id = ${e})`;
const orgOfEnv = (e: string) => `(SELECT p.organisation_id FROM environments e JOIN projects p ON p.id = e.project_id WHERE e.id = ${e})`;

/** Every table a replicated collection is built from (see src-shared/contracts/sync). */
export const SYNC_TABLES: TableSpec[] = [
  {
    table: 'organisations',
    updateOf: ['name', 'persist_trait_data', 'stop_serving_flags', 'plan_name', 'max_segment_overrides_per_environment', 'feature_history_visibility_days'],
    touches: [{ collection: `'organisations'`, docId: 'R.uuid', organisationId: 'R.id', projectId: 'NULL', environmentId: 'NULL', userId: 'NULL' }],
  },
  {
    table: 'projects',
    updateOf: ['name', 'hide_disabled_flags', 'organisation_id'],
    touches: [{ collection: `'projects'`, docId: 'R.uuid', organisationId: 'R.organisation_id', projectId: 'R.id', environmentId: 'NULL', userId: 'NULL' }],
  },
  {
    // Not document_revision nor event_sequence: every flag write bumps those.
    table: 'environments',
    updateOf: ['name', 'description', 'api_key', 'use_v2_feature_versioning', 'minimum_change_request_approvals', 'allow_client_traits', 'hide_disabled_flags', 'versioning_status', 'versioning_progress_json'],
    touches: [{ collection: `'environments'`, docId: 'R.uuid', organisationId: orgOfProject('R.project_id'), projectId: 'R.project_id', environmentId: 'R.id', userId: 'NULL' }],
  },
  {
    table: 'features',
    touches: [{ collection: `'features'`, docId: 'R.uuid', organisationId: orgOfProject('R.project_id'), projectId: 'R.project_id', environmentId: 'NULL', userId: 'NULL' }],
  },
  {
    // Options are part of their feature's document; a cascade from a deleted feature finds no feature.
    table: 'multivariate_options',
    backfill: false,
    touches: [
      {
        collection: `'features'`,
        docId: '(SELECT uuid FROM features WHERE id = R.feature_id)',
        organisationId: `(SELECT p.organisation_id FROM features f JOIN projects p ON p.id = f.project_id WHERE f.id = R.feature_id)`,
        projectId: '(SELECT project_id FROM features WHERE id = R.feature_id)',
        environmentId: 'NULL',
        userId: 'NULL',
        when: 'EXISTS (SELECT 1 FROM features WHERE id = R.feature_id)',
      },
    ],
    neverDeleted: true,
  },
  {
    table: 'segments',
    touches: [{ collection: `'segments'`, docId: 'R.uuid', organisationId: orgOfProject('R.project_id'), projectId: 'R.project_id', environmentId: 'NULL', userId: 'NULL' }],
  },
  {
    // A draft is a `drafts` document; once published (or scheduled) it is a `versions` document.
    table: 'environment_feature_versions',
    touches: [
      {
        collection: `CASE WHEN R.status = 'draft' THEN 'drafts' ELSE 'versions' END`,
        docId: 'R.uuid',
        organisationId: orgOfEnv('R.environment_id'),
        projectId: projectOfEnv('R.environment_id'),
        environmentId: 'R.environment_id',
        userId: 'NULL',
      },
    ],
    onUpdateDeleted: [
      { collection: `'drafts'`, docId: 'OLD.uuid', organisationId: orgOfEnv('OLD.environment_id'), projectId: projectOfEnv('OLD.environment_id'), environmentId: 'OLD.environment_id', userId: 'NULL', when: `OLD.status = 'draft' AND NEW.status <> 'draft'` },
    ],
  },
  {
    table: 'change_requests',
    touches: [{ collection: `'change_requests'`, docId: 'R.uuid', organisationId: orgOfEnv('R.environment_id'), projectId: projectOfEnv('R.environment_id'), environmentId: 'R.environment_id', userId: 'NULL' }],
  },
  // A change request's change sets, approvals and assignees are part of its document.
  ...(['change_request_change_sets', 'change_request_approvals', 'change_request_assignees'] as const).map(
    (table): TableSpec => ({
      table,
      backfill: false,
      neverDeleted: true,
      touches: [
        {
          collection: `'change_requests'`,
          docId: '(SELECT uuid FROM change_requests WHERE id = R.change_request_id)',
          organisationId: `(SELECT p.organisation_id FROM change_requests c JOIN environments e ON e.id = c.environment_id JOIN projects p ON p.id = e.project_id WHERE c.id = R.change_request_id)`,
          projectId: `(SELECT e.project_id FROM change_requests c JOIN environments e ON e.id = c.environment_id WHERE c.id = R.change_request_id)`,
          environmentId: '(SELECT environment_id FROM change_requests WHERE id = R.change_request_id)',
          userId: 'NULL',
          when: 'EXISTS (SELECT 1 FROM change_requests WHERE id = R.change_request_id)',
        },
      ],
    }),
  ),
  {
    table: 'sync_intents',
    touches: [{ collection: `'intents'`, docId: 'R.id', organisationId: 'R.organisation_id', projectId: 'R.project_id', environmentId: 'R.environment_id', userId: 'R.user_id' }],
  },
  // Access changes: replicas of the user start over (RESYNC), since documents they may now see kept their sequence.
  ...(['organisation_users', 'user_project_permissions', 'user_environment_permissions'] as const).map(
    (table): TableSpec => ({
      table,
      backfill: false,
      neverDeleted: true,
      touches: [
        {
          collection: `'access'`,
          docId: `'user:' || R.user_id`,
          organisationId: table === 'organisation_users' ? 'R.organisation_id' : table === 'user_project_permissions' ? orgOfProject('R.project_id') : orgOfEnv('R.environment_id'),
          projectId: 'NULL',
          environmentId: 'NULL',
          userId: 'R.user_id',
        },
      ],
    }),
  ),
];

const at = (expr: string, row: string) => expr.replace(/\bR\./g, `${row}.`);

function sqliteUpsert(t: Touch, row: 'NEW' | 'OLD', deleted: 0 | 1): string {
  // Always a WHERE: SQLite reads `SELECT … ON CONFLICT` ambiguously without one.
  const guard = `WHERE ${t.when ? at(t.when, row) : '1'}`;
  return `
    UPDATE sync_counter SET value = value + 1 WHERE id = 1 AND (SELECT 1 ${guard}) IS NOT NULL;
    INSERT INTO sync_changes (collection, doc_id, seq, organisation_id, project_id, environment_id, user_id, deleted)
      SELECT ${at(t.collection, row)}, ${at(t.docId, row)}, (SELECT value FROM sync_counter WHERE id = 1), ${at(t.organisationId, row)}, ${at(t.projectId, row)}, ${at(t.environmentId, row)}, ${at(t.userId, row)}, ${deleted}
      ${guard}
      ON CONFLICT (collection, doc_id) DO UPDATE SET seq = excluded.seq, deleted = excluded.deleted,
        organisation_id = COALESCE(excluded.organisation_id, sync_changes.organisation_id),
        project_id = COALESCE(excluded.project_id, sync_changes.project_id),
        environment_id = COALESCE(excluded.environment_id, sync_changes.environment_id),
        user_id = COALESCE(excluded.user_id, sync_changes.user_id);`;
}

function sqliteTriggers(s: TableSpec): string[] {
  const ins = s.touches.map((t) => sqliteUpsert(t, 'NEW', 0)).join('\n');
  const del = s.touches.map((t) => sqliteUpsert(t, 'OLD', s.neverDeleted ? 0 : 1)).join('\n');
  const upd = [...s.touches.map((t) => sqliteUpsert(t, 'NEW', 0)), ...(s.onUpdateDeleted ?? []).map((t) => sqliteUpsert(t, 'NEW', 1))].join('\n');
  const of = s.updateOf ? ` OF ${s.updateOf.join(', ')}` : '';
  return [
    `CREATE TRIGGER sync_${s.table}_ins AFTER INSERT ON ${s.table} BEGIN ${ins} END`,
    `CREATE TRIGGER sync_${s.table}_upd AFTER UPDATE${of} ON ${s.table} BEGIN ${upd} END`,
    `CREATE TRIGGER sync_${s.table}_del AFTER DELETE ON ${s.table} BEGIN ${del} END`,
  ];
}

function pgTouch(t: Touch, row: 'NEW' | 'OLD', deleted: boolean): string {
  const call = `PERFORM sync_touch(${at(t.collection, row)}, ${at(t.docId, row)}, ${at(t.organisationId, row)}, ${at(t.projectId, row)}, ${at(t.environmentId, row)}, ${at(t.userId, row)}, ${deleted});`;
  return t.when ? `IF ${at(t.when, row)} THEN ${call} END IF;` : call;
}

function pgTriggers(s: TableSpec): string[] {
  const fn = `sync_row_${s.table}`;
  const onDelete = s.touches.map((t) => pgTouch(t, 'OLD', !s.neverDeleted)).join('\n');
  const onWrite = s.touches.map((t) => pgTouch(t, 'NEW', false)).join('\n');
  const onUpdate = (s.onUpdateDeleted ?? []).map((t) => pgTouch(t, 'NEW', true)).join('\n');
  const of = s.updateOf ? ` OF ${s.updateOf.join(', ')}` : '';
  return [
    `CREATE FUNCTION ${fn}() RETURNS trigger LANGUAGE plpgsql AS $$
     BEGIN
       IF TG_OP = 'DELETE' THEN ${onDelete}
       ELSE ${onWrite}
         IF TG_OP = 'UPDATE' THEN ${onUpdate || 'NULL;'} END IF;
       END IF;
       RETURN NULL;
     END $$`,
    `CREATE TRIGGER sync_${s.table} AFTER INSERT OR DELETE OR UPDATE${of} ON ${s.table} FOR EACH ROW EXECUTE FUNCTION ${fn}()`,
  ];
}

/** The PostgreSQL functions shared by the row triggers: the upsert, and the sequence taken at commit. */
const PG_FUNCTIONS = [
  `CREATE FUNCTION sync_touch(c text, d text, o integer, p integer, e integer, u integer, del boolean) RETURNS void LANGUAGE plpgsql AS $$
   BEGIN
     INSERT INTO sync_changes AS s (collection, doc_id, seq, organisation_id, project_id, environment_id, user_id, deleted)
     VALUES (c, d, NULL, o, p, e, u, del)
     ON CONFLICT (collection, doc_id) DO UPDATE SET seq = NULL, deleted = EXCLUDED.deleted,
       organisation_id = COALESCE(EXCLUDED.organisation_id, s.organisation_id),
       project_id = COALESCE(EXCLUDED.project_id, s.project_id),
       environment_id = COALESCE(EXCLUDED.environment_id, s.environment_id),
       user_id = COALESCE(EXCLUDED.user_id, s.user_id);
   END $$`,
  // Runs at COMMIT (deferred). The counter's row lock orders commits: the next committer waits here
  // until this one has committed, then reads the value it left.
  `CREATE FUNCTION sync_assign_seq() RETURNS trigger LANGUAGE plpgsql AS $$
   DECLARE next_seq bigint;
   BEGIN
     IF EXISTS (SELECT 1 FROM sync_changes WHERE collection = NEW.collection AND doc_id = NEW.doc_id AND seq IS NULL) THEN
       UPDATE sync_counter SET value = value + 1 WHERE id = 1 RETURNING value INTO next_seq;
       UPDATE sync_changes SET seq = next_seq WHERE collection = NEW.collection AND doc_id = NEW.doc_id;
       PERFORM pg_notify('flagdesk_sync', json_build_object('seq', next_seq, 'collection', NEW.collection, 'organisation', NEW.organisation_id, 'user', NEW.user_id)::text);
     END IF;
     RETURN NULL;
   END $$`,
  `CREATE CONSTRAINT TRIGGER sync_changes_assign_seq AFTER INSERT OR UPDATE ON sync_changes
     DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NEW.seq IS NULL) EXECUTE FUNCTION sync_assign_seq()`,
];

export function syncMigration(kind: DialectName) {
  const bool = kind === 'postgres' ? 'boolean' : 'integer';
  const no = kind === 'postgres' ? 'false' : '0';
  return {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .createTable('sync_counter')
        .addColumn('id', 'integer', (c) => c.primaryKey())
        .addColumn('value', 'bigint', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('sync_changes')
        .addColumn('collection', 'text', (c) => c.notNull())
        .addColumn('doc_id', 'text', (c) => c.notNull())
        // Null only inside the writing transaction on PostgreSQL, until its commit assigns it.
        .addColumn('seq', 'bigint')
        .addColumn('organisation_id', 'integer')
        .addColumn('project_id', 'integer')
        .addColumn('environment_id', 'integer')
        .addColumn('user_id', 'integer')
        .addColumn('deleted', bool, (c) => c.notNull())
        .addPrimaryKeyConstraint('sync_changes_pk', ['collection', 'doc_id'])
        .execute();
      await db.schema.createIndex('sync_changes_collection_seq_idx').on('sync_changes').columns(['collection', 'seq']).execute();
      await db.schema.createIndex('sync_changes_seq_idx').on('sync_changes').column('seq').execute();

      await db.schema
        .createTable('sync_intents')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('user_id', 'integer', (c) => c.references('users.id').onDelete('cascade'))
        .addColumn('api_key_id', 'integer')
        .addColumn('organisation_id', 'integer', (c) => c.notNull().references('organisations.id').onDelete('cascade'))
        .addColumn('project_id', 'integer', (c) => c.notNull())
        .addColumn('environment_id', 'integer', (c) => c.notNull().references('environments.id').onDelete('cascade'))
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('payload_json', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('result_json', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('received_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();

      // Existing documents enter the feed first, numbered in one go; the triggers come after.
      for (const s of SYNC_TABLES.filter((t) => t.backfill !== false)) {
        for (const t of s.touches) {
          const where = t.when ? `WHERE ${at(t.when, 't')}` : '';
          await sql
            .raw(
              `INSERT INTO sync_changes (collection, doc_id, seq, organisation_id, project_id, environment_id, user_id, deleted)
               SELECT ${at(t.collection, 't')}, ${at(t.docId, 't')}, NULL, ${at(t.organisationId, 't')}, ${at(t.projectId, 't')}, ${at(t.environmentId, 't')}, ${at(t.userId, 't')}, ${no}
               FROM ${s.table} t ${where}`,
            )
            .execute(db);
        }
      }
      await sql
        .raw(
          `UPDATE sync_changes SET seq = n.rn FROM (SELECT collection AS c, doc_id AS d, row_number() OVER (ORDER BY collection, doc_id) AS rn FROM sync_changes) n
           WHERE sync_changes.collection = n.c AND sync_changes.doc_id = n.d`,
        )
        .execute(db);
      await sql.raw(`INSERT INTO sync_counter (id, value) SELECT 1, COUNT(*) FROM sync_changes`).execute(db);

      const statements = kind === 'postgres' ? [...PG_FUNCTIONS, ...SYNC_TABLES.flatMap(pgTriggers)] : SYNC_TABLES.flatMap(sqliteTriggers);
      for (const statement of statements) await sql.raw(statement).execute(db);
    },
  };
}
