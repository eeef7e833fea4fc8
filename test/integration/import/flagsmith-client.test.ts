import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, test } from 'vitest';
import { createFlagsmithClient, FlagsmithSourceError } from '../../../sync-server/modules/import/flagsmith-client.js';

/** A loopback stand-in for a Flagsmith server: answers from a table of path → (status, body). */
async function fakeFlagsmith(routes: Record<string, { status?: number; body: unknown }>): Promise<{ url: string; seen: { url: string; headers: IncomingHttpHeaders }[]; server: Server }> {
  const seen: { url: string; headers: IncomingHttpHeaders }[] = [];
  const server = createServer((req, res) => {
    seen.push({ url: req.url!, headers: req.headers });
    const route = routes[req.url!];
    res.statusCode = route ? (route.status ?? 200) : 404;
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(route ? route.body : { detail: 'Not found.' }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, server };
}

describe('the Flagsmith Admin API client of import-flagsmith', () => {
  let server: Server | undefined;
  afterEach(async () => {
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    server = undefined;
  });

  test('follows page links on its own base URL (never another host) and reads plain arrays as one page', async () => {
    const f = await fakeFlagsmith({
      '/api/v1/projects/7/features/?page_size=100': { body: { count: 3, next: 'http://internal.flagsmith:8000/api/v1/projects/7/features/?page=2&page_size=100', previous: null, results: [{ id: 1 }, { id: 2 }] } },
      '/api/v1/projects/7/features/?page=2&page_size=100': { body: { count: 3, next: null, previous: null, results: [{ id: 3 }] } },
      '/api/v1/projects/?organisation=4&page_size=100': { body: [{ id: 7, name: 'Shop' }] },
    });
    server = f.server;
    const client = createFlagsmithClient({ baseUrl: `${f.url}/api/v1/`, token: 'abc' });
    expect((await client.features(7)).map((x) => x.id)).toEqual([1, 2, 3]);
    expect(await client.projects(4)).toEqual([{ id: 7, name: 'Shop' }]);
    expect(f.seen.map((s) => s.headers.authorization)).toEqual(['Token abc', 'Token abc', 'Token abc']);
  });

  test('sends an organisation API key as Api-Key, and names a refused token', async () => {
    const f = await fakeFlagsmith({ '/api/v1/organisations/?page_size=100': { status: 401, body: { detail: 'Invalid token.' } } });
    server = f.server;
    const client = createFlagsmithClient({ baseUrl: f.url, token: 'Api-Key ser.xyz' });
    const failure = client.organisations();
    await expect(failure).rejects.toBeInstanceOf(FlagsmithSourceError);
    await expect(failure).rejects.toThrow(`GET ${f.url}/api/v1/organisations/?page_size=100 answered 401: the token is not accepted ({"detail":"Invalid token."})`);
    expect(f.seen[0]!.headers.authorization).toBe('Api-Key ser.xyz');
  });

  test('keeps identity overrides out of the environment feature states', async () => {
    const f = await fakeFlagsmith({
      '/api/v1/features/featurestates/?environment=9&page_size=100': { body: { count: 2, next: null, previous: null, results: [{ id: 1, identity: null, feature_segment: null }, { id: 2, identity: 5, feature_segment: null }] } },
    });
    server = f.server;
    const client = createFlagsmithClient({ baseUrl: f.url, token: 't' });
    expect((await client.featureStates(9)).map((s) => s.id)).toEqual([1]);
  });
});
