import { createHash } from 'node:crypto';
import { beforeCommit, type DbExecutor } from '../../platform/database/database.js';
import { canonicalJson } from '../../platform/security/canonical-json.js';

/**
 * The columns of an audit row that its hash covers. Everything that describes the entry is covered;
 * the chain columns themselves (`prev_hash`, `hash`) are not, except that `prev_hash` is the prefix of
 * the hashed text.
 *
 * This form is part of the stored data: changing it makes every existing chain unverifiable, so it is
 * versioned (`v`) and must only ever be extended by a new version.
 */
export interface AuditChainFields {
  uuid: string;
  organisation_id: number;
  project_id: number | null;
  environment_id: number | null;
  log: string;
  author_user_id: number | null;
  author_api_key_id: number | null;
  related_object_type: string;
  related_object_id: number | null;
  related_object_uuid: string | null;
  is_system_event: boolean | number;
  created_at: string;
  chain_seq: number;
}

/** Hash of the empty chain: the `prev_hash` of an organisation's first entry. */
export const GENESIS_HASH = '0'.repeat(64);

/** `sha256(prev_hash + canonical entry)`, hex. */
export function computeAuditHash(prevHash: string, row: AuditChainFields): string {
  const canonical = canonicalJson({
    v: 1,
    uuid: row.uuid,
    organisation_id: Number(row.organisation_id),
    project_id: row.project_id === null ? null : Number(row.project_id),
    environment_id: row.environment_id === null ? null : Number(row.environment_id),
    log: row.log,
    author_user_id: row.author_user_id === null ? null : Number(row.author_user_id),
    author_api_key_id: row.author_api_key_id === null ? null : Number(row.author_api_key_id),
    related_object_type: row.related_object_type,
    related_object_id: row.related_object_id === null ? null : Number(row.related_object_id),
    related_object_uuid: row.related_object_uuid,
    is_system_event: Boolean(row.is_system_event),
    created_at: row.created_at,
    chain_seq: Number(row.chain_seq),
  });
  return createHash('sha256').update(prevHash).update(canonical).digest('hex');
}

export type AuditRowInput = Omit<AuditChainFields, 'chain_seq'>;

/**
 * Appends one entry to its organisation's hash chain, inside the caller's transaction.
 *
 * Appends are serialised per organisation by the row lock of the `UPDATE organisations … RETURNING`
 * that advances the chain length (held until commit on PostgreSQL; SQLite has one writer anyway), so two
 * concurrent writers can never both link to the same predecessor. The organisation row also keeps the
 * head hash, so removing the newest entries is detected too, not only edits and gaps.
 */
export async function appendAuditRow(trx: DbExecutor, row: AuditRowInput): Promise<{ id: number }> {
  const inserted = await trx
    .insertInto('audit_log')
    .values({ ...row, is_system_event: Boolean(row.is_system_event), chain_seq: null, prev_hash: null, hash: null })
    .returning('id')
    .executeTakeFirstOrThrow();
  // The chain head is the organisation row: lock it last, when the transaction commits (see beforeCommit),
  // so a writer that audits and then bumps an environment cannot deadlock with one doing the reverse.
  // Entries get their place in the order their transactions commit, which is the order readers see them.
  await beforeCommit(trx, async () => {
    const head = await trx
      .updateTable('organisations')
      .set((eb) => ({ audit_chain_length: eb('audit_chain_length', '+', 1) }))
      .where('id', '=', row.organisation_id)
      .returning(['audit_chain_length', 'audit_head_hash'])
      .executeTakeFirst();
    // The organisation was deleted later in this transaction: its entries went with it (FK cascade).
    if (!head) return;
    const chainSeq = Number(head.audit_chain_length);
    const prevHash = head.audit_head_hash ?? GENESIS_HASH;
    const hash = computeAuditHash(prevHash, { ...row, chain_seq: chainSeq });
    await trx.updateTable('audit_log').set({ chain_seq: chainSeq, prev_hash: prevHash, hash }).where('id', '=', inserted.id).execute();
    await trx.updateTable('organisations').set({ audit_head_hash: hash }).where('id', '=', row.organisation_id).execute();
  });
  return { id: inserted.id };
}
