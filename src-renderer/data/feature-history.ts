import type { ApiClient, ChangeRequest, Environment, Feature, FeatureVersion, OrganisationUser, VersionDiff, VersionState } from './api-client.js';
import { currentLiveVersion } from './feature-editing.js';
import { changeSetFromDraft } from './change-requests.js';
import type { VersionDoc } from '../../src-shared/contracts/sync/documents.js';
import type { VersionContent } from '../../src-shared/domain/versioning/version-content.js';
import type { VersionNames } from '../../src-shared/domain/versioning/version-diff.js';
import { diffContents, sortVersionsNewestFirst, statesFromContent, versionFromDoc } from '../replica/replica-reads.js';
import { liveVersionOf } from '../../src-shared/domain/versioning/live-version.js';

/** One row of a feature's History tab. */
export interface HistoryEntry {
  version: FeatureVersion;
  /** Email of the publisher (or creator of a draft); null for API keys and the initial version. */
  author: string | null;
  /** The version's feature states: environment default first, then overrides by priority. */
  states: VersionState[];
  /** The one version serving traffic now. */
  isCurrent: boolean;
  /** The version's content when read from the replica: comparisons are then computed locally (offline too). */
  content?: VersionContent;
}

function emailOf(users: OrganisationUser[], id: number | null): string | null {
  if (id === null) return null;
  return users.find((u) => u.id === id)?.email ?? `user ${id}`;
}

/** Versions of a feature in a v2 environment, newest first, with their values and authors. */
export async function loadFeatureHistory(api: ApiClient, environment: Environment, feature: Pick<Feature, 'id'>, organisationId: number): Promise<HistoryEntry[]> {
  const [versions, users] = await Promise.all([
    api.listFeatureVersions(environment.id, feature.id),
    // Members are listed for any member; without the list the history still shows ids.
    api.listOrganisationUsers(organisationId).catch(() => [] as OrganisationUser[]),
  ]);
  const live = currentLiveVersion(versions);
  const states = await Promise.all(versions.map((v) => api.listVersionStates(environment.id, feature.id, v.uuid)));
  return versions.map((version, i) => ({
    version,
    author: emailOf(users, version.published_by ?? version.created_by),
    states: states[i] ?? [],
    isCurrent: version.uuid === live?.uuid,
  }));
}

const usersByApi = new WeakMap<ApiClient, Map<number, Promise<OrganisationUser[]>>>();

/**
 * The organisation's members, asked once per session: the replica has no users, and the History tab only
 * needs their emails. Without an answer (offline, or not allowed) it is empty and authors show as ids;
 * a failed answer is not kept, so the next History tab asks again.
 */
export function loadOrganisationUsersCached(api: ApiClient, organisationId: number): Promise<OrganisationUser[]> {
  let cache = usersByApi.get(api);
  if (!cache) usersByApi.set(api, (cache = new Map()));
  const cached = cache.get(organisationId);
  if (cached) return cached;
  const users = api.listOrganisationUsers(organisationId);
  cache.set(organisationId, users);
  users.catch(() => cache.delete(organisationId));
  return users.catch(() => [] as OrganisationUser[]);
}

/**
 * The History tab from the replica: a feature's published, scheduled and conflicted versions in one
 * environment, newest first (drafts live in their own collection and are not listed). `versions` may hold
 * other features' versions; only `featureId`'s are kept.
 */
export function historyFromVersionDocs(versions: readonly VersionDoc[], featureId: number, users: OrganisationUser[], now: number): HistoryEntry[] {
  const own = sortVersionsNewestFirst(versions.filter((v) => v.featureId === featureId));
  const live = liveVersionOf(own, now);
  return own.map((doc) => {
    const version = versionFromDoc(doc, now);
    return {
      version,
      author: emailOf(users, version.published_by ?? version.created_by),
      states: statesFromContent(doc.content, doc.featureId, doc.environmentId, doc.id),
      isCurrent: doc.id === live?.id,
      content: doc.content,
    };
  });
}

/** Two versions side by side and the changes from the older to the newer. */
export interface VersionComparison {
  older: HistoryEntry;
  newer: HistoryEntry;
  diff: VersionDiff;
}

/** Compares two versions of the history (in either order: the older is the one created first). */
export async function compareVersions(api: ApiClient, environment: Environment, feature: Pick<Feature, 'id'>, a: HistoryEntry, b: HistoryEntry): Promise<VersionComparison> {
  const [older, newer] = a.version.created_at <= b.version.created_at ? [a, b] : [b, a];
  const diff = await api.getFeatureVersionDiff(environment.id, feature.id, newer.version.uuid, older.version.uuid);
  return { older, newer, diff };
}

/**
 * Compares two versions read from the replica without the server (both entries carry their content);
 * null when one of them does not, so the caller asks the server instead.
 */
export function compareVersionsLocally(a: HistoryEntry, b: HistoryEntry, names: VersionNames): VersionComparison | null {
  if (!a.content || !b.content) return null;
  const [older, newer] = a.version.created_at <= b.version.created_at ? [a, b] : [b, a];
  const changes = diffContents(older.content!, newer.content!, names);
  return { older, newer, diff: { version_uuid: newer.version.uuid, against_version_uuid: older.version.uuid, changes } };
}

/** Rolls back: publishes a copy of an earlier version as the newest one. */
export function rollBackToVersion(api: ApiClient, environment: Environment, feature: Pick<Feature, 'id'>, uuid: string): Promise<FeatureVersion> {
  return api.restoreFeatureVersion(environment.id, feature.id, uuid);
}

/**
 * Cancels a scheduled version before its time: DELETE of the version (Flagsmith answers 204 and the
 * schedule is gone; the server records the cancellation in the audit log).
 */
export function cancelScheduledVersion(api: ApiClient, environment: Pick<Environment, 'id'>, feature: Pick<Feature, 'id'>, uuid: string): Promise<void> {
  return api.deleteFeatureVersion(environment.id, feature.id, uuid);
}

/**
 * Rolling back on an environment that requires approvals (issue 12 §2): a change request whose change set
 * turns the live states into the chosen version's, instead of publishing it directly.
 */
export function requestRollBack(api: ApiClient, environment: Pick<Environment, 'api_key'>, feature: Pick<Feature, 'id' | 'name'>, target: HistoryEntry, live: HistoryEntry | undefined, label: string): Promise<ChangeRequest> {
  return api.createChangeRequest(environment.api_key, {
    title: `Roll back ${feature.name} to the version of ${label}`,
    change_sets: [changeSetFromDraft(feature.id, live?.states ?? [], target.states, null)],
  });
}

/** A draft's changes against the version it was made from. */
export function loadDraftDiff(api: ApiClient, environment: Environment, feature: Pick<Feature, 'id'>, draft: FeatureVersion): Promise<VersionDiff> {
  return api.getFeatureVersionDiff(environment.id, feature.id, draft.uuid);
}

/** Publishes a draft now, or schedules it when `liveFrom` (ISO-8601) is given. */
export function publishDraft(api: ApiClient, environment: Environment, feature: Pick<Feature, 'id'>, draft: FeatureVersion, liveFrom?: string): Promise<FeatureVersion> {
  return api.publishFeatureVersion(environment.id, feature.id, draft.uuid, liveFrom);
}

export function discardDraft(api: ApiClient, environment: Environment, feature: Pick<Feature, 'id'>, draft: FeatureVersion): Promise<void> {
  return api.deleteFeatureVersion(environment.id, feature.id, draft.uuid);
}

/** What the draft panel shows: the draft's changes and both sides' states. */
export interface DraftReview {
  diff: VersionDiff;
  live: VersionState[];
  draft: VersionState[];
}

export async function loadDraftReview(api: ApiClient, environment: Environment, feature: Pick<Feature, 'id'>, draft: FeatureVersion): Promise<DraftReview> {
  const [diff, draftStates] = await Promise.all([loadDraftDiff(api, environment, feature, draft), api.listVersionStates(environment.id, feature.id, draft.uuid)]);
  const against = diff.against_version_uuid;
  const live = against ? await api.listVersionStates(environment.id, feature.id, against) : [];
  return { diff, live, draft: draftStates };
}
