import type { ValidationIssue } from '../../errors/app-error.js';
import { checkPythonRegex } from '../evaluation/python-regex.js';

/**
 * Segment rules as the Flagsmith Admin API takes and gives them: a tree of rules (`ALL`, `ANY`, `NONE`),
 * each holding conditions and child rules. The functions here check and normalise a tree sent by a client;
 * they are pure, so the server and the renderer (segment editor) give the same answer.
 */
export const SegmentRuleType = { ALL: 'ALL', ANY: 'ANY', NONE: 'NONE' } as const;
export type SegmentRuleType = (typeof SegmentRuleType)[keyof typeof SegmentRuleType];

/** Every condition operator of the Flagsmith engine. */
export const SegmentOperator = {
  EQUAL: 'EQUAL',
  NOT_EQUAL: 'NOT_EQUAL',
  GREATER_THAN: 'GREATER_THAN',
  GREATER_THAN_INCLUSIVE: 'GREATER_THAN_INCLUSIVE',
  LESS_THAN: 'LESS_THAN',
  LESS_THAN_INCLUSIVE: 'LESS_THAN_INCLUSIVE',
  CONTAINS: 'CONTAINS',
  NOT_CONTAINS: 'NOT_CONTAINS',
  REGEX: 'REGEX',
  PERCENTAGE_SPLIT: 'PERCENTAGE_SPLIT',
  MODULO: 'MODULO',
  IS_SET: 'IS_SET',
  IS_NOT_SET: 'IS_NOT_SET',
  IN: 'IN',
} as const;
export type SegmentOperator = (typeof SegmentOperator)[keyof typeof SegmentOperator];

/** A condition as stored in `segments.rules_json` and shown by the API. Values are strings, as in Flagsmith. */
export interface SegmentCondition {
  id: number;
  operator: SegmentOperator;
  /** Trait key; null only for PERCENTAGE_SPLIT, which hashes the identity, not a trait. */
  property: string | null;
  /** The operand as text (numbers and booleans are sent as JSON but kept as their string form); null for IS_SET / IS_NOT_SET. */
  value: string | null;
  description: string | null;
}

/** A rule as stored in `segments.rules_json` and shown by the API. */
export interface SegmentRule {
  id: number;
  type: SegmentRuleType;
  rules: SegmentRule[];
  conditions: SegmentCondition[];
}

/** Flagsmith's `SEGMENT_RULES_CONDITIONS_LIMIT` default: conditions in one segment, across all its rules. */
export const SEGMENT_RULES_CONDITIONS_LIMIT = 100;
/** Rules in one segment, at every level together: enough for one group per condition, small enough to check cheaply. */
export const SEGMENT_RULES_LIMIT = 200;
/** How deep rules may nest (a top-level rule is depth 1). Flagsmith's dashboard writes depth 2 (ALL → ANY). */
export const SEGMENT_RULES_MAX_DEPTH = 5;
/** Column sizes of Flagsmith's Condition model. */
export const CONDITION_PROPERTY_MAX_LENGTH = 1000;
export const CONDITION_VALUE_MAX_LENGTH = 1000;

export interface NormaliseOptions {
  /** The tree stored before this write: ids a client sends back that exist in it are kept. */
  previous?: readonly SegmentRule[];
  /** Path prefix of the rules in issues, e.g. `body/rules`. */
  path?: string;
  maxDepth?: number;
  maxConditions?: number;
}

export type NormaliseResult = { ok: true; rules: SegmentRule[] } | { ok: false; issues: ValidationIssue[] };

const OPERATORS = new Set<string>(Object.values(SegmentOperator));
const RULE_TYPES = new Set<string>(Object.values(SegmentRuleType));
const NO_VALUE_OPERATORS = new Set<string>([SegmentOperator.IS_SET, SegmentOperator.IS_NOT_SET]);
/** A plain decimal number as Python's float() reads it in the engine (no hex, no Infinity, no blanks). */
const DECIMAL = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function parseDecimal(text: string): number | undefined {
  const t = text.trim();
  if (!DECIMAL.test(t)) return undefined;
  const n = Number(t);
  return Number.isFinite(n) ? n : undefined;
}

/** The text form of a condition value: Flagsmith converts whatever JSON scalar it gets with str(). */
function valueText(v: unknown): string | null | undefined {
  if (v === undefined || v === null) return null;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  if (typeof v === 'boolean') return String(v);
  return undefined;
}

/**
 * Checks one condition's operand for its operator; returns the problem, or undefined when it is fine.
 * `value` is the text form (see `valueText`).
 */
export function checkConditionValue(operator: SegmentOperator, value: string | null): string | undefined {
  if (NO_VALUE_OPERATORS.has(operator)) return undefined;
  if (value === null) return `is required for ${operator}`;
  if (value.length > CONDITION_VALUE_MAX_LENGTH) return `must be at most ${CONDITION_VALUE_MAX_LENGTH} characters`;
  switch (operator) {
    case SegmentOperator.REGEX:
      // Evaluated in linear time (RE2); a pattern that engine cannot run is refused here, not ignored later.
      return checkPythonRegex(value);
    case SegmentOperator.PERCENTAGE_SPLIT: {
      const n = parseDecimal(value);
      return n === undefined || n < 0 || n > 100 ? 'must be a number from 0 to 100' : undefined;
    }
    // MODULO takes any text, as Flagsmith accepts it at creation: a value that is not "divisor|remainder"
    // (two numbers, divisor not 0) simply never matches.
    default:
      return undefined;
  }
}

interface Walk {
  issues: ValidationIssue[];
  conditionCount: number;
  ruleCount: number;
  /** Ids (rules and conditions share one space) the previous tree had; a client may keep them. */
  previousIds: Set<number>;
  usedIds: Set<number>;
  /** Items that need a fresh id, filled in once every kept id is known. */
  needIds: { id: number }[];
  maxDepth: number;
}

function keepOrQueueId(w: Walk, requested: unknown, item: { id: number }): void {
  if (typeof requested === 'number' && w.previousIds.has(requested) && !w.usedIds.has(requested)) {
    item.id = requested;
    w.usedIds.add(requested);
  } else {
    w.needIds.push(item);
  }
}

function isDeleted(item: Record<string, unknown>): boolean {
  return item.delete === true;
}

function walkCondition(w: Walk, raw: unknown, path: string): SegmentCondition | undefined {
  if (!isRecord(raw)) {
    w.issues.push({ path, message: 'must be an object' });
    return undefined;
  }
  if (isDeleted(raw)) return undefined;
  w.conditionCount++;
  const operator = raw.operator;
  if (typeof operator !== 'string' || !OPERATORS.has(operator)) {
    w.issues.push({ path: `${path}/operator`, message: `must be one of ${[...OPERATORS].join(', ')}` });
    return undefined;
  }
  const op = operator as SegmentOperator;
  let property: string | null = null;
  if (raw.property !== undefined && raw.property !== null && typeof raw.property !== 'string') {
    w.issues.push({ path: `${path}/property`, message: 'must be a string' });
  } else if (typeof raw.property === 'string' && raw.property !== '') {
    property = raw.property;
    if (property.length > CONDITION_PROPERTY_MAX_LENGTH) w.issues.push({ path: `${path}/property`, message: `must be at most ${CONDITION_PROPERTY_MAX_LENGTH} characters` });
  } else if (op !== SegmentOperator.PERCENTAGE_SPLIT) {
    w.issues.push({ path: `${path}/property`, message: `may not be blank for ${op}` });
  }
  const text = valueText(raw.value);
  if (text === undefined) {
    w.issues.push({ path: `${path}/value`, message: 'must be a string, number, boolean or null' });
  } else {
    const problem = checkConditionValue(op, text);
    if (problem) w.issues.push({ path: `${path}/value`, message: problem });
  }
  let description: string | null = null;
  if (typeof raw.description === 'string') description = raw.description;
  else if (raw.description !== undefined && raw.description !== null) w.issues.push({ path: `${path}/description`, message: 'must be a string or null' });
  // The operand of IS_SET / IS_NOT_SET is meaningless; storing null keeps documents free of leftovers.
  const condition: SegmentCondition = { id: 0, operator: op, property, value: NO_VALUE_OPERATORS.has(op) ? null : (text ?? null), description };
  keepOrQueueId(w, raw.id, condition);
  return condition;
}

function walkRule(w: Walk, raw: unknown, path: string, depth: number): SegmentRule | undefined {
  if (!isRecord(raw)) {
    w.issues.push({ path, message: 'must be an object' });
    return undefined;
  }
  if (isDeleted(raw)) return undefined;
  w.ruleCount++;
  const type = raw.type;
  if (typeof type !== 'string' || !RULE_TYPES.has(type)) w.issues.push({ path: `${path}/type`, message: 'must be one of ALL, ANY, NONE' });
  const rule: SegmentRule = { id: 0, type: type as SegmentRuleType, rules: [], conditions: [] };
  keepOrQueueId(w, raw.id, rule);

  if (raw.conditions !== undefined && raw.conditions !== null) {
    if (!Array.isArray(raw.conditions)) w.issues.push({ path: `${path}/conditions`, message: 'must be an array' });
    else
      raw.conditions.forEach((c, i) => {
        const condition = walkCondition(w, c, `${path}/conditions/${i}`);
        if (condition) rule.conditions.push(condition);
      });
  }
  if (raw.rules !== undefined && raw.rules !== null) {
    if (!Array.isArray(raw.rules)) w.issues.push({ path: `${path}/rules`, message: 'must be an array' });
    else if (raw.rules.some((r) => !(isRecord(r) && isDeleted(r))) && depth >= w.maxDepth) {
      // Stop here: deeper levels are not looked at, so a hostile tree costs no more than the limit.
      w.issues.push({ path: `${path}/rules`, message: `rules may be nested at most ${w.maxDepth} deep` });
    } else
      raw.rules.forEach((r, i) => {
        const child = walkRule(w, r, `${path}/rules/${i}`, depth + 1);
        if (child) rule.rules.push(child);
      });
  }
  return rule;
}

function collectIds(rules: readonly SegmentRule[], into: Set<number>): Set<number> {
  for (const r of rules) {
    into.add(r.id);
    for (const c of r.conditions) into.add(c.id);
    collectIds(r.rules, into);
  }
  return into;
}

/**
 * Checks a rules tree sent by a client and returns it in stored form, or every issue found (paths name
 * the offending field, e.g. `body/rules/0/conditions/1/value`).
 *
 * - Items with `delete: true` are dropped, as Flagsmith's serializer does, and do not count.
 * - A segment needs at least one rule; at most SEGMENT_RULES_LIMIT rules and `maxConditions` conditions; rules nest at most `maxDepth`.
 * - Each operator's operand is checked: REGEX compiles for the linear-time engine (RE2), PERCENTAGE_SPLIT is 0–100, MODULO is
 *   `divisor|remainder`; IS_SET / IS_NOT_SET take none; every other operator needs one.
 * - The sent tree replaces the stored one. Ids the client sends back that exist in `previous` are
 *   kept (so a GET → edit → PUT round trip keeps them); other items get fresh ids above every id the
 *   segment has had in `previous`. Ids are unique within a segment, shared by rules and conditions.
 */
export function normaliseSegmentRules(input: unknown, options: NormaliseOptions = {}): NormaliseResult {
  const base = options.path ?? 'rules';
  if (!Array.isArray(input)) return { ok: false, issues: [{ path: base, message: 'must be an array' }] };
  const previousIds = collectIds(options.previous ?? [], new Set());
  const w: Walk = { issues: [], conditionCount: 0, ruleCount: 0, previousIds, usedIds: new Set(), needIds: [], maxDepth: options.maxDepth ?? SEGMENT_RULES_MAX_DEPTH };
  const rules: SegmentRule[] = [];
  input.forEach((r, i) => {
    const rule = walkRule(w, r, `${base}/${i}`, 1);
    if (rule) rules.push(rule);
  });
  if (rules.length === 0 && w.issues.length === 0) w.issues.push({ path: base, message: 'Segment cannot be created without any rules.' });
  const limit = options.maxConditions ?? SEGMENT_RULES_CONDITIONS_LIMIT;
  if (w.ruleCount > SEGMENT_RULES_LIMIT) w.issues.push({ path: base, message: `The segment has ${w.ruleCount} rules, which exceeds the maximum rule count of ${SEGMENT_RULES_LIMIT}.` });
  if (w.conditionCount > limit) w.issues.push({ path: base, message: `The segment has ${w.conditionCount} conditions, which exceeds the maximum condition count of ${limit}.` });
  if (w.issues.length > 0) return { ok: false, issues: w.issues };
  let next = Math.max(0, ...previousIds, ...w.usedIds) + 1;
  for (const item of w.needIds) item.id = next++;
  return { ok: true, rules };
}

/** Number of conditions in a stored tree. */
export function countConditions(rules: readonly SegmentRule[]): number {
  return rules.reduce((n, r) => n + r.conditions.length + countConditions(r.rules), 0);
}
