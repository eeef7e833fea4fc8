import semver from 'semver';
import type { SegmentConditionDocument, SegmentRuleDocument } from '../../contracts/sdk/environment-document.schema.js';
import { getContextValue, type EvaluationContext, type TraitValue } from './context.js';
import { getHashedPercentageForObjectIds } from './hashing.js';
import { pythonReMatch } from './python-regex.js';
import { comparePythonStrings, parsePythonFloat, parsePythonInt, pythonModulo, pythonStr } from './python-values.js';

/**
 * Segment membership, following flag_engine's `segments/evaluator.py`: a segment matches when it has at
 * least one rule and every rule matches; a rule matches when its conditions match by its type (ALL:
 * every one, ANY: at least one, NONE: none; a rule without conditions passes) AND its nested rules
 * match by the same type. Conditions read a trait (or a `$.` JSONPath) and compare it with the condition's string
 * value, cast to the trait's type the way Python's `int()` / `float()` / `str()` would.
 */

/** A segment as the evaluator needs it: its key (the segment id as a string) and its rules. */
export interface SegmentToEvaluate {
  key: string;
  rules: readonly SegmentRuleDocument[];
}

/** A condition; `property` / `value` may be null in documents (the engine reads them as ""). */
export type ConditionInput = Pick<SegmentConditionDocument, 'operator'> & {
  property_?: string | null;
  value?: string | null;
};

const SEMVER_SUFFIX = ':semver';
/** The strict semver.org grammar (what Python's `semver.Version.parse` accepts: no "v", no spaces). */
const STRICT_SEMVER =
  /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/;

type Comparison = 'EQUAL' | 'NOT_EQUAL' | 'GREATER_THAN' | 'GREATER_THAN_INCLUSIVE' | 'LESS_THAN' | 'LESS_THAN_INCLUSIVE';

function isComparison(operator: string): operator is Comparison {
  return ['EQUAL', 'NOT_EQUAL', 'GREATER_THAN', 'GREATER_THAN_INCLUSIVE', 'LESS_THAN', 'LESS_THAN_INCLUSIVE'].includes(operator);
}

/** Applies a comparison to an ordering result (NaN: unordered, as Python's float comparisons). */
function compareBy(operator: Comparison, order: number): boolean {
  if (Number.isNaN(order)) return operator === 'NOT_EQUAL';
  switch (operator) {
    case 'EQUAL':
      return order === 0;
    case 'NOT_EQUAL':
      return order !== 0;
    case 'GREATER_THAN':
      return order > 0;
    case 'GREATER_THAN_INCLUSIVE':
      return order >= 0;
    case 'LESS_THAN':
      return order < 0;
    case 'LESS_THAN_INCLUSIVE':
      return order <= 0;
  }
}

function numericOrder(a: number, b: number): number {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.NaN;
  return a === b ? 0 : a < b ? -1 : 1;
}

/**
 * The condition value cast to the trait's type (flag_engine `get_casting_function`): a boolean trait
 * compares with `value not in ("False", "false")`; an integer with `int(value)`; a float with
 * `float(value)`; a string with the value as is. Undefined where Python's cast raises (no match).
 *
 * An integral JavaScript number may have been a Python float (JSON writes 2.0 as 2), so when
 * `int(value)` fails it is compared as `float(value)`, which is what the engine does for a float trait.
 */
function castConditionValue(trait: number | boolean, value: string): number | undefined {
  if (typeof trait === 'boolean') return value !== 'False' && value !== 'false' ? 1 : 0;
  if (Number.isInteger(trait)) return parsePythonInt(value) ?? parsePythonFloat(value);
  return parsePythonFloat(value);
}

function matchesSemver(operator: string, trait: string, value: string): boolean {
  if (!isComparison(operator)) return false;
  const target = value.slice(0, -SEMVER_SUFFIX.length);
  if (!STRICT_SEMVER.test(trait) || !STRICT_SEMVER.test(target)) return false;
  return compareBy(operator, semver.compare(trait, target));
}

/** `_matches_context_value`: the operators that need a set trait value. */
function matchesContextValue(operator: string, value: string, trait: string | number | boolean): boolean {
  switch (operator) {
    case 'NOT_CONTAINS':
      return typeof trait === 'string' && !trait.includes(value);
    case 'REGEX':
      return pythonReMatch(value, pythonStr(trait));
    case 'MODULO': {
      // Python's isinstance(x, (int, float)) is also true for booleans.
      const dividend = typeof trait === 'boolean' ? Number(trait) : trait;
      if (typeof dividend !== 'number' || !value) return false;
      const parts = value.split('|');
      if (parts.length !== 2) return false;
      const divisor = parsePythonFloat(parts[0]);
      const remainder = parsePythonFloat(parts[1]);
      if (divisor === undefined || remainder === undefined) return false;
      const mod = pythonModulo(dividend, divisor);
      return mod !== undefined && mod === remainder;
    }
    case 'CONTAINS':
      // With the ":semver" suffix the engine compares versions, and a version "contains" nothing.
      return typeof trait === 'string' && !value.endsWith(SEMVER_SUFFIX) && trait.includes(value);
    default:
      break;
  }
  if (!isComparison(operator)) return false;
  if (typeof trait === 'string') {
    if (value.endsWith(SEMVER_SUFFIX)) return matchesSemver(operator, trait, value);
    return compareBy(operator, comparePythonStrings(trait, value));
  }
  const cast = castConditionValue(trait, value);
  if (cast === undefined) return false;
  return compareBy(operator, numericOrder(Number(trait), cast));
}

/**
 * Parsed IN lists by condition value. A condition's value is parsed once, not once per identity: the
 * JSON attempt throws on the common comma-separated form, which is expensive on hot paths (SDK identity
 * evaluation, impact previews). Bounded: cleared when it grows past the limit.
 */
const inValuesCache = new Map<string, readonly string[]>();
const IN_VALUES_CACHE_LIMIT = 10_000;

/** The values of an IN condition: a JSON list, or else a comma-separated list. */
function inValues(value: string): readonly string[] {
  let values = inValuesCache.get(value);
  if (!values) {
    if (inValuesCache.size >= IN_VALUES_CACHE_LIMIT) inValuesCache.clear();
    values = parseInValues(value);
    inValuesCache.set(value, values);
  }
  return values;
}

function parseInValues(value: string): string[] {
  try {
    const parsed: unknown = JSON.parse(value);
    if (Array.isArray(parsed)) return parsed.map((v) => (typeof v === 'object' && v !== null ? JSON.stringify(v) : pythonStr(v)));
  } catch {
    // Not JSON: a comma-separated list.
  }
  return value.split(',');
}

/**
 * Whether the context matches one condition (flag_engine `context_matches_condition`). `segmentKey`
 * seeds PERCENTAGE_SPLIT: the identity falls in the segment when the hash of [segment key, trait value
 * (when the condition names a trait; an identity without it never matches) or identity key] is at most
 * the condition's percentage.
 */
export function contextMatchesCondition(context: EvaluationContext, condition: ConditionInput, segmentKey: string): boolean {
  const property = condition.property_ ?? '';
  const value = condition.value ?? '';
  const contextValue: TraitValue = property ? getContextValue(context, property) : null;

  switch (condition.operator) {
    case 'IN': {
      if (typeof contextValue === 'string') return inValues(value).includes(contextValue);
      // Integers are compared by their text; booleans and floats never match (Python's `in` on a list of str).
      if (typeof contextValue === 'number' && Number.isInteger(contextValue)) return inValues(value).includes(pythonStr(contextValue));
      return false;
    }
    case 'PERCENTAGE_SPLIT': {
      const percentage = parsePythonFloat(value);
      if (percentage === undefined) return false;
      // Split by a trait the identity does not have: it is outside the segment, never split by its key
      // instead (flagsmith-engine#283).
      if (property && contextValue === null) return false;
      const objectIds = [segmentKey, contextValue !== null ? contextValue : (context.identity?.key ?? null)];
      return getHashedPercentageForObjectIds(objectIds) <= percentage;
    }
    case 'IS_NOT_SET':
      return contextValue === null;
    case 'IS_SET':
      return contextValue !== null;
    default:
      return contextValue !== null && matchesContextValue(condition.operator, value, contextValue);
  }
}

/** Combines results by a rule type: ALL every one, ANY at least one, NONE none. */
function combine(type: string, results: readonly boolean[]): boolean {
  if (type === 'ALL') return results.every(Boolean);
  if (type === 'ANY') return results.some(Boolean);
  if (type === 'NONE') return !results.some(Boolean);
  return false;
}

/**
 * Whether the context matches a rule (flag_engine `context_matches_rule`): its conditions, combined by
 * the rule's type, AND its nested rules, also combined by the rule's type (an empty list passes). So an
 * ANY rule without conditions over ALL groups is "group 1 OR group 2". (Before flag_engine PR #297 and
 * engine-test-data v3.7.0, nested rules were always combined with ALL.)
 */
export function contextMatchesRule(context: EvaluationContext, rule: SegmentRuleDocument, segmentKey: string): boolean {
  const conditions = rule.conditions ?? [];
  if (conditions.length > 0 && !combine(rule.type, conditions.map((c) => contextMatchesCondition(context, c, segmentKey)))) return false;
  const nested = rule.rules ?? [];
  return nested.length === 0 || combine(rule.type, nested.map((r) => contextMatchesRule(context, r, segmentKey)));
}

/** Whether the context is in the segment: it has rules, and every rule matches. */
export function isContextInSegment(context: EvaluationContext, segment: SegmentToEvaluate): boolean {
  return segment.rules.length > 0 && segment.rules.every((rule) => contextMatchesRule(context, rule, segment.key));
}
