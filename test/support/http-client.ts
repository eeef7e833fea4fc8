import { routeTable, type OperationId } from '../../src-shared/contracts/http/route-table.js';
import { urlFor } from './api-harness.js';

/**
 * Calls a real server over HTTP by operationId (for server-process tests), signed in with a token once
 * `login` has run. `call` throws on a status of 300 or more, naming the operation and the answer.
 */
export class HttpClient {
  token = '';

  constructor(public base: string) {}

  async raw(op: OperationId, params: Record<string, string | number> = {}, options: { body?: unknown; query?: string; headers?: Record<string, string>; anonymous?: boolean } = {}): Promise<{ status: number; json: any }> {
    const r = await fetch(`${this.base}${urlFor(op, params)}${options.query ?? ''}`, {
      method: routeTable[op].method,
      headers: { ...(options.body === undefined ? {} : { 'content-type': 'application/json' }), ...(this.token && !options.anonymous ? { authorization: `Token ${this.token}` } : {}), ...options.headers },
      ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
    });
    const text = await r.text();
    return { status: r.status, json: text ? JSON.parse(text) : null };
  }

  async call(op: OperationId, params: Record<string, string | number> = {}, body?: unknown, query = ''): Promise<any> {
    const r = await this.raw(op, params, { body, query });
    if (r.status >= 300) throw new Error(`${op} answered ${r.status}: ${JSON.stringify(r.json)}`);
    return r.json;
  }

  async login(email: string, password: string): Promise<this> {
    this.token = (await this.call('login', {}, { email, password })).key;
    return this;
  }

  /** An SDK call with an environment key (no token). */
  async sdk(op: 'getSdkFlags' | 'getSdkIdentity' | 'identifySdkIdentity' | 'getEnvironmentDocument', environmentKey: string, options: { body?: unknown; query?: string } = {}): Promise<any> {
    const r = await this.raw(op, {}, { ...options, anonymous: true, headers: { 'x-environment-key': environmentKey } });
    if (r.status >= 300) throw new Error(`${op} answered ${r.status}: ${JSON.stringify(r.json)}`);
    return r.json;
  }
}

/** Polls `probe` until it returns a value other than undefined (no timing is asserted; the test timeout bounds it). */
export async function eventually<T>(probe: () => Promise<T | undefined>, intervalMs = 200): Promise<T> {
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
