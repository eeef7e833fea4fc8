import type { DbExecutor } from '../../platform/database/database.js';
import type { TypedValueColumns } from '../../../src-shared/domain/flags/feature-state-value.rules.js';

/** What every SDK request checks first: cheap, one query on indexed rows. */
export interface DocumentRevision {
  revision: number;
  /** The organisation's switch; read on every request because no write path bumps revisions for it. */
  stopServingFlags: boolean;
  /** The keys the environment accepts right now, to check the caller's (remembered) key against. */
  clientKey: string;
  /** `key_hash` → `expires_at` of each active server-side key. */
  serverKeys: Map<string, string | null>;
}

export interface DocumentEnvironmentRow {
  id: number;
  uuid: string;
  apiKey: string;
  name: string;
  allowClientTraits: boolean;
  /** null: the project decides. */
  hideDisabledFlags: boolean | null;
  revision: number;
  updatedAt: string;
  projectId: number;
  projectName: string;
  projectHideDisabledFlags: boolean;
  organisationId: number;
  organisationName: string;
  stopServingFlags: boolean;
  persistTraitData: boolean;
}

export interface DocumentFeatureRow {
  id: number;
  name: string;
  type: 'STANDARD' | 'MULTIVARIATE';
  initialValue: string | null;
  defaultEnabled: boolean;
  description: string | null;
  isServerKeyOnly: boolean;
  createdAt: string;
}

export interface DocumentSegmentRow {
  id: number;
  name: string;
  /** `segments.rules_json`, the Admin API's rule tree. */
  rulesJson: string;
}

export interface DocumentFeatureSegmentRow {
  id: number;
  featureId: number;
  segmentId: number;
  priority: number;
  environmentFeatureVersionUuid: string | null;
}

export interface DocumentFeatureStateRow {
  id: number;
  uuid: string;
  featureId: number;
  identityId: number | null;
  featureSegmentId: number | null;
  enabled: boolean;
  value: TypedValueColumns;
  version: number | null;
  liveFrom: string | null;
  environmentFeatureVersionUuid: string | null;
  /** The lineage's multivariate bucketing seed (ADR 0009); null for identity overrides and old fixtures. */
  bucketingSeed: number | null;
}

export interface DocumentMultivariateValueRow {
  id: number;
  uuid: string;
  featureStateId: number;
  optionId: number;
  percentageAllocation: number;
  /** The option's typed value (`multivariate_options`). */
  optionValue: TypedValueColumns;
}

export interface DocumentIdentityRow {
  id: number;
  uuid: string;
  identifier: string;
  createdAt: string;
}

export interface DocumentTraitRow {
  identityId: number;
  traitKey: string;
  valueJson: string;
}

/** Every row an environment document is built from. */
export interface DocumentSource {
  environment: DocumentEnvironmentRow;
  features: DocumentFeatureRow[];
  segments: DocumentSegmentRow[];
  featureSegments: DocumentFeatureSegmentRow[];
  /** Every feature state of the environment (defaults, segment and identity overrides), live or not. */
  featureStates: DocumentFeatureStateRow[];
  multivariateValues: DocumentMultivariateValueRow[];
  /** Identities of the environment that have at least one override, with their traits. */
  identities: DocumentIdentityRow[];
  traits: DocumentTraitRow[];
  /** v2: the uuid of each feature's live version at the time read (ADR 0005); empty on v1. */
  liveVersionUuids: string[];
  /** v2: the earliest `live_from` after that time among published versions, or null. */
  nextVersionLiveFrom: string | null;
}

/**
 * Read side of the SDK module. It reads the flag-model tables of other modules directly (and only
 * reads): the environment document needs all of them at once, in a handful of queries, and the owning
 * modules bump `environments.document_revision` whenever they change what it shows.
 */
export interface SdkStore {
  /** The environment's document revision, its organisation's `stop_serving_flags` and its keys; undefined when it is gone. */
  readRevision(ex: DbExecutor, environmentId: number): Promise<DocumentRevision | undefined>;
  /** Everything the document is built from at `now`; call it inside one read transaction for a consistent view. */
  readDocumentSource(ex: DbExecutor, environmentId: number, now: string): Promise<DocumentSource | undefined>;
}
