import * as Y from 'yjs';
import type { RxConflictHandler, WithDeleted } from 'rxdb';
import type { DraftDoc, VersionDoc } from '../../src-shared/contracts/sync/documents.js';
import { readDraftDoc } from '../../src-shared/domain/versioning/draft-doc.js';
import { mergeVersionContent, type MergeConflict, type MergeResult } from '../../src-shared/domain/versioning/three-way-merge.js';
import type { VersionContent } from '../../src-shared/domain/versioning/version-content.js';
import type { VersionConflict } from '../data/api-client.js';
import { base64ToBytes, bytesToBase64 } from './base64.js';
import { decodeDraftState } from './local-drafts.js';

/*
 * Two kinds of draft conflicts. (1) Replication: the server answers a push with a master state this
 * replica had not seen (another admin's edit merged in, or an edit made here while a push was in flight).
 * Both are Yjs states, so the handler merges them: nothing typed on either side is lost, and two replicas
 * converge. (2) Staleness: a newer version went live since the draft's base; a three-way merge on the
 * client (D8) tells whether publishing would conflict, offline too.
 */

function isSameError(a: DraftDoc['error'] | undefined, b: DraftDoc['error'] | undefined): boolean {
  return (a?.code ?? null) === (b?.code ?? null) && (a?.message ?? null) === (b?.message ?? null);
}

/** The Yjs state holding both updates, in a canonical encoding (equal documents encode equal). */
export function mergeDraftStates(a: string, b: string): string {
  const doc = new Y.Doc();
  Y.applyUpdate(doc, Y.mergeUpdates([base64ToBytes(a), base64ToBytes(b)]));
  return bytesToBase64(Y.encodeStateAsUpdate(doc));
}

function canonicalState(state: string): string {
  return bytesToBase64(Y.encodeStateAsUpdate(decodeDraftState(state)));
}

export const draftConflictHandler: RxConflictHandler<DraftDoc> = {
  isEqual(a, b) {
    // Fields the server may set on its own (a base filled in, a description from the API) count too, so
    // a pull that changes only them is written here.
    return (
      a._deleted === b._deleted &&
      a.state === b.state &&
      isSameError(a.error, b.error) &&
      (a.baseVersionUuid ?? null) === (b.baseVersionUuid ?? null) &&
      (a.description ?? null) === (b.description ?? null)
    );
  },
  async resolve({ realMasterState: master, newDocumentState: mine }) {
    if (mine._deleted) return master;
    // Refused by the server (published meanwhile, a segment it names is gone, no permission): the edits
    // made here are kept, with the refusal on the draft for the user to see. They are not pushed again
    // until the user edits the draft (replication.ts), and can be kept as a new draft (local-drafts.ts).
    if (master.error) return { ...mine, _deleted: false, seq: master.seq, error: master.error };
    // Deleted on the server without a word (discarded, or published and pulled): the server's answer stands.
    if (master._deleted) return master;
    const merged = mergeDraftStates(master.state, mine.state);
    // Nothing of mine is missing from the master: take it as it is (no push back).
    if (merged === canonicalState(master.state)) return master;
    let content: VersionContent;
    try {
      content = readDraftDoc(decodeDraftState(merged));
    } catch {
      return master;
    }
    const resolved: WithDeleted<DraftDoc> = { ...master, state: merged, content, updatedAt: mine.updatedAt > master.updatedAt ? mine.updatedAt : master.updatedAt };
    return resolved;
  },
};

/** A merge conflict in the Admin API's shape, which the conflict view shows. */
export function conflictForView(conflict: MergeConflict): VersionConflict {
  return {
    path: conflict.path,
    field: conflict.field,
    segment_id: conflict.segmentId === null ? null : Number(conflict.segmentId),
    option_id: conflict.field === 'weight' ? Number(conflict.optionId) : null,
    base: conflict.base,
    live: conflict.live,
    mine: conflict.mine,
  } as VersionConflict;
}

export interface StaleDraft {
  live: VersionDoc | null;
  /** base → live merged with base → draft. */
  merge: MergeResult;
}

/**
 * The three-way merge of a stale draft (null when it still starts from what is live). A base no longer
 * in the replica counts as the live version: the draft's content then simply wins.
 */
export function mergeStaleDraft(draft: DraftDoc, versions: readonly VersionDoc[], live: VersionDoc | null): StaleDraft | null {
  if ((draft.baseVersionUuid ?? null) === (live?.id ?? null) || !live) return null;
  const base = versions.find((v) => v.id === draft.baseVersionUuid)?.content ?? live.content;
  return { live, merge: mergeVersionContent(base, live.content, draft.content) };
}
