import { afterEach, describe, expect, test } from 'vitest';
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { ChangeRequestPage } from '../../../../src-renderer/features/change-requests/change-request-page.js';
import { ChangeRequestList } from '../../../../src-renderer/features/change-requests/change-request-list.js';
import { ConflictView } from '../../../../src-renderer/features/change-requests/conflict-view.js';
import { FeaturePage } from '../../../../src-renderer/features/feature-page/feature-page.js';
import type { ChangeRequest, ChangeRequestDiff, RebaseResolution, VersionConflict } from '../../../../src-renderer/data/api-client.js';
import type { FeatureConflict } from '../../../../src-renderer/data/change-requests.js';
import { makeData, renderWithServices, signedInServices } from '../fixtures.js';

afterEach(cleanup);

const PROD = 101;
const BANNER = 1000;
const at = '2026-11-02T09:00:00.000Z';
const text = (value: string | null) => ({ type: 'unicode' as const, string_value: value, integer_value: null, boolean_value: null });
const flag = (enabled: boolean, value: string) => ({ enabled, value: text(value), multivariateWeights: {} });
const change = (kind: 'value' | 'override-added', sentence: string, segment_id: number | null = null) => ({ kind, segment_id, option_id: null, from: null, to: null, sentence });

function changeRequest(fields: Partial<ChangeRequest> = {}): ChangeRequest {
  return {
    id: 5, uuid: 'cr-5', title: 'Greet beta users', description: 'For the launch', user: 2, environment: PROD, project: 10, created_at: at, updated_at: at,
    committed_at: null, committed_by: null, deleted_at: null, is_committed: false, is_approved: false, status: 'open', required_approvals: 1, current_approvals: 0,
    content_hash: 'sha256:now', approvals: [], feature_states: [], environment_feature_versions: [],
    change_sets: [{ id: 50, feature: BANNER, live_from: null, feature_states_to_create: [], feature_states_to_update: [], segment_ids_to_delete_overrides: [], base_version_uuid: null, content_hash: 'sha256:set', environment_feature_version: null, version_status: null, conflicts: [] }],
    ...fields,
  };
}

/** A change request on checkout_banner: the default becomes "Hello v2" and beta_users gets an override. */
async function setUp(fields: Partial<ChangeRequest> = {}, diffFields: Partial<ChangeRequestDiff> = {}, featureFields: Partial<ChangeRequestDiff['features'][number]> = {}) {
  const data = makeData();
  data.environments[1] = { ...data.environments[1]!, minimum_change_request_approvals: 1 };
  const setup = signedInServices(data);
  setup.store.setState({ selection: { organisationId: 1, projectId: 10, environmentKey: 'key-production' } });
  const live = (await setup.api.listFeatureVersions(PROD, BANNER))[0]!;
  const cr = changeRequest({ ...fields, change_sets: (fields.change_sets ?? changeRequest().change_sets).map((s) => ({ ...s, base_version_uuid: live.uuid })) });
  const diff: ChangeRequestDiff = {
    change_request: 5, content_hash: 'sha256:now', approvals: [],
    features: [{
      feature: BANNER, feature_name: 'checkout_banner', live_version_uuid: live.uuid, base_version_uuid: live.uuid, is_mergeable: true, conflicts: [],
      content_to_publish: { environmentDefault: flag(true, 'Hello v2'), segmentOverrides: { '7': { ...flag(true, 'Hi beta'), priority: 0 } } },
      changes: [change('value', 'Changed the value of the environment default from "Hello" to "Hello v2"'), change('override-added', "Added an override for segment 'beta_users' at priority 0 (enabled, value \"Hi beta\")", 7)],
      ...featureFields,
    }],
    ...diffFields,
  };
  setup.data.changeRequests = [{ changeRequest: cr, diff }];
  renderWithServices(<ChangeRequestPage environment={setup.data.environments[1]!} changeRequestId={5} />, setup.services);
  await screen.findByRole('heading', { level: 2, name: '#5 Greet beta users' });
  return setup;
}

const conflict = (path: string, field: VersionConflict['field'], segment_id: number | null, base: unknown, live: unknown, mine: unknown): VersionConflict => ({ path, field, segment_id, option_id: null, base, live, mine });

describe('change request detail', () => {
  test('shows each feature’s changes against live as sentences and side by side, with author and status', async () => {
    await setUp();
    const region = screen.getByRole('region', { name: 'Changes to checkout_banner' });
    await waitFor(() => expect(within(region).getByRole('table', { name: 'Live and Change request side by side' })).toBeTruthy());
    expect(within(within(region).getByRole('list', { name: 'Changes' })).getAllByRole('listitem').map((li) => li.textContent)).toEqual([
      'Changed the value of the environment default from "Hello" to "Hello v2"',
      'Added an override for segment \'beta_users\' at priority 0 (enabled, value "Hi beta")',
    ]);
    const table = within(region).getByRole('table', { name: 'Live and Change request side by side' });
    expect(within(table).getByRole('row', { name: 'Environment default value changed' }).textContent).toContain('"Hello v2"');
    expect(within(table).getByRole('row', { name: 'beta_users enabled changed' }).textContent).toContain('no override');
    expect(screen.getByText(/By dev@example\.com/).textContent).toMatch(/^By dev@example\.com on /);
    expect(screen.getByText('Open').className).toMatch(/\bbadge\b/);
  });

  test('approve sends an approval, and commit is enabled once the request has enough current approvals', async () => {
    const { api } = await setUp();
    const commit = screen.getByRole('button', { name: 'Commit now' });
    expect(commit).toHaveProperty('disabled', true);
    fireEvent.click(screen.getByRole('button', { name: 'Approve' }));
    await waitFor(() => expect(screen.getByRole('button', { name: 'Commit now' })).toHaveProperty('disabled', false));
    expect(api.calls).toContain('approveChangeRequest');
    expect(screen.getByRole('button', { name: 'Approved by you' })).toHaveProperty('disabled', true);

    fireEvent.click(screen.getByRole('button', { name: 'Commit now' }));
    await screen.findByText('Committed');
    expect(api.calls).toContain('commitChangeRequest');
    expect(screen.queryByRole('button', { name: 'Commit now' })).toBeNull();
  });

  test('a scheduled request offers to commit for its go-live time', async () => {
    await setUp({ change_sets: [{ ...changeRequest().change_sets[0]!, live_from: '2099-01-01T10:00:00.000Z' }] });
    expect((screen.getByRole('button', { name: 'Commit: schedule for 1 Jan 2099, 10:00 UTC' }) as HTMLButtonElement).disabled).toBe(true);
  });

  test('marks an approval stale and lists approved content vs content to publish; a current one is marked current', async () => {
    await setUp(
      {
        approvals: [
          { user: 1, approved_at: at, is_assignee: false, content_hash: 'sha256:old', is_stale: true },
          { user: 3, approved_at: at, is_assignee: false, content_hash: 'sha256:now', is_stale: false },
        ],
        current_approvals: 1,
        is_approved: true,
      },
      {
        approvals: [
          {
            user: 1, approved_at: at, is_stale: true, approved_content: [],
            changes_since_approval: [{ feature: BANNER, changes: [change('value', 'Changed the value of the environment default from "Hello beta" to "Hello v2"')] }],
          },
          { user: 3, approved_at: at, is_stale: false, approved_content: [], changes_since_approval: [{ feature: BANNER, changes: [] }] },
        ],
      },
    );
    const approvals = screen.getByRole('region', { name: 'Approvals' });
    expect(within(approvals).getByText('1 of 1 required')).toBeTruthy();
    const items = within(within(approvals).getByRole('list', { name: 'Approvals given' })).getAllByRole('listitem').filter((li) => li.parentElement?.getAttribute('aria-label') === 'Approvals given');
    expect(items).toHaveLength(2);
    expect(within(items[0]!).getByText('Stale')).toBeTruthy();
    expect(items[0]!.textContent).toContain('admin@example.com');
    expect(within(within(items[0]!).getByRole('list', { name: 'Changes since admin@example.com approved' })).getAllByRole('listitem').map((li) => li.textContent)).toEqual([
      'checkout_banner: Changed the value of the environment default from "Hello beta" to "Hello v2"',
    ]);
    expect(within(items[1]!).getByText('Current')).toBeTruthy();
    expect(within(items[1]!).queryByText('Stale')).toBeNull();
    // The signed-in user's own approval is stale: they may approve again.
    expect(screen.getByRole('button', { name: 'Approve' })).toHaveProperty('disabled', false);
  });

  test('a request that needs a rebase shows the conflict view instead of commit, and rebasing sends the choices', async () => {
    const conflicts = [conflict('environmentDefault.value', 'value', null, text('Hello'), text('Theirs'), text('Hello v2')), conflict('segmentOverrides.7', 'override', 7, null, { enabled: false, value: text('x'), priority: 0, multivariateWeights: {} }, { enabled: true, value: text('Hi beta'), priority: 0, multivariateWeights: {} })];
    const set = { ...changeRequest().change_sets[0]!, conflicts };
    const { api } = await setUp({ status: 'needs_rebase', change_sets: [set] }, {}, { is_mergeable: false, conflicts, content_to_publish: null });
    expect(screen.queryByRole('button', { name: 'Commit now' })).toBeNull();
    expect(screen.getByText('Needs rebase').className).toBe('badge conflict');
    const table = screen.getByRole('table', { name: 'Conflicting fields' });
    expect(within(table).getAllByRole('row').slice(1).map((row) => [...row.querySelectorAll('th, td')].slice(0, 4).map((c) => c.textContent))).toEqual([
      ['checkout_banner: Environment default · value', '"Hello"', '"Theirs"', '"Hello v2"'],
      ['checkout_banner: beta_users · the override', 'No override', 'Off, "x"', 'On, "Hi beta"'],
    ]);
    fireEvent.click(within(screen.getByRole('radiogroup', { name: 'Keep for checkout_banner: Environment default · value' })).getByLabelText('Keep live'));
    fireEvent.click(within(screen.getByRole('radiogroup', { name: 'Keep for checkout_banner: beta_users · the override' })).getByLabelText('Keep mine'));
    fireEvent.click(screen.getByRole('button', { name: 'Rebase with these choices' }));
    await waitFor(() => expect(api.rebases).toHaveLength(1));
    expect(api.rebases[0]).toEqual({
      id: 5,
      resolutions: [
        { feature: BANNER, path: 'environmentDefault.value', choice: 'live' },
        { feature: BANNER, path: 'segmentOverrides.7', choice: 'mine' },
      ],
    });
    await screen.findByRole('button', { name: 'Approve' });
    expect(screen.queryByRole('table', { name: 'Conflicting fields' })).toBeNull();
  });
});

describe('conflict view', () => {
  const conflicts: FeatureConflict[] = [
    { feature: 1, featureName: 'banner', conflict: conflict('environmentDefault.enabled', 'enabled', null, false, true, false) },
    { feature: 2, featureName: 'search', conflict: conflict('segmentOverrideOrder', 'order', null, ['7', '8'], ['8', '7'], ['7', '8']) },
  ];

  function renderView(onResolve: (r: RebaseResolution[]) => Promise<void>) {
    render(<ConflictView conflicts={conflicts} segmentName={(id) => (id === 7 ? 'beta_users' : 'enterprise')} onResolve={onResolve} />);
  }

  test('rebasing waits until every field has a choice, then sends one choice per field', async () => {
    const sent: RebaseResolution[][] = [];
    renderView(async (r) => {
      sent.push(r);
    });
    const submit = screen.getByRole('button', { name: 'Rebase with these choices' });
    expect(submit).toHaveProperty('disabled', true);
    expect(screen.getByRole('status').textContent).toBe('0 of 2 chosen');
    expect(screen.getByRole('row', { name: /Override order/ }).textContent).toContain('beta_users → enterprise');
    fireEvent.click(within(screen.getByRole('radiogroup', { name: 'Keep for banner: Environment default · enabled' })).getByLabelText('Keep mine'));
    expect(submit).toHaveProperty('disabled', true);
    fireEvent.click(within(screen.getByRole('radiogroup', { name: 'Keep for search: Override order' })).getByLabelText('Keep live'));
    expect(screen.getByRole('status').textContent).toBe('2 of 2 chosen');
    fireEvent.click(submit);
    await waitFor(() => expect(sent).toHaveLength(1));
    expect(sent[0]).toEqual([
      { feature: 1, path: 'environmentDefault.enabled', choice: 'mine' },
      { feature: 2, path: 'segmentOverrideOrder', choice: 'live' },
    ]);
  });

  test('"Keep all live" chooses live everywhere; a refused rebase is shown and the choices stay', async () => {
    renderView(() => Promise.reject(new Error('refused')));
    fireEvent.click(screen.getByRole('button', { name: 'Keep all live' }));
    expect(screen.getAllByLabelText('Keep live').map((r) => (r as HTMLInputElement).checked)).toEqual([true, true]);
    fireEvent.click(screen.getByRole('button', { name: 'Rebase with these choices' }));
    expect((await screen.findByRole('alert')).textContent).toBe('Something went wrong.');
    expect(screen.getAllByLabelText('Keep live').map((r) => (r as HTMLInputElement).checked)).toEqual([true, true]);
  });

  test('the choices are radio buttons in one group per field, reachable by keyboard', () => {
    renderView(async () => undefined);
    const groups = screen.getAllByRole('radiogroup');
    expect(groups).toHaveLength(2);
    for (const group of groups) {
      const radios = within(group).getAllByRole('radio') as HTMLInputElement[];
      expect(radios.map((r) => r.name)).toEqual([radios[0]!.name, radios[0]!.name]);
      expect(radios.every((r) => r.tabIndex >= 0)).toBe(true);
    }
    expect(groups[0]!.querySelector('input')!.name).not.toBe(groups[1]!.querySelector('input')!.name);
  });
});

describe('change requests from the feature page and the list', () => {
  test('on an environment that requires approvals, "Request change" turns the draft into a change request', async () => {
    const data = makeData();
    data.environments[1] = { ...data.environments[1]!, minimum_change_request_approvals: 1 };
    const setup = signedInServices(data);
    setup.store.setState({ selection: { organisationId: 1, projectId: 10, environmentKey: 'key-production' } });
    renderWithServices(<FeaturePage environment={data.environments[1]!} featureId={BANNER} tab="value" />, setup.services);
    const editor = await screen.findByRole('form', { name: 'Value and segment overrides' });
    const value = within(within(editor).getByRole('group', { name: 'Environment default' })).getByLabelText('Value');
    await waitFor(() => expect((value as HTMLInputElement).value).toBe('Hello'));
    fireEvent.change(value, { target: { value: 'Hello v2' } });
    fireEvent.change(within(editor).getByLabelText('Segment'), { target: { value: '7' } });
    fireEvent.click(within(editor).getByRole('button', { name: 'Add override' }));
    fireEvent.click(within(editor).getByRole('button', { name: 'Save draft' }));
    const draft = await screen.findByRole('region', { name: /^Draft/ });

    fireEvent.click(within(draft).getByRole('button', { name: 'Request change' }));
    const form = within(draft).getByRole('form', { name: 'Request change' });
    fireEvent.change(within(form).getByLabelText('Title'), { target: { value: 'Launch greeting' } });
    fireEvent.click(await within(form).findByRole('checkbox', { name: 'dev@example.com' }));
    expect(within(form).queryByRole('checkbox', { name: 'admin@example.com' })).toBeNull();
    fireEvent.click(within(form).getByRole('button', { name: 'Create change request' }));
    await waitFor(() => expect(setup.store.getState().view).toMatchObject({ screen: 'change-request' }));

    const created = setup.data.changeRequests![0]!.changeRequest;
    expect(created.title).toBe('Launch greeting');
    expect(created.approvals).toEqual([{ user: 2, approved_at: null, is_assignee: true, content_hash: null, is_stale: false }]);
    expect(setup.api.calls).toContain('createChangeRequest');
    // The draft's content moved into the request.
    expect(setup.api.versions.filter((v) => v.version.status === 'draft')).toHaveLength(0);
  });

  test('a draft whose publish answered a conflict is resolved in the conflict view and then publishes', async () => {
    const setup = signedInServices();
    setup.store.setState({ selection: { organisationId: 1, projectId: 10, environmentKey: 'key-production' } });
    renderWithServices(<FeaturePage environment={setup.data.environments[1]!} featureId={BANNER} tab="value" />, setup.services);
    const editor = await screen.findByRole('form', { name: 'Value and segment overrides' });
    const value = () => within(within(screen.getByRole('form', { name: 'Value and segment overrides' })).getByRole('group', { name: 'Environment default' })).getByLabelText('Value') as HTMLInputElement;
    await waitFor(() => expect(value().value).toBe('Hello'));
    fireEvent.change(value(), { target: { value: 'Mine' } });
    fireEvent.click(within(editor).getByRole('button', { name: 'Save draft' }));
    const draft = await screen.findByRole('region', { name: /^Draft/ });
    await setup.api.createFeatureVersion(PROD, BANNER, { feature_states_to_update: [{ feature_segment: null, feature_state_value: text('Theirs') }], publish_immediately: true });
    fireEvent.click(within(draft).getByRole('button', { name: 'Publish now' }));

    const table = await within(draft).findByRole('table', { name: 'Conflicting fields' });
    expect([...within(table).getAllByRole('row')[1]!.querySelectorAll('th, td')].slice(0, 4).map((c) => c.textContent)).toEqual(['checkout_banner: Environment default · value', '"Hello"', '"Theirs"', '"Mine"']);
    fireEvent.click(within(table).getByLabelText('Keep mine'));
    fireEvent.click(within(draft).getByRole('button', { name: 'Rebase with these choices' }));
    await screen.findByText(/Conflicts resolved/);
    await waitFor(() => expect(document.querySelector('.value-tab')?.getAttribute('aria-busy')).toBe('false'));
    const drafts = setup.api.versions.filter((v) => v.version.status === 'draft');
    expect(drafts).toHaveLength(1);
    const live = setup.api.versions.find((v) => v.version.is_live && v.states.some((st) => st.feature_state_value.string_value === 'Theirs'))!;
    expect(drafts[0]!.version.base_version_uuid).toBe(live.version.uuid);

    fireEvent.click(within(await screen.findByRole('region', { name: /^Draft/ })).getByRole('button', { name: 'Publish now' }));
    await screen.findByText('Published: the new version is live.');
    expect((await setup.api.listEnvironmentFeatureStates('key-production')).find((st) => st.feature === BANNER)?.feature_state_value).toBe('Mine');
  });

  test('the list shows open, committed and needs-rebase badges and opens a request', async () => {
    const data = makeData();
    data.environments[1] = { ...data.environments[1]!, minimum_change_request_approvals: 2 };
    const setup = signedInServices(data);
    const emptyDiff = (id: number): ChangeRequestDiff => ({ change_request: id, content_hash: 'h', features: [], approvals: [] });
    setup.data.changeRequests = [
      { changeRequest: changeRequest({ id: 1, title: 'Old change', status: 'committed', is_committed: true }), diff: emptyDiff(1) },
      { changeRequest: changeRequest({ id: 2, title: 'Clashing change', status: 'needs_rebase' }), diff: emptyDiff(2) },
      { changeRequest: changeRequest({ id: 3, title: 'New change', current_approvals: 1, required_approvals: 2 }), diff: emptyDiff(3) },
    ];
    renderWithServices(<ChangeRequestList environment={data.environments[1]!} />, setup.services);
    const table = await screen.findByRole('table', { name: 'Change requests in Production' });
    expect(within(table).getAllByRole('row').slice(1).map((row) => [...row.querySelectorAll('th, td')].slice(0, 3).map((c) => c.textContent))).toEqual([
      ['#3 New change', 'Open', '1 of 2'],
      ['#2 Clashing change', 'Needs rebase', '0 of 1'],
      ['#1 Old change', 'Committed', '0 of 1'],
    ]);
    expect(screen.getByText(/need 2 approvals/).textContent).toMatch(/need 2 approvals/);
    fireEvent.click(within(table).getByRole('button', { name: '#2 Clashing change' }));
    expect(setup.store.getState().view).toEqual({ screen: 'change-request', changeRequestId: 2 });
  });
});
