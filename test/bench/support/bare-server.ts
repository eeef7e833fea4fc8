/**
 * The baseline of the SDK benchmark: a bare Fastify route that serves fixed bytes with the same headers
 * as the real endpoint, in a process of its own like the real server. The ratio of the real endpoint's
 * throughput to this one's is the figure (it factors out the machine and the load generator).
 *
 *   tsx test/bench/support/bare-server.ts <body-file> <content-type>
 * prints `listening on http://127.0.0.1:<port>` when ready.
 */
import { readFileSync } from 'node:fs';
import Fastify from 'fastify';

const [bodyFile, contentType = 'application/json'] = process.argv.slice(2);
if (!bodyFile) {
  console.error('usage: bare-server.ts <body-file> [content-type]');
  process.exit(2);
}
const body = readFileSync(bodyFile);
const app = Fastify({ logger: false });
app.get('/api/v1/flags/', async (_request, reply) => reply.header('content-type', contentType).send(body));
const url = await app.listen({ port: 0, host: '127.0.0.1' });
console.log(`listening on ${url}`);
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
