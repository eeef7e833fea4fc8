import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { sql } from 'kysely';
import { TestApi } from '../../support/api-harness.js';
import { createProject } from '../../support/tenancy.js';
import { buildApp, type BuiltApp } from '../../../sync-server/app/build-app.js';

/*
 * The change feed on PostgreSQL (ADR 0006): sequences are taken at commit under the counter's row lock, so
 * a reader paging by checkpoint while many transactions commit out of start order never skips one.
 */

interface Pulled {
  documents: { id: string; seq: number; name?: string; _deleted: boolean }[];
  checkpoint: { sequence: number };
}

describe('sync change feed on postgres', () => {
  const api = new TestApi('postgres');
  let project: number;

  beforeAll(async () => {
    await api.start();
    project = (await createProject(api, 'Concurrency')).id;
  });
  afterAll(() => api.stop());

  test('a reader paging while 60 transactions commit out of order sees every change, each once, in sequence order', async () => {
    const db = api.testDb.db;
    const names = Array.from({ length: 60 }, (_, i) => `concurrent-${i}`);
    let writing = true;

    // Each writer inserts early and commits late, after a random pause: start order and commit order differ,
    // which is what loses changes when a sequence is taken at insert time.
    const writers = (async () => {
      const queue = [...names];
      const lane = async () => {
        for (let name = queue.shift(); name !== undefined; name = queue.shift()) {
          await db.transaction(async (trx) => {
            await trx.insertInto('features').values({ uuid: `uuid-${name}`, project_id: project, name, type: 'STANDARD', initial_value: null, default_enabled: false, description: null, is_archived: false, is_server_key_only: false, created_at: new Date().toISOString() }).execute();
            await sql`SELECT pg_sleep(${Math.random() * 0.04})`.execute(trx);
          });
        }
      };
      await Promise.all([lane(), lane(), lane(), lane()]);
      writing = false;
    })();

    const seen = new Map<string, number>();
    let checkpoint = 0;
    let pulls = 0;
    const read = async () => {
      const r = await api.op<Pulled>('syncPull', { params: { collection: 'features' }, query: { checkpoint, limit: 7 } });
      expect(r.status).toBe(200);
      pulls++;
      let previous = checkpoint;
      for (const d of r.body.documents) {
        expect(d.seq).toBeGreaterThan(previous);
        previous = d.seq;
        expect(seen.has(d.id)).toBe(false);
        seen.set(d.id, d.seq);
      }
      expect(r.body.checkpoint.sequence).toBeGreaterThanOrEqual(checkpoint);
      checkpoint = r.body.checkpoint.sequence;
      return r.body.documents.length;
    };
    while (writing) await read();
    await writers;
    while ((await read()) > 0);

    expect(pulls).toBeGreaterThan(5);
    expect([...seen.keys()].filter((id) => id.startsWith('uuid-concurrent-')).sort()).toEqual(names.map((n) => `uuid-${n}`).sort());
    // Sequences are dense in commit order: the counter advanced once per committed change.
    const counter = await db.kysely.selectFrom('sync_counter').select('value').executeTakeFirstOrThrow();
    const max = await db.kysely.selectFrom('sync_changes').select((eb) => eb.fn.max('seq').as('m')).executeTakeFirstOrThrow();
    expect(Number(max.m)).toBe(Number(counter.value));
  });

  test('a rolled-back write leaves no change and no gap a reader waits on', async () => {
    const before = await api.op<Pulled>('syncPull', { params: { collection: 'features' }, query: { checkpoint: 0, limit: 1000 } });
    await expect(
      api.testDb.db.transaction(async (trx) => {
        await trx.insertInto('features').values({ uuid: 'uuid-rolled-back', project_id: project, name: 'rolled-back', type: 'STANDARD', initial_value: null, default_enabled: false, description: null, is_archived: false, is_server_key_only: false, created_at: new Date().toISOString() }).execute();
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    const after = await api.op<Pulled>('syncPull', { params: { collection: 'features' }, query: { checkpoint: before.body.checkpoint.sequence } });
    expect(after.body).toEqual({ documents: [], checkpoint: { sequence: before.body.checkpoint.sequence } });
  });

  test('a write through one server instance wakes a stream on another through LISTEN/NOTIFY', async () => {
    const other: BuiltApp = await buildApp({ db: (await import('../../../sync-server/platform/database/database.js')).openDatabase({ databaseUrl: api.testDb.location, poolSize: 2 }), clock: api.clock, databaseUrl: api.testDb.location });
    try {
      const address = await other.app.listen({ port: 0, host: '127.0.0.1' });
      const controller = new AbortController();
      const res = await fetch(`${address}/api/v1/sync/stream/?max_seconds=30`, { headers: { authorization: api.adminToken }, signal: controller.signal });
      const reader = res.body!.getReader();
      const decoder = new TextDecoder();
      let text = '';
      const until = async (pattern: RegExp) => {
        while (!pattern.test(text)) {
          const chunk = await reader.read();
          if (chunk.done) throw new Error(`stream ended before ${pattern}`);
          text += decoder.decode(chunk.value, { stream: true });
        }
      };
      await until(/event: checkpoint\ndata: \{"sequence":\d+,"collections":\[\]\}\n\n/);
      // Wait for the LISTEN connection before writing (the first event is sent before it is up).
      let listening = 0;
      for (let i = 0; i < 250 && listening === 0; i++) {
        const r = await sql<{ n: number }>`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND query = 'LISTEN flagdesk_sync'`.execute(api.testDb.db.kysely);
        listening = r.rows[0]!.n;
        if (listening === 0) await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(listening).toBe(1);
      const r = await api.op('createFeature', { params: { project_pk: project }, body: { name: 'notified-feature' } });
      expect(r.status).toBe(201);
      await until(/"collections":\["features"\]/);
      controller.abort();
    } finally {
      await other.app.close();
      await other.services.jobs.stop();
      await other.services.db.close();
    }
  });
});
