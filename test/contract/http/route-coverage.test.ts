import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { routeTable } from '../../../src-shared/contracts/http/route-table.js';
import { TestApi } from '../../support/api-harness.js';

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? filesUnder(p) : p.endsWith('.test.ts') ? [p] : [];
  });
}

const api = new TestApi();
beforeAll(() => api.start());
afterAll(() => api.stop());

test('every operation in the route table has a contract test that calls it', () => {
  const dir = join(import.meta.dirname);
  const sources = filesUnder(dir).filter((f) => !f.endsWith('route-coverage.test.ts')).map((f) => readFileSync(f, 'utf8')).join('\n');
  const uncovered = Object.keys(routeTable).filter((op) => !new RegExp(`\\.op(<[^>]*>)?\\(\\s*'${op}'`).test(sources));
  expect(uncovered).toEqual([]);
});

test('the server registers exactly the routes of the table', () => {
  const registered = api.built.routes.filter((r) => r.operationId).map((r) => `${r.method} ${r.url} ${r.operationId}`).sort();
  const declared = Object.entries(routeTable).map(([op, c]) => `${c.method} ${c.url} ${op}`).sort();
  expect(registered).toEqual(declared);
  const unnamed = api.built.routes.filter((r) => !r.operationId && !r.url.startsWith('/api/v1/docs') && r.url !== '/' && r.url !== '/*');
  expect(unnamed).toEqual([]);
});
