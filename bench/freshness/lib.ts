// Shared helpers for the freshness benchmark: statistics, a seeded PRNG,
// hashing, a scratch database that is always dropped, and the in-process
// app served on loopback HTTP.
import { createHash } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import pg from 'pg';
import { createApp } from '../../src/app.js';
import { FeatureHashEmbedder } from '../../src/search/embedder.js';
import { defaultLimits, type Limits } from '../../src/platform/config.js';
import type { DatabaseProvider } from '../../src/platform/context.js';
import type { Database } from '../../src/platform/db.js';
import { openNodePostgres } from '../../src/platform/drivers/node-postgres.js';
import { openPglite } from '../../src/platform/drivers/pglite.js';
import { generateSigningKeyJson, loadSigningKey } from '../../src/tenancy/auth/keys.js';
import { type AuthConfig, mintToken } from '../../src/tenancy/auth/tokens.js';

// ---------------------------------------------------------------- statistics

export function median(xs: number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** Nearest-rank percentile, p in [0, 100]. */
export function percentile(xs: number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

export const now = () => performance.now();

export function fmtMs(ms: number): string {
  if (!Number.isFinite(ms)) return 'n/a';
  if (ms >= 10_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms >= 100) return `${ms.toFixed(0)} ms`;
  if (ms >= 10) return `${ms.toFixed(1)} ms`;
  return `${ms.toFixed(2)} ms`;
}

export function fmtSpread(xs: number[]): string {
  return `${fmtMs(Math.min(...xs))} … ${fmtMs(Math.max(...xs))}`;
}

/** A small deterministic PRNG (mulberry32), so every run seeds the same data. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** k distinct integers from [0, n), in random order. */
export function sampleDistinct(rand: () => number, n: number, k: number): number[] {
  if (k > n) throw new Error(`cannot sample ${k} of ${n}`);
  const chosen = new Set<number>();
  while (chosen.size < k) chosen.add(Math.floor(rand() * n));
  return [...chosen];
}

/** SHA-256 of the UTF-8 bytes, lowercase hex (what the server computes). */
export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Run `fn` over `items` with at most `concurrency` in flight. */
export async function pool<T>(items: T[], concurrency: number, fn: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i], i);
    }
  });
  await Promise.all(workers);
}

// ---------------------------------------------------------------- database

export interface BenchDatabase {
  kind: 'pg' | 'pglite';
  /** The connecting role (a superuser): bypasses RLS, used for seeding and the bare join. */
  db: Database;
  provider: DatabaseProvider;
  describe: string;
  /** Connection string of the scratch database (PostgreSQL only), for a server in another process. */
  url?: string;
  close(): Promise<void>;
}

export const PG_ADMIN_URL = process.env.GATEHOUSE_BENCH_PG_URL || process.env.GATEHOUSE_TEST_PG_URL || 'postgres://postgres:postgres@127.0.0.1:5432/postgres';

function pgUrl(name: string): string {
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  url.searchParams.set('sslmode', 'disable');
  return url.toString();
}

async function admin(text: string): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    return await client.query(text);
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * A migrated scratch database. PostgreSQL: `gatehouse_bench_<pid>`, created
 * here and dropped by `close()` (call it from a finally; `registerCleanup`
 * also runs it on SIGINT/SIGTERM). PGlite: in memory.
 */
export async function openBenchDatabase(kind: 'pg' | 'pglite', poolSize: number): Promise<BenchDatabase> {
  if (kind === 'pglite') {
    const handle = await openPglite();
    await handle.migrate();
    const [{ version }] = (await handle.client.query<{ version: string }>('select version()')).rows;
    return { kind, db: handle.db, provider: handle.provider, describe: `PGlite (in memory): ${version.split(' on ')[0]}`, close: handle.close };
  }
  const name = `gatehouse_bench_${process.pid}`;
  let dropped = false;
  const drop = async () => {
    if (dropped) return;
    dropped = true;
    await admin(`drop database if exists "${name}" with (force)`);
  };
  try {
    await admin(`drop database if exists "${name}" with (force)`);
    await admin(`create database "${name}"`);
  } catch (err) {
    await drop().catch(() => {});
    throw new Error(`could not create the scratch database ${name} on ${new URL(PG_ADMIN_URL).host} (is PostgreSQL running? set GATEHOUSE_BENCH_PG_URL, or use --pglite): ${(err as Error).message}`);
  }
  const handle = openNodePostgres(pgUrl(name), poolSize);
  let closed = false;
  const close = async () => {
    if (!closed) {
      closed = true;
      await handle.close().catch(() => {});
    }
    await drop();
  };
  try {
    await handle.migrate();
    const version = (await admin('show server_version')).rows[0].server_version as string;
    return { kind, db: handle.db, provider: handle.provider, url: pgUrl(name), describe: `PostgreSQL ${version} at ${new URL(PG_ADMIN_URL).host}, scratch database ${name} (node-postgres pool of ${poolSize})`, close };
  } catch (err) {
    await close().catch(() => {});
    throw err;
  }
}

const cleanups: (() => Promise<void>)[] = [];

/** Run on SIGINT/SIGTERM as well as from the caller's finally (each cleanup must be idempotent). */
export function registerCleanup(fn: () => Promise<void>) {
  cleanups.push(fn);
}

let cleaning: Promise<void> | null = null;

/** Runs every registered cleanup once, newest first; concurrent callers share the same run. */
export function runCleanups(): Promise<void> {
  cleaning ??= (async () => {
    while (cleanups.length) {
      const fn = cleanups.pop()!;
      await fn().catch((err) => console.error(`bench: cleanup failed: ${(err as Error).message}`));
    }
  })();
  return cleaning;
}

let stoppedBy: string | null = null;
/** The signal that interrupted the run, if any. */
export const interruptedBy = () => stoppedBy;

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    stoppedBy = signal;
    console.error(`\nbench: ${signal}, cleaning up`);
    void runCleanups().finally(() => process.exit(130));
  });
}

// ---------------------------------------------------------------- the app over loopback HTTP

export interface Reply {
  status: number;
  json: any;
  bytes: number;
}

export class BenchServer {
  /** Connections reset by the server and retried (reported; should stay 0 on PostgreSQL). */
  resets = 0;

  private constructor(
    readonly app: ReturnType<typeof createApp>,
    readonly auth: AuthConfig,
    readonly base: string,
    private readonly server: Server,
  ) {}

  static async start(database: BenchDatabase, limits: Partial<Limits> = {}): Promise<BenchServer> {
    const auth: AuthConfig = { issuer: 'gatehouse-bench', audience: 'gatehouse-bench', signingKey: await loadSigningKey(await generateSigningKeyJson()) };
    const app = createApp({ database: database.provider, auth, clock: () => new Date(), limits: { ...defaultLimits, ...limits }, embedder: new FeatureHashEmbedder() });
    const { server, port } = await new Promise<{ server: Server; port: number }>((resolve, reject) => {
      const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info: AddressInfo) => resolve({ server: s as Server, port: info.port }));
      (s as Server).once('error', reject);
    });
    // Keep loopback connections open across the long pauses of seeding.
    server.keepAliveTimeout = 120_000;
    return new BenchServer(app, auth, `http://127.0.0.1:${port}`, server);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections?.();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** A real HTTP request over loopback (global fetch, keep-alive). */
  async http(method: string, path: string, token: string | null, body?: unknown | string): Promise<Reply> {
    const headers: Record<string, string> = {};
    if (token) headers.authorization = `Bearer ${token}`;
    let payload: string | undefined;
    if (body !== undefined) {
      payload = typeof body === 'string' ? body : JSON.stringify(body);
      headers['content-type'] = 'application/json';
    }
    let res: Response;
    let text: string;
    for (let attempt = 1; ; attempt++) {
      try {
        res = await fetch(this.base + path, { method, headers, body: payload });
        text = await res.text();
        break;
      } catch (err) {
        const cause = (err as { cause?: { code?: string; message?: string } }).cause;
        // A kept-alive socket the server closed while the event loop was
        // blocked (PGlite runs in this thread) resets on reuse: retry once.
        if (attempt === 1 && cause?.code === 'ECONNRESET') {
          this.resets += 1;
          continue;
        }
        throw new Error(`${method} ${path} over HTTP failed: ${(err as Error).message}${cause ? ` (${cause.message ?? String(cause)})` : ''}`);
      }
    }
    return { status: res.status, json: text ? JSON.parse(text) : null, bytes: text.length };
  }

  /** The same request handed to the app in-process (no socket). */
  async inProcess(method: string, path: string, token: string | null, body?: unknown | string): Promise<Reply> {
    const headers: Record<string, string> = {};
    if (token) headers.authorization = `Bearer ${token}`;
    let payload: string | undefined;
    if (body !== undefined) {
      payload = typeof body === 'string' ? body : JSON.stringify(body);
      headers['content-type'] = 'application/json';
    }
    const res = await this.app.request(path, { method, headers, body: payload });
    const text = await res.text();
    return { status: res.status, json: text ? JSON.parse(text) : null, bytes: text.length };
  }

  async expect(method: string, path: string, token: string | null, body: unknown, status: number): Promise<any> {
    const reply = await this.http(method, path, token, body);
    if (reply.status !== status) throw new Error(`${method} ${path}: expected ${status}, got ${reply.status}: ${JSON.stringify(reply.json).slice(0, 500)}`);
    return reply.json;
  }

  /** An org (through the operator route) and its owner's token. */
  async createOrg(slug: string): Promise<{ orgId: string; token: string }> {
    const issuedAt = new Date();
    const operator = await mintToken(this.auth, { subject: 'operator', role: 'operator', issuedAt, expiresAt: new Date(issuedAt.getTime() + 3600_000) });
    const created = await this.expect('POST', '/v1/orgs', operator, { slug, name: slug, owner: { subject: `${slug}-owner` } }, 201);
    return { orgId: created.org.id, token: created.owner_token };
  }

  async createProject(token: string, slug: string): Promise<{ id: string; slug: string }> {
    const created = await this.expect('POST', '/v1/projects', token, { slug }, 201);
    return { id: created.id, slug: created.slug };
  }
}
