// Node host configuration: environment → dependencies for createApp.
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createRemoteJWKSet } from 'jose';
import { loadSigningKey, generateSigningKeyJson } from '../tenancy/auth/keys.js';
import type { AuthConfig } from '../tenancy/auth/tokens.js';
import type { Context } from 'hono';
import { defaultLimits, intFromEnv, type Limits, type RateLimitConfig, readLogLevel, readRateLimits } from './config.js';
import type { DatabaseProvider } from './context.js';
import type { LogLevel, RequestLog } from './request-log.js';
import type { Database } from './db.js';
import { openNodePostgres } from './drivers/node-postgres.js';
import { openPglite } from './drivers/pglite.js';
import { lockDataDir } from './data-dir-lock.js';

export interface NodeConfig {
  port: number;
  host: string;
  dataDir: string;
  databaseUrl: string | null;
  issuer: string;
  audience: string;
  limits: Limits;
  /** Per-identity and per-address budgets (config.ts's readRateLimits, shared with the Worker). */
  rateLimits: RateLimitConfig;
  /** GATEHOUSE_LOG (config.ts's readLogLevel, shared with the Worker). */
  logLevel: LogLevel;
}

export function readNodeConfig(env: NodeJS.ProcessEnv = process.env): NodeConfig {
  return {
    port: intFromEnv(env.PORT, 8787, 'PORT'),
    host: env.HOST || '127.0.0.1',
    dataDir: resolve(env.GATEHOUSE_DATA_DIR || '.gatehouse'),
    databaseUrl: env.DATABASE_URL || null,
    issuer: env.GATEHOUSE_ISSUER || 'gatehouse',
    audience: env.GATEHOUSE_AUDIENCE || 'gatehouse',
    limits: {
      ...defaultLimits,
      maxBodyBytes: intFromEnv(env.GATEHOUSE_MAX_BODY_BYTES, defaultLimits.maxBodyBytes, 'GATEHOUSE_MAX_BODY_BYTES'),
    },
    rateLimits: readRateLimits(env),
    logLevel: readLogLevel(env),
  };
}

/** The request log on Node: a line on stdout, where a process supervisor collects it. */
export function nodeRequestLog(config: NodeConfig): RequestLog {
  return { level: config.logLevel, write: (line) => { process.stdout.write(`${line}\n`); } };
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
  if (env.GATEHOUSE_OIDC_ISSUER) {
    if (!env.GATEHOUSE_OIDC_JWKS_URL) throw new Error('GATEHOUSE_OIDC_JWKS_URL is required with GATEHOUSE_OIDC_ISSUER');
    auth.external = {
      issuer: env.GATEHOUSE_OIDC_ISSUER,
      audience: env.GATEHOUSE_OIDC_AUDIENCE || config.audience,
      jwks: createRemoteJWKSet(new URL(env.GATEHOUSE_OIDC_JWKS_URL)),
      algorithms: (env.GATEHOUSE_OIDC_ALGORITHMS || 'RS256,ES256,EdDSA').split(',').map((s) => s.trim()).filter(Boolean),
    };
  }
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
