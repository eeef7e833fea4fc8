import { afterEach, describe, expect, test } from 'vitest';
import { cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { FeaturePage } from '../../../../src-renderer/features/feature-page/feature-page.js';
import { makeData, renderWithServices, signedInServices } from '../fixtures.js';

afterEach(cleanup);

const PROD = 101;
const BANNER = 1000;
const text = (value: string) => ({ type: 'unicode' as const, string_value: value });

/** A feature with history: initial "Hello", then "Hi" and "Hey" published, a scheduled, a conflicted and a draft version. */
async function withHistory(approvals: number | null = null) {
  const data = makeData();
  data.environments[1] = { ...data.environments[1]!, minimum_change_request_approvals: approvals };
  const setup = signedInServices(data);
  const { api } = setup;
  const publishValue = (value: string) => api.createFeatureVersion(PROD, BANNER, { feature_states_to_update: [{ feature_segment: null, feature_state_value: text(value) }], publish_immediately: true });
  await publishValue('Hi');
  await publishValue('Hey');
  const scheduled = await api.createFeatureVersion(PROD, BANNER, { feature_states_to_update: [{ feature_segment: null, enabled: false }] });
  await api.publishFeatureVersion(PROD, BANNER, scheduled.uuid, '2027-01-01T08:00:00.000Z');
  const conflicted = await api.createFeatureVersion(PROD, BANNER, { feature_states_to_update: [{ feature_segment: null, feature_state_value: text('Clash') }] });
  api.versions.find((v) => v.version.uuid === conflicted.uuid)!.version.status = 'conflict';
  await api.createFeatureVersion(PROD, BANNER, { feature_states_to_create: [{ feature_segment: { segment: 7 }, enabled: true }] });
  setup.store.setState({ selection: { organisationId: 1, projectId: 10, environmentKey: 'key-production' } });
  renderWithServices(<FeaturePage environment={setup.data.environments[1]!} featureId={BANNER} tab="history" />, setup.services);
  return setup;
}

const table = () => screen.findByRole('table', { name: 'Versions of checkout_banner' });
async function rows(): Promise<string[][]> {
  return within(await table())
    .getAllByRole('row')
    .slice(1)
    .map((r) => [...r.querySelectorAll('td')].slice(1, 4).map((c) => c.textContent ?? ''));
}

describe('History tab', () => {
  test('lists versions newest first with status badges, who published them and their values', async () => {
    await withHistory();
    await waitFor(async () => expect(await rows()).toHaveLength(6));
    expect(await rows()).toEqual([
      ['Draft', 'admin@example.com (author)', 'On "Hey" · 1 override'],
      ['Conflict', 'admin@example.com (author)', 'On "Clash"'],
      ['Scheduled for 1 Jan 2027, 08:00 UTC', 'admin@example.com', 'Off "Hey"'],
      ['Live', 'admin@example.com', 'On "Hey"'],
      ['Published', 'admin@example.com', 'On "Hi"'],
      ['Published', 'API key or system', 'On "Hello"'],
    ]);
    // Only earlier published versions can be rolled back to.
    const rollBacks = within(await table()).getAllByRole('button', { name: /^Roll back/ });
    expect(rollBacks).toHaveLength(2);
  });

  test('compares any two versions with sentences and a side-by-side table', async () => {
    const { api } = await withHistory();
    await waitFor(async () => expect(await rows()).toHaveLength(6));
    const boxes = within(await table()).getAllByRole('checkbox');
    expect(screen.getByRole('button', { name: 'Compare' })).toHaveProperty('disabled', true);
    fireEvent.click(boxes[5]!);
    fireEvent.click(boxes[3]!);
    // At most two are chosen at once.
    expect(boxes[0]).toHaveProperty('disabled', true);
    fireEvent.click(screen.getByRole('button', { name: 'Compare' }));

    const comparison = await screen.findByRole('region', { name: /^Comparing / });
    await waitFor(() => expect(within(comparison).getAllByRole('listitem').map((li) => li.textContent)).toEqual(['Changed the value of the environment default from "Hello" to "Hey"']));
    expect(within(comparison).getByRole('row', { name: 'Environment default value changed' }).textContent).toContain('"Hello""Hey"');
    const diffCall = api.calls.find((c) => c.startsWith('getFeatureVersionDiff'))!;
    const [, newer, older] = diffCall.split(':');
    expect([api.versions.find((v) => v.version.uuid === newer)!.version.status, api.versions.find((v) => v.version.uuid === older)!.version.created_at]).toEqual(['published', '2026-11-01T00:00:00.000Z']);
  });

  test('rolls back only after confirmation, publishing a copy of the chosen version', async () => {
    const { api } = await withHistory();
    await waitFor(async () => expect(await rows()).toHaveLength(6));
    const initialRow = within(await table()).getAllByRole('row')[6]!;

    fireEvent.click(within(initialRow).getByRole('button', { name: /^Roll back/ }));
    const dialog = await screen.findByRole('dialog', { name: 'Roll back checkout_banner?' });
    expect(document.activeElement).toBe(within(dialog).getByRole('button', { name: 'Cancel' }));
    fireEvent.keyDown(dialog, { key: 'Escape' });
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(api.calls.some((c) => c.startsWith('restoreFeatureVersion'))).toBe(false);

    fireEvent.click(within(initialRow).getByRole('button', { name: /^Roll back/ }));
    fireEvent.click(within(await screen.findByRole('dialog')).getByRole('button', { name: 'Roll back' }));
    expect((await screen.findByText(/^Rolled back:/)).textContent).toMatch(/is live again as a new version\.$/);
    await waitFor(async () => expect(await rows()).toHaveLength(7));
    expect((await rows())[0]).toEqual(['Live', 'admin@example.com', 'On "Hello"']);
  });

  test('a scheduled version is cancelled after confirmation and leaves the history; what is live stays', async () => {
    const { api } = await withHistory();
    await waitFor(async () => expect(await rows()).toHaveLength(6));
    fireEvent.click(within(await table()).getByRole('button', { name: /^Cancel the schedule of version .* for 1 Jan 2027, 08:00/ }));
    const dialog = await screen.findByRole('dialog', { name: 'Cancel this scheduled change?' });
    expect(dialog.textContent).toContain('scheduled for 1 Jan 2027, 08:00 UTC in Production is deleted. What is live stays as it is.');
    expect(api.calls.filter((c) => c.startsWith('deleteFeatureVersion:'))).toEqual([]);
    fireEvent.click(within(dialog).getByRole('button', { name: 'Cancel schedule' }));
    expect((await screen.findByText(/^Schedule cancelled/)).textContent).toBe('Schedule cancelled: the change planned for 1 Jan 2027, 08:00 UTC will not go live.');
    await waitFor(async () => expect((await rows()).map((r) => r[0])).toEqual(['Draft', 'Conflict', 'Live', 'Published', 'Published']));
    expect(api.versions.filter((v) => v.version.status === 'scheduled')).toEqual([]);
  });

  test('on an environment that requires approvals, rolling back creates a change request instead of publishing', async () => {
    const setup = await withHistory(1);
    await waitFor(async () => expect(await rows()).toHaveLength(6));
    const [toHi] = within(await table()).getAllByRole('button', { name: /^Roll back/ });
    fireEvent.click(toHi!);
    const dialog = await screen.findByRole('dialog', { name: 'Roll back checkout_banner?' });
    expect(dialog.textContent).toContain('Production requires approvals: rolling back creates a change request');
    fireEvent.click(within(dialog).getByRole('button', { name: 'Create change request' }));
    await waitFor(() => expect(setup.store.getState().view).toMatchObject({ screen: 'change-request' }));
    expect(setup.api.calls.filter((c) => c.startsWith('restoreFeatureVersion'))).toEqual([]);
    expect(setup.data.changeRequests![0]!.changeRequest.title).toMatch(/^Roll back checkout_banner to the version of /);
  });
});
