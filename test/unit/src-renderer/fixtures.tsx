import type { ReactNode } from 'react';
import { render } from '@testing-library/react';
import { AppServicesContext, type AppServices } from '../../../src-renderer/app/app-services.js';
import { createDashboardStore } from '../../../src-renderer/app/dashboard.store.js';
import { createReplicaSlot } from '../../../src-renderer/replica/replica.js';
import { createFakeApiClient, type FakeApiData } from '../../../src-renderer/data/api-client.fake.js';
import { createMemoryTokenStore } from '../../../src-renderer/data/token-store.js';
import { createFakeAdminApi } from '../../support/admin-api.fake.js';
import type { Environment, Segment } from '../../../src-renderer/data/api-client.js';

const created = '2026-11-01T00:00:00.000Z';

export const organisation = (id: number, name: string) => ({
  id, name, uuid: `org-${id}`, created_date: created, persist_trait_data: true, stop_serving_flags: false, role: 'ADMIN' as const,
  plan_name: 'free', max_segment_overrides_per_environment: 100, feature_history_visibility_days: null, subscription: { plan: 'free' },
});
export const project = (id: number, org: number, name: string) => ({ id, name, organisation: org, uuid: `p-${id}`, hide_disabled_flags: false, enable_dynamo_db: false, use_edge_identities: false, created_date: created });
export const environment = (id: number, projectId: number, name: string, isVersioned = false): Environment => ({
  id, name, project: projectId, uuid: `e-${id}`, api_key: `key-${name.toLowerCase()}`, description: null, use_v2_feature_versioning: isVersioned,
  minimum_change_request_approvals: null, allow_client_traits: true, hide_disabled_flags: null, created_date: created,
});
export const feature = (id: number, projectId: number, name: string) => ({
  id, name, project: projectId, uuid: `f-${id}`, type: 'STANDARD' as const, default_enabled: false, initial_value: null, created_date: created, description: null,
  tags: [], multivariate_options: [], is_archived: false, is_server_key_only: false, owners: [], group_owners: [], num_segment_overrides: 0, num_identity_overrides: 0,
});
export const state = (featureId: number, environmentId: number, enabled: boolean, value: string | number | null) => ({
  id: featureId * 1000 + environmentId, enabled, feature_state_value: value, environment: environmentId, feature: featureId, feature_segment: null, identity: null, updated_at: created,
});
export const segment = (id: number, projectId: number, name: string): Segment => ({
  id, uuid: `s-${id}`, name, description: null, project: projectId, feature: null, rules: [], created_at: created, updated_at: created,
});

/** One organisation, one project with a v1 (Development) and a v2 (Production) environment, two segments. */
export function makeData(): FakeApiData {
  return {
    user: { id: 1, email: 'admin@example.com', password: 'a long password', first_name: '', last_name: '', uuid: 'u-1' },
    users: [
      { id: 1, uuid: 'u-1', email: 'admin@example.com', first_name: '', last_name: '', role: 'ADMIN', date_joined: created },
      { id: 2, uuid: 'u-2', email: 'dev@example.com', first_name: '', last_name: '', role: 'USER', date_joined: created },
    ],
    organisations: [organisation(1, 'Acme')],
    projects: [project(10, 1, 'Storefront')],
    environments: [environment(100, 10, 'Development'), environment(101, 10, 'Production', true)],
    features: [
      { feature: feature(1000, 10, 'checkout_banner'), states: { 100: state(1000, 100, true, 'Hello dev'), 101: state(1000, 101, true, 'Hello') } },
      { feature: feature(1001, 10, 'dark_mode'), states: { 100: state(1001, 100, false, null), 101: state(1001, 101, false, null) } },
    ],
    segments: [segment(7, 10, 'beta_users'), segment(8, 10, 'enterprise')],
  };
}

/** A fake server clock that ticks one second per call, so versions have distinct, ordered times. */
export function tickingClock(start = Date.UTC(2026, 10, 2, 9, 0, 0)): () => string {
  let tick = 0;
  return () => new Date(start + 1000 * tick++).toISOString();
}

/** App services over the fake API, already signed in. */
export function signedInServices(data: FakeApiData = makeData(), now = tickingClock()) {
  const store = createDashboardStore();
  store.setState({ token: 'token-1', session: { status: 'signedIn', user: { id: 1, email: data.user.email, first_name: '', last_name: '', uuid: 'u-1' } } });
  const api = createFakeApiClient(data, () => store.getState().token, new Set(['token-1']), now);
  const admin = createFakeAdminApi(data);
  const services: AppServices = { api, admin, store, tokens: createMemoryTokenStore(), desktop: undefined, replicaSlot: createReplicaSlot() };
  return { services, api, admin, store, data };
}

export function renderWithServices(ui: ReactNode, services: AppServices) {
  return render(<AppServicesContext.Provider value={services}>{ui}</AppServicesContext.Provider>);
}
