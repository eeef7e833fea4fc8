import { FeatureStateValueType, featureStateValueOf, type FlagValue, type TypedValueColumns } from '../flags/feature-state-value.rules.js';

/**
 * The flag state at one place of a version: the environment default or one segment override.
 * `multivariateWeights` maps a multivariate option id (decimal string) to its percentage allocation;
 * an option without an entry has no multivariate value row (which is not the same as a 0% row).
 */
export interface FlagStateContent {
  enabled: boolean;
  value: TypedValueColumns;
  multivariateWeights: Record<string, number>;
}

/**
 * One segment override in a version. `priority` orders overrides (lower wins, as in Flagsmith); only the
 * order matters, so the canonical form renumbers priorities to 0..n-1.
 */
export interface SegmentOverrideContent extends FlagStateContent {
  priority: number;
}

/**
 * The content of one feature's version in one environment, as plain data: what a draft edits, what a
 * publish materialises into feature states, and what an approval binds to (through `hashVersionContent`).
 * `segmentOverrides` is keyed by segment id (decimal string).
 */
export interface VersionContent {
  environmentDefault: FlagStateContent;
  segmentOverrides: Record<string, SegmentOverrideContent>;
}

/**
 * Orders entity ids (segment or option ids as decimal strings): numerically when both are integers,
 * otherwise by code unit. Used for every id tie-break so that all replicas agree.
 */
export function compareIds(a: string, b: string): number {
  const isNumA = /^-?\d+$/.test(a);
  const isNumB = /^-?\d+$/.test(b);
  if (isNumA && isNumB) {
    const diff = Number(a) - Number(b);
    if (diff !== 0) return diff;
  }
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The canonical form of a typed value: only the column that its type names is kept, the others are null,
 * so two values that mean the same thing are structurally equal.
 */
export function canonicalTypedValue(value: TypedValueColumns): TypedValueColumns {
  return {
    type: value.type,
    string_value: value.type === FeatureStateValueType.STRING ? value.string_value : null,
    integer_value: value.type === FeatureStateValueType.INTEGER ? value.integer_value : null,
    boolean_value: value.type === FeatureStateValueType.BOOLEAN ? value.boolean_value : null,
  };
}

/** Whether two typed values mean the same value (same type and same value in that type's column). */
export function isSameTypedValue(a: TypedValueColumns, b: TypedValueColumns): boolean {
  return a.type === b.type && featureStateValueOf(a) === featureStateValueOf(b);
}

/** The value as the API shows it (string, integer, boolean or null). */
export function flagValueOf(value: TypedValueColumns): FlagValue {
  return featureStateValueOf(value);
}

function canonicalWeights(weights: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const id of Object.keys(weights).sort(compareIds)) out[id] = weights[id] as number;
  return out;
}

/** Segment ids of the overrides in evaluation order: by priority, ties broken by segment id. */
export function orderedSegmentIds(content: VersionContent): string[] {
  return Object.entries(content.segmentOverrides)
    .sort(([idA, a], [idB, b]) => a.priority - b.priority || compareIds(idA, idB))
    .map(([id]) => id);
}

/**
 * The canonical form of a version's content: typed values with only their own column, priorities
 * renumbered to 0..n-1 in evaluation order (ties broken by segment id). Two contents are the same
 * version content exactly when their canonical forms are structurally equal. Does not mutate its input.
 */
export function canonicalizeVersionContent(content: VersionContent): VersionContent {
  const segmentOverrides: Record<string, SegmentOverrideContent> = {};
  orderedSegmentIds(content).forEach((id, rank) => {
    const o = content.segmentOverrides[id] as SegmentOverrideContent;
    segmentOverrides[id] = { priority: rank, enabled: o.enabled, value: canonicalTypedValue(o.value), multivariateWeights: canonicalWeights(o.multivariateWeights) };
  });
  const d = content.environmentDefault;
  return {
    environmentDefault: { enabled: d.enabled, value: canonicalTypedValue(d.value), multivariateWeights: canonicalWeights(d.multivariateWeights) },
    segmentOverrides,
  };
}

function stableStringify(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    // -0 and 0 are the same allocation; JSON.stringify already prints both as 0.
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  const entries = Object.keys(value)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${stableStringify((value as Record<string, unknown>)[k])}`);
  return `{${entries.join(',')}}`;
}

/** The canonical JSON text of a version's content: canonical form, object keys sorted, no whitespace. */
export function canonicalVersionContentJson(content: VersionContent): string {
  return stableStringify(canonicalizeVersionContent(content));
}

/** Whether two contents are the same version content (equal canonical forms). */
export function isSameVersionContent(a: VersionContent, b: VersionContent): boolean {
  return canonicalVersionContentJson(a) === canonicalVersionContentJson(b);
}

// The format tag is hashed with the JSON so that a future change of the canonical form cannot make an
// old approval match new content by accident.
const HASH_FORMAT = 'flagdesk.version-content.v1';

/**
 * A stable content hash, `sha256:<64 hex digits>`, over the format tag and the canonical JSON. It changes
 * exactly when the canonical content changes, so an approval can bind to it; it is the same in every
 * process (pure JS, no platform crypto).
 */
export function hashVersionContent(content: VersionContent): string {
  return `sha256:${sha256Hex(`${HASH_FORMAT}\n${canonicalVersionContentJson(content)}`)}`;
}

const K = [
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
  0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
  0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
  0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
];

function utf8Bytes(text: string): number[] {
  const bytes: number[] = [];
  for (const ch of text) {
    // Lone surrogates have no UTF-8 form; encode them as U+FFFD as TextEncoder does.
    let cp = ch.codePointAt(0) as number;
    if (cp >= 0xd800 && cp <= 0xdfff) cp = 0xfffd;
    if (cp < 0x80) bytes.push(cp);
    else if (cp < 0x800) bytes.push(0xc0 | (cp >> 6), 0x80 | (cp & 63));
    else if (cp < 0x10000) bytes.push(0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63));
    else bytes.push(0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 63), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63));
  }
  return bytes;
}

/** SHA-256 (FIPS 180-4) of a string's UTF-8 bytes, as lowercase hex. Pure JS so src-shared stays platform-free. */
export function sha256Hex(text: string): string {
  const bytes = utf8Bytes(text);
  const bitLength = bytes.length * 8;
  bytes.push(0x80);
  while (bytes.length % 64 !== 56) bytes.push(0);
  // Message length as a 64-bit big-endian integer; strings here are far below 2^32 bits.
  bytes.push(0, 0, 0, 0, (bitLength >>> 24) & 255, (bitLength >>> 16) & 255, (bitLength >>> 8) & 255, bitLength & 255);
  const h = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];
  const w = new Array<number>(64);
  const rotr = (x: number, n: number) => (x >>> n) | (x << (32 - n));
  for (let off = 0; off < bytes.length; off += 64) {
    for (let i = 0; i < 16; i++) {
      const j = off + i * 4;
      w[i] = (((bytes[j] as number) << 24) | ((bytes[j + 1] as number) << 16) | ((bytes[j + 2] as number) << 8) | (bytes[j + 3] as number)) >>> 0;
    }
    for (let i = 16; i < 64; i++) {
      const w15 = w[i - 15] as number;
      const w2 = w[i - 2] as number;
      const s0 = rotr(w15, 7) ^ rotr(w15, 18) ^ (w15 >>> 3);
      const s1 = rotr(w2, 17) ^ rotr(w2, 19) ^ (w2 >>> 10);
      w[i] = ((w[i - 16] as number) + s0 + (w[i - 7] as number) + s1) >>> 0;
    }
    let [a, b, c, d, e, f, g, hh] = h as [number, number, number, number, number, number, number, number];
    for (let i = 0; i < 64; i++) {
      const S1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25);
      const ch = (e & f) ^ (~e & g);
      const t1 = (hh + S1 + ch + (K[i] as number) + (w[i] as number)) >>> 0;
      const S0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22);
      const maj = (a & b) ^ (a & c) ^ (b & c);
      const t2 = (S0 + maj) >>> 0;
      hh = g;
      g = f;
      f = e;
      e = (d + t1) >>> 0;
      d = c;
      c = b;
      b = a;
      a = (t1 + t2) >>> 0;
    }
    const next = [a, b, c, d, e, f, g, hh];
    for (let i = 0; i < 8; i++) h[i] = ((h[i] as number) + (next[i] as number)) >>> 0;
  }
  return h.map((x) => x.toString(16).padStart(8, '0')).join('');
}
