import { afterEach, describe, expect, test } from 'vitest';
import { cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { FeatureList } from '../../../../src-renderer/features/feature-list/feature-list.js';
import { FeaturePage } from '../../../../src-renderer/features/feature-page/feature-page.js';
import { createLocalDraft, findLocalDraft } from '../../../../src-renderer/replica/local-drafts.js';
import { queuePublish, queueSchedule } from '../../../../src-renderer/replica/intents.js';
import { makeData, renderWithServices, signedInServices } from '../fixtures.js';
import { content, environmentDoc, standardSeed, versionDoc, withReplica, type TestReplica } from '../replica-fixtures.js';

/*
 * Issue 12 §2 in the app: on an environment that requires approvals no change path publishes directly.
 * The list's switch says so and creates a change request; the feature page offers "Request change" and a
 * separate, labelled bypass; a publish or schedule is never queued for the server.
 */

let replica: TestReplica | null = null;
afterEach(async () => {
  cleanup();
  await replica?.close();
  replica = null;
});

const BANNER = 1000;

function approvalData(approvals = 1) {
  const data = makeData();
  data.environments[1] = { ...data.environments[1]!, minimum_change_request_approvals: approvals };
  return data;
}

describe('the feature list switch on an environment that requires approvals', () => {
  test('asks first, publishes nothing, and on confirmation creates a change request for the new state and opens it', async () => {
    const data = approvalData();
    const setup = signedInServices(data);
    renderWithServices(<FeatureList environment={data.environments[1]!} />, setup.services);
    const table = await screen.findByRole('table', { name: 'Features in Production' });
    const toggle = within(table).getByRole('switch', { name: 'dark_mode in Production' });
    const callsBefore = setup.api.calls.length;

    fireEvent.click(toggle);
    const dialog = await screen.findByRole('dialog', { name: 'Production requires approval' });
    expect(dialog.textContent).toContain('Turning dark_mode on in Production creates a change request. Nothing changes until it is approved and committed.');
    expect(setup.api.calls.slice(callsBefore)).toEqual([]);
    expect(toggle.getAttribute('aria-checked')).toBe('false');
    // Focus starts on Cancel, so Enter right after the switch does not create anything.
    expect(document.activeElement?.textContent).toBe('Cancel');

    fireEvent.click(within(dialog).getByRole('button', { name: 'Create change request' }));
    await waitFor(() => expect(setup.store.getState().view).toMatchObject({ screen: 'change-request' }));
    const created = setup.data.changeRequests![0]!.changeRequest;
    expect([created.title, created.change_sets.map((s) => s.feature)]).toEqual(['Turn dark_mode on', [1001]]);
    expect(setup.api.calls.slice(callsBefore)).toEqual(['createChangeRequest']);
    expect(setup.api.versions.filter((v) => v.featureId === 1001 && v.version.status !== 'draft' && v.version.published_by === 1)).toEqual([]);
  });

  test('approvals set to 0 still go through a change request', async () => {
    const data = approvalData(0);
    const setup = signedInServices(data);
    renderWithServices(<FeatureList environment={data.environments[1]!} />, setup.services);
    fireEvent.click(within(await screen.findByRole('table')).getByRole('switch', { name: 'checkout_banner in Production' }));
    const dialog = await screen.findByRole('dialog', { name: 'Production requires approval' });
    expect(dialog.textContent).toContain('Turning checkout_banner off in Production creates a change request.');
    fireEvent.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    expect(setup.api.calls).not.toContain('createChangeRequest');
  });
});

describe('the feature page draft on an environment that requires approvals', () => {
  async function draftOnApprovalEnvironment() {
    const data = approvalData();
    const setup = signedInServices(data);
    setup.store.setState({ selection: { organisationId: 1, projectId: 10, environmentKey: 'key-production' } });
    renderWithServices(<FeaturePage environment={data.environments[1]!} featureId={BANNER} tab="value" />, setup.services);
    const editor = await screen.findByRole('form', { name: 'Value and segment overrides' });
    const value = within(within(editor).getByRole('group', { name: 'Environment default' })).getByLabelText('Value');
    await waitFor(() => expect((value as HTMLInputElement).value).toBe('Hello'));
    fireEvent.change(value, { target: { value: 'Hello v2' } });
    fireEvent.click(within(editor).getByRole('button', { name: 'Save draft' }));
    return { setup, draft: await screen.findByRole('region', { name: /^Draft/ }) };
  }

  test('offers Request change and a separate bypass, never a plain Publish now or Schedule', async () => {
    const { draft } = await draftOnApprovalEnvironment();
    const buttons = within(draft)
      .getAllByRole('button')
      .map((b) => b.textContent);
    expect(buttons).toEqual(expect.arrayContaining(['Request change', 'Publish without approval…', 'Discard draft']));
    expect(buttons).not.toContain('Publish now');
    expect(buttons).not.toContain('Schedule');
    expect(draft.textContent).toContain('Production requires approvals: this draft goes live through a change request once it is approved.');
  });

  test('the bypass explains itself and needs an acknowledgement before it publishes', async () => {
    const { setup, draft } = await draftOnApprovalEnvironment();
    fireEvent.click(within(draft).getByRole('button', { name: 'Publish without approval…' }));
    const dialog = await screen.findByRole('dialog', { name: 'Publish without a change request?' });
    expect(dialog.textContent).toContain('The server allows it only to people granted “Bypass change requests” on Production, and records it in the audit log.');
    const confirm = within(dialog).getByRole('button', { name: 'Publish without approval' });
    expect(confirm).toHaveProperty('disabled', true);
    const publishes = () => setup.api.calls.filter((c) => c.startsWith('publishFeatureVersion:'));
    expect(publishes()).toEqual([]);
    fireEvent.click(within(dialog).getByRole('checkbox'));
    fireEvent.click(confirm);
    await waitFor(() => expect(publishes()).toEqual([expect.stringMatching(/:now$/)]));
  });
});

describe('queued commands on an environment that requires approvals', () => {
  test('a publish or schedule is refused on the device with the reason and nothing is queued', async () => {
    const setup = signedInServices();
    const seed = standardSeed();
    seed.environments = [environmentDoc(100, 10, 'Development'), { ...environmentDoc(101, 10, 'Production', true), minimumChangeRequestApprovals: 1 }];
    replica = await withReplica(setup.services, { ...seed, versions: [versionDoc('d1', { environmentId: 101, featureId: 1001 }, content(false, 'dim'))] }, { connection: 'offline' });
    const draft = await createLocalDraft(replica.db, { environment: { pk: 101, organisationId: 1, projectId: 10 }, featureId: 1001, userId: 1, live: null, fallback: content(false, 'dim') });
    expect((await findLocalDraft(replica.db, 101, 1001))?.id).toBe(draft.id);
    await expect(queuePublish(replica.db, draft)).rejects.toThrow('Production requires approvals: request a change instead of publishing directly.');
    await expect(queueSchedule(replica.db, draft, '2026-12-01T00:00:00.000Z')).rejects.toThrow('Production requires approvals');
    expect(await replica.db.intents.find().exec()).toEqual([]);
  });
});
