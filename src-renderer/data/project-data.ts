import type { ApiClient, AuditEntry, AuditQuery, Environment, Feature, Page, Project, Segment, SegmentWrite, VersioningStatus, Webhook, WebhookCreate, WebhookDelivery } from './api-client.js';

/*
 * Reads and commands of the environment screens (settings, webhooks, audit, navigation). Screens call
 * these rather than the ApiClient. Once the replica has replicated, the navigator, segment list and
 * command palette read it instead (replica/replica-queries.ts, same shapes); these reads remain for
 * before that, and for what the replica does not hold.
 */

export function loadSegments(api: ApiClient, projectId: number): Promise<Segment[]> {
  return api.listSegments(projectId);
}

/** Creates the segment, or replaces the one with `segmentId` (name, description and the whole rules tree). */
export function saveSegment(api: ApiClient, projectId: number, segmentId: number | null, body: SegmentWrite): Promise<Segment> {
  return segmentId === null ? api.createSegment(projectId, body) : api.updateSegment(projectId, segmentId, body);
}

/** Deletes a segment with its overrides in every environment. */
export function deleteSegment(api: ApiClient, projectId: number, segmentId: number): Promise<void> {
  return api.deleteSegment(projectId, segmentId);
}

export function loadVersioningStatus(api: ApiClient, environment: Pick<Environment, 'api_key'>): Promise<VersioningStatus> {
  return api.getVersioningStatus(environment.api_key);
}

export function enableFeatureVersioning(api: ApiClient, environment: Environment): Promise<VersioningStatus> {
  return api.enableV2Versioning(environment.api_key);
}

/** Moves the environment back to v1, discarding its version history (the user confirmed that). */
export function disableFeatureVersioning(api: ApiClient, environment: Environment): Promise<VersioningStatus> {
  return api.disableV2Versioning(environment.api_key);
}

/** Whether a migration is still running (poll again) or has ended. */
export function isMigrationRunning(status: VersioningStatus): boolean {
  return status.versioning_status === 'enabling' || status.versioning_status === 'disabling';
}

export function loadWebhooks(api: ApiClient, environment: Environment): Promise<Webhook[]> {
  return api.listEnvironmentWebhooks(environment.api_key);
}

export function addWebhook(api: ApiClient, environment: Environment, body: WebhookCreate): Promise<Webhook> {
  return api.createEnvironmentWebhook(environment.api_key, body);
}

export function loadDeliveries(api: ApiClient, environment: Environment, webhookId: number, page: number): Promise<Page<WebhookDelivery>> {
  return api.listWebhookDeliveries(environment.api_key, webhookId, page);
}

export function redeliver(api: ApiClient, environment: Environment, webhookId: number, deliveryId: number): Promise<WebhookDelivery> {
  return api.redeliverWebhookDelivery(environment.api_key, webhookId, deliveryId);
}

export const AUDIT_PAGE_SIZE = 20;

export interface AuditFilter {
  search: string;
  /** An environment id, or null for the whole project. */
  environmentId: number | null;
  source: 'all' | 'users' | 'system';
  page: number;
}

export function loadAuditLog(api: ApiClient, projectId: number, filter: AuditFilter): Promise<Page<AuditEntry>> {
  const query: AuditQuery = {
    project: projectId,
    page: filter.page,
    page_size: AUDIT_PAGE_SIZE,
    ...(filter.search.trim() ? { search: filter.search.trim() } : {}),
    ...(filter.environmentId !== null ? { environments: [filter.environmentId] } : {}),
    ...(filter.source === 'all' ? {} : { is_system_event: filter.source === 'system' }),
  };
  return api.listAuditLogs(query);
}

/** Everything the command palette can jump to in the current organisation and project. */
export interface JumpTargets {
  projects: Project[];
  environments: Environment[];
  features: Feature[];
}

export async function loadJumpTargets(api: ApiClient, organisationId: number | undefined, projectId: number | undefined, environment: Environment | undefined): Promise<JumpTargets> {
  const [projects, environments, features] = await Promise.all([
    organisationId ? api.listProjects(organisationId) : Promise.resolve([]),
    projectId ? api.listEnvironments(projectId) : Promise.resolve([]),
    environment ? api.listFeatures(environment.project, { environmentId: environment.id }) : Promise.resolve([]),
  ]);
  return { projects, environments, features };
}
