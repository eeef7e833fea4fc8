import { getRxStorageMemory } from 'rxdb/plugins/storage-memory';
import type { AppServices } from '../../../src-renderer/app/app-services.js';
import { createReplicaDatabase, type ReplicaDatabase } from '../../../src-renderer/replica/replica-db.js';
import type { Replica } from '../../../src-renderer/replica/replica.js';
import { createSyncStatusStore, type SyncStatus, type SyncStatusStore } from '../../../src-renderer/replica/sync-status.js';
import type { ChangeRequestDoc, EnvironmentDoc, FeatureDoc, OrganisationDoc, ProjectDoc, SegmentDoc, VersionDoc } from '../../../src-shared/contracts/sync/documents.js';
import type { VersionContent } from '../../../src-shared/domain/versioning/version-content.js';

/*
 * A replica for component tests: a real RxDB database on memory storage holding the documents given, in
 * a minimal `Replica` (no replication: tests write documents as replication would) put into the app's
 * replica slot. Close it after each test (`await replica.close()`): the free RxDB build opens at most 13
 * collections per file and the replica has 9.
 */

const created = '2026-11-01T00:00:00.000Z';

export const organisationDoc = (pk: number, name: string): OrganisationDoc => ({
  id: `org-${pk}`, seq: 1, pk, name, planName: 'free', persistTraitData: true, stopServingFlags: false, maxSegmentOverridesPerEnvironment: 100, featureHistoryVisibilityDays: null, createdAt: created,
});
export const projectDoc = (pk: number, organisationId: number, name: string): ProjectDoc => ({ id: `p-${pk}`, seq: 1, pk, organisationId, name, hideDisabledFlags: false, createdAt: created });
export const environmentDoc = (pk: number, projectId: number, name: string, isVersioned = false): EnvironmentDoc => ({
  id: `e-${pk}`, seq: 1, pk, organisationId: 1, projectId, name, description: null, apiKey: `key-${name.toLowerCase()}`, useV2FeatureVersioning: isVersioned,
  versioningStatus: isVersioned ? 'v2' : 'v1', versioningProgress: null, minimumChangeRequestApprovals: null, allowClientTraits: true, hideDisabledFlags: null, createdAt: created, updatedAt: created,
});
export const featureDoc = (pk: number, projectId: number, name: string, createdAt = created): FeatureDoc => ({
  id: `f-${pk}`, seq: 1, pk, organisationId: 1, projectId, name, type: 'STANDARD', initialValue: null, defaultEnabled: false, description: null, isArchived: false, isServerKeyOnly: false, createdAt, multivariateOptions: [],
});
export const segmentDoc = (pk: number, projectId: number, name: string): SegmentDoc => ({
  id: `s-${pk}`, seq: 1, pk, organisationId: 1, projectId, featureId: null, name, description: null, rules: [], createdAt: created, updatedAt: created,
});

export const text = (s: string) => ({ type: 'unicode' as const, string_value: s, integer_value: null, boolean_value: null });
/** A version content: the environment default, and overrides by segment id in priority order. */
export function content(enabled: boolean, value: string, overrides: Record<string, { enabled: boolean; value: string }> = {}): VersionContent {
  return {
    environmentDefault: { enabled, value: text(value), multivariateWeights: {} },
    segmentOverrides: Object.fromEntries(Object.entries(overrides).map(([id, o], priority) => [id, { enabled: o.enabled, value: text(o.value), multivariateWeights: {}, priority }])),
  };
}

/** A version of `featureId` in environment `environmentId`, published and live from `liveFrom` unless told otherwise. */
export function versionDoc(
  id: string,
  scope: { environmentId: number; featureId: number },
  versionContent: VersionContent,
  options: Partial<Pick<VersionDoc, 'status' | 'liveFrom' | 'liveSeq' | 'publishedByUserId' | 'createdByUserId' | 'createdAt' | 'description'>> = {},
): VersionDoc {
  const liveFrom = options.liveFrom === undefined ? created : options.liveFrom;
  const status = options.status ?? 'published';
  return {
    id, seq: 1, organisationId: 1, projectId: 10, environmentId: scope.environmentId, featureId: scope.featureId, status, description: options.description ?? null,
    content: versionContent, contentHash: id, baseVersionUuid: null, previousVersionUuid: null, conflicts: null, liveFrom,
    liveSeq: options.liveSeq ?? (status === 'published' ? 1 : null), publishedAt: status === 'conflict' ? null : liveFrom,
    publishedByUserId: options.publishedByUserId === undefined ? 1 : options.publishedByUserId, createdByUserId: options.createdByUserId === undefined ? 1 : options.createdByUserId,
    createdAt: options.createdAt ?? liveFrom ?? created, updatedAt: options.createdAt ?? liveFrom ?? created,
  };
}

export function changeRequestDoc(pk: number, environmentId: number, title: string, createdAt: string, status: ChangeRequestDoc['changeRequest']['status'] = 'open'): ChangeRequestDoc {
  return {
    id: `cr-${pk}`, seq: 1, pk, organisationId: 1, projectId: 10, environmentId,
    changeRequest: {
      id: pk, uuid: `cr-${pk}`, title, description: null, user: 1, environment: environmentId, project: 10, created_at: createdAt, updated_at: createdAt, committed_at: null,
      committed_by: null, deleted_at: null, is_committed: false, is_approved: false, status, required_approvals: 1, current_approvals: 0, content_hash: 'h', approvals: [],
      feature_states: [], change_sets: [], environment_feature_versions: [],
    },
  };
}

export interface ReplicaSeed {
  organisations?: OrganisationDoc[];
  projects?: ProjectDoc[];
  environments?: EnvironmentDoc[];
  features?: FeatureDoc[];
  segments?: SegmentDoc[];
  versions?: VersionDoc[];
  change_requests?: ChangeRequestDoc[];
}

/** The replica of the standard fake data (fixtures.tsx makeData): Acme → Storefront → Development (v1), Production (v2). */
export function standardSeed(): Required<Pick<ReplicaSeed, 'organisations' | 'projects' | 'environments' | 'features' | 'segments'>> {
  return {
    organisations: [organisationDoc(1, 'Acme')],
    projects: [projectDoc(10, 1, 'Storefront')],
    environments: [environmentDoc(100, 10, 'Development'), environmentDoc(101, 10, 'Production', true)],
    features: [featureDoc(1000, 10, 'checkout_banner'), featureDoc(1001, 10, 'dark_mode')],
    segments: [segmentDoc(7, 10, 'beta_users'), segmentDoc(8, 10, 'enterprise')],
  };
}

export interface TestReplica extends Replica {
  status: SyncStatusStore;
}

/** Opens a memory replica with `seed`, marked as replicated and online unless `status` says otherwise. */
export async function openTestReplica(seed: ReplicaSeed, status: Partial<SyncStatus> = {}): Promise<TestReplica> {
  const db: ReplicaDatabase = await createReplicaDatabase({ name: `replica${Math.random().toString(36).slice(2)}`, storage: getRxStorageMemory() });
  for (const [name, docs] of Object.entries(seed)) {
    if (docs && docs.length > 0) await db[name as keyof ReplicaSeed].bulkInsert(docs as never[]);
  }
  const store = createSyncStatusStore();
  store.setState({ connection: 'online', initial: { done: 9, total: 9, finished: true }, lastSyncedAt: created, ...status });
  return {
    db,
    status: store,
    userId: 1,
    awaitInitialReplication: () => Promise.resolve(),
    awaitInSync: () => Promise.resolve(),
    reSync: () => undefined,
    close: () => db.close().then(() => undefined),
  };
}

/** Opens a test replica and puts it into the services' replica slot (what sign-in does with the real one). */
export async function withReplica(services: AppServices, seed: ReplicaSeed, status: Partial<SyncStatus> = {}): Promise<TestReplica> {
  const replica = await openTestReplica(seed, status);
  services.replicaSlot.setState({ replica });
  return replica;
}
