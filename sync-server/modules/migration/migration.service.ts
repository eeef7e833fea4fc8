import type { Db, DbExecutor } from '../../platform/database/database.js';
import { afterCommit } from '../../platform/database/database.js';
import type { Clock } from '../../platform/clock/clock.js';
import { enqueueJob } from '../../platform/jobs/job-queue.js';
import type { JobRunner } from '../../platform/jobs/job-runner.js';
import { ADMIN } from '../../../src-shared/domain/permissions/permissions.js';
import { AppError, notFound, validationFailed } from '../../../src-shared/errors/app-error.js';
import { ErrorCode } from '../../../src-shared/errors/error-codes.js';
import { canonicalizeVersionContent, type FlagStateContent, type VersionContent } from '../../../src-shared/domain/versioning/version-content.js';
import { VersioningStatus, type VersioningStatusWire } from '../../../src-shared/contracts/http/versioning-migration.contract.js';
import type { Principal } from '../access/principal.js';
import type { AccessService } from '../access/access.service.js';
import { AuditObjectType, type AuditService } from '../audit/audit.service.js';
import type { VersionsService } from '../versions/versions.service.js';
import { bumpDocumentRevision } from '../sdk/document-revision.js';
import type { MigrationEnvironment, MigrationStore, V1Row } from './migration.store.js';

export type MigrationDirection = 'enable' | 'disable';

/** Job kinds of the durable queue (platform/jobs): one job per enable or disable request. */
export const MigrationJobKind = { ENABLE: 'versioning.enable-v2', DISABLE: 'versioning.disable-v2' } as const;

interface Progress {
  direction: MigrationDirection;
  done: number;
  total: number;
  /** Last feature id finished: the job resumes after it (features are processed in id order). */
  cursor: number;
  error?: string;
}

/**
 * Moving an environment between Feature Versioning v1 and v2 (issue 3, ADR 0005), as Flagsmith's
 * `enable-v2-versioning` / `disable-v2-versioning` actions and their background tasks.
 *
 * A request (environment, project or organisation admin) only marks the environment `enabling` /
 * `disabling`, writes its audit entry and enqueues a job in the same transaction (D3). The job works
 * through the project's features in id order, a batch per transaction that also stores its progress and
 * cursor, so a server killed mid-migration resumes after the last committed batch (the job's lease
 * expires and the queue hands it out again); each feature's step is idempotent. The last batch flips
 * `use_v2_feature_versioning` and the status in its own transaction.
 *
 * Enabling: each feature gets one initial published version holding its live v1 state (the versions
 * service's `createInitialVersion`); committed v1 scheduled changes (published v1 states whose
 * `live_from` is still ahead) become scheduled versions with that `live_from`, each on top of the one
 * before; superseded v1 states and uncommitted drafts are dropped (v2 never serves them). Identity
 * overrides are not touched. Nothing SDKs see changes.
 *
 * Disabling: the live version's states of each feature become its v1 states; all other versions, their
 * states and feature segments are deleted (the history is discarded, hence the explicit confirmation).
 */
export interface MigrationService {
  enable(p: Principal, apiKey: string): Promise<VersioningStatusWire>;
  disable(p: Principal, apiKey: string, input: { confirm_discard_history?: boolean | undefined } | undefined): Promise<VersioningStatusWire>;
  status(p: Principal, apiKey: string): Promise<VersioningStatusWire>;
  /** Whether an enable or disable job is under way (no authorisation: for services that checked access). */
  isMigrating(environmentId: number): Promise<boolean>;
  /**
   * One batch of the running migration of an environment, in one transaction. Returns true when there is
   * nothing left (the migration finished in this batch, or none of this direction is running).
   */
  runBatch(environmentId: number, direction: MigrationDirection, batchSize?: number): Promise<boolean>;
  /** The job: batches until done. On its last attempt's failure the environment is marked `failed`. */
  runJob(payload: unknown, job: { attempts: number; maxAttempts: number }): Promise<void>;
}

function precondition(message: string, reason: string): AppError {
  return new AppError(ErrorCode.PRECONDITION_FAILED, message, { details: { reason } });
}

function parseProgress(json: string | null): Progress | undefined {
  return json === null ? undefined : (JSON.parse(json) as Progress);
}

export function toVersioningStatusWire(env: MigrationEnvironment): VersioningStatusWire {
  const progress = parseProgress(env.progressJson);
  return {
    environment: env.id,
    api_key: env.apiKey,
    versioning_status: env.status,
    use_v2_feature_versioning: env.useV2,
    progress: progress ? { done: progress.done, total: progress.total } : null,
    last_error: env.status === VersioningStatus.FAILED ? (progress?.error ?? null) : null,
  };
}

function flagStateOf(r: V1Row): FlagStateContent {
  return { enabled: r.enabled, value: { ...r.value }, multivariateWeights: Object.fromEntries(r.weights.map((w) => [String(w.optionId), w.percentageAllocation])) };
}

/** Flagsmith's v1 order of competing states at one place: the higher version, then the newer row. */
function isNewer(a: V1Row, b: V1Row): boolean {
  return (a.version ?? 0) !== (b.version ?? 0) ? (a.version ?? 0) > (b.version ?? 0) : a.id > b.id;
}

/** `content` with the v1 states of one scheduled change applied at their places. */
function applyRows(content: VersionContent, rows: readonly V1Row[]): VersionContent {
  const next: VersionContent = { environmentDefault: content.environmentDefault, segmentOverrides: { ...content.segmentOverrides } };
  for (const r of rows) {
    if (r.segmentId === null) {
      next.environmentDefault = flagStateOf(r);
      continue;
    }
    const key = String(r.segmentId);
    // An existing override keeps its place in the order; a new one comes last, as v1 appends it.
    const priority = next.segmentOverrides[key]?.priority ?? Object.keys(next.segmentOverrides).length;
    next.segmentOverrides[key] = { priority, ...flagStateOf(r) };
  }
  return canonicalizeVersionContent(next);
}

export function createMigrationService(deps: {
  db: Db;
  clock: Clock;
  store: MigrationStore;
  access: AccessService;
  audit: AuditService;
  /** Every write to the versions tables goes through these, in the batch's transaction (ADR 0007). */
  versions: Pick<VersionsService, 'createInitialVersion' | 'versionContent' | 'createScheduledVersion' | 'discardHistory' | 'discardRemainingVersions'>;
  /** Wakes the job runner after commit. */
  nudge: () => void;
  /** Features per transaction (default 100). */
  batchSize?: number;
}): MigrationService {
  const { db, clock, store, access, audit, versions, nudge } = deps;
  const nowIso = () => clock.now().toISOString();

  async function environmentOf(ex: DbExecutor, environmentId: number, lock: boolean): Promise<MigrationEnvironment> {
    const env = await store.lockEnvironment(ex, environmentId, lock);
    if (!env) throw notFound('Environment');
    return env;
  }

  async function start(p: Principal, apiKey: string, direction: MigrationDirection, check: (env: MigrationEnvironment) => void): Promise<VersioningStatusWire> {
    const scope = await access.assertEnvironmentByApiKey(p, apiKey, ADMIN);
    return db.transaction(async (trx) => {
      const env = await environmentOf(trx, scope.environmentId, true);
      if (env.status === VersioningStatus.ENABLING || env.status === VersioningStatus.DISABLING) {
        throw precondition(`A feature versioning migration is already running on environment '${env.name}' (${env.status}); poll GET /api/v1/environments/${env.apiKey}/versioning-status/.`, 'VERSIONING_MIGRATION_RUNNING');
      }
      check(env);
      const total = await store.countFeaturesAfter(trx, env.projectId, 0);
      const progress: Progress = { direction, done: 0, total, cursor: 0 };
      const status = direction === 'enable' ? VersioningStatus.ENABLING : VersioningStatus.DISABLING;
      await store.setStatus(trx, env.id, { status, progressJson: JSON.stringify(progress) });
      await enqueueJob(trx, clock, { kind: direction === 'enable' ? MigrationJobKind.ENABLE : MigrationJobKind.DISABLE, payload: { environmentId: env.id, direction } });
      await audit.record(trx, p, {
        organisationId: env.organisationId,
        projectId: env.projectId,
        environmentId: env.id,
        log:
          direction === 'enable'
            ? `Feature versioning v2 enabling started for environment: ${env.name}`
            : `Feature versioning v2 disabling started for environment: ${env.name} (version history will be discarded)`,
        relatedObjectType: AuditObjectType.ENVIRONMENT,
        relatedObjectId: env.id,
      });
      afterCommit(trx, nudge);
      return toVersioningStatusWire({ ...env, status, progressJson: JSON.stringify(progress) });
    });
  }

  /** Enabling, one feature: its live v1 state becomes its initial version; scheduled changes become scheduled versions. */
  async function featureToV2(trx: DbExecutor, env: MigrationEnvironment, featureId: number, now: string): Promise<void> {
    const rows = await store.v1Rows(trx, env.id, featureId);
    const winners = new Map<string, V1Row>();
    const dropped: V1Row[] = [];
    const scheduled: V1Row[] = [];
    for (const r of rows) {
      if (r.version === null || r.liveFrom === null) dropped.push(r);
      else if (r.liveFrom > now) scheduled.push(r);
      else {
        const place = r.segmentId === null ? '-' : String(r.segmentId);
        const current = winners.get(place);
        if (!current || isNewer(r, current)) {
          if (current) dropped.push(current);
          winners.set(place, r);
        } else dropped.push(r);
      }
    }
    // Only the live states may remain v1 rows: `createInitialVersion` attaches every v1 row it finds.
    // Superseded states were never served again and drafts of v1 change requests have no place in v2
    // (Flagsmith leaves both unused); scheduled ones are carried over as versions below.
    if (dropped.length + scheduled.length > 0) {
      await store.deleteStates(trx, [...dropped, ...scheduled].map((r) => r.id));
      await store.deleteOrphanFeatureSegments(trx, env.id, featureId);
    }
    const initialUuid = await versions.createInitialVersion(trx, env.id, featureId);
    // Undefined: the feature already has versions (a batch that committed before a crash never gets
    // here again, so this is a feature created with its version meanwhile); nothing to carry over.
    if (initialUuid === undefined || scheduled.length === 0) return;
    const initial = await versions.versionContent(trx, initialUuid);
    if (initial === undefined) throw new Error(`initial version ${initialUuid} was just created`);
    let content = initial.content;
    let base = initialUuid;
    const byLiveFrom = new Map<string, V1Row[]>();
    for (const r of [...scheduled].sort((a, b) => (a.version ?? 0) - (b.version ?? 0) || a.id - b.id)) {
      const list = byLiveFrom.get(r.liveFrom!) ?? [];
      list.push(r);
      byLiveFrom.set(r.liveFrom!, list);
    }
    for (const liveFrom of [...byLiveFrom.keys()].sort()) {
      content = applyRows(content, byLiveFrom.get(liveFrom)!);
      // Each scheduled version holds everything before it, based on the one before: when that one went
      // live unchanged, this one goes live as it is (D8).
      base = await versions.createScheduledVersion(
        trx,
        { environmentId: env.id, featureId, content, baseVersionUuid: base, liveFrom, description: 'Scheduled change carried over from feature versioning v1' },
        now,
      );
    }
  }

  async function finish(trx: DbExecutor, env: MigrationEnvironment, direction: MigrationDirection, progress: Progress): Promise<void> {
    if (direction === 'disable') await versions.discardRemainingVersions(trx, env.id);
    await store.setStatus(trx, env.id, {
      status: direction === 'enable' ? VersioningStatus.V2 : VersioningStatus.V1,
      progressJson: JSON.stringify(progress),
      useV2: direction === 'enable',
    });
    await bumpDocumentRevision(trx, { environmentId: env.id });
    await audit.record(trx, null, {
      organisationId: env.organisationId,
      projectId: env.projectId,
      environmentId: env.id,
      log:
        direction === 'enable'
          ? `Feature versioning v2 enabled for environment: ${env.name}`
          : `Feature versioning v2 disabled for environment: ${env.name}; version history discarded`,
      relatedObjectType: AuditObjectType.ENVIRONMENT,
      relatedObjectId: env.id,
      isSystemEvent: true,
    });
  }

  async function runBatch(environmentId: number, direction: MigrationDirection, batchSize = deps.batchSize ?? 100): Promise<boolean> {
    return db.transaction(async (trx) => {
      const env = await store.lockEnvironment(trx, environmentId, true);
      const running = direction === 'enable' ? VersioningStatus.ENABLING : VersioningStatus.DISABLING;
      if (!env || env.status !== running) return true;
      const before = parseProgress(env.progressJson) ?? { direction, done: 0, total: 0, cursor: 0 };
      const now = nowIso();
      const ids = await store.featuresAfter(trx, env.projectId, before.cursor, batchSize);
      if (direction === 'enable') {
        for (const featureId of ids) await featureToV2(trx, env, featureId, now);
      } else {
        await versions.discardHistory(trx, env.id, ids, now);
        if (ids.length > 0) await bumpDocumentRevision(trx, { environmentId: env.id });
      }
      const cursor = ids.at(-1) ?? before.cursor;
      const remaining = await store.countFeaturesAfter(trx, env.projectId, cursor);
      const done = before.done + ids.length;
      const progress: Progress = { direction, done, total: done + remaining, cursor };
      if (remaining > 0) {
        await store.setStatus(trx, env.id, { status: running, progressJson: JSON.stringify(progress) });
        return false;
      }
      await finish(trx, env, direction, progress);
      return true;
    });
  }

  return {
    enable(p, apiKey) {
      return start(p, apiKey, 'enable', (env) => {
        if (env.useV2) throw precondition('Environment already using v2 versioning.', 'VERSIONING_ALREADY_ENABLED');
      });
    },

    async disable(p, apiKey, input) {
      await access.assertEnvironmentByApiKey(p, apiKey, ADMIN);
      if (input?.confirm_discard_history !== true) {
        throw validationFailed(
          'body/confirm_discard_history',
          'must be true: disabling feature versioning v2 keeps only the live state of each feature and discards the version history of this environment',
        );
      }
      return start(p, apiKey, 'disable', (env) => {
        if (!env.useV2) throw precondition('Environment is not using v2 versioning.', 'VERSIONING_NOT_ENABLED');
      });
    },

    async status(p, apiKey) {
      const scope = await access.assertEnvironmentByApiKey(p, apiKey);
      return toVersioningStatusWire(await environmentOf(db.kysely, scope.environmentId, false));
    },

    async isMigrating(environmentId) {
      const env = await store.lockEnvironment(db.kysely, environmentId, false);
      return env?.status === VersioningStatus.ENABLING || env?.status === VersioningStatus.DISABLING;
    },

    runBatch,

    async runJob(payload, job) {
      const { environmentId, direction } = payload as { environmentId: number; direction: MigrationDirection };
      // A migration that outlives the job's lease may be picked up by a second worker meanwhile; that is
      // safe: every batch locks the environment row and continues from the committed cursor.
      try {
        while (!(await runBatch(environmentId, direction))) {
          // Each batch committed its progress; the next one resumes after it.
        }
      } catch (error) {
        if (job.attempts >= job.maxAttempts) {
          // The queue gives up on this job: say so on the environment, so a client polling stops waiting.
          const message = error instanceof Error ? error.message : String(error);
          await db.transaction(async (trx) => {
            const env = await store.lockEnvironment(trx, environmentId, true);
            if (!env || (env.status !== VersioningStatus.ENABLING && env.status !== VersioningStatus.DISABLING)) return;
            let last: Progress | undefined;
            try {
              last = parseProgress(env.progressJson);
            } catch {
              // The stored progress itself may be what broke the job; the status must still say so.
            }
            const progress = { ...(last ?? { direction, done: 0, total: 0, cursor: 0 }), error: message.slice(0, 500) };
            await store.setStatus(trx, env.id, { status: VersioningStatus.FAILED, progressJson: JSON.stringify(progress) });
          });
        }
        throw error;
      }
    },
  };
}

/** Registers the migration jobs on the runner (composition root). */
export function registerMigrationJobs(jobs: JobRunner, migration: MigrationService): void {
  jobs.register(MigrationJobKind.ENABLE, (payload, job) => migration.runJob(payload, job));
  jobs.register(MigrationJobKind.DISABLE, (payload, job) => migration.runJob(payload, job));
}
