import pg from 'pg';
import type { Db } from '../../platform/database/database.js';
import type { SyncStore } from './sync.store.js';

/** One committed change, as the live stream needs it. */
export interface SyncNotice {
  sequence: number;
  collection: string;
  organisationId: number | null;
  userId: number | null;
}

type Listener = (notices: SyncNotice[]) => void;

export interface SyncHubOptions {
  /** PostgreSQL: a connection string to LISTEN on (one dedicated connection per instance). */
  listenUrl?: string | undefined;
  /** How often to look at the change counter when nothing tells the hub (SQLite; PostgreSQL without `listenUrl`). */
  pollMs?: number;
  logger?: { warn(obj: unknown, msg?: string): void } | undefined;
}

/**
 * Wakes the live streams of this instance when changes commit (D6). On PostgreSQL every instance LISTENs
 * on `flagdesk_sync`, which the commit-time trigger NOTIFYs (ADR 0006), so a write on one instance wakes
 * streams on all. On SQLite (one process) the hub reads the feed after the counter moved: it looks
 * when nudged (`nudge()` after the sync module's own writes) and on a short poll for writes made by other
 * modules, which know nothing of sync. It only works while someone listens.
 */
export class SyncHub {
  readonly #listeners = new Set<Listener>();
  #last = -1;
  #timer: ReturnType<typeof setInterval> | undefined;
  #client: pg.Client | undefined;
  #reading = false;
  #again = false;
  #stopped = false;

  constructor(
    private readonly db: Db,
    private readonly store: SyncStore,
    private readonly options: SyncHubOptions = {},
  ) {}

  /** Adds a listener; returns its removal. */
  subscribe(fn: Listener): () => void {
    this.#listeners.add(fn);
    void this.#ensureStarted();
    return () => {
      this.#listeners.delete(fn);
      if (this.#listeners.size === 0) this.#idle();
    };
  }

  /** Looks at the feed now (after a commit this process made). */
  nudge(): void {
    if (this.#listeners.size > 0 && !this.#client) void this.#readFeed();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#listeners.clear();
    this.#idle();
  }

  #starting: Promise<void> | undefined;

  /** Starts listening (or polling) once, however many streams subscribe at the same moment. */
  #ensureStarted(): Promise<void> {
    this.#starting ??= this.#start().finally(() => {
      this.#starting = undefined;
    });
    return this.#starting;
  }

  async #start(): Promise<void> {
    if (this.#stopped || this.#timer || this.#client) return;
    if (this.#last < 0) this.#last = await this.store.currentSequence(this.db.kysely);
    if (this.db.kind === 'postgres' && this.options.listenUrl) {
      const client = new pg.Client({ connectionString: this.options.listenUrl });
      this.#client = client;
      client.on('notification', (m) => this.#onNotification(m.payload));
      client.on('error', (error) => {
        this.options.logger?.warn({ err: error }, 'sync LISTEN connection failed; polling instead');
        this.#client = undefined;
        this.#startPolling();
      });
      try {
        await client.connect();
        await client.query('LISTEN flagdesk_sync');
        // Every stream went away while connecting.
        if (this.#listeners.size === 0 || this.#stopped) return this.#idle();
        // Changes that committed while connecting.
        await this.#readFeed();
      } catch (error) {
        this.options.logger?.warn({ err: error }, 'sync LISTEN unavailable; polling instead');
        this.#client = undefined;
        void client.end().catch(() => undefined);
        this.#startPolling();
      }
      return;
    }
    this.#startPolling();
  }

  #startPolling(): void {
    if (this.#timer || this.#stopped || this.#listeners.size === 0) return;
    this.#timer = setInterval(() => void this.#readFeed(), this.options.pollMs ?? 200);
    this.#timer.unref?.();
  }

  #idle(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    const client = this.#client;
    this.#client = undefined;
    if (client) void client.end().catch(() => undefined);
  }

  #onNotification(payload: string | undefined): void {
    if (!payload) return;
    try {
      const p = JSON.parse(payload) as { seq: number; collection: string; organisation: number | null; user: number | null };
      if (p.seq > this.#last) this.#last = p.seq;
      this.#emit([{ sequence: Number(p.seq), collection: p.collection, organisationId: p.organisation, userId: p.user }]);
    } catch {
      // Not ours: ignore.
    }
  }

  async #readFeed(): Promise<void> {
    if (this.#reading) {
      this.#again = true;
      return;
    }
    this.#reading = true;
    try {
      do {
        this.#again = false;
        const current = await this.store.currentSequence(this.db.kysely);
        if (current <= this.#last) continue;
        const changes = await this.store.changesSince(this.db.kysely, this.#last, current, 10_000);
        this.#last = current;
        if (changes.length > 0) this.#emit(changes.map((c) => ({ sequence: c.seq, collection: c.collection, organisationId: c.organisationId, userId: c.userId })));
      } while (this.#again);
    } catch (error) {
      this.options.logger?.warn({ err: error }, 'sync feed read failed');
    } finally {
      this.#reading = false;
    }
  }

  #emit(notices: SyncNotice[]): void {
    for (const fn of this.#listeners) fn(notices);
  }
}
