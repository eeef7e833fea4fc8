import type { DbExecutor } from '../../platform/database/database.js';
import type { TypedValueColumns } from '../../../src-shared/domain/flags/feature-state-value.rules.js';

export interface EnvironmentRecord {
  id: number;
  uuid: string;
  projectId: number;
  name: string;
  description: string | null;
  apiKey: string;
  useV2FeatureVersioning: boolean;
  minimumChangeRequestApprovals: number | null;
  allowClientTraits: boolean;
  hideDisabledFlags: boolean | null;
  documentRevision: number;
  createdAt: string;
  updatedAt: string;
}

export type NewEnvironment = Omit<EnvironmentRecord, 'id' | 'useV2FeatureVersioning' | 'documentRevision'>;

/** Writable settings; `undefined` leaves a field as it is. */
export interface EnvironmentPatch {
  name?: string | undefined;
  description?: string | null | undefined;
  allowClientTraits?: boolean | undefined;
  hideDisabledFlags?: boolean | null | undefined;
  minimumChangeRequestApprovals?: number | null | undefined;
  updatedAt: string;
}

/** What creating an environment needs to know about a feature to give it an environment default. */
export interface FeatureSeed {
  id: number;
  initialValue: string | null;
  defaultEnabled: boolean;
  multivariateOptions: { id: number; defaultPercentageAllocation: number }[];
}

export interface NewDefaultFeatureState {
  uuid: string;
  featureId: number;
  environmentId: number;
  enabled: boolean;
  value: TypedValueColumns;
  createdAt: string;
  /** One row per multivariate option, with its default allocation. */
  multivariateValues: { uuid: string; optionId: number; percentageAllocation: number }[];
}

export interface EnvironmentApiKeyRecord {
  id: number;
  environmentId: number;
  name: string;
  prefix: string;
  active: boolean;
  createdAt: string;
  expiresAt: string | null;
}

/**
 * Port of the environment tables: environments, their server-side keys, and the environment-default
 * feature states written when an environment is created. Methods take the executor, so services read
 * and write inside their transaction.
 */
export interface EnvironmentsStore {
  find(ex: DbExecutor, id: number): Promise<EnvironmentRecord | undefined>;
  findByApiKey(ex: DbExecutor, apiKey: string): Promise<EnvironmentRecord | undefined>;
  /** Environments of projects of these organisations, by id; optionally of one project. */
  listInOrganisations(ex: DbExecutor, organisationIds: readonly number[], filter: { projectId?: number | undefined }): Promise<EnvironmentRecord[]>;
  idsOfProject(ex: DbExecutor, projectId: number): Promise<number[]>;
  insert(ex: DbExecutor, env: NewEnvironment): Promise<number>;
  update(ex: DbExecutor, id: number, patch: EnvironmentPatch): Promise<void>;
  /** Deletes the environment; its feature states, identities, keys and grants go with it (FK cascades). */
  delete(ex: DbExecutor, id: number): Promise<void>;

  featureSeeds(ex: DbExecutor, projectId: number): Promise<FeatureSeed[]>;
  insertDefaultFeatureState(ex: DbExecutor, state: NewDefaultFeatureState): Promise<void>;

  listApiKeys(ex: DbExecutor, environmentId: number): Promise<EnvironmentApiKeyRecord[]>;
  findApiKey(ex: DbExecutor, environmentId: number, id: number): Promise<EnvironmentApiKeyRecord | undefined>;
  /** `keyHash` is the SHA-256 of the full key; the key itself is never stored. */
  insertApiKey(ex: DbExecutor, key: Omit<EnvironmentApiKeyRecord, 'id'> & { keyHash: string }): Promise<number>;
  updateApiKey(ex: DbExecutor, id: number, patch: { name?: string | undefined; active?: boolean | undefined; expiresAt?: string | null | undefined }): Promise<void>;
  deleteApiKey(ex: DbExecutor, id: number): Promise<void>;
}
