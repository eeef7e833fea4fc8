import { describe, expect, test, vi } from 'vitest';
import { createSseParser, openSyncStream, reconnectDelay, toSyncStreamEvent, type SseEvent } from '../../../../src-renderer/replica/sync-stream.js';

function parseAll(chunks: string[]): SseEvent[] {
  const events: SseEvent[] = [];
  const parse = createSseParser((e) => events.push(e));
  for (const chunk of chunks) parse(chunk);
  return events;
}

describe('the SSE parser', () => {
  test('reads events with their data, skipping comments', () => {
    const text = ': keep-alive\n\nevent: checkpoint\ndata: {"sequence":3,"collections":["features"]}\n\n: keep-alive\n\nevent: resync\ndata: {"sequence":4}\n\n';
    expect(parseAll([text])).toEqual([
      { event: 'checkpoint', data: '{"sequence":3,"collections":["features"]}' },
      { event: 'resync', data: '{"sequence":4}' },
    ]);
  });

  test('takes chunks split anywhere, CRLF line ends, and joins multi-line data', () => {
    const text = 'event: checkpoint\r\ndata: first\r\ndata: second\r\n\r\nevent: resync\ndata:{"sequence":1}\n\n';
    const chunks = text.split('');
    expect(parseAll(chunks)).toEqual([
      { event: 'checkpoint', data: 'first\nsecond' },
      { event: 'resync', data: '{"sequence":1}' },
    ]);
  });

  test('waits for the blank line before dispatching, and drops events without data', () => {
    expect(parseAll(['event: checkpoint\ndata: {}\n'])).toEqual([]);
    expect(parseAll(['event: checkpoint\n\n'])).toEqual([]);
    expect(parseAll(['data: plain\n\n'])).toEqual([{ event: 'message', data: 'plain' }]);
  });
});

describe('the stream events', () => {
  test('checkpoint names the changed collections; resync has no collections; others are ignored', () => {
    expect(toSyncStreamEvent({ event: 'checkpoint', data: '{"sequence":7,"collections":["drafts","intents"]}' })).toEqual({ kind: 'checkpoint', sequence: 7, collections: ['drafts', 'intents'] });
    expect(toSyncStreamEvent({ event: 'checkpoint', data: '{"sequence":7}' })).toEqual({ kind: 'checkpoint', sequence: 7, collections: [] });
    expect(toSyncStreamEvent({ event: 'resync', data: '{"sequence":9}' })).toEqual({ kind: 'resync', sequence: 9 });
    expect(toSyncStreamEvent({ event: 'message', data: '{}' })).toBeNull();
    expect(toSyncStreamEvent({ event: 'checkpoint', data: 'not json' })).toBeNull();
  });

  test('reconnects back off from 1 s, doubling, up to 30 s', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 50].map((n) => reconnectDelay(n))).toEqual([1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000]);
  });
});

function sseResponse(text: string): Response {
  return new Response(new ReadableStream({ start: (c) => (c.enqueue(new TextEncoder().encode(text)), c.close()) }), { status: 200, headers: { 'content-type': 'text/event-stream' } });
}

describe('the stream reader', () => {
  test('sends the token, reports failures, reconnects, wakes the named collections and asks for a resync', async () => {
    const log: string[] = [];
    const answers: (() => Promise<Response>)[] = [
      () => Promise.reject(new TypeError('fetch failed')),
      () => Promise.resolve(new Response('busy', { status: 503 })),
      () => Promise.resolve(sseResponse('event: checkpoint\ndata: {"sequence":1,"collections":[]}\n\nevent: checkpoint\ndata: {"sequence":2,"collections":["features","versions"]}\n\nevent: resync\ndata: {"sequence":3}\n\n')),
    ];
    let allDone!: () => void;
    const finished = new Promise<void>((resolve) => (allDone = resolve));
    const fetchStream = ((_url: string, init: RequestInit) => {
      log.push(`fetch ${(init.headers as Record<string, string>).authorization}`);
      const next = answers.shift();
      if (!next) {
        allDone();
        return new Promise<Response>(() => undefined);
      }
      return next();
    }) as typeof fetch;
    const stream = openSyncStream({
      url: 'http://server/api/v1/sync/stream/',
      fetch: fetchStream,
      getToken: () => 'abc',
      minDelayMs: 1,
      maxDelayMs: 4,
      onConnected: () => log.push('connected'),
      onFailure: (error, response) => log.push(`failure ${response?.status ?? (error as Error).message}`),
      onResync: () => log.push('resync'),
    });
    const features = stream.wakeups('features').subscribe((w) => log.push(`features ${w}`));
    const drafts = stream.wakeups('drafts').subscribe((w) => log.push(`drafts ${w}`));
    await finished;
    stream.stop();
    features.unsubscribe();
    drafts.unsubscribe();
    expect(log).toEqual(['fetch Token abc', 'failure fetch failed', 'fetch Token abc', 'failure 503', 'fetch Token abc', 'connected', 'features RESYNC', 'resync', 'fetch Token abc']);
  });

  test('a stream silent for longer than the idle limit is dropped and opened again', async () => {
    let opened = 0;
    const aborted: boolean[] = [];
    const fetchStream = ((_url: string, init: RequestInit) => {
      opened++;
      // A connection that never sends another byte (died without closing).
      const body = new ReadableStream<Uint8Array>({ start: (c) => c.enqueue(new TextEncoder().encode(': hello\n\n')) });
      init.signal?.addEventListener('abort', () => aborted.push(true));
      return Promise.resolve(new Response(body, { status: 200, headers: { 'content-type': 'text/event-stream' } }));
    }) as typeof fetch;
    const stream = openSyncStream({
      url: 'http://server/api/v1/sync/stream/', fetch: fetchStream, getToken: () => 'abc', minDelayMs: 1, maxDelayMs: 4, idleTimeoutMs: 30,
      onConnected: () => undefined, onFailure: () => undefined, onResync: () => undefined,
    });
    await vi.waitFor(() => expect(opened).toBeGreaterThanOrEqual(3));
    stream.stop();
    expect(aborted.length).toBeGreaterThanOrEqual(2);
  });
});
