import { afterEach, describe, expect, test, vi } from 'vitest';
import { getRxStorageMemory } from 'rxdb/plugins/storage-memory';
import { createReplicaDatabase, type ReplicaDatabase } from '../../../../src-renderer/replica/replica-db.js';
import { startReplica } from '../../../../src-renderer/replica/replication.js';
import { createLocalDraft } from '../../../../src-renderer/replica/local-drafts.js';
import type { Replica } from '../../../../src-renderer/replica/replica.js';

/*
 * Starting a replica while the server is away (an app start or a page reload offline): a replica that
 * finished its first replication in an earlier session is readable at once; a new one is not (screens
 * would show half-filled lists), so they keep asking the API until it has replicated.
 */

const unreachable = (() => Promise.reject(new TypeError('fetch failed'))) as typeof fetch;
let db: ReplicaDatabase | undefined;
let replica: Replica | undefined;

afterEach(async () => {
  await replica?.close();
  if (db && !db.closed) await db.close();
  replica = undefined;
  db = undefined;
});

async function until(ok: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 300 && !ok(); i++) await new Promise((r) => setTimeout(r, 10));
  if (!ok()) throw new Error(`timed out waiting for ${what}`);
}

describe('starting a replica offline', () => {
  test('a replica that replicated before is readable at once, while offline', async () => {
    db = await createReplicaDatabase({ name: `start${Date.now()}a`, storage: getRxStorageMemory() });
    await db.upsertLocal('replicated-once', { at: '2026-11-24T10:00:00.000Z' });
    replica = startReplica({ db, baseUrl: 'http://server.test', fetch: unreachable, getToken: () => 't', userId: 1, retryMs: 50 });
    await until(() => replica!.status.getState().connection === 'offline', 'offline');
    await until(() => replica!.status.getState().initial?.finished === true, 'the replica readable');
    await replica.awaitInitialReplication();
  });

  test('a new replica is not readable until its first replication finished', async () => {
    db = await createReplicaDatabase({ name: `start${Date.now()}b`, storage: getRxStorageMemory() });
    replica = startReplica({ db, baseUrl: 'http://server.test', fetch: unreachable, getToken: () => 't', userId: 1, retryMs: 50 });
    await until(() => replica!.status.getState().connection === 'offline', 'offline');
    // Several retries later it is still not finished, and it has not marked itself as replicated.
    await new Promise((r) => setTimeout(r, 200));
    expect(replica.status.getState().initial).toEqual({ done: 0, total: 9, finished: false });
    expect(await db.getLocal('replicated-once')).toBeNull();
  });

  test('a push the server refuses as a whole comes back as a refusal on each draft, instead of blocking every later push', async () => {
    db = await createReplicaDatabase({ name: `start${Date.now()}c`, storage: getRxStorageMemory() });
    const draft = await createLocalDraft(db, { environment: { pk: 101, organisationId: 1, projectId: 10 }, featureId: 1000, userId: 1, live: null, fallback: { environmentDefault: { enabled: true, value: { type: 'unicode', string_value: 'x', integer_value: null, boolean_value: null }, multivariateWeights: {} }, segmentOverrides: {} } });
    let pushes = 0;
    const server = (async (url: string | URL) => {
      const path = String(url);
      if (path.includes('/stream/')) return new Response(new ReadableStream({ start: () => undefined }), { status: 200 });
      if (path.includes('/push/')) {
        pushes++;
        return new Response(JSON.stringify({ code: 'PAYLOAD_TOO_LARGE', message: 'The request body is too large.' }), { status: 413 });
      }
      return new Response(JSON.stringify({ documents: [], checkpoint: { sequence: 0 } }), { status: 200 });
    }) as typeof fetch;
    replica = startReplica({ db, baseUrl: 'http://server.test', fetch: server, getToken: () => 't', userId: 1, retryMs: 50 });
    await vi.waitFor(async () => expect((await db!.drafts.findOne(draft.id).exec())?.error?.code).toBe('PAYLOAD_TOO_LARGE'));
    // Refused, it is not offered again until the user edits it.
    const after = pushes;
    await new Promise((r) => setTimeout(r, 300));
    expect(pushes).toBe(after);
    expect((await db.drafts.findOne(draft.id).exec())?.content.environmentDefault.value.string_value).toBe('x');
  });
});
