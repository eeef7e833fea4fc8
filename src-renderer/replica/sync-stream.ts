import { Subject, filter, map, type Observable } from 'rxjs';

/*
 * The replica's side of GET /api/v1/sync/stream/ (D6): Server-Sent Events that say which collections
 * changed. Read with fetch, not EventSource, because the stream needs the Authorization header. The
 * server ends a stream after `max_seconds` or when it stops; the reader reconnects with backoff.
 */

export interface SseEvent {
  event: string;
  data: string;
}

/**
 * An incremental SSE parser for the subset the server writes: `event:` and `data:` fields, comment lines
 * (`: keep-alive`), events ended by a blank line. Lines end with LF or CRLF (a lone CR is not used by the
 * server and not supported). Feed it decoded text chunks in order; chunks may split lines anywhere.
 */
export function createSseParser(onEvent: (event: SseEvent) => void): (chunk: string) => void {
  let buffer = '';
  let event = '';
  let data: string[] = [];
  return (chunk) => {
    buffer += chunk;
    const lines = buffer.split('\n');
    buffer = lines.pop() ?? '';
    for (const raw of lines) {
      const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
      if (line === '') {
        if (data.length > 0) onEvent({ event: event || 'message', data: data.join('\n') });
        event = '';
        data = [];
        continue;
      }
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon === -1 ? line : line.slice(0, colon);
      const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'event') event = value;
      else if (field === 'data') data.push(value);
    }
  };
}

export type SyncStreamEvent = { kind: 'checkpoint'; sequence: number; collections: string[] } | { kind: 'resync'; sequence: number };

/** The server's event, or null for anything this client does not know (ignored, not an error). */
export function toSyncStreamEvent(e: SseEvent): SyncStreamEvent | null {
  let data: { sequence?: unknown; collections?: unknown };
  try {
    data = JSON.parse(e.data) as typeof data;
  } catch {
    return null;
  }
  const sequence = typeof data.sequence === 'number' ? data.sequence : 0;
  if (e.event === 'resync') return { kind: 'resync', sequence };
  if (e.event === 'checkpoint') {
    const collections = Array.isArray(data.collections) ? data.collections.filter((c): c is string => typeof c === 'string') : [];
    return { kind: 'checkpoint', sequence, collections };
  }
  return null;
}

/** The wait before reconnect attempt `attempt` (0-based): 1 s doubling up to 30 s. */
export function reconnectDelay(attempt: number, minMs = 1000, maxMs = 30_000): number {
  return Math.min(maxMs, minMs * 2 ** Math.min(attempt, 20));
}

export interface SyncStreamOptions {
  /** Full URL of the stream endpoint. */
  url: string;
  fetch: typeof fetch;
  getToken(): string | null;
  /** The stream answered 200: the server is reachable (called again after every reconnect). */
  onConnected(): void;
  /** The request failed (`response` absent: no answer) or answered an error status. */
  onFailure(error: unknown, response?: Response): void;
  /** The caller's access changed: every collection must pull again from the start. */
  onResync(): void;
  /** Backoff bounds (tests shorten them). */
  minDelayMs?: number;
  maxDelayMs?: number;
  /** How long the stream may stay silent before it counts as dead (default: over twice the keep-alive). */
  idleTimeoutMs?: number;
}

/** The server's keep-alive comes every 25 s; this allows for one lost and a slow one. */
const STREAM_IDLE_MS = 60_000;

export interface SyncStream {
  /** 'RESYNC' (RxDB's "pull now") each time the server says `collection` changed; for `pull.stream$`. */
  wakeups(collection: string): Observable<'RESYNC'>;
  /** While waiting to reconnect, reconnect now (another request just reached the server). */
  retryNow(): void;
  stop(): void;
}

export function openSyncStream(options: SyncStreamOptions): SyncStream {
  const events = new Subject<SyncStreamEvent>();
  let stopped = false;
  let abort: AbortController | null = null;
  let wakeSleeper: (() => void) | null = null;

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        wakeSleeper = null;
        resolve();
      }
      wakeSleeper = done;
    });

  /** One connection: resolves when it ends; true when the server answered 200. */
  async function connectOnce(): Promise<boolean> {
    abort = new AbortController();
    const token = options.getToken();
    const response = await options.fetch(options.url, { headers: { accept: 'text/event-stream', ...(token ? { authorization: `Token ${token}` } : {}) }, signal: abort.signal });
    if (!response.ok || !response.body) {
      await response.body?.cancel().catch(() => undefined);
      options.onFailure(new Error(`The sync stream answered HTTP ${response.status}.`), response);
      return false;
    }
    options.onConnected();
    const parse = createSseParser((e) => {
      const event = toSyncStreamEvent(e);
      if (event?.kind === 'resync') options.onResync();
      else if (event) events.next(event);
    });
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    // The server writes at least a keep-alive every 25 s. Silence for longer means a connection that died
    // without closing (sleep, a network switch): drop it and reconnect, so the replica does not go stale
    // while looking online.
    const idleMs = options.idleTimeoutMs ?? STREAM_IDLE_MS;
    for (;;) {
      let idle: ReturnType<typeof setTimeout> | undefined;
      const silent = new Promise<'silent'>((resolve) => (idle = setTimeout(() => resolve('silent'), idleMs)));
      const chunk = await Promise.race([reader.read(), silent]).finally(() => clearTimeout(idle));
      if (chunk === 'silent') {
        abort.abort();
        await reader.cancel().catch(() => undefined);
        return true;
      }
      if (chunk.done) return true;
      parse(decoder.decode(chunk.value, { stream: true }));
    }
  }

  async function run(): Promise<void> {
    let attempt = 0;
    while (!stopped) {
      let answered = false;
      try {
        answered = await connectOnce();
      } catch (error) {
        if (stopped) return;
        options.onFailure(error);
      }
      if (stopped) return;
      // A stream that was up and ended (max_seconds, server restart) reconnects after the shortest wait.
      attempt = answered ? 0 : attempt + 1;
      await sleep(reconnectDelay(attempt === 0 ? 0 : attempt - 1, options.minDelayMs, options.maxDelayMs));
    }
  }

  void run();

  return {
    wakeups: (collection) =>
      events.pipe(
        filter((e) => e.kind === 'checkpoint' && e.collections.includes(collection)),
        map(() => 'RESYNC' as const),
      ),
    retryNow: () => wakeSleeper?.(),
    stop() {
      stopped = true;
      abort?.abort();
      wakeSleeper?.();
      events.complete();
    },
  };
}
