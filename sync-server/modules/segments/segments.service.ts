import type { Db, DbExecutor } from '../../platform/database/database.js';
import type { Clock } from '../../platform/clock/clock.js';
import { generateUuid } from '../../platform/security/secrets.js';
import { ProjectPermission } from '../../../src-shared/domain/permissions/permissions.js';
import { AppError, notFound, validationFailed } from '../../../src-shared/errors/app-error.js';
import { ErrorCode } from '../../../src-shared/errors/error-codes.js';
import { normaliseSegmentRules, type SegmentRule } from '../../../src-shared/domain/segments/segment-rules.rules.js';
import type { SegmentWire } from '../../../src-shared/contracts/http/segments.contract.js';
import type { Principal } from '../access/principal.js';
import type { AccessService } from '../access/access.service.js';
import { AuditObjectType, type AuditService } from '../audit/audit.service.js';
import type { EventsService } from '../webhooks/events.service.js';
import type { FeaturesService } from '../features/features.service.js';
import { bumpDocumentRevision } from '../sdk/document-revision.js';
import type { SegmentRecord, SegmentsStore } from './segments.store.js';
import type { FeatureSegmentsStore } from './feature-segments.store.js';
import { deleteOverride } from './override-removal.js';

export interface SegmentInput {
  name?: string | undefined;
  description?: string | null | undefined;
  project?: number | undefined;
  feature?: number | null | undefined;
  /** The rules tree as sent; checked by `normaliseSegmentRules`. */
  rules?: unknown;
}

/**
 * Segments of a project. VIEW_PROJECT reads them; MANAGE_SEGMENTS creates, changes and deletes them.
 * Every write bumps the document revision of each environment of the project (segments are part of
 * every environment document). Deleting a segment deletes its overrides in every environment, each
 * with a FLAG_DELETED event and an audit entry, as deleting the override itself would.
 */
export interface SegmentsService {
  list(p: Principal, projectId: number, filter: { q?: string | undefined; includeFeatureSpecific?: boolean | undefined }, page: { offset: number; limit: number }): Promise<{ total: number; items: SegmentWire[] }>;
  create(p: Principal, projectId: number, input: SegmentInput & { name: string }): Promise<SegmentWire>;
  get(p: Principal, projectId: number, id: number): Promise<SegmentWire>;
  /** PUT (`partial: false`: `name` and `rules` required) or PATCH. A given `rules` replaces the whole tree. */
  update(p: Principal, projectId: number, id: number, input: SegmentInput, partial: boolean): Promise<SegmentWire>;
  remove(p: Principal, projectId: number, id: number): Promise<void>;
}

export function toSegmentWire(s: SegmentRecord): SegmentWire {
  return { id: s.id, uuid: s.uuid, name: s.name, description: s.description, project: s.projectId, feature: s.featureId, rules: s.rules, created_at: s.createdAt, updated_at: s.updatedAt };
}

function trimmedName(name: string): string {
  const trimmed = name.trim();
  if (!trimmed) throw validationFailed('body/name', 'must not be blank');
  return trimmed;
}

function checkedRules(raw: unknown, previous: readonly SegmentRule[]): SegmentRule[] {
  const result = normaliseSegmentRules(raw, { previous, path: 'body/rules' });
  if (!result.ok) {
    const message = result.issues.map((i) => `${i.path}: ${i.message}`).join('; ');
    throw new AppError(ErrorCode.VALIDATION_FAILED, message, { details: { issues: result.issues } });
  }
  return result.rules;
}

export function createSegmentsService(deps: {
  db: Db;
  clock: Clock;
  store: SegmentsStore;
  featureSegments: FeatureSegmentsStore;
  /** Feature-specific segments and deleted overrides name their feature through it. */
  features: Pick<FeaturesService, 'findFeatureRef'>;
  access: AccessService;
  audit: AuditService;
  events: EventsService;
}): SegmentsService {
  const { db, clock, store, featureSegments, features, access, audit, events } = deps;
  const k = db.kysely;

  /** The segment, when it belongs to the project of the URL; another project's segment is NOT_FOUND. */
  async function load(ex: DbExecutor, projectId: number, id: number): Promise<SegmentRecord> {
    const s = await store.find(ex, id);
    if (!s || s.projectId !== projectId) throw notFound('Segment');
    return s;
  }

  async function checkFeature(ex: DbExecutor, projectId: number, feature: number | null | undefined): Promise<void> {
    if (feature === undefined || feature === null) return;
    const f = await features.findFeatureRef(ex, feature);
    if (!f || f.projectId !== projectId) throw validationFailed('body/feature', `feature ${feature} is not a feature of project ${projectId}`);
  }

  function checkProject(projectId: number, project: number | undefined): void {
    if (project !== undefined && project !== projectId) throw validationFailed('body/project', `must be the project of the URL (${projectId})`);
  }

  return {
    async list(p, projectId, filter, page) {
      await access.assertProject(p, projectId);
      const { total, items } = await store.list(k, projectId, { q: filter.q, includeFeatureSpecific: filter.includeFeatureSpecific ?? true }, page);
      return { total, items: items.map(toSegmentWire) };
    },

    async create(p, projectId, input) {
      const scope = await access.assertProject(p, projectId, ProjectPermission.MANAGE_SEGMENTS);
      checkProject(projectId, input.project);
      const name = trimmedName(input.name);
      const rules = checkedRules(input.rules, []);
      await checkFeature(k, projectId, input.feature);
      const now = clock.now().toISOString();
      const id = await db.transaction(async (trx) => {
        const segmentId = await store.insert(trx, { uuid: generateUuid(), projectId, featureId: input.feature ?? null, name, description: input.description ?? null, rules, createdAt: now, updatedAt: now });
        await bumpDocumentRevision(trx, { projectId });
        await audit.record(trx, p, { organisationId: scope.organisationId, projectId, log: `New Segment created: ${name}`, relatedObjectType: AuditObjectType.SEGMENT, relatedObjectId: segmentId });
        return segmentId;
      });
      return toSegmentWire(await load(k, projectId, id));
    },

    async get(p, projectId, id) {
      await access.assertProject(p, projectId);
      return toSegmentWire(await load(k, projectId, id));
    },

    async update(p, projectId, id, input, partial) {
      const scope = await access.assertProject(p, projectId, ProjectPermission.MANAGE_SEGMENTS);
      await load(k, projectId, id);
      checkProject(projectId, input.project);
      const name = input.name === undefined ? undefined : trimmedName(input.name);
      if (!partial && name === undefined) throw validationFailed('body/name', 'is required');
      if (!partial && input.rules === undefined) throw validationFailed('body/rules', 'is required');
      await checkFeature(k, projectId, input.feature);
      const updated = await db.transaction(async (trx) => {
        const before = await load(trx, projectId, id);
        // Checked against the stored tree inside the transaction, so kept ids are those of the tree replaced.
        const rules = input.rules === undefined ? undefined : checkedRules(input.rules, before.rules);
        // A feature-specific segment may only override its own feature: refuse to narrow a segment that
        // already overrides other features.
        if (input.feature !== undefined && input.feature !== null && input.feature !== before.featureId) {
          const others = (await featureSegments.listBySegment(trx, id)).filter((fs) => fs.featureId !== input.feature);
          if (others.length > 0) throw validationFailed('body/feature', `the segment overrides other features (feature ${others[0]!.featureId}); delete those overrides first`);
        }
        await store.update(trx, id, { name, description: input.description, featureId: input.feature, rules, updatedAt: clock.now().toISOString() });
        await bumpDocumentRevision(trx, { projectId });
        await audit.record(trx, p, { organisationId: scope.organisationId, projectId, log: `Segment updated: ${name ?? before.name}`, relatedObjectType: AuditObjectType.SEGMENT, relatedObjectId: id });
        return load(trx, projectId, id);
      });
      return toSegmentWire(updated);
    },

    async remove(p, projectId, id) {
      const scope = await access.assertProject(p, projectId, ProjectPermission.MANAGE_SEGMENTS);
      await db.transaction(async (trx) => {
        const before = await load(trx, projectId, id);
        await bumpDocumentRevision(trx, { projectId });
        // Each override goes the way deleting it alone would (FLAG_DELETED, audit, later overrides move up),
        // before the segment row takes the remaining rows with it.
        for (const fs of await featureSegments.listBySegment(trx, id)) {
          await deleteOverride(trx, { store: featureSegments, audit, events, features }, p, scope.organisationId, fs);
        }
        await audit.record(trx, p, { organisationId: scope.organisationId, projectId, log: `Segment deleted: ${before.name}`, relatedObjectType: AuditObjectType.SEGMENT, relatedObjectId: id });
        await store.delete(trx, id);
      });
    },
  };
}
