import type { VersionChangeWire } from '../../../src-shared/contracts/http/versions.contract.js';
import type { VersionChange } from '../../../src-shared/domain/versioning/version-diff.js';

/**
 * One change of a version diff in its wire shape (ids as numbers, `from`/`to` filled for every kind), with
 * its readable sentence. Shared by every endpoint that shows a diff: versions, change requests and
 * release-pipeline promotions.
 */
export function changeToWire(c: VersionChange, sentence: string): VersionChangeWire {
  const segment_id = c.segmentId === null ? null : Number(c.segmentId);
  switch (c.kind) {
    case 'weight':
      return { kind: c.kind, segment_id, option_id: Number(c.optionId), from: c.from, to: c.to, sentence };
    case 'override-added':
      return { kind: c.kind, segment_id, option_id: null, from: null, to: c.override, sentence };
    case 'override-removed':
      return { kind: c.kind, segment_id, option_id: null, from: c.override, to: null, sentence };
    default:
      return { kind: c.kind, segment_id, option_id: null, from: c.from, to: c.to, sentence };
  }
}
