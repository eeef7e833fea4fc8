import type { DbExecutor } from '../../platform/database/database.js';
import type { TypedValueColumns } from '../../../src-shared/domain/flags/feature-state-value.rules.js';

export interface IdentityRecord {
  id: number;
  uuid: string;
  identifier: string;
  environmentId: number;
  createdAt: string;
}

export interface TraitRecord {
  id: number;
  identityId: number;
  traitKey: string;
  /** The value as stored (`traits.value_json`); decode with `decodeTraitValue`. */
  valueJson: string;
  createdAt: string;
}

export interface OverrideMultivariateValue {
  id: number;
  optionId: number;
  percentageAllocation: number;
}

/** An identity override: a `feature_states` row with `identity_id` set. */
export interface IdentityOverrideRecord {
  id: number;
  uuid: string;
  featureId: number;
  environmentId: number;
  identityId: number;
  identityUuid: string;
  identifier: string;
  enabled: boolean;
  value: TypedValueColumns;
  version: number | null;
  liveFrom: string | null;
  createdAt: string;
  updatedAt: string;
  multivariateValues: OverrideMultivariateValue[];
}

export interface IdentitySearch {
  /** Substring of the identifier, case-insensitive. */
  contains?: string | undefined;
  /** The exact identifier (a quoted `q`). */
  exact?: string | undefined;
}

/**
 * Port of the identities, traits and identity-override (`feature_states.identity_id`) tables. Methods take
 * the executor, so services read and write in their transaction. Lookups of one row are scoped by their
 * parent (environment, identity): a row of another parent is absent.
 */
export interface IdentitiesStore {
  findIdentity(ex: DbExecutor, environmentId: number, id: number): Promise<IdentityRecord | undefined>;
  findIdentityByIdentifier(ex: DbExecutor, environmentId: number, identifier: string): Promise<IdentityRecord | undefined>;
  /** Oldest first (created, then id), as Flagsmith orders them for stable pages. */
  listIdentities(ex: DbExecutor, environmentId: number, search: IdentitySearch, page: { offset: number; limit: number }): Promise<{ total: number; items: IdentityRecord[] }>;
  insertIdentity(ex: DbExecutor, identity: Omit<IdentityRecord, 'id'>): Promise<number>;
  /** Deletes the identity; its traits and overrides go with it (FK cascades). */
  deleteIdentity(ex: DbExecutor, id: number): Promise<void>;
  /** Takes the identity's row lock until the transaction ends, so concurrent override writes serialise. */
  lockIdentity(ex: DbExecutor, id: number): Promise<void>;
  /** Number of overrides the identity has. */
  countOverrides(ex: DbExecutor, identityId: number): Promise<number>;

  /** Traits of an identity by id. */
  listTraits(ex: DbExecutor, identityId: number): Promise<TraitRecord[]>;
  findTrait(ex: DbExecutor, identityId: number, id: number): Promise<TraitRecord | undefined>;
  findTraitByKey(ex: DbExecutor, identityId: number, traitKey: string): Promise<TraitRecord | undefined>;
  insertTrait(ex: DbExecutor, trait: Omit<TraitRecord, 'id'>): Promise<number>;
  updateTrait(ex: DbExecutor, id: number, patch: { traitKey?: string | undefined; valueJson?: string | undefined }): Promise<void>;
  deleteTrait(ex: DbExecutor, id: number): Promise<void>;
  /** Deletes the traits with this key from every identity of the environment; returns how many. */
  deleteTraitsByKey(ex: DbExecutor, environmentId: number, traitKey: string): Promise<number>;

  /** Overrides of an identity, by feature id. */
  listOverrides(ex: DbExecutor, identityId: number, filter: { featureId?: number | undefined }): Promise<IdentityOverrideRecord[]>;
  /** Every identity override of an environment, by identity then feature (for the environment document). */
  listOverridesOfEnvironment(ex: DbExecutor, environmentId: number): Promise<IdentityOverrideRecord[]>;
  findOverride(ex: DbExecutor, identityId: number, id: number): Promise<IdentityOverrideRecord | undefined>;
  findOverrideByFeature(ex: DbExecutor, identityId: number, featureId: number): Promise<IdentityOverrideRecord | undefined>;
  insertOverride(
    ex: DbExecutor,
    row: { uuid: string; featureId: number; environmentId: number; identityId: number; enabled: boolean; value: TypedValueColumns; createdAt: string },
  ): Promise<number>;
  updateOverride(ex: DbExecutor, id: number, patch: { enabled?: boolean | undefined; value?: TypedValueColumns | undefined; updatedAt: string }): Promise<void>;
  deleteOverride(ex: DbExecutor, id: number): Promise<void>;
}
