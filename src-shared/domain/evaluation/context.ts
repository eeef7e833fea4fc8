/**
 * What segment rules are evaluated against: flag_engine's `EvaluationContext` (the environment and the
 * identity with its traits). Conditions read a trait by key, or any primitive in the context by a
 * JSONPath such as `$.identity.identifier` or `$.environment.name`.
 */

import type { IdentityInput, TraitInput } from './feature-states.js';

/** A trait value as the engine holds it. */
export type TraitValue = string | number | boolean | null;

export interface EvaluationContext {
  environment: { key: string; name: string };
  identity: {
    identifier: string;
    /** The identity's hash key (see `identityHashKey`). */
    key: string;
    traits: Readonly<Record<string, TraitValue>>;
  } | null;
}

const INT_PATTERN = /^-?[0-9]+$/;
const FLOAT_PATTERN = /^-?[0-9]+\.[0-9]+$/;

/**
 * flag_engine's `map_any_value_to_trait_value`: traits are stored typed, and a string that is an integer
 * ("42", "-7") or a plain decimal ("1.5") becomes a number, exactly as the engine's `TraitModel` does.
 * So a trait sent as "42" compares numerically with `GREATER_THAN "5"`. Other strings stay strings.
 */
export function toTraitValue(value: unknown): TraitValue {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') {
    if (INT_PATTERN.test(value) || FLOAT_PATTERN.test(value)) return Number(value);
    return value;
  }
  if (typeof value === 'number' || typeof value === 'boolean') return value;
  return String(value);
}

function isPrimitiveContextValue(value: unknown): value is string | number | boolean {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}

type PathSegment = { kind: 'name'; name: string } | { kind: 'index'; index: number } | { kind: 'unsupported' };

const BLANK = /[ \t\n\r]*/y;
const MEMBER_NAME = /[A-Za-z_\u0080-\uFFFF][A-Za-z0-9_\u0080-\uFFFF]*/y;
const INDEX = /-?(?:0|[1-9][0-9]*)/y;

function matchAt(pattern: RegExp, text: string, at: number): string | undefined {
  pattern.lastIndex = at;
  const m = pattern.exec(text);
  return m ? m[0] : undefined;
}

/** Reads a quoted name selector (`'a'` or `"a"`, with JSON-style escapes); returns [name, next index]. */
function readQuoted(text: string, at: number): [string, number] | undefined {
  const quote = text[at];
  if (quote !== '"' && quote !== "'") return undefined;
  let out = '';
  let i = at + 1;
  while (i < text.length) {
    const ch = text[i]!;
    if (ch === quote) return [out, i + 1];
    if (ch === '\\') {
      const next = text[i + 1];
      const simple: Record<string, string> = { b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', '/': '/', '\\': '\\', '"': '"', "'": "'" };
      if (next === undefined) return undefined;
      if (next === 'u') {
        const hex = text.slice(i + 2, i + 6);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) return undefined;
        out += String.fromCharCode(parseInt(hex, 16));
        i += 6;
        continue;
      }
      const mapped = simple[next];
      if (mapped === undefined || (next === "'" && quote !== "'") || (next === '"' && quote !== '"')) return undefined;
      out += mapped;
      i += 2;
      continue;
    }
    if (ch < ' ') return undefined;
    out += ch;
    i++;
  }
  return undefined;
}

/**
 * Parses the subset of RFC 9535 JSONPath that segment conditions use: `$`, then `.name`, `['name']`,
 * `["name"]` and `[index]` segments. Wildcards, slices, filters and descendant segments are valid
 * JSONPath but never select a single primitive here, so they parse as "unsupported" (no value).
 * Returns undefined when the text is not valid JSONPath at all: the engine then treats the whole
 * property as a trait key.
 */
function parseJsonPath(path: string): PathSegment[] | undefined {
  if (!path.startsWith('$')) return undefined;
  const segments: PathSegment[] = [];
  let i = 1;
  while (i < path.length) {
    i += matchAt(BLANK, path, i)?.length ?? 0;
    if (i >= path.length) return undefined;
    if (path.startsWith('..', i)) {
      segments.push({ kind: 'unsupported' });
      return segments;
    }
    if (path[i] === '.') {
      if (path[i + 1] === '*') {
        segments.push({ kind: 'unsupported' });
        i += 2;
        continue;
      }
      const name = matchAt(MEMBER_NAME, path, i + 1);
      if (!name) return undefined;
      segments.push({ kind: 'name', name });
      i += 1 + name.length;
      continue;
    }
    if (path[i] === '[') {
      i += 1;
      i += matchAt(BLANK, path, i)?.length ?? 0;
      const quoted = readQuoted(path, i);
      if (quoted) {
        segments.push({ kind: 'name', name: quoted[0] });
        i = quoted[1];
      } else {
        const index = matchAt(INDEX, path, i);
        if (index !== undefined) {
          segments.push({ kind: 'index', index: Number(index) });
          i += index.length;
        } else {
          // Some other selector (wildcard, slice, filter): skip to the closing bracket.
          const close = path.indexOf(']', i);
          if (close < 0) return undefined;
          segments.push({ kind: 'unsupported' });
          i = close;
        }
      }
      i += matchAt(BLANK, path, i)?.length ?? 0;
      if (path[i] !== ']') return undefined;
      i += 1;
      continue;
    }
    return undefined;
  }
  return segments;
}

function walk(root: unknown, segments: readonly PathSegment[]): unknown {
  let node: unknown = root;
  for (const segment of segments) {
    if (segment.kind === 'unsupported' || node === null || typeof node !== 'object') return undefined;
    if (segment.kind === 'name') {
      if (Array.isArray(node) || !Object.prototype.hasOwnProperty.call(node, segment.name)) return undefined;
      node = (node as Record<string, unknown>)[segment.name];
    } else {
      if (!Array.isArray(node)) return undefined;
      const at = segment.index < 0 ? node.length + segment.index : segment.index;
      node = node[at];
    }
  }
  return node;
}

function traitOf(context: EvaluationContext, key: string): TraitValue {
  const traits = context.identity?.traits;
  if (!traits || !Object.prototype.hasOwnProperty.call(traits, key)) return null;
  return traits[key] ?? null;
}

/**
 * flag_engine's `get_context_value`: a trait whose key is the property, else, for a property starting
 * with `$.`, a JSONPath into the context (only a string, number or boolean counts; objects, lists and
 * missing paths are "not set"); a property that starts with `$.` but is not valid JSONPath is a trait
 * key after all. A trait named like a JSONPath (`$.identity`) is matched by its literal name first, as
 * Flagsmith's engine does. Null means "not set".
 */
export function getContextValue(context: EvaluationContext, property: string): TraitValue {
  if (!property.startsWith('$.')) return traitOf(context, property);
  const literal = traitOf(context, property);
  if (literal !== null) return literal;
  const path = parseJsonPath(property);
  if (!path) return traitOf(context, property);
  const value = walk(context, path);
  return isPrimitiveContextValue(value) ? value : null;
}

/** The evaluation context of an identity in the document's environment; trait values are typed as the engine types them. */
export function buildEvaluationContext(
  doc: { api_key: string; name: string },
  identity: Pick<IdentityInput, 'identifier' | 'key'>,
  traits: readonly TraitInput[],
): EvaluationContext {
  const traitValues: Record<string, TraitValue> = {};
  for (const trait of traits) traitValues[trait.trait_key] = toTraitValue(trait.trait_value);
  return { environment: { key: doc.api_key, name: doc.name }, identity: { identifier: identity.identifier, key: identity.key, traits: traitValues } };
}
