// Node host configuration: environment → dependencies for createApp.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadSigningKey, generateSigningKeyJson } from '../tenancy/auth/keys.js';
import type { AuthConfig } from '../tenancy/auth/tokens.js';
import type { Context } from 'hono';
import { externalIssuer, intFromEnv, readConfig, type SharedConfig } from './config.js';
import type { DatabaseProvider } from './context.js';
import type { LogLevel, RequestLog } from './request-log.js';
import type { Database } from './db.js';
import { openNodePostgres } from './drivers/node-postgres.js';
import { openPglite } from './drivers/pglite.js';
import { lockDataDir } from './data-dir-lock.js';

/** The settings both hosts share (config.ts's readConfig, which the Worker calls too), and Node's own. */
export interface NodeConfig extends SharedConfig {
  port: number;
  host: string;
  dataDir: string;
  databaseUrl: string | null;
}

/** Throws (ConfigError) on a setting that cannot work: Node refuses to start with it. */
export function readNodeConfig(env: NodeJS.ProcessEnv = process.env): NodeConfig {
  const shared = readConfig(env);
  return {
    ...shared,
    commit: shared.commit ?? checkoutCommit(),
    port: intFromEnv(env.PORT, 8787, 'PORT'),
    host: env.HOST || '127.0.0.1',
    dataDir: resolve(env.GATEHOUSE_DATA_DIR || '.gatehouse'),
    databaseUrl: env.DATABASE_URL || null,
  };
}

/** The request log on Node: a line on stdout, where a process supervisor collects it. */
export function nodeRequestLog(config: NodeConfig): RequestLog {
  return { level: config.logLevel, write: (line) => { process.stdout.write(`${line}\n`); } };
}

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

/** The commit this checkout is at, when it is a git checkout (else null: an unpacked release has no .git). */
export function checkoutCommit(root = repoRoot): string | null {
  if (!existsSync(join(root, '.git'))) return null;
  try {
    const out = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: root, stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 }).toString().trim();
    return /^[0-9a-f]{40}$/.test(out) ? out : null;
  } catch {
    return null;
  }
}

/** The client's address on Node: the socket's peer (@hono/node-server passes the request as env.incoming); no header is trusted. */
export function nodeClientAddress(c: Context): string | undefined {
  return (c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined)?.incoming?.socket?.remoteAddress;
}

/**
 * The signing key: GATEHOUSE_SIGNING_KEY when set, else one generated on
 * first start and kept (mode 0600) in the data folder, so tokens survive restarts.
 */
export async function nodeAuthConfig(config: NodeConfig, env: NodeJS.ProcessEnv = process.env): Promise<AuthConfig> {
  let keyJson = env.GATEHOUSE_SIGNING_KEY;
  if (!keyJson) {
    const file = join(config.dataDir, 'signing-key.jwk');
    keyJson = await readFile(file, 'utf8').catch(() => undefined);
    if (!keyJson) {
      await mkdir(config.dataDir, { recursive: true });
      keyJson = await generateSigningKeyJson();
      await writeFile(file, keyJson, { mode: 0o600 });
      await chmod(file, 0o600);
    }
  }
  const auth: AuthConfig = { issuer: config.issuer, audience: config.audience, signingKey: await loadSigningKey(keyJson) };
  if (config.oidc) auth.external = externalIssuer(config.oidc);
  return auth;
}

export interface NodeDatabase {
  db: Database;
  provider: DatabaseProvider;
  kind: 'pglite' | 'postgres';
  close(): Promise<void>;
}

/** PGlite in the data folder, or PostgreSQL from DATABASE_URL; migrated before use. */
export async function openNodeDatabase(config: NodeConfig): Promise<NodeDatabase> {
  if (config.databaseUrl) {
    const handle = openNodePostgres(config.databaseUrl);
    await handle.migrate();
    return { db: handle.db, provider: handle.provider, kind: 'postgres', close: handle.close };
  }
  await mkdir(config.dataDir, { recursive: true });
  const unlock = lockDataDir(config.dataDir);
  try {
    const handle = await openPglite({ dataDir: join(config.dataDir, 'pgdata') });
    await handle.migrate();
    return { db: handle.db, provider: handle.provider, kind: 'pglite', close: async () => { await handle.close(); unlock(); } };
  } catch (err) {
    unlock();
    throw err;
  }
}
