import { afterEach, describe, expect, test } from 'vitest';
import { cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { SignInPage } from '../../../../src-renderer/features/sign-in/sign-in-page.js';
import { Navigator } from '../../../../src-renderer/features/navigator/navigator.js';
import { OrganisationScreen } from '../../../../src-renderer/features/organisation/organisation-screen.js';
import { createFakeAdminApi } from '../../../support/admin-api.fake.js';
import { makeData, renderWithServices, signedInServices } from '../fixtures.js';

afterEach(cleanup);

function signedOut(needsFirstAdmin: boolean) {
  const data = makeData();
  const built = signedInServices(data);
  built.store.setState({ token: null, session: { status: 'signedOut' } });
  const admin = createFakeAdminApi(data, { needsFirstAdmin });
  return { ...built, admin, services: { ...built.services, admin } };
}

describe('first run', () => {
  test('on a server without users the sign-in page creates the first admin and organisation and signs in', async () => {
    const { services, store, admin } = signedOut(true);
    renderWithServices(<SignInPage />, services);
    expect((await screen.findByRole('heading', { level: 1 })).textContent).toBe('Welcome to Flagdesk');
    const create = screen.getByRole('button', { name: 'Create administrator and organisation' });
    fireEvent.change(screen.getByLabelText('Email'), { target: { value: 'Ada@Example.com' } });
    fireEvent.change(screen.getByLabelText('Password'), { target: { value: 'short' } });
    fireEvent.change(screen.getByLabelText('Organisation'), { target: { value: 'Acme' } });
    expect(screen.getByRole('alert').textContent).toBe('Password: must be at least 8 characters');
    expect(create).toHaveProperty('disabled', true);

    fireEvent.change(screen.getByLabelText('Password'), { target: { value: 'a long password' } });
    expect(screen.queryByRole('alert')).toBeNull();
    fireEvent.click(create);
    await waitFor(() => expect(store.getState().session.status).toBe('signedIn'));
    expect(admin.calls).toContain('createFirstAdmin');
    expect(store.getState().selection.organisationId).toBe(2);
  });

  test('on a server with users it is the sign-in form', async () => {
    const { services } = signedOut(false);
    renderWithServices(<SignInPage />, services);
    expect((await screen.findByRole('heading', { level: 1 })).textContent).toBe('Sign in to Flagdesk');
    expect(screen.queryByRole('button', { name: 'Create administrator and organisation' })).toBeNull();
  });
});

describe('navigator administration', () => {
  test('creates a project, shows a duplicate name at the field, then opens the new project', async () => {
    const { services, store, data } = signedInServices();
    renderWithServices(<Navigator />, services);
    const projects = await screen.findByRole('region', { name: 'Projects' });
    fireEvent.click(within(projects).getByRole('button', { name: 'New project' }));
    const dialog = screen.getByRole('dialog', { name: 'New project' });
    expect(document.activeElement).toBe(within(dialog).getByLabelText('Name'));
    fireEvent.change(within(dialog).getByLabelText('Name'), { target: { value: 'storefront' } });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Create project' }));
    expect((await within(dialog).findByRole('alert')).textContent).toBe('Name: a project with this name already exists');

    fireEvent.change(within(dialog).getByLabelText('Name'), { target: { value: 'Checkout' } });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Create project' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    const created = data.projects.find((p) => p.name === 'Checkout')!;
    expect(store.getState().selection.projectId).toBe(created.id);
    expect(await within(screen.getByRole('region', { name: 'Projects' })).findByRole('button', { name: 'Checkout', pressed: true })).toHaveProperty('textContent', 'Checkout');
    // A project without environments offers to create one, in the sidebar and in the main area.
    expect(within(await screen.findByRole('region', { name: 'Environments' })).getAllByRole('button', { name: 'New environment' }).map((b) => b.textContent)).toEqual(['+', 'New environment']);
    fireEvent.click(screen.getByRole('button', { name: 'Create an environment' }));
    fireEvent.change(within(screen.getByRole('dialog', { name: 'New environment' })).getByLabelText('Name'), { target: { value: 'Development' } });
    fireEvent.click(screen.getByRole('button', { name: 'Create environment' }));
    await waitFor(() => expect(store.getState().selection.environmentKey).toBe(data.environments.at(-1)!.api_key));
    expect(data.environments.at(-1)).toMatchObject({ name: 'Development', project: created.id });
  });

  test('renames an environment and deletes a project only after the acknowledgement', async () => {
    const { services, store, admin, data } = signedInServices();
    store.setState({ selection: { organisationId: 1, projectId: 10 } });
    renderWithServices(<Navigator />, services);
    fireEvent.click(await screen.findByRole('button', { name: 'Settings of environment Development' }));
    const edit = screen.getByRole('dialog', { name: 'Environment Development' });
    fireEvent.change(within(edit).getByLabelText('Name'), { target: { value: 'Staging' } });
    fireEvent.click(within(edit).getByRole('button', { name: 'Save' }));
    expect(await within(screen.getByRole('region', { name: 'Environments' })).findByRole('button', { name: 'Staging' })).toHaveProperty('textContent', 'Staging');

    fireEvent.click(screen.getByRole('button', { name: 'Settings of project Storefront' }));
    fireEvent.click(within(screen.getByRole('dialog', { name: 'Project Storefront' })).getByRole('button', { name: 'Delete project…' }));
    const confirm = screen.getByRole('dialog', { name: 'Delete project Storefront?' });
    expect(within(confirm).getByRole('button', { name: 'Delete project' })).toHaveProperty('disabled', true);
    expect(admin.calls.filter((c) => c.startsWith('deleteProject'))).toEqual([]);
    fireEvent.click(within(confirm).getByRole('checkbox'));
    fireEvent.click(within(confirm).getByRole('button', { name: 'Delete project' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    expect(data.projects.map((p) => p.name)).toEqual([]);
    expect(store.getState().selection).toEqual({ organisationId: 1 });
    expect(await screen.findByRole('button', { name: 'Create your first project' })).toHaveProperty('disabled', false);
  });
});

describe('organisation screen', () => {
  test('adds a member with a first password, changes a role, and removes a member after confirming', async () => {
    const { services, admin, data } = signedInServices();
    renderWithServices(<OrganisationScreen organisationId={1} />, services);
    const members = await screen.findByRole('table', { name: 'Members of the organisation' });
    expect(within(members).getAllByRole('row').slice(1).map((r) => r.querySelector('th')?.textContent)).toEqual(['admin@example.comyou', 'dev@example.com']);

    fireEvent.change(screen.getByLabelText('Email'), { target: { value: 'qa@example.com' } });
    fireEvent.change(screen.getByLabelText('Password (new account)'), { target: { value: 'short' } });
    fireEvent.click(screen.getByRole('button', { name: 'Add member' }));
    expect((await screen.findByRole('alert')).textContent).toBe('Password: must NOT have fewer than 8 characters');
    fireEvent.change(screen.getByLabelText('Password (new account)'), { target: { value: 'a long password' } });
    fireEvent.click(screen.getByRole('button', { name: 'Add member' }));
    expect((await screen.findByText(/is now a member/)).textContent).toBe('qa@example.com is now a member and can sign in with the password you set.');
    await screen.findByRole('combobox', { name: 'Role of qa@example.com' });

    fireEvent.change(screen.getByRole('combobox', { name: 'Role of dev@example.com' }), { target: { value: 'ADMIN' } });
    await waitFor(() => expect(data.users!.find((u) => u.email === 'dev@example.com')!.role).toBe('ADMIN'));

    fireEvent.click(screen.getByRole('button', { name: 'Remove qa@example.com' }));
    fireEvent.click(within(screen.getByRole('dialog', { name: 'Remove qa@example.com from the organisation?' })).getByRole('button', { name: 'Remove member' }));
    await waitFor(() => expect(screen.queryByRole('combobox', { name: 'Role of qa@example.com' })).toBeNull());
    expect(admin.calls.filter((c) => c.startsWith('removeMember'))).toHaveLength(1);
  });

  test('grants a member permissions on a project and on one environment', async () => {
    const { services, admin } = signedInServices();
    renderWithServices(<OrganisationScreen organisationId={1} />, services);
    fireEvent.click(await screen.findByRole('button', { name: 'Permissions of dev@example.com' }));
    const project = await screen.findByRole('group', { name: 'Permissions on project Storefront' });
    await waitFor(() => expect(within(project).getByRole('checkbox', { name: 'View project' })).toHaveProperty('disabled', false));
    fireEvent.click(within(project).getByRole('checkbox', { name: 'View project' }));
    await waitFor(() => expect(admin.calls).toContain('createGrant:p:10:2:VIEW_PROJECT'));
    const production = await screen.findByRole('group', { name: 'Permissions on environment Production' });
    await waitFor(() => expect(within(production).getByRole('checkbox', { name: 'Approve change requests' })).toHaveProperty('disabled', false));
    fireEvent.click(within(production).getByRole('checkbox', { name: 'Approve change requests' }));
    await waitFor(() => expect(admin.calls).toContain('createGrant:e:key-production:2:APPROVE_CHANGE_REQUEST'));
    await waitFor(() => expect(within(production).getByRole('checkbox', { name: 'Approve change requests' })).toHaveProperty('checked', true));
    await waitFor(() => expect(within(production).getByRole('checkbox', { name: 'View environment' })).toHaveProperty('disabled', false));
    fireEvent.click(within(production).getByRole('checkbox', { name: 'View environment' }));
    await waitFor(() => expect(admin.calls.some((c) => /^updateGrant:e:key-production:\d+:APPROVE_CHANGE_REQUEST,VIEW_ENVIRONMENT$/.test(c))).toBe(true));
  });

  test('an organisation API key is shown once, and revoking it asks first', async () => {
    const { services, admin } = signedInServices();
    renderWithServices(<OrganisationScreen organisationId={1} />, services);
    expect(await screen.findByText('No API keys yet: create one below.')).toHaveProperty('tagName', 'P');
    fireEvent.change(screen.getByLabelText('Key name'), { target: { value: 'CI' } });
    fireEvent.click(screen.getByRole('button', { name: 'Create API key' }));
    const secret = await screen.findByRole('status', { name: 'New organisation API key' });
    expect(within(secret).getByText(/the-secret-part/).textContent).toMatch(/^pfx\d+\.the-secret-part$/);
    fireEvent.click(within(secret).getByRole('button', { name: 'I have copied it' }));
    expect(screen.queryByText(/the-secret-part/)).toBeNull();
    const table = await screen.findByRole('table', { name: 'Organisation API keys' });
    expect(within(table).getByRole('rowheader').textContent).toBe('CI');
    fireEvent.click(within(table).getByRole('button', { name: 'Revoke CI' }));
    fireEvent.click(within(screen.getByRole('dialog', { name: 'Revoke API key CI?' })).getByRole('button', { name: 'Revoke key' }));
    expect(await screen.findByText('No API keys yet: create one below.')).toHaveProperty('tagName', 'P');
    expect(admin.calls.filter((c) => c.startsWith('revokeOrganisationApiKey'))).toHaveLength(1);
  });
});
