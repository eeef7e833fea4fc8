import { useState } from 'react';
import { afterEach, describe, expect, test } from 'vitest';
import { cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { EditorView } from '@codemirror/view';
import { FeatureList } from '../../../../src-renderer/features/feature-list/feature-list.js';
import { FeatureSettings } from '../../../../src-renderer/features/feature-admin/feature-settings.js';
import { EnvironmentSettings } from '../../../../src-renderer/features/settings/environment-settings.js';
import { WebhooksPanel } from '../../../../src-renderer/features/webhooks/webhooks-panel.js';
import { makeData, renderWithServices, signedInServices } from '../fixtures.js';

afterEach(cleanup);

const at = '2026-11-02T09:00:00.000Z';

function openNewFeature() {
  fireEvent.click(screen.getByRole('button', { name: 'New feature' }));
  return screen.getByRole('dialog', { name: 'New feature' });
}

/** Replaces the text of the CodeMirror editor named `label`, as typing would. */
async function typeJson(label: string, text: string) {
  // The editor sits in a shadow root of its host (json-editor.tsx).
  const host = await waitFor(() => {
    const found = document.querySelector('.json-editor')?.shadowRoot?.querySelector(`[aria-label="${label}"]`);
    if (!found) throw new Error(`no editor named ${label} yet`);
    return found;
  });
  const content = host as HTMLElement;
  const view = EditorView.findFromDOM(content)!;
  view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text } });
}

describe('creating features', () => {
  test('an empty project offers to create its first feature; a flag is created on in every environment', async () => {
    const data = makeData();
    data.features = [];
    const { services, admin } = signedInServices(data);
    renderWithServices(<FeatureList environment={data.environments[0]!} />, services);
    fireEvent.click(await screen.findByRole('button', { name: 'Create your first feature' }));
    const dialog = screen.getByRole('dialog', { name: 'New feature' });
    fireEvent.change(within(dialog).getByLabelText('Name'), { target: { value: 'dark_mode' } });
    fireEvent.click(within(dialog).getByRole('checkbox', { name: 'On in every environment to start with' }));
    fireEvent.click(within(dialog).getByRole('button', { name: 'Create feature' }));
    expect((await screen.findByRole('status')).textContent).toBe('dark_mode was created in every environment of the project.');
    expect(admin.calls).toContain('createFeature:{"name":"dark_mode","default_enabled":true}');
    expect((await screen.findByRole('switch', { name: 'dark_mode in Development' })).getAttribute('aria-checked')).toBe('true');
  });

  test('a duplicate name is shown at the Name field and the dialog stays open', async () => {
    const { services, data } = signedInServices();
    renderWithServices(<FeatureList environment={data.environments[0]!} />, services);
    await screen.findByRole('switch', { name: 'dark_mode in Development' });
    const dialog = openNewFeature();
    fireEvent.change(within(dialog).getByLabelText('Name'), { target: { value: 'Dark_Mode' } });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Create feature' }));
    expect((await within(dialog).findByRole('alert')).textContent).toBe('Name: A feature with this name already exists in the project.');
  });

  test('a remote config of type number sends a number; a JSON value is edited in the code editor and validated', async () => {
    const { services, admin, data } = signedInServices();
    renderWithServices(<FeatureList environment={data.environments[0]!} />, services);
    await screen.findByRole('switch', { name: 'dark_mode in Development' });
    let dialog = openNewFeature();
    fireEvent.click(within(dialog).getByRole('radio', { name: /Remote config/ }));
    fireEvent.change(within(dialog).getByLabelText('Name'), { target: { value: 'max_items' } });
    fireEvent.change(within(dialog).getByLabelText('Value type'), { target: { value: 'number' } });
    fireEvent.change(within(dialog).getByLabelText('Value'), { target: { value: '4.5' } });
    expect(within(dialog).getByRole('alert').textContent).toBe('Value: must be a whole number');
    expect(within(dialog).getByRole('button', { name: 'Create feature' })).toHaveProperty('disabled', true);
    fireEvent.change(within(dialog).getByLabelText('Value'), { target: { value: '12' } });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Create feature' }));
    await waitFor(() => expect(admin.calls).toContain('createFeature:{"name":"max_items","default_enabled":false,"initial_value":12}'));

    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    dialog = openNewFeature();
    fireEvent.click(within(dialog).getByRole('radio', { name: /Remote config/ }));
    fireEvent.change(within(dialog).getByLabelText('Name'), { target: { value: 'theme' } });
    fireEvent.change(within(dialog).getByLabelText('Value type'), { target: { value: 'json' } });
    await typeJson('Value (JSON)', '{"colour": "teal",}');
    expect((await within(dialog).findByRole('alert')).textContent).toMatch(/^Value: not valid JSON/);
    expect(within(dialog).getByRole('button', { name: 'Create feature' })).toHaveProperty('disabled', true);
    await typeJson('Value (JSON)', '{"colour": "teal"}');
    await waitFor(() => expect(within(dialog).queryByRole('alert')).toBeNull());
    expect(within(dialog).getByText('Valid JSON.').tagName).toBe('P');
    fireEvent.click(within(dialog).getByRole('button', { name: 'Create feature' }));
    await waitFor(() => expect(admin.calls).toContain('createFeature:{"name":"theme","default_enabled":false,"initial_value":"{\\"colour\\": \\"teal\\"}"}'));
  });

  test('a multivariate feature is created with its variations; shares over 100% are refused before sending', async () => {
    const { services, admin, data } = signedInServices();
    renderWithServices(<FeatureList environment={data.environments[0]!} />, services);
    await screen.findByRole('switch', { name: 'dark_mode in Development' });
    const dialog = openNewFeature();
    fireEvent.click(within(dialog).getByRole('radio', { name: /Multivariate/ }));
    fireEvent.change(within(dialog).getByLabelText('Name'), { target: { value: 'button_colour' } });
    fireEvent.change(within(dialog).getByLabelText(/^Control value/), { target: { value: 'grey' } });
    fireEvent.change(within(dialog).getByLabelText('Variation 1 value'), { target: { value: 'red' } });
    fireEvent.change(within(dialog).getByLabelText('Variation 1 share (%)'), { target: { value: '70' } });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Add variation' }));
    fireEvent.change(within(dialog).getByLabelText('Variation 2 value'), { target: { value: 'blue' } });
    fireEvent.change(within(dialog).getByLabelText('Variation 2 share (%)'), { target: { value: '40' } });
    expect(within(dialog).getByRole('alert').textContent).toBe('Variations: the shares add up to 110%, more than 100%');
    fireEvent.change(within(dialog).getByLabelText('Variation 2 share (%)'), { target: { value: '20' } });
    expect(within(dialog).getByText(/Control gets/).textContent).toBe(' Control gets 10%.');
    fireEvent.click(within(dialog).getByRole('button', { name: 'Create feature' }));
    await waitFor(() => expect(data.features!.find((f) => f.feature.name === 'button_colour')?.feature.multivariate_options.map((o) => [o.string_value, o.default_percentage_allocation])).toEqual([['red', 70], ['blue', 20]]));
    expect(admin.calls.find((c) => c.includes('button_colour'))).toContain('"type":"MULTIVARIATE","initial_value":"grey"');
  });
});

describe('feature settings', () => {
  test('edits the description, adds, edits and removes a variation, and deletes only after the acknowledgement', async () => {
    const { services, admin, data, store } = signedInServices();
    const entry = data.features![0]!;
    // As the feature page does: after a change, the feature is read again.
    function Page() {
      const [, setTick] = useState(0);
      return <FeatureSettings feature={{ ...entry.feature, multivariate_options: entry.feature.multivariate_options.map((o) => ({ ...o })), environment_feature_state: null }} onChanged={() => setTick((t) => t + 1)} />;
    }
    renderWithServices(<Page />, services);
    fireEvent.change(screen.getByLabelText('Description'), { target: { value: 'Top banner' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save description' }));
    await waitFor(() => expect(entry.feature.description).toBe('Top banner'));

    fireEvent.click(screen.getByRole('button', { name: 'Add a variation' }));
    fireEvent.change(screen.getByLabelText('New variation value'), { target: { value: 'Hi!' } });
    fireEvent.change(screen.getByLabelText('New variation default share (%)'), { target: { value: '25' } });
    fireEvent.click(screen.getByRole('button', { name: 'Add variation' }));
    await waitFor(() => expect(entry.feature.multivariate_options.map((o) => o.string_value)).toEqual(['Hi!']));
    fireEvent.change(screen.getByLabelText('Variation 1 value'), { target: { value: 'Hey!' } });
    fireEvent.click(within(screen.getByRole('form', { name: 'Variation 1' })).getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(entry.feature.multivariate_options.map((o) => o.string_value)).toEqual(['Hey!']));
    fireEvent.click(screen.getByRole('button', { name: 'Remove variation 1 Hey!' }));
    fireEvent.click(within(screen.getByRole('dialog', { name: 'Remove variation Hey!?' })).getByRole('button', { name: 'Remove variation' }));
    await waitFor(() => expect(entry.feature.multivariate_options).toEqual([]));

    fireEvent.click(screen.getByRole('button', { name: 'Delete feature…' }));
    const confirm = screen.getByRole('dialog', { name: 'Delete checkout_banner?' });
    expect(within(confirm).getByRole('button', { name: 'Delete feature' })).toHaveProperty('disabled', true);
    fireEvent.click(within(confirm).getByRole('checkbox'));
    fireEvent.click(within(confirm).getByRole('button', { name: 'Delete feature' }));
    await waitFor(() => expect(data.features!.map((f) => f.feature.name)).toEqual(['dark_mode']));
    expect(admin.calls).toContain('deleteFeature:1000');
    expect(store.getState().view).toEqual({ screen: 'features' });
  });
});

describe('environment settings and webhooks', () => {
  test('requires change requests with two approvals; a server-side key is shown once and revoked after confirming', async () => {
    const { services, admin, data, store } = signedInServices();
    renderWithServices(<EnvironmentSettings environment={data.environments[1]!} />, services);
    expect(screen.getByText('Now: changes apply without a change request.').tagName).toBe('SPAN');
    fireEvent.click(screen.getByRole('checkbox', { name: 'Require change requests' }));
    fireEvent.change(screen.getByLabelText('Minimum approvals'), { target: { value: '2' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save change request rule' }));
    await waitFor(() => expect(data.environments[1]!.minimum_change_request_approvals).toBe(2));
    expect(admin.calls).toContain('updateEnvironment:key-production:{"minimum_change_request_approvals":2}');
    expect(store.getState().revision).toBeGreaterThan(0);

    expect(await screen.findByText('No server-side keys yet: create one below.')).toHaveProperty('tagName', 'P');
    fireEvent.change(screen.getByLabelText('Server-side key name'), { target: { value: 'backend' } });
    fireEvent.click(screen.getByRole('button', { name: 'Create server-side key' }));
    const secret = await screen.findByRole('status', { name: 'New server-side key' });
    expect(within(secret).getByText(/secretpart/).textContent).toMatch(/^ser\.ab\d+secretpart$/);
    const table = await screen.findByRole('table', { name: 'Server-side keys of Production' });
    fireEvent.click(within(table).getByRole('button', { name: 'Revoke backend' }));
    fireEvent.click(within(screen.getByRole('dialog', { name: 'Revoke server-side key backend?' })).getByRole('button', { name: 'Revoke key' }));
    expect(await screen.findByText('No server-side keys yet: create one below.')).toHaveProperty('tagName', 'P');
  });

  test('a webhook is disabled, tested (success and the receiver’s error), edited and deleted after confirming', async () => {
    const data = makeData();
    data.webhooks = [{ environmentId: 101, webhook: { id: 5, url: 'https://hooks.example.com/flags', enabled: true, has_secret: false, created_at: at, updated_at: at }, deliveries: [] }];
    const { services, admin } = signedInServices(data);
    renderWithServices(<WebhooksPanel environment={data.environments[1]!} />, services);
    const toggle = await screen.findByRole('switch', { name: 'Webhook https://hooks.example.com/flags enabled' });
    fireEvent.click(toggle);
    await waitFor(() => expect(data.webhooks![0]!.webhook.enabled).toBe(false));
    await waitFor(() => expect(screen.getByRole('switch', { name: /^Webhook/ }).getAttribute('aria-checked')).toBe('false'));

    fireEvent.click(screen.getByRole('button', { name: 'Send a test to https://hooks.example.com/flags' }));
    expect((await screen.findByText(/^Test delivered/)).textContent).toBe('Test delivered: the receiver answered HTTP 200.');

    fireEvent.click(screen.getByRole('button', { name: 'Edit webhook https://hooks.example.com/flags' }));
    const edit = screen.getByRole('dialog', { name: 'Edit webhook' });
    fireEvent.change(within(edit).getByLabelText('URL'), { target: { value: 'ftp://nope' } });
    fireEvent.click(within(edit).getByRole('button', { name: 'Save webhook' }));
    expect((await within(edit).findByRole('alert')).textContent).toBe('URL: must use http or https');
    fireEvent.change(within(edit).getByLabelText('URL'), { target: { value: 'https://hooks.example.com/fail' } });
    fireEvent.click(within(edit).getByRole('button', { name: 'Save webhook' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());

    fireEvent.click(await screen.findByRole('button', { name: 'Send a test to https://hooks.example.com/fail' }));
    expect((await screen.findByText(/^Test failed/)).textContent).toBe('Test failed: Webhook returned error status. Webhook returned HTTP 503.');

    fireEvent.click(screen.getByRole('button', { name: 'Delete webhook https://hooks.example.com/fail' }));
    fireEvent.click(within(screen.getByRole('dialog', { name: 'Delete this webhook?' })).getByRole('button', { name: 'Delete webhook' }));
    expect((await screen.findByRole('button', { name: 'Add a webhook' })).className).toBe('primary');
    expect(admin.calls).toContain('deleteWebhook:5');
  });
});
