import { afterEach, describe, expect, test } from 'vitest';
import { act, cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { Navigator } from '../../../../src-renderer/features/navigator/navigator.js';
import { FeatureList } from '../../../../src-renderer/features/feature-list/feature-list.js';
import { HistoryTab } from '../../../../src-renderer/features/history/history-tab.js';
import { ChangeRequestList } from '../../../../src-renderer/features/change-requests/change-request-list.js';
import { SegmentsScreen } from '../../../../src-renderer/features/segments/segments-screen.js';
import { SyncIndicator } from '../../../../src-renderer/features/sync/sync-indicator.js';
import { CommandPalette } from '../../../../src-renderer/features/command-palette/command-palette.js';
import { replicatedFeature$ } from '../../../../src-renderer/features/feature-page/replicated-feature.js';
import { firstValueFrom } from 'rxjs';
import { feature, renderWithServices, segment, signedInServices } from '../fixtures.js';
import { changeRequestDoc, content, environmentDoc, featureDoc, segmentDoc, standardSeed, versionDoc, withReplica, type TestReplica } from '../replica-fixtures.js';

/*
 * Screens reading the local replica once it has replicated (issue 6 items 3 and 4): the fake API stays
 * wired, and its `calls` show which reads did not go to the server.
 */

let replica: TestReplica | null = null;
afterEach(async () => {
  cleanup();
  await replica?.close();
  replica = null;
});

const PROD = 101;
const banner = { environmentId: PROD, featureId: 1000 };
const dark = { environmentId: PROD, featureId: 1001 };

describe('navigator', () => {
  test('lists organisations, projects and environments from the replica, and shows a replicated environment at once', async () => {
    const setup = signedInServices();
    const seed = standardSeed();
    // Names only the replica has, so the test tells the two sources apart.
    seed.projects[0]!.name = 'Storefront (replica)';
    replica = await withReplica(setup.services, seed);
    renderWithServices(<Navigator />, setup.services);

    const nav = screen.getByRole('navigation', { name: 'Navigator' });
    // A single organisation opens by itself.
    fireEvent.click(await within(nav).findByRole('button', { name: 'Storefront (replica)' }));
    const environments = await within(nav).findByRole('region', { name: 'Environments' });
    await waitFor(() => expect(within(environments).getAllByRole('button').filter((b) => b.hasAttribute('aria-pressed')).map((b) => b.textContent)).toEqual(['Development', 'Production']));

    await act(() => replica!.db.environments.insert(environmentDoc(102, 10, 'Staging')));
    await waitFor(() => expect(within(environments).getAllByRole('button').filter((b) => b.hasAttribute('aria-pressed')).map((b) => b.textContent)).toEqual(['Development', 'Production', 'Staging']));
    expect(setup.api.calls.filter((c) => /^list(Organisations|Projects|Environments)/.test(c))).toEqual([]);
  });

  test('reads the API while the first replication is still running', async () => {
    const setup = signedInServices();
    replica = await withReplica(setup.services, standardSeed(), { initial: { done: 3, total: 9, finished: false } });
    renderWithServices(<Navigator />, setup.services);
    expect(await screen.findByRole('button', { name: 'Storefront' })).toBeTruthy();
    expect(setup.api.calls).toContain('listOrganisations');
  });
});

describe('feature list on a v2 environment', () => {
  test('shows each feature’s live value from the replicated versions, and follows a newly replicated version', async () => {
    const setup = signedInServices();
    replica = await withReplica(setup.services, {
      ...standardSeed(),
      versions: [
        versionDoc('b1', banner, content(true, 'Hello')),
        // Scheduled for later: not live yet.
        versionDoc('b2', banner, content(false, 'Later'), { liveFrom: '2099-01-01T00:00:00.000Z', liveSeq: null }),
        versionDoc('d1', dark, content(false, '')),
      ],
    });
    renderWithServices(<FeatureList environment={setup.data.environments[1]!} />, setup.services);
    const row = async (name: string) => {
      const table = await screen.findByRole('table', { name: 'Features in Production' });
      const tr = within(table).getByRole('rowheader', { name: new RegExp(`^${name}`) }).closest('tr')!;
      return [within(tr).getByRole('switch').getAttribute('aria-checked'), tr.querySelector('code')!.textContent];
    };
    await waitFor(async () => expect(await row('checkout_banner')).toEqual(['true', 'Hello']));
    expect(await row('dark_mode')).toEqual(['false', '']);

    // A publish elsewhere arrives through replication: the list changes without a reload.
    await act(() => replica!.db.versions.insert(versionDoc('b3', banner, content(false, 'Bye'), { liveFrom: '2026-11-02T00:00:00.000Z', liveSeq: 2 })));
    await waitFor(async () => expect(await row('checkout_banner')).toEqual(['false', 'Bye']));
    expect(setup.api.calls.filter((c) => c.startsWith('listFeatures') || c.startsWith('listEnvironmentFeatureStates'))).toEqual([]);
  });

  test('a v1 environment keeps reading the API (its feature states are not replicated)', async () => {
    const setup = signedInServices();
    replica = await withReplica(setup.services, standardSeed());
    renderWithServices(<FeatureList environment={setup.data.environments[0]!} />, setup.services);
    expect(await screen.findByRole('switch', { name: 'checkout_banner in Development' })).toBeTruthy();
    expect(setup.api.calls.some((c) => c.startsWith('listFeatures'))).toBe(true);
  });
});

describe('History tab from the replica', () => {
  async function renderHistory(status: { connection: 'online' | 'offline' }) {
    const setup = signedInServices();
    replica = await withReplica(
      setup.services,
      {
        ...standardSeed(),
        versions: [
          versionDoc('v-initial', banner, content(true, 'Hello'), { liveFrom: '2026-11-01T00:00:00.000Z', publishedByUserId: null, createdByUserId: null, liveSeq: 1 }),
          versionDoc('v-hey', banner, content(true, 'Hey', { 7: { enabled: true, value: 'Beta' } }), { liveFrom: '2026-11-02T00:00:00.000Z', publishedByUserId: 2, liveSeq: 2 }),
          versionDoc('v-later', banner, content(false, 'Hey'), { status: 'scheduled', liveFrom: '2099-01-01T08:00:00.000Z', liveSeq: null, createdAt: '2026-11-03T00:00:00.000Z' }),
          versionDoc('v-other', dark, content(true, 'x')),
        ],
      },
      status,
    );
    const segments = [segment(7, 10, 'beta_users'), segment(8, 10, 'enterprise')];
    renderWithServices(<HistoryTab environment={setup.data.environments[1]!} feature={{ ...feature(1000, 10, 'checkout_banner'), environment_feature_state: null }} organisationId={1} segments={segments} onChanged={() => undefined} />, setup.services);
    const table = await screen.findByRole('table', { name: 'Versions of checkout_banner' });
    return { ...setup, table };
  }
  const rowsOf = (table: HTMLElement) =>
    within(table)
      .getAllByRole('row')
      .slice(1)
      .map((r) => [...r.querySelectorAll('td')].slice(1, 4).map((c) => c.textContent ?? ''));

  test('lists the replicated versions and compares two without the server', async () => {
    const { api, table } = await renderHistory({ connection: 'offline' });
    await waitFor(() =>
      expect(rowsOf(table)).toEqual([
        ['Scheduled for 1 Jan 2099, 08:00 UTC', 'admin@example.com', 'Off "Hey"'],
        ['Live', 'dev@example.com', 'On "Hey" · 1 override'],
        ['Published', 'API key or system', 'On "Hello"'],
      ]),
    );
    const boxes = within(table).getAllByRole('checkbox');
    fireEvent.click(boxes[2]!);
    fireEvent.click(boxes[1]!);
    fireEvent.click(screen.getByRole('button', { name: 'Compare' }));
    const comparison = await screen.findByRole('region', { name: /^Comparing / });
    expect(within(comparison).getAllByRole('listitem').map((li) => li.textContent)).toEqual([
      'Changed the value of the environment default from "Hello" to "Hey"',
      "Added an override for segment 'beta_users' at priority 0 (enabled, value \"Beta\")",
    ]);
    expect(within(comparison).getByRole('row', { name: 'Environment default value changed' }).textContent).toContain('"Hello""Hey"');
    expect(api.calls.filter((c) => /^(listFeatureVersions|listVersionStates|getFeatureVersionDiff)/.test(c))).toEqual([]);

    // Rolling back and cancelling a schedule need the server: offline they are shown but cannot be used.
    const rollBack = within(table).getByRole('button', { name: /^Roll back/ });
    expect(rollBack).toHaveProperty('disabled', true);
    expect(within(table).getByRole('button', { name: /^Cancel the schedule/ })).toHaveProperty('disabled', true);
    expect(within(table).getAllByText('needs the server')).toHaveLength(2);
  });

  test('online, rolling back asks the server', async () => {
    const { api, table } = await renderHistory({ connection: 'online' });
    const rollBack = await within(table).findByRole('button', { name: /^Roll back/ });
    expect(rollBack).toHaveProperty('disabled', false);
    fireEvent.click(rollBack);
    fireEvent.click(within(await screen.findByRole('dialog', { name: 'Roll back checkout_banner?' })).getByRole('button', { name: 'Roll back' }));
    // The fake has no version v-initial: the server's refusal is shown, which proves the call went out.
    await waitFor(() => expect(api.calls.some((c) => c.startsWith('restoreFeatureVersion'))).toBe(true));
  });
});

describe('lists from the replica', () => {
  test('change requests of the environment, newest first, and segments of the project', async () => {
    const setup = signedInServices();
    replica = await withReplica(setup.services, {
      ...standardSeed(),
      change_requests: [changeRequestDoc(1, PROD, 'Turn on the banner', '2026-11-01T00:00:00.000Z'), changeRequestDoc(2, PROD, 'New copy', '2026-11-03T00:00:00.000Z', 'scheduled')],
    });
    renderWithServices(<ChangeRequestList environment={setup.data.environments[1]!} />, setup.services);
    const crs = await screen.findByRole('table', { name: 'Change requests in Production' });
    expect(within(crs).getAllByRole('rowheader').map((r) => r.textContent)).toEqual(['#2 New copy', '#1 Turn on the banner']);
    cleanup();

    renderWithServices(<SegmentsScreen environment={setup.data.environments[1]!} />, setup.services);
    const segments = await screen.findByRole('table', { name: 'Segments of the project' });
    await act(() => replica!.db.segments.insert(segmentDoc(9, 10, 'staff')));
    await waitFor(() => expect(within(segments).getAllByRole('rowheader').map((r) => r.textContent)).toEqual(['beta_users', 'enterprise', 'staff']));
    expect(setup.api.calls.filter((c) => /^(listChangeRequests|listSegments)/.test(c))).toEqual([]);
  });
});

describe('sync indicator', () => {
  test('is hidden without a replica', () => {
    const { services } = signedInServices();
    renderWithServices(<SyncIndicator />, services);
    expect(screen.queryByRole('button', { name: 'Sync status' })).toBeNull();
  });

  test('says whether the server is reachable, what is pending and the conflicts, and opens the outbox', async () => {
    const setup = signedInServices();
    replica = await withReplica(setup.services, {});
    renderWithServices(<SyncIndicator />, setup.services);
    const indicator = () => screen.getByRole('button', { name: 'Sync status' });
    expect(indicator().textContent).toBe('Online');
    expect(indicator().dataset.initialReplication).toBe('finished');

    act(() => replica!.status.setState({ connection: 'offline', pendingDrafts: 1, pendingIntents: 1 }));
    expect(indicator().textContent).toBe('Offline · 2 pending');
    act(() => replica!.status.setState({ connection: 'connecting', pendingDrafts: 0, pendingIntents: 0, conflicts: 3 }));
    expect(indicator().textContent).toBe('Connecting… · 3 conflicts');
    act(() => replica!.status.setState({ connection: 'online', pendingIntents: 4 }));
    expect(indicator().textContent).toBe('Online · 4 pending · 3 conflicts');

    fireEvent.click(indicator());
    expect(screen.getAllByRole('dialog', { name: 'Sync' })).toHaveLength(1);
    expect(indicator().getAttribute('aria-expanded')).toBe('true');
  });
});

describe('command palette from the replica', () => {
  test('jumps to features, environments and projects the replica holds', async () => {
    const setup = signedInServices();
    const seed = standardSeed();
    seed.features.push(featureDoc(1002, 10, 'replicated_only'));
    replica = await withReplica(setup.services, seed);
    setup.store.setState({ selection: { organisationId: 1, projectId: 10, environmentKey: 'key-production' } });
    renderWithServices(<CommandPalette environment={setup.data.environments[1]!} />, setup.services);
    fireEvent.change(screen.getByRole('combobox', { name: 'Go to feature, environment or screen' }), { target: { value: 'repl' } });
    const results = screen.getByRole('listbox', { name: 'Results' });
    await waitFor(() => expect(within(results).getAllByRole('option').map((o) => o.textContent)).toEqual(['replicated_onlyFeature']));
    expect(setup.api.calls.filter((c) => /^list(Projects|Environments|Features)/.test(c))).toEqual([]);
  });
});

describe('one feature from the replica', () => {
  test('answers its live state on v2 with the project’s segments, and null for a feature the replica does not have', async () => {
    const setup = signedInServices();
    replica = await withReplica(setup.services, { ...standardSeed(), versions: [versionDoc('b1', banner, content(true, 'Hello'))] });
    const production = setup.data.environments[1]!;
    const found = await firstValueFrom(replicatedFeature$(replica.db, production, 1000));
    expect([found.feature?.name, found.feature?.environment_feature_state?.enabled, found.feature?.environment_feature_state?.feature_state_value]).toEqual(['checkout_banner', true, 'Hello']);
    expect(found.segments.map((s) => s.name)).toEqual(['beta_users', 'enterprise']);
    expect((await firstValueFrom(replicatedFeature$(replica.db, production, 4242))).feature).toBeNull();
  });
});
