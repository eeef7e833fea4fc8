import { describe, expect, test } from 'vitest';
import { hashToRoute, routeToHash, type Route } from '../../../../src-renderer/app/hash-route.js';

describe('hash route', () => {
  test('writes and reads back every kind of place', () => {
    const routes: Route[] = [
      { selection: {}, view: { screen: 'features' } },
      { selection: { organisationId: 1 }, view: { screen: 'features' } },
      { selection: { organisationId: 1, projectId: 10, environmentKey: 'key/with space' }, view: { screen: 'features' } },
      { selection: { organisationId: 1, projectId: 10, environmentKey: 'abc' }, view: { screen: 'audit' } },
      { selection: { organisationId: 1, projectId: 10, environmentKey: 'abc' }, view: { screen: 'feature', featureId: 1000, tab: 'history' } },
      { selection: { organisationId: 1, projectId: 10, environmentKey: 'abc' }, view: { screen: 'change-requests' } },
      { selection: { organisationId: 1, projectId: 10, environmentKey: 'abc' }, view: { screen: 'change-request', changeRequestId: 5 } },
    ];
    expect(routes.map((r) => routeToHash(r))).toEqual([
      '', '#/o/1', '#/o/1/p/10/e/key%2Fwith%20space', '#/o/1/p/10/e/abc/audit', '#/o/1/p/10/e/abc/f/1000/history', '#/o/1/p/10/e/abc/change-requests', '#/o/1/p/10/e/abc/cr/5',
    ]);
    expect(routes.map((r) => hashToRoute(routeToHash(r)))).toEqual(routes);
  });

  test('ignores what it does not understand and keeps the rest', () => {
    expect(hashToRoute('#/o/1/p/x/e/abc/f/12/nonsense')).toEqual({ selection: { organisationId: 1 }, view: { screen: 'features' } });
    expect(hashToRoute('#/o/1/p/10/e/abc/f/12/nonsense')).toEqual({ selection: { organisationId: 1, projectId: 10, environmentKey: 'abc' }, view: { screen: 'feature', featureId: 12, tab: 'value' } });
    expect(hashToRoute('#/whatever')).toEqual({ selection: {}, view: { screen: 'features' } });
  });
});
