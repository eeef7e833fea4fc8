import { existsSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { mkdirSync } from 'node:fs';
import SQLite from 'better-sqlite3';
import { runningServerPid } from './server-lock.js';

/** A backup or restore that cannot go ahead, with the reason for the operator (the CLI prints it and exits 2). */
export class BackupRefused extends Error {
  override readonly name = 'BackupRefused';
}

/** Printed when backup or restore is asked for on PostgreSQL: SQLite's online backup does not apply there. */
export function postgresBackupAdvice(): string {
  return [
    'backup and restore work on the SQLite database only; this server uses PostgreSQL (DATABASE_URL).',
    'Use PostgreSQL\'s own tools, which take a consistent snapshot while the servers run:',
    '  pg_dump --format=custom --no-owner --file=flagdesk.dump "$DATABASE_URL"',
    'and restore into an empty database (stop the servers first, or point them at the new database):',
    '  createdb flagdesk_restored',
    '  pg_restore --no-owner --exit-on-error --dbname="postgres://…/flagdesk_restored" flagdesk.dump',
  ].join('\n');
}

export interface BackupProgress {
  totalPages: number;
  remainingPages: number;
}

/**
 * Copies the SQLite database at `sourceFile` into a new file `targetFile` with SQLite's online backup API
 * (better-sqlite3 `backup()`): consistent at one point in time, while a server keeps reading and writing
 * the source (WAL mode). Refuses when `targetFile` exists or the source is missing.
 */
export async function backupSqlite(sourceFile: string, targetFile: string, onProgress?: (p: BackupProgress) => void): Promise<{ bytes: number }> {
  if (!existsSync(sourceFile)) throw new BackupRefused(`No database at ${sourceFile}: nothing to back up (check FLAGDESK_DATA_DIR).`);
  if (resolve(sourceFile) === resolve(targetFile)) throw new BackupRefused('The backup file must not be the database itself.');
  if (existsSync(targetFile)) throw new BackupRefused(`${targetFile} exists; choose a new file name (a backup never overwrites a file).`);
  mkdirSync(dirname(resolve(targetFile)), { recursive: true });
  const source = new SQLite(sourceFile, { readonly: true, fileMustExist: true });
  try {
    source.pragma('busy_timeout = 5000');
    await source.backup(targetFile, {
      progress: (p) => {
        onProgress?.(p);
        // Pages per step (16 MiB of 4 KiB pages): the server's writers go on between steps; a write by another
        // connection restarts the copy, so big steps let a busy database finish.
        return 4096;
      },
    });
  } finally {
    source.close();
  }
  return { bytes: statSync(targetFile).size };
}

/** Opens `file` read-only and checks it is a sound Flagdesk database; returns its number of applied migrations. */
function checkBackupFile(file: string): number {
  let db: SQLite.Database | undefined;
  try {
    db = new SQLite(file, { readonly: true, fileMustExist: true });
    const check = db.pragma('quick_check', { simple: true });
    if (check !== 'ok') throw new BackupRefused(`${file} is damaged (SQLite quick_check: ${String(check)}).`);
    const table = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'kysely_migration'").get();
    if (!table) throw new BackupRefused(`${file} is an SQLite file but not a Flagdesk database (no migrations table).`);
    return (db.prepare('SELECT count(*) AS n FROM kysely_migration').get() as { n: number }).n;
  } catch (error) {
    if (error instanceof BackupRefused) throw error;
    throw new BackupRefused(`${file} is not a readable SQLite database: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    db?.close();
  }
}

function hasUsers(file: string): boolean {
  if (!existsSync(file)) return false;
  const db = new SQLite(file, { readonly: true, fileMustExist: true });
  try {
    const table = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'users'").get();
    return table !== undefined && (db.prepare('SELECT count(*) AS n FROM users').get() as { n: number }).n > 0;
  } finally {
    db.close();
  }
}

/**
 * Replaces the database at `targetFile` with the backup `backupFile`. Refuses while a server runs on the
 * target (its open connections would keep writing to the replaced file), and when the target holds data
 * unless `force`. The copy is written beside the target and renamed over it, so an interrupted restore
 * leaves the old database whole; the old WAL and shared-memory files go with it.
 */
export async function restoreSqlite(backupFile: string, targetFile: string, options: { force: boolean }): Promise<{ migrations: number }> {
  if (!existsSync(backupFile)) throw new BackupRefused(`No backup file at ${backupFile}.`);
  const migrations = checkBackupFile(backupFile);
  const pid = runningServerPid(targetFile);
  if (pid !== undefined) throw new BackupRefused(`A Flagdesk server (pid ${pid}) is running on ${targetFile}. Stop it first, then restore.`);
  if (!options.force && hasUsers(targetFile)) {
    throw new BackupRefused(`${targetFile} already holds data. Restoring replaces all of it; run again with --force to do that.`);
  }
  mkdirSync(dirname(resolve(targetFile)), { recursive: true });
  const temp = join(dirname(resolve(targetFile)), `.restore-${process.pid}.sqlite`);
  rmSync(temp, { force: true });
  const source = new SQLite(backupFile, { readonly: true, fileMustExist: true });
  try {
    await source.backup(temp);
  } finally {
    source.close();
  }
  for (const suffix of ['-wal', '-shm']) rmSync(`${targetFile}${suffix}`, { force: true });
  renameSync(temp, targetFile);
  return { migrations };
}
