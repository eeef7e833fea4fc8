import type { BodyOf, ResponseOf } from '../../src-shared/contracts/http/route-contract.js';
import type { firstRunRoutes } from '../../src-shared/contracts/http/auth.contract.js';
import type { organisationRoutes } from '../../src-shared/contracts/http/organisations.contract.js';
import type { projectRoutes } from '../../src-shared/contracts/http/projects.contract.js';
import type { environmentRoutes } from '../../src-shared/contracts/http/environments.contract.js';
import type { featureRoutes } from '../../src-shared/contracts/http/features.contract.js';
import type { permissionRoutes } from '../../src-shared/contracts/http/permissions.contract.js';
import type { webhookRoutes } from '../../src-shared/contracts/http/webhooks.contract.js';
import type { Environment, Feature, HttpCall, OrganisationUser, Page, Project, Webhook } from './api-client.js';

export type FirstAdminBody = BodyOf<typeof firstRunRoutes.createFirstAdmin>;
export type FirstAdminAnswer = ResponseOf<typeof firstRunRoutes.createFirstAdmin>;
export type ProjectCreate = BodyOf<typeof projectRoutes.createProject>;
export type EnvironmentCreate = BodyOf<typeof environmentRoutes.createEnvironment>;
export type EnvironmentPatch = BodyOf<typeof environmentRoutes.partialUpdateEnvironment>;
export type ServerKey = ResponseOf<typeof environmentRoutes.listEnvironmentApiKeys>[number];
export type NewServerKey = ResponseOf<typeof environmentRoutes.createEnvironmentApiKey>;
export type FeatureCreate = BodyOf<typeof featureRoutes.createFeature>;
export type FeaturePatch = BodyOf<typeof featureRoutes.partialUpdateFeature>;
export type MvOption = ResponseOf<typeof featureRoutes.getFeatureMvOption>;
export type MvOptionWrite = BodyOf<typeof featureRoutes.createFeatureMvOption>;
export type MemberCreate = BodyOf<typeof organisationRoutes.createOrganisationUser>;
export type Role = OrganisationUser['role'];
export type OrganisationApiKey = ResponseOf<typeof organisationRoutes.listOrganisationApiKeys>['results'][number];
export type NewOrganisationApiKey = ResponseOf<typeof organisationRoutes.createOrganisationApiKey>;
export type PermissionGrant = ResponseOf<typeof permissionRoutes.listProjectUserPermissions>[number];
export type GrantWrite = BodyOf<typeof permissionRoutes.createProjectUserPermission>;
export type WebhookPatch = BodyOf<typeof webhookRoutes.partialUpdateEnvironmentWebhook>;
export type WebhookTestAnswer = ResponseOf<typeof webhookRoutes.testWebhook>;
export type PlanLimits = BodyOf<typeof organisationRoutes.updateOrganisationPlanLimits>;

/** Where a grant applies: a project (by id) or an environment (by its client-side key). */
export type GrantScope = { projectId: number } | { environmentKey: string };

/**
 * The administration calls of the day-one screens (first run, projects, environments, features and their
 * variations, members and permissions, keys, webhooks). Beside ApiClient, which serves the flag screens
 * the replica takes over; these write and are read back from the server or the replica.
 */
export interface AdminApi {
  needsFirstAdmin(): Promise<boolean>;
  createFirstAdmin(body: FirstAdminBody): Promise<FirstAdminAnswer>;

  createProject(body: ProjectCreate): Promise<Project>;
  renameProject(projectId: number, name: string): Promise<Project>;
  deleteProject(projectId: number): Promise<void>;

  createEnvironment(body: EnvironmentCreate): Promise<Environment>;
  updateEnvironment(apiKey: string, body: EnvironmentPatch): Promise<Environment>;
  deleteEnvironment(apiKey: string): Promise<void>;
  listServerKeys(apiKey: string): Promise<ServerKey[]>;
  createServerKey(apiKey: string, name: string): Promise<NewServerKey>;
  deleteServerKey(apiKey: string, keyId: number): Promise<void>;

  createFeature(projectId: number, body: FeatureCreate): Promise<Feature>;
  updateFeature(projectId: number, featureId: number, body: FeaturePatch): Promise<Feature>;
  deleteFeature(projectId: number, featureId: number): Promise<void>;
  createMvOption(projectId: number, featureId: number, body: MvOptionWrite): Promise<MvOption>;
  updateMvOption(projectId: number, featureId: number, optionId: number, body: MvOptionWrite): Promise<MvOption>;
  deleteMvOption(projectId: number, featureId: number, optionId: number): Promise<void>;

  listMembers(organisationId: number): Promise<OrganisationUser[]>;
  addMember(organisationId: number, body: MemberCreate): Promise<OrganisationUser>;
  changeRole(organisationId: number, userId: number, role: Role): Promise<OrganisationUser>;
  removeMember(organisationId: number, userId: number): Promise<void>;
  listGrants(scope: GrantScope): Promise<PermissionGrant[]>;
  createGrant(scope: GrantScope, body: GrantWrite): Promise<unknown>;
  updateGrant(scope: GrantScope, grantId: number, body: GrantWrite): Promise<unknown>;
  deleteGrant(scope: GrantScope, grantId: number): Promise<void>;

  listOrganisationApiKeys(organisationId: number): Promise<OrganisationApiKey[]>;
  createOrganisationApiKey(organisationId: number, name: string): Promise<NewOrganisationApiKey>;
  revokeOrganisationApiKey(organisationId: number, prefix: string): Promise<void>;
  updatePlanLimits(organisationId: number, body: PlanLimits): Promise<unknown>;

  updateWebhook(apiKey: string, webhookId: number, body: WebhookPatch): Promise<Webhook>;
  deleteWebhook(apiKey: string, webhookId: number): Promise<void>;
  /** Sends one sample event now; a receiver's error status or no answer rejects (PRECONDITION_FAILED). */
  testWebhook(apiKey: string, url: string, secret?: string): Promise<WebhookTestAnswer>;
}

/** The AdminApi over the same request function as the ApiClient. */
export function createAdminApi(call: HttpCall): AdminApi {
  const env = (apiKey: string) => `/api/v1/environments/${encodeURIComponent(apiKey)}`;
  const features = (projectId: number) => `/api/v1/projects/${projectId}/features`;
  const grants = (scope: GrantScope) => ('projectId' in scope ? `/api/v1/projects/${scope.projectId}/user-permissions` : `${env(scope.environmentKey)}/user-permissions`);
  return {
    needsFirstAdmin: async () => (await call<{ needs_first_admin: boolean }>('GET', '/api/v1/auth/first-run/')).needs_first_admin,
    createFirstAdmin: (body) => call('POST', '/api/v1/auth/first-run/', { body }),

    createProject: (body) => call('POST', '/api/v1/projects/', { body }),
    renameProject: (projectId, name) => call('PATCH', `/api/v1/projects/${projectId}/`, { body: { name } }),
    deleteProject: (projectId) => call('DELETE', `/api/v1/projects/${projectId}/`),

    createEnvironment: (body) => call('POST', '/api/v1/environments/', { body }),
    updateEnvironment: (apiKey, body) => call('PATCH', `${env(apiKey)}/`, { body }),
    deleteEnvironment: (apiKey) => call('DELETE', `${env(apiKey)}/`),
    listServerKeys: (apiKey) => call('GET', `${env(apiKey)}/api-keys/`),
    createServerKey: (apiKey, name) => call('POST', `${env(apiKey)}/api-keys/`, { body: { name } }),
    deleteServerKey: (apiKey, keyId) => call('DELETE', `${env(apiKey)}/api-keys/${keyId}/`),

    createFeature: (projectId, body) => call('POST', `${features(projectId)}/`, { body }),
    updateFeature: (projectId, featureId, body) => call('PATCH', `${features(projectId)}/${featureId}/`, { body }),
    deleteFeature: (projectId, featureId) => call('DELETE', `${features(projectId)}/${featureId}/`),
    createMvOption: (projectId, featureId, body) => call('POST', `${features(projectId)}/${featureId}/mv-options/`, { body }),
    updateMvOption: (projectId, featureId, optionId, body) => call('PUT', `${features(projectId)}/${featureId}/mv-options/${optionId}/`, { body }),
    deleteMvOption: (projectId, featureId, optionId) => call('DELETE', `${features(projectId)}/${featureId}/mv-options/${optionId}/`),

    listMembers: (organisationId) => call('GET', `/api/v1/organisations/${organisationId}/users/`),
    addMember: (organisationId, body) => call('POST', `/api/v1/organisations/${organisationId}/users/`, { body }),
    changeRole: (organisationId, userId, role) => call('POST', `/api/v1/organisations/${organisationId}/users/${userId}/update-role/`, { body: { role } }),
    removeMember: async (organisationId, userId) => {
      await call('POST', `/api/v1/organisations/${organisationId}/remove-users/`, { body: [{ id: userId }] });
    },
    listGrants: (scope) => call('GET', `${grants(scope)}/`),
    createGrant: (scope, body) => call('POST', `${grants(scope)}/`, { body }),
    updateGrant: (scope, grantId, body) => call('PUT', `${grants(scope)}/${grantId}/`, { body }),
    deleteGrant: (scope, grantId) => call('DELETE', `${grants(scope)}/${grantId}/`),

    listOrganisationApiKeys: async (organisationId) =>
      (await call<Page<OrganisationApiKey>>('GET', `/api/v1/organisations/${organisationId}/master-api-keys/`, { query: { page_size: 1000 } })).results,
    createOrganisationApiKey: (organisationId, name) => call('POST', `/api/v1/organisations/${organisationId}/master-api-keys/`, { body: { name } }),
    revokeOrganisationApiKey: (organisationId, prefix) => call('DELETE', `/api/v1/organisations/${organisationId}/master-api-keys/${encodeURIComponent(prefix)}/`),
    updatePlanLimits: (organisationId, body) => call('PATCH', `/api/v1/organisations/${organisationId}/plan-limits/`, { body }),

    updateWebhook: (apiKey, webhookId, body) => call('PATCH', `${env(apiKey)}/webhooks/${webhookId}/`, { body }),
    deleteWebhook: (apiKey, webhookId) => call('DELETE', `${env(apiKey)}/webhooks/${webhookId}/`),
    testWebhook: (apiKey, url, secret) =>
      call('POST', '/api/v1/webhooks/test/', { body: { webhook_url: url, scope: { type: 'environment', id: apiKey }, ...(secret ? { secret } : {}) } }),
  };
}
