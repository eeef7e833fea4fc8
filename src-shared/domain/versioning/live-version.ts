/*
 * Which version of a feature serves traffic, one rule for the server's `is_live` and the replica's
 * screens. A version is live once it is published and its live_from has passed (older published
 * versions stay "live" in that sense, as Flagsmith's `is_live` says); the one serving now is the live
 * version with the greatest live_from, ties broken by the later go-live (`liveSeq`). Scheduled versions
 * (status `scheduled`, or published with a future live_from) and conflicted ones never serve.
 */

export interface LiveCandidate {
  status: string;
  /** ISO-8601 UTC; null before publishing. */
  liveFrom: string | null;
  /** Order of going live among versions with the same live_from. */
  liveSeq?: number | null;
}

export function isLiveAt(version: Pick<LiveCandidate, 'status' | 'liveFrom'>, nowMs: number): boolean {
  return version.status === 'published' && version.liveFrom !== null && Date.parse(version.liveFrom) <= nowMs;
}

/** The version serving traffic at `nowMs`, or null when none is live. */
export function liveVersionOf<T extends LiveCandidate>(versions: readonly T[], nowMs: number): T | null {
  let best: T | null = null;
  for (const v of versions) {
    if (!isLiveAt(v, nowMs)) continue;
    if (best === null) {
      best = v;
      continue;
    }
    const byTime = Date.parse(v.liveFrom!) - Date.parse(best.liveFrom!);
    if (byTime > 0 || (byTime === 0 && (v.liveSeq ?? 0) > (best.liveSeq ?? 0))) best = v;
  }
  return best;
}
