/**
 * Measuring helpers shared by the bench sections: process RSS and CPU from /proc, medians, load runs with
 * autocannon, a small Admin API client and bounded parallelism for seeding.
 */
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';

export const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;
export const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** Resident memory of a process and its descendants, in MiB (a single-process server has none). */
export function treeRssMiB(pid: number): number {
  let total = 0;
  for (const stack = [pid]; stack.length > 0; ) {
    const p = stack.pop()!;
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${p}/status`, 'utf8'));
      total += m ? Number(m[1]) : 0;
    } catch {
      continue;
    }
    stack.push(...childrenOf(p));
  }
  return round(total / 1024);
}

/**
 * CPU seconds (user + system) used so far by a process and its descendants. Throughput on a machine shared
 * with other work measures the scheduler as much as the server; CPU time per request does not.
 */
export function treeCpuSeconds(pid: number): number {
  let ticks = 0;
  for (const stack = [pid]; stack.length > 0; ) {
    const p = stack.pop()!;
    try {
      // Fields after the parenthesised command name: utime and stime are the 12th and 13th.
      const fields = readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1]!.split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      continue;
    }
    stack.push(...childrenOf(p));
  }
  return ticks / 100; // USER_HZ
}

export interface LoadRequest {
  method?: 'GET' | 'POST';
  path?: string;
  body?: string;
}

export interface LoadResult {
  requests: number;
  rps: number;
  p99: number;
  errors: number;
  /** Server CPU per request, when a pid was given. */
  cpuMicros: number;
}

/**
 * One autocannon run at `connections`; `requests` (when given) are picked at random for each request. Any
 * wrong answer fails the run; a few transport errors (timeouts on a busy shared machine) are reported.
 */
export async function load(
  url: string,
  options: { headers?: Record<string, string>; connections?: number; durationSec: number; requests?: LoadRequest[]; pid?: number },
): Promise<LoadResult> {
  const pool = options.requests;
  const cpu0 = options.pid ? treeCpuSeconds(options.pid) : 0;
  const result = await autocannon({
    url,
    connections: options.connections ?? 50,
    duration: options.durationSec,
    headers: options.headers ?? {},
    ...(pool ? { requests: [{ setupRequest: (req: any) => ({ ...req, ...pool[Math.floor(Math.random() * pool.length)] }) }] } : {}),
  });
  if (result.non2xx > 0 || result.errors > result.requests.total / 1000) {
    throw new Error(`load on ${url}: ${result.non2xx} non-2xx answers, ${result.errors} errors (${result.timeouts} timeouts) in ${result.requests.total} requests`);
  }
  const cpuMicros = options.pid ? ((treeCpuSeconds(options.pid) - cpu0) * 1e6) / Math.max(1, result.requests.total) : NaN;
  return { requests: result.requests.total, rps: round(result.requests.average, 0), p99: result.latency.p99, errors: result.errors, cpuMicros };
}

/** A small Admin API client for seeding. */
export function adminClient(base: string, token: string) {
  return async function call<T = any>(method: string, path: string, body?: unknown): Promise<T> {
    const r = await fetch(base + path, {
      method,
      headers: { authorization: `Token ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await r.text();
    if (!r.ok) throw new Error(`${method} ${path} → ${r.status} ${text.slice(0, 300)}`);
    return (text ? JSON.parse(text) : undefined) as T;
  };
}

export type AdminClient = ReturnType<typeof adminClient>;

/** Signs in as the bench admin. */
export async function signIn(base: string): Promise<AdminClient> {
  const login = await fetch(`${base}/api/v1/auth/login/`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'bench@example.com', password: 'bench-password' }),
  });
  if (!login.ok) throw new Error(`login → ${login.status}`);
  return adminClient(base, ((await login.json()) as { key: string }).key);
}

/** Runs `fn` over `items` with at most `limit` in flight. */
export async function inParallel<T>(items: T[], limit: number, fn: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        await fn(items[i]!, i);
      }
    }),
  );
}
