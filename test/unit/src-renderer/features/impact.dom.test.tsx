import { afterEach, describe, expect, test } from 'vitest';
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { ChangeRequestPage } from '../../../../src-renderer/features/change-requests/change-request-page.js';
import { ImpactPreviewPanel } from '../../../../src-renderer/features/impact/impact-preview.js';
import type { ChangeRequest, ChangeRequestDiff, ImpactPreview } from '../../../../src-renderer/data/api-client.js';
import type { FakeApiData } from '../../../../src-renderer/data/api-client.fake.js';
import { makeData, renderWithServices, signedInServices } from '../fixtures.js';

afterEach(cleanup);

const PROD = 101;
const BANNER = 1000;
const at = '2026-11-02T09:00:00.000Z';

function preview(fields: Partial<ImpactPreview> = {}): ImpactPreview {
  return {
    id: 'p-1', status: 'done', subject: { kind: 'change_request', environment_id: PROD, feature_id: null, version_uuid: null, change_request_id: 5 },
    progress: { evaluated: 48_310, total: 48_310 }, identities_evaluated: 48_310, changed_any: 1204, merged_with_live: false, error: null, started_at: at, finished_at: at,
    features: [{
      feature_id: BANNER, feature_name: 'checkout_banner', identities_evaluated: 48_310, changed: { any: 1204, enabled: 0, value: 1204, variant: 0 }, has_provisional_buckets: false,
      rules: [
        { kind: 'ENVIRONMENT_DEFAULT', segment_id: null, segment_name: null, is_percentage_split: false, identities: 47_106, changed: 0, variant_split: 0 },
        { kind: 'SEGMENT_OVERRIDE', segment_id: 7, segment_name: 'beta_users', is_percentage_split: true, identities: 1204, changed: 1204, variant_split: 0 },
      ],
      examples: { enabled: [], value: ['user-3', 'user-9'], variant: [] },
    }],
    ...fields,
  };
}

function changeRequest(fields: Partial<ChangeRequest> = {}): ChangeRequest {
  return {
    id: 5, uuid: 'cr-5', title: 'Greet beta users', description: null, user: 2, environment: PROD, project: 10, created_at: at, updated_at: at,
    committed_at: null, committed_by: null, deleted_at: null, is_committed: false, is_approved: false, status: 'open', required_approvals: 0, current_approvals: 0,
    content_hash: 'sha256:now', approvals: [], feature_states: [], environment_feature_versions: [],
    change_sets: [{ id: 50, feature: BANNER, live_from: null, feature_states_to_create: [], feature_states_to_update: [], segment_ids_to_delete_overrides: [], base_version_uuid: null, content_hash: 'sha256:set', environment_feature_version: null, version_status: null, conflicts: [] }],
    ...fields,
  };
}

async function openChangeRequest(cr: ChangeRequest, impact: FakeApiData['impact']) {
  const data = makeData();
  data.impact = impact;
  const setup = signedInServices(data);
  setup.store.setState({ selection: { organisationId: 1, projectId: 10, environmentKey: 'key-production' } });
  const diff: ChangeRequestDiff = { change_request: 5, content_hash: 'sha256:now', approvals: [], features: [] };
  setup.data.changeRequests = [{ changeRequest: cr, diff }];
  renderWithServices(<ChangeRequestPage environment={setup.data.environments[1]!} changeRequestId={5} />, setup.services);
  await screen.findByRole('heading', { level: 2, name: '#5 Greet beta users' });
  return setup;
}

describe('impact preview on the change-request page', () => {
  test('shows progress while the server evaluates, then one sentence, a bar per rule and example identities', async () => {
    const running = preview({ status: 'running', progress: { evaluated: 12_000, total: 48_310 }, identities_evaluated: 12_000, finished_at: null });
    const setup = await openChangeRequest(changeRequest(), { running, done: preview() });
    const region = screen.getByRole('region', { name: 'Impact of this change request' });
    fireEvent.click(within(region).getByRole('button', { name: 'Preview impact' }));
    expect((await within(region).findByRole('status')).textContent).toBe('Evaluated 12,000 of 48,310 identities…');
    expect((await within(region).findByText(/^Changes the value/, {}, { timeout: 3000 })).textContent).toBe('Changes the value for 1,204 of 48,310 known identities (2.5% affected).');
    const rules = within(region).getByRole('list', { name: 'By deciding rule' });
    expect(within(rules).getAllByRole('listitem').map((li) => li.textContent)).toEqual([
      'Environment default47,106 decided · no change',
      'Segment “beta_users” (percentage split)1,204 decided · 1,204 changed',
    ]);
    expect(within(region).getByText('user-3, user-9').closest('div')?.textContent).toBe('Value changesuser-3, user-9');
    expect(setup.api.calls.filter((c) => c.endsWith('Impact') || c === 'getImpactPreview')).toEqual(['previewChangeRequestImpact', 'getImpactPreview']);
  });

  test('a running preview can be cancelled, which tells the server', async () => {
    const running = preview({ status: 'running', progress: { evaluated: 2000, total: 48_310 }, identities_evaluated: 2000, finished_at: null });
    const setup = await openChangeRequest(changeRequest(), { running, done: running });
    const region = screen.getByRole('region', { name: 'Impact of this change request' });
    fireEvent.click(within(region).getByRole('button', { name: 'Preview impact' }));
    fireEvent.click(await within(region).findByRole('button', { name: 'Cancel preview' }));
    expect(within(region).getByRole('status').textContent).toBe('Cancelled after 2,000 of 48,310 identities.');
    await waitFor(() => expect(setup.api.calls).toContain('cancelImpactPreview'));
    expect(within(region).getAllByRole('button').map((b) => b.textContent)).toEqual(['Preview again']);
  });
});

describe('revert a committed change request', () => {
  const committed = () => changeRequest({ is_committed: true, committed_at: at, committed_by: 1, status: 'committed', is_approved: true });

  test('lists the features that changed since, and reverts the others on request', async () => {
    const conflicts = [{ feature: 1001, feature_name: 'dark_mode', reason: 'it changed again since: version v-9 is live now', live_version_uuid: 'v-9' }];
    const setup = await openChangeRequest(committed(), { done: preview({ subject: { kind: 'change_request_revert', environment_id: PROD, feature_id: null, version_uuid: null, change_request_id: 5 } }), revert: { conflicts } });
    const region = screen.getByRole('region', { name: 'Revert this change request' });
    fireEvent.click(within(region).getByRole('button', { name: 'Preview impact' }));
    expect((await within(region).findByText(/^Changes the value/)).textContent).toBe('Changes the value for 1,204 of 48,310 known identities (2.5% affected).');
    fireEvent.click(within(region).getByRole('button', { name: 'Revert…' }));
    const dialog = screen.getByRole('dialog', { name: 'Revert “Greet beta users”?' });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Revert now' }));
    const alert = await within(region).findByRole('alert');
    expect(alert.textContent).toContain('Nothing was reverted: a feature changed again since this change request was committed.');
    expect(within(alert).getByRole('listitem').textContent).toBe('dark_mode: it changed again since: version v-9 is live now');
    fireEvent.click(within(alert).getByRole('button', { name: 'Revert the other features' }));
    expect((await within(region).findByText(/^Nothing was reverted\./)).textContent).toBe('Nothing was reverted. Left as they are: dark_mode.');
    expect(setup.api.calls.filter((c) => c === 'revertChangeRequest')).toHaveLength(2);
  });

  test('on an environment that requires approvals the revert becomes a change request to open', async () => {
    const cr = committed();
    const setup = await openChangeRequest({ ...cr, required_approvals: 1 }, { done: preview(), revert: { reverted: [], skipped: [], change_request: 6 } });
    const region = screen.getByRole('region', { name: 'Revert this change request' });
    fireEvent.click(within(region).getByRole('button', { name: 'Request a revert…' }));
    fireEvent.click(within(screen.getByRole('dialog')).getByRole('button', { name: 'Create the revert request' }));
    const done = await within(region).findByText(/Change request #6 holds the revert/);
    fireEvent.click(within(done).getByRole('button', { name: 'Open it' }));
    expect(setup.store.getState().view).toEqual({ screen: 'change-request', changeRequestId: 6 });
  });
});

describe('the impact panel', () => {
  test('says plainly why it cannot be computed, with the button disabled', () => {
    render(<ImpactPreviewPanel controls={{ state: { status: 'idle' }, run: () => undefined, cancel: () => undefined }} subject="this draft" unavailable="It cannot be computed while the server is unreachable." />);
    const button = screen.getByRole('button', { name: 'Preview impact' }) as HTMLButtonElement;
    expect(button.disabled).toBe(true);
    expect(button.getAttribute('aria-describedby') && document.getElementById(button.getAttribute('aria-describedby')!)?.textContent).toBe('It cannot be computed while the server is unreachable.');
  });
});
