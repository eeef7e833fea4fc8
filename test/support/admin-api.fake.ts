import { ApiError, type Environment, type Feature, type OrganisationUser } from '../../src-renderer/data/api-client.js';
import type { FakeApiData } from '../../src-renderer/data/api-client.fake.js';
import type { AdminApi, MvOption, NewServerKey, OrganisationApiKey, PermissionGrant, ServerKey } from '../../src-renderer/data/admin-api.js';

const AT = '2026-11-02T09:00:00.000Z';

function invalid(field: string, message: string): never {
  throw new ApiError('VALIDATION_FAILED', `${field}: ${message}`, 400, undefined, { issues: [{ path: `body/${field}`, message }] });
}
function notFound(): never {
  throw new ApiError('NOT_FOUND', 'Not found.', 404);
}

/**
 * An in-memory AdminApi for component tests over the same FakeApiData as the fake ApiClient, so what it
 * creates shows in the lists the screens read. It answers as the server does where the screens care:
 * duplicate names and short passwords are 400s naming the field, the last admin cannot be removed, a
 * webhook test to a URL containing "fail" is refused with the receiver's status.
 */
export function createFakeAdminApi(data: FakeApiData, options: { needsFirstAdmin?: boolean } = {}) {
  const calls: string[] = [];
  let nextId = 5000;
  let needsFirstAdmin = options.needsFirstAdmin ?? false;
  const serverKeys = new Map<string, ServerKey[]>();
  const orgKeys: OrganisationApiKey[] = [];
  const grants = new Map<string, PermissionGrant[]>();
  const log = <T>(name: string, answer: () => T): Promise<T> => {
    calls.push(name);
    try {
      return Promise.resolve(answer());
    } catch (error) {
      return Promise.reject(error);
    }
  };
  const features = () => (data.features ??= []);
  const entry = (featureId: number) => features().find((f) => f.feature.id === featureId) ?? notFound();
  const envByKey = (key: string) => data.environments.find((e) => e.api_key === key) ?? notFound();
  const users = () => (data.users ??= []);
  const scopeKey = (scope: { projectId: number } | { environmentKey: string }) => ('projectId' in scope ? `p:${scope.projectId}` : `e:${scope.environmentKey}`);
  const member = (id: number) => users().find((u) => u.id === id) ?? notFound();

  const api: AdminApi = {
    needsFirstAdmin: () => log('needsFirstAdmin', () => needsFirstAdmin),
    createFirstAdmin: (body) =>
      log('createFirstAdmin', () => {
        if (!needsFirstAdmin) throw new ApiError('PRECONDITION_FAILED', 'This server already has users: sign in, or ask an administrator to add you.', 400);
        if (body.password.length < 8) invalid('password', 'must NOT have fewer than 8 characters');
        needsFirstAdmin = false;
        data.user = { ...data.user, email: body.email.toLowerCase(), password: body.password };
        data.organisations.push({ ...data.organisations[0]!, id: 2, name: body.organisation_name });
        return { key: 'token-1', organisation: 2 };
      }),

    createProject: (body) =>
      log(`createProject:${body.name}`, () => {
        if (data.projects.some((p) => p.organisation === body.organisation && p.name.toLowerCase() === body.name.toLowerCase())) invalid('name', 'a project with this name already exists');
        const project = { id: nextId++, name: body.name, organisation: body.organisation, uuid: `p-${nextId}`, hide_disabled_flags: false, enable_dynamo_db: false, use_edge_identities: false, created_date: AT };
        data.projects.push(project);
        return project;
      }),
    renameProject: (projectId, name) =>
      log(`renameProject:${projectId}:${name}`, () => {
        const project = data.projects.find((p) => p.id === projectId) ?? notFound();
        project.name = name;
        return project;
      }),
    deleteProject: (projectId) =>
      log(`deleteProject:${projectId}`, () => {
        data.projects = data.projects.filter((p) => p.id !== projectId);
      }),

    createEnvironment: (body) =>
      log(`createEnvironment:${body.name}`, () => {
        const id = nextId++;
        const environment: Environment = {
          id, name: body.name, project: body.project, uuid: `e-${id}`, api_key: `key-${id}`, description: body.description ?? null, use_v2_feature_versioning: false,
          minimum_change_request_approvals: body.minimum_change_request_approvals ?? null, allow_client_traits: true, hide_disabled_flags: null, created_date: AT,
        };
        data.environments.push(environment);
        return environment;
      }),
    updateEnvironment: (apiKey, body) =>
      log(`updateEnvironment:${apiKey}:${JSON.stringify(body)}`, () => {
        const environment = envByKey(apiKey);
        if (body.name !== undefined && body.name.trim() === '') invalid('name', 'must not be blank');
        Object.assign(environment, body);
        return environment;
      }),
    deleteEnvironment: (apiKey) =>
      log(`deleteEnvironment:${apiKey}`, () => {
        data.environments = data.environments.filter((e) => e.api_key !== apiKey);
      }),
    listServerKeys: (apiKey) => log(`listServerKeys:${apiKey}`, () => [...(serverKeys.get(apiKey) ?? [])]),
    createServerKey: (apiKey, name) =>
      log(`createServerKey:${apiKey}:${name}`, (): NewServerKey => {
        const id = nextId++;
        const key = { id, name, prefix: `ser.ab${id}`, active: true, created_at: AT, expires_at: null };
        serverKeys.set(apiKey, [...(serverKeys.get(apiKey) ?? []), key]);
        return { ...key, key: `ser.ab${id}secretpart` };
      }),
    deleteServerKey: (apiKey, keyId) =>
      log(`deleteServerKey:${apiKey}:${keyId}`, () => {
        serverKeys.set(apiKey, (serverKeys.get(apiKey) ?? []).filter((k) => k.id !== keyId));
      }),

    createFeature: (projectId, body) =>
      log(`createFeature:${JSON.stringify(body)}`, () => {
        if (features().some((f) => f.feature.project === projectId && f.feature.name.toLowerCase() === body.name.toLowerCase())) invalid('name', 'A feature with this name already exists in the project.');
        const id = nextId++;
        const options: MvOption[] = (body.multivariate_options ?? []).map((o, i) => ({ id: id * 10 + i, uuid: `mv-${id}-${i}`, type: 'unicode', string_value: String(o.string_value), integer_value: null, boolean_value: null, default_percentage_allocation: o.default_percentage_allocation ?? 0, feature: id }));
        const feature: Omit<Feature, 'environment_feature_state'> = {
          id, name: body.name, project: projectId, uuid: `f-${id}`, type: options.length > 0 ? 'MULTIVARIATE' : 'STANDARD', default_enabled: body.default_enabled ?? false,
          initial_value: body.initial_value === undefined || body.initial_value === null ? null : String(body.initial_value), created_date: AT, description: body.description ?? null, tags: [],
          multivariate_options: options, is_archived: false, is_server_key_only: false, owners: [], group_owners: [], num_segment_overrides: 0, num_identity_overrides: 0,
        };
        const states = Object.fromEntries(
          data.environments.filter((e) => e.project === projectId).map((e) => [e.id, { id: id * 1000 + e.id, enabled: feature.default_enabled, feature_state_value: feature.initial_value, environment: e.id, feature: id, feature_segment: null, identity: null, updated_at: AT }]),
        );
        features().push({ feature, states });
        return { ...feature, environment_feature_state: null };
      }),
    updateFeature: (_projectId, featureId, body) =>
      log(`updateFeature:${featureId}:${JSON.stringify(body)}`, () => {
        const found = entry(featureId);
        Object.assign(found.feature, body);
        return { ...found.feature, environment_feature_state: null };
      }),
    deleteFeature: (_projectId, featureId) =>
      log(`deleteFeature:${featureId}`, () => {
        data.features = features().filter((f) => f.feature.id !== featureId);
      }),
    createMvOption: (_projectId, featureId, body) =>
      log(`createMvOption:${featureId}:${String(body.string_value)}`, () => {
        const found = entry(featureId);
        const option: MvOption = { id: nextId++, uuid: `mv-${nextId}`, type: 'unicode', string_value: String(body.string_value), integer_value: null, boolean_value: null, default_percentage_allocation: body.default_percentage_allocation ?? 0, feature: featureId };
        found.feature.multivariate_options = [...found.feature.multivariate_options, option];
        found.feature.type = 'MULTIVARIATE';
        return option;
      }),
    updateMvOption: (_projectId, featureId, optionId, body) =>
      log(`updateMvOption:${featureId}:${optionId}:${String(body.string_value)}`, () => {
        const found = entry(featureId);
        const option = found.feature.multivariate_options.find((o) => o.id === optionId) ?? notFound();
        Object.assign(option, { string_value: String(body.string_value), default_percentage_allocation: body.default_percentage_allocation ?? option.default_percentage_allocation });
        return option;
      }),
    deleteMvOption: (_projectId, featureId, optionId) =>
      log(`deleteMvOption:${featureId}:${optionId}`, () => {
        const found = entry(featureId);
        found.feature.multivariate_options = found.feature.multivariate_options.filter((o) => o.id !== optionId);
      }),

    listMembers: () => log('listMembers', () => [...users()]),
    addMember: (_organisationId, body) =>
      log(`addMember:${body.email}`, (): OrganisationUser => {
        if (users().some((u) => u.email === body.email.toLowerCase())) invalid('email', 'this user is already a member');
        if (body.password !== undefined && body.password.length < 8) invalid('password', 'must NOT have fewer than 8 characters');
        const user = { id: nextId++, uuid: `u-${nextId}`, email: body.email.toLowerCase(), first_name: body.first_name ?? '', last_name: body.last_name ?? '', role: body.role ?? 'USER', date_joined: AT };
        users().push(user);
        return user;
      }),
    changeRole: (_organisationId, userId, role) =>
      log(`changeRole:${userId}:${role}`, () => {
        const user = member(userId);
        if (role === 'USER' && user.role === 'ADMIN' && users().filter((u) => u.role === 'ADMIN').length === 1) throw new ApiError('PRECONDITION_FAILED', 'The last admin of the organisation cannot be demoted.', 400);
        user.role = role;
        return user;
      }),
    removeMember: (_organisationId, userId) =>
      log(`removeMember:${userId}`, () => {
        const user = member(userId);
        if (user.role === 'ADMIN' && users().filter((u) => u.role === 'ADMIN').length === 1) throw new ApiError('PRECONDITION_FAILED', 'The last admin of the organisation cannot be removed.', 400);
        data.users = users().filter((u) => u.id !== userId);
      }),
    listGrants: (scope) => log(`listGrants:${scopeKey(scope)}`, () => [...(grants.get(scopeKey(scope)) ?? [])]),
    createGrant: (scope, body) =>
      log(`createGrant:${scopeKey(scope)}:${body.user}:${body.permissions.join(',')}${body.admin ? ':admin' : ''}`, () => {
        const user = member(body.user);
        const grant = { id: nextId++, user: { id: user.id, email: user.email, first_name: user.first_name, last_name: user.last_name }, permissions: body.permissions, admin: body.admin ?? false };
        grants.set(scopeKey(scope), [...(grants.get(scopeKey(scope)) ?? []), grant]);
        return grant;
      }),
    updateGrant: (scope, grantId, body) =>
      log(`updateGrant:${scopeKey(scope)}:${grantId}:${body.permissions.join(',')}${body.admin ? ':admin' : ''}`, () => {
        const grant = (grants.get(scopeKey(scope)) ?? []).find((g) => g.id === grantId) ?? notFound();
        Object.assign(grant, { permissions: body.permissions, admin: body.admin ?? false });
        return grant;
      }),
    deleteGrant: (scope, grantId) =>
      log(`deleteGrant:${scopeKey(scope)}:${grantId}`, () => {
        grants.set(scopeKey(scope), (grants.get(scopeKey(scope)) ?? []).filter((g) => g.id !== grantId));
      }),

    listOrganisationApiKeys: () => log('listOrganisationApiKeys', () => orgKeys.filter((k) => !k.revoked)),
    createOrganisationApiKey: (_organisationId, name) =>
      log(`createOrganisationApiKey:${name}`, () => {
        const id = nextId++;
        const key = { id, prefix: `pfx${id}`, name, is_admin: true, revoked: false, created: AT, expiry_date: null, expires_at: null, has_expired: false };
        orgKeys.push(key);
        return { ...key, key: `pfx${id}.the-secret-part` };
      }),
    revokeOrganisationApiKey: (_organisationId, prefix) =>
      log(`revokeOrganisationApiKey:${prefix}`, () => {
        const key = orgKeys.find((k) => k.prefix === prefix) ?? notFound();
        key.revoked = true;
      }),
    updatePlanLimits: (organisationId, body) =>
      log(`updatePlanLimits:${organisationId}:${JSON.stringify(body)}`, () => {
        const organisation = data.organisations.find((o) => o.id === organisationId) ?? notFound();
        Object.assign(organisation, body);
        return organisation;
      }),

    updateWebhook: (apiKey, webhookId, body) =>
      log(`updateWebhook:${webhookId}:${JSON.stringify(body)}`, () => {
        const environment = envByKey(apiKey);
        const found = (data.webhooks ?? []).find((w) => w.environmentId === environment.id && w.webhook.id === webhookId) ?? notFound();
        if (body.url !== undefined && !/^https?:\/\//.test(body.url)) invalid('url', 'must use http or https');
        Object.assign(found.webhook, { ...(body.url !== undefined ? { url: body.url } : {}), ...(body.enabled !== undefined ? { enabled: body.enabled } : {}), ...(body.secret !== undefined ? { has_secret: Boolean(body.secret) } : {}) });
        return found.webhook;
      }),
    deleteWebhook: (apiKey, webhookId) =>
      log(`deleteWebhook:${webhookId}`, () => {
        const environment = envByKey(apiKey);
        data.webhooks = (data.webhooks ?? []).filter((w) => !(w.environmentId === environment.id && w.webhook.id === webhookId));
      }),
    testWebhook: (apiKey, url) =>
      log(`testWebhook:${apiKey}:${url}`, () => {
        if (url.includes('fail')) throw new ApiError('PRECONDITION_FAILED', 'Webhook returned error status', 400, undefined, { status: 503, body: 'Webhook returned HTTP 503.' });
        return { detail: 'Webhook test successful', status: 200 };
      }),
  };
  return Object.assign(api, { calls, serverKeys, grants });
}
