import { afterEach, describe, expect, test } from 'vitest';
import { cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { FeaturePage } from '../../../../src-renderer/features/feature-page/feature-page.js';
import { ValueEditor } from '../../../../src-renderer/features/feature-page/value-editor.js';
import type { FeatureEditorContent } from '../../../../src-renderer/data/feature-editing.js';
import { ApiError } from '../../../../src-renderer/data/api-client.js';
import { feature, makeData, renderWithServices, segment, signedInServices, state } from '../fixtures.js';

afterEach(cleanup);

const editor = () => screen.getByRole('form', { name: 'Value and segment overrides' });
const defaultValue = () => within(within(editor()).getByRole('group', { name: 'Environment default' })).getByLabelText('Value');
const draftRegion = () => screen.findByRole('region', { name: /^Draft/ });
const changeSentences = (region: HTMLElement) => within(within(region).getByRole('list', { name: 'Changes' })).getAllByRole('listitem').map((li) => li.textContent);

function openFeature(environmentIndex: 0 | 1, featureId = 1000) {
  const setup = signedInServices();
  setup.store.setState({ selection: { organisationId: 1, projectId: 10, environmentKey: setup.data.environments[environmentIndex]!.api_key } });
  const environment = setup.data.environments[environmentIndex]!;
  renderWithServices(<FeaturePage environment={environment} featureId={featureId} tab="value" />, setup.services);
  return setup;
}

describe('value and segment-override editor', () => {
  test('on a v2 environment, saving creates one draft with every change and shows its diff against live', async () => {
    const { api } = openFeature(1);
    await waitFor(() => expect((defaultValue() as HTMLInputElement).value).toBe('Hello'));
    expect(within(editor()).getByRole('button', { name: 'Save draft' })).toHaveProperty('disabled', true);

    fireEvent.change(defaultValue(), { target: { value: 'Hello v2' } });
    fireEvent.change(within(editor()).getByLabelText('Segment'), { target: { value: '7' } });
    fireEvent.click(within(editor()).getByRole('button', { name: 'Add override' }));
    fireEvent.change(within(editor()).getByLabelText('Value for beta_users'), { target: { value: '42' } });
    fireEvent.click(within(editor()).getByRole('switch', { name: 'Enabled for beta_users' }));
    fireEvent.click(within(editor()).getByRole('button', { name: 'Save draft' }));

    const draft = await draftRegion();
    await waitFor(() =>
      expect(changeSentences(draft)).toEqual([
        'Changed the value of the environment default from "Hello" to "Hello v2"',
        "Added an override for segment 'beta_users' at priority 0 (disabled, value 42)",
      ]),
    );
    expect(api.calls.filter((c) => c.startsWith('createFeatureVersion'))).toHaveLength(1);
    expect(within(draft).getByRole('row', { name: 'Environment default value changed' }).textContent).toContain('"Hello v2"');
    // The editor now shows the draft, with nothing left unsaved.
    await waitFor(() => expect((defaultValue() as HTMLInputElement).value).toBe('Hello v2'));
    expect(within(editor()).getByRole('status').textContent).toMatch(/^Changes go into a draft/);
  });

  test('further saves edit the existing draft, and publishing makes it live', async () => {
    const { api } = openFeature(1);
    await waitFor(() => expect((defaultValue() as HTMLInputElement).value).toBe('Hello'));
    fireEvent.change(defaultValue(), { target: { value: 'first' } });
    fireEvent.click(within(editor()).getByRole('button', { name: 'Save draft' }));
    await draftRegion();
    await waitFor(() => expect((defaultValue() as HTMLInputElement).value).toBe('first'));

    fireEvent.change(defaultValue(), { target: { value: 'second' } });
    fireEvent.submit(editor());
    await waitFor(() => expect(api.calls.some((c) => c.startsWith('updateVersionState'))).toBe(true));
    await waitFor(async () => expect(changeSentences(await draftRegion())).toEqual(['Changed the value of the environment default from "Hello" to "second"']));
    expect(api.calls.filter((c) => c.startsWith('createFeatureVersion'))).toHaveLength(1);

    fireEvent.click(within(await draftRegion()).getByRole('button', { name: 'Publish now' }));
    expect(await screen.findByText('Published: the new version is live.')).toBeTruthy();
    await waitFor(() => expect(screen.queryByRole('region', { name: /^Draft/ })).toBeNull());
    const served = await api.listEnvironmentFeatureStates('key-production');
    expect(served.find((s) => s.feature === 1000)?.feature_state_value).toBe('second');
  });

  test('schedules a draft for later instead of publishing it now', async () => {
    const { api } = openFeature(1);
    await waitFor(() => expect((defaultValue() as HTMLInputElement).value).toBe('Hello'));
    fireEvent.change(defaultValue(), { target: { value: 'Black Friday' } });
    fireEvent.click(within(editor()).getByRole('button', { name: 'Save draft' }));
    const draft = await draftRegion();
    expect(within(draft).getByRole('button', { name: 'Schedule' })).toHaveProperty('disabled', true);
    fireEvent.change(within(draft).getByLabelText('Go live at (UTC)'), { target: { value: '2027-11-26T06:00' } });
    fireEvent.click(within(draft).getByRole('button', { name: 'Schedule' }));
    expect((await screen.findByText(/^Scheduled to go live/)).textContent).toMatch(/2027/);
    const scheduled = api.versions.find((v) => v.version.status === 'scheduled')!;
    // The field is read in UTC, the zone every time on screen is shown in.
    expect(scheduled.version.live_from).toBe('2027-11-26T06:00:00.000Z');
    // Still live: the old value, until the schedule is reached.
    const served = await api.listEnvironmentFeatureStates('key-production');
    expect(served.find((s) => s.feature === 1000)?.feature_state_value).toBe('Hello');
  });

  test('a go-live time that has passed is not scheduled; publishing now is offered instead', async () => {
    const { api } = openFeature(1);
    await waitFor(() => expect((defaultValue() as HTMLInputElement).value).toBe('Hello'));
    fireEvent.change(defaultValue(), { target: { value: 'Too late' } });
    fireEvent.click(within(editor()).getByRole('button', { name: 'Save draft' }));
    const draft = await draftRegion();
    fireEvent.change(within(draft).getByLabelText('Go live at (UTC)'), { target: { value: '2020-01-01T06:00' } });
    fireEvent.click(within(draft).getByRole('button', { name: 'Schedule' }));
    const alert = await within(draft).findByRole('alert');
    expect(alert.textContent).toContain('That time has passed, so it cannot be scheduled.');
    expect(api.calls.filter((c) => c.startsWith('publishFeatureVersion:'))).toEqual([]);
    fireEvent.click(within(alert).getByRole('button', { name: 'Publish now instead' }));
    await waitFor(() => expect(api.calls.filter((c) => c.startsWith('publishFeatureVersion:'))).toEqual([expect.stringMatching(/:now$/)]));
  });

  test('publishing a draft that clashes with a newer live change shows the conflicting fields and keeps the draft', async () => {
    const { api } = openFeature(1);
    await waitFor(() => expect((defaultValue() as HTMLInputElement).value).toBe('Hello'));
    fireEvent.change(defaultValue(), { target: { value: 'Mine' } });
    fireEvent.click(within(editor()).getByRole('button', { name: 'Save draft' }));
    const draft = await draftRegion();
    // Someone else publishes another value meanwhile.
    await api.createFeatureVersion(101, 1000, { feature_states_to_update: [{ feature_segment: null, feature_state_value: { type: 'unicode', string_value: 'Theirs' } }], publish_immediately: true });

    fireEvent.click(within(draft).getByRole('button', { name: 'Publish now' }));
    const alert = await within(draft).findByRole('alert');
    expect(alert.textContent).toMatch(/^This cannot be done in the current state\. Version .* conflicts with version/);
    expect(within(alert).getByRole('list', { name: 'Conflicts' }).textContent).toBe('environmentDefault.value: was "Hello", live is now "Theirs", this draft has "Mine"');
    expect(api.versions.filter((v) => v.version.status === 'draft')).toHaveLength(1);
  });

  test('edits the multivariate weights of a place, keeping the control share and refusing more than 100%', async () => {
    const data = makeData();
    const option = (id: number, value: string) => ({ id, uuid: `o-${id}`, type: 'unicode' as const, string_value: value, integer_value: null, boolean_value: null, default_percentage_allocation: 0, feature: 1002 });
    data.features!.push({
      feature: { ...feature(1002, 10, 'banner_colour'), type: 'MULTIVARIATE', multivariate_options: [option(501, 'red'), option(502, 'blue')] },
      states: { 101: state(1002, 101, true, 'grey') },
    });
    const { services, store } = signedInServices(data);
    store.setState({ selection: { organisationId: 1, projectId: 10, environmentKey: 'key-production' } });
    renderWithServices(<FeaturePage environment={data.environments[1]!} featureId={1002} tab="value" />, services);

    const variations = await screen.findByRole('group', { name: 'Variations for the environment default' });
    expect(within(variations).getByText('Control 100%')).toBeTruthy();
    fireEvent.change(within(variations).getByLabelText('Weight of red for the environment default'), { target: { value: '30' } });
    fireEvent.change(within(variations).getByLabelText('Weight of blue for the environment default'), { target: { value: '80' } });
    expect(screen.getByRole('alert').textContent).toBe('The weights of Environment default add up to more than 100%.');
    expect(within(editor()).getByRole('button', { name: 'Save draft' })).toHaveProperty('disabled', true);

    fireEvent.change(within(variations).getByLabelText('Weight of blue for the environment default'), { target: { value: '20' } });
    expect(within(variations).getByText('Control 50%')).toBeTruthy();
    fireEvent.click(within(editor()).getByRole('button', { name: 'Save draft' }));
    const draft = await draftRegion();
    await waitFor(() => expect(changeSentences(draft)).toEqual(["Set the weight of option 'red' in the environment default to 30%", "Set the weight of option 'blue' in the environment default to 20%"]));
    expect(within(draft).getByRole('row', { name: 'Environment default weight of "red" changed' }).textContent).toContain('30%');
  });

  test('reorders and removes overrides in the draft', async () => {
    const { api } = openFeature(1);
    await waitFor(() => expect((defaultValue() as HTMLInputElement).value).toBe('Hello'));
    for (const id of ['7', '8']) {
      fireEvent.change(within(editor()).getByLabelText('Segment'), { target: { value: id } });
      fireEvent.click(within(editor()).getByRole('button', { name: 'Add override' }));
    }
    fireEvent.click(within(editor()).getByRole('button', { name: 'Save draft' }));
    await draftRegion();
    await waitFor(() => expect(within(editor()).getAllByRole('group').map((g) => g.querySelector('legend')?.textContent)).toEqual(['Environment default', '1beta_users', '2enterprise']));

    fireEvent.click(within(editor()).getByRole('button', { name: 'Move enterprise up' }));
    fireEvent.click(within(editor()).getByRole('button', { name: 'Save draft' }));
    await waitFor(() => expect(within(editor()).getAllByRole('group').map((g) => g.querySelector('legend')?.textContent)).toEqual(['Environment default', '1enterprise', '2beta_users']));

    fireEvent.click(within(editor()).getByRole('button', { name: 'Remove override for beta_users' }));
    fireEvent.click(within(editor()).getByRole('button', { name: 'Save draft' }));
    await waitFor(() => expect(within(editor()).queryByLabelText('Value for beta_users')).toBeNull());
    const draft = api.versions.find((v) => v.version.status === 'draft')!;
    expect(draft.states.map((s) => s.feature_segment && [s.feature_segment.segment, s.feature_segment.priority])).toEqual([null, [8, 0]]);
  });

  test('leaving the page with unsaved edits asks first; once saved it does not', async () => {
    openFeature(1);
    await waitFor(() => expect((defaultValue() as HTMLInputElement).value).toBe('Hello'));
    const leave = () => {
      const event = new Event('beforeunload', { cancelable: true });
      window.dispatchEvent(event);
      return event.defaultPrevented;
    };
    expect(leave()).toBe(false);
    fireEvent.change(defaultValue(), { target: { value: 'Unsaved' } });
    expect(leave()).toBe(true);
    fireEvent.click(within(editor()).getByRole('button', { name: 'Save draft' }));
    await draftRegion();
    await waitFor(() => expect(leave()).toBe(false));
  });

  test('on a v1 environment, Save changes writes the live feature state and Discard restores the loaded values', async () => {
    const { api, data } = openFeature(0);
    await waitFor(() => expect((defaultValue() as HTMLInputElement).value).toBe('Hello dev'));
    expect(screen.queryByRole('tab', { name: 'History' })).toBeNull();

    fireEvent.change(defaultValue(), { target: { value: 'scrap this' } });
    fireEvent.click(within(editor()).getByRole('button', { name: 'Revert unsaved edits' }));
    expect((defaultValue() as HTMLInputElement).value).toBe('Hello dev');

    fireEvent.click(within(editor()).getByRole('switch', { name: 'Enabled in Development' }));
    fireEvent.change(defaultValue(), { target: { value: '7' } });
    fireEvent.click(within(editor()).getByRole('button', { name: 'Save changes' }));
    expect(await screen.findByText('Saved.')).toBeTruthy();
    expect(data.features![0]!.states[100]).toMatchObject({ enabled: false, feature_state_value: 7 });
    expect(api.calls).toContain('updateFeatureState:1000100');
  });
});

describe('ValueEditor', () => {
  const content: FeatureEditorContent = {
    environmentDefault: { stateId: 1, enabled: true, valueText: 'a', weights: {} },
    overrides: [{ segmentId: 7, segmentName: 'beta_users', stateId: 2, featureSegmentId: null, enabled: false, valueText: 'b', weights: {} }],
  };

  test('shows the server’s refusal and keeps the edits', async () => {
    const { services } = signedInServices();
    renderWithServices(
      <ValueEditor
        content={content}
        segments={[segment(7, 10, 'beta_users')]}
        mode="v2"
        environmentName="Production"
        onSave={() => Promise.reject(new ApiError('PRECONDITION_FAILED', 'Published versions cannot be changed.', 400))}
      />,
      services,
    );
    fireEvent.change(screen.getByLabelText('Value for beta_users'), { target: { value: 'c' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save draft' }));
    expect((await screen.findByRole('alert')).textContent).toBe('This cannot be done in the current state. Published versions cannot be changed.');
    expect((screen.getByLabelText('Value for beta_users') as HTMLInputElement).value).toBe('c');
    expect(screen.getByRole('status').textContent).toBe('Unsaved changes');
  });

  test('offers only segments without an override', () => {
    const { services } = signedInServices();
    renderWithServices(<ValueEditor content={content} segments={makeData().segments!} mode="v2" environmentName="Production" onSave={() => Promise.resolve()} />, services);
    expect(within(screen.getByLabelText('Segment')).getAllByRole('option').map((o) => o.textContent)).toEqual(['Choose a segment…', 'enterprise']);
  });
});
