import type { DbExecutor } from '../../platform/database/database.js';
import type { AuditLogWire } from '../../../src-shared/contracts/http/audit.contract.js';
import type { AuditChainFields } from './audit-chain.js';

/** Which entries a listing may return and which it should. */
export interface AuditFilter {
  /** Entries the caller may read: whole organisations (admin) or single projects (VIEW_AUDIT_LOG). */
  readable: { organisationIds: number[]; projectIds: number[] };
  projectId?: number;
  environmentIds?: number[];
  isSystemEvent?: boolean;
  search?: string;
  /** ISO timestamps: `from` inclusive, `to` exclusive. */
  from?: string;
  to?: string;
}

export interface StoredChainRow extends AuditChainFields {
  id: number;
  prev_hash: string | null;
  hash: string | null;
}

/** Storage of the audit log. Appends go through `appendAuditRow` (audit-chain.ts), never around it. */
export interface AuditStore {
  projectOfEnvironment(trx: DbExecutor, environmentId: number): Promise<number | undefined>;
  /** One entry in the API shape, inside a transaction (for AUDIT_LOG_CREATED) or not. */
  entryWire(ex: DbExecutor | undefined, id: number): Promise<(AuditLogWire & { organisationId: number; projectId: number | null }) | undefined>;
  list(filter: AuditFilter, page: { offset: number; limit: number }): Promise<{ total: number; items: AuditLogWire[] }>;
  projectIdsOfOrganisation(organisationId: number): Promise<number[]>;
  chainHead(organisationId: number): Promise<{ length: number; headHash: string | null } | undefined>;
  /** Chained entries with `chain_seq` greater than `afterSeq`, in chain order. */
  chainRows(organisationId: number, afterSeq: number, limit: number): Promise<StoredChainRow[]>;
  /** The first entry of the organisation that is outside the chain (written around it), if any. */
  firstUnchained(organisationId: number): Promise<{ id: number } | undefined>;
}
