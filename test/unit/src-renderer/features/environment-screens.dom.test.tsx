import { afterEach, describe, expect, test } from 'vitest';
import { cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { App } from '../../../../src-renderer/app/app.js';
import { EnvironmentSettings } from '../../../../src-renderer/features/settings/environment-settings.js';
import { FeatureList } from '../../../../src-renderer/features/feature-list/feature-list.js';
import { WebhooksPanel } from '../../../../src-renderer/features/webhooks/webhooks-panel.js';
import { AuditLog } from '../../../../src-renderer/features/audit/audit-log.js';
import { ErrorBoundary } from '../../../../src-renderer/ui/error-boundary.js';
import type { AuditEntry, WebhookDelivery } from '../../../../src-renderer/data/api-client.js';
import { makeData, renderWithServices, signedInServices } from '../fixtures.js';

afterEach(cleanup);

const at = '2026-11-02T09:00:00.000Z';

describe('environment settings', () => {
  test('enabling Feature Versioning shows the migration progress until it is done, then reloads the environment', async () => {
    const { services, store, data } = signedInServices();
    renderWithServices(<EnvironmentSettings environment={{ ...data.environments[0]! }} />, services);
    const toggle = await screen.findByRole('switch', { name: 'Feature versioning' });
    await waitFor(() => expect(toggle).toHaveProperty('disabled', false));
    expect(toggle.getAttribute('aria-checked')).toBe('false');

    fireEvent.click(toggle);
    const progress = await screen.findByRole('progressbar', { name: 'Migration progress' });
    expect(progress.getAttribute('max')).toBe('2');
    expect(await screen.findByText('1 of 2 features')).toBeTruthy();
    expect(screen.getByRole('status').textContent).toMatch(/^Turning on/);

    await waitFor(() => expect(screen.getByRole('status').textContent).toMatch(/^On: every change is a version/), { timeout: 3000 });
    expect(screen.queryByRole('progressbar')).toBeNull();
    expect(store.getState().revision).toBe(1);
  });

  test('turning versioning off needs an explicit acknowledgement that the history is deleted', async () => {
    const { services, api, data } = signedInServices();
    renderWithServices(<EnvironmentSettings environment={data.environments[1]!} />, services);
    const toggle = await screen.findByRole('switch', { name: 'Feature versioning' });
    await waitFor(() => expect(toggle.getAttribute('aria-checked')).toBe('true'));

    fireEvent.click(toggle);
    const dialog = await screen.findByRole('dialog', { name: 'Turn off feature versioning?' });
    const confirm = within(dialog).getByRole('button', { name: 'Turn off versioning' });
    expect(confirm).toHaveProperty('disabled', true);
    fireEvent.click(within(dialog).getByRole('checkbox', { name: 'I understand that every version except the live state is deleted.' }));
    fireEvent.click(confirm);
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    expect(api.calls).toContain('disableV2Versioning:key-production');
    await waitFor(() => expect(screen.getByRole('status').textContent).toMatch(/^Off:/), { timeout: 3000 });
  });
});

describe('feature list', () => {
  test('on a v2 environment the toggle publishes a version and shows the new state', async () => {
    const { services, api, data } = signedInServices();
    renderWithServices(<FeatureList environment={data.environments[1]!} />, services);
    const toggle = await screen.findByRole('switch', { name: 'dark_mode in Production' });
    expect(toggle.getAttribute('aria-checked')).toBe('false');
    fireEvent.click(toggle);
    await waitFor(() => expect(screen.getByRole('switch', { name: 'dark_mode in Production' }).getAttribute('aria-checked')).toBe('true'));
    expect(api.versions.filter((v) => v.featureId === 1001).map((v) => [v.version.status, v.version.is_live])).toEqual([
      ['published', true],
      ['published', true],
    ]);
  });

  test('on a v1 environment the toggle saves the environment default', async () => {
    const { services, api, data } = signedInServices();
    renderWithServices(<FeatureList environment={data.environments[0]!} />, services);
    fireEvent.click(await screen.findByRole('switch', { name: 'checkout_banner in Development' }));
    await waitFor(() => expect(screen.getByRole('switch', { name: 'checkout_banner in Development' }).getAttribute('aria-checked')).toBe('false'));
    expect(api.calls).toContain('setEnvironmentFeatureStateEnabled:key-development:1000100:false');
  });
});

describe('command palette', () => {
  test('Ctrl+K opens it; typing filters; Enter jumps to the feature', async () => {
    const { services, store } = signedInServices();
    store.setState({ session: { status: 'restoring' } });
    await services.tokens.save('token-1');
    store.setState({ selection: { organisationId: 1, projectId: 10, environmentKey: 'key-production' } });
    renderWithServices(<App services={services} />, services);
    await screen.findByRole('table', { name: 'Features in Production' });

    fireEvent.keyDown(window, { key: 'k', ctrlKey: true });
    const dialog = await screen.findByRole('dialog', { name: 'Go to' });
    const input = within(dialog).getByRole('combobox');
    expect(document.activeElement).toBe(input);
    await within(dialog).findByRole('option', { name: /checkout_banner/ });
    fireEvent.change(input, { target: { value: 'dark' } });
    expect(within(dialog).getAllByRole('option').map((o) => o.textContent)).toEqual(['dark_modeFeature']);
    fireEvent.keyDown(input, { key: 'Enter' });

    expect(await screen.findByRole('heading', { name: 'dark_mode' })).toBeTruthy();
    expect(screen.queryByRole('dialog')).toBeNull();
  });
});

describe('webhooks and audit log', () => {
  const delivery = (id: number, status: WebhookDelivery['status']): WebhookDelivery => ({
    id, uuid: `d-${id}`, event_id: `e-${id}`, event_type: 'FLAG_UPDATED', sequence: id, idempotency_key: `k-${id}`, status, attempts: 3, max_attempts: 10,
    next_attempt_at: null, last_status_code: 500, last_error: 'HTTP 500', created_at: at, completed_at: null, payload: { event_type: 'FLAG_UPDATED', data: {} }, attempt_log: [],
  });

  test('shows a webhook’s delivery log and sends a failed delivery again', async () => {
    const data = makeData();
    data.webhooks = [{ environmentId: 101, webhook: { id: 5, url: 'https://hooks.example.com/flags', enabled: true, has_secret: true, created_at: at, updated_at: at }, deliveries: [delivery(1, 'dead'), delivery(2, 'succeeded')] }];
    const { services, api } = signedInServices(data);
    renderWithServices(<WebhooksPanel environment={data.environments[1]!} />, services);
    fireEvent.click(await screen.findByRole('button', { name: 'Show deliveries' }));
    const log = await screen.findByRole('table', { name: 'Deliveries to https://hooks.example.com/flags' });
    expect(within(log).getAllByRole('button').map((b) => b.getAttribute('aria-label'))).toEqual(['Redeliver FLAG_UPDATED #1']);
    fireEvent.click(within(log).getByRole('button', { name: 'Redeliver FLAG_UPDATED #1' }));
    await waitFor(() => expect(within(screen.getByRole('table', { name: /^Deliveries/ })).queryAllByRole('button')).toHaveLength(0));
    expect(api.calls).toContain('redeliverWebhookDelivery:5:1');
  });

  test('filters the audit log and pages through it', async () => {
    const data = makeData();
    const entry = (id: number, log: string, isSystem = false): AuditEntry => ({
      id, uuid: `a-${id}`, created_date: at, log, author: isSystem ? null : { id: 1, email: 'admin@example.com', first_name: '', last_name: '' },
      environment: { id: 101, name: 'Production', api_key: 'key-production' }, project: { id: 10, name: 'Storefront', organisation: 1 },
      related_object_id: 1, related_object_uuid: null, related_object_type: 'FEATURE', is_system_event: isSystem,
    });
    data.audit = [...Array.from({ length: 25 }, (_, i) => entry(100 - i, `Flag state updated for feature: f${i}`)), entry(1, 'Scheduled version published', true)];
    const { services } = signedInServices(data);
    renderWithServices(<AuditLog environment={data.environments[1]!} environments={data.environments} />, services);
    const table = await screen.findByRole('table', { name: 'Audit log entries' });
    expect(within(table).getAllByRole('row')).toHaveLength(21);
    expect(screen.getByText(/Page 1 of 2/).textContent?.trim()).toBe('Page 1 of 2 · 26 entries');
    fireEvent.click(screen.getByRole('button', { name: 'Next page' }));
    await waitFor(() => expect(within(screen.getByRole('table', { name: 'Audit log entries' })).getAllByRole('row')).toHaveLength(7));

    fireEvent.change(screen.getByLabelText('Made by'), { target: { value: 'system' } });
    await waitFor(() => expect(within(screen.getByRole('table', { name: 'Audit log entries' })).getAllByRole('row').slice(1).map((r) => r.querySelector('td:nth-of-type(2)')?.textContent)).toEqual(['System']));
    fireEvent.change(screen.getByLabelText('Made by'), { target: { value: 'all' } });
    fireEvent.change(screen.getByLabelText('Search the audit log'), { target: { value: 'f24' } });
    await waitFor(() => expect(within(screen.getByRole('table', { name: 'Audit log entries' })).getAllByRole('row')).toHaveLength(2));
  });
});

describe('error boundary', () => {
  test('keeps a crashing screen from blanking the rest and offers to try again', () => {
    function Broken(): never {
      throw new Error('boom');
    }
    const original = console.error;
    console.error = () => undefined;
    try {
      const { services } = signedInServices();
      renderWithServices(
        <>
          <ErrorBoundary feature="the audit log">
            <Broken />
          </ErrorBoundary>
          <p>Still here</p>
        </>,
        services,
      );
    } finally {
      console.error = original;
    }
    expect(screen.getByRole('alert').textContent).toContain('Something went wrong in the audit log.');
    expect(screen.getByText('Still here').closest('[role="alert"]')).toBeNull();
  });
});
