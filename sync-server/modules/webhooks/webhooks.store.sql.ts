import { sql, type ExpressionBuilder, type Selectable } from 'kysely';
import type { Db, DbExecutor } from '../../platform/database/database.js';
import type { Database, WebhookDeliveriesTable, WebhooksTable } from '../../platform/database/database.schema.js';
import type { VersionFeatureState } from '../../../src-shared/contracts/http/webhooks.contract.js';
import type { DeliveryAttemptRecord, DeliveryRecord, WebhookRecord, WebhookScope, WebhooksStore } from './webhooks.store.js';

/** Deliveries still on their way. Literal SQL: it must match the partial head index's predicate (migration 0003). */
function active(alias: 'd' | 'e' | 'x') {
  return sql<boolean>`${sql.ref(`${alias}.status`)} in ('pending', 'failed', 'delivering')`;
}

/** May be sent now: waiting and due, or in flight under a lease that expired (its worker died). */
function due(alias: string, now: string) {
  const c = (column: string) => sql.ref(`${alias}.${column}`);
  return sql<boolean>`((${c('status')} in ('pending', 'failed') and ${c('next_attempt_at')} <= ${now}) or (${c('status')} = 'delivering' and ${c('locked_until')} < ${now}))`;
}

function toWebhook(r: Selectable<WebhooksTable>): WebhookRecord {
  return {
    id: r.id,
    uuid: r.uuid,
    organisationId: r.organisation_id,
    environmentId: r.environment_id,
    url: r.url,
    enabled: Boolean(r.enabled),
    secret: r.secret,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

type DeliveryRow = Selectable<WebhookDeliveriesTable> & { event_uuid: string; event_type: string; data_json: string; event_created_at: string };

function toDelivery(r: DeliveryRow): DeliveryRecord {
  return {
    id: r.id,
    uuid: r.uuid,
    webhookId: r.webhook_id,
    eventUuid: r.event_uuid,
    eventType: r.event_type,
    eventData: JSON.parse(r.data_json) as unknown,
    eventCreatedAt: r.event_created_at,
    sequence: r.sequence,
    idempotencyKey: r.idempotency_key,
    status: r.status,
    attempts: r.attempts,
    maxAttempts: r.max_attempts,
    nextAttemptAt: r.next_attempt_at,
    lastStatusCode: r.last_status_code,
    lastError: r.last_error,
    createdAt: r.created_at,
    completedAt: r.completed_at,
  };
}

/** A flag value from its typed columns. */
function typedValue(type: string, s: string | null, i: number | null, b: boolean | number | null): string | number | boolean | null {
  if (type === 'int') return i === null ? null : Number(i);
  if (type === 'bool') return b === null ? null : Boolean(b);
  return s;
}

export function createSqlWebhooksStore(db: Db): WebhooksStore {
  const k = db.kysely;

  /** Rows of exactly this scope: an environment's webhooks, or an organisation's own (not its environments'). */
  function inScope(scope: WebhookScope) {
    return (eb: ExpressionBuilder<Database, 'webhooks'>) =>
      'environmentId' in scope ? eb('environment_id', '=', scope.environmentId) : eb.and([eb('organisation_id', '=', scope.organisationId), eb('environment_id', 'is', null)]);
  }

  function deliveriesQuery(ex: DbExecutor = k) {
    return ex
      .selectFrom('webhook_deliveries as d')
      .innerJoin('events as ev', 'ev.id', 'd.event_id')
      .selectAll('d')
      .select(['ev.uuid as event_uuid', 'ev.event_type', 'ev.data_json', 'ev.created_at as event_created_at']);
  }

  async function attemptsOf(ids: number[]): Promise<Map<number, DeliveryAttemptRecord[]>> {
    const out = new Map<number, DeliveryAttemptRecord[]>();
    if (ids.length === 0) return out;
    const rows = await k.selectFrom('webhook_delivery_attempts').selectAll().where('delivery_id', 'in', ids).orderBy('attempt_number', 'desc').execute();
    for (const r of rows) {
      const list = out.get(r.delivery_id) ?? [];
      list.push({
        attemptNumber: r.attempt_number,
        startedAt: r.started_at,
        statusCode: r.status_code,
        latencyMs: r.latency_ms,
        responseExcerpt: r.response_excerpt,
        error: r.error,
        outcome: r.outcome,
        nextRetryAt: r.next_retry_at,
      });
      out.set(r.delivery_id, list);
    }
    return out;
  }

  return {
    async listWebhooks(scope) {
      const rows = await k.selectFrom('webhooks').selectAll().where(inScope(scope)).orderBy('id').execute();
      return rows.map(toWebhook);
    },
    async findWebhook(id, scope) {
      const row = await k.selectFrom('webhooks').selectAll().where('id', '=', id).where(inScope(scope)).executeTakeFirst();
      return row ? toWebhook(row) : undefined;
    },
    async insertWebhook(trx, row) {
      const inserted = await trx
        .insertInto('webhooks')
        .values({
          uuid: row.uuid,
          organisation_id: row.organisationId,
          environment_id: row.environmentId,
          url: row.url,
          enabled: row.enabled,
          secret: row.secret,
          created_at: row.createdAt,
          updated_at: row.updatedAt,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      return toWebhook(inserted);
    },
    async updateWebhook(trx, id, patch) {
      await trx
        .updateTable('webhooks')
        .set({
          ...(patch.url !== undefined ? { url: patch.url } : {}),
          ...(patch.enabled !== undefined ? { enabled: patch.enabled } : {}),
          ...(patch.secret !== undefined ? { secret: patch.secret } : {}),
          ...(patch.updatedAt !== undefined ? { updated_at: patch.updatedAt } : {}),
        })
        .where('id', '=', id)
        .execute();
    },
    async deleteWebhook(trx, id) {
      await trx.deleteFrom('webhooks').where('id', '=', id).execute();
    },

    async environmentOwner(trx, environmentId) {
      const row = await trx
        .selectFrom('environments as e')
        .innerJoin('projects as p', 'p.id', 'e.project_id')
        .select(['p.organisation_id', 'p.id as project_id'])
        .where('e.id', '=', environmentId)
        .executeTakeFirst();
      return row ? { organisationId: row.organisation_id, projectId: row.project_id } : undefined;
    },
    async enabledWebhookIds(trx, scope) {
      const rows = await trx.selectFrom('webhooks').select('id').where('enabled', '=', true).where(inScope(scope)).orderBy('id').execute();
      return rows.map((r) => r.id);
    },
    async nextSequence(trx, scope) {
      const row =
        'environmentId' in scope
          ? await trx.updateTable('environments').set({ event_sequence: sql`event_sequence + 1` }).where('id', '=', scope.environmentId).returning('event_sequence').executeTakeFirst()
          : await trx.updateTable('organisations').set({ event_sequence: sql`event_sequence + 1` }).where('id', '=', scope.organisationId).returning('event_sequence').executeTakeFirst();
      return row && Number(row.event_sequence);
    },
    async insertEvent(trx, row) {
      const r = await trx
        .insertInto('events')
        .values({ uuid: row.uuid, event_type: row.eventType, organisation_id: row.organisationId, environment_id: row.environmentId, data_json: row.dataJson, created_at: row.createdAt })
        .returning('id')
        .executeTakeFirstOrThrow();
      return r.id;
    },
    async setDeliverySequence(trx, eventId, webhookIds, sequence) {
      if (webhookIds.length === 0) return;
      await trx.updateTable('webhook_deliveries').set({ sequence }).where('event_id', '=', eventId).where('webhook_id', 'in', [...webhookIds]).execute();
    },
    async insertDeliveries(trx, eventId, now, rows) {
      if (rows.length === 0) return;
      await trx
        .insertInto('webhook_deliveries')
        .values(
          rows.map((r) => ({
            uuid: r.uuid,
            webhook_id: r.webhookId,
            event_id: eventId,
            sequence: r.sequence,
            idempotency_key: r.idempotencyKey,
            status: 'pending' as const,
            attempts: 0,
            max_attempts: r.maxAttempts,
            next_attempt_at: now,
            locked_by: null,
            locked_until: null,
            last_status_code: null,
            last_error: null,
            created_at: now,
            updated_at: now,
            completed_at: null,
          })),
        )
        .execute();
    },
    async describeFeatureState(trx, featureStateId) {
      const r = await trx
        .selectFrom('feature_states as fs')
        .innerJoin('features as f', 'f.id', 'fs.feature_id')
        .innerJoin('projects as p', 'p.id', 'f.project_id')
        .innerJoin('environments as e', 'e.id', 'fs.environment_id')
        .leftJoin('identities as i', 'i.id', 'fs.identity_id')
        .leftJoin('feature_segments as fseg', 'fseg.id', 'fs.feature_segment_id')
        .leftJoin('segments as s', 's.id', 'fseg.segment_id')
        .select([
          'fs.enabled', 'fs.value_type', 'fs.string_value', 'fs.integer_value', 'fs.boolean_value', 'fs.identity_id',
          'f.id as feature_id', 'f.created_at as feature_created_at', 'f.default_enabled', 'f.description as feature_description', 'f.initial_value', 'f.name as feature_name', 'f.type as feature_type',
          'p.id as project_id', 'p.name as project_name', 'e.id as environment_id', 'e.name as environment_name',
          'i.identifier', 'fseg.priority', 's.id as segment_id', 's.name as segment_name', 's.description as segment_description',
        ])
        .where('fs.id', '=', featureStateId)
        .executeTakeFirst();
      if (!r) return undefined;
      return {
        feature: {
          id: r.feature_id,
          created_date: r.feature_created_at,
          default_enabled: Boolean(r.default_enabled),
          description: r.feature_description,
          initial_value: r.initial_value,
          name: r.feature_name,
          project: { id: r.project_id, name: r.project_name },
          type: r.feature_type,
        },
        environment: { id: r.environment_id, name: r.environment_name },
        identity: r.identity_id,
        identity_identifier: r.identity_id === null ? null : (r.identifier ?? null),
        feature_segment: r.segment_id === null || r.segment_id === undefined ? null : { segment: { id: r.segment_id, name: r.segment_name ?? '', description: r.segment_description ?? null }, priority: Number(r.priority ?? 0) },
        enabled: Boolean(r.enabled),
        feature_state_value: typedValue(r.value_type, r.string_value, r.integer_value, r.boolean_value),
      };
    },
    async describeVersionFeatureStates(trx, versionUuid) {
      const states = await trx
        .selectFrom('feature_states as fs')
        .leftJoin('feature_segments as fseg', 'fseg.id', 'fs.feature_segment_id')
        .leftJoin('segments as s', 's.id', 'fseg.segment_id')
        .select(['fs.id', 'fs.enabled', 'fs.value_type', 'fs.string_value', 'fs.integer_value', 'fs.boolean_value', 'fseg.priority', 's.id as segment_id', 's.name as segment_name'])
        .where('fs.environment_feature_version_uuid', '=', versionUuid)
        .where('fs.identity_id', 'is', null)
        .execute();
      const ids = states.map((s) => s.id);
      const mvs =
        ids.length === 0
          ? []
          : await trx
              .selectFrom('multivariate_feature_state_values as mv')
              .innerJoin('multivariate_options as o', 'o.id', 'mv.multivariate_option_id')
              .select(['mv.id', 'mv.feature_state_id', 'mv.percentage_allocation', 'o.id as option_id', 'o.type', 'o.string_value', 'o.integer_value', 'o.boolean_value'])
              .where('mv.feature_state_id', 'in', ids)
              .orderBy('mv.id')
              .execute();
      const out: (VersionFeatureState & { sortKey: number })[] = states.map((s) => ({
        enabled: Boolean(s.enabled),
        value: typedValue(s.value_type, s.string_value, s.integer_value, s.boolean_value),
        multivariate_feature_state_values: mvs
          .filter((m) => m.feature_state_id === s.id)
          .map((m) => ({ id: m.id, multivariate_feature_option: { id: m.option_id, value: typedValue(m.type, m.string_value, m.integer_value, m.boolean_value) }, percentage_allocation: Number(m.percentage_allocation) })),
        feature_segment: s.segment_id === null || s.segment_id === undefined ? null : { segment: { id: s.segment_id, name: s.segment_name ?? '' }, priority: Number(s.priority ?? 0) },
        // The environment default first, then overrides by priority (lower wins).
        sortKey: s.segment_id === null || s.segment_id === undefined ? -1 : Number(s.priority ?? 0),
      }));
      return out.sort((a, b) => a.sortKey - b.sortKey).map(({ sortKey: _sortKey, ...rest }) => rest);
    },
    async featureName(trx, featureId) {
      const r = await trx.selectFrom('features').select('name').where('id', '=', featureId).executeTakeFirst();
      return r?.name;
    },

    async dueWebhooks({ now, limit, excludeWebhookIds }) {
      if (limit <= 0) return [];
      // Driven from the (few) webhooks: each head is found by one probe of the partial head index.
      const heads = k
        .selectFrom('webhooks as w')
        .select((eb) => eb.selectFrom('webhook_deliveries as e').select('e.id').whereRef('e.webhook_id', '=', 'w.id').where(active('e')).orderBy('e.sequence').limit(1).as('head_id'))
        .where('w.enabled', '=', true)
        .$if(excludeWebhookIds.length > 0, (q) => q.where('w.id', 'not in', excludeWebhookIds));
      const rows = await k
        .selectFrom('webhook_deliveries as d')
        .select('d.webhook_id')
        .where('d.id', 'in', heads)
        .where(due('d', now))
        .orderBy('d.next_attempt_at')
        .orderBy('d.id')
        .limit(limit)
        .execute();
      return rows.map((r) => r.webhook_id);
    },
    async claimBatch(workerId, webhookId, { now, leaseUntil, limit }) {
      // The first active delivery that is not due (retry pending, or in flight under a live lease) ends
      // the prefix that may be sent now.
      const blocker = k
        .selectFrom('webhook_deliveries as x')
        .select((eb) => eb.fn.min('x.sequence').as('s'))
        .where('x.webhook_id', '=', webhookId)
        .where(active('x'))
        .where((eb) => eb.not(due('x', now)));
      const prefix = k
        .selectFrom('webhook_deliveries as e')
        .select('e.id')
        .where('e.webhook_id', '=', webhookId)
        .where(active('e'))
        .where(due('e', now))
        .where((eb) => eb('e.sequence', '<', eb.fn.coalesce(blocker, sql<number>`2147483647`)))
        .where((eb) => eb.exists(eb.selectFrom('webhooks as w').select('w.id').where('w.id', '=', webhookId).where('w.enabled', '=', true)))
        .orderBy('e.sequence')
        .limit(limit);
      // The due condition is repeated on the updated row itself: on PostgreSQL a worker that waited for
      // another's claim re-checks it against the row as that claim left it, and so takes nothing twice.
      const claimed = await k
        .updateTable('webhook_deliveries')
        .set({ status: 'delivering', locked_by: workerId, locked_until: leaseUntil, attempts: sql`attempts + 1`, updated_at: now })
        .where('id', 'in', prefix)
        .where(due('webhook_deliveries', now))
        .returning('id')
        .execute();
      if (claimed.length === 0) return [];
      const rows = await deliveriesQuery()
        .innerJoin('webhooks as w', 'w.id', 'd.webhook_id')
        .select(['w.url', 'w.secret'])
        .where('d.id', 'in', claimed.map((c) => c.id))
        .orderBy('d.sequence')
        .execute();
      return rows.map((r) => ({ ...toDelivery(r), url: r.url, secret: r.secret, lockedBy: r.locked_by }));
    },
    async countUndeliveredDeliveries() {
      const r = await k.selectFrom('webhook_deliveries').select((eb) => eb.fn.countAll<number>().as('n')).where('status', 'in', ['pending', 'delivering', 'failed']).executeTakeFirst();
      return Number(r?.n ?? 0);
    },

    async releaseClaims(workerId, ids, now) {
      if (ids.length === 0) return;
      await k
        .updateTable('webhook_deliveries')
        .set({ status: 'pending', attempts: sql`attempts - 1`, locked_by: null, locked_until: null, updated_at: now })
        .where('id', 'in', ids)
        .where('locked_by', '=', workerId)
        .where('status', '=', 'delivering')
        .execute();
    },
    async finishAttempt(a, renew) {
      return db.transaction(async (trx) => {
        const base = { locked_by: null, locked_until: null, last_status_code: a.statusCode, last_error: a.error, updated_at: a.finishedAt };
        const set =
          a.outcome === 'succeeded'
            ? { ...base, status: 'succeeded' as const, completed_at: a.finishedAt, last_error: null }
            : a.outcome === 'dead'
              ? { ...base, status: 'dead' as const, completed_at: a.finishedAt }
              : { ...base, status: 'failed' as const, next_attempt_at: a.nextRetryAt ?? a.finishedAt };
        // Only the holder of the lease moves the delivery on: a worker whose lease expired (and whose
        // delivery another worker took over) still records its attempt, as abandoned.
        const updated = await trx.updateTable('webhook_deliveries').set(set).where('id', '=', a.deliveryId).where('locked_by', '=', a.workerId).where('status', '=', 'delivering').executeTakeFirst();
        const held = Number(updated.numUpdatedRows) > 0;
        // attempt_number continues across redeliveries: one more than the delivery's last attempt.
        const previous = await trx.selectFrom('webhook_delivery_attempts').select((eb) => eb.fn.max('attempt_number').as('n')).where('delivery_id', '=', a.deliveryId).executeTakeFirst();
        await trx
          .insertInto('webhook_delivery_attempts')
          .values({
            delivery_id: a.deliveryId,
            attempt_number: Number(previous?.n ?? 0) + 1,
            worker_id: a.workerId,
            started_at: a.startedAt,
            status_code: a.statusCode,
            latency_ms: a.latencyMs,
            response_excerpt: a.responseExcerpt,
            error: a.error,
            outcome: held ? a.outcome : 'abandoned',
            next_retry_at: held ? a.nextRetryAt : null,
          })
          .execute();
        if (held && renew && renew.ids.length > 0) {
          await trx.updateTable('webhook_deliveries').set({ locked_until: renew.until }).where('id', 'in', renew.ids).where('locked_by', '=', a.workerId).where('status', '=', 'delivering').execute();
        }
        return held;
      });
    },

    async listDeliveries(webhookId, { offset, limit, status }) {
      const total = await k
        .selectFrom('webhook_deliveries')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('webhook_id', '=', webhookId)
        .$if(status !== undefined, (q) => q.where('status', '=', status!))
        .executeTakeFirstOrThrow();
      const rows = await deliveriesQuery()
        .where('d.webhook_id', '=', webhookId)
        .$if(status !== undefined, (q) => q.where('d.status', '=', status!))
        .orderBy('d.sequence', 'desc')
        .limit(limit)
        .offset(offset)
        .execute();
      const attempts = await attemptsOf(rows.map((r) => r.id));
      return { total: Number(total.n), items: rows.map((r) => ({ ...toDelivery(r), attemptLog: attempts.get(r.id) ?? [] })) };
    },
    async findDelivery(webhookId, deliveryId) {
      const r = await deliveriesQuery().where('d.webhook_id', '=', webhookId).where('d.id', '=', deliveryId).executeTakeFirst();
      if (!r) return undefined;
      const attempts = await attemptsOf([r.id]);
      return { ...toDelivery(r), attemptLog: attempts.get(r.id) ?? [] };
    },
    async requeueDelivery(deliveryId, now) {
      const r = await k
        .updateTable('webhook_deliveries')
        .set({ status: 'pending', attempts: 0, next_attempt_at: now, completed_at: null, locked_by: null, locked_until: null, updated_at: now })
        .where('id', '=', deliveryId)
        .where('status', 'in', ['dead', 'failed'])
        .executeTakeFirst();
      return Number(r.numUpdatedRows) > 0;
    },
  };
}
