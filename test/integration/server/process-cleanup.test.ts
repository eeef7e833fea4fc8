import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { createTestDb, DIALECTS, type TestDb } from '../../support/databases.js';
import { cleanUpServerProcesses, startServerProcess, tempDataDir } from '../../support/server-process.js';

/**
 * Issue 16 item 10: the suite leaves no server process and no data folder behind. A server killed with
 * SIGKILL is gone with everything it started, whatever runs the TypeScript; the folders of a test file go
 * when it ends.
 */

/** Pids of live processes whose environment holds `marker` (the server and anything it spawned). */
function processesWith(marker: string): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const environ = readFileSync(join('/proc', name, 'environ'), 'latin1');
      const status = readFileSync(join('/proc', name, 'status'), 'latin1');
      if (environ.includes(marker) && !/^State:\s+Z/m.test(status)) pids.push(Number(name));
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return pids;
}

describe.each(DIALECTS)('server processes of a test on %s', (dialect) => {
  let pgDb: TestDb | undefined;
  afterEach(async () => {
    await pgDb?.drop();
    pgDb = undefined;
  });

  test('SIGKILL stops the whole server (nothing listens, no process left); the data folder is removed at the end', async () => {
    const marker = `FLAGDESK_TEST_MARKER=${crypto.randomUUID()}`;
    const dir = tempDataDir();
    let storage: Record<string, string> = { FLAGDESK_DATA_DIR: dir };
    if (dialect === 'postgres') {
      pgDb = await createTestDb('postgres');
      await pgDb.db.close();
      storage = { DATABASE_URL: pgDb.location, FLAGDESK_DATA_DIR: dir };
    }
    const server = await startServerProcess({ ...storage, FLAGDESK_TEST_MARKER: marker.split('=')[1]! });
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
    expect(processesWith(marker).length).toBeGreaterThan(0);

    await server.stop('SIGKILL');
    await expect(fetch(`${server.url}/health`)).rejects.toThrow();
    expect(processesWith(marker)).toEqual([]);

    expect(existsSync(dir)).toBe(true);
    await cleanUpServerProcesses();
    expect(existsSync(dir)).toBe(false);
  });

  test('a server a test forgot to stop is killed when its file ends', async () => {
    const marker = `FLAGDESK_TEST_MARKER=${crypto.randomUUID()}`;
    const storage: Record<string, string> = { FLAGDESK_DATA_DIR: tempDataDir() };
    if (dialect === 'postgres') {
      pgDb = await createTestDb('postgres');
      await pgDb.db.close();
      storage.DATABASE_URL = pgDb.location;
    }
    const server = await startServerProcess({ ...storage, FLAGDESK_TEST_MARKER: marker.split('=')[1]! });
    expect(processesWith(marker).length).toBeGreaterThan(0);
    await cleanUpServerProcesses();
    await expect(fetch(`${server.url}/health`)).rejects.toThrow();
    expect(processesWith(marker)).toEqual([]);
  });
});
