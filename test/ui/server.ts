// The real Node entry on the embedded database, as `npm start` runs it, on a
// free port with a signing key the test holds (to mint an operator token),
// loaded with the corpus through the public API.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sha256Hex } from '../../src/freshness/names.js';
import { generateSigningKeyJson, loadSigningKey } from '../../src/tenancy/auth/keys.js';
import { mintToken } from '../../src/tenancy/auth/tokens.js';

export const root = new URL('../..', import.meta.url).pathname;

export interface Served { api: string; ownerToken: string; operatorToken: () => Promise<string>; stop: () => Promise<void> }

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

export async function startServer(): Promise<Served> {
  const dir = await mkdtemp(join(tmpdir(), 'gatehouse-ui-'));
  const key = await generateSigningKeyJson();
  const port = await freePort();
  const server: ChildProcess = spawn(join(root, 'node_modules/.bin/tsx'), ['src/node.ts'], {
    cwd: root,
    env: { ...process.env, GATEHOUSE_DATA_DIR: join(dir, 'data'), PORT: String(port), DATABASE_URL: '', GATEHOUSE_SIGNING_KEY: key, GATEHOUSE_MAINTENANCE_INTERVAL_SECONDS: '0',
      // Seeding the corpus reviews sends thousands of API calls with one token in seconds; the budget is tested elsewhere.
      GATEHOUSE_RATE_LIMIT_PER_MINUTE: '0' },
    stdio: 'ignore',
  });
  const api = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 300; i++) {
    try { if ((await fetch(`${api}/healthz`)).ok) break; } catch { /* starting */ }
    await new Promise((r) => setTimeout(r, 200));
  }
  const ownerToken = (await readFile(join(dir, 'data', 'local-owner.token'), 'utf8')).trim();
  const signingKey = await loadSigningKey(key);
  return {
    api,
    ownerToken,
    operatorToken: () => {
      const now = new Date();
      return mintToken({ issuer: 'gatehouse', audience: 'gatehouse', signingKey }, { subject: 'operator', role: 'operator', issuedAt: now, expiresAt: new Date(now.getTime() + 3600_000) });
    },
    stop: async () => {
      server.kill('SIGTERM');
      await new Promise((r) => server.once('exit', r));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export function apiClient(api: string, token: string) {
  return async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${api}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (res.status >= 400) throw new Error(`${method} ${path}: ${res.status} ${text}`);
    return text ? JSON.parse(text) : null;
  };
}

export interface File { path: string; body: string; sha256: string }

export async function hashed(path: string, body: string): Promise<File> {
  return { path, body, sha256: await sha256Hex(new TextEncoder().encode(body)) };
}
