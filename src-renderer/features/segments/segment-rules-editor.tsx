import { SegmentOperator, SegmentRuleType, type SegmentRule } from '../../../src-shared/domain/segments/segment-rules.rules.js';
import type { SegmentWrite } from '../../data/api-client.js';

/** A condition as the editor holds it (`key` is only for React lists). */
export interface EditableCondition {
  key: string;
  id?: number;
  operator: SegmentOperator;
  property: string;
  value: string;
}

export interface EditableRule {
  key: string;
  id?: number;
  type: SegmentRuleType;
  rules: EditableRule[];
  conditions: EditableCondition[];
}

const OPERATOR_LABELS: Record<SegmentOperator, string> = {
  EQUAL: 'equals',
  NOT_EQUAL: 'does not equal',
  GREATER_THAN: 'is greater than',
  GREATER_THAN_INCLUSIVE: 'is at least',
  LESS_THAN: 'is less than',
  LESS_THAN_INCLUSIVE: 'is at most',
  CONTAINS: 'contains',
  NOT_CONTAINS: 'does not contain',
  REGEX: 'matches the pattern',
  PERCENTAGE_SPLIT: 'is in the % split',
  MODULO: 'modulo (divisor|remainder)',
  IS_SET: 'is set',
  IS_NOT_SET: 'is not set',
  IN: 'is one of (comma-separated)',
};
const TYPE_LABELS: Record<SegmentRuleType, string> = { ALL: 'All of', ANY: 'Any of', NONE: 'None of' };
/** Operators without an operand, and the one without a trait. */
const NO_VALUE = new Set<SegmentOperator>([SegmentOperator.IS_SET, SegmentOperator.IS_NOT_SET]);
const NO_PROPERTY = new Set<SegmentOperator>([SegmentOperator.PERCENTAGE_SPLIT]);
/** Nesting allowed by the server (SEGMENT_RULES_MAX_DEPTH). */
const MAX_DEPTH = 5;

let nextKey = 1;
const newKey = () => `k${nextKey++}`;

export function newCondition(): EditableCondition {
  return { key: newKey(), operator: SegmentOperator.EQUAL, property: '', value: '' };
}

export function newRule(type: SegmentRuleType = SegmentRuleType.ANY): EditableRule {
  return { key: newKey(), type, rules: [], conditions: [newCondition()] };
}

/** The rules of a loaded segment, for editing. */
export function toEditableRules(rules: unknown): EditableRule[] {
  const convert = (r: SegmentRule): EditableRule => ({
    key: newKey(),
    id: r.id,
    type: r.type,
    rules: r.rules.map(convert),
    conditions: r.conditions.map((c) => ({ key: newKey(), id: c.id, operator: c.operator, property: c.property ?? '', value: c.value ?? '' })),
  });
  return (rules as SegmentRule[]).map(convert);
}

/** The rules as the API takes them: ids kept, empty traits and operands of IS_SET/IS_NOT_SET as null. */
export function toRulesInput(rules: EditableRule[]): SegmentWrite['rules'] {
  const convert = (r: EditableRule): Record<string, unknown> => ({
    ...(r.id !== undefined ? { id: r.id } : {}),
    type: r.type,
    rules: r.rules.map(convert),
    conditions: r.conditions.map((c) => ({
      ...(c.id !== undefined ? { id: c.id } : {}),
      operator: c.operator,
      property: NO_PROPERTY.has(c.operator) || c.property === '' ? null : c.property,
      value: NO_VALUE.has(c.operator) ? null : c.value,
    })),
  });
  return rules.map(convert) as SegmentWrite['rules'];
}

interface RuleProps {
  rule: EditableRule;
  /** "1", "1.2" …: the rule's place, in labels. */
  label: string;
  depth: number;
  onChange(rule: EditableRule): void;
  onRemove(): void;
}

/** One rule of the tree: its match type, its conditions and its nested rules. */
export function RuleEditor({ rule, label, depth, onChange, onRemove }: RuleProps) {
  const setCondition = (key: string, change: Partial<EditableCondition>) => onChange({ ...rule, conditions: rule.conditions.map((c) => (c.key === key ? { ...c, ...change } : c)) });
  return (
    <fieldset className="rule">
      <legend>
        Rule {label}
        <select aria-label={`Rule ${label} matches`} value={rule.type} onChange={(e) => onChange({ ...rule, type: e.target.value as SegmentRuleType })}>
          {Object.values(SegmentRuleType).map((t) => (
            <option key={t} value={t}>
              {TYPE_LABELS[t]}
            </option>
          ))}
        </select>
      </legend>
      {rule.conditions.length > 0 && (
        <ul className="conditions">
          {rule.conditions.map((c, i) => {
            const at = `Rule ${label} condition ${i + 1}`;
            return (
              <li key={c.key} className="condition">
                <input aria-label={`${at} trait`} placeholder={NO_PROPERTY.has(c.operator) ? 'identity' : 'Trait, e.g. plan'} value={c.property} disabled={NO_PROPERTY.has(c.operator)} onChange={(e) => setCondition(c.key, { property: e.target.value })} />
                <select aria-label={`${at} operator`} value={c.operator} onChange={(e) => setCondition(c.key, { operator: e.target.value as SegmentOperator })}>
                  {Object.values(SegmentOperator).map((o) => (
                    <option key={o} value={o}>
                      {OPERATOR_LABELS[o]}
                    </option>
                  ))}
                </select>
                <input aria-label={`${at} value`} placeholder={NO_VALUE.has(c.operator) ? '' : 'Value'} value={c.value} disabled={NO_VALUE.has(c.operator)} onChange={(e) => setCondition(c.key, { value: e.target.value })} />
                <button type="button" className="quiet" aria-label={`Remove ${at.toLowerCase()}`} onClick={() => onChange({ ...rule, conditions: rule.conditions.filter((x) => x.key !== c.key) })}>
                  ✕
                </button>
              </li>
            );
          })}
        </ul>
      )}
      {rule.rules.map((child, i) => (
        <RuleEditor
          key={child.key}
          rule={child}
          label={`${label}.${i + 1}`}
          depth={depth + 1}
          onChange={(next) => onChange({ ...rule, rules: rule.rules.map((r) => (r.key === child.key ? next : r)) })}
          onRemove={() => onChange({ ...rule, rules: rule.rules.filter((r) => r.key !== child.key) })}
        />
      ))}
      <div className="rule-actions">
        <button type="button" onClick={() => onChange({ ...rule, conditions: [...rule.conditions, newCondition()] })}>
          Add condition
        </button>
        {depth < MAX_DEPTH && (
          <button type="button" onClick={() => onChange({ ...rule, rules: [...rule.rules, newRule()] })}>
            Add nested rule
          </button>
        )}
        <button type="button" className="quiet" onClick={onRemove} aria-label={`Remove rule ${label}`}>
          Remove rule
        </button>
      </div>
    </fieldset>
  );
}
