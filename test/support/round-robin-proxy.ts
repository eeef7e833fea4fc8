import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A tiny load balancer on 127.0.0.1 for multi-instance tests: each request goes to the next backend in
 * turn; a backend that refuses the connection (its process is down) is skipped, as a load balancer's
 * health check would, and the request goes to the next one. `served` counts requests per backend.
 */
export class RoundRobinProxy {
  readonly served = new Map<string, number>();
  #server: Server | undefined;
  #next = 0;

  constructor(private backends: string[]) {}

  get url(): string {
    return `http://127.0.0.1:${(this.#server!.address() as AddressInfo).port}`;
  }

  /** Replaces the backend list (an instance restarted on a new port). */
  setBackends(backends: string[]): void {
    this.backends = backends;
  }

  async start(): Promise<this> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => void this.#forward(req, Buffer.concat(chunks), res, this.backends.length));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    this.#server = server;
    return this;
  }

  async stop(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  #forward(req: IncomingMessage, body: Buffer, res: ServerResponse, triesLeft: number): void {
    if (triesLeft === 0 || this.backends.length === 0) {
      res.statusCode = 502;
      res.end('no backend answered');
      return;
    }
    const backend = this.backends[this.#next++ % this.backends.length]!;
    const target = new URL(req.url ?? '/', backend);
    const headers = { ...req.headers, host: target.host };
    const out = request(target, { method: req.method, headers }, (answer) => {
      this.served.set(backend, (this.served.get(backend) ?? 0) + 1);
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    out.on('error', (error: NodeJS.ErrnoException) => {
      // Only a refused connection means "this instance is down" for sure: the request was not handled.
      if (!res.headersSent && error.code === 'ECONNREFUSED') this.#forward(req, body, res, triesLeft - 1);
      else res.destroy(error);
    });
    out.end(body);
  }
}
