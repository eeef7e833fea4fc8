import { ApiError, type ApiClient, type Environment, type Feature, type FeatureState, type FeatureVersion, type Segment, type VersionState } from './api-client.js';
import type * as Y from 'yjs';
import { textToValue, valueToText } from './flag-value.js';
import { removeSegmentOverride, reorderSegmentOverrides, setEnabled, setMultivariateWeight, setValue, upsertSegmentOverride } from '../../src-shared/domain/versioning/draft-doc.js';
import { orderedSegmentIds, type FlagStateContent, type VersionContent } from '../../src-shared/domain/versioning/version-content.js';
import { isOverHundred, weightsOfShares } from '../../src-shared/domain/versioning/version-change-wire.js';

/** The flag state at one place (environment default or one segment override) as the editor holds it. */
export interface EditableState {
  enabled: boolean;
  /** What the value field shows; typed on save (see textToValue). */
  valueText: string;
  /** Multivariate weights (0–100) by option id; an option without an entry has no share. */
  weights: Record<string, number>;
}

type MultivariateValues = { multivariate_feature_option: number; percentage_allocation: number }[];

function weightsOf(values: MultivariateValues): Record<string, number> {
  return weightsOfShares(values);
}

function isSameWeights(a: Record<string, number>, b: Record<string, number>): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].every((k) => a[k] === b[k]);
}

/** The share left for the control value (the feature's own value) after the variations' weights. */
export function controlWeight(weights: Record<string, number>): number {
  return Math.round((100 - Object.values(weights).reduce((sum, w) => sum + w, 0)) * 1000) / 1000;
}

export interface EditableOverride extends EditableState {
  segmentId: number;
  segmentName: string;
  /** The state's id in the draft (v2) or the live feature state (v1); null for an override added in the editor. */
  stateId: number | null;
  /** v1 only: the feature segment holding the override. */
  featureSegmentId: number | null;
}

/** What the value and segment-override editor edits. Overrides are in evaluation order (first wins). */
export interface FeatureEditorContent {
  environmentDefault: EditableState & { stateId: number | null };
  overrides: EditableOverride[];
}

/**
 * Where the editor's content comes from and where it saves: the live feature states on a v1
 * environment; on v2 a draft version when one exists, else the live version (the first save creates
 * the draft).
 */
export type EditorSource = { kind: 'v1' } | { kind: 'v2'; draft: FeatureVersion | null; live: FeatureVersion | null };

export interface FeatureEditorData {
  source: EditorSource;
  content: FeatureEditorContent;
  /** Segments of the project that have no override yet, for "Add override". */
  segments: Segment[];
}

function segmentNameOf(segments: Segment[], id: number): string {
  return segments.find((s) => s.id === id)?.name ?? `Segment ${id}`;
}

function contentFromVersionStates(states: VersionState[], segments: Segment[]): FeatureEditorContent {
  const environmentDefault = states.find((s) => s.feature_segment === null);
  const overrides = states
    .filter((s) => s.feature_segment !== null)
    .sort((a, b) => a.feature_segment!.priority - b.feature_segment!.priority)
    .map((s) => ({
      segmentId: s.feature_segment!.segment,
      segmentName: segmentNameOf(segments, s.feature_segment!.segment),
      stateId: s.id,
      featureSegmentId: null,
      enabled: s.enabled,
      valueText: valueToText(s.feature_state_value),
      weights: weightsOf(s.multivariate_feature_state_values),
    }));
  return {
    environmentDefault: {
      stateId: environmentDefault?.id ?? null,
      enabled: environmentDefault?.enabled ?? false,
      valueText: environmentDefault ? valueToText(environmentDefault.feature_state_value) : '',
      weights: weightsOf(environmentDefault?.multivariate_feature_state_values ?? []),
    },
    overrides,
  };
}

function contentFromV1States(states: FeatureState[], featureSegments: { id: number; segment: number; priority: number; segment_name: string }[]): FeatureEditorContent {
  const environmentDefault = states.find((s) => s.feature_segment === null);
  const overrides = [...featureSegments]
    .sort((a, b) => a.priority - b.priority)
    .map((fs) => {
      const state = states.find((s) => s.feature_segment === fs.id);
      return {
        segmentId: fs.segment,
        segmentName: fs.segment_name,
        stateId: state?.id ?? null,
        featureSegmentId: fs.id,
        enabled: state?.enabled ?? false,
        valueText: state ? valueToText(state.feature_state_value) : '',
        weights: weightsOf(state?.multivariate_feature_state_values ?? []),
      };
    });
  return {
    environmentDefault: {
      stateId: environmentDefault?.id ?? null,
      enabled: environmentDefault?.enabled ?? false,
      valueText: environmentDefault ? valueToText(environmentDefault.feature_state_value) : '',
      weights: weightsOf(environmentDefault?.multivariate_feature_state_values ?? []),
    },
    overrides,
  };
}

/** The newest version that is live now: published with live_from passed, latest live_from first. */
export function currentLiveVersion(versions: FeatureVersion[]): FeatureVersion | null {
  const live = versions.filter((v) => v.is_live);
  live.sort((a, b) => (b.live_from ?? '').localeCompare(a.live_from ?? ''));
  return live[0] ?? null;
}

/** Loads what the editor shows for a feature in an environment (see EditorSource). */
export async function loadFeatureEditor(api: ApiClient, environment: Environment, feature: Pick<Feature, 'id' | 'project'>): Promise<FeatureEditorData> {
  // A feature-specific segment can only override its own feature.
  const segments = (await api.listSegments(environment.project)).filter((s) => s.feature === null || s.feature === feature.id);
  if (!environment.use_v2_feature_versioning) {
    const [states, featureSegments] = await Promise.all([api.listFeatureStates(environment.id, feature.id), api.listFeatureSegments(environment.id, feature.id)]);
    return { source: { kind: 'v1' }, content: contentFromV1States(states, featureSegments), segments };
  }
  const versions = await api.listFeatureVersions(environment.id, feature.id);
  const draft = versions.find((v) => v.status === 'draft') ?? null;
  const live = currentLiveVersion(versions);
  const shown = draft ?? live;
  const states = shown ? await api.listVersionStates(environment.id, feature.id, shown.uuid) : [];
  return { source: { kind: 'v2', draft, live }, content: contentFromVersionStates(states, segments), segments };
}

/** What changed between the loaded content and the edited one, place by place. */
export interface EditorChanges {
  environmentDefault: Partial<EditableState> | null;
  /** Overrides in their final order with what changed on each (`isNew` for added ones). */
  overrides: { override: EditableOverride; priority: number; isNew: boolean; changed: Partial<EditableState>; isMoved: boolean }[];
  removed: EditableOverride[];
  isOrderChanged: boolean;
}

function changedFields(before: EditableState, after: EditableState): Partial<EditableState> {
  return {
    ...(before.enabled !== after.enabled ? { enabled: after.enabled } : {}),
    ...(before.valueText !== after.valueText ? { valueText: after.valueText } : {}),
    ...(!isSameWeights(before.weights, after.weights) ? { weights: after.weights } : {}),
  };
}

/** The edits that turn `original` into `edited`; empty when nothing changed. */
export function diffEditorContent(original: FeatureEditorContent, edited: FeatureEditorContent): EditorChanges {
  const defaultChange = changedFields(original.environmentDefault, edited.environmentDefault);
  const editedIds = new Set(edited.overrides.map((o) => o.segmentId));
  const removed = original.overrides.filter((o) => !editedIds.has(o.segmentId));
  const keptOriginal = original.overrides.filter((o) => editedIds.has(o.segmentId)).map((o) => o.segmentId);
  const originalIds = new Set(original.overrides.map((o) => o.segmentId));
  const keptEdited = edited.overrides.filter((o) => originalIds.has(o.segmentId)).map((o) => o.segmentId);
  const isKeptOrderChanged = keptOriginal.some((id, i) => keptEdited[i] !== id);
  // Added overrides anywhere but at the end move the others too.
  const firstNew = edited.overrides.findIndex((o) => !originalIds.has(o.segmentId));
  const isOrderChanged = isKeptOrderChanged || (firstNew !== -1 && edited.overrides.slice(firstNew).some((o) => originalIds.has(o.segmentId)));
  const overrides = edited.overrides.map((override, priority) => {
    const before = original.overrides.find((o) => o.segmentId === override.segmentId);
    const originalIndex = original.overrides.findIndex((o) => o.segmentId === override.segmentId);
    return { override, priority, isNew: before === undefined, changed: before ? changedFields(before, override) : {}, isMoved: before !== undefined && isOrderChanged && originalIndex !== priority };
  });
  return { environmentDefault: Object.keys(defaultChange).length > 0 ? defaultChange : null, overrides, removed, isOrderChanged };
}

export function hasEditorChanges(changes: EditorChanges): boolean {
  return changes.environmentDefault !== null || changes.removed.length > 0 || changes.isOrderChanged || changes.overrides.some((o) => o.isNew || Object.keys(o.changed).length > 0);
}

function weightsWrite(weights: Record<string, number>): MultivariateValues {
  return Object.entries(weights).map(([option, percentage]) => ({ multivariate_feature_option: Number(option), percentage_allocation: percentage }));
}

function stateWrite(changed: Partial<EditableState>) {
  return {
    ...(changed.enabled !== undefined ? { enabled: changed.enabled } : {}),
    ...(changed.valueText !== undefined ? { feature_state_value: textToValue(changed.valueText) } : {}),
    ...(changed.weights !== undefined ? { multivariate_feature_state_values: weightsWrite(changed.weights) } : {}),
  };
}

/** Every field of a new override. */
function fullWrite(state: EditableState) {
  return { enabled: state.enabled, feature_state_value: textToValue(state.valueText), ...(Object.keys(state.weights).length > 0 ? { multivariate_feature_state_values: weightsWrite(state.weights) } : {}) };
}

/** Places whose weights add up to more than 100 %, which the server refuses. */
export function placesOverHundred(content: FeatureEditorContent): string[] {
  const places = [{ name: 'Environment default', state: content.environmentDefault }, ...content.overrides.map((o) => ({ name: o.segmentName, state: o }))];
  return places.filter((p) => isOverHundred(p.state.weights)).map((p) => p.name);
}

/**
 * Saves the editor: on v1 straight to the live feature states (and feature segments); on v2 into the
 * draft, creating it from the live version with all changes in one call when there is none yet.
 * Returns the draft on v2 (null on v1).
 */
export async function saveFeatureEditor(
  api: ApiClient,
  environment: Environment,
  feature: Pick<Feature, 'id'>,
  data: FeatureEditorData,
  edited: FeatureEditorContent,
): Promise<FeatureVersion | null> {
  const changes = diffEditorContent(data.content, edited);
  if (data.source.kind === 'v1') {
    await saveV1(api, environment, feature.id, data.content, changes);
    return null;
  }
  const { draft } = data.source;
  const touched = changes.overrides.filter((o) => !o.isNew && (Object.keys(o.changed).length > 0 || changes.isOrderChanged));
  if (!draft) {
    return api.createFeatureVersion(environment.id, feature.id, {
      feature_states_to_update: [
        ...(changes.environmentDefault ? [{ feature_segment: null, ...stateWrite(changes.environmentDefault) }] : []),
        ...touched.map((o) => ({ feature_segment: { segment: o.override.segmentId, ...(changes.isOrderChanged ? { priority: o.priority } : {}) }, ...stateWrite(o.changed) })),
      ],
      feature_states_to_create: changes.overrides
        .filter((o) => o.isNew)
        .map((o) => ({ feature_segment: { segment: o.override.segmentId, priority: o.priority }, ...fullWrite(o.override) })),
      segment_ids_to_delete_overrides: changes.removed.map((o) => o.segmentId),
    });
  }
  for (const removed of changes.removed) if (removed.stateId !== null) await api.deleteVersionState(environment.id, feature.id, draft.uuid, removed.stateId);
  if (changes.environmentDefault && data.content.environmentDefault.stateId !== null) {
    await api.updateVersionState(environment.id, feature.id, draft.uuid, data.content.environmentDefault.stateId, { feature_segment: null, ...stateWrite(changes.environmentDefault) });
  }
  // In final order, so that each "move to position i" leaves the earlier ones in place.
  for (const o of changes.overrides) {
    if (o.isNew) {
      await api.createVersionState(environment.id, feature.id, draft.uuid, {
        feature_segment: { segment: o.override.segmentId, priority: o.priority },
        ...fullWrite(o.override),
      });
    } else if (o.override.stateId !== null && (Object.keys(o.changed).length > 0 || changes.isOrderChanged)) {
      await api.updateVersionState(environment.id, feature.id, draft.uuid, o.override.stateId, {
        feature_segment: { segment: o.override.segmentId, ...(changes.isOrderChanged ? { priority: o.priority } : {}) },
        ...stateWrite(o.changed),
      });
    }
  }
  return draft;
}

async function saveV1(api: ApiClient, environment: Environment, featureId: number, original: FeatureEditorContent, changes: EditorChanges): Promise<void> {
  const base = { feature: featureId, environment: environment.id };
  for (const removed of changes.removed) if (removed.featureSegmentId !== null) await api.deleteFeatureSegment(removed.featureSegmentId);
  if (changes.environmentDefault && original.environmentDefault.stateId !== null) {
    await api.updateFeatureState(original.environmentDefault.stateId, { ...base, feature_segment: null, ...stateWrite(changes.environmentDefault) });
  }
  const order: { id: number; priority: number }[] = [];
  for (const o of changes.overrides) {
    if (o.isNew) {
      const featureSegment = await api.createFeatureSegment({ ...base, segment: o.override.segmentId, priority: o.priority });
      await api.createFeatureState({ ...base, feature_segment: featureSegment.id, ...fullWrite(o.override) });
      order.push({ id: featureSegment.id, priority: o.priority });
      continue;
    }
    if (o.override.stateId !== null && Object.keys(o.changed).length > 0) {
      await api.updateFeatureState(o.override.stateId, { ...base, feature_segment: o.override.featureSegmentId, ...stateWrite(o.changed) });
    }
    if (o.override.featureSegmentId !== null) order.push({ id: o.override.featureSegmentId, priority: o.priority });
  }
  if (changes.isOrderChanged) await api.updateFeatureSegmentPriorities(order);
}

/** Switches a feature on or off in an environment: a saved state on v1, a published version on v2. */
export async function setFeatureEnabled(api: ApiClient, environment: Environment, feature: Feature, enabled: boolean): Promise<void> {
  if (environment.use_v2_feature_versioning) {
    await api.createFeatureVersion(environment.id, feature.id, { feature_states_to_update: [{ feature_segment: null, enabled }], publish_immediately: true });
    return;
  }
  const state = feature.environment_feature_state;
  if (!state) throw new Error(`${feature.name} has no state in ${environment.name}`);
  await api.setEnvironmentFeatureStateEnabled(environment.api_key, state.id, enabled);
}

/** One feature of a project with its state in `environment`. */
export async function loadFeature(api: ApiClient, environment: Environment, featureId: number): Promise<Feature> {
  const features = await loadFeatureList(api, environment, '');
  const feature = features.find((f) => f.id === featureId);
  if (!feature) throw new ApiError('NOT_FOUND', `Feature ${featureId} is not in this project.`, 404);
  return feature;
}

/**
 * The project's features with their state in `environment`, names containing `search`. On a v2
 * environment the feature list's own state does not follow the live version (it shows the first
 * default row), so the served defaults are taken from the environment's feature states instead.
 */
export async function loadFeatureList(api: ApiClient, environment: Environment, search: string): Promise<Feature[]> {
  const list = api.listFeatures(environment.project, { environmentId: environment.id, ...(search ? { search } : {}) });
  if (!environment.use_v2_feature_versioning) return list;
  const [features, served] = await Promise.all([list, api.listEnvironmentFeatureStates(environment.api_key)]);
  const byFeature = new Map(served.map((s) => [s.feature, s]));
  return features.map((f) => {
    const live = byFeature.get(f.id);
    const state = f.environment_feature_state;
    return live && state ? { ...f, environment_feature_state: { ...state, enabled: live.enabled, feature_state_value: live.feature_state_value } } : f;
  });
}

/*
 * The replica variant (v2 with a local replica): the editor reads a version's content and writes into the
 * draft's Yjs document, field by field, so that only what the user changed is written and concurrent
 * edits of other fields by other admins survive the merge (D7).
 */

/** What the editor shows of a version's (or a draft's) content. */
export function editorContentOfVersion(content: VersionContent, segments: Segment[]): FeatureEditorContent {
  const stateOf = (s: FlagStateContent): EditableState => ({ enabled: s.enabled, valueText: valueToText(s.value), weights: { ...s.multivariateWeights } });
  return {
    environmentDefault: { stateId: null, ...stateOf(content.environmentDefault) },
    overrides: orderedSegmentIds(content).map((id) => ({
      segmentId: Number(id),
      segmentName: segmentNameOf(segments, Number(id)),
      stateId: null,
      featureSegmentId: null,
      ...stateOf(content.segmentOverrides[id]!),
    })),
  };
}

function writeChangedFields(doc: Y.Doc, segmentId: string | null, changed: Partial<EditableState>, weightsBefore: Record<string, number>): void {
  if (changed.enabled !== undefined) setEnabled(doc, segmentId, changed.enabled);
  if (changed.valueText !== undefined) setValue(doc, segmentId, textToValue(changed.valueText));
  if (changed.weights !== undefined) {
    const after = changed.weights;
    for (const optionId of new Set([...Object.keys(weightsBefore), ...Object.keys(after)])) {
      if (weightsBefore[optionId] !== after[optionId]) setMultivariateWeight(doc, segmentId, optionId, after[optionId] ?? null);
    }
  }
}

/** Writes the edits that turn `original` into `edited` into a draft document, in one transaction. */
export function applyEditorChangesToDraft(doc: Y.Doc, original: FeatureEditorContent, edited: FeatureEditorContent): void {
  const changes = diffEditorContent(original, edited);
  doc.transact(() => {
    if (changes.environmentDefault) writeChangedFields(doc, null, changes.environmentDefault, original.environmentDefault.weights);
    for (const removed of changes.removed) removeSegmentOverride(doc, String(removed.segmentId));
    for (const o of changes.overrides) {
      const segmentId = String(o.override.segmentId);
      if (o.isNew) {
        upsertSegmentOverride(doc, segmentId, { enabled: o.override.enabled, value: textToValue(o.override.valueText), multivariateWeights: { ...o.override.weights }, priority: o.priority });
      } else if (Object.keys(o.changed).length > 0) {
        const before = original.overrides.find((x) => x.segmentId === o.override.segmentId);
        writeChangedFields(doc, segmentId, o.changed, before?.weights ?? {});
      }
    }
    if (changes.isOrderChanged) reorderSegmentOverrides(doc, edited.overrides.map((o) => String(o.segmentId)));
  });
}
