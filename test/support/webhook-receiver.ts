import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

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

  /** Event types of the received bodies, in arrival order. */
  eventTypes(): string[] {
    return this.requests.map((r) => String(r.json?.event_type));
  }

  /** The received requests of one event type, in arrival order. */
  ofType(eventType: string): ReceivedRequest[] {
    return this.requests.filter((r) => r.json?.event_type === eventType);
  }

  /** Forgets what was received so far (a test's setup traffic). */
  clear(): void {
    this.requests.length = 0;
  }
}

export interface ReceivedMail {
  from: string | undefined;
  to: string[];
  /** The Subject header, unfolded (encoded words are not decoded: subjects in tests are ASCII). */
  subject: string;
  /** The raw message (headers and body) with folded headers unfolded and quoted-printable soft line breaks joined. */
  raw: string;
}

/**
 * A real SMTP server on 127.0.0.1 (the `smtp-server` package) that keeps every message it accepts;
 * `failing` makes it refuse messages with a 451 (a transient error, so the sender retries).
 */
export class SmtpReceiver {
  readonly mails: ReceivedMail[] = [];
  failing = false;
  #server: SMTPServer | undefined;
  #port = 0;

  get url(): string {
    return `smtp://127.0.0.1:${this.#port}`;
  }

  async start(): Promise<this> {
    const server = new SMTPServer({
      authOptional: true,
      // A loopback test server: no TLS, so the client must not try STARTTLS with an untrusted certificate.
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      onData: (stream, session, callback) => {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          if (this.failing) return callback(Object.assign(new Error('try again later'), { responseCode: 451 }));
          const message = Buffer.concat(chunks).toString('utf8');
          const split = message.search(/\r?\n\r?\n/);
          const headers = message.slice(0, split).replace(/\r?\n(?=[ \t])/g, '');
          const raw = headers + message.slice(split).replace(/=\r?\n/g, '');
          const subject = /^Subject: (.*)$/m.exec(headers)?.[1] ?? '';
          this.mails.push({ from: session.envelope.mailFrom ? session.envelope.mailFrom.address : undefined, to: session.envelope.rcptTo.map((r) => r.address), subject, raw });
          callback();
        });
      },
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    this.#port = (server.server.address() as AddressInfo).port;
    this.#server = server;
    return this;
  }

  async stop(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
