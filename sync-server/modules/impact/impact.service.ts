import type { Db } from '../../platform/database/database.js';
import { EnvironmentPermission } from '../../../src-shared/domain/permissions/permissions.js';
import { AppError, notFound } from '../../../src-shared/errors/app-error.js';
import { ErrorCode } from '../../../src-shared/errors/error-codes.js';
import { featureStateValueOf } from '../../../src-shared/domain/flags/feature-state-value.rules.js';
import { mergeVersionContent } from '../../../src-shared/domain/versioning/three-way-merge.js';
import { buildImpactModel, type ImpactFeatureInput } from '../../../src-shared/domain/impact/impact.rules.js';
import type { FlagValueWire } from '../../../src-shared/contracts/sdk/environment-document.schema.js';
import { VersionStatus } from '../../../src-shared/contracts/http/versions.contract.js';
import type { ImpactPreviewWire } from '../../../src-shared/contracts/http/impact.contract.js';
import type { VersionContent } from '../../../src-shared/domain/versioning/version-content.js';
import type { Principal } from '../access/principal.js';
import type { AccessService } from '../access/access.service.js';
import type { FeaturesService } from '../features/features.service.js';
import type { SdkService } from '../sdk/sdk.service.js';
import type { VersionsService } from '../versions/versions.service.js';
import type { ChangeRequestsService } from '../change-requests/change-requests.service.js';
import type { ImpactJobs, ImpactSubject } from './impact-jobs.js';

/** How long a preview request waits for the result before answering with the running preview. */
export const DEFAULT_IMPACT_WAIT_MS = 10_000;

/** A preview as answered: finished (200) or still running (202, poll it). */
export interface ImpactAnswer {
  isFinished: boolean;
  preview: ImpactPreviewWire;
}

/**
 * Impact previews (issue 14): which of the environment's stored identities a change would affect, with
 * the SDKs' engine (src-shared/domain/impact). The change is a draft or scheduled version (merged with
 * the live version when it was made from an older one, as publishing would), a published version (what
 * restoring it would do), a change request's pending change sets, or the revert of a committed one.
 *
 * Permissions: VIEW_ENVIRONMENT on the environment, for starting, reading and cancelling a preview.
 * Another organisation's objects are NOT_FOUND; a v1 environment is PRECONDITION_FAILED.
 */
export interface ImpactService {
  previewVersion(p: Principal, environmentId: number, featureId: number, uuid: string, waitMs: number | undefined): Promise<ImpactAnswer>;
  previewChangeRequest(p: Principal, id: number, options: { revert: boolean; waitMs: number | undefined }): Promise<ImpactAnswer>;
  get(p: Principal, id: string): Promise<ImpactPreviewWire>;
  cancel(p: Principal, id: string): Promise<void>;
}

export function createImpactService(deps: {
  db: Db;
  access: AccessService;
  jobs: ImpactJobs;
  sdk: Pick<SdkService, 'documentForAdmin'>;
  features: Pick<FeaturesService, 'listOptions'>;
  versions: Pick<VersionsService, 'versionContent' | 'liveVersionContent'>;
  changeRequests: Pick<ChangeRequestsService, 'impactSubject'>;
}): ImpactService {
  const { db, access, jobs, sdk, features, versions, changeRequests } = deps;
  const k = db.kysely;

  async function optionValuesOf(p: Principal, projectId: number, featureId: number): Promise<Record<string, FlagValueWire>> {
    const { items } = await features.listOptions(p, projectId, featureId, { offset: 0, limit: 1000 });
    return Object.fromEntries(items.map((o) => [String(o.id), featureStateValueOf(o)]));
  }

  async function start(p: Principal, subject: ImpactSubject, projectId: number, changes: { featureId: number; content: VersionContent }[], mergedWithLive: boolean, waitMs: number | undefined): Promise<ImpactAnswer> {
    const document = await sdk.documentForAdmin(subject.environment_id);
    const inputs: ImpactFeatureInput[] = [];
    for (const c of changes) inputs.push({ featureId: c.featureId, content: c.content, optionValues: await optionValuesOf(p, projectId, c.featureId) });
    const { id } = jobs.start({ subject, model: buildImpactModel(document, inputs), mergedWithLive });
    await jobs.wait(id, waitMs ?? DEFAULT_IMPACT_WAIT_MS);
    const preview = jobs.get(id)?.wire;
    if (!preview) throw notFound('Impact preview');
    return { isFinished: preview.finished_at !== null, preview };
  }

  async function loadJob(p: Principal, id: string) {
    const job = jobs.get(id);
    if (!job) throw notFound('Impact preview');
    try {
      await access.assertEnvironment(p, job.environmentId, EnvironmentPermission.VIEW_ENVIRONMENT);
    } catch (error) {
      // A preview of an environment the caller cannot see does not exist for them.
      if (error instanceof AppError) throw notFound('Impact preview');
      throw error;
    }
    return job;
  }

  return {
    async previewVersion(p, environmentId, featureId, uuid, waitMs) {
      const scope = await access.assertEnvironment(p, environmentId, EnvironmentPermission.VIEW_ENVIRONMENT);
      const version = await versions.versionContent(k, uuid);
      if (!version || version.environmentId !== environmentId || version.featureId !== featureId) throw notFound('Version');
      const live = await versions.liveVersionContent(k, environmentId, featureId);
      let content = version.content;
      let mergedWithLive = false;
      // A draft or scheduled version goes live merged with what went live since its base (D8).
      if (version.status !== VersionStatus.PUBLISHED && version.baseVersionUuid && live && live.uuid !== version.baseVersionUuid) {
        const base = await versions.versionContent(k, version.baseVersionUuid);
        const merged = base ? mergeVersionContent(base.content, live.content, version.content) : undefined;
        if (merged?.kind === 'conflict') {
          throw new AppError(ErrorCode.PRECONDITION_FAILED, 'This version conflicts with the version that went live after it was made; resolve the conflict first (its merge cannot be previewed)', {
            details: { reason: 'VERSION_CONFLICT', live_version_uuid: live.uuid },
          });
        }
        if (merged) {
          content = merged.merged;
          mergedWithLive = true;
        }
      }
      const subject: ImpactSubject = { kind: 'version', environment_id: environmentId, feature_id: featureId, version_uuid: uuid, change_request_id: null };
      return start(p, subject, scope.projectId, [{ featureId, content }], mergedWithLive, waitMs);
    },

    async previewChangeRequest(p, id, options) {
      const s = await changeRequests.impactSubject(p, id, { revert: options.revert });
      const scope = await access.assertEnvironment(p, s.environmentId, EnvironmentPermission.VIEW_ENVIRONMENT);
      const subject: ImpactSubject = { kind: options.revert ? 'change_request_revert' : 'change_request', environment_id: s.environmentId, feature_id: null, version_uuid: null, change_request_id: id };
      return start(p, subject, scope.projectId, s.features, s.mergedWithLive, options.waitMs);
    },

    async get(p, id) {
      return (await loadJob(p, id)).wire;
    },

    async cancel(p, id) {
      await loadJob(p, id);
      jobs.cancel(id);
    },
  };
}
