// The anchor of bench:gateway: a bare Fastify route answering the same JSON document the gateway's cached
// GET /api/v1/clusters answers, with nothing else (no auth, no hooks, no cache). Run as a child process:
//   node bare-server.js <body.json> ; prints the port it listens on.
import Fastify from 'fastify';
import { readFileSync } from 'node:fs';

const body = JSON.parse(readFileSync(process.argv[2] ?? '', 'utf8')) as unknown;
const app = Fastify({ logger: false });
app.get('/api/v1/clusters', async () => body);
app
  .listen({ host: '127.0.0.1', port: 0 })
  .then(() => {
    const address = app.server.address();
    process.stdout.write(`${typeof address === 'object' && address ? address.port : 0}\n`);
  })
  .catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
