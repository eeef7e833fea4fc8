import { afterEach, describe, expect, test } from 'vitest';
import { createReplicaSlot } from '../../../../src-renderer/replica/replica.js';
import { getRxStorageMemory } from 'rxdb/plugins/storage-memory';
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { App } from '../../../../src-renderer/app/app.js';
import type { AppServices } from '../../../../src-renderer/app/app-services.js';
import { createDashboardStore } from '../../../../src-renderer/app/dashboard.store.js';
import { createFakeAdminApi } from '../../../support/admin-api.fake.js';
import { createFakeApiClient, type FakeApiData } from '../../../../src-renderer/data/api-client.fake.js';
import { createMemoryTokenStore, type TokenStore } from '../../../../src-renderer/data/token-store.js';

afterEach(() => {
  cleanup();
  // The dashboard keeps its place in the URL fragment; each test starts at the root.
  window.history.replaceState(null, '', '/');
});

const created = '2026-11-01T00:00:00.000Z';
const organisation = (id: number, name: string) => ({
  id, name, uuid: `org-${id}`, created_date: created, persist_trait_data: true, stop_serving_flags: false, role: 'ADMIN' as const,
  plan_name: 'free', max_segment_overrides_per_environment: 100, feature_history_visibility_days: null, subscription: { plan: 'free' },
});
const project = (id: number, org: number, name: string) => ({ id, name, organisation: org, uuid: `p-${id}`, hide_disabled_flags: false, enable_dynamo_db: false, use_edge_identities: false, created_date: created });
const environment = (id: number, projectId: number, name: string) => ({
  id, name, project: projectId, uuid: `e-${id}`, api_key: `key-${name.toLowerCase()}`, description: null, use_v2_feature_versioning: false,
  minimum_change_request_approvals: null, allow_client_traits: true, hide_disabled_flags: null, created_date: created,
});

const feature = (id: number, projectId: number, name: string) => ({
  id, name, project: projectId, uuid: `f-${id}`, type: 'STANDARD' as const, default_enabled: false, initial_value: null, created_date: created, description: null,
  tags: [], multivariate_options: [], is_archived: false, is_server_key_only: false, owners: [], group_owners: [], num_segment_overrides: 0, num_identity_overrides: 0,
});
const state = (featureId: number, environmentId: number, enabled: boolean, value: string | number | null) => ({
  id: featureId * 1000 + environmentId, enabled, feature_state_value: value, environment: environmentId, feature: featureId, feature_segment: null, identity: null, updated_at: created,
});

const DATA: FakeApiData = {
  user: { id: 1, email: 'admin@example.com', password: 'a long password', first_name: '', last_name: '', uuid: 'u-1' },
  organisations: [organisation(1, 'Acme'), organisation(2, 'Globex')],
  projects: [project(10, 1, 'Storefront'), project(11, 1, 'Billing'), project(20, 2, 'Other')],
  environments: [environment(100, 10, 'Development'), environment(101, 10, 'Production')],
  features: [
    { feature: feature(1000, 10, 'dark_mode'), states: { 100: state(1000, 100, true, null), 101: state(1000, 101, false, null) } },
    { feature: feature(1001, 10, 'checkout_banner'), states: { 100: state(1001, 100, true, 'Hello dev'), 101: state(1001, 101, true, 'Hello') } },
    { feature: feature(1002, 10, 'dark_theme_colour'), states: { 101: state(1002, 101, true, 7) } },
  ],
};

function servicesWith(tokens: TokenStore = createMemoryTokenStore(), issuedTokens = new Set<string>()): AppServices {
  const store = createDashboardStore();
  return { store, tokens, desktop: undefined, replicaSlot: createReplicaSlot(), admin: createFakeAdminApi(DATA), api: createFakeApiClient(DATA, () => store.getState().token, issuedTokens) };
}

async function signInThroughForm() {
  fireEvent.change(await screen.findByLabelText('Email'), { target: { value: 'admin@example.com' } });
  fireEvent.change(screen.getByLabelText('Password'), { target: { value: 'a long password' } });
  fireEvent.click(screen.getByRole('button', { name: 'Sign in' }));
  await screen.findByRole('button', { name: 'Sign out' });
}

describe('dashboard app', () => {
  test('signs in, then navigates organisation → project → environment', async () => {
    const tokens = createMemoryTokenStore();
    render(<App services={servicesWith(tokens)} />);
    await signInThroughForm();
    expect(screen.getByText('admin@example.com').closest('header')?.className).toBe('app-header');
    expect(await tokens.load()).toBe('token-1');

    fireEvent.click(await within(screen.getByRole('region', { name: 'Organisations' })).findByRole('button', { name: 'Acme' }));
    const projects = await screen.findByRole('region', { name: 'Projects' });
    // The items (pressed or not), without the panel's New and Settings buttons.
    expect((await within(projects).findAllByRole('button')).filter((b) => b.hasAttribute('aria-pressed')).map((b) => b.textContent)).toEqual(['Storefront', 'Billing']);

    fireEvent.click(within(projects).getByRole('button', { name: 'Storefront' }));
    const environments = await screen.findByRole('region', { name: 'Environments' });
    fireEvent.click(await within(environments).findByRole('button', { name: 'Production' }));

    const details = await screen.findByRole('region', { name: 'Environment: Production' });
    expect(within(details).getByText('key-production')).toBeTruthy();
    expect(within(environments).getByRole('button', { name: 'Production' }).getAttribute('aria-pressed')).toBe('true');
  });

  test("lists the project's features with their state in the chosen environment, filtered by search", async () => {
    render(<App services={servicesWith()} />);
    await signInThroughForm();
    fireEvent.click(await within(screen.getByRole('region', { name: 'Organisations' })).findByRole('button', { name: 'Acme' }));
    fireEvent.click(await within(await screen.findByRole('region', { name: 'Projects' })).findByRole('button', { name: 'Storefront' }));
    fireEvent.click(await within(await screen.findByRole('region', { name: 'Environments' })).findByRole('button', { name: 'Production' }));

    const table = await screen.findByRole('table', { name: 'Features in Production' });
    const rows = () => within(screen.getByRole('table', { name: 'Features in Production' })).getAllByRole('row').slice(1).map((r) => [...r.querySelectorAll('th, td')].map((c) => c.textContent));
    expect(table).toBeTruthy();
    expect(rows()).toEqual([['checkout_banner', 'On', 'Hello'], ['dark_mode', 'Off', ''], ['dark_theme_colour', 'On', '7']]);

    fireEvent.change(screen.getByLabelText('Search features'), { target: { value: 'dark' } });
    await waitFor(() => expect(rows()).toEqual([['dark_mode', 'Off', ''], ['dark_theme_colour', 'On', '7']]));

    fireEvent.change(screen.getByLabelText('Search features'), { target: { value: 'nothing-like-this' } });
    expect(await screen.findByText('No features match “nothing-like-this”.')).toBeTruthy();
  });

  test('choosing another organisation clears the project and environment chosen before', async () => {
    render(<App services={servicesWith()} />);
    await signInThroughForm();
    fireEvent.click(await within(screen.getByRole('region', { name: 'Organisations' })).findByRole('button', { name: 'Acme' }));
    fireEvent.click(await within(await screen.findByRole('region', { name: 'Projects' })).findByRole('button', { name: 'Storefront' }));
    await screen.findByRole('region', { name: 'Environments' });

    fireEvent.click(await within(screen.getByRole('region', { name: 'Organisations' })).findByRole('button', { name: 'Globex' }));
    expect(await within(screen.getByRole('region', { name: 'Projects' })).findByRole('button', { name: 'Other' })).toBeTruthy();
    expect(screen.queryByRole('region', { name: 'Environments' })).toBeNull();
  });

  test('says so when a project has no environments', async () => {
    render(<App services={servicesWith()} />);
    await signInThroughForm();
    fireEvent.click(await within(screen.getByRole('region', { name: 'Organisations' })).findByRole('button', { name: 'Acme' }));
    fireEvent.click(await within(await screen.findByRole('region', { name: 'Projects' })).findByRole('button', { name: 'Billing' }));
    expect(await within(await screen.findByRole('region', { name: 'Environments' })).findByText('No environments in this project yet.')).toBeTruthy();
  });

  test('resumes a kept session without the form, and signing out forgets it', async () => {
    const tokens = createMemoryTokenStore();
    const server = new Set<string>();
    render(<App services={servicesWith(tokens, server)} />);
    await signInThroughForm();
    cleanup();

    // A new page load: same kept token, same server, fresh app state.
    render(<App services={servicesWith(tokens, server)} />);
    expect(await screen.findByText('admin@example.com')).toBeTruthy();
    expect(screen.queryByRole('form', { name: 'Sign in to Flagdesk' })).toBeNull();
    fireEvent.click(await screen.findByRole('button', { name: 'Sign out' }));
    expect(await screen.findByRole('form', { name: 'Sign in to Flagdesk' })).toBeTruthy();
    expect(await tokens.load()).toBeNull();
  });

  test('shows the sign-in form when the kept token is no longer valid, and drops it', async () => {
    const tokens = createMemoryTokenStore();
    await tokens.save('revoked-token');
    render(<App services={servicesWith(tokens)} />);
    expect(await screen.findByRole('form', { name: 'Sign in to Flagdesk' })).toBeTruthy();
    expect(await tokens.load()).toBeNull();
  });

  test('opens the place the URL names after signing in, and records moves in the URL', async () => {
    window.history.replaceState(null, '', '/#/o/1/p/10/e/key-production');
    render(<App services={servicesWith()} />);
    await signInThroughForm();
    expect(await screen.findByRole('table', { name: 'Features in Production' })).toBeTruthy();

    fireEvent.click(await screen.findByRole('button', { name: 'dark_mode' }));
    expect(await screen.findByRole('heading', { name: 'dark_mode' })).toBeTruthy();
    expect(window.location.hash).toBe('#/o/1/p/10/e/key-production/f/1000/value');

    window.history.replaceState(null, '', '/#/o/1/p/10/e/key-production/settings');
    window.dispatchEvent(new Event('popstate'));
    expect(await screen.findByRole('switch', { name: 'Feature versioning' })).toBeTruthy();
  });

  test('signing out with changes not yet on the server asks first; Cancel keeps the session', async () => {
    const services: AppServices = {
      ...servicesWith(),
      replicaSetup: { storage: getRxStorageMemory(), serverOrigin: 'http://dashboard.test', baseUrl: 'http://dashboard.test', fetch: (() => Promise.reject(new TypeError('fetch failed'))) as typeof fetch },
    };
    render(<App services={services} />);
    await signInThroughForm();
    await waitFor(() => expect(services.replicaSlot.getState().replica).not.toBeNull());
    services.replicaSlot.getState().replica!.status.setState({ pendingDrafts: 1, pendingIntents: 1 });

    fireEvent.click(screen.getByRole('button', { name: 'Sign out' }));
    const dialog = await screen.findByRole('dialog', { name: 'Sign out with changes not on the server?' });
    expect(dialog.textContent).toContain('2 changes have not reached the server yet');
    fireEvent.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(services.store.getState().session.status).toBe('signedIn');

    fireEvent.click(screen.getByRole('button', { name: 'Sign out' }));
    fireEvent.click(within(await screen.findByRole('dialog')).getByRole('button', { name: 'Sign out and delete them' }));
    await waitFor(() => expect(services.store.getState().session.status).toBe('signedOut'));
    expect(services.replicaSlot.getState().replica).toBeNull();
  });
});
