import type { DbExecutor } from '../../platform/database/database.js';
import type { StageActionType, StageTriggerType } from '../../../src-shared/contracts/http/release-pipelines.contract.js';

/** A release pipeline row. */
export interface PipelineRecord {
  id: number;
  projectId: number;
  name: string;
  description: string | null;
  publishedAt: string | null;
  publishedByUserId: number | null;
  createdAt: string;
  updatedAt: string;
}

/** One action of a stage, as stored (the wire's `action_body` fields that its type uses). */
export interface StageAction {
  type: StageActionType;
  enabled?: boolean;
  segmentId?: number;
  versionUuid?: string;
}

export interface StageRecord {
  id: number;
  pipelineId: number;
  name: string;
  order: number;
  environmentId: number;
  triggerType: StageTriggerType;
  /** The wait of a WAIT_FOR trigger; null for ON_ENTER. */
  waitSeconds: number | null;
  actions: StageAction[];
  createdAt: string;
}

/** A feature in a pipeline: the stage it is in and its pending wait trigger. */
export interface PipelineFeatureRecord {
  id: number;
  pipelineId: number;
  featureId: number;
  featureName: string;
  stageId: number;
  enteredAt: string;
  enteredByUserId: number | null;
  enteredByApiKeyId: number | null;
  triggerDueAt: string | null;
  triggeredAt: string | null;
  triggerError: string | null;
}

export interface EnvironmentInfo {
  id: number;
  projectId: number;
  organisationId: number;
  name: string;
  apiKey: string;
  isV2: boolean;
}

export interface VersionInfo {
  uuid: string;
  environmentId: number;
  featureId: number;
  status: string;
  contentJson: string;
}

/**
 * Storage of release pipelines (port). Every method runs on the executor it is given, so a command's rows
 * commit with its audit entry and events. Reads of other modules' tables (environments, features,
 * segments, versions, users) are plain lookups by id; writes to them go through their services.
 */
export interface ReleasePipelinesStore {
  listPipelines(ex: DbExecutor, projectId: number, page: { offset: number; limit: number }): Promise<{ total: number; items: PipelineRecord[] }>;
  findPipeline(ex: DbExecutor, id: number): Promise<PipelineRecord | undefined>;
  /** Locks the pipeline row (PostgreSQL `FOR UPDATE`), so stage and feature changes of one pipeline serialise. */
  lockPipeline(ex: DbExecutor, id: number): Promise<PipelineRecord | undefined>;
  insertPipeline(ex: DbExecutor, p: Omit<PipelineRecord, 'id'>): Promise<number>;
  updatePipeline(ex: DbExecutor, id: number, patch: { name: string; description: string | null; updatedAt: string }): Promise<void>;
  /** Marks the pipeline published (Flagsmith's publish-pipeline). */
  publishPipeline(ex: DbExecutor, id: number, at: string, byUserId: number | null): Promise<void>;
  deletePipeline(ex: DbExecutor, id: number): Promise<void>;

  /** Stages of the pipelines, by pipeline then order. */
  stagesOf(ex: DbExecutor, pipelineIds: number[]): Promise<StageRecord[]>;
  findStage(ex: DbExecutor, id: number): Promise<StageRecord | undefined>;
  insertStage(ex: DbExecutor, s: Omit<StageRecord, 'id'>): Promise<number>;
  updateStage(ex: DbExecutor, id: number, s: Omit<StageRecord, 'id' | 'pipelineId' | 'createdAt'>): Promise<void>;
  deleteStage(ex: DbExecutor, id: number): Promise<void>;

  /** Features of the pipelines, by pipeline then when they were added. */
  featuresOf(ex: DbExecutor, pipelineIds: number[]): Promise<PipelineFeatureRecord[]>;
  findPipelineFeature(ex: DbExecutor, pipelineId: number, featureId: number): Promise<PipelineFeatureRecord | undefined>;
  findPipelineFeatureById(ex: DbExecutor, id: number): Promise<PipelineFeatureRecord | undefined>;
  insertPipelineFeature(ex: DbExecutor, f: Omit<PipelineFeatureRecord, 'id' | 'featureName' | 'triggeredAt' | 'triggerError'> & { createdAt: string }): Promise<number>;
  /** Moves a feature into a stage: new entry time and actor, pending trigger as given, trigger outcome cleared. */
  enterStage(ex: DbExecutor, id: number, e: { stageId: number; enteredAt: string; enteredByUserId: number | null; enteredByApiKeyId: number | null; triggerDueAt: string | null }): Promise<void>;
  deletePipelineFeature(ex: DbExecutor, id: number): Promise<void>;
  /** Ids of features whose wait trigger is due (`trigger_due_at <= now`), oldest first. */
  dueTriggers(ex: DbExecutor, now: string, limit: number): Promise<number[]>;
  /**
   * Claims a due trigger: clears `trigger_due_at` only if it is still set and due, and records the outcome.
   * True when this caller claimed it (a guarded UPDATE: of several instances exactly one wins).
   */
  claimTrigger(ex: DbExecutor, id: number, now: string, outcome: { error: string | null }): Promise<boolean>;
  /** Records the outcome of an ON_ENTER run. */
  recordTriggered(ex: DbExecutor, id: number, at: string, error: string | null): Promise<void>;

  /** The merge base of promotions into a stage for a feature in a pipeline. */
  findBase(ex: DbExecutor, pipelineFeatureId: number, stageId: number): Promise<{ baseVersionUuid: string | null; receivedVersionUuid: string | null } | undefined>;
  /** Records the live version of each stage's environment as the base (replacing older bases of the feature). */
  resetBases(ex: DbExecutor, pipelineFeatureId: number, bases: { stageId: number; baseVersionUuid: string | null }[]): Promise<void>;
  /** Records the version a stage's environment received from the pipeline. */
  setReceived(ex: DbExecutor, pipelineFeatureId: number, stageId: number, versionUuid: string): Promise<void>;

  environment(ex: DbExecutor, id: number): Promise<EnvironmentInfo | undefined>;
  feature(ex: DbExecutor, id: number): Promise<{ id: number; projectId: number; name: string } | undefined>;
  segment(ex: DbExecutor, id: number): Promise<{ id: number; projectId: number; featureId: number | null; name: string } | undefined>;
  version(ex: DbExecutor, uuid: string): Promise<VersionInfo | undefined>;
  /** Display names for diff sentences: segments by id, multivariate options of the feature by id. */
  names(ex: DbExecutor, featureId: number, segmentIds: number[]): Promise<{ segments: Record<string, string>; multivariateOptions: Record<string, string> }>;
  userEmail(ex: DbExecutor, userId: number): Promise<string | undefined>;
  apiKey(ex: DbExecutor, id: number): Promise<{ name: string; organisationId: number; isAdmin: boolean; revoked: boolean } | undefined>;
}
