import type { FastifyBaseLogger } from 'fastify';
import { changeToWire } from '../versions/version-change-wire.js';
import type { Db, DbExecutor } from '../../platform/database/database.js';
import type { Clock } from '../../platform/clock/clock.js';
import { ADMIN, EnvironmentPermission } from '../../../src-shared/domain/permissions/permissions.js';
import { AppError, assert, notFound, preconditionFailed, validationFailed } from '../../../src-shared/errors/app-error.js';
import { WebhookEventType, type ReleasePipelineEventData } from '../../../src-shared/contracts/http/webhooks.contract.js';
import {
  StageActionType,
  StageTriggerType,
  type PipelineFeatureWire,
  type PipelineInput,
  type PromoteInput,
  type PromotionWire,
  type ReleasePipelineWire,
  type StageInput,
  type StageWire,
} from '../../../src-shared/contracts/http/release-pipelines.contract.js';
import type { FeatureVersionCreateInput } from '../../../src-shared/contracts/http/versions.contract.js';
import { diffVersionContent, describeChange } from '../../../src-shared/domain/versioning/version-diff.js';
import type { VersionContent } from '../../../src-shared/domain/versioning/version-content.js';
import { editToContent, formatWaitFor, mergePromotion, parseWaitFor, triggerDueAt, type PromotionMerge } from '../../../src-shared/domain/release-pipelines/release-pipeline.rules.js';
import type { Principal } from '../access/principal.js';
import type { AccessService } from '../access/access.service.js';
import { AuditObjectType, type AuditService } from '../audit/audit.service.js';
import type { EventsService } from '../webhooks/events.service.js';
import type { VersionsService } from '../versions/versions.service.js';
import { conflictToWire, parseContent } from '../versions/version-content-rows.js';
import { bumpDocumentRevision } from '../sdk/document-revision.js';
import type { EnvironmentInfo, PipelineFeatureRecord, PipelineRecord, ReleasePipelinesStore, StageAction, StageRecord, VersionInfo } from './release-pipelines.store.js';

type Page = { offset: number; limit: number };

/**
 * Release pipelines (issue 5 item 5). A pipeline belongs to a project and holds ordered stages, each
 * bound to a v2 environment of the project, with a trigger (ON_ENTER, or WAIT_FOR a duration after the
 * feature entered) and actions (enable / disable for everyone or a segment, publish a given version).
 *
 * - Adding a feature puts it in the first stage: every stage records its environment's live version as
 *   the merge base, the feature enters stage 1 and an ON_ENTER trigger runs its actions at once.
 * - Promoting takes an exact published version of the source stage's environment to the next stage:
 *   the target's changes since the base (the version it last received from the pipeline, else its live
 *   version when the feature entered) and the pipeline's merge per field (D8). A clean merge publishes a
 *   version through the versions service (so NEW_VERSION_PUBLISHED / FLAG_UPDATED and the EF_VERSION
 *   audit happen as for any publish); a conflict is 400 PRECONDITION_FAILED with the three-way detail.
 * - Wait triggers are found by query (`trigger_due_at <= now`) by a periodic task of the job runner and
 *   claimed with a guarded UPDATE, so of several instances exactly one runs each.
 *
 * Every step writes a RELEASE_PIPELINE audit entry; entering a stage, a trigger firing and a promotion
 * emit RELEASE_PIPELINE_* events to the environment webhooks of the stage's environment, in the same
 * transaction as the versions they publish.
 *
 * Permissions (as Flagsmith): VIEW_PROJECT reads; project admin manages pipelines, stages and their
 * features; promoting needs UPDATE_FEATURE_STATE on the target environment (VIEW_ENVIRONMENT on the
 * source); a preview needs VIEW_ENVIRONMENT on both. Actions run with the permissions of whoever moved the
 * feature into the stage.
 */
export interface ReleasePipelinesService {
  list(p: Principal, projectId: number, page: Page): Promise<{ total: number; items: ReleasePipelineWire[] }>;
  create(p: Principal, projectId: number, input: PipelineInput): Promise<ReleasePipelineWire>;
  get(p: Principal, projectId: number, id: number): Promise<ReleasePipelineWire>;
  update(p: Principal, projectId: number, id: number, input: PipelineInput): Promise<ReleasePipelineWire>;
  remove(p: Principal, projectId: number, id: number): Promise<void>;
  /** Flagsmith's publish-pipeline: records when and by whom; a second publish is PRECONDITION_FAILED. */
  publish(p: Principal, projectId: number, id: number): Promise<ReleasePipelineWire>;

  listStages(p: Principal, projectId: number, pipelineId: number): Promise<StageWire[]>;
  createStage(p: Principal, projectId: number, pipelineId: number, input: StageInput): Promise<StageWire>;
  getStage(p: Principal, projectId: number, pipelineId: number, id: number): Promise<StageWire>;
  updateStage(p: Principal, projectId: number, pipelineId: number, id: number, input: StageInput): Promise<StageWire>;
  removeStage(p: Principal, projectId: number, pipelineId: number, id: number): Promise<void>;

  addFeature(p: Principal, projectId: number, id: number, featureId: number): Promise<ReleasePipelineWire>;
  removeFeature(p: Principal, projectId: number, id: number, featureId: number): Promise<ReleasePipelineWire>;
  preview(p: Principal, projectId: number, id: number, input: PromoteInput): Promise<PromotionWire>;
  promote(p: Principal, projectId: number, id: number, input: PromoteInput): Promise<PromotionWire>;

  /** The periodic task's pass: runs every due wait trigger once (safe with several instances). Returns how many ran. */
  runDueTriggers(): Promise<number>;
}

function stageWire(s: StageRecord): StageWire {
  return {
    id: s.id,
    pipeline: s.pipelineId,
    name: s.name,
    order: s.order,
    environment: s.environmentId,
    trigger: {
      trigger_type: s.triggerType,
      trigger_body: s.triggerType === StageTriggerType.WAIT_FOR && s.waitSeconds !== null ? { wait_for: formatWaitFor(s.waitSeconds), wait_seconds: s.waitSeconds } : null,
    },
    actions: s.actions.map((a) => ({
      action_type: a.type,
      action_body: {
        ...(a.enabled !== undefined ? { enabled: a.enabled } : {}),
        ...(a.segmentId !== undefined ? { segment_id: a.segmentId } : {}),
        ...(a.versionUuid !== undefined ? { version_uuid: a.versionUuid } : {}),
      },
    })),
    created_at: s.createdAt,
  };
}

function featureWire(f: PipelineFeatureRecord): PipelineFeatureWire {
  return { feature: f.featureId, feature_name: f.featureName, stage: f.stageId, entered_at: f.enteredAt, trigger_due_at: f.triggerDueAt, triggered_at: f.triggeredAt, trigger_error: f.triggerError };
}

function pipelineWire(p: PipelineRecord, stages: StageRecord[], features: PipelineFeatureRecord[]): ReleasePipelineWire {
  return {
    id: p.id,
    name: p.name,
    description: p.description,
    project: p.projectId,
    published_at: p.publishedAt,
    published_by: p.publishedByUserId,
    stages: stages.map(stageWire),
    stages_count: stages.length,
    features: features.map(featureWire),
    created_at: p.createdAt,
    updated_at: p.updatedAt,
  };
}

/** The context of one feature in one stage, for entering, triggers and promotions. */
interface StageContext {
  pipeline: PipelineRecord;
  stage: StageRecord;
  env: EnvironmentInfo;
  pf: PipelineFeatureRecord;
}

/** What a promotion would do, computed inside a transaction. */
interface PromotionPlan {
  pf: PipelineFeatureRecord;
  from: StageRecord;
  to: StageRecord;
  current: StageRecord;
  targetEnv: EnvironmentInfo;
  source: VersionInfo;
  liveUuid: string;
  live: VersionContent;
  baseUuid: string;
  merge: PromotionMerge;
  wire: Omit<PromotionWire, 'published_version_uuid' | 'entered_stage'>;
}

export function createReleasePipelinesService(deps: {
  db: Db;
  clock: Clock;
  store: ReleasePipelinesStore;
  access: AccessService;
  audit: AuditService;
  events: EventsService;
  versions: Pick<VersionsService, 'liveVersionUuids' | 'createInitialVersion'>;
  /** The versions service bound to a transaction: its publishes commit (or roll back) with the pipeline step. */
  versionsIn: (trx: DbExecutor) => VersionsService;
  logger?: Pick<FastifyBaseLogger, 'error' | 'warn'> | undefined;
}): ReleasePipelinesService {
  const { db, clock, store, access, audit, events, versions, versionsIn, logger } = deps;
  const k = db.kysely;
  const nowIso = () => clock.now().toISOString();

  // ---- loading and authorisation ---------------------------------------------------------------------

  async function pipelineOf(ex: DbExecutor, projectId: number, id: number, lock = false): Promise<PipelineRecord> {
    const p = lock ? await store.lockPipeline(ex, id) : await store.findPipeline(ex, id);
    if (!p || p.projectId !== projectId) throw notFound('Release pipeline');
    return p;
  }

  async function stageOf(ex: DbExecutor, pipeline: PipelineRecord, id: number): Promise<StageRecord> {
    const s = await store.findStage(ex, id);
    if (!s || s.pipelineId !== pipeline.id) throw notFound('Stage');
    return s;
  }

  async function wireOf(ex: DbExecutor, p: PipelineRecord): Promise<ReleasePipelineWire> {
    return pipelineWire(p, await store.stagesOf(ex, [p.id]), await store.featuresOf(ex, [p.id]));
  }

  async function principalOf(ex: DbExecutor, pf: PipelineFeatureRecord): Promise<Principal | null> {
    if (pf.enteredByUserId !== null) {
      const email = await store.userEmail(ex, pf.enteredByUserId);
      return email === undefined ? null : { kind: 'user', userId: pf.enteredByUserId, email };
    }
    if (pf.enteredByApiKeyId !== null) {
      const key = await store.apiKey(ex, pf.enteredByApiKeyId);
      return key && !key.revoked ? { kind: 'api_key', apiKeyId: pf.enteredByApiKeyId, organisationId: key.organisationId, isAdmin: key.isAdmin, name: key.name } : null;
    }
    return null;
  }

  const enteredBy = (p: Principal) => ({ enteredByUserId: p.kind === 'user' ? p.userId : null, enteredByApiKeyId: p.kind === 'api_key' ? p.apiKeyId : null });

  // ---- stage input ------------------------------------------------------------------------------------

  /** Checks a stage as sent (paths under `at`) and returns its stored form; writes nothing. */
  async function checkStage(ex: DbExecutor, projectId: number, input: StageInput, at: string): Promise<Omit<StageRecord, 'id' | 'pipelineId' | 'createdAt' | 'order'>> {
    const env = await store.environment(ex, input.environment);
    if (!env || env.projectId !== projectId) throw validationFailed(`${at}/environment`, `environment ${input.environment} is not an environment of this project`);
    if (!env.isV2) throw validationFailed(`${at}/environment`, `environment '${env.name}' does not use feature versioning v2; a stage needs a v2 environment`);
    const trigger = input.trigger ?? { trigger_type: StageTriggerType.ON_ENTER, trigger_body: null };
    let waitSeconds: number | null = null;
    if (trigger.trigger_type === StageTriggerType.WAIT_FOR) {
      const body = trigger.trigger_body;
      if (body?.wait_seconds !== undefined) waitSeconds = body.wait_seconds;
      else if (body?.wait_for !== undefined) {
        const parsed = parseWaitFor(body.wait_for);
        if (parsed === undefined) throw validationFailed(`${at}/trigger/trigger_body/wait_for`, `'${body.wait_for}' is not a duration above zero (HH:MM:SS or D HH:MM:SS)`);
        waitSeconds = parsed;
      } else throw validationFailed(`${at}/trigger/trigger_body/wait_for`, 'a WAIT_FOR trigger needs wait_for (HH:MM:SS) or wait_seconds');
    }
    const actions: StageAction[] = [];
    for (const [i, a] of (input.actions ?? []).entries()) {
      const path = `${at}/actions/${i}/action_body`;
      const body = a.action_body;
      if (a.action_type === StageActionType.PUBLISH_VERSION) {
        if (body.version_uuid === undefined) throw validationFailed(`${path}/version_uuid`, 'PUBLISH_VERSION needs version_uuid');
        const v = await store.version(ex, body.version_uuid);
        if (!v || v.environmentId !== env.id) throw validationFailed(`${path}/version_uuid`, `version ${body.version_uuid} is not a version in environment '${env.name}'`);
        actions.push({ type: a.action_type, versionUuid: body.version_uuid });
        continue;
      }
      if (body.enabled === undefined) throw validationFailed(`${path}/enabled`, `${a.action_type} needs enabled (true or false)`);
      if (a.action_type === StageActionType.TOGGLE_FEATURE) {
        actions.push({ type: a.action_type, enabled: body.enabled });
        continue;
      }
      if (body.segment_id === undefined) throw validationFailed(`${path}/segment_id`, 'TOGGLE_FEATURE_FOR_SEGMENT needs segment_id');
      const segment = await store.segment(ex, body.segment_id);
      if (!segment || segment.projectId !== projectId) throw validationFailed(`${path}/segment_id`, `segment ${body.segment_id} is not a segment of this project`);
      // A stage acts on every feature that passes through it: a feature-specific segment fits only one of them.
      if (segment.featureId !== null) throw validationFailed(`${path}/segment_id`, `segment '${segment.name}' belongs to one feature; a stage action needs a segment of the whole project`);
      actions.push({ type: a.action_type, enabled: body.enabled, segmentId: body.segment_id });
    }
    return { name: input.name, environmentId: env.id, triggerType: trigger.trigger_type, waitSeconds, actions };
  }

  /** The stage's order: as asked (free in the pipeline), or after the last stage. */
  function orderFor(existing: StageRecord[], wanted: number | undefined, path: string, except?: number): number {
    const others = existing.filter((s) => s.id !== except);
    if (wanted === undefined) return others.length === 0 ? 0 : Math.max(...others.map((s) => s.order)) + 1;
    if (others.some((s) => s.order === wanted)) throw validationFailed(path, `a stage with order ${wanted} already exists in this pipeline`);
    return wanted;
  }

  async function insertStages(trx: DbExecutor, pipeline: PipelineRecord, inputs: StageInput[], now: string): Promise<void> {
    const checked: Omit<StageRecord, 'id'>[] = [];
    const taken = new Set<number>();
    for (const [i, input] of inputs.entries()) {
      const s = await checkStage(trx, pipeline.projectId, input, `body/stages/${i}`);
      const order = input.order ?? i;
      if (taken.has(order)) throw validationFailed(`body/stages/${i}/order`, `a stage with order ${order} is given twice`);
      taken.add(order);
      checked.push({ ...s, order, pipelineId: pipeline.id, createdAt: now });
    }
    for (const s of checked) await store.insertStage(trx, s);
  }

  async function record(trx: DbExecutor, p: Principal | null, env: EnvironmentInfo | { organisationId: number; projectId: number; id?: undefined }, pipeline: PipelineRecord, log: string, isSystemEvent = false) {
    await audit.record(trx, p, {
      organisationId: env.organisationId,
      projectId: env.projectId,
      environmentId: env.id ?? null,
      log,
      relatedObjectType: AuditObjectType.RELEASE_PIPELINE,
      relatedObjectId: pipeline.id,
      isSystemEvent,
    });
  }

  /** A project-level entry; `organisationId` comes from the access check made before the transaction. */
  async function projectAudit(trx: DbExecutor, p: Principal, organisationId: number, pipeline: PipelineRecord, log: string) {
    await record(trx, p, { organisationId, projectId: pipeline.projectId }, pipeline, log);
  }

  async function emit(trx: DbExecutor, type: WebhookEventType, ctx: StageContext, actor: Principal | null, extra: Pick<ReleasePipelineEventData, 'version_uuids' | 'source_version_uuid' | 'error'>) {
    const data: ReleasePipelineEventData = {
      pipeline: { id: ctx.pipeline.id, name: ctx.pipeline.name },
      stage: { id: ctx.stage.id, name: ctx.stage.name, order: ctx.stage.order },
      feature: { id: ctx.pf.featureId, name: ctx.pf.featureName },
      environment: { id: ctx.env.id, name: ctx.env.name, api_key: ctx.env.apiKey },
      ...extra,
      actor: actor?.kind === 'user' ? { id: actor.userId, email: actor.email } : null,
      occurred_at: nowIso(),
    };
    await events.emit(trx, { scope: { environmentId: ctx.env.id }, eventType: type, data });
  }

  /** A stage's environment was v2 when the stage was saved; it may have been moved back to v1 since. */
  async function assertV2(ex: DbExecutor, stage: StageRecord): Promise<void> {
    const env = await store.environment(ex, stage.environmentId);
    if (!env?.isV2) {
      throw preconditionFailed(`The environment of stage '${stage.name}' no longer uses feature versioning v2: bind the stage to a v2 environment.`, { reason: 'VERSIONING_NOT_ENABLED' });
    }
  }

  // ---- actions, entering, triggers --------------------------------------------------------------------

  async function liveContentOf(trx: DbExecutor, environmentId: number, featureId: number): Promise<{ uuid: string; content: VersionContent } | undefined> {
    const uuid = (await versions.liveVersionUuids(environmentId, clock.now(), trx)).get(featureId);
    if (!uuid) return undefined;
    const v = await store.version(trx, uuid);
    assert(v, `live version ${uuid} exists`);
    return { uuid, content: parseContent(v.contentJson) };
  }

  /** Runs a stage's actions for a feature as `actor`, through the versions service; returns the versions published. */
  async function runActions(trx: DbExecutor, actor: Principal, ctx: StageContext): Promise<string[]> {
    const v = versionsIn(trx);
    const { env, stage, pf, pipeline } = ctx;
    const description = `Release pipeline '${pipeline.name}', stage '${stage.name}'`;
    const published: string[] = [];
    for (const action of stage.actions) {
      let uuid: string | undefined;
      if (action.type === StageActionType.TOGGLE_FEATURE) {
        const input: FeatureVersionCreateInput = { description, feature_states_to_update: [{ feature_segment: null, enabled: action.enabled ?? false }], publish_immediately: true };
        uuid = (await v.create(actor, env.id, pf.featureId, input)).uuid;
      } else if (action.type === StageActionType.TOGGLE_FEATURE_FOR_SEGMENT) {
        const segment = action.segmentId as number;
        const live = await liveContentOf(trx, env.id, pf.featureId);
        const entry = { feature_segment: { segment }, enabled: action.enabled ?? false };
        const input: FeatureVersionCreateInput = live?.content.segmentOverrides[String(segment)]
          ? { description, feature_states_to_update: [entry], publish_immediately: true }
          : { description, feature_states_to_create: [entry], publish_immediately: true };
        uuid = (await v.create(actor, env.id, pf.featureId, input)).uuid;
      } else {
        const target = await store.version(trx, action.versionUuid as string);
        // A version belongs to one feature: the action applies to that feature only.
        if (!target || target.featureId !== pf.featureId || target.environmentId !== env.id) continue;
        if (target.status === 'draft') uuid = (await v.publish(actor, env.id, pf.featureId, target.uuid, null)).uuid;
        else if (target.status === 'published') uuid = (await v.restore(actor, env.id, pf.featureId, target.uuid, `${description}: version ${target.uuid}`)).uuid;
        else throw preconditionFailed(`Version ${target.uuid} cannot be published by the pipeline: it is ${target.status}.`, { reason: 'VERSION_NOT_PUBLISHABLE' });
      }
      published.push(uuid);
      await store.setReceived(trx, pf.id, stage.id, uuid);
    }
    return published;
  }

  /** Audit entry and event of a stage's trigger having run (or failed), then the recorded outcome. */
  async function announceTriggered(trx: DbExecutor, actor: Principal | null, ctx: StageContext, published: string[], error: string | null, isSystemEvent: boolean) {
    const what = error === null ? `ran (${published.length} version${published.length === 1 ? '' : 's'} published)` : `failed: ${error}`;
    await record(trx, actor, ctx.env, ctx.pipeline, `Release pipeline '${ctx.pipeline.name}': actions of stage '${ctx.stage.name}' for feature '${ctx.pf.featureName}' ${what}`, isSystemEvent);
    await emit(trx, WebhookEventType.RELEASE_PIPELINE_STAGE_TRIGGERED, ctx, actor, { version_uuids: published, source_version_uuid: null, error });
  }

  /** The feature enters `stage` (already recorded on its row); an ON_ENTER trigger runs its actions now. */
  async function announceEntered(trx: DbExecutor, actor: Principal, ctx: StageContext, now: string): Promise<string[]> {
    await record(trx, actor, ctx.env, ctx.pipeline, `Release pipeline '${ctx.pipeline.name}': feature '${ctx.pf.featureName}' entered stage '${ctx.stage.name}'`);
    await emit(trx, WebhookEventType.RELEASE_PIPELINE_STAGE_ENTERED, ctx, actor, { version_uuids: [], source_version_uuid: null, error: null });
    if (ctx.stage.triggerType !== StageTriggerType.ON_ENTER) return [];
    const published = await runActions(trx, actor, ctx);
    await store.recordTriggered(trx, ctx.pf.id, now, null);
    await announceTriggered(trx, actor, ctx, published, null, false);
    return published;
  }

  const dueAtFor = (stage: StageRecord, now: string) => (stage.triggerType === StageTriggerType.WAIT_FOR && stage.waitSeconds !== null ? triggerDueAt(now, stage.waitSeconds) : null);

  async function fireTrigger(trx: DbExecutor, id: number, now: string): Promise<boolean> {
    const found = await store.findPipelineFeatureById(trx, id);
    if (!found) return false;
    const pipeline = await store.lockPipeline(trx, found.pipelineId);
    if (!pipeline || !(await store.claimTrigger(trx, id, now, { error: null }))) return false;
    const pf = await store.findPipelineFeatureById(trx, id);
    const stage = pf && (await store.findStage(trx, pf.stageId));
    const env = stage && (await store.environment(trx, stage.environmentId));
    assert(pf && stage && env, `feature ${id} of a pipeline has its stage and environment`);
    const ctx = { pipeline, stage, env, pf };
    const actor = await principalOf(trx, pf);
    if (!actor) throw preconditionFailed('Whoever moved the feature into this stage no longer has access; move it again to run the stage’s actions.', { reason: 'NO_ACTOR' });
    const published = await runActions(trx, actor, ctx);
    await announceTriggered(trx, actor, ctx, published, null, true);
    return true;
  }

  /** A trigger whose actions failed: claimed with the error recorded, audited and announced, so it is not retried forever. */
  async function failTrigger(trx: DbExecutor, id: number, now: string, error: string): Promise<void> {
    const found = await store.findPipelineFeatureById(trx, id);
    if (!found) return;
    const pipeline = await store.lockPipeline(trx, found.pipelineId);
    if (!pipeline || !(await store.claimTrigger(trx, id, now, { error }))) return;
    const pf = await store.findPipelineFeatureById(trx, id);
    const stage = pf && (await store.findStage(trx, pf.stageId));
    const env = stage && (await store.environment(trx, stage.environmentId));
    assert(pf && stage && env, `feature ${id} of a pipeline has its stage and environment`);
    await announceTriggered(trx, await principalOf(trx, pf), { pipeline, stage, env, pf }, [], error, true);
  }

  // ---- promotion ---------------------------------------------------------------------------------------

  /** Where a promotion goes, checked against the pipeline (reads only; paths name the body fields). */
  async function route(ex: DbExecutor, pipeline: PipelineRecord, input: PromoteInput) {
    const pf = await store.findPipelineFeature(ex, pipeline.id, input.feature_id);
    if (!pf) throw validationFailed('body/feature_id', `feature ${input.feature_id} is not in this pipeline`);
    const stages = await store.stagesOf(ex, [pipeline.id]);
    const current = stages.find((s) => s.id === pf.stageId);
    assert(current, `the stage of feature ${pf.featureId} is a stage of pipeline ${pipeline.id}`);
    const from = input.from_stage === undefined ? current : stages.find((s) => s.id === input.from_stage);
    if (!from) throw validationFailed('body/from_stage', `stage ${input.from_stage} is not a stage of this pipeline`);
    if (from.order > current.order) throw validationFailed('body/from_stage', `feature '${pf.featureName}' has not reached stage '${from.name}'`);
    const to = stages.find((s) => s.order > from.order);
    if (!to) throw validationFailed(input.from_stage === undefined ? 'body/feature_id' : 'body/from_stage', `stage '${from.name}' is the last stage: there is nothing to promote to`);
    return { pf, from, to, current };
  }

  async function plan(ex: DbExecutor, pipeline: PipelineRecord, input: PromoteInput): Promise<PromotionPlan> {
    const { pf, from, to, current } = await route(ex, pipeline, input);
    const source = await store.version(ex, input.version_uuid);
    if (!source || source.environmentId !== from.environmentId || source.featureId !== pf.featureId) {
      throw validationFailed('body/version_uuid', `version ${input.version_uuid} is not a version of feature '${pf.featureName}' in the environment of stage '${from.name}'`);
    }
    if (source.status !== 'published') throw validationFailed('body/version_uuid', `version ${input.version_uuid} is ${source.status}: only a published version can be promoted`);
    const targetEnv = await store.environment(ex, to.environmentId);
    assert(targetEnv, `environment ${to.environmentId} of stage ${to.id} exists`);
    const live = await liveContentOf(ex, to.environmentId, pf.featureId);
    if (!live) throw preconditionFailed(`Feature '${pf.featureName}' has no live version in environment '${targetEnv.name}' yet.`, { reason: 'NO_LIVE_VERSION' });
    const b = await store.findBase(ex, pf.id, to.id);
    const baseUuid = b?.receivedVersionUuid ?? b?.baseVersionUuid ?? live.uuid;
    const baseRow = baseUuid === live.uuid ? undefined : await store.version(ex, baseUuid);
    const base = baseRow ? parseContent(baseRow.contentJson) : live.content;
    const sourceContent = parseContent(source.contentJson);
    const merge = mergePromotion(base, live.content, sourceContent);
    const contents = [live.content, sourceContent, ...(merge.kind === 'clean' ? [merge.content] : [])];
    const names = await store.names(ex, pf.featureId, [...new Set(contents.flatMap((c) => Object.keys(c.segmentOverrides)).map(Number))]);
    const describe = (a: VersionContent, c: VersionContent) => diffVersionContent(a, c).map((x) => changeToWire(x, describeChange(x, names)));
    return {
      pf,
      from,
      to,
      current,
      targetEnv,
      source,
      liveUuid: live.uuid,
      live: live.content,
      baseUuid,
      merge,
      wire: {
        feature: pf.featureId,
        version_uuid: source.uuid,
        from_stage: from.id,
        to_stage: to.id,
        target_environment: to.environmentId,
        live_version_uuid: live.uuid,
        base_version_uuid: baseUuid,
        changes: describe(live.content, sourceContent),
        merge: {
          status: merge.kind,
          changes: merge.kind === 'clean' ? describe(live.content, merge.content) : [],
          conflicts: merge.kind === 'conflict' ? merge.conflicts.map(conflictToWire) : [],
        },
      },
    };
  }

  /** Checks who may promote (or preview) before anything is written; tenants see 404. */
  async function authorisePromotion(p: Principal, projectId: number, id: number, input: PromoteInput, targetPermission: EnvironmentPermission) {
    await access.assertProject(p, projectId);
    const pipeline = await pipelineOf(k, projectId, id);
    const { from, to } = await route(k, pipeline, input);
    await access.assertEnvironment(p, from.environmentId, EnvironmentPermission.VIEW_ENVIRONMENT);
    await access.assertEnvironment(p, to.environmentId, targetPermission);
  }

  // ---- the service -----------------------------------------------------------------------------------

  return {
    async list(p, projectId, page) {
      await access.assertProject(p, projectId);
      const { total, items } = await store.listPipelines(k, projectId, page);
      const ids = items.map((i) => i.id);
      const stages = await store.stagesOf(k, ids);
      const features = await store.featuresOf(k, ids);
      return { total, items: items.map((i) => pipelineWire(i, stages.filter((s) => s.pipelineId === i.id), features.filter((f) => f.pipelineId === i.id))) };
    },

    async create(p, projectId, input) {
      const { organisationId } = await access.assertProject(p, projectId, ADMIN);
      return db.transaction(async (trx) => {
        const now = nowIso();
        const record0 = { projectId, name: input.name, description: input.description ?? null, publishedAt: null, publishedByUserId: null, createdAt: now, updatedAt: now };
        const pipeline = { ...record0, id: await store.insertPipeline(trx, record0) };
        await insertStages(trx, pipeline, input.stages ?? [], now);
        await projectAudit(trx, p, organisationId, pipeline, `Release pipeline created: ${pipeline.name}`);
        return wireOf(trx, pipeline);
      });
    },

    async get(p, projectId, id) {
      await access.assertProject(p, projectId);
      return wireOf(k, await pipelineOf(k, projectId, id));
    },

    async update(p, projectId, id, input) {
      const { organisationId } = await access.assertProject(p, projectId, ADMIN);
      return db.transaction(async (trx) => {
        const pipeline = await pipelineOf(trx, projectId, id, true);
        const now = nowIso();
        if (input.stages !== undefined) {
          if ((await store.featuresOf(trx, [id])).length > 0) {
            throw preconditionFailed('The stages of a pipeline with features in it cannot be replaced: remove its features first, or change stages one by one.', { reason: 'PIPELINE_HAS_FEATURES' });
          }
          for (const s of await store.stagesOf(trx, [id])) await store.deleteStage(trx, s.id);
          await insertStages(trx, pipeline, input.stages, now);
        }
        const updated = { ...pipeline, name: input.name, description: input.description ?? null, updatedAt: now };
        await store.updatePipeline(trx, id, updated);
        await projectAudit(trx, p, organisationId, updated, `Release pipeline updated: ${updated.name}`);
        return wireOf(trx, updated);
      });
    },

    async remove(p, projectId, id) {
      const { organisationId } = await access.assertProject(p, projectId, ADMIN);
      await db.transaction(async (trx) => {
        const pipeline = await pipelineOf(trx, projectId, id, true);
        await store.deletePipeline(trx, id);
        await projectAudit(trx, p, organisationId, pipeline, `Release pipeline deleted: ${pipeline.name}`);
      });
    },

    async publish(p, projectId, id) {
      const { organisationId } = await access.assertProject(p, projectId, ADMIN);
      return db.transaction(async (trx) => {
        const pipeline = await pipelineOf(trx, projectId, id, true);
        if (pipeline.publishedAt !== null) throw preconditionFailed('Pipeline is already published.', { reason: 'PIPELINE_ALREADY_PUBLISHED' });
        const now = nowIso();
        await store.publishPipeline(trx, id, now, p.kind === 'user' ? p.userId : null);
        const published = { ...pipeline, publishedAt: now, publishedByUserId: p.kind === 'user' ? p.userId : null, updatedAt: now };
        await projectAudit(trx, p, organisationId, published, `Release pipeline published: ${published.name}`);
        return wireOf(trx, published);
      });
    },

    async listStages(p, projectId, pipelineId) {
      await access.assertProject(p, projectId);
      const pipeline = await pipelineOf(k, projectId, pipelineId);
      return (await store.stagesOf(k, [pipeline.id])).map(stageWire);
    },

    async createStage(p, projectId, pipelineId, input) {
      const { organisationId } = await access.assertProject(p, projectId, ADMIN);
      return db.transaction(async (trx) => {
        const pipeline = await pipelineOf(trx, projectId, pipelineId, true);
        const existing = await store.stagesOf(trx, [pipeline.id]);
        const checked = await checkStage(trx, projectId, input, 'body');
        const now = nowIso();
        const s = { ...checked, order: orderFor(existing, input.order, 'body/order'), pipelineId: pipeline.id, createdAt: now };
        const stage = { ...s, id: await store.insertStage(trx, s) };
        await projectAudit(trx, p, organisationId, pipeline, `Stage '${stage.name}' added to release pipeline: ${pipeline.name}`);
        return stageWire(stage);
      });
    },

    async getStage(p, projectId, pipelineId, id) {
      await access.assertProject(p, projectId);
      return stageWire(await stageOf(k, await pipelineOf(k, projectId, pipelineId), id));
    },

    async updateStage(p, projectId, pipelineId, id, input) {
      const { organisationId } = await access.assertProject(p, projectId, ADMIN);
      return db.transaction(async (trx) => {
        const pipeline = await pipelineOf(trx, projectId, pipelineId, true);
        const stage = await stageOf(trx, pipeline, id);
        const existing = await store.stagesOf(trx, [pipeline.id]);
        const checked = await checkStage(trx, projectId, input, 'body');
        const order = input.order === undefined ? stage.order : orderFor(existing, input.order, 'body/order', stage.id);
        const holdsFeatures = (await store.featuresOf(trx, [pipeline.id])).some((f) => f.stageId === stage.id);
        if (holdsFeatures && checked.environmentId !== stage.environmentId) {
          throw preconditionFailed(`Stage '${stage.name}' has features in it: its environment cannot change.`, { reason: 'STAGE_HAS_FEATURES' });
        }
        const updated = { ...stage, ...checked, order };
        await store.updateStage(trx, id, updated);
        await projectAudit(trx, p, organisationId, pipeline, `Stage '${updated.name}' of release pipeline updated: ${pipeline.name}`);
        return stageWire(updated);
      });
    },

    async removeStage(p, projectId, pipelineId, id) {
      const { organisationId } = await access.assertProject(p, projectId, ADMIN);
      await db.transaction(async (trx) => {
        const pipeline = await pipelineOf(trx, projectId, pipelineId, true);
        const stage = await stageOf(trx, pipeline, id);
        if ((await store.featuresOf(trx, [pipeline.id])).some((f) => f.stageId === stage.id)) {
          throw preconditionFailed(`Stage '${stage.name}' has features in it: promote or remove them first.`, { reason: 'STAGE_HAS_FEATURES' });
        }
        await store.deleteStage(trx, id);
        await projectAudit(trx, p, organisationId, pipeline, `Stage '${stage.name}' removed from release pipeline: ${pipeline.name}`);
      });
    },

    async addFeature(p, projectId, id, featureId) {
      const { organisationId } = await access.assertProject(p, projectId, ADMIN);
      return db.transaction(async (trx) => {
        const pipeline = await pipelineOf(trx, projectId, id, true);
        const feature = await store.feature(trx, featureId);
        if (!feature || feature.projectId !== projectId) throw validationFailed('body/feature_id', `feature ${featureId} is not a feature of this project`);
        if (await store.findPipelineFeature(trx, pipeline.id, featureId)) throw validationFailed('body/feature_id', `feature '${feature.name}' is already in this pipeline`);
        const stages = await store.stagesOf(trx, [pipeline.id]);
        const first = stages[0];
        if (!first) throw preconditionFailed(`Release pipeline '${pipeline.name}' has no stages: add one first.`, { reason: 'PIPELINE_HAS_NO_STAGES' });
        const now = nowIso();
        // Every stage's environment: the feature's live version there is the base of promotions into it.
        const bases: { stageId: number; baseVersionUuid: string | null }[] = [];
        for (const s of stages) {
          await assertV2(trx, s);
          await versions.createInitialVersion(trx, s.environmentId, featureId);
          bases.push({ stageId: s.id, baseVersionUuid: (await versions.liveVersionUuids(s.environmentId, clock.now(), trx)).get(featureId) ?? null });
        }
        const pfId = await store.insertPipelineFeature(trx, { pipelineId: pipeline.id, featureId, stageId: first.id, enteredAt: now, ...enteredBy(p), triggerDueAt: dueAtFor(first, now), createdAt: now });
        await store.resetBases(trx, pfId, bases);
        const pf = await store.findPipelineFeatureById(trx, pfId);
        const env = await store.environment(trx, first.environmentId);
        assert(pf && env, 'the feature row and the stage environment exist');
        await projectAudit(trx, p, organisationId, pipeline, `Feature '${feature.name}' added to release pipeline: ${pipeline.name}`);
        await announceEntered(trx, p, { pipeline, stage: first, env, pf }, now);
        return wireOf(trx, pipeline);
      });
    },

    async removeFeature(p, projectId, id, featureId) {
      const { organisationId } = await access.assertProject(p, projectId, ADMIN);
      return db.transaction(async (trx) => {
        const pipeline = await pipelineOf(trx, projectId, id, true);
        const pf = await store.findPipelineFeature(trx, pipeline.id, featureId);
        if (!pf) throw validationFailed('body/feature_id', `feature ${featureId} is not in this pipeline`);
        await store.deletePipelineFeature(trx, pf.id);
        await projectAudit(trx, p, organisationId, pipeline, `Feature '${pf.featureName}' removed from release pipeline: ${pipeline.name}`);
        return wireOf(trx, pipeline);
      });
    },

    async preview(p, projectId, id, input) {
      await authorisePromotion(p, projectId, id, input, EnvironmentPermission.VIEW_ENVIRONMENT);
      const pipeline = await pipelineOf(k, projectId, id);
      return { ...(await plan(k, pipeline, input)).wire, published_version_uuid: null, entered_stage: false };
    },

    async promote(p, projectId, id, input) {
      await authorisePromotion(p, projectId, id, input, EnvironmentPermission.UPDATE_FEATURE_STATE);
      return db.transaction(async (trx) => {
        const pipeline = await pipelineOf(trx, projectId, id, true);
        const { to } = await route(trx, pipeline, input);
        // The target environment's lock first (as every publish takes it), so its live version stays live.
        await bumpDocumentRevision(trx, { environmentId: to.environmentId });
        await assertV2(trx, to);
        await versions.createInitialVersion(trx, to.environmentId, input.feature_id);
        const pl = await plan(trx, pipeline, input);
        if (pl.merge.kind === 'conflict') {
          throw preconditionFailed(`Version ${pl.source.uuid} cannot be promoted to stage '${pl.to.name}': environment '${pl.targetEnv.name}' changed the same fields since it last received this feature from the pipeline.`, {
            reason: 'PROMOTION_CONFLICT',
            ...pl.wire,
          });
        }
        const now = nowIso();
        const edit = editToContent(pl.live, pl.merge.content);
        const description = `Promoted by release pipeline '${pipeline.name}' from stage '${pl.from.name}' (version ${pl.source.uuid})`;
        const published = await versionsIn(trx).create(p, to.environmentId, pl.pf.featureId, { description, ...edit, publish_immediately: true });
        await store.setReceived(trx, pl.pf.id, to.id, published.uuid);
        const entering = to.order > pl.current.order;
        if (entering) await store.enterStage(trx, pl.pf.id, { stageId: to.id, enteredAt: now, ...enteredBy(p), triggerDueAt: dueAtFor(to, now) });
        const pf = await store.findPipelineFeatureById(trx, pl.pf.id);
        assert(pf, 'the feature row exists');
        const ctx = { pipeline, stage: to, env: pl.targetEnv, pf };
        await record(trx, p, pl.targetEnv, pipeline, `Release pipeline '${pipeline.name}': version ${pl.source.uuid} of feature '${pf.featureName}' promoted from stage '${pl.from.name}' to stage '${to.name}' as version ${published.uuid}`);
        await emit(trx, WebhookEventType.RELEASE_PIPELINE_PROMOTED, ctx, p, { version_uuids: [published.uuid], source_version_uuid: pl.source.uuid, error: null });
        if (entering) await announceEntered(trx, p, ctx, now);
        return { ...pl.wire, published_version_uuid: published.uuid, entered_stage: entering };
      });
    },

    async runDueTriggers() {
      const now = nowIso();
      let ran = 0;
      for (const id of await store.dueTriggers(k, now, 100)) {
        try {
          if (await db.transaction((trx) => fireTrigger(trx, id, now))) ran++;
        } catch (error) {
          const message = error instanceof AppError ? error.message : 'internal error';
          if (!(error instanceof AppError)) logger?.error({ err: error, pipelineFeatureId: id }, 'release pipeline trigger failed');
          try {
            await db.transaction((trx) => failTrigger(trx, id, now, message));
          } catch (again) {
            // Left due: the next pass tries it again.
            logger?.error({ err: again, pipelineFeatureId: id }, 'release pipeline trigger failure could not be recorded');
          }
        }
      }
      return ran;
    },
  };
}
