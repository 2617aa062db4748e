// The server a load run measures, in its own process so its memory is its
// own: `gatehouse` mode builds the app exactly as src/node.ts does (same
// environment variables, same node-postgres database, same serve() from
// @hono/node-server); `hello` mode serves a bare Hono hello-world through the
// same serve(), the peer the API's throughput is compared with; the `db1` and
// `db5` modes are the same hello-world after one, or after the five round
// trips an authenticated GET makes, to PostgreSQL over a node-postgres pool
// of 10 (the floor any design with a per-request database check stands on).
// The parent
// talks to it over IPC: it learns the port, and asks for memory figures.
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import pg from 'pg';
import { createApp } from '../../src/app.js';
import type { AppDeps } from '../../src/platform/context.js';
import { nodeAuthConfig, openNodeDatabase, readNodeConfig } from '../../src/platform/node-host.js';
import { FeatureHashEmbedder } from '../../src/search/embedder.js';

const mode = process.argv[2];

/**
 * Extra dependencies for the app under load. A rate limiter (an optional
 * `rateLimiter` in AppDeps, absent = no limiting) would be built here from
 * GATEHOUSE_BENCH_RATE_LIMIT when this branch has one; the runner already
 * counts 429s apart from errors.
 */
function extraDeps(): Partial<AppDeps> {
  return {};
}

async function start(): Promise<{ fetch: (req: Request) => Response | Promise<Response>; close: () => Promise<void> }> {
  if (mode === 'hello') {
    const app = new Hono();
    app.get('/', (c) => c.text('Hello Hono!'));
    return { fetch: app.fetch, close: async () => {} };
  }
  if (mode === 'db1' || mode === 'db5') {
    const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 10 });
    const app = new Hono();
    app.get('/', async (c) => {
      if (mode === 'db1') {
        await pool.query('select 1');
        return c.text('Hello Hono!');
      }
      // The shape of an authenticated GET: the token statement on its own,
      // then BEGIN, the tenant settings, the read, COMMIT on one connection.
      await pool.query('select $1::uuid as token', [crypto.randomUUID()]);
      const client = await pool.connect();
      try {
        await client.query('begin');
        await client.query("select set_config('app.org_id', $1, true)", [crypto.randomUUID()]);
        await client.query('select 1');
        await client.query('commit');
      } finally {
        client.release();
      }
      return c.text('Hello Hono!');
    });
    return { fetch: app.fetch, close: () => pool.end() };
  }
  const config = readNodeConfig();
  const auth = await nodeAuthConfig(config);
  const database = await openNodeDatabase(config);
  const app = createApp({ database: database.provider, auth, clock: () => new Date(), limits: config.limits, embedder: new FeatureHashEmbedder(), ...extraDeps() });
  return { fetch: app.fetch, close: () => database.close() };
}

const memory = () => {
  const m = process.memoryUsage();
  return { rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external };
};

const host = await start();
const server = serve({ fetch: host.fetch, port: 0, hostname: '127.0.0.1' }, (info) => process.send!({ type: 'ready', port: info.port, memory: memory() }));
process.on('message', (msg: { type: string }) => {
  if (msg.type === 'memory') process.send!({ type: 'memory', memory: memory() });
  if (msg.type === 'stop') server.close(() => { void host.close().finally(() => process.exit(0)); });
});
process.on('disconnect', () => process.exit(0));
