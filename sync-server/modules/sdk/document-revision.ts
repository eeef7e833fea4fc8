import { sql } from 'kysely';
import type { DbExecutor } from '../../platform/database/database.js';

/** Which environment documents a write changes. */
export type DocumentScope = { environmentId: number } | { projectId: number };

/**
 * Marks environment documents stale. Call it inside the transaction of every write that changes what
 * the SDK endpoints serve (features, segments, overrides, identities, environment or project settings);
 * the SDK module compares revisions to know when to rebuild its cached document, also across server
 * instances sharing one database.
 */
export async function bumpDocumentRevision(trx: DbExecutor, scope: DocumentScope): Promise<void> {
  const q = trx.updateTable('environments').set({ document_revision: sql`document_revision + 1` });
  await ('environmentId' in scope ? q.where('id', '=', scope.environmentId) : q.where('project_id', '=', scope.projectId)).execute();
}
