import * as Y from 'yjs';
import { validationFailed } from '../../errors/app-error.js';
import { FeatureStateValueType, type TypedValueColumns } from '../flags/feature-state-value.rules.js';
import { movedSegmentIds } from './version-diff.js';
import { canonicalizeVersionContent, compareIds, isSameTypedValue, type FlagStateContent, type SegmentOverrideContent, type VersionContent } from './version-content.js';

/*
 * Layout of a draft Y.Doc (D7). Root types are merged by name, so the environment default's fields and
 * weights live in root maps and never race on creation. Each override is one nested Y.Map under its
 * segment id: concurrent edits to different fields of one override merge, a concurrent removal wins over
 * edits inside it, and two replicas creating the same override concurrently keep one of them.
 * Override order is a fractional `priority` per override: a move rewrites only the moved overrides, so
 * concurrent reorders of different overrides both survive; reading sorts by (priority, segment id) and
 * renumbers, so every replica reads the same order from the same state.
 */
const DEFAULT_MAP = 'environmentDefault';
const DEFAULT_WEIGHTS_MAP = 'environmentDefaultWeights';
const OVERRIDES_MAP = 'segmentOverrides';
const ENABLED = 'enabled';
const VALUE = 'value';
const PRIORITY = 'priority';
const WEIGHTS = 'multivariateWeights';

/** An override as `upsertSegmentOverride` takes it; `priority` is the wanted position (0 = first). */
export interface SegmentOverrideInput extends FlagStateContent {
  priority?: number;
}

function overridesOf(doc: Y.Doc): Y.Map<Y.Map<unknown>> {
  return doc.getMap<Y.Map<unknown>>(OVERRIDES_MAP);
}

function weightsOf(doc: Y.Doc, segmentId: string | null): Y.Map<number> | undefined {
  if (segmentId === null) return doc.getMap<number>(DEFAULT_WEIGHTS_MAP);
  const weights = overridesOf(doc).get(segmentId)?.get(WEIGHTS);
  return weights instanceof Y.Map ? (weights as Y.Map<number>) : undefined;
}

function fieldsOf(doc: Y.Doc, segmentId: string | null): Y.Map<unknown> | undefined {
  return segmentId === null ? doc.getMap<unknown>(DEFAULT_MAP) : overridesOf(doc).get(segmentId);
}

// Writes only what differs, so an unchanged field never overwrites a concurrent edit from another replica.
function writeFlagState(fields: Y.Map<unknown>, weights: Y.Map<number>, state: FlagStateContent): void {
  if (fields.get(ENABLED) !== state.enabled) fields.set(ENABLED, state.enabled);
  const current = fields.get(VALUE);
  if (!isTypedValue(current) || !isSameTypedValue(current, state.value)) fields.set(VALUE, { ...state.value });
  for (const optionId of [...weights.keys()]) {
    if (state.multivariateWeights[optionId] === undefined) weights.delete(optionId);
  }
  for (const [optionId, weight] of Object.entries(state.multivariateWeights)) {
    if (weights.get(optionId) !== weight) weights.set(optionId, weight);
  }
}

function currentOrder(doc: Y.Doc): Array<{ id: string; key: number }> {
  // An override without a numeric priority (one being created in this transaction) has no place yet.
  return [...overridesOf(doc).entries()]
    .map(([id, o]) => ({ id, key: o.get(PRIORITY) }))
    .filter((e): e is { id: string; key: number } => typeof e.key === 'number' && Number.isFinite(e.key))
    .sort((a, b) => a.key - b.key || compareIds(a.id, b.id));
}

/**
 * Gives the overrides the order `wanted` (which names every override once) by rewriting the priority of
 * as few overrides as possible: those outside a longest run kept in place get keys between their
 * neighbours. If the gap is too small for distinct keys, every override is renumbered.
 */
function writeOrder(doc: Y.Doc, wanted: string[]): void {
  const overrides = overridesOf(doc);
  const current = currentOrder(doc);
  const keyOf = new Map(current.map((e) => [e.id, e.key]));
  const known = current.map((e) => e.id).filter((id) => wanted.includes(id));
  const moved = movedSegmentIds(known, wanted);
  const isStable = (id: string) => keyOf.has(id) && !moved.has(id);
  const newKeys = new Map<string, number>();
  let isRenumbering = false;
  for (let i = 0; i < wanted.length && !isRenumbering; ) {
    if (isStable(wanted[i] as string)) {
      i++;
      continue;
    }
    let end = i;
    while (end < wanted.length && !isStable(wanted[end] as string)) end++;
    const low = i > 0 ? (keyOf.get(wanted[i - 1] as string) as number) : undefined;
    const high = end < wanted.length ? (keyOf.get(wanted[end] as string) as number) : undefined;
    const count = end - i;
    const keys = Array.from({ length: count }, (_, k) => {
      if (low === undefined && high === undefined) return k;
      if (low === undefined) return (high as number) - count + k;
      if (high === undefined) return low + 1 + k;
      return low + ((high - low) * (k + 1)) / (count + 1);
    });
    const bounded = [low ?? -Infinity, ...keys, high ?? Infinity];
    if (bounded.some((k, n) => n > 0 && !(k > (bounded[n - 1] as number)))) isRenumbering = true;
    keys.forEach((key, k) => newKeys.set(wanted[i + k] as string, key));
    i = end;
  }
  if (isRenumbering) {
    wanted.forEach((id, rank) => overrides.get(id)?.set(PRIORITY, rank));
    return;
  }
  for (const [id, key] of newKeys) overrides.get(id)?.set(PRIORITY, key);
}

/** Creates a draft document holding `content`. The server creates it once; replicas load its update. */
export function createDraftDoc(content: VersionContent): Y.Doc {
  const doc = new Y.Doc();
  const canonical = canonicalizeVersionContent(content);
  doc.transact(() => {
    writeFlagState(doc.getMap(DEFAULT_MAP), doc.getMap(DEFAULT_WEIGHTS_MAP), canonical.environmentDefault);
    for (const [id, override] of Object.entries(canonical.segmentOverrides)) {
      const fields = new Y.Map<unknown>();
      overridesOf(doc).set(id, fields);
      fields.set(PRIORITY, override.priority);
      const weights = new Y.Map<number>();
      fields.set(WEIGHTS, weights);
      writeFlagState(fields, weights, override);
    }
  });
  return doc;
}

/** Loads a draft document from a stored update (the merged update the server keeps, D7). */
export function loadDraftDoc(update: Uint8Array): Y.Doc {
  const doc = new Y.Doc();
  Y.applyUpdate(doc, update);
  return doc;
}

function isTypedValue(v: unknown): v is TypedValueColumns {
  if (typeof v !== 'object' || v === null) return false;
  const r = v as Record<string, unknown>;
  const isNullOr = (x: unknown, type: string) => x === null || typeof x === type;
  return (
    Object.values(FeatureStateValueType).includes(r.type as never) &&
    isNullOr(r.string_value, 'string') &&
    (r.integer_value === null || Number.isInteger(r.integer_value)) &&
    isNullOr(r.boolean_value, 'boolean')
  );
}

function readFlagState(path: string, fields: Y.Map<unknown>, weights: Y.Map<unknown> | undefined): FlagStateContent {
  const enabled = fields.get(ENABLED);
  if (typeof enabled !== 'boolean') throw validationFailed(`${path}/enabled`, 'must be a boolean');
  const value = fields.get(VALUE);
  if (!isTypedValue(value)) throw validationFailed(`${path}/value`, 'must be a typed value');
  const multivariateWeights: Record<string, number> = {};
  for (const [optionId, weight] of weights?.entries() ?? []) {
    if (typeof weight !== 'number' || !Number.isFinite(weight)) throw validationFailed(`${path}/${WEIGHTS}/${optionId}`, 'must be a number');
    multivariateWeights[optionId] = weight;
  }
  return { enabled, value: { ...value }, multivariateWeights };
}

/**
 * The draft's content, canonical. Throws VALIDATION_FAILED (path `draft/...`) when an update from a
 * replica left a field malformed, so the server can reject such an update.
 */
export function readDraftDoc(doc: Y.Doc): VersionContent {
  const environmentDefault = readFlagState('draft/environmentDefault', doc.getMap(DEFAULT_MAP), doc.getMap(DEFAULT_WEIGHTS_MAP));
  const segmentOverrides: Record<string, SegmentOverrideContent> = {};
  for (const [id, fields] of overridesOf(doc).entries()) {
    const path = `draft/segmentOverrides/${id}`;
    if (!(fields instanceof Y.Map)) throw validationFailed(path, 'must be a map');
    const priority = fields.get(PRIORITY);
    if (typeof priority !== 'number' || !Number.isFinite(priority)) throw validationFailed(`${path}/priority`, 'must be a number');
    const weights = fields.get(WEIGHTS);
    if (weights !== undefined && !(weights instanceof Y.Map)) throw validationFailed(`${path}/${WEIGHTS}`, 'must be a map');
    segmentOverrides[id] = { priority, ...readFlagState(path, fields, weights) };
  }
  return canonicalizeVersionContent({ environmentDefault, segmentOverrides });
}

/** Sets `enabled` of the environment default (`segmentId` null) or of an override; false if it has no such override. */
export function setEnabled(doc: Y.Doc, segmentId: string | null, enabled: boolean): boolean {
  const fields = fieldsOf(doc, segmentId);
  if (!fields) return false;
  doc.transact(() => fields.set(ENABLED, enabled));
  return true;
}

/** Sets the value of the environment default (`segmentId` null) or of an override; false if it has no such override. */
export function setValue(doc: Y.Doc, segmentId: string | null, value: TypedValueColumns): boolean {
  const fields = fieldsOf(doc, segmentId);
  if (!fields) return false;
  doc.transact(() => fields.set(VALUE, { ...value }));
  return true;
}

/**
 * Sets one multivariate option's weight (percentage allocation) of the environment default (`segmentId`
 * null) or of an override; `null` removes the option's value. False if it has no such override.
 */
export function setMultivariateWeight(doc: Y.Doc, segmentId: string | null, optionId: string, weight: number | null): boolean {
  const weights = weightsOf(doc, segmentId);
  if (!weights) return false;
  doc.transact(() => (weight === null ? weights.delete(optionId) : weights.set(optionId, weight)));
  return true;
}

/**
 * Creates or replaces the override of a segment. Only fields that differ are written. A new override goes
 * to position `priority` (default: last); an existing one moves there if `priority` is given.
 */
export function upsertSegmentOverride(doc: Y.Doc, segmentId: string, override: SegmentOverrideInput): void {
  doc.transact(() => {
    const overrides = overridesOf(doc);
    const before = currentOrder(doc).map((e) => e.id);
    let fields = overrides.get(segmentId);
    let weights = weightsOf(doc, segmentId);
    const isNew = !fields;
    if (!fields || !weights) {
      fields = fields ?? new Y.Map<unknown>();
      if (isNew) overrides.set(segmentId, fields);
      weights = new Y.Map<number>();
      fields.set(WEIGHTS, weights);
    }
    writeFlagState(fields, weights, override);
    if (isNew || override.priority !== undefined) {
      const others = before.filter((id) => id !== segmentId);
      const position = override.priority === undefined ? others.length : Math.min(Math.max(Math.trunc(override.priority), 0), others.length);
      writeOrder(doc, [...others.slice(0, position), segmentId, ...others.slice(position)]);
    }
  });
}

/** Removes a segment's override; false if there was none. */
export function removeSegmentOverride(doc: Y.Doc, segmentId: string): boolean {
  const overrides = overridesOf(doc);
  if (!overrides.has(segmentId)) return false;
  doc.transact(() => overrides.delete(segmentId));
  return true;
}

/**
 * Reorders the overrides: `segmentIds` first, in that order (ids without an override are ignored), then
 * any override not named, in its current order. Rewrites the priority of the moved overrides only.
 */
export function reorderSegmentOverrides(doc: Y.Doc, segmentIds: readonly string[]): void {
  doc.transact(() => {
    const current = currentOrder(doc).map((e) => e.id);
    const existing = new Set(current);
    const named = [...new Set(segmentIds)].filter((id) => existing.has(id));
    const rest = current.filter((id) => !named.includes(id));
    writeOrder(doc, [...named, ...rest]);
  });
}
