import { syncRoutes } from '../../../src-shared/contracts/sync/sync.contract.js';
import { route, type HttpApp } from '../../app/http/http-app.js';
import type { StreamEvent, SyncService } from './sync.service.js';

/** Comment lines keep idle streams open through proxies that drop silent connections. */
const KEEP_ALIVE_MS = 25_000;

export function registerSyncRoutes(app: HttpApp, sync: SyncService): void {
  const r = syncRoutes;
  const closers = new Set<() => void>();
  app.addHook('preClose', async () => {
    for (const close of [...closers]) close();
    await sync.stop();
  });

  route(app, 'syncPull', r.syncPull, ({ principal, params, query }) => sync.pull(principal, params.collection, query.checkpoint ?? 0, query.limit ?? 100));
  route(app, 'syncPush', r.syncPush, ({ principal, params, body }) => sync.push(principal, params.collection, body));

  route(app, 'syncStream', r.syncStream, async ({ principal, query, request, reply }) => {
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache, no-transform', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    const write = (e: StreamEvent) => {
      if (res.writableEnded) return;
      const data = e.kind === 'resync' ? { sequence: e.sequence } : { sequence: e.sequence, collections: e.collections };
      res.write(`event: ${e.kind}\ndata: ${JSON.stringify(data)}\n\n`);
    };
    // Filled once subscribed; `end` may run before that (the client went away at once).
    const subscription: { off?: () => void } = {};
    let ended = false;
    const timers: ReturnType<typeof setTimeout>[] = [];
    const end = () => {
      if (ended) return;
      ended = true;
      closers.delete(end);
      subscription.off?.();
      for (const t of timers) clearTimeout(t);
      if (!res.writableEnded) res.end();
    };
    closers.add(end);
    request.raw.on('close', end);
    const maxSeconds = query.max_seconds ?? 300;
    subscription.off = await sync.stream(principal, write);
    if (ended) subscription.off();
    if (maxSeconds === 0) {
      end();
      return '';
    }
    timers.push(setTimeout(end, maxSeconds * 1000));
    const keepAlive = setInterval(() => (res.writableEnded ? clearInterval(keepAlive) : res.write(': keep-alive\n\n')), KEEP_ALIVE_MS);
    timers.push(keepAlive);
    // Hijacked: the stream is written above; route() sends nothing more.
    return '';
  });
}
