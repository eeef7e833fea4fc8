import { RE2JS } from 're2js';

/**
 * Segment REGEX conditions, matched as Flagsmith's engine does (Python's `re.match`: anchored at the start
 * of the text, not at its end) but with a linear-time engine (RE2, pure JavaScript), so no pattern and
 * input can stall evaluation: `(a+)+$` against 50 000 characters takes milliseconds, where a backtracking
 * engine (JavaScript's RegExp, Python's re) takes longer than anyone waits.
 *
 * The pattern is read as Python writes it, translated where RE2 spells a feature differently:
 * - leading inline flags `(?aiLmsux)`: `i`, `m`, `s` are kept; `a`, `L`, `u` (character-class modes) are
 *   dropped; `x` (verbose) cannot run and is refused;
 * - `\Z` (end of text) is RE2's `\z`; `\A`, `(?P<name>…)`, classes and quantifiers are the same.
 * Patterns that need backtracking (backreferences `\1` / `(?P=name)`, lookaround `(?=…)`, `(?<!…)`) are
 * refused by `checkPythonRegex`, so segment writes answer 400; a stored one never matches.
 * Known difference kept: Python's `$` also matches before a final newline; RE2's only at the end.
 */

export type CompiledPythonRegex = { ok: true; regex: RE2JS } | { ok: false; problem: string };

const INLINE_FLAGS = /^\(\?([aiLmsux]+)\)/;

/** Rewrites `\Z` outside character classes; every other escape is copied as is. */
function translateEscapes(source: string): string {
  let out = '';
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const ch = source[i]!;
    if (ch === '\\' && i + 1 < source.length) {
      const next = source[i + 1]!;
      out += !inClass && next === 'Z' ? '\\z' : ch + next;
      i++;
      continue;
    }
    if (!inClass && ch === '[') {
      inClass = true;
      out += ch;
      // A `]` first in a class (after an optional `^`) is a literal.
      if (source[i + 1] === '^') out += source[++i];
      if (source[i + 1] === ']') out += source[++i];
      continue;
    }
    if (inClass && ch === ']') inClass = false;
    out += ch;
  }
  return out;
}

/** Compiles a pattern written for Python's `re` into RE2, or says why it cannot run. */
export function compilePythonRegex(pattern: string): CompiledPythonRegex {
  let source = pattern;
  let flags = 0;
  const inline = INLINE_FLAGS.exec(source);
  if (inline) {
    const letters = inline[1] ?? '';
    if (letters.includes('x')) return { ok: false, problem: 'uses the verbose flag (?x), which the linear-time engine cannot run' };
    if (letters.includes('i')) flags |= RE2JS.CASE_INSENSITIVE;
    if (letters.includes('m')) flags |= RE2JS.MULTILINE;
    if (letters.includes('s')) flags |= RE2JS.DOTALL;
    source = source.slice(inline[0].length);
  }
  try {
    return { ok: true, regex: RE2JS.compile(translateEscapes(source), flags) };
  } catch (e) {
    const reason = e instanceof Error ? e.message.replace(/^error parsing regexp: /, '') : String(e);
    return { ok: false, problem: `is not a pattern the linear-time regex engine can run (${reason}); backreferences and lookaround are not supported` };
  }
}

/** Why a REGEX condition's pattern is refused, or undefined when it can run. */
export function checkPythonRegex(pattern: string): string | undefined {
  const compiled = compilePythonRegex(pattern);
  return compiled.ok ? undefined : compiled.problem;
}

/** Compiled patterns, kept because every identity evaluated runs the same few conditions. */
const cache = new Map<string, CompiledPythonRegex>();
const CACHE_SIZE = 500;

/** Python's `re.match(pattern, text)` as a boolean; a pattern that cannot run matches nothing. */
export function pythonReMatch(pattern: string, text: string): boolean {
  let compiled = cache.get(pattern);
  if (!compiled) {
    compiled = compilePythonRegex(pattern);
    if (cache.size >= CACHE_SIZE) cache.delete(cache.keys().next().value!);
    cache.set(pattern, compiled);
  }
  return compiled.ok && compiled.regex.matcher(text).lookingAt();
}
