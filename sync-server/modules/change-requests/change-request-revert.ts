import { requiresChangeRequests } from '../../../src-shared/domain/change-requests/direct-change.rules.js';
import type { Db, DbExecutor } from '../../platform/database/database.js';
import { generateUuid } from '../../platform/security/secrets.js';
import { EnvironmentPermission } from '../../../src-shared/domain/permissions/permissions.js';
import { AppError } from '../../../src-shared/errors/app-error.js';
import { ErrorCode } from '../../../src-shared/errors/error-codes.js';
import { canonicalVersionContentJson, hashVersionContent, type VersionContent } from '../../../src-shared/domain/versioning/version-content.js';
import { VersionStatus } from '../../../src-shared/contracts/http/versions.contract.js';
import type { RevertResultWire } from '../../../src-shared/contracts/http/impact.contract.js';
import type { Principal } from '../access/principal.js';
import type { AccessService } from '../access/access.service.js';
import type { VersionsService } from '../versions/versions.service.js';
import type { ChangeRequestRecord, ChangeRequestsStore, CrEnvironmentRef } from './change-requests.store.js';

/** What previewing or reverting a change request works on: per feature, the content to make live. */
export interface ChangeRequestImpactSubject {
  environmentId: number;
  features: { featureId: number; content: VersionContent }[];
  /** Some change set was made from an older version: its content is the merge with what is live now. */
  mergedWithLive: boolean;
}

/** One feature of a revert: its current live version and the content it had before the change request. */
interface RevertStep {
  featureId: number;
  featureName: string;
  liveVersionUuid: string;
  content: VersionContent;
}

/** Why a feature cannot be reverted. */
interface RevertConflict {
  feature: number;
  feature_name: string;
  reason: string;
  live_version_uuid: string | null;
}

type Versions = Pick<VersionsService, 'versionContent' | 'liveVersionContent' | 'publishContent'>;

/**
 * Reverting a committed change request in one step (issue 14, our endpoint). Every feature the request
 * changed gets back the content of the version its commit replaced, as a new version (or, where the
 * environment requires approvals, as one new change request to approve). A feature whose live version
 * is no longer the one the request published (it changed again since, or is still scheduled) is a
 * conflict: nothing is reverted unless the caller asks to skip those features.
 */
export function createChangeRequestReverts(deps: {
  db: Db;
  store: ChangeRequestsStore;
  access: AccessService;
  versions: Versions;
  nowIso: () => string;
  load: (p: Principal, id: number, needed: EnvironmentPermission) => Promise<ChangeRequestRecord>;
  pendingContents: (ex: DbExecutor, cr: ChangeRequestRecord) => Promise<{ featureId: number; content: VersionContent; isMerged: boolean }[]>;
  record: (trx: DbExecutor, actor: Principal | null, cr: ChangeRequestRecord, env: CrEnvironmentRef, log: string) => Promise<void>;
}) {
  const { db, store, access, versions, nowIso, load, record } = deps;

  function precondition(message: string, reason: string): AppError {
    return new AppError(ErrorCode.PRECONDITION_FAILED, message, { details: { reason } });
  }

  /** The revert of `cr`, feature by feature: what to publish, and what conflicts. */
  async function planRevert(ex: DbExecutor, cr: ChangeRequestRecord): Promise<{ steps: RevertStep[]; conflicts: RevertConflict[] }> {
    if (cr.committedAt === null) throw precondition('Only a committed change request can be reverted', 'NOT_COMMITTED');
    const sets = (await store.changeSets(ex, cr.id)).filter((s) => s.versionUuid !== null);
    const names = await store.featureNames(ex, sets.map((s) => s.featureId));
    const steps: RevertStep[] = [];
    const conflicts: RevertConflict[] = [];
    for (const set of sets) {
      const featureName = names.get(set.featureId) ?? String(set.featureId);
      const published = await versions.versionContent(ex, set.versionUuid as string);
      const live = await versions.liveVersionContent(ex, cr.environmentId, set.featureId);
      const conflict = (reason: string) => conflicts.push({ feature: set.featureId, feature_name: featureName, reason, live_version_uuid: live?.uuid ?? null });
      if (!published || published.status === VersionStatus.SCHEDULED) conflict('its change from this request has not gone live yet');
      else if (published.status === VersionStatus.CONFLICT) conflict('its change from this request never went live (it conflicted at its scheduled time)');
      else if (!live || live.uuid !== published.uuid) conflict(`it changed again since: version ${live?.uuid ?? '(none)'} is live now`);
      else {
        const replaced = published.previousVersionUuid ? await versions.versionContent(ex, published.previousVersionUuid) : undefined;
        if (!replaced) conflict('there is no earlier version to go back to');
        else steps.push({ featureId: set.featureId, featureName, liveVersionUuid: live.uuid, content: replaced.content });
      }
    }
    return { steps, conflicts };
  }

  /** The new change request holding the revert, on an environment that requires approvals. */
  async function requestRevert(trx: DbExecutor, p: Principal, cr: ChangeRequestRecord, env: CrEnvironmentRef, steps: RevertStep[], description: string | null): Promise<number> {
    const now = nowIso();
    const title = `Revert: ${cr.title}`.slice(0, 500);
    const revertRequest: Omit<ChangeRequestRecord, 'id'> = {
      uuid: generateUuid(),
      environmentId: env.id,
      title,
      description: description ?? `Reverts change request #${cr.id} (${cr.title}).`,
      authorUserId: p.kind === 'user' ? p.userId : null,
      authorApiKeyId: p.kind === 'api_key' ? p.apiKeyId : null,
      committedAt: null,
      committedByUserId: null,
      createdAt: now,
      updatedAt: now,
    };
    const id = await store.insert(trx, revertRequest);
    await store.replaceChangeSets(
      trx,
      id,
      steps.map((s) => ({
        featureId: s.featureId,
        liveFrom: null,
        baseVersionUuid: s.liveVersionUuid,
        contentJson: canonicalVersionContentJson(s.content),
        contentHash: hashVersionContent(s.content),
        versionUuid: null,
        conflictJson: null,
        createdAt: now,
        updatedAt: now,
      })),
    );
    await record(trx, p, { ...revertRequest, id }, env, `Change request created: ${title}`);
    return id;
  }

  return {
    async impactSubject(p: Principal, id: number, options: { revert: boolean }): Promise<ChangeRequestImpactSubject> {
      const cr = await load(p, id, EnvironmentPermission.VIEW_ENVIRONMENT);
      if (options.revert) {
        const { steps, conflicts } = await planRevert(db.kysely, cr);
        if (steps.length === 0) throw new AppError(ErrorCode.REVISION_CONFLICT, 'No feature of this change request can be reverted', { details: { conflicts } });
        return { environmentId: cr.environmentId, features: steps.map((s) => ({ featureId: s.featureId, content: s.content })), mergedWithLive: false };
      }
      const pending = await deps.pendingContents(db.kysely, cr);
      if (pending.length === 0) throw precondition('This change request has nothing left to publish; preview its revert instead (revert: true)', 'NOTHING_PENDING');
      return { environmentId: cr.environmentId, features: pending.map(({ featureId, content }) => ({ featureId, content })), mergedWithLive: pending.some((s) => s.isMerged) };
    },

    async revert(p: Principal, id: number, input: { skip_conflicting?: boolean | undefined; description?: string | null | undefined }): Promise<RevertResultWire> {
      const cr = await load(p, id, EnvironmentPermission.VIEW_ENVIRONMENT);
      const env = await store.environment(db.kysely, cr.environmentId);
      if (!env) throw new AppError(ErrorCode.NOT_FOUND, 'Change request not found.');
      // Any approval count, 0 included, means change requests are on: no direct publish (issue 12 §2).
      const requiresApproval = requiresChangeRequests(env.minimumApprovals);
      // Checked before the transaction: the access service reads outside it (one connection on SQLite).
      await access.assertEnvironment(p, env.id, requiresApproval ? EnvironmentPermission.CREATE_CHANGE_REQUEST : EnvironmentPermission.UPDATE_FEATURE_STATE);
      return db.transaction(async (trx) => {
        const { steps, conflicts } = await planRevert(trx, cr);
        if (conflicts.length > 0 && !input.skip_conflicting) {
          throw new AppError(ErrorCode.REVISION_CONFLICT, `${conflicts.length} feature(s) of this change request changed since it was committed; nothing was reverted (send skip_conflicting: true to revert the others)`, {
            details: { reason: 'CHANGED_SINCE', conflicts },
          });
        }
        if (steps.length === 0) throw new AppError(ErrorCode.REVISION_CONFLICT, 'No feature of this change request can be reverted', { details: { reason: 'CHANGED_SINCE', conflicts } });
        const skipped = conflicts.map((c) => ({ feature: c.feature, feature_name: c.feature_name, reason: c.reason }));
        if (requiresApproval) {
          const changeRequest = await requestRevert(trx, p, cr, env, steps, input.description ?? null);
          return { reverted: [], skipped, change_request: changeRequest };
        }
        const reverted: RevertResultWire['reverted'] = [];
        for (const step of steps) {
          const version = await versions.publishContent(trx, p, {
            environmentId: env.id,
            featureId: step.featureId,
            content: step.content,
            baseVersionUuid: step.liveVersionUuid,
            liveFrom: null,
            description: input.description ?? `Revert of change request #${cr.id}: ${cr.title}`,
            changeRequestId: null,
          });
          reverted.push({ feature: step.featureId, feature_name: step.featureName, version_uuid: version.uuid });
        }
        await record(trx, p, cr, env, `Change request reverted: ${cr.title}`);
        return { reverted, skipped, change_request: null };
      });
    },
  };
}
