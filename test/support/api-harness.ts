import type { LightMyRequestResponse } from 'fastify';
import { routeTable, type OperationId } from '../../src-shared/contracts/http/route-table.js';
import { buildApp, type BuildAppDeps, type BuiltApp } from '../../sync-server/app/build-app.js';
import { createManualClock } from '../../sync-server/platform/clock/clock.js';
import type { DialectName } from '../../sync-server/platform/database/database.js';
import { createOrganisationWithAdmin } from '../../sync-server/modules/organisations/organisation-bootstrap.js';
import { createTestDb, type TestDb } from './databases.js';

export interface CallOptions {
  params?: Record<string, string | number>;
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  /** Raw payload (for malformed-JSON tests); overrides body. */
  rawBody?: string;
  /** `Authorization` header value, e.g. `Token abc` or `Api-Key xyz`. */
  auth?: string;
  headers?: Record<string, string>;
  /** The caller's address as the server sees it (inject's default is 127.0.0.1). */
  remoteAddress?: string;
}

export interface ApiResponse<T = unknown> {
  status: number;
  body: T;
  headers: LightMyRequestResponse['headers'];
}

/** Fills `:param` segments of a contract url. */
export function urlFor(operationId: OperationId, params: Record<string, string | number> = {}): string {
  return routeTable[operationId].url.replace(/:([A-Za-z_]+)/g, (_, name: string) => {
    const v = params[name];
    if (v === undefined) throw new Error(`missing path param ${name} for ${operationId}`);
    return encodeURIComponent(String(v));
  });
}

/**
 * A server built in-process on a fresh database, called by operationId through `inject`.
 * Contract tests name the operation they cover (`api.op('createProject', …)`), which is what the
 * route-coverage meta-test looks for.
 */
export class TestApi {
  readonly clock = createManualClock('2026-06-01T12:00:00.000Z');
  built!: BuiltApp;
  testDb!: TestDb;
  adminToken = '';
  organisationId = 0;

  /** `appOptions`: extra buildApp deps, e.g. short webhook timeouts or an SMTP url for event tests. */
  constructor(
    readonly dialect: DialectName = 'sqlite',
    readonly appOptions: Pick<BuildAppDeps, 'email' | 'webhooks' | 'metricsToken'> = {},
  ) {}

  async start(): Promise<this> {
    this.testDb = await createTestDb(this.dialect);
    this.built = await buildApp({ db: this.testDb.db, clock: this.clock, ...this.appOptions });
    const { organisationId } = await createOrganisationWithAdmin(this.testDb.db, this.clock, { email: 'admin@example.com', password: 'admin-password', organisationName: 'Acme' });
    this.organisationId = organisationId;
    this.adminToken = `Token ${await this.login('admin@example.com', 'admin-password')}`;
    return this;
  }

  async stop(): Promise<void> {
    // Let background work (webhook deliveries in flight, impact previews) finish before the database goes away.
    await this.built?.services.impactJobs.close();
    await this.built?.services.jobs.stop();
    await this.built?.app.close();
    await this.testDb?.drop();
  }

  get app() {
    return this.built.app;
  }

  async login(email: string, password: string): Promise<string> {
    const r = await this.op<{ key: string }>('login', { body: { email, password } });
    if (r.status !== 200) throw new Error(`login failed for ${email}: ${JSON.stringify(r.body)}`);
    return r.body.key;
  }

  /** Calls a route by operationId. Without `auth`, the organisation admin's token is used; pass `auth: ''` for none. */
  async op<T = any>(operationId: OperationId, options: CallOptions = {}): Promise<ApiResponse<T>> {
    const contract = routeTable[operationId];
    return this.request<T>(contract.method, urlFor(operationId, options.params), options);
  }

  async request<T = any>(method: string, url: string, options: CallOptions = {}): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = { ...options.headers };
    const auth = options.auth ?? this.adminToken;
    if (auth) headers.authorization = auth;
    let payload: string | undefined;
    if (options.rawBody !== undefined) {
      payload = options.rawBody;
      headers['content-type'] ??= 'application/json';
    } else if (options.body !== undefined) {
      payload = JSON.stringify(options.body);
      headers['content-type'] = 'application/json';
    }
    const query = Object.fromEntries(Object.entries(options.query ?? {}).filter(([, v]) => v !== undefined).map(([k, v]) => [k, String(v)]));
    const res = await this.built.app.inject({ method: method as 'GET', url, query, headers, ...(payload !== undefined ? { payload } : {}), ...(options.remoteAddress ? { remoteAddress: options.remoteAddress } : {}) });
    const text = res.body;
    let body: unknown = text;
    if (text && (res.headers['content-type'] ?? '').toString().includes('json')) body = JSON.parse(text);
    return { status: res.statusCode, body: body as T, headers: res.headers };
  }
}
