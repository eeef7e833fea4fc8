/*
 * The web dashboard's service worker (issue 12 §4): it keeps the app shell (index.html and the built
 * assets it names) so the dashboard opens after a reload while the server is away; the data then comes
 * from the replica in IndexedDB. The API is never cached here. Same origin only; a new build replaces
 * the cache on the next online load (network first, the cache as the fallback).
 */
const CACHE = 'flagdesk-shell-v1';
const SHELL = '/';

/** The shell and every asset its HTML references (script and stylesheet URLs under the same origin). */
async function cacheShell() {
  const cache = await caches.open(CACHE);
  const response = await fetch(SHELL, { cache: 'no-store' });
  if (!response.ok) return;
  const html = await response.clone().text();
  await cache.put(SHELL, response);
  const urls = [...html.matchAll(/(?:src|href)="(\/[^"]+|\.\/[^"]+)"/g)].map((m) => new URL(m[1], self.location.origin).pathname);
  await Promise.all(
    [...new Set(urls)].map(async (url) => {
      const asset = await fetch(url, { cache: 'no-store' }).catch(() => undefined);
      if (asset && asset.ok) await cache.put(url, asset);
    }),
  );
}

self.addEventListener('install', (event) => {
  event.waitUntil(cacheShell().then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      for (const key of await caches.keys()) if (key !== CACHE) await caches.delete(key);
      await self.clients.claim();
    })(),
  );
});

function isShellRequest(request, url) {
  return request.method === 'GET' && url.origin === self.location.origin && !url.pathname.startsWith('/api/');
}

self.addEventListener('fetch', (event) => {
  const url = new URL(event.request.url);
  if (!isShellRequest(event.request, url)) return;
  const isNavigation = event.request.mode === 'navigate';
  event.respondWith(
    (async () => {
      const cache = await caches.open(CACHE);
      try {
        const response = await fetch(event.request);
        if (response.ok) await cache.put(isNavigation ? SHELL : url.pathname, response.clone());
        return response;
      } catch (error) {
        const cached = await cache.match(isNavigation ? SHELL : url.pathname);
        if (cached) return cached;
        throw error;
      }
    })(),
  );
});
