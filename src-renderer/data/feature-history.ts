import type { ApiClient, Environment, Feature, FeatureVersion, OrganisationUser, VersionDiff, VersionState } from './api-client.js';
import { currentLiveVersion } from './feature-editing.js';

/** One row of a feature's History tab. */
export interface HistoryEntry {
  version: FeatureVersion;
  /** Email of the publisher (or creator of a draft); null for API keys and the initial version. */
  author: string | null;
  /** The version's feature states: environment default first, then overrides by priority. */
  states: VersionState[];
  /** The one version serving traffic now. */
  isCurrent: boolean;
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

/** Rolls back: publishes a copy of an earlier version as the newest one. */
export function rollBackToVersion(api: ApiClient, environment: Environment, feature: Pick<Feature, 'id'>, uuid: string): Promise<FeatureVersion> {
  return api.restoreFeatureVersion(environment.id, feature.id, uuid);
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
