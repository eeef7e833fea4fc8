import type { DbExecutor } from '../../platform/database/database.js';
import type { OrganisationRole } from '../../../src-shared/domain/permissions/permissions.js';

export interface OrganisationRecord {
  id: number;
  uuid: string;
  name: string;
  persistTraitData: boolean;
  stopServingFlags: boolean;
  planName: string;
  maxSegmentOverridesPerEnvironment: number;
  /** null: unlimited. */
  featureHistoryVisibilityDays: number | null;
  createdAt: string;
}

export interface NewOrganisation {
  uuid: string;
  name: string;
  persistTraitData: boolean;
  createdAt: string;
}

/** Writable settings; `undefined` leaves a field as it is. */
export interface OrganisationPatch {
  name?: string | undefined;
  persistTraitData?: boolean | undefined;
  planName?: string | undefined;
  maxSegmentOverridesPerEnvironment?: number | undefined;
  featureHistoryVisibilityDays?: number | null | undefined;
}

export interface MemberRecord {
  userId: number;
  uuid: string;
  email: string;
  firstName: string;
  lastName: string;
  role: OrganisationRole;
  joinedAt: string;
}

export interface NewUser {
  uuid: string;
  /** Lower-cased. */
  email: string;
  firstName: string;
  lastName: string;
  passwordHash: string;
  createdAt: string;
}

export interface OrganisationApiKeyRecord {
  id: number;
  organisationId: number;
  name: string;
  prefix: string;
  isAdmin: boolean;
  revoked: boolean;
  createdAt: string;
  expiresAt: string | null;
}

export interface NewOrganisationApiKey {
  organisationId: number;
  name: string;
  prefix: string;
  /** SHA-256 of the full key; the key itself is never stored. */
  keyHash: string;
  isAdmin: boolean;
  createdAt: string;
  expiresAt: string | null;
}

/**
 * Port of the organisation tables: organisations, their members (users + organisation_users) and
 * organisation API keys. Every method takes the executor to run on, so a service reads and writes
 * inside its command's transaction.
 */
export interface OrganisationsStore {
  /** Organisations among `ids`, by id, one page. */
  listByIds(ex: DbExecutor, ids: readonly number[], page: { offset: number; limit: number }): Promise<{ total: number; items: OrganisationRecord[] }>;
  find(ex: DbExecutor, id: number): Promise<OrganisationRecord | undefined>;
  insert(ex: DbExecutor, org: NewOrganisation): Promise<number>;
  update(ex: DbExecutor, id: number, patch: OrganisationPatch): Promise<void>;
  /** Deletes the organisation; its projects, environments, flags, members and keys go with it (FK cascades). */
  delete(ex: DbExecutor, id: number): Promise<void>;
  projectIds(ex: DbExecutor, organisationId: number): Promise<number[]>;

  listMembers(ex: DbExecutor, organisationId: number): Promise<MemberRecord[]>;
  findMember(ex: DbExecutor, organisationId: number, userId: number): Promise<MemberRecord | undefined>;
  countAdmins(ex: DbExecutor, organisationId: number): Promise<number>;
  /**
   * Locks the organisation row until the transaction ends, so two concurrent role changes or removals
   * cannot both pass the "keeps an admin" check (PostgreSQL row lock; SQLite serialises writers anyway).
   */
  lockMembership(ex: DbExecutor, organisationId: number): Promise<void>;
  findUserIdByEmail(ex: DbExecutor, email: string): Promise<number | undefined>;
  insertUser(ex: DbExecutor, user: NewUser): Promise<number>;
  addMember(ex: DbExecutor, organisationId: number, userId: number, role: OrganisationRole, createdAt: string): Promise<void>;
  setRole(ex: DbExecutor, organisationId: number, userId: number, role: OrganisationRole): Promise<void>;
  /** Removes the membership and the user's project and environment grants inside the organisation. */
  removeMember(ex: DbExecutor, organisationId: number, userId: number): Promise<void>;

  listApiKeys(ex: DbExecutor, organisationId: number, page: { offset: number; limit: number }): Promise<{ total: number; items: OrganisationApiKeyRecord[] }>;
  insertApiKey(ex: DbExecutor, key: NewOrganisationApiKey): Promise<OrganisationApiKeyRecord>;
  /** A key that is not revoked, by prefix. */
  findActiveApiKey(ex: DbExecutor, organisationId: number, prefix: string): Promise<OrganisationApiKeyRecord | undefined>;
  revokeApiKey(ex: DbExecutor, id: number): Promise<void>;
}
