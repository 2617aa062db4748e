// `npm start` as a new user meets it: the Node entry in a child process, on
// PGlite in a fresh data folder (or PostgreSQL from DATABASE_URL when this
// run tests PostgreSQL), then `npm run token` against the same folder.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase, type TestDatabase } from '../support/db.js';

const root = new URL('../..', import.meta.url).pathname;
const tsx = join(root, 'node_modules/.bin/tsx');
let dataDir: string;
let database: TestDatabase | null = null;
let server: ChildProcess | null = null;
let base: string;
let output = '';

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

function environment(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, GATEHOUSE_DATA_DIR: dataDir, GATEHOUSE_SIGNING_KEY: '' };
  delete env.DATABASE_URL;
  if (database?.url) env.DATABASE_URL = database.url;
  return env;
}

async function start(port: number): Promise<void> {
  output = '';
  server = spawn(tsx, ['src/node.ts'], { cwd: root, env: { ...environment(), PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'] });
  server.stdout!.on('data', (d) => { output += d; });
  server.stderr!.on('data', (d) => { output += d; });
  base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (server.exitCode !== null) throw new Error(`server exited: ${output}`);
    try {
      if ((await fetch(`${base}/healthz`)).ok) return;
    } catch { /* not up yet */ }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`server did not start: ${output}`);
}

async function stop(): Promise<void> {
  if (!server || server.exitCode !== null) return;
  const exited = new Promise((resolve) => server!.once('exit', resolve));
  server.kill('SIGTERM');
  await exited;
}

async function token(args: string[]): Promise<string> {
  const { stdout } = await promisify(execFile)(tsx, ['scripts/token.ts', ...args], { cwd: root, env: environment() });
  return stdout.trim();
}

const call = async (path: string, tokenValue?: string, init: RequestInit = {}) => {
  const res = await fetch(`${base}${path}`, {
    ...init,
    headers: { ...(tokenValue ? { authorization: `Bearer ${tokenValue}` } : {}), ...(init.body ? { 'content-type': 'application/json' } : {}) },
  });
  const text = await res.text();
  return { status: res.status, text, json: text.startsWith('{') ? JSON.parse(text) : null, type: res.headers.get('content-type') };
};

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'gatehouse-start-'));
  if (process.env.GATEHOUSE_TEST_DB === 'pg') database = await openTestDatabase();
  await start(await freePort());
});
afterAll(async () => {
  await stop();
  await database?.close();
  await rm(dataDir, { recursive: true, force: true });
});

describe('npm start on a fresh data folder', () => {
  it('serves /healthz, /docs and /openapi.json', async () => {
    // Issue 17, item 19: package.json's version and the checkout's commit, not "dev".
    const pkg = JSON.parse(await readFile(join(root, 'package.json'), 'utf8'));
    const head = (await promisify(execFile)('git', ['rev-parse', 'HEAD'], { cwd: root })).stdout.trim();
    expect((await call('/healthz')).json).toEqual({ status: 'ok', database: 'ok', version: pkg.version, commit: head });
    const docs = await call('/docs');
    expect(docs.status).toBe(200);
    expect(docs.type).toContain('text/html');
    const doc = await call('/openapi.json');
    expect(doc.json.openapi).toBe('3.1.0');
  });

  // Issue 17, item 16: on Node nothing else compresses, so the dashboard still gzips its pages.
  it('gzips dashboard pages for a client that accepts it, and not for one that does not', async () => {
    const gz = await fetch(`${base}/ui/static/app.css`, { headers: { 'accept-encoding': 'gzip' } });
    expect(gz.headers.get('content-encoding')).toBe('gzip');
    expect(await gz.text()).toMatch(/[{}]/);
    const plain = await fetch(`${base}/ui/sign-in`, { headers: { 'accept-encoding': 'identity' } });
    expect(plain.headers.get('content-encoding')).toBeNull();
    expect((await plain.text()).toLowerCase()).toMatch(/^<!doctype html>/);
  });

  it('writes the local owner token (mode 0600) that works on GET /v1/org', async () => {
    const file = join(dataDir, 'local-owner.token');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(output).toContain(file);
    const owner = (await readFile(file, 'utf8')).trim();
    const org = await call('/v1/org', owner);
    expect(org.status).toBe(200);
    expect(org.json).toMatchObject({ slug: 'local', you: { role: 'owner' } });
  });

  it('a project created with it is listed; a second org\'s token gets 404 for it', async () => {
    const owner = (await readFile(join(dataDir, 'local-owner.token'), 'utf8')).trim();
    expect((await call('/v1/projects', owner, { method: 'POST', body: JSON.stringify({ slug: 'kb' }) })).status).toBe(201);
    expect((await call('/v1/projects', owner)).json.items.map((p: any) => p.slug)).toEqual(['kb']);
    const operator = await token(['--operator']);
    const created = await call('/v1/orgs', operator, { method: 'POST', body: JSON.stringify({ slug: 'second', name: 'Second', owner: { subject: 'boss' } }) });
    expect(created.status).toBe(201);
    const other = created.json.owner_token;
    expect((await call('/v1/projects/kb', other)).status).toBe(404);
    expect((await call('/v1/projects', other)).json.items).toEqual([]);
  });

  it('npm run token while the server runs: refused on the embedded database, fine on PostgreSQL', async () => {
    const result = await token(['--days', '1']).then((t) => ({ token: t }), (err: { code: number; stderr: string }) => ({ err }));
    if (database) {
      expect((await call('/v1/org', (result as { token: string }).token)).status).toBe(200);
    } else {
      const { err } = result as { err: { code: number; stderr: string } };
      expect(err.code).toBe(2);
      expect(err.stderr).toMatch(/holds the embedded database.*\n.*v1\/org\/tokens/s);
    }
  });

  it('a restart keeps the org, the key and the tokens, and npm run token mints narrower ones', async () => {
    const owner = (await readFile(join(dataDir, 'local-owner.token'), 'utf8')).trim();
    await stop();
    const narrow = await token(['--scopes', 'freshness:read', '--days', '1', '--name', 'ci']);
    await start(await freePort());
    expect(output).not.toContain('created org');
    expect((await call('/v1/org', owner)).status).toBe(200);
    expect((await call('/v1/projects', owner)).json.items.map((p: any) => p.slug)).toEqual(['kb']);
    const me = await call('/v1/org', narrow);
    expect(me.json.you.scopes).toEqual(['freshness:read']);
    expect((await call('/v1/projects', narrow, { method: 'POST', body: JSON.stringify({ slug: 'nope' }) })).status).toBe(403);
  });
});
