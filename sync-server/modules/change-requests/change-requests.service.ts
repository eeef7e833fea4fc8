import type { Db, DbExecutor } from '../../platform/database/database.js';
import { changeToWire } from '../versions/version-change-wire.js';
import type { Clock } from '../../platform/clock/clock.js';
import { generateUuid } from '../../platform/security/secrets.js';
import { EnvironmentPermission } from '../../../src-shared/domain/permissions/permissions.js';
import { AppError, notFound, permissionDenied, validationFailed } from '../../../src-shared/errors/app-error.js';
import { ErrorCode } from '../../../src-shared/errors/error-codes.js';
import { canonicalVersionContentJson, hashVersionContent, type VersionContent } from '../../../src-shared/domain/versioning/version-content.js';
import { describeChange, diffVersionContent } from '../../../src-shared/domain/versioning/version-diff.js';
import { mergeVersionContent, resolveMergeConflicts, type MergeSide } from '../../../src-shared/domain/versioning/three-way-merge.js';
import { changeRequestBindingHash, changeSetOf, missingChoices } from '../../../src-shared/domain/change-requests/change-request.rules.js';
import { ChangeRequestStatus, type ChangeRequestCreateInput, type ChangeRequestDiffWire, type ChangeRequestUpdateInput, type ChangeRequestWire, type ChangeSetInput, type ChangeSetWire, type RebaseInput } from '../../../src-shared/contracts/http/change-requests.contract.js';
import { VersionStatus, type VersionConflictWire } from '../../../src-shared/contracts/http/versions.contract.js';
import type { Principal } from '../access/principal.js';
import type { AccessService } from '../access/access.service.js';
import { AuditObjectType, type AuditService } from '../audit/audit.service.js';
import type { EmailService } from '../email/email.service.js';
import { bumpDocumentRevision } from '../sdk/document-revision.js';
import type { VersionContentRef, VersionsService } from '../versions/versions.service.js';
import { conflictToWire, parseContent } from '../versions/version-content-rows.js';
import { assigneeEmail, approvedEmail } from './change-request-emails.js';
import { createChangeRequestReverts, type ChangeRequestImpactSubject } from './change-request-revert.js';
import type { RevertResultWire } from '../../../src-shared/contracts/http/impact.contract.js';
import type { ChangeRequestRecord, ChangeRequestsStore, ChangeSetRecord, CrEnvironmentRef } from './change-requests.store.js';

type Page = { offset: number; limit: number };
type Versions = Pick<VersionsService, 'composeChange' | 'liveVersionContent' | 'versionContent' | 'publishContent' | 'onScheduledConflict'>;

/**
 * Change requests on v2 environments (issue 5; Flagsmith's workflows API). A request holds one change set
 * per feature: its content ("mine") and the live version it was made from (its base). Committing publishes
 * every pending change set through the versions service in ONE transaction (all or none), merged with
 * whatever went live since its base (D8); a future `live_from` makes scheduled versions.
 *
 * Approvals (beyond Flagsmith) bind to the content they saw: `changeRequestBindingHash` over each
 * feature's content to publish and the version it lands on. An edit, a new `live_from`, or another
 * version going live under the change (a base move) changes it, so older approvals are stale and do not
 * count toward the environment's `minimum_change_request_approvals` (null or 0: none needed).
 *
 * Permissions: VIEW_ENVIRONMENT reads; CREATE_CHANGE_REQUEST creates; the author or UPDATE_FEATURE_STATE
 * edits, deletes and rebases; APPROVE_CHANGE_REQUEST approves (a user, never the author);
 * UPDATE_FEATURE_STATE commits. Another organisation's requests are NOT_FOUND.
 *
 * When a scheduled version of a request hits a conflict at its `live_from`, the versions scheduler tells
 * this service (in its transaction): the change set records the three-way detail, the request shows
 * `needs_rebase`, an audit entry records it, and its author and assignees are emailed with the publisher.
 */
export interface ChangeRequestsService {
  create(p: Principal, apiKey: string, input: ChangeRequestCreateInput): Promise<ChangeRequestWire>;
  /** `environment` by id, or (Flagsmith's `list-change-requests`) by its client-side key. */
  list(p: Principal, filter: { environment: number | { apiKey: string }; committed?: boolean | undefined; search?: string | undefined; featureId?: number | undefined }, page: Page): Promise<{ total: number; items: ChangeRequestWire[] }>;
  get(p: Principal, id: number): Promise<ChangeRequestWire>;
  update(p: Principal, id: number, input: ChangeRequestUpdateInput): Promise<ChangeRequestWire>;
  remove(p: Principal, id: number): Promise<void>;
  approve(p: Principal, id: number): Promise<ChangeRequestWire>;
  commit(p: Principal, id: number): Promise<ChangeRequestWire>;
  rebase(p: Principal, id: number, input: RebaseInput | undefined): Promise<ChangeRequestWire>;
  diff(p: Principal, id: number): Promise<ChangeRequestDiffWire>;
  /**
   * What an impact preview of the request evaluates (issue 14): its pending change sets as they would be
   * published now, or with `revert`, the content each feature had before the committed request.
   */
  impactSubject(p: Principal, id: number, options: { revert: boolean }): Promise<ChangeRequestImpactSubject>;
  /** Reverts a committed request in one step (see `createChangeRequestReverts`). */
  revert(p: Principal, id: number, input: { skip_conflicting?: boolean | undefined; description?: string | null | undefined }): Promise<RevertResultWire>;
}

function precondition(message: string, details: Record<string, unknown>): AppError {
  return new AppError(ErrorCode.PRECONDITION_FAILED, message, { details });
}

/** Where one change set stands now. */
interface ChangeSetView {
  record: ChangeSetRecord;
  mine: VersionContent;
  base: VersionContentRef | undefined;
  live: VersionContentRef | undefined;
  /** The version the commit created, if any. */
  version: VersionContentRef | undefined;
  /** Pending: not committed yet, or reset by a rebase. */
  isPending: boolean;
  conflicts: VersionConflictWire[];
  /** What publishing now would make live (null on conflict). */
  toPublish: VersionContent | null;
}

interface RequestView {
  cr: ChangeRequestRecord;
  env: CrEnvironmentRef;
  sets: ChangeSetView[];
  bindingHash: string;
  status: ChangeRequestStatus;
}

/** The approval snapshot kept with each approval: per feature, what it would publish and on which version. */
type ApprovedContent = { feature: number; live_version_uuid: string | null; content: VersionContent }[];

export function createChangeRequestsService(deps: { db: Db; clock: Clock; store: ChangeRequestsStore; access: AccessService; audit: AuditService; email: Pick<EmailService, 'send'>; versions: Versions }): ChangeRequestsService {
  const { db, clock, store, access, audit, email, versions } = deps;
  const k = db.kysely;
  const nowIso = () => clock.now().toISOString();

  // ---- loading and views ------------------------------------------------------------------------

  async function load(p: Principal, id: number, needed: EnvironmentPermission): Promise<ChangeRequestRecord> {
    const cr = await store.find(k, id);
    if (!cr) throw notFound('Change request');
    await access.assertEnvironment(p, cr.environmentId, needed);
    return cr;
  }

  /** The author may change their own request while they can still create requests; others need UPDATE_FEATURE_STATE. */
  async function loadForEdit(p: Principal, id: number): Promise<ChangeRequestRecord> {
    const cr = await load(p, id, EnvironmentPermission.VIEW_ENVIRONMENT);
    const isAuthor = p.kind === 'user' ? cr.authorUserId === p.userId : cr.authorApiKeyId === p.apiKeyId;
    await access.assertEnvironment(p, cr.environmentId, isAuthor ? EnvironmentPermission.CREATE_CHANGE_REQUEST : EnvironmentPermission.UPDATE_FEATURE_STATE);
    return cr;
  }

  async function viewOf(ex: DbExecutor, cr: ChangeRequestRecord): Promise<RequestView> {
    const env = await store.environment(ex, cr.environmentId);
    if (!env) throw notFound('Change request');
    const sets: ChangeSetView[] = [];
    for (const record of await store.changeSets(ex, cr.id)) {
      const mine = parseContent(record.contentJson);
      const version = record.versionUuid ? await versions.versionContent(ex, record.versionUuid) : undefined;
      const live = await versions.liveVersionContent(ex, cr.environmentId, record.featureId);
      const base = record.baseVersionUuid ? await versions.versionContent(ex, record.baseVersionUuid) : undefined;
      if (version) {
        const conflicts = record.conflictJson ? (JSON.parse(record.conflictJson) as VersionConflictWire[]) : [];
        sets.push({ record, mine, base, live, version, isPending: false, conflicts, toPublish: version.content });
        continue;
      }
      let conflicts: VersionConflictWire[] = [];
      let toPublish: VersionContent | null = mine;
      if (live && base && live.uuid !== base.uuid) {
        const merged = mergeVersionContent(base.content, live.content, mine);
        if (merged.kind === 'conflict') {
          conflicts = merged.conflicts.map(conflictToWire);
          toPublish = null;
        } else toPublish = merged.merged;
      }
      sets.push({ record, mine, base, live, version: undefined, isPending: true, conflicts, toPublish });
    }
    const pending = sets.filter((s) => s.isPending);
    const bindingHash = changeRequestBindingHash(
      pending.map((s) => ({ featureId: s.record.featureId, landsOnVersionUuid: s.live?.uuid ?? null, contentHash: s.toPublish ? hashVersionContent(s.toPublish) : `conflict:${s.record.contentHash}`, liveFrom: s.record.liveFrom })),
    );
    let status: ChangeRequestStatus;
    if (sets.some((s) => s.conflicts.length > 0)) status = ChangeRequestStatus.NEEDS_REBASE;
    else if (cr.committedAt === null) status = ChangeRequestStatus.OPEN;
    else if (sets.some((s) => s.version?.status === VersionStatus.SCHEDULED)) status = ChangeRequestStatus.SCHEDULED;
    else status = ChangeRequestStatus.COMMITTED;
    return { cr, env, sets, bindingHash, status };
  }

  function requiredApprovals(env: CrEnvironmentRef): number {
    return env.minimumApprovals ?? 0;
  }

  async function toWire(ex: DbExecutor, view: RequestView): Promise<ChangeRequestWire> {
    const { cr, env, sets, bindingHash } = view;
    const approvals = await store.approvals(ex, cr.id);
    const assignees = await store.assignees(ex, cr.id);
    // After a commit nothing is pending; the approvals that allowed it stay as they were given.
    const isSettled = cr.committedAt !== null && view.status !== ChangeRequestStatus.NEEDS_REBASE;
    const isStale = (hash: string) => !isSettled && hash !== bindingHash;
    const current = approvals.filter((a) => !isStale(a.contentHash)).length;
    const assigned = new Set(assignees.map((a) => a.userId));
    const approvalsWire = [
      ...approvals.map((a) => ({ user: a.userId, approved_at: a.approvedAt, is_assignee: assigned.has(a.userId), content_hash: a.contentHash, is_stale: isStale(a.contentHash) })),
      ...assignees.filter((a) => !approvals.some((x) => x.userId === a.userId)).map((a) => ({ user: a.userId, approved_at: null, is_assignee: true, content_hash: null, is_stale: false })),
    ];
    const changeSets: ChangeSetWire[] = sets.map((s) => {
      const lists = changeSetOf(s.base?.content ?? s.mine, s.mine);
      return {
        id: s.record.id,
        feature: s.record.featureId,
        live_from: s.record.liveFrom,
        ...lists,
        base_version_uuid: s.record.baseVersionUuid,
        content_hash: s.record.contentHash,
        environment_feature_version: s.record.versionUuid,
        version_status: s.version?.status ?? null,
        conflicts: s.conflicts,
      };
    });
    return {
      id: cr.id,
      uuid: cr.uuid,
      title: cr.title,
      description: cr.description,
      user: cr.authorUserId,
      environment: cr.environmentId,
      project: env.projectId,
      created_at: cr.createdAt,
      updated_at: cr.updatedAt,
      committed_at: cr.committedAt,
      committed_by: cr.committedByUserId,
      deleted_at: null,
      is_committed: cr.committedAt !== null,
      is_approved: current >= requiredApprovals(env),
      status: view.status,
      required_approvals: env.minimumApprovals,
      current_approvals: current,
      content_hash: bindingHash,
      approvals: approvalsWire,
      feature_states: [],
      change_sets: changeSets,
      environment_feature_versions: sets.flatMap((s) => (s.record.versionUuid ? [s.record.versionUuid] : [])),
    };
  }

  async function wireOf(ex: DbExecutor, id: number): Promise<ChangeRequestWire> {
    const cr = await store.find(ex, id);
    if (!cr) throw notFound('Change request');
    return toWire(ex, await viewOf(ex, cr));
  }

  // ---- writing -------------------------------------------------------------------------------------

  /** Applies each change set to its feature's live version; errors name `body/change_sets/<i>/...`. */
  async function composeSets(trx: DbExecutor, environmentId: number, inputs: ChangeSetInput[]): Promise<Omit<ChangeSetRecord, 'id' | 'changeRequestId'>[]> {
    const seen = new Set<number>();
    const now = nowIso();
    const out: Omit<ChangeSetRecord, 'id' | 'changeRequestId'>[] = [];
    for (const [i, input] of inputs.entries()) {
      const path = `body/change_sets/${i}`;
      if (seen.has(input.feature)) throw validationFailed(`${path}/feature`, `feature ${input.feature} has more than one change set; put all its changes in one`);
      seen.add(input.feature);
      const { live, content } = await versions.composeChange(trx, environmentId, input.feature, input, path);
      out.push({
        featureId: input.feature,
        liveFrom: input.live_from ? new Date(input.live_from).toISOString() : null,
        baseVersionUuid: live?.uuid ?? null,
        contentJson: canonicalVersionContentJson(content),
        contentHash: hashVersionContent(content),
        versionUuid: null,
        conflictJson: null,
        createdAt: now,
        updatedAt: now,
      });
    }
    return out;
  }

  /** Checks assignees are members of the organisation; returns id → email. */
  async function checkAssignees(trx: DbExecutor, env: CrEnvironmentRef, approvals: { user: number }[]): Promise<Map<number, string>> {
    const ids = [...new Set(approvals.map((a) => a.user))];
    const members = await store.organisationMembers(trx, env.organisationId, ids);
    approvals.forEach((a, i) => {
      if (!members.has(a.user)) throw validationFailed(`body/approvals/${i}/user`, `user ${a.user} is not a member of this organisation`);
    });
    return members;
  }

  async function notifyAssignees(trx: DbExecutor, cr: ChangeRequestRecord, env: CrEnvironmentRef, recipients: string[], author: Principal): Promise<void> {
    const authorName = author.kind === 'user' ? author.email : author.name;
    for (const to of recipients) {
      await email.send(trx, { organisationId: env.organisationId, to: [to], ...assigneeEmail({ id: cr.id, title: cr.title, environmentName: env.name, authorName }) });
    }
  }

  async function record(trx: DbExecutor, actor: Principal | null, cr: ChangeRequestRecord, env: CrEnvironmentRef, log: string, isSystemEvent = false): Promise<void> {
    await audit.record(trx, actor, {
      organisationId: env.organisationId,
      projectId: env.projectId,
      environmentId: env.id,
      log,
      relatedObjectType: AuditObjectType.CHANGE_REQUEST,
      relatedObjectId: cr.id,
      isSystemEvent,
    });
  }

  function trimmedTitle(title: string): string {
    const t = title.trim();
    if (!t) throw validationFailed('body/title', 'must not be blank');
    return t;
  }

  // ---- the scheduler's conflict listener (runs in the scheduler's transaction) -----------------------

  versions.onScheduledConflict(async (trx, notice) => {
    const set = await store.changeSetByVersion(trx, notice.versionUuid);
    if (!set) return undefined;
    const cr = await store.find(trx, set.changeRequestId);
    const env = cr ? await store.environment(trx, cr.environmentId) : undefined;
    if (!cr || !env) return undefined;
    await store.updateChangeSet(trx, set.id, { conflictJson: JSON.stringify(notice.conflicts), updatedAt: notice.detectedAt });
    await record(trx, null, cr, env, `Change request needs rebase: ${cr.title} (feature ${notice.feature.name} was not published at ${notice.scheduledFor}: it conflicts with version ${notice.liveVersionUuid})`, true);
    const notify = (await store.assignees(trx, cr.id)).map((a) => a.email);
    const authorEmail = cr.authorUserId === null ? undefined : await store.userEmail(trx, cr.authorUserId);
    return { changeRequest: { id: cr.id, title: cr.title }, notify: [...(authorEmail ? [authorEmail] : []), ...notify] };
  });

  const reverts = createChangeRequestReverts({
    db,
    store,
    access,
    versions,
    nowIso,
    load,
    record,
    async pendingContents(ex, cr) {
      const view = await viewOf(ex, cr);
      return view.sets.filter((s) => s.isPending).map((s) => ({ featureId: s.record.featureId, content: s.toPublish ?? s.mine, isMerged: s.toPublish !== null && s.toPublish !== s.mine }));
    },
  });

  return {
    impactSubject: reverts.impactSubject,
    revert: reverts.revert,

    async create(p, apiKey, input) {
      const scope = await access.assertEnvironmentByApiKey(p, apiKey, EnvironmentPermission.CREATE_CHANGE_REQUEST);
      const title = trimmedTitle(input.title);
      const id = await db.transaction(async (trx) => {
        const env = await store.environment(trx, scope.environmentId);
        if (!env) throw notFound('Environment');
        const sets = await composeSets(trx, env.id, input.change_sets);
        const members = await checkAssignees(trx, env, input.approvals ?? []);
        const now = nowIso();
        const cr: Omit<ChangeRequestRecord, 'id'> = {
          uuid: generateUuid(),
          environmentId: env.id,
          title,
          description: input.description ?? null,
          authorUserId: p.kind === 'user' ? p.userId : null,
          authorApiKeyId: p.kind === 'api_key' ? p.apiKeyId : null,
          committedAt: null,
          committedByUserId: null,
          createdAt: now,
          updatedAt: now,
        };
        const crId = await store.insert(trx, cr);
        await store.replaceChangeSets(trx, crId, sets);
        await store.setAssignees(trx, crId, [...members.keys()], now);
        const saved = { ...cr, id: crId };
        await record(trx, p, saved, env, `Change request created: ${title}`);
        await notifyAssignees(trx, saved, env, [...members].filter(([uid]) => uid !== saved.authorUserId).map(([, e]) => e), p);
        return crId;
      });
      return wireOf(k, id);
    },

    async list(p, filter, page) {
      const environmentId =
        typeof filter.environment === 'number'
          ? (await access.assertEnvironment(p, filter.environment, EnvironmentPermission.VIEW_ENVIRONMENT)).environmentId
          : (await access.assertEnvironmentByApiKey(p, filter.environment.apiKey, EnvironmentPermission.VIEW_ENVIRONMENT)).environmentId;
      const { total, items } = await store.list(k, environmentId, filter, page);
      const out: ChangeRequestWire[] = [];
      for (const cr of items) out.push(await toWire(k, await viewOf(k, cr)));
      return { total, items: out };
    },

    async get(p, id) {
      const cr = await load(p, id, EnvironmentPermission.VIEW_ENVIRONMENT);
      return toWire(k, await viewOf(k, cr));
    },

    async update(p, id, input) {
      await loadForEdit(p, id);
      await db.transaction(async (trx) => {
        const cr = await store.lock(trx, id);
        if (!cr) throw notFound('Change request');
        if (cr.committedAt !== null) throw precondition(`Change request ${id} is committed and cannot be changed.`, { reason: 'CHANGE_REQUEST_COMMITTED' });
        const env = await store.environment(trx, cr.environmentId);
        if (!env) throw notFound('Change request');
        const now = nowIso();
        const title = input.title === undefined ? undefined : trimmedTitle(input.title);
        if (input.change_sets) await store.replaceChangeSets(trx, cr.id, await composeSets(trx, env.id, input.change_sets));
        if (input.approvals) {
          const before = new Set((await store.assignees(trx, cr.id)).map((a) => a.userId));
          const members = await checkAssignees(trx, env, input.approvals);
          await store.setAssignees(trx, cr.id, [...members.keys()], now);
          await notifyAssignees(trx, cr, env, [...members].filter(([uid]) => !before.has(uid) && uid !== cr.authorUserId).map(([, e]) => e), p);
        }
        await store.update(trx, cr.id, { ...(title !== undefined ? { title } : {}), ...(input.description !== undefined ? { description: input.description } : {}), updatedAt: now });
        await record(trx, p, { ...cr, title: title ?? cr.title }, env, `Change request updated: ${title ?? cr.title}`);
      });
      return wireOf(k, id);
    },

    async remove(p, id) {
      await loadForEdit(p, id);
      await db.transaction(async (trx) => {
        const cr = await store.lock(trx, id);
        if (!cr) throw notFound('Change request');
        if (cr.committedAt !== null) throw precondition(`Change request ${id} is committed: its versions are history and it cannot be deleted.`, { reason: 'CHANGE_REQUEST_COMMITTED' });
        const env = await store.environment(trx, cr.environmentId);
        if (!env) throw notFound('Change request');
        await record(trx, p, cr, env, `Change request deleted: ${cr.title}`);
        await store.delete(trx, cr.id);
      });
    },

    async approve(p, id) {
      const loaded = await load(p, id, EnvironmentPermission.APPROVE_CHANGE_REQUEST);
      if (p.kind !== 'user') throw permissionDenied('Only a user can approve a change request, not an API key.');
      if (loaded.authorUserId === p.userId) throw precondition('A user cannot approve their own change request.', { reason: 'OWN_CHANGE_REQUEST' });
      await db.transaction(async (trx) => {
        const cr = await store.lock(trx, id);
        if (!cr) throw notFound('Change request');
        const view = await viewOf(trx, cr);
        if (cr.committedAt !== null && view.status !== ChangeRequestStatus.NEEDS_REBASE) throw precondition(`Change request ${id} is committed.`, { reason: 'CHANGE_REQUEST_COMMITTED' });
        if (view.status === ChangeRequestStatus.NEEDS_REBASE) {
          throw precondition(`Change request ${id} conflicts with changes published since it was made: rebase it first (POST .../rebase/).`, { reason: 'CHANGE_REQUEST_NEEDS_REBASE' });
        }
        const snapshot: ApprovedContent = view.sets.filter((s) => s.isPending).map((s) => ({ feature: s.record.featureId, live_version_uuid: s.live?.uuid ?? null, content: s.toPublish as VersionContent }));
        const now = nowIso();
        await store.upsertApproval(trx, { changeRequestId: cr.id, userId: p.userId, approvedAt: now, contentHash: view.bindingHash, contentJson: JSON.stringify(snapshot) });
        await record(trx, p, cr, view.env, `Change request approved: ${cr.title}`);
        const authorEmail = cr.authorUserId === null ? undefined : await store.userEmail(trx, cr.authorUserId);
        if (authorEmail) await email.send(trx, { organisationId: view.env.organisationId, to: [authorEmail], ...approvedEmail({ id: cr.id, title: cr.title, approverName: p.email }) });
      });
      return wireOf(k, id);
    },

    async commit(p, id) {
      await load(p, id, EnvironmentPermission.UPDATE_FEATURE_STATE);
      await db.transaction(async (trx) => {
        const first = await store.lock(trx, id);
        if (!first) throw notFound('Change request');
        // The environment lock first (as every publish): what is live cannot move under the checks below.
        await bumpDocumentRevision(trx, { environmentId: first.environmentId });
        const cr = (await store.find(trx, id)) as ChangeRequestRecord;
        if (cr.committedAt !== null) throw precondition(`Change request ${id} is already committed.`, { reason: 'CHANGE_REQUEST_COMMITTED' });
        const view = await viewOf(trx, cr);
        const conflicting = view.sets.filter((s) => s.conflicts.length > 0);
        if (conflicting.length > 0) {
          throw precondition(`Change request ${id} conflicts with changes published since it was made: rebase it first (POST .../rebase/).`, {
            reason: 'CHANGE_REQUEST_NEEDS_REBASE',
            conflicts: conflicting.map((s) => ({ feature: s.record.featureId, conflicts: s.conflicts })),
          });
        }
        const wire = await toWire(trx, view);
        const required = requiredApprovals(view.env);
        if (wire.current_approvals < required) {
          throw precondition(`Change request ${id} needs ${required} current approval(s) and has ${wire.current_approvals}; approvals given before the last change are stale.`, {
            reason: 'CHANGE_REQUEST_NOT_APPROVED',
            required_approvals: required,
            current_approvals: wire.current_approvals,
          });
        }
        const now = nowIso();
        for (const s of view.sets.filter((x) => x.isPending)) {
          try {
            const v = await versions.publishContent(trx, p, {
              environmentId: cr.environmentId,
              featureId: s.record.featureId,
              content: s.mine,
              baseVersionUuid: s.record.baseVersionUuid,
              liveFrom: s.record.liveFrom,
              description: `Change request #${cr.id}: ${cr.title}`,
              changeRequestId: cr.id,
            });
            await store.updateChangeSet(trx, s.record.id, { versionUuid: v.uuid, conflictJson: null, updatedAt: now });
          } catch (e) {
            // The whole request rolls back: name the feature that failed.
            if (e instanceof AppError) throw new AppError(e.code, `Change request ${id} was not committed: feature ${s.record.featureId}: ${e.message}`, { details: { ...(e.details ?? {}), feature: s.record.featureId } });
            throw e;
          }
        }
        await store.update(trx, cr.id, { committedAt: now, committedByUserId: p.kind === 'user' ? p.userId : null, updatedAt: now });
        await record(trx, p, cr, view.env, `Change request committed: ${cr.title}`);
      });
      return wireOf(k, id);
    },

    async rebase(p, id, input) {
      await loadForEdit(p, id);
      await db.transaction(async (trx) => {
        const first = await store.lock(trx, id);
        if (!first) throw notFound('Change request');
        await bumpDocumentRevision(trx, { environmentId: first.environmentId });
        const view = await viewOf(trx, first);
        const now = nowIso();
        const liveFrom = input?.live_from === undefined ? undefined : input.live_from === null ? null : new Date(input.live_from).toISOString();
        const toRebase = view.sets.filter((s) => (s.isPending && s.live && s.base && s.live.uuid !== s.base.uuid) || (!s.isPending && s.version?.status === VersionStatus.CONFLICT));
        if (toRebase.length === 0) throw precondition(`Change request ${id} is already based on the live versions: nothing to rebase.`, { reason: 'NOTHING_TO_REBASE' });
        for (const s of toRebase) {
          // A scheduled version that hit a conflict: its own base and content are the three-way inputs.
          const baseContent = s.isPending ? (s.base as VersionContentRef).content : s.version?.baseVersionUuid ? (await versions.versionContent(trx, s.version.baseVersionUuid))?.content : undefined;
          const mine = s.isPending ? s.mine : (s.version as VersionContentRef).content;
          const live = s.live;
          if (!live) continue;
          const merged = mergeVersionContent(baseContent ?? live.content, live.content, mine);
          const choices: Record<string, MergeSide> = Object.fromEntries((input?.resolutions ?? []).filter((r) => r.feature === s.record.featureId).map((r) => [r.path, r.choice]));
          if (merged.kind === 'conflict') {
            const missing = missingChoices(merged.conflicts, choices);
            if (missing.length > 0) throw validationFailed('body/resolutions', `choose 'mine' or 'live' for feature ${s.record.featureId} at: ${missing.join(', ')}`);
          }
          const content = resolveMergeConflicts(merged, choices);
          await store.updateChangeSet(trx, s.record.id, {
            baseVersionUuid: live.uuid,
            contentJson: canonicalVersionContentJson(content),
            contentHash: hashVersionContent(content),
            versionUuid: null,
            conflictJson: null,
            ...(liveFrom !== undefined ? { liveFrom } : {}),
            updatedAt: now,
          });
        }
        // A request whose scheduled change failed opens again: it is approved and committed anew.
        if (first.committedAt !== null) await store.update(trx, first.id, { committedAt: null, committedByUserId: null, updatedAt: now });
        else await store.update(trx, first.id, { updatedAt: now });
        await record(trx, p, first, view.env, `Change request rebased: ${first.title}`);
      });
      return wireOf(k, id);
    },

    async diff(p, id) {
      const cr = await load(p, id, EnvironmentPermission.VIEW_ENVIRONMENT);
      const view = await viewOf(k, cr);
      const featureIds = view.sets.map((s) => s.record.featureId);
      const featureNames = await store.featureNames(k, featureIds);
      const contents = view.sets.flatMap((s) => [s.mine, ...(s.live ? [s.live.content] : [])]);
      const names = await store.names(k, [...new Set(contents.flatMap((c) => Object.keys(c.segmentOverrides).map(Number)))], featureIds);
      const describe = (from: VersionContent, to: VersionContent) => diffVersionContent(from, to).map((c) => changeToWire(c, describeChange(c, names)));
      const features = view.sets.map((s) => {
        // Pending: live → what publishing now gives. Committed: the version against what it went live on.
        const from = s.isPending ? (s.live?.content ?? s.base?.content) : s.version?.status === VersionStatus.PUBLISHED ? s.base?.content : s.live?.content;
        const to = s.toPublish ?? s.mine;
        return {
          feature: s.record.featureId,
          feature_name: featureNames.get(s.record.featureId) ?? '',
          live_version_uuid: s.live?.uuid ?? null,
          base_version_uuid: s.record.baseVersionUuid,
          is_mergeable: s.conflicts.length === 0,
          conflicts: s.conflicts,
          content_to_publish: s.toPublish,
          changes: from ? describe(from, to) : [],
        };
      });
      const wire = await toWire(k, view);
      const approvals = (await store.approvals(k, cr.id)).map((a) => {
        const approved = JSON.parse(a.contentJson) as ApprovedContent;
        return {
          user: a.userId,
          approved_at: a.approvedAt,
          is_stale: wire.approvals.find((x) => x.user === a.userId)?.is_stale ?? true,
          approved_content: approved,
          changes_since_approval: approved.map((item) => {
            const s = view.sets.find((x) => x.record.featureId === item.feature);
            return { feature: item.feature, changes: s ? describe(item.content, s.toPublish ?? s.mine) : [] };
          }),
        };
      });
      return { change_request: cr.id, content_hash: view.bindingHash, features, approvals };
    },
  };
}
