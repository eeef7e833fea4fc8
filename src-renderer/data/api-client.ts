import type { ErrorCode } from '../../src-shared/errors/error-codes.js';
import type { AppErrorWire } from '../../src-shared/errors/app-error.js';
import type { BodyOf, QueryOf, ResponseOf } from '../../src-shared/contracts/http/route-contract.js';
import type { authRoutes } from '../../src-shared/contracts/http/auth.contract.js';
import type { organisationRoutes } from '../../src-shared/contracts/http/organisations.contract.js';
import type { projectRoutes } from '../../src-shared/contracts/http/projects.contract.js';
import type { environmentRoutes } from '../../src-shared/contracts/http/environments.contract.js';
import type { featureRoutes } from '../../src-shared/contracts/http/features.contract.js';
import type { featureStateRoutes } from '../../src-shared/contracts/http/feature-states.contract.js';
import type { featureSegmentRoutes, segmentRoutes } from '../../src-shared/contracts/http/segments.contract.js';
import type { versionRoutes } from '../../src-shared/contracts/http/versions.contract.js';
import type { versioningMigrationRoutes } from '../../src-shared/contracts/http/versioning-migration.contract.js';
import type { webhookRoutes } from '../../src-shared/contracts/http/webhooks.contract.js';
import type { auditRoutes } from '../../src-shared/contracts/http/audit.contract.js';
import type { changeRequestRoutes } from '../../src-shared/contracts/http/change-requests.contract.js';
import type { ImpactPreviewWire, RevertResultWire } from '../../src-shared/contracts/http/impact.contract.js';

export type LoginBody = BodyOf<typeof authRoutes.login>;
export type CurrentUser = ResponseOf<typeof authRoutes.getCurrentUser>;
export type Organisation = ResponseOf<typeof organisationRoutes.listOrganisations>['results'][number];
export type OrganisationUser = ResponseOf<typeof organisationRoutes.listOrganisationUsers>[number];
export type Project = ResponseOf<typeof projectRoutes.listProjects>[number];
export type Environment = ResponseOf<typeof environmentRoutes.listEnvironments>['results'][number];
export type Feature = ResponseOf<typeof featureRoutes.listFeatures>['results'][number];
export type FeatureState = ResponseOf<typeof featureStateRoutes.getFeatureState>;
export type EnvironmentFeatureState = ResponseOf<typeof featureStateRoutes.getEnvironmentFeatureState>;
export type FeatureStateWrite = BodyOf<typeof featureStateRoutes.updateFeatureState>;
export type FeatureStateCreate = BodyOf<typeof featureStateRoutes.createFeatureState>;
export type FeatureSegment = ResponseOf<typeof featureSegmentRoutes.getFeatureSegment>;
export type FeatureSegmentCreate = BodyOf<typeof featureSegmentRoutes.createFeatureSegment>;
export type Segment = ResponseOf<typeof segmentRoutes.getSegment>;
export type SegmentWrite = BodyOf<typeof segmentRoutes.createSegment>;
export type FeatureVersion = ResponseOf<typeof versionRoutes.getFeatureVersion>;
export type FeatureVersionCreate = BodyOf<typeof versionRoutes.createFeatureVersion>;
export type VersionState = ResponseOf<typeof versionRoutes.getFeatureVersionFeatureState>;
export type VersionStateCreate = BodyOf<typeof versionRoutes.createFeatureVersionFeatureState>;
export type VersionStateUpdate = BodyOf<typeof versionRoutes.updateFeatureVersionFeatureState>;
export type VersionDiff = ResponseOf<typeof versionRoutes.getFeatureVersionDiff>;
export type VersionChange = VersionDiff['changes'][number];
export type VersioningStatus = ResponseOf<typeof versioningMigrationRoutes.getVersioningStatus>;
export type Webhook = ResponseOf<typeof webhookRoutes.listEnvironmentWebhooks>[number];
export type WebhookCreate = BodyOf<typeof webhookRoutes.createEnvironmentWebhook>;
export type WebhookDelivery = ResponseOf<typeof webhookRoutes.redeliverEnvironmentWebhookDelivery>;
export type AuditEntry = ResponseOf<typeof auditRoutes.getAuditLog>;
export type AuditQuery = QueryOf<typeof auditRoutes.listAuditLogs>;
export type ChangeRequest = ResponseOf<typeof changeRequestRoutes.getChangeRequest>;
export type ChangeRequestCreate = BodyOf<typeof changeRequestRoutes.createChangeRequest>;
export type ChangeSetCreate = ChangeRequestCreate['change_sets'][number];
export type ChangeRequestDiff = ResponseOf<typeof changeRequestRoutes.getChangeRequestDiff>;
export type ChangeRequestFeatureDiff = ChangeRequestDiff['features'][number];
export type VersionConflict = ChangeRequestFeatureDiff['conflicts'][number];
export type RebaseResolution = NonNullable<NonNullable<BodyOf<typeof changeRequestRoutes.rebaseChangeRequest>>['resolutions']>[number];
export type ImpactPreview = ImpactPreviewWire;
export type RevertResult = RevertResultWire;
/** One page of a paginated list. */
export interface Page<T> {
  count: number;
  results: T[];
}
type EnvironmentQuery = QueryOf<typeof environmentRoutes.listEnvironments>;
type FeatureQuery = QueryOf<typeof featureRoutes.listFeatures>;

/** A failed API call: the server's error code, or NETWORK when no answer arrived. */
export class ApiError extends Error {
  constructor(
    readonly code: ErrorCode | 'NETWORK',
    message: string,
    readonly status: number,
    /** The server's error id of an INTERNAL error, for support. */
    readonly errorId?: string,
    /** The server's structured context (`issues`, `conflicts`, `reason` …). */
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/**
 * The typed calls the dashboard makes to the sync server's Admin API. Screens do not call it directly:
 * they go through the data functions beside it (feature-editing, feature-history …), which the replica
 * replaces later.
 */
export interface ApiClient {
  login(body: LoginBody): Promise<string>;
  logout(): Promise<void>;
  getCurrentUser(): Promise<CurrentUser>;
  listOrganisations(): Promise<Organisation[]>;
  listOrganisationUsers(organisationId: number): Promise<OrganisationUser[]>;
  listProjects(organisationId: number): Promise<Project[]>;
  listEnvironments(projectId: number): Promise<Environment[]>;
  /** Live (not archived) features of a project with their state in `environmentId`, names containing `search`. */
  listFeatures(projectId: number, options: { environmentId: number; search?: string }): Promise<Feature[]>;
  listSegments(projectId: number): Promise<Segment[]>;
  createSegment(projectId: number, body: SegmentWrite): Promise<Segment>;
  updateSegment(projectId: number, segmentId: number, body: SegmentWrite): Promise<Segment>;
  deleteSegment(projectId: number, segmentId: number): Promise<void>;

  /** v1: environment default and segment overrides of one feature in one environment. */
  listFeatureStates(environmentId: number, featureId: number): Promise<FeatureState[]>;
  listFeatureSegments(environmentId: number, featureId: number): Promise<FeatureSegment[]>;
  updateFeatureState(id: number, body: FeatureStateWrite): Promise<FeatureState>;
  createFeatureState(body: FeatureStateCreate): Promise<FeatureState>;
  createFeatureSegment(body: FeatureSegmentCreate): Promise<FeatureSegment>;
  deleteFeatureSegment(id: number): Promise<void>;
  updateFeatureSegmentPriorities(body: { id: number; priority: number }[]): Promise<FeatureSegment[]>;
  /** The environment defaults served now (on v2: those of each feature's live version). */
  listEnvironmentFeatureStates(environmentApiKey: string): Promise<EnvironmentFeatureState[]>;
  /** v1: switches an environment default on or off. */
  setEnvironmentFeatureStateEnabled(environmentApiKey: string, stateId: number, enabled: boolean): Promise<void>;

  /** v2: versions newest first. */
  listFeatureVersions(environmentId: number, featureId: number, filter?: { published?: boolean; is_live?: boolean }): Promise<FeatureVersion[]>;
  createFeatureVersion(environmentId: number, featureId: number, body: FeatureVersionCreate): Promise<FeatureVersion>;
  deleteFeatureVersion(environmentId: number, featureId: number, uuid: string): Promise<void>;
  publishFeatureVersion(environmentId: number, featureId: number, uuid: string, liveFrom?: string): Promise<FeatureVersion>;
  restoreFeatureVersion(environmentId: number, featureId: number, uuid: string): Promise<FeatureVersion>;
  getFeatureVersionDiff(environmentId: number, featureId: number, uuid: string, against?: string): Promise<VersionDiff>;
  listVersionStates(environmentId: number, featureId: number, uuid: string): Promise<VersionState[]>;
  createVersionState(environmentId: number, featureId: number, uuid: string, body: VersionStateCreate): Promise<VersionState>;
  updateVersionState(environmentId: number, featureId: number, uuid: string, stateId: number, body: VersionStateUpdate): Promise<VersionState>;
  deleteVersionState(environmentId: number, featureId: number, uuid: string, stateId: number): Promise<void>;

  getVersioningStatus(environmentApiKey: string): Promise<VersioningStatus>;
  enableV2Versioning(environmentApiKey: string): Promise<VersioningStatus>;
  /** Discards the version history; the caller must have confirmed that with the user. */
  disableV2Versioning(environmentApiKey: string): Promise<VersioningStatus>;

  listEnvironmentWebhooks(environmentApiKey: string): Promise<Webhook[]>;
  createEnvironmentWebhook(environmentApiKey: string, body: WebhookCreate): Promise<Webhook>;
  listWebhookDeliveries(environmentApiKey: string, webhookId: number, page: number): Promise<Page<WebhookDelivery>>;
  redeliverWebhookDelivery(environmentApiKey: string, webhookId: number, deliveryId: number): Promise<WebhookDelivery>;

  listAuditLogs(query: AuditQuery): Promise<Page<AuditEntry>>;

  /** Change requests of a v2 environment, newest first. */
  listChangeRequests(environmentId: number, filter?: { committed?: boolean }): Promise<ChangeRequest[]>;
  getChangeRequest(id: number): Promise<ChangeRequest>;
  createChangeRequest(environmentApiKey: string, body: ChangeRequestCreate): Promise<ChangeRequest>;
  /** Live → content to publish per feature, and approved content → content to publish per approval. */
  getChangeRequestDiff(id: number): Promise<ChangeRequestDiff>;
  approveChangeRequest(id: number): Promise<ChangeRequest>;
  /** Publishes every change set (scheduled when its live_from is in the future). */
  commitChangeRequest(id: number): Promise<ChangeRequest>;
  /** Re-bases the change sets on what is live, choosing mine or live per conflicting path. */
  rebaseChangeRequest(id: number, resolutions: RebaseResolution[]): Promise<ChangeRequest>;

  /** Starts the impact preview of a version (a draft, scheduled or earlier version); it may come back still running. */
  previewVersionImpact(environmentId: number, featureId: number, uuid: string): Promise<ImpactPreview>;
  /** Starts the impact preview of a change request, or with `revert` of reverting a committed one. */
  previewChangeRequestImpact(id: number, options: { revert: boolean }): Promise<ImpactPreview>;
  getImpactPreview(id: string): Promise<ImpactPreview>;
  cancelImpactPreview(id: string): Promise<void>;
  /** Reverts a committed change request (a new change request where approvals are required). */
  revertChangeRequest(id: number, options: { skipConflicting: boolean }): Promise<RevertResult>;
}

export interface ApiClientDeps {
  /** Origin of the sync server; '' for the origin that served the page. */
  baseUrl: string;
  fetch: typeof fetch;
  /** The session token to send, if signed in. */
  getToken(): string | null;
}

export type QueryValue = string | number | boolean | undefined | readonly (string | number)[];

function isErrorWire(body: unknown): body is AppErrorWire {
  return typeof body === 'object' && body !== null && typeof (body as AppErrorWire).code === 'string' && typeof (body as AppErrorWire).message === 'string';
}

function queryString(query: Record<string, QueryValue>): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined) continue;
    // Arrays repeat the parameter (`environments=1&environments=2`), as Flagsmith's filters expect.
    if (Array.isArray(value)) for (const item of value) params.append(key, String(item));
    else params.append(key, String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : '';
}

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
/** One JSON request to the server; errors come back as ApiError carrying the server's code. */
export type HttpCall = <T>(method: HttpMethod, path: string, options?: { body?: unknown; query?: Record<string, QueryValue> }) => Promise<T>;

/** The request function both API clients (this one and admin-api.ts) are built on. */
export function createHttpCall(deps: ApiClientDeps): HttpCall {
  return async function call<T>(method: HttpMethod, path: string, options: { body?: unknown; query?: Record<string, QueryValue> } = {}): Promise<T> {
    const url = `${deps.baseUrl}${path}${queryString(options.query ?? {})}`;
    const headers: Record<string, string> = { accept: 'application/json' };
    const token = deps.getToken();
    if (token) headers.authorization = `Token ${token}`;
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await deps.fetch(url, { method, headers, ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}) });
    } catch (error) {
      throw new ApiError('NETWORK', `The server could not be reached (${error instanceof Error ? error.message : String(error)}).`, 0);
    }
    if (response.status === 204) return undefined as T;
    const body: unknown = await response.json().catch(() => undefined);
    if (!response.ok) {
      if (isErrorWire(body)) throw new ApiError(body.code, body.message, response.status, body.id, body.details);
      throw new ApiError(response.status >= 500 ? 'INTERNAL' : 'VALIDATION_FAILED', `HTTP ${response.status}`, response.status);
    }
    return body as T;
  };
}

/** An ApiClient over `fetch`. Errors come back as ApiError carrying the server's code. */
export function createApiClient(deps: ApiClientDeps): ApiClient {
  const call = createHttpCall(deps);

  const versions = (environmentId: number, featureId: number) => `/api/v1/environments/${environmentId}/features/${featureId}/versions`;
  const changeRequests = '/api/v1/features/workflows/change-requests';
  const envKey = (apiKey: string) => `/api/v1/environments/${encodeURIComponent(apiKey)}`;

  return {
    login: async (body) => (await call<ResponseOf<typeof authRoutes.login>>('POST', '/api/v1/auth/login/', { body })).key,
    logout: () => call<void>('POST', '/api/v1/auth/logout/'),
    getCurrentUser: () => call<CurrentUser>('GET', '/api/v1/auth/users/me/'),
    listOrganisations: async () => (await call<ResponseOf<typeof organisationRoutes.listOrganisations>>('GET', '/api/v1/organisations/', { query: { page_size: 1000 } })).results,
    listOrganisationUsers: (organisationId) => call<OrganisationUser[]>('GET', `/api/v1/organisations/${organisationId}/users/`),
    listProjects: (organisationId) => call<Project[]>('GET', '/api/v1/projects/', { query: { organisation: organisationId } }),
    listEnvironments: async (projectId) => {
      const query: EnvironmentQuery = { project: projectId, page_size: 1000 };
      return (await call<ResponseOf<typeof environmentRoutes.listEnvironments>>('GET', '/api/v1/environments/', { query })).results;
    },
    listFeatures: async (projectId, { environmentId, search }) => {
      const query: FeatureQuery = { environment: environmentId, is_archived: false, sort_field: 'name', page_size: 1000, ...(search ? { search } : {}) };
      return (await call<ResponseOf<typeof featureRoutes.listFeatures>>('GET', `/api/v1/projects/${projectId}/features/`, { query })).results;
    },
    listSegments: async (projectId) => (await call<Page<Segment>>('GET', `/api/v1/projects/${projectId}/segments/`, { query: { page_size: 1000 } })).results,
    createSegment: (projectId, body) => call<Segment>('POST', `/api/v1/projects/${projectId}/segments/`, { body }),
    updateSegment: (projectId, segmentId, body) => call<Segment>('PUT', `/api/v1/projects/${projectId}/segments/${segmentId}/`, { body }),
    deleteSegment: (projectId, segmentId) => call<void>('DELETE', `/api/v1/projects/${projectId}/segments/${segmentId}/`),

    listFeatureStates: async (environmentId, featureId) =>
      (await call<Page<FeatureState>>('GET', '/api/v1/features/featurestates/', { query: { environment: environmentId, feature: featureId, page_size: 1000 } })).results,
    listFeatureSegments: async (environmentId, featureId) =>
      (await call<Page<FeatureSegment>>('GET', '/api/v1/features/feature-segments/', { query: { environment: environmentId, feature: featureId, page_size: 1000 } })).results,
    updateFeatureState: (id, body) => call<FeatureState>('PUT', `/api/v1/features/featurestates/${id}/`, { body }),
    createFeatureState: (body) => call<FeatureState>('POST', '/api/v1/features/featurestates/', { body }),
    createFeatureSegment: (body) => call<FeatureSegment>('POST', '/api/v1/features/feature-segments/', { body }),
    deleteFeatureSegment: (id) => call<void>('DELETE', `/api/v1/features/feature-segments/${id}/`),
    updateFeatureSegmentPriorities: (body) => call<FeatureSegment[]>('POST', '/api/v1/features/feature-segments/update-priorities/', { body }),
    listEnvironmentFeatureStates: async (apiKey) => (await call<Page<EnvironmentFeatureState>>('GET', `${envKey(apiKey)}/featurestates/`, { query: { page_size: 1000 } })).results,
    setEnvironmentFeatureStateEnabled: async (apiKey, stateId, enabled) => {
      await call<unknown>('PATCH', `${envKey(apiKey)}/featurestates/${stateId}/`, { body: { enabled } });
    },

    listFeatureVersions: async (environmentId, featureId, filter = {}) =>
      (await call<Page<FeatureVersion>>('GET', `${versions(environmentId, featureId)}/`, { query: { page_size: 1000, ...filter } })).results,
    createFeatureVersion: (environmentId, featureId, body) => call<FeatureVersion>('POST', `${versions(environmentId, featureId)}/`, { body }),
    deleteFeatureVersion: (environmentId, featureId, uuid) => call<void>('DELETE', `${versions(environmentId, featureId)}/${uuid}/`),
    publishFeatureVersion: (environmentId, featureId, uuid, liveFrom) =>
      call<FeatureVersion>('POST', `${versions(environmentId, featureId)}/${uuid}/publish/`, { body: liveFrom ? { live_from: liveFrom } : {} }),
    restoreFeatureVersion: (environmentId, featureId, uuid) => call<FeatureVersion>('POST', `${versions(environmentId, featureId)}/${uuid}/restore/`, { body: {} }),
    getFeatureVersionDiff: (environmentId, featureId, uuid, against) =>
      call<VersionDiff>('GET', `${versions(environmentId, featureId)}/${uuid}/diff/`, { query: { against } }),
    listVersionStates: (environmentId, featureId, uuid) => call<VersionState[]>('GET', `${versions(environmentId, featureId)}/${uuid}/featurestates/`),
    createVersionState: (environmentId, featureId, uuid, body) => call<VersionState>('POST', `${versions(environmentId, featureId)}/${uuid}/featurestates/`, { body }),
    updateVersionState: (environmentId, featureId, uuid, stateId, body) =>
      call<VersionState>('PUT', `${versions(environmentId, featureId)}/${uuid}/featurestates/${stateId}/`, { body }),
    deleteVersionState: (environmentId, featureId, uuid, stateId) => call<void>('DELETE', `${versions(environmentId, featureId)}/${uuid}/featurestates/${stateId}/`),

    getVersioningStatus: (apiKey) => call<VersioningStatus>('GET', `${envKey(apiKey)}/versioning-status/`),
    enableV2Versioning: (apiKey) => call<VersioningStatus>('POST', `${envKey(apiKey)}/enable-v2-versioning/`),
    disableV2Versioning: (apiKey) => call<VersioningStatus>('POST', `${envKey(apiKey)}/disable-v2-versioning/`, { body: { confirm_discard_history: true } }),

    listEnvironmentWebhooks: (apiKey) => call<Webhook[]>('GET', `${envKey(apiKey)}/webhooks/`),
    createEnvironmentWebhook: (apiKey, body) => call<Webhook>('POST', `${envKey(apiKey)}/webhooks/`, { body }),
    listWebhookDeliveries: (apiKey, webhookId, page) => call<Page<WebhookDelivery>>('GET', `${envKey(apiKey)}/webhooks/${webhookId}/deliveries/`, { query: { page, page_size: 20 } }),
    redeliverWebhookDelivery: (apiKey, webhookId, deliveryId) => call<WebhookDelivery>('POST', `${envKey(apiKey)}/webhooks/${webhookId}/deliveries/${deliveryId}/redeliver/`),

    listAuditLogs: (query) => call<Page<AuditEntry>>('GET', '/api/v1/audit/', { query: query as Record<string, QueryValue> }),

    listChangeRequests: async (environmentId, filter = {}) =>
      (await call<Page<ChangeRequest>>('GET', `${changeRequests}/`, { query: { environment: environmentId, page_size: 100, ...filter } })).results,
    getChangeRequest: (id) => call<ChangeRequest>('GET', `${changeRequests}/${id}/`),
    createChangeRequest: (apiKey, body) => call<ChangeRequest>('POST', `${envKey(apiKey)}/create-change-request/`, { body }),
    getChangeRequestDiff: (id) => call<ChangeRequestDiff>('GET', `${changeRequests}/${id}/diff/`),
    approveChangeRequest: (id) => call<ChangeRequest>('POST', `${changeRequests}/${id}/approve/`),
    commitChangeRequest: (id) => call<ChangeRequest>('POST', `${changeRequests}/${id}/commit/`),
    rebaseChangeRequest: (id, resolutions) => call<ChangeRequest>('POST', `${changeRequests}/${id}/rebase/`, { body: { resolutions } }),

    // A short wait: the screen shows progress and polls instead of holding one long request.
    previewVersionImpact: (environmentId, featureId, uuid) => call<ImpactPreview>('POST', `${versions(environmentId, featureId)}/${uuid}/impact/`, { body: { wait_ms: 1500 } }),
    previewChangeRequestImpact: (id, { revert }) => call<ImpactPreview>('POST', `${changeRequests}/${id}/impact/`, { body: { wait_ms: 1500, revert } }),
    getImpactPreview: (id) => call<ImpactPreview>('GET', `/api/v1/impact-previews/${encodeURIComponent(id)}/`),
    cancelImpactPreview: (id) => call<void>('DELETE', `/api/v1/impact-previews/${encodeURIComponent(id)}/`),
    revertChangeRequest: (id, { skipConflicting }) => call<RevertResult>('POST', `${changeRequests}/${id}/revert/`, { body: { skip_conflicting: skipConflicting } }),
  };
}
