import type { TObject } from '@sinclair/typebox';
import { ChangeRequestDocSchema, DraftDocSchema, EnvironmentDocSchema, FeatureDocSchema, IntentDocSchema, OrganisationDocSchema, ProjectDocSchema, SegmentDocSchema, VersionDocSchema } from './documents.js';

/**
 * The replicated collections (D5, D6): at most 10 in the replica, since the free RxDB build opens at most
 * 13 collections per process. RxDB collection names are lowercase (`change_requests`).
 */
export const SYNC_COLLECTION_NAMES = ['organisations', 'projects', 'environments', 'features', 'segments', 'versions', 'drafts', 'change_requests', 'intents'] as const;
export type SyncCollectionName = (typeof SYNC_COLLECTION_NAMES)[number];

/** Collections a replica writes to; the others are pull only. */
export const PUSHABLE_COLLECTIONS = ['drafts', 'intents'] as const;
export type PushableCollectionName = (typeof PUSHABLE_COLLECTIONS)[number];

export interface SyncCollectionDefinition {
  schema: TObject;
  /** RxDB indexes (each field required; see `toRxJsonSchema`). */
  indexes: (string | string[])[];
}

export const SYNC_COLLECTIONS: Record<SyncCollectionName, SyncCollectionDefinition> = {
  organisations: { schema: OrganisationDocSchema, indexes: [] },
  projects: { schema: ProjectDocSchema, indexes: ['organisationId'] },
  environments: { schema: EnvironmentDocSchema, indexes: ['projectId'] },
  features: { schema: FeatureDocSchema, indexes: ['projectId'] },
  segments: { schema: SegmentDocSchema, indexes: ['projectId'] },
  versions: { schema: VersionDocSchema, indexes: [['environmentId', 'featureId']] },
  drafts: { schema: DraftDocSchema, indexes: [['environmentId', 'featureId']] },
  change_requests: { schema: ChangeRequestDocSchema, indexes: ['environmentId'] },
  intents: { schema: IntentDocSchema, indexes: ['environmentId'] },
};

export function isPushable(name: SyncCollectionName): name is PushableCollectionName {
  return (PUSHABLE_COLLECTIONS as readonly string[]).includes(name);
}
