import * as Y from 'yjs';
import { isLiveAt } from '../../../src-shared/domain/versioning/live-version.js';
import { changeToWire } from './version-change-wire.js';
import type { FastifyBaseLogger } from 'fastify';
import { beforeCommit, type Db, type DbExecutor } from '../../platform/database/database.js';
import type { Clock } from '../../platform/clock/clock.js';
import { generateUuid } from '../../platform/security/secrets.js';
import { EnvironmentPermission } from '../../../src-shared/domain/permissions/permissions.js';
import { AppError, assert, notFound, validationFailed } from '../../../src-shared/errors/app-error.js';
import { ErrorCode } from '../../../src-shared/errors/error-codes.js';
import { inferFeatureStateValue } from '../../../src-shared/domain/flags/feature-state-value.rules.js';
import { canonicalVersionContentJson, type VersionContent, type FlagStateContent } from '../../../src-shared/domain/versioning/version-content.js';
import { diffVersionContent, describeChange } from '../../../src-shared/domain/versioning/version-diff.js';
import { mergeVersionContent, type MergeConflict } from '../../../src-shared/domain/versioning/three-way-merge.js';
import { countSegmentOverrides, historyWindowStart, type LimitCheck } from '../../../src-shared/domain/plan-limits/plan-limits.rules.js';
import { createDraftDoc, loadDraftDoc, readDraftDoc, removeSegmentOverride, setEnabled, setMultivariateWeight, setValue, upsertSegmentOverride } from '../../../src-shared/domain/versioning/draft-doc.js';
import {
  VersionStatus,
  type FeatureVersionCreateInput,
  type FeatureVersionDetailWire,
  type FeatureVersionDiffWire,
  type FeatureVersionWire,
  type VersionConflictWire,
  type VersionFeatureStateWire,
  type VersionStateCreateInput,
  type VersionStateUpdateInput,
} from '../../../src-shared/contracts/http/versions.contract.js';
import { assertDirectChange } from '../access/direct-change.js';
import type { Principal } from '../access/principal.js';
import type { AccessService } from '../access/access.service.js';
import { AuditObjectType, type AuditService } from '../audit/audit.service.js';
import type { EventsService } from '../webhooks/events.service.js';
import type { EmailService } from '../email/email.service.js';
import type { OrganisationsService } from '../organisations/organisations.service.js';
import { scheduledChangeConflictEmail } from '../email/email-templates.js';
import { bumpDocumentRevision } from '../sdk/document-revision.js';
import { lockUntilCommit } from '../../platform/database/transaction-lock.js';
import { createOverrideLimitCheck } from './override-limit.js';
import { parseTypedValue } from '../features/flag-value-input.js';
import type { EnvironmentRef, FeatureRef, VersionRecord, VersionStateRow, VersionsStore, VersionSummary } from './versions.store.js';
import { conflictToWire, contentColumns, defaultContentOf, flagStateOf, parseContent, placesOverHundred, statesOfContent } from './version-content-rows.js';

type Page = { offset: number; limit: number };
type EnvironmentScope = Awaited<ReturnType<AccessService['assertEnvironment']>>;
type MultivariateInput = { multivariate_feature_option: number; percentage_allocation: number }[];
interface StateInput {
  enabled?: boolean | undefined;
  feature_state_value?: { type?: 'unicode' | 'int' | 'bool' | undefined; string_value?: unknown; integer_value?: unknown; boolean_value?: unknown } | undefined;
  multivariate_feature_state_values?: MultivariateInput | undefined;
}

/** A change set in Flagsmith's shape: what `create` and change requests apply to the live content. */
export type ChangeInputs = Pick<FeatureVersionCreateInput, 'feature_states_to_create' | 'feature_states_to_update' | 'segment_ids_to_delete_overrides'>;

/** A version's content and place in the chain, for change requests (issue 5). */
export interface VersionContentRef {
  uuid: string;
  environmentId: number;
  featureId: number;
  status: VersionStatus;
  baseVersionUuid: string | null;
  /** The version that was live when this one went live (null before it did). */
  previousVersionUuid: string | null;
  liveFrom: string | null;
  content: VersionContent;
}

/** What the scheduler tells a listener when a scheduled version fails to go live on a conflict (D8). */
export interface ScheduledConflictNotice {
  versionUuid: string;
  liveVersionUuid: string;
  environment: { id: number; name: string; organisationId: number; projectId: number };
  feature: { id: number; name: string };
  scheduledFor: string;
  conflicts: VersionConflictWire[];
  detectedAt: string;
}

/**
 * A listener's answer: the change request the version belongs to (for the event's `change_request`) and
 * further people to email besides the version's publisher (e.g. a change request's author and assignees).
 */
export interface ScheduledConflictAnswer {
  changeRequest?: { id: number; title: string } | null;
  notify?: string[];
}

/** Runs inside the scheduler's transaction, so its writes commit with the conflict. */
export type ScheduledConflictListener = (trx: DbExecutor, notice: ScheduledConflictNotice) => Promise<ScheduledConflictAnswer | undefined>;

/** Where a version request points: the environment (v2), the feature, and the caller's scope. */
interface VersionContext {
  scope: EnvironmentScope;
  env: EnvironmentRef;
  feature: FeatureRef;
}

/**
 * Feature Versioning v2 (issue 3, ADR 0005, D7, D8). Every published change to a feature in a v2
 * environment is an immutable version; drafts are Yjs documents edited through REST; publishing merges
 * the draft with whatever went live since its base, in one transaction that locks the environment row
 * first, so concurrent publishes of one feature form one chain.
 *
 * Permissions (as Flagsmith): VIEW_ENVIRONMENT reads; UPDATE_FEATURE_STATE creates, publishes, restores
 * and deletes versions and edits a draft's environment default; a draft's segment overrides may also be
 * edited with MANAGE_SEGMENT_OVERRIDES. Another organisation's objects are NOT_FOUND. A v1 environment
 * answers PRECONDITION_FAILED.
 *
 * Effects of a version going live (at publish, or when the scheduler reaches a future `live_from`): one
 * EF_VERSION audit entry (`New version published for feature: <name>`, `related_object_uuid` = version),
 * one NEW_VERSION_PUBLISHED event, one FLAG_UPDATED per feature state that changed against the previous
 * live version (added overrides included) and one FLAG_DELETED per override it dropped.
 *
 * Plan limits (spec "Plan-limit accounting"): `max_segment_overrides_per_environment` counts the overrides
 * of each feature's live version only; a version going live (publish, restore, a scheduled version at its
 * `live_from`) that would add overrides beyond it is LIMIT_EXCEEDED (drafts may hold any number). The
 * versions list hides versions that went live before the `feature_history_visibility_days` window,
 * except the live one; the other reads by uuid are not limited (as Flagsmith).
 */
export interface VersionsService {
  list(p: Principal, environmentId: number, featureId: number, filter: { isLive?: boolean | undefined; published?: boolean | undefined }, page: Page): Promise<{ total: number; items: FeatureVersionWire[] }>;
  create(p: Principal, environmentId: number, featureId: number, input: FeatureVersionCreateInput): Promise<FeatureVersionWire>;
  get(p: Principal, environmentId: number, featureId: number, uuid: string): Promise<FeatureVersionWire>;
  /** Only drafts (and scheduled versions that failed on a conflict); published versions are immutable. */
  remove(p: Principal, environmentId: number, featureId: number, uuid: string): Promise<void>;
  /** `liveFrom` in the future schedules; absent or past means now. */
  publish(p: Principal, environmentId: number, featureId: number, uuid: string, liveFrom: string | null | undefined): Promise<FeatureVersionWire>;
  /** Publishes a copy of a published version's content as a new version (rollback). */
  restore(p: Principal, environmentId: number, featureId: number, uuid: string, description: string | null | undefined): Promise<FeatureVersionWire>;
  /** Changes from `against` (default: the previous live version, or a draft's base) to the version. */
  diff(p: Principal, environmentId: number, featureId: number, uuid: string, against: string | undefined): Promise<FeatureVersionDiffWire>;
  getByUuid(p: Principal, uuid: string): Promise<FeatureVersionDetailWire>;

  /**
   * Sync push of a draft (D6, D7): merges a replica's Yjs update (its whole state or a delta) into the
   * stored draft document and re-materialises the draft. Checked like the REST edits: a change to the
   * environment default needs UPDATE_FEATURE_STATE, overrides alone MANAGE_SEGMENT_OVERRIDES; segments and
   * options must belong to the feature. Only drafts merge (PRECONDITION_FAILED `VERSION_NOT_DRAFT`).
   */
  mergeDraftUpdate(p: Principal, uuid: string, update: Uint8Array): Promise<void>;
  /**
   * Sync push of a draft created on a replica (offline): a draft with the replica's uuid and Yjs document,
   * based on `baseVersionUuid` (a published version of the feature, or null for the live one). Needs
   * UPDATE_FEATURE_STATE.
   */
  createDraftFromUpdate(p: Principal, input: { uuid: string; environmentId: number; featureId: number; baseVersionUuid: string | null; description: string | null; update: Uint8Array }): Promise<void>;
  /**
   * The environment's segment overrides as `max_segment_overrides_per_environment` counts them on v2:
   * those of each feature's live version at the clock's now. The feature-segments module counts v2
   * environments with it.
   */
  countLiveSegmentOverrides(ex: DbExecutor, environmentId: number): Promise<number>;

  listStates(p: Principal, environmentId: number, featureId: number, uuid: string): Promise<VersionFeatureStateWire[]>;
  getState(p: Principal, environmentId: number, featureId: number, uuid: string, stateId: number): Promise<VersionFeatureStateWire>;
  createState(p: Principal, environmentId: number, featureId: number, uuid: string, input: VersionStateCreateInput): Promise<VersionFeatureStateWire>;
  updateState(p: Principal, environmentId: number, featureId: number, uuid: string, stateId: number, input: VersionStateUpdateInput): Promise<VersionFeatureStateWire>;
  removeState(p: Principal, environmentId: number, featureId: number, uuid: string, stateId: number): Promise<void>;

  /**
   * Gives every feature of the environment's project that has no version yet its initial published
   * version, live now, holding its current v1 state: the v1 feature states and feature segments are
   * attached to the version (a feature without a state gets one from its defaults). Runs in the caller's
   * transaction; the enable-v2 job calls it before flipping `use_v2_feature_versioning`. Returns how many
   * versions it created. No audit or webhooks (nothing changes for SDKs).
   */
  createInitialVersions(trx: DbExecutor, environmentId: number): Promise<number>;
  /** The same for one feature (e.g. a feature created in a project with v2 environments). */
  createInitialVersion(trx: DbExecutor, environmentId: number, featureId: number): Promise<string | undefined>;
  /**
   * The enable-v2 job's carried-over v1 scheduled change: a scheduled version of `change.content` based on
   * `change.baseVersionUuid`, materialised as its feature segments and feature states, that the scheduler
   * merges and publishes at `change.liveFrom` (D8). Created at `now` (the job's batch time), with no
   * author, audit entry or event: nothing changes for SDKs until it goes live. Runs in the caller's
   * transaction (ADR 0007); returns the new version's uuid.
   */
  createScheduledVersion(
    trx: DbExecutor,
    change: { environmentId: number; featureId: number; content: VersionContent; baseVersionUuid: string; liveFrom: string; description: string },
    now: string,
  ): Promise<string>;
  /**
   * The disable-v2 job, one batch of features: the version live at `now` of each feature becomes its v1
   * states (`version` 1, `live_from` now); every other version of the feature, with its feature states
   * and feature segments, is deleted. A feature without a live version keeps its v1 rows. Runs in the
   * caller's transaction (ADR 0007).
   */
  discardHistory(trx: DbExecutor, environmentId: number, featureIds: readonly number[], now: string): Promise<void>;
  /** The disable-v2 job's last step: deletes whatever versions of the environment remain (features deleted meanwhile). */
  discardRemainingVersions(trx: DbExecutor, environmentId: number): Promise<void>;
  /**
   * The live version uuid per feature of an environment at `now` (default: the clock's now): what SDKs
   * are served on a v2 environment. For SQL readers, `selectLiveVersionUuids` in `live-versions.sql.ts`
   * gives the same set as a subquery.
   */
  liveVersionUuids(environmentId: number, now?: Date, ex?: DbExecutor): Promise<Map<number, string>>;
  /**
   * The scheduler's pass (D4): every scheduled version with `live_from <= now` is merged against the
   * version live then and published, or marked `conflict` (audit entry, SCHEDULED_VERSION_CONFLICT event,
   * email to its publisher). Safe with several instances. Returns how many versions it handled.
   */
  publishDueVersions(): Promise<number>;

  // ---- hooks for change requests (issue 5): no authorisation (the caller checked it); run in `trx` ----

  /**
   * The content a change set gives a feature of a v2 environment, applied to its live version (the
   * feature's initial version is created first if it has none). Validation errors name fields under
   * `path`. PRECONDITION_FAILED on a v1 environment.
   */
  composeChange(trx: DbExecutor, environmentId: number, featureId: number, input: ChangeInputs, path: string): Promise<{ live: VersionContentRef | undefined; content: VersionContent }>;
  /**
   * After a legacy in-place write on a v2 environment (the `featurestates` endpoints change the live
   * version's rows, as the spec says), makes the version's stored content match its rows again, so the
   * next draft, diff or merge starts from what SDKs are served instead of silently undoing that write.
   */
  refreshContentFromStates(trx: DbExecutor, versionUuid: string): Promise<void>;
  /** The live version of a feature with its content, or undefined. */
  liveVersionContent(trx: DbExecutor, environmentId: number, featureId: number): Promise<VersionContentRef | undefined>;
  /** Any version with its content, or undefined. */
  versionContent(trx: DbExecutor, uuid: string): Promise<VersionContentRef | undefined>;
  /**
   * Publishes `content` as a new version made from `baseVersionUuid`: merged with what went live since
   * (D8; a conflict throws PRECONDITION_FAILED with `details.conflicts`), live now or scheduled for a
   * future `liveFrom`, linked to the change request. Takes the environment lock. Same effects as publish.
   */
  publishContent(
    trx: DbExecutor,
    actor: Principal,
    change: { environmentId: number; featureId: number; content: VersionContent; baseVersionUuid: string | null; liveFrom: string | null; description: string | null; changeRequestId: number | null },
  ): Promise<FeatureVersionWire>;
  /** Registers a listener told about each scheduled version that does not go live on a conflict. */
  onScheduledConflict(listener: ScheduledConflictListener): void;
}

function precondition(message: string, details?: Record<string, unknown>): AppError {
  return new AppError(ErrorCode.PRECONDITION_FAILED, message, details ? { details } : {});
}

function toBase64(update: Uint8Array): string {
  return Buffer.from(update).toString('base64');
}

function fromBase64(state: string): Uint8Array {
  return new Uint8Array(Buffer.from(state, 'base64'));
}

/** The row of a new draft: its content, its Yjs state and the version it is based on. */
function draftRecord(d: {
  uuid: string;
  ctx: VersionContext;
  p: Principal | null;
  content: VersionContent;
  doc: Y.Doc;
  base: VersionRecord | undefined;
  description: string | null;
  now: string;
  /** A `live_from` given at creation: used when the draft is published without one (spec §3.2). */
  liveFrom?: string | null;
}): Omit<VersionRecord, 'id'> {
  return {
    uuid: d.uuid,
    environmentId: d.ctx.env.id,
    featureId: d.ctx.feature.id,
    status: VersionStatus.DRAFT,
    description: d.description,
    ...contentColumns(d.content),
    draftState: toBase64(Y.encodeStateAsUpdate(d.doc)),
    baseVersionUuid: d.base?.uuid ?? null,
    // Spec §3.6: a draft's previous version is the one live when it was made (its base, when live).
    previousVersionUuid: d.base?.status === VersionStatus.PUBLISHED ? d.base.uuid : null,
    conflictJson: null,
    liveFrom: d.liveFrom ? new Date(d.liveFrom).toISOString() : null,
    liveSeq: null,
    publishedAt: null,
    ...createdBy(d.p),
    publishedByUserId: null,
    publishedByApiKeyId: null,
    createdAt: d.now,
    updatedAt: d.now,
  };
}

/**
 * A version the server makes on its own, with no author and no draft document, published at `now`: a
 * feature's initial version, or a v1 scheduled change carried over to v2.
 */
function systemVersionRecord(v: {
  uuid: string;
  environmentId: number;
  featureId: number;
  status: VersionStatus;
  description: string | null;
  content: VersionContent;
  baseVersionUuid: string | null;
  liveFrom: string;
  liveSeq: number | null;
  now: string;
}): Omit<VersionRecord, 'id'> {
  return {
    uuid: v.uuid,
    environmentId: v.environmentId,
    featureId: v.featureId,
    status: v.status,
    description: v.description,
    ...contentColumns(v.content),
    draftState: null,
    baseVersionUuid: v.baseVersionUuid,
    previousVersionUuid: null,
    conflictJson: null,
    liveFrom: v.liveFrom,
    liveSeq: v.liveSeq,
    publishedAt: v.now,
    ...createdBy(null),
    ...publishedBy(null),
    createdAt: v.now,
    updatedAt: v.now,
  };
}

function createdBy(p: Principal | null): { createdByUserId: number | null; createdByApiKeyId: number | null } {
  return { createdByUserId: p?.kind === 'user' ? p.userId : null, createdByApiKeyId: p?.kind === 'api_key' ? p.apiKeyId : null };
}

function publishedBy(p: Principal | null): { publishedByUserId: number | null; publishedByApiKeyId: number | null } {
  return { publishedByUserId: p?.kind === 'user' ? p.userId : null, publishedByApiKeyId: p?.kind === 'api_key' ? p.apiKeyId : null };
}

export function toVersionWire(v: VersionSummary, now: string): FeatureVersionWire {
  return {
    created_at: v.createdAt,
    updated_at: v.updatedAt,
    published: v.publishedAt !== null,
    live_from: v.liveFrom,
    uuid: v.uuid,
    is_live: isLiveAt(v, Date.parse(now)),
    published_by: v.publishedByUserId,
    created_by: v.createdByUserId,
    description: v.description,
    status: v.status,
    base_version_uuid: v.baseVersionUuid,
    conflicts: v.conflictJson === null ? null : (JSON.parse(v.conflictJson) as VersionConflictWire[]),
  };
}

function toStateWire(s: VersionStateRow, versionUuid: string): VersionFeatureStateWire {
  return {
    id: s.id,
    uuid: s.uuid,
    feature: s.featureId,
    environment: s.environmentId,
    identity: null,
    feature_segment: s.featureSegmentId === null ? null : { id: s.featureSegmentId, uuid: s.featureSegmentUuid ?? '', segment: s.segmentId ?? 0, priority: s.priority ?? 0 },
    enabled: s.enabled,
    feature_state_value: { ...s.value },
    multivariate_feature_state_values: s.multivariateValues.map((m) => ({ id: m.id, multivariate_feature_option: m.optionId, percentage_allocation: m.percentageAllocation })),
    live_from: s.liveFrom,
    created_at: s.createdAt,
    updated_at: s.updatedAt,
    change_request: null,
    environment_feature_version: versionUuid,
  };
}

export function createVersionsService(deps: {
  db: Db;
  clock: Clock;
  store: VersionsStore;
  access: AccessService;
  audit: AuditService;
  events: EventsService;
  email?: Pick<EmailService, 'send'>;
  /** Plan limits of the environment's organisation. */
  organisations: Pick<OrganisationsService, 'planLimits'>;
  logger?: Pick<FastifyBaseLogger, 'error' | 'warn'> | undefined;
}): VersionsService {
  const { db, clock, store, access, audit, events, email, organisations, logger } = deps;
  const k = db.kysely;
  const nowIso = () => clock.now().toISOString();
  const conflictListeners: ScheduledConflictListener[] = [];

  function contentRef(v: VersionRecord): VersionContentRef {
    return { uuid: v.uuid, environmentId: v.environmentId, featureId: v.featureId, status: v.status, baseVersionUuid: v.baseVersionUuid, previousVersionUuid: v.previousVersionUuid, liveFrom: v.liveFrom, content: parseContent(v.contentJson) };
  }

  // ---- context and authorisation ------------------------------------------------------------------

  async function contextOf(p: Principal, environmentId: number, featureId: number, needed: EnvironmentPermission | 'OVERRIDES', options: { allowV1?: boolean } = {}): Promise<VersionContext> {
    const scope = await assertPermission(p, environmentId, needed);
    const feature = await store.findFeature(k, featureId);
    if (!feature || feature.projectId !== scope.projectId) throw notFound('Feature');
    const env = await store.findEnvironment(k, environmentId);
    assert(env, `environment ${environmentId} of a checked scope exists`);
    if (!env.isV2 && !options.allowV1) {
      throw precondition(`Feature versioning v2 is not enabled on environment '${env.name}': versions exist only on v2 environments (enable it with POST /api/v1/environments/${env.apiKey}/enable-v2-versioning/).`, {
        reason: 'VERSIONING_NOT_ENABLED',
      });
    }
    return { scope, env, feature };
  }

  /** `OVERRIDES`: UPDATE_FEATURE_STATE, or MANAGE_SEGMENT_OVERRIDES (Flagsmith accepts either for a segment override). */
  async function assertPermission(p: Principal, environmentId: number, needed: EnvironmentPermission | 'OVERRIDES'): Promise<EnvironmentScope> {
    if (needed !== 'OVERRIDES') return access.assertEnvironment(p, environmentId, needed);
    try {
      return await access.assertEnvironment(p, environmentId, EnvironmentPermission.UPDATE_FEATURE_STATE);
    } catch (e) {
      if (!(e instanceof AppError) || e.code !== ErrorCode.PERMISSION_DENIED) throw e;
      return access.assertEnvironment(p, environmentId, EnvironmentPermission.MANAGE_SEGMENT_OVERRIDES);
    }
  }

  async function loadVersion(ex: DbExecutor, ctx: VersionContext, uuid: string): Promise<VersionRecord> {
    const v = await store.findVersion(ex, uuid);
    if (!v || v.environmentId !== ctx.env.id || v.featureId !== ctx.feature.id) throw notFound('Version');
    return v;
  }

  function assertDraft(v: VersionRecord): void {
    if (v.status === VersionStatus.DRAFT) return;
    const why =
      v.status === VersionStatus.CONFLICT
        ? 'it failed to go live on a conflict and can only be deleted'
        : `it is ${v.status === VersionStatus.SCHEDULED ? 'published (scheduled)' : 'published'}, and published versions are immutable`;
    throw precondition(`Version ${v.uuid} cannot be changed: ${why}. Create a new version (POST .../versions/) to change this feature.`, { reason: 'VERSION_NOT_DRAFT', status: v.status });
  }

  // ---- input checking -----------------------------------------------------------------------------

  /** Segment ids a request refers to must be segments of the feature's project (and of the feature, for feature-specific ones). */
  async function checkSegments(ex: DbExecutor, feature: FeatureRef, refs: { segmentId: number; path: string }[]): Promise<Map<number, string>> {
    const found = await store.segments(
      ex,
      refs.map((r) => r.segmentId),
    );
    for (const r of refs) {
      const s = found.get(r.segmentId);
      if (!s || s.projectId !== feature.projectId || (s.featureId !== null && s.featureId !== feature.id)) {
        throw validationFailed(r.path, `segment ${r.segmentId} is not a segment of this feature's project`);
      }
    }
    return new Map([...found].map(([id, s]) => [id, s.name]));
  }

  function checkWeights(path: string, items: MultivariateInput, options: Map<number, string>): Record<string, number> {
    const weights: Record<string, number> = {};
    items.forEach((item, i) => {
      const at = `${path}/multivariate_feature_state_values/${i}/multivariate_feature_option`;
      if (!options.has(item.multivariate_feature_option)) throw validationFailed(at, `option ${item.multivariate_feature_option} is not an option of this feature`);
      if (weights[String(item.multivariate_feature_option)] !== undefined) throw validationFailed(at, `option ${item.multivariate_feature_option} is given twice`);
      weights[String(item.multivariate_feature_option)] = item.percentage_allocation;
    });
    if (Object.values(weights).reduce((a, b) => a + b, 0) > 100 + 1e-9) throw validationFailed(`${path}/multivariate_feature_state_values`, 'Multivariate percentage values exceed 100%.');
    return weights;
  }

  /** The flag state after applying `input` to `current` (omitted fields keep their value). */
  function applyInput(path: string, current: FlagStateContent, input: StateInput, options: Map<number, string>): FlagStateContent {
    return {
      enabled: input.enabled ?? current.enabled,
      value: input.feature_state_value === undefined ? current.value : parseTypedValue(`${path}/feature_state_value`, input.feature_state_value),
      multivariateWeights: input.multivariate_feature_state_values === undefined ? current.multivariateWeights : checkWeights(path, input.multivariate_feature_state_values, options),
    };
  }

  const emptyState = (): FlagStateContent => ({ enabled: false, value: inferFeatureStateValue(null), multivariateWeights: {} });

  /** Writes a flag state into the draft document: the environment default (`segmentId` null) or an override. */
  function writeState(doc: Y.Doc, segmentId: string | null, state: FlagStateContent, current: FlagStateContent | undefined, priority: number | null | undefined): void {
    if (segmentId !== null) {
      upsertSegmentOverride(doc, segmentId, { ...state, ...(priority === null || priority === undefined ? {} : { priority }) });
      return;
    }
    if (current?.enabled !== state.enabled) setEnabled(doc, null, state.enabled);
    setValue(doc, null, state.value);
    for (const optionId of Object.keys(current?.multivariateWeights ?? {})) if (state.multivariateWeights[optionId] === undefined) setMultivariateWeight(doc, null, optionId, null);
    for (const [optionId, w] of Object.entries(state.multivariateWeights)) if (current?.multivariateWeights[optionId] !== w) setMultivariateWeight(doc, null, optionId, w);
  }

  /**
   * Applies a change set (Flagsmith's `feature_states_to_create`, `feature_states_to_update`,
   * `segment_ids_to_delete_overrides`) to `from` as Yjs edits and returns the content; errors name the
   * field under `path` (e.g. `body`, `body/change_sets/0`).
   */
  async function applyChangeInputs(trx: DbExecutor, feature: FeatureRef, from: VersionContent, input: ChangeInputs, path: string): Promise<VersionContent> {
    const toCreate = input.feature_states_to_create ?? [];
    const toUpdate = input.feature_states_to_update ?? [];
    const toDelete = input.segment_ids_to_delete_overrides ?? [];
    const options = await store.options(trx, feature.id);
    const segmentNames = await checkSegments(trx, feature, [
      ...toCreate.map((s, i) => ({ segmentId: s.feature_segment.segment, path: `${path}/feature_states_to_create/${i}/feature_segment/segment` })),
      ...toUpdate.flatMap((s, i) => (s.feature_segment ? [{ segmentId: s.feature_segment.segment, path: `${path}/feature_states_to_update/${i}/feature_segment/segment` }] : [])),
    ]);
    const doc = createDraftDoc(from);
    toCreate.forEach((s, i) => {
      const at = `${path}/feature_states_to_create/${i}`;
      const segmentId = String(s.feature_segment.segment);
      if (readDraftDoc(doc).segmentOverrides[segmentId]) {
        throw validationFailed(`${at}/feature_segment/segment`, `segment override already exists for segment '${segmentNames.get(s.feature_segment.segment) ?? segmentId}'`);
      }
      writeState(doc, segmentId, applyInput(at, emptyState(), s, options), undefined, s.feature_segment.priority);
    });
    toUpdate.forEach((s, i) => {
      const at = `${path}/feature_states_to_update/${i}`;
      const content = readDraftDoc(doc);
      const segmentId = s.feature_segment ? String(s.feature_segment.segment) : null;
      const current = segmentId === null ? content.environmentDefault : content.segmentOverrides[segmentId];
      if (!current) throw validationFailed(`${at}/feature_segment/segment`, `segment override does not exist for segment '${segmentNames.get(Number(segmentId)) ?? segmentId}'`);
      writeState(doc, segmentId, applyInput(at, current, s, options), current, s.feature_segment?.priority);
    });
    for (const segmentId of toDelete) removeSegmentOverride(doc, String(segmentId));
    const content = readDraftDoc(doc);
    if (placesOverHundred(content).length > 0) throw validationFailed(`${path}/feature_states_to_update`, 'Multivariate percentage values exceed 100%.');
    return content;
  }

  // ---- drafts ---------------------------------------------------------------------------------------

  /** Stores a draft's document and re-materialises its content and rows (ids stay stable). */
  async function saveDraft(trx: DbExecutor, v: VersionRecord, doc: Y.Doc): Promise<VersionRecord> {
    const content = readDraftDoc(doc);
    const over = placesOverHundred(content);
    if (over.length > 0) throw validationFailed('body/multivariate_feature_state_values', 'Multivariate percentage values exceed 100%.');
    const now = nowIso();
    const patch = { draftState: toBase64(Y.encodeStateAsUpdate(doc)), ...contentColumns(content), updatedAt: now };
    await store.updateVersion(trx, v.id, patch);
    await store.syncVersionStates(trx, { uuid: v.uuid, environmentId: v.environmentId, featureId: v.featureId, liveFrom: v.liveFrom }, statesOfContent(content), now);
    return { ...v, ...patch };
  }

  /** Applies one REST edit to a draft as a Yjs transaction on its stored document (D7). */
  async function editDraft(trx: DbExecutor, ctx: VersionContext, uuid: string, edit: (doc: Y.Doc, content: VersionContent) => void): Promise<VersionRecord> {
    const v = await store.lockVersion(trx, uuid);
    if (!v || v.environmentId !== ctx.env.id || v.featureId !== ctx.feature.id) throw notFound('Version');
    assertDraft(v);
    assert(v.draftState !== null, `draft ${uuid} has a document`);
    const doc = loadDraftDoc(fromBase64(v.draftState));
    edit(doc, readDraftDoc(doc));
    return saveDraft(trx, v, doc);
  }

  /** Inserts a draft holding `content`, based on `base` (the live version, when there is one). */
  async function insertDraft(trx: DbExecutor, p: Principal | null, ctx: VersionContext, content: VersionContent, base: VersionRecord | undefined, description: string | null, liveFrom: string | null = null): Promise<VersionRecord> {
    const now = nowIso();
    const doc = createDraftDoc(content);
    const record = draftRecord({ uuid: generateUuid(), ctx, p, content, doc, base, description, now, liveFrom });
    const id = await store.insertVersion(trx, record);
    const v = { ...record, id };
    await store.syncVersionStates(trx, { uuid: v.uuid, environmentId: v.environmentId, featureId: v.featureId, liveFrom: null }, statesOfContent(content), now);
    return v;
  }

  // ---- going live ------------------------------------------------------------------------------------

  /**
   * The audit entry and webhooks of a version going live: NEW_VERSION_PUBLISHED, FLAG_UPDATED per changed
   * or added state (against the previous live version), FLAG_DELETED per dropped override.
   */
  async function announceLive(trx: DbExecutor, actor: Principal | null, v: VersionRecord, previous: VersionRecord | undefined, ctx: { env: EnvironmentRef; feature: FeatureRef }, isSystemEvent: boolean): Promise<void> {
    await audit.record(trx, actor, {
      organisationId: ctx.env.organisationId,
      projectId: ctx.env.projectId,
      environmentId: ctx.env.id,
      log: `New version published for feature: ${ctx.feature.name}`,
      relatedObjectType: AuditObjectType.EF_VERSION,
      relatedObjectId: null,
      relatedObjectUuid: v.uuid,
      isSystemEvent,
    });
    await events.emitNewVersionPublished(trx, { environmentId: ctx.env.id, versionUuid: v.uuid, featureId: ctx.feature.id, publishedBy: actor });

    const after = await store.versionStates(trx, v.uuid);
    const before = previous ? await store.versionStates(trx, previous.uuid) : [];
    const changes = previous ? diffVersionContent(parseContent(previous.contentJson), parseContent(v.contentJson)) : undefined;
    const changed = new Set(changes?.filter((c) => c.kind !== 'override-removed').map((c) => c.segmentId));
    const key = (segmentId: number | null) => (segmentId === null ? null : String(segmentId));
    for (const s of after) {
      if (changes && !changed.has(key(s.segmentId))) continue;
      const old = before.find((b) => b.segmentId === s.segmentId);
      const newState = await events.describeFeatureState(trx, s.id);
      assert(newState, `feature state ${s.id} of version ${v.uuid} exists`);
      const previousState = old ? ((await events.describeFeatureState(trx, old.id)) ?? null) : null;
      await events.emitFlagUpdated(trx, { environmentId: ctx.env.id, newState, previousState, changedBy: actor });
    }
    for (const old of before) {
      if (old.segmentId === null || after.some((s) => s.segmentId === old.segmentId)) continue;
      const previousState = await events.describeFeatureState(trx, old.id);
      if (previousState) await events.emitFlagDeleted(trx, { environmentId: ctx.env.id, previousState, changedBy: actor });
    }
  }

  const overrideLimit = createOverrideLimitCheck({ organisations, store });
  /** Whether `content` replacing `live` keeps the environment within its segment-override limit (override-limit.ts). */
  function checkOverrideLimit(trx: DbExecutor, ctx: { env: EnvironmentRef; feature: FeatureRef }, content: VersionContent, live: VersionRecord | undefined, now: string): Promise<LimitCheck> {
    const liveNow = live ? Object.keys(parseContent(live.contentJson).segmentOverrides).length : 0;
    return overrideLimit(trx, { environmentId: ctx.env.id, organisationId: ctx.env.organisationId, featureId: ctx.feature.id }, { goingLive: Object.keys(content.segmentOverrides).length, liveNow }, now);
  }

  /**
   * The locks of a version going live (ADR 0005): first its feature's chain in the environment, so
   * concurrent go-lives of one feature form one linear chain (`liveVersion` and `nextLiveSeq` read under
   * it) while other features proceed; the environment row last, just before commit, for the document
   * revision bump (the plan-limit check takes it earlier when the version adds overrides).
   */
  async function lockForGoingLive(trx: DbExecutor, environmentId: number, featureId: number): Promise<void> {
    await lockUntilCommit(db.kind, trx, environmentId, featureId);
    await beforeCommit(trx, () => bumpDocumentRevision(trx, { environmentId }));
  }

  function limitExceeded(check: Extract<LimitCheck, { isWithinLimit: false }>, v: VersionRecord): AppError {
    return new AppError(
      ErrorCode.LIMIT_EXCEEDED,
      `Version ${v.uuid} cannot go live: the environment would have ${check.count} segment overrides on its live versions, over the plan limit ${check.limit} (${check.max}). Remove overrides from this or other features first.`,
      { details: { limit: check.limit, max: check.max, count: check.count } },
    );
  }

  type MergeOutcome = { kind: 'clean'; content: VersionContent } | { kind: 'conflict'; conflicts: MergeConflict[] };

  /** D8: the version's content merged with what went live since its base. */
  async function mergeWithLive(trx: DbExecutor, v: VersionRecord, live: VersionRecord | undefined): Promise<MergeOutcome> {
    const mine = parseContent(v.contentJson);
    if (!live || live.uuid === v.baseVersionUuid) return { kind: 'clean', content: mine };
    // No base: the feature had no version when the draft was made; the draft's content stands.
    const base = v.baseVersionUuid ? await store.findVersion(trx, v.baseVersionUuid) : undefined;
    if (!base) return { kind: 'clean', content: mine };
    const result = mergeVersionContent(parseContent(base.contentJson), parseContent(live.contentJson), mine);
    if (result.kind === 'conflict') return { kind: 'conflict', conflicts: result.conflicts };
    // Disjoint weight edits can merge into a total over 100: that combination was never validated.
    const over = placesOverHundred(result.merged);
    if (over.length > 0) {
      const conflicts = over.map((place): MergeConflict => {
        const path = place === null ? 'environmentDefault.multivariateWeights' : `segmentOverrides.${place}.multivariateWeights`;
        const at = (c: VersionContent) => (place === null ? c.environmentDefault : c.segmentOverrides[place]) ?? null;
        const asOverride = (c: VersionContent) => {
          const s = at(c);
          return s ? { priority: 0, ...s } : null;
        };
        return { path, field: 'override', segmentId: place, base: asOverride(parseContent(base.contentJson)), live: asOverride(parseContent(live.contentJson)), mine: asOverride(mine) };
      });
      return { kind: 'conflict', conflicts };
    }
    return { kind: 'clean', content: result.merged };
  }

  /**
   * Publishes a locked draft inside the caller's transaction, which has already taken `lockForGoingLive`.
   * Returns the updated version.
   */
  async function publishLocked(trx: DbExecutor, actor: Principal | null, ctx: { env: EnvironmentRef; feature: FeatureRef }, v: VersionRecord, liveFromRequested: string | null | undefined): Promise<VersionRecord> {
    assertDraft(v);
    const now = nowIso();
    // Spec §3.4: live_from omitted → the version's pre-set live_from (given at creation), else now.
    const given = liveFromRequested ?? v.liveFrom;
    const requested = given ? new Date(given).toISOString() : null;
    const isScheduled = requested !== null && requested > now;
    const liveFrom = isScheduled ? (requested as string) : now;
    const live = await store.liveVersion(trx, ctx.env.id, ctx.feature.id, now);
    const merged = await mergeWithLive(trx, v, live);
    if (merged.kind === 'conflict') {
      throw precondition(`Version ${v.uuid} conflicts with version ${live?.uuid ?? ''}, published after its base: resolve the conflicting fields in a new draft.`, {
        reason: 'VERSION_CONFLICT',
        live_version_uuid: live?.uuid ?? null,
        conflicts: merged.conflicts.map(conflictToWire),
      });
    }
    // A scheduled version is checked now as if it went live now, and again when it does.
    const limit = await checkOverrideLimit(trx, ctx, merged.content, live, now);
    if (!limit.isWithinLimit) throw limitExceeded(limit, v);
    const patch = {
      status: isScheduled ? VersionStatus.SCHEDULED : VersionStatus.PUBLISHED,
      liveFrom,
      liveSeq: isScheduled ? null : await store.nextLiveSeq(trx, ctx.env.id, ctx.feature.id),
      publishedAt: now,
      ...publishedBy(actor),
      draftState: null,
      ...contentColumns(merged.content),
      // A scheduled version now holds everything live so far; its go-live merges from here.
      baseVersionUuid: live?.uuid ?? v.baseVersionUuid,
      previousVersionUuid: isScheduled ? null : (live?.uuid ?? null),
      updatedAt: now,
    };
    await store.updateVersion(trx, v.id, patch);
    await store.syncVersionStates(trx, { uuid: v.uuid, environmentId: v.environmentId, featureId: v.featureId, liveFrom }, statesOfContent(merged.content), now);
    await store.setStatesLiveFrom(trx, v.uuid, liveFrom);
    const published = { ...v, ...patch };
    if (!isScheduled) await announceLive(trx, actor, published, live, ctx, false);
    return published;
  }

  async function principalOf(trx: DbExecutor, v: VersionRecord): Promise<Principal | null> {
    if (v.publishedByUserId !== null) {
      const email = await store.userEmail(trx, v.publishedByUserId);
      return email === undefined ? null : { kind: 'user', userId: v.publishedByUserId, email };
    }
    if (v.publishedByApiKeyId !== null) {
      const key = await store.apiKey(trx, v.publishedByApiKeyId);
      return key ? { kind: 'api_key', apiKeyId: v.publishedByApiKeyId, organisationId: key.organisationId, isAdmin: key.isAdmin, name: key.name } : null;
    }
    return null;
  }

  /** One due scheduled version, in its own transaction. */
  async function goLiveScheduled(trx: DbExecutor, uuid: string): Promise<boolean> {
    // Claim: on PostgreSQL another instance holding the row skips it; the status check makes a second
    // pass over an already handled version a no-op.
    const v = await store.lockVersion(trx, uuid, { skipLocked: true });
    const now = nowIso();
    if (!v || v.status !== VersionStatus.SCHEDULED || v.liveFrom === null || v.liveFrom > now) return false;
    const env = await store.findEnvironment(trx, v.environmentId);
    const feature = await store.findFeature(trx, v.featureId);
    assert(env && feature, `environment and feature of version ${uuid} exist`);
    const ctx = { env, feature };
    await lockForGoingLive(trx, env.id, feature.id);
    const live = await store.liveVersion(trx, env.id, feature.id, now);
    const actor = await principalOf(trx, v);
    const merged = await mergeWithLive(trx, v, live);
    if (merged.kind === 'conflict') {
      assert(live, 'a conflict needs a live version');
      await markConflict(trx, v, live, merged.conflicts, actor, ctx, now);
      return true;
    }
    const limit = await checkOverrideLimit(trx, ctx, merged.content, live, now);
    if (!limit.isWithinLimit) {
      await markOverLimit(trx, v, limit, actor, ctx, now);
      return true;
    }
    // Late (the server was down, or a newer version went live meanwhile): it goes live now, on top.
    const liveFrom = live && live.liveFrom !== null && live.liveFrom >= v.liveFrom ? now : v.liveFrom;
    const patch = {
      status: VersionStatus.PUBLISHED,
      liveFrom,
      liveSeq: await store.nextLiveSeq(trx, env.id, feature.id),
      ...contentColumns(merged.content),
      previousVersionUuid: live?.uuid ?? null,
      updatedAt: now,
    };
    await store.updateVersion(trx, v.id, patch);
    await store.syncVersionStates(trx, { uuid: v.uuid, environmentId: v.environmentId, featureId: v.featureId, liveFrom }, statesOfContent(merged.content), now);
    await store.setStatesLiveFrom(trx, v.uuid, liveFrom);
    await announceLive(trx, actor, { ...v, ...patch }, live, ctx, true);
    return true;
  }

  async function markConflict(trx: DbExecutor, v: VersionRecord, live: VersionRecord, conflicts: MergeConflict[], actor: Principal | null, ctx: { env: EnvironmentRef; feature: FeatureRef }, now: string): Promise<void> {
    await store.updateVersion(trx, v.id, { status: VersionStatus.CONFLICT, publishedAt: null, conflictJson: JSON.stringify(conflicts.map(conflictToWire)), updatedAt: now });
    await audit.record(trx, actor, {
      organisationId: ctx.env.organisationId,
      projectId: ctx.env.projectId,
      environmentId: ctx.env.id,
      log: `Scheduled version for feature: ${ctx.feature.name} was not published: it conflicts with version ${live.uuid}, published after it was scheduled`,
      relatedObjectType: AuditObjectType.EF_VERSION,
      relatedObjectId: null,
      relatedObjectUuid: v.uuid,
      isSystemEvent: true,
    });
    // Listeners (change requests, issue 5) add their own rows in this transaction and name more recipients.
    let changeRequest: { id: number; title: string } | null = null;
    const notify: string[] = [];
    const notice: ScheduledConflictNotice = {
      versionUuid: v.uuid,
      liveVersionUuid: live.uuid,
      environment: { id: ctx.env.id, name: ctx.env.name, organisationId: ctx.env.organisationId, projectId: ctx.env.projectId },
      feature: { id: ctx.feature.id, name: ctx.feature.name },
      scheduledFor: v.liveFrom ?? now,
      conflicts: conflicts.map(conflictToWire),
      detectedAt: now,
    };
    for (const listener of conflictListeners) {
      const answer = await listener(trx, notice);
      if (answer?.changeRequest) changeRequest = answer.changeRequest;
      notify.push(...(answer?.notify ?? []));
    }
    await events.emitScheduledVersionConflict(trx, {
      environmentId: ctx.env.id,
      data: {
        version_uuid: v.uuid,
        conflicting_version_uuid: live.uuid,
        feature: { id: ctx.feature.id, name: ctx.feature.name },
        environment: { id: ctx.env.id, name: ctx.env.name, api_key: ctx.env.apiKey },
        scheduled_for: v.liveFrom ?? now,
        change_request: changeRequest,
        author: actor?.kind === 'user' ? { id: actor.userId, email: actor.email } : null,
        detected_at: now,
      },
    });
    if (email) {
      const message = scheduledChangeConflictEmail({
        featureName: ctx.feature.name,
        environmentName: ctx.env.name,
        scheduledAt: v.liveFrom ?? now,
        conflictingVersionUuid: live.uuid,
        scheduledVersionUuid: v.uuid,
        changeRequestTitle: changeRequest?.title ?? null,
      });
      // One email per person (recipients do not see each other), the publisher first.
      const recipients = [...new Set([...(actor?.kind === 'user' ? [actor.email] : []), ...notify])];
      for (const to of recipients) await email.send(trx, { organisationId: ctx.env.organisationId, to: [to], ...message });
    }
  }

  /**
   * A scheduled version that would exceed the segment-override limit at its `live_from` does not go live:
   * like a merge conflict it is left in `conflict` (with no field conflicts) and an audit entry says which
   * limit stopped it, so it is visible and can be deleted or re-created once there is room.
   */
  async function markOverLimit(trx: DbExecutor, v: VersionRecord, limit: Extract<LimitCheck, { isWithinLimit: false }>, actor: Principal | null, ctx: { env: EnvironmentRef; feature: FeatureRef }, now: string): Promise<void> {
    await store.updateVersion(trx, v.id, { status: VersionStatus.CONFLICT, publishedAt: null, conflictJson: '[]', updatedAt: now });
    await audit.record(trx, actor, {
      organisationId: ctx.env.organisationId,
      projectId: ctx.env.projectId,
      environmentId: ctx.env.id,
      log: `Scheduled version for feature: ${ctx.feature.name} was not published: the environment would have ${limit.count} segment overrides, over the plan limit ${limit.limit} (${limit.max})`,
      relatedObjectType: AuditObjectType.EF_VERSION,
      relatedObjectId: null,
      relatedObjectUuid: v.uuid,
      isSystemEvent: true,
    });
    logger?.warn({ versionUuid: v.uuid, limit: limit.limit, max: limit.max, count: limit.count }, 'scheduled version not published: plan limit exceeded');
  }

  async function initialVersion(trx: DbExecutor, env: EnvironmentRef, feature: FeatureRef, now: string): Promise<string | undefined> {
    if (await store.hasVersion(trx, env.id, feature.id)) return undefined;
    const rows = await store.v1States(trx, env.id, feature.id);
    const defaultRow = rows.find((r) => r.featureSegmentId === null);
    const overrides = rows.filter((r) => r.segmentId !== null);
    const content: VersionContent = {
      environmentDefault: defaultRow ? flagStateOf(defaultRow.enabled, defaultRow.value, defaultRow.weights) : defaultContentOf(feature).environmentDefault,
      segmentOverrides: Object.fromEntries(overrides.map((r) => [String(r.segmentId), { priority: r.priority ?? 0, ...flagStateOf(r.enabled, r.value, r.weights) }])),
    };
    const uuid = generateUuid();
    await store.insertVersion(trx, systemVersionRecord({ uuid, environmentId: env.id, featureId: feature.id, status: VersionStatus.PUBLISHED, description: null, content, baseVersionUuid: null, liveFrom: now, liveSeq: 1, now }));
    const attached = [defaultRow, ...overrides].filter((r) => r !== undefined);
    await store.attachToVersion(
      trx,
      attached.map((r) => r.id),
      overrides.map((r) => r.featureSegmentId as number),
      uuid,
      now,
    );
    // Normalises what was attached (canonical priorities) and creates a missing environment default.
    await store.syncVersionStates(trx, { uuid, environmentId: env.id, featureId: feature.id, liveFrom: now }, statesOfContent(content), now);
    return uuid;
  }

  /** The segments and multivariate options a draft merged from a replica refers to must be the feature's. */
  async function checkDraftReferences(ex: DbExecutor, feature: FeatureRef, content: VersionContent): Promise<void> {
    await checkSegments(
      ex,
      feature,
      Object.keys(content.segmentOverrides).map((id) => ({ segmentId: Number(id), path: `draft/segmentOverrides/${id}` })),
    );
    const options = await store.options(ex, feature.id);
    const places = [{ path: 'draft/environmentDefault', state: content.environmentDefault }, ...Object.entries(content.segmentOverrides).map(([id, state]) => ({ path: `draft/segmentOverrides/${id}`, state }))];
    for (const { path, state } of places) {
      for (const optionId of Object.keys(state.multivariateWeights)) {
        if (!options.has(Number(optionId))) throw validationFailed(`${path}/multivariateWeights/${optionId}`, `option ${optionId} is not an option of this feature`);
      }
    }
  }

  async function namesFor(ex: DbExecutor, ctx: VersionContext, contents: VersionContent[]) {
    const segmentIds = [...new Set(contents.flatMap((c) => Object.keys(c.segmentOverrides)).map(Number))];
    const segments = await store.segments(ex, segmentIds);
    const options = await store.options(ex, ctx.feature.id);
    return {
      segments: Object.fromEntries([...segments].map(([id, s]) => [String(id), s.name])),
      multivariateOptions: Object.fromEntries([...options].map(([id, v]) => [String(id), v])),
    };
  }

  return {
    async list(p, environmentId, featureId, filter, page) {
      // Spec §3.1: the list works on a v1 environment too (empty), e.g. after v2 was disabled.
      const ctx = await contextOf(p, environmentId, featureId, EnvironmentPermission.VIEW_ENVIRONMENT, { allowV1: true });
      if (!ctx.env.isV2) return { total: 0, items: [] };
      const now = nowIso();
      const { featureHistoryVisibilityDays } = await organisations.planLimits(ctx.env.organisationId);
      const visibleFrom = historyWindowStart(now, featureHistoryVisibilityDays);
      // The live version is listed however old it is (the current state of a flag is never hidden).
      const alwaysUuid = visibleFrom === null ? undefined : (await store.liveVersion(k, ctx.env.id, ctx.feature.id, now))?.uuid;
      const { total, items } = await store.listVersions(k, ctx.env.id, ctx.feature.id, { ...filter, now, visibleFrom, alwaysUuid }, page);
      return { total, items: items.map((v) => toVersionWire(v, now)) };
    },

    async create(p, environmentId, featureId, input) {
      const toUpdate = input.feature_states_to_update ?? [];
      const touchesDefault = input.publish_immediately === true || toUpdate.some((s) => !s.feature_segment);
      const ctx = await contextOf(p, environmentId, featureId, touchesDefault ? EnvironmentPermission.UPDATE_FEATURE_STATE : 'OVERRIDES');
      const created = await db.transaction(async (trx) => {
        // Publishing locks the feature's chain; take it first so the live version read below stays live.
        if (input.publish_immediately) await lockForGoingLive(trx, ctx.env.id, ctx.feature.id);
        let live = await store.liveVersion(trx, ctx.env.id, ctx.feature.id, nowIso());
        if (!live && !(await store.hasVersion(trx, ctx.env.id, ctx.feature.id))) {
          // A feature added after the move to v2 without its initial version: adopt its current state first.
          if (!input.publish_immediately) await bumpDocumentRevision(trx, { environmentId: ctx.env.id });
          await initialVersion(trx, ctx.env, ctx.feature, nowIso());
          live = await store.liveVersion(trx, ctx.env.id, ctx.feature.id, nowIso());
        }
        const content = await applyChangeInputs(trx, ctx.feature, live ? parseContent(live.contentJson) : defaultContentOf(ctx.feature), input, 'body');
        const draft = await insertDraft(trx, p, ctx, content, live, input.description ?? null, input.live_from ?? null);
        if (!input.publish_immediately) return draft;
        await assertDirectChange(deps, trx, p, ctx.scope, `publish of version ${draft.uuid} of feature '${ctx.feature.name}'`);
        return publishLocked(trx, p, ctx, draft, undefined);
      });
      return toVersionWire(created, nowIso());
    },

    async get(p, environmentId, featureId, uuid) {
      const ctx = await contextOf(p, environmentId, featureId, EnvironmentPermission.VIEW_ENVIRONMENT);
      return toVersionWire(await loadVersion(k, ctx, uuid), nowIso());
    },

    async remove(p, environmentId, featureId, uuid) {
      const ctx = await contextOf(p, environmentId, featureId, EnvironmentPermission.UPDATE_FEATURE_STATE);
      await db.transaction(async (trx) => {
        const v = await store.lockVersion(trx, uuid);
        if (!v || v.environmentId !== ctx.env.id || v.featureId !== ctx.feature.id) throw notFound('Version');
        // Spec §3.3: drafts, conflicted and scheduled (not yet live) versions; a live one never.
        if (v.status === VersionStatus.PUBLISHED) {
          throw precondition(`Cannot delete a live version. Version ${uuid} is published; published versions are immutable.`, { reason: 'VERSION_NOT_DRAFT', status: v.status });
        }
        // A scheduled version cancelled: the document's next change goes with it.
        if (v.status === VersionStatus.SCHEDULED) await bumpDocumentRevision(trx, { environmentId: ctx.env.id });
        await store.deleteVersion(trx, uuid);
      });
    },

    async publish(p, environmentId, featureId, uuid, liveFrom) {
      const ctx = await contextOf(p, environmentId, featureId, EnvironmentPermission.UPDATE_FEATURE_STATE);
      await loadVersion(k, ctx, uuid);
      const published = await db.transaction(async (trx) => {
        await lockForGoingLive(trx, ctx.env.id, ctx.feature.id);
        const v = await store.lockVersion(trx, uuid);
        assert(v, `version ${uuid} exists`);
        await assertDirectChange(deps, trx, p, ctx.scope, `${liveFrom ? 'schedule' : 'publish'} of version ${uuid} of feature '${ctx.feature.name}'`);
        return publishLocked(trx, p, ctx, v, liveFrom);
      });
      return toVersionWire(published, nowIso());
    },

    async restore(p, environmentId, featureId, uuid, description) {
      const ctx = await contextOf(p, environmentId, featureId, EnvironmentPermission.UPDATE_FEATURE_STATE);
      const source = await loadVersion(k, ctx, uuid);
      if (source.status !== VersionStatus.PUBLISHED) {
        throw precondition(`Version ${uuid} cannot be restored: only a published version can be (it is ${source.status}).`, { reason: 'VERSION_NOT_PUBLISHED', status: source.status });
      }
      const restored = await db.transaction(async (trx) => {
        await lockForGoingLive(trx, ctx.env.id, ctx.feature.id);
        const live = await store.liveVersion(trx, ctx.env.id, ctx.feature.id, nowIso());
        const draft = await insertDraft(trx, p, ctx, parseContent(source.contentJson), live, description ?? `Restored from version ${uuid}`);
        await assertDirectChange(deps, trx, p, ctx.scope, `rollback of feature '${ctx.feature.name}' to version ${uuid}`);
        return publishLocked(trx, p, ctx, draft, undefined);
      });
      return toVersionWire(restored, nowIso());
    },

    async diff(p, environmentId, featureId, uuid, against) {
      const ctx = await contextOf(p, environmentId, featureId, EnvironmentPermission.VIEW_ENVIRONMENT);
      const v = await loadVersion(k, ctx, uuid);
      const otherUuid = against ?? v.previousVersionUuid ?? v.baseVersionUuid;
      if (otherUuid === null) return { version_uuid: uuid, against_version_uuid: null, changes: [] };
      const other = await store.findVersion(k, otherUuid);
      if (!other || other.environmentId !== ctx.env.id || other.featureId !== ctx.feature.id) throw validationFailed('query/against', `version ${otherUuid} is not a version of this feature in this environment`);
      const from = parseContent(other.contentJson);
      const to = parseContent(v.contentJson);
      const names = await namesFor(k, ctx, [from, to]);
      const changes = diffVersionContent(from, to).map((c) => changeToWire(c, describeChange(c, names)));
      return { version_uuid: uuid, against_version_uuid: otherUuid, changes };
    },

    async getByUuid(p, uuid) {
      const v = await store.findVersion(k, uuid);
      if (!v) throw notFound('Version');
      await access.assertEnvironment(p, v.environmentId, EnvironmentPermission.VIEW_ENVIRONMENT);
      return { ...toVersionWire(v, nowIso()), previous_version_uuid: v.previousVersionUuid, feature: v.featureId, environment: v.environmentId };
    },

    async listStates(p, environmentId, featureId, uuid) {
      const ctx = await contextOf(p, environmentId, featureId, EnvironmentPermission.VIEW_ENVIRONMENT);
      const v = await loadVersion(k, ctx, uuid);
      return (await store.versionStates(k, v.uuid)).map((s) => toStateWire(s, v.uuid));
    },

    async getState(p, environmentId, featureId, uuid, stateId) {
      const ctx = await contextOf(p, environmentId, featureId, EnvironmentPermission.VIEW_ENVIRONMENT);
      const v = await loadVersion(k, ctx, uuid);
      const s = (await store.versionStates(k, v.uuid)).find((x) => x.id === stateId);
      if (!s) throw notFound('Feature state');
      return toStateWire(s, v.uuid);
    },

    async createState(p, environmentId, featureId, uuid, input) {
      const ctx = await contextOf(p, environmentId, featureId, 'OVERRIDES');
      const segmentId = input.feature_segment.segment;
      const state = await db.transaction(async (trx) => {
        const names = await checkSegments(trx, ctx.feature, [{ segmentId, path: 'body/feature_segment/segment' }]);
        const options = await store.options(trx, ctx.feature.id);
        const v = await editDraft(trx, ctx, uuid, (doc, content) => {
          if (content.segmentOverrides[String(segmentId)]) throw validationFailed('body/feature_segment/segment', `segment override already exists for segment '${names.get(segmentId) ?? segmentId}'`);
          writeState(doc, String(segmentId), applyInput('body', emptyState(), input, options), undefined, input.feature_segment.priority);
        });
        return (await store.versionStates(trx, v.uuid)).find((s) => s.segmentId === segmentId);
      });
      assert(state, `the override for segment ${segmentId} was just written`);
      return toStateWire(state, uuid);
    },

    async updateState(p, environmentId, featureId, uuid, stateId, input) {
      const viewCtx = await contextOf(p, environmentId, featureId, EnvironmentPermission.VIEW_ENVIRONMENT);
      const v = await loadVersion(k, viewCtx, uuid);
      const target = (await store.versionStates(k, v.uuid)).find((s) => s.id === stateId);
      if (!target) throw notFound('Feature state');
      const ctx = await contextOf(p, environmentId, featureId, target.segmentId === null ? EnvironmentPermission.UPDATE_FEATURE_STATE : 'OVERRIDES');
      if (input.feature_segment && input.feature_segment.segment !== target.segmentId) throw validationFailed('body/feature_segment/segment', 'cannot be changed: a feature state stays at its place (environment default or segment)');
      if (input.feature_segment === null && target.segmentId !== null) throw validationFailed('body/feature_segment', 'cannot be changed: this state is a segment override');
      const state = await db.transaction(async (trx) => {
        const options = await store.options(trx, ctx.feature.id);
        const saved = await editDraft(trx, ctx, uuid, (doc, content) => {
          const segmentId = target.segmentId === null ? null : String(target.segmentId);
          const current = segmentId === null ? content.environmentDefault : content.segmentOverrides[segmentId];
          if (!current) throw notFound('Feature state');
          writeState(doc, segmentId, applyInput('body', current, input, options), current, input.feature_segment?.priority);
        });
        return (await store.versionStates(trx, saved.uuid)).find((s) => s.segmentId === target.segmentId);
      });
      assert(state, `state ${stateId} was just saved`);
      return toStateWire(state, uuid);
    },

    async removeState(p, environmentId, featureId, uuid, stateId) {
      const viewCtx = await contextOf(p, environmentId, featureId, EnvironmentPermission.VIEW_ENVIRONMENT);
      const v = await loadVersion(k, viewCtx, uuid);
      const target = (await store.versionStates(k, v.uuid)).find((s) => s.id === stateId);
      if (!target) throw notFound('Feature state');
      const ctx = await contextOf(p, environmentId, featureId, target.segmentId === null ? EnvironmentPermission.UPDATE_FEATURE_STATE : 'OVERRIDES');
      assertDraft(v);
      if (target.segmentId === null) throw validationFailed('params/id', 'Cannot delete the environment default feature state of a version.');
      await db.transaction(async (trx) => {
        await editDraft(trx, ctx, uuid, (doc) => {
          removeSegmentOverride(doc, String(target.segmentId));
        });
      });
    },

    async createInitialVersions(trx, environmentId) {
      const env = await store.findEnvironment(trx, environmentId);
      if (!env) throw notFound('Environment');
      const now = nowIso();
      let created = 0;
      for (const feature of await store.featuresOfProject(trx, env.projectId)) {
        if (await initialVersion(trx, env, feature, now)) created++;
      }
      return created;
    },

    async createInitialVersion(trx, environmentId, featureId) {
      const env = await store.findEnvironment(trx, environmentId);
      const feature = await store.findFeature(trx, featureId);
      if (!env || !feature || feature.projectId !== env.projectId) throw notFound('Feature');
      return initialVersion(trx, env, feature, nowIso());
    },

    async createScheduledVersion(trx, change, now) {
      const uuid = generateUuid();
      await store.insertVersion(trx, systemVersionRecord({ uuid, ...change, status: VersionStatus.SCHEDULED, liveSeq: null, now }));
      await store.syncVersionStates(trx, { uuid, environmentId: change.environmentId, featureId: change.featureId, liveFrom: change.liveFrom }, statesOfContent(change.content), now);
      return uuid;
    },

    async discardHistory(trx, environmentId, featureIds, now) {
      if (featureIds.length === 0) return;
      const live = await store.liveVersionUuids(trx, environmentId, now);
      for (const featureId of featureIds) await store.discardHistory(trx, environmentId, featureId, live.get(featureId), now);
    },

    async discardRemainingVersions(trx, environmentId) {
      await store.deleteVersionsOfEnvironment(trx, environmentId);
    },

    async countLiveSegmentOverrides(ex, environmentId) {
      return countSegmentOverrides({ mode: 'v2', liveOverridesByFeature: await store.liveOverrideCounts(ex, environmentId, nowIso()) });
    },

    async mergeDraftUpdate(p, uuid, update) {
      const found = await store.findVersion(k, uuid);
      if (!found) throw notFound('Version');
      const ctx = await contextOf(p, found.environmentId, found.featureId, 'OVERRIDES');
      // Checked before the transaction: on SQLite a read outside it would wait for it to end.
      const mayChangeDefault = await access.assertEnvironment(p, ctx.env.id, EnvironmentPermission.UPDATE_FEATURE_STATE).then(
        () => true,
        (e: unknown) => {
          if (e instanceof AppError && e.code === ErrorCode.PERMISSION_DENIED) return false;
          throw e;
        },
      );
      await db.transaction(async (trx) => {
        const v = await store.lockVersion(trx, uuid);
        if (!v) throw notFound('Version');
        assertDraft(v);
        assert(v.draftState !== null, `draft ${uuid} has a document`);
        const doc = loadDraftDoc(fromBase64(v.draftState));
        const before = readDraftDoc(doc);
        try {
          Y.applyUpdate(doc, update);
        } catch {
          throw validationFailed('draft/state', 'is not a Yjs update');
        }
        const after = readDraftDoc(doc);
        if (canonicalVersionContentJson({ environmentDefault: before.environmentDefault, segmentOverrides: {} }) !== canonicalVersionContentJson({ environmentDefault: after.environmentDefault, segmentOverrides: {} })) {
          if (!mayChangeDefault) throw new AppError(ErrorCode.PERMISSION_DENIED, 'Changing the environment default of a draft needs UPDATE_FEATURE_STATE.');
        }
        await checkDraftReferences(trx, ctx.feature, after);
        await saveDraft(trx, v, doc);
      });
    },

    async createDraftFromUpdate(p, input) {
      const ctx = await contextOf(p, input.environmentId, input.featureId, EnvironmentPermission.UPDATE_FEATURE_STATE);
      await db.transaction(async (trx) => {
        if (await store.findVersion(trx, input.uuid)) throw precondition(`Version ${input.uuid} already exists.`, { reason: 'VERSION_EXISTS' });
        let live = await store.liveVersion(trx, ctx.env.id, ctx.feature.id, nowIso());
        if (!live && !(await store.hasVersion(trx, ctx.env.id, ctx.feature.id))) {
          await bumpDocumentRevision(trx, { environmentId: ctx.env.id });
          await initialVersion(trx, ctx.env, ctx.feature, nowIso());
          live = await store.liveVersion(trx, ctx.env.id, ctx.feature.id, nowIso());
        }
        let base = live;
        if (input.baseVersionUuid !== null) {
          base = await store.findVersion(trx, input.baseVersionUuid);
          if (!base || base.environmentId !== ctx.env.id || base.featureId !== ctx.feature.id || base.status !== VersionStatus.PUBLISHED) {
            throw validationFailed('draft/baseVersionUuid', `version ${input.baseVersionUuid} is not a published version of this feature in this environment`);
          }
        }
        const doc = new Y.Doc();
        try {
          Y.applyUpdate(doc, input.update);
        } catch {
          throw validationFailed('draft/state', 'is not a Yjs update');
        }
        const content = readDraftDoc(doc);
        await checkDraftReferences(trx, ctx.feature, content);
        if (placesOverHundred(content).length > 0) throw validationFailed('draft/content', 'Multivariate percentage values exceed 100%.');
        const now = nowIso();
        const record = draftRecord({ uuid: input.uuid, ctx, p, content, doc, base, description: input.description, now });
        await store.insertVersion(trx, record);
        await store.syncVersionStates(trx, { uuid: input.uuid, environmentId: ctx.env.id, featureId: ctx.feature.id, liveFrom: null }, statesOfContent(content), now);
      });
    },

    async liveVersionUuids(environmentId, now = clock.now(), ex = k) {
      return store.liveVersionUuids(ex, environmentId, now.toISOString());
    },

    async publishDueVersions() {
      const due = await store.dueScheduledVersions(k, nowIso(), 100);
      let handled = 0;
      for (const uuid of due) {
        try {
          if (await db.transaction((trx) => goLiveScheduled(trx, uuid))) handled++;
        } catch (error) {
          // One broken version must not hold up the others; it stays scheduled and is retried next pass.
          logger?.error({ err: error, versionUuid: uuid }, 'scheduled version could not go live');
        }
      }
      return handled;
    },

    async composeChange(trx, environmentId, featureId, input, path) {
      const env = await store.findEnvironment(trx, environmentId);
      if (!env) throw notFound('Environment');
      if (!env.isV2) throw precondition(`Feature versioning v2 is not enabled on environment '${env.name}'.`, { reason: 'VERSIONING_NOT_ENABLED' });
      const feature = await store.findFeature(trx, featureId);
      if (!feature || feature.projectId !== env.projectId) throw validationFailed(`${path}/feature`, `feature ${featureId} is not a feature of this environment's project`);
      let live = await store.liveVersion(trx, env.id, feature.id, nowIso());
      if (!live && !(await store.hasVersion(trx, env.id, feature.id))) {
        await bumpDocumentRevision(trx, { environmentId: env.id });
        await initialVersion(trx, env, feature, nowIso());
        live = await store.liveVersion(trx, env.id, feature.id, nowIso());
      }
      const content = await applyChangeInputs(trx, feature, live ? parseContent(live.contentJson) : defaultContentOf(feature), input, path);
      return { live: live ? contentRef(live) : undefined, content };
    },

    async refreshContentFromStates(trx, versionUuid) {
      const v = await store.findVersion(trx, versionUuid);
      if (!v) throw notFound('Version');
      const rows = await store.versionStates(trx, versionUuid);
      const weightsOf = (r: (typeof rows)[number]) => r.multivariateValues.map((m) => ({ optionId: m.optionId, percentageAllocation: m.percentageAllocation }));
      const defaultRow = rows.find((r) => r.segmentId === null);
      const previous = parseContent(v.contentJson);
      const content: VersionContent = {
        environmentDefault: defaultRow ? flagStateOf(defaultRow.enabled, defaultRow.value, weightsOf(defaultRow)) : previous.environmentDefault,
        segmentOverrides: Object.fromEntries(rows.filter((r) => r.segmentId !== null).map((r) => [String(r.segmentId), { priority: r.priority ?? 0, ...flagStateOf(r.enabled, r.value, weightsOf(r)) }])),
      };
      const columns = contentColumns(content);
      if (columns.contentHash !== v.contentHash) await store.updateVersion(trx, v.id, { ...columns, updatedAt: nowIso() });
    },

    async liveVersionContent(trx, environmentId, featureId) {
      const live = await store.liveVersion(trx, environmentId, featureId, nowIso());
      return live ? contentRef(live) : undefined;
    },

    async versionContent(trx, uuid) {
      const v = await store.findVersion(trx, uuid);
      return v ? contentRef(v) : undefined;
    },

    async publishContent(trx, actor, change) {
      const env = await store.findEnvironment(trx, change.environmentId);
      const feature = await store.findFeature(trx, change.featureId);
      if (!env || !feature || feature.projectId !== env.projectId) throw notFound('Feature');
      const ctx: VersionContext = { scope: { projectId: env.projectId, organisationId: env.organisationId, environmentId: env.id }, env, feature };
      await lockForGoingLive(trx, env.id, feature.id);
      const base = change.baseVersionUuid ? await store.findVersion(trx, change.baseVersionUuid) : undefined;
      const draft = await insertDraft(trx, actor, ctx, change.content, base, change.description);
      if (change.changeRequestId !== null) await store.setChangeRequest(trx, draft.uuid, change.changeRequestId);
      const published = await publishLocked(trx, actor, ctx, draft, change.liveFrom);
      return toVersionWire(published, nowIso());
    },

    onScheduledConflict(listener) {
      conflictListeners.push(listener);
    },
  };
}
