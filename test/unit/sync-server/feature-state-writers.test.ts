import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, test } from 'vitest';

/*
 * Issue 10 §1 (ADR 0009): the feature-state tables have few writers, named here. A new file that writes
 * them (`insertInto` / `updateTable` / `deleteFrom` of one of these tables) fails this test: route the
 * write through the owner (the versions module for versioned rows, `platform/database/feature-state-rows.ts`
 * for the shape of a new row) instead of adding another writer. Removing a writer means shrinking the list.
 */
const ROOT = resolve(import.meta.dirname, '../../..');
const TABLES = ['feature_states', 'feature_segments', 'multivariate_feature_state_values'] as const;

/** Every file allowed to write each table today, and why. */
const WRITERS: Record<(typeof TABLES)[number], string[]> = {
  feature_states: [
    'sync-server/modules/features/features.store.sql.ts', // v1 saves in place (environment defaults, v1 overrides)
    'sync-server/modules/identities/identities.store.sql.ts', // identity overrides (outside every version, spec §1.8)
    'sync-server/modules/migration/migration.store.sql.ts', // v1 rows pruned before a feature's initial version
    'sync-server/modules/versions/versions.store.sql.ts', // the rows of versions, derived from their content
    'sync-server/platform/database/feature-state-rows.ts', // the one shape of a new non-identity row (with its bucketing seed)
  ],
  feature_segments: [
    'sync-server/modules/migration/migration.store.sql.ts',
    'sync-server/modules/segments/feature-segments.store.sql.ts', // v1 overrides' containers and priorities
    'sync-server/modules/versions/versions.store.sql.ts',
  ],
  multivariate_feature_state_values: [
    'sync-server/modules/features/features.store.sql.ts',
    'sync-server/modules/migration/migration.store.sql.ts',
    'sync-server/modules/versions/versions.store.sql.ts',
    'sync-server/platform/database/feature-state-rows.ts',
  ],
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? sourceFiles(path) : /\.ts$/.test(entry.name) ? [path] : [];
  });
}

function writersOf(table: string): string[] {
  const write = new RegExp(`\\.(insertInto|updateTable|deleteFrom)\\(\\s*['"\`]${table}(\\s+as\\s+\\w+)?['"\`]`);
  return sourceFiles(join(ROOT, 'sync-server'))
    .filter((file) => !file.includes(`${join('platform', 'migrations')}`))
    .filter((file) => write.test(readFileSync(file, 'utf8')))
    .map((file) => relative(ROOT, file))
    .sort();
}

describe('writers of the feature-state tables (issue 10, ADR 0009)', () => {
  test.each(TABLES)('%s is written only by its named writers', (table) => {
    expect(writersOf(table)).toEqual(WRITERS[table]);
  });
});
