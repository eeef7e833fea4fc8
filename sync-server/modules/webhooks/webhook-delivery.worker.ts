import { performance } from 'node:perf_hooks';
import type { FastifyBaseLogger } from 'fastify';
import type { Clock } from '../../platform/clock/clock.js';
import type { BackgroundWorker } from '../../platform/jobs/job-runner.js';
import { backoffMs } from '../../platform/jobs/job-queue.js';
import { canonicalJson } from '../../platform/security/canonical-json.js';
import { generateUuid } from '../../platform/security/secrets.js';
import { signPayload } from './webhook-signature.js';
import type { OutgoingDelivery, WebhooksStore } from './webhooks.store.js';
import type { ServerMetrics } from '../../platform/metrics/server-metrics.js';

/** Delivery tuning. Tests shorten the timeout and backoff; the defaults suit a server. */
export interface WebhookDeliveryOptions {
  /** Longest wait for one POST (connect, answer and the first KiB of body). Default 10 s, as Flagsmith. */
  timeoutMs?: number;
  /** Attempts before a delivery is dead. Default 10. */
  maxAttempts?: number;
  /** First retry delay; doubles per attempt, with jitter (×0.5–1.5). Default 10 s. */
  backoffBaseMs?: number;
  /** Longest retry delay. Default 1 h. */
  backoffCapMs?: number;
  /** How long a claimed delivery is held before another worker may take it over. Default timeout + 60 s. */
  leaseMs?: number;
  /** Webhooks delivered to at once (one request in flight per webhook). Default 32. */
  maxConcurrentWebhooks?: number;
  random?: () => number;
}

export type ResolvedDeliveryOptions = Required<WebhookDeliveryOptions>;

export function resolveDeliveryOptions(o: WebhookDeliveryOptions = {}): ResolvedDeliveryOptions {
  const timeoutMs = o.timeoutMs ?? 10_000;
  return {
    timeoutMs,
    maxAttempts: o.maxAttempts ?? 10,
    backoffBaseMs: o.backoffBaseMs ?? 10_000,
    backoffCapMs: o.backoffCapMs ?? 60 * 60 * 1000,
    leaseMs: o.leaseMs ?? timeoutMs + 60_000,
    maxConcurrentWebhooks: o.maxConcurrentWebhooks ?? 32,
    random: o.random ?? Math.random,
  };
}

const EXCERPT_BYTES = 1024;
/** Deliveries a lane claims at once; each finished attempt renews the lease of the rest. */
const BATCH_SIZE = 20;

/** The exact bytes POSTed for a delivery: the same on every attempt, so the signature and key are stable. */
export function webhookBody(d: Pick<OutgoingDelivery, 'eventType' | 'eventData' | 'sequence' | 'idempotencyKey' | 'eventUuid' | 'eventCreatedAt'>): string {
  return canonicalJson({
    event_type: d.eventType,
    data: d.eventData,
    sequence: d.sequence,
    idempotency_key: d.idempotencyKey,
    event_id: d.eventUuid,
    created_at: d.eventCreatedAt,
  });
}

export interface PostResult {
  statusCode: number | null;
  excerpt: string | null;
  error: string | null;
}

let undici: Promise<typeof import('undici')> | undefined;

/** One POST with a bounded wait and a bounded read of the answer; never throws. */
export async function postWebhook(url: string, body: string, headers: Record<string, string>, timeoutMs: number): Promise<PostResult> {
  try {
    // undici is loaded with the first delivery: a server without webhooks never needs it.
    const { request } = await (undici ??= import('undici'));
    const res = await request(url, { method: 'POST', body, headers, signal: AbortSignal.timeout(timeoutMs) });
    // Read at most 1 KiB and drop the rest: a receiver answering with a huge body must not cost memory.
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of res.body) {
      const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
      chunks.push(buf);
      size += buf.length;
      if (size >= EXCERPT_BYTES) break;
    }
    const excerpt = Buffer.concat(chunks).subarray(0, EXCERPT_BYTES).toString('utf8');
    const ok = res.statusCode >= 200 && res.statusCode < 300;
    return { statusCode: res.statusCode, excerpt: excerpt || null, error: ok ? null : `HTTP ${res.statusCode}` };
  } catch (error) {
    const e = error as { name?: string; code?: string; message?: string; cause?: { code?: string; message?: string } };
    if (e.name === 'TimeoutError' || e.name === 'AbortError') return { statusCode: null, excerpt: null, error: `timed out after ${timeoutMs} ms` };
    const code = e.code ?? e.cause?.code;
    return { statusCode: null, excerpt: null, error: [code, e.message ?? e.cause?.message].filter(Boolean).join(': ').slice(0, 500) || 'request failed' };
  }
}

/**
 * Drains the webhook outbox after commit (D3): at least once, in sequence order per webhook, with
 * exponential backoff and jitter, then dead. Each webhook gets its own lane with one request in flight,
 * so a slow, hanging or down receiver holds back only its own later events, never other webhooks or
 * the job queue. Claims are leased: deliveries of a worker that died are taken over when the lease
 * expires and sent again with the same idempotency key and body.
 */
export class WebhookDeliveryWorker implements BackgroundWorker {
  readonly workerId = `webhooks-${generateUuid()}`;
  readonly #lanes = new Map<number, Promise<void>>();
  #claiming: Promise<void> | undefined;
  #claimAgain = false;
  #stopping = false;

  constructor(
    private readonly store: WebhooksStore,
    private readonly clock: Clock,
    private readonly options: ResolvedDeliveryOptions,
    private readonly logger?: Pick<FastifyBaseLogger, 'error' | 'warn' | 'info'>,
    private readonly metrics?: Pick<ServerMetrics, 'countDeliveryFailure'>,
  ) {}

  async tick({ wait }: { wait: boolean }): Promise<void> {
    try {
      await this.#claimAndLaunch();
      if (!wait) return;
      while (this.#lanes.size > 0) {
        await Promise.all([...this.#lanes.values()]);
        await this.#claimAndLaunch();
      }
    } catch (error) {
      this.logger?.error({ err: error }, 'webhook delivery tick failed');
    }
  }

  async drain(): Promise<void> {
    this.#stopping = true;
    await this.#claiming;
    await Promise.all([...this.#lanes.values()]);
  }

  #claimAndLaunch(): Promise<void> {
    if (this.#stopping) return Promise.resolve();
    if (this.#claiming) {
      this.#claimAgain = true;
      return this.#claiming;
    }
    this.#claiming = (async () => {
      do {
        this.#claimAgain = false;
        const free = this.options.maxConcurrentWebhooks - this.#lanes.size;
        if (free <= 0) break;
        const due = await this.store.dueWebhooks({ now: this.clock.now().toISOString(), limit: free, excludeWebhookIds: [...this.#lanes.keys()] });
        for (const webhookId of due) if (!this.#lanes.has(webhookId)) this.#startLane(webhookId);
      } while (this.#claimAgain && !this.#stopping);
    })().finally(() => {
      this.#claiming = undefined;
    });
    return this.#claiming;
  }

  #leaseUntil(): string {
    return new Date(this.clock.now().getTime() + this.options.leaseMs).toISOString();
  }

  /**
   * Delivers a webhook's events one after another: claims the due prefix of its queue (up to
   * BATCH_SIZE), sends them in sequence order, and claims again. A failure ends the lane and gives the
   * rest of the batch back unsent; they wait until the failed one's retry succeeds.
   */
  #startLane(webhookId: number): void {
    const lane = (async () => {
      while (!this.#stopping) {
        const batch = await this.store.claimBatch(this.workerId, webhookId, { now: this.clock.now().toISOString(), leaseUntil: this.#leaseUntil(), limit: BATCH_SIZE });
        if (batch.length === 0) return;
        for (let i = 0; i < batch.length; i++) {
          const rest = batch.slice(i + 1).map((d) => d.id);
          const delivered = await this.#deliver(batch[i]!, rest);
          if (!delivered || this.#stopping) {
            await this.store.releaseClaims(this.workerId, rest, this.clock.now().toISOString());
            return;
          }
        }
      }
    })()
      .catch((error: unknown) => this.logger?.error({ err: error, webhookId }, 'webhook lane failed; its claims are retried when their lease expires'))
      .finally(() => this.#lanes.delete(webhookId));
    this.#lanes.set(webhookId, lane);
  }

  /**
   * Sends one claimed delivery and records the attempt; `rest` are the batch's later claims, whose lease
   * is renewed. True when the lane may go on.
   */
  async #deliver(d: OutgoingDelivery, rest: number[]): Promise<boolean> {
    const body = webhookBody(d);
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': 'Flagdesk-Webhooks/1',
      'x-flagdesk-idempotency-key': d.idempotencyKey,
      'x-flagdesk-sequence': String(d.sequence),
      'x-flagdesk-event-type': d.eventType,
      'x-flagdesk-attempt': String(d.attempts),
    };
    if (d.secret) headers['x-flagsmith-signature'] = signPayload(body, d.secret);

    const startedAt = this.clock.now().toISOString();
    const t0 = performance.now();
    const result = await postWebhook(d.url, body, headers, this.options.timeoutMs);
    const latencyMs = Math.round(performance.now() - t0);
    const finished = this.clock.now();
    const succeeded = result.error === null;
    const dead = !succeeded && d.attempts >= d.maxAttempts;
    const nextRetryAt = succeeded || dead ? null : new Date(finished.getTime() + backoffMs(d.attempts, this.options.random, this.options.backoffBaseMs, this.options.backoffCapMs)).toISOString();
    const attempt = {
      deliveryId: d.id,
      workerId: this.workerId,
      startedAt,
      finishedAt: finished.toISOString(),
      statusCode: result.statusCode,
      latencyMs,
      responseExcerpt: result.excerpt,
      error: result.error,
      outcome: succeeded ? ('succeeded' as const) : dead ? ('dead' as const) : ('retry' as const),
      nextRetryAt,
    };
    const held = await this.store.finishAttempt(attempt, { ids: rest, until: this.#leaseUntil() });
    if (!succeeded) this.metrics?.countDeliveryFailure(dead ? 'dead' : 'retry');
    if (!succeeded) this.logger?.warn({ deliveryId: d.id, webhookId: d.webhookId, attempt: d.attempts, error: result.error, dead }, 'webhook delivery failed');
    // A worker that lost its lease stops: another worker owns this webhook's queue now.
    return succeeded && held;
  }
}
