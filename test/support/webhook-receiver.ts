import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  headers: IncomingHttpHeaders;
  /** The raw body, exactly as sent (what the signature covers). */
  raw: string;
  json: any;
  /** `performance.now()`-style wall time of arrival, for ordering and latency checks. */
  at: number;
}

/** How the receiver answers: a status code, or `hang` (accept the request and never answer). */
export type ReceiverBehaviour = number | 'hang';

/**
 * A real HTTP webhook receiver on 127.0.0.1 (an ephemeral port). It records every request and answers
 * as told; `stop()` closes the port (connections are refused) and `start()` reopens the same port.
 */
export class WebhookReceiver {
  readonly requests: ReceivedRequest[] = [];
  behaviour: ReceiverBehaviour = 200;
  /** Body of 2xx answers. */
  responseBody = 'ok';
  #server: Server | undefined;
  #port = 0;
  readonly #hanging = new Set<ServerResponse>();
  #waiters: { n: number; resolve: () => void }[] = [];

  get url(): string {
    return `http://127.0.0.1:${this.#port}/hook`;
  }

  async start(): Promise<this> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        let json: unknown = null;
        try {
          json = JSON.parse(raw);
        } catch {
          json = null;
        }
        this.requests.push({ headers: req.headers, raw, json, at: performance.now() });
        this.#waiters = this.#waiters.filter((w) => (this.requests.length >= w.n ? (w.resolve(), false) : true));
        if (this.behaviour === 'hang') {
          this.#hanging.add(res);
          return;
        }
        res.statusCode = this.behaviour;
        res.end(this.behaviour < 300 ? this.responseBody : `failing with ${this.behaviour}`);
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.#port, '127.0.0.1', () => resolve());
    });
    this.#port = (server.address() as AddressInfo).port;
    this.#server = server;
    return this;
  }

  async stop(): Promise<void> {
    const server = this.#server;
    if (!server) return;
    this.#server = undefined;
    for (const res of this.#hanging) res.destroy();
    this.#hanging.clear();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Resolves once `n` requests have arrived in total. */
  waitFor(n: number): Promise<void> {
    if (this.requests.length >= n) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ n, resolve }));
  }

  /** Sequences of the received bodies, in arrival order. */
  sequences(): number[] {
    return this.requests.map((r) => Number(r.json?.sequence));
  }
}
