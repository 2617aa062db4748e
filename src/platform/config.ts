// Configuration shared by both hosts: readConfig is the one reader of the
// settings both have, called by src/node.ts (through readNodeConfig) and by
// src/worker.ts, so a setting cannot mean one thing on Node and another on
// Workers. Each host adds only what is its own (port, data folder, bindings).
import { createRemoteJWKSet } from 'jose';
import pkg from '../../package.json' with { type: 'json' };
import type { ExternalIssuer } from '../tenancy/auth/tokens.js';

/**
 * A setting that cannot work. Node refuses to start with it; a Worker
 * cannot refuse to start, so it answers every request 503 naming it.
 */
export class ConfigError extends Error {
  constructor(readonly variable: string, message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}
export interface Limits {
  /** Largest request body accepted, in bytes (413 beyond it). */
  maxBodyBytes: number;
  /** Largest page a list route returns. */
  maxPageSize: number;
  /** Largest single snapshot text, in UTF-8 bytes. */
  maxSnapshotBytes: number;
  /** Most files in one snapshot upload. */
  maxSnapshotsPerBatch: number;
  /** Most manifest entries (or explicit pairs) in one request. */
  maxManifestEntries: number;
  /** Most note x gate pairs one select may expand to. */
  maxSelectPairs: number;
}

export const defaultLimits: Limits = {
  maxBodyBytes: 8 * 1024 * 1024,
  maxPageSize: 200,
  maxSnapshotBytes: 1024 * 1024,
  maxSnapshotsPerBatch: 1000,
  maxManifestEntries: 50_000,
  maxSelectPairs: 1_000_000,
};

export function intFromEnv(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new ConfigError(name, `${name} must be a positive integer, got ${JSON.stringify(value)}`);
  return n;
}

/** A token bucket: sustained requests a minute, and how many may come at once. */
export interface Budget { perMinute: number; burst: number }
/** A Workers Rate Limiting binding's figures (wrangler.toml [[ratelimits]]), repeated as vars for the headers. */
export interface BindingFigures { limit: number; periodSeconds: number }

export interface RateLimitConfig {
  /** Per identity (a user or service of an org, an operator, an external subject); null when off. */
  identity: Budget | null;
  /** Per client address, before any token is looked at; null when off. */
  address: Budget | null;
  /** On Workers the bindings hold the limits; these figures only feed RateLimit-Limit and Retry-After. */
  bindings: { identity: BindingFigures; address: BindingFigures };
}

/**
 * Generous enough for a fleet of runners on one identity working through
 * small jobs (about 50 requests a second sustained), tight enough that one
 * runaway client cannot starve the database for everyone else. An address
 * may carry several identities (an office behind NAT), so it gets twice that.
 */
export const DEFAULT_RATE: Budget = { perMinute: 3000, burst: 300 };
export const DEFAULT_ADDRESS_RATE: Budget = { perMinute: 6000, burst: 600 };

function budgetFromEnv(env: Record<string, string | undefined>, prefix: string, fallback: Budget): Budget | null {
  if (env[`${prefix}_PER_MINUTE`] === '0') return null;
  return {
    perMinute: intFromEnv(env[`${prefix}_PER_MINUTE`], fallback.perMinute, `${prefix}_PER_MINUTE`),
    burst: intFromEnv(env[`${prefix}_BURST`], fallback.burst, `${prefix}_BURST`),
  };
}

/** The one reader of rate-limit settings, for both hosts (Node's process.env, a Worker's env). */
export function readRateLimits(env: Record<string, unknown>): RateLimitConfig {
  const vars = Object.fromEntries(Object.entries(env).filter(([, v]) => typeof v === 'string')) as Record<string, string>;
  const figures = (prefix: string, limit: number, period: number): BindingFigures => ({
    limit: intFromEnv(vars[prefix], limit, prefix),
    periodSeconds: intFromEnv(vars[`${prefix}_PERIOD_SECONDS`], period, `${prefix}_PERIOD_SECONDS`),
  });
  return {
    identity: budgetFromEnv(vars, 'GATEHOUSE_RATE_LIMIT', DEFAULT_RATE),
    address: budgetFromEnv(vars, 'GATEHOUSE_ADDRESS_RATE_LIMIT', DEFAULT_ADDRESS_RATE),
    bindings: {
      identity: figures('GATEHOUSE_RATE_LIMIT', BINDING_DEFAULTS.identity.limit, BINDING_DEFAULTS.identity.periodSeconds),
      address: figures('GATEHOUSE_ADDRESS_RATE_LIMIT', BINDING_DEFAULTS.address.limit, BINDING_DEFAULTS.address.periodSeconds),
    },
  };
}

/**
 * wrangler.toml's [[ratelimits]] figures, for the headers when its [vars]
 * do not repeat them. A Worker cannot read a binding's limit, so the figures
 * live in three places; test/platform/config.test.ts keeps them equal.
 */
export const BINDING_DEFAULTS = {
  identity: { limit: 600, periodSeconds: 10 },
  address: { limit: 1200, periodSeconds: 10 },
} as const satisfies Record<string, BindingFigures>;

/** An external OIDC issuer whose tokens are accepted too. */
export interface OidcSettings { issuer: string; jwksUrl: URL; audience: string; algorithms: string[] }

/** Both variables or neither: an issuer without keys (or keys without an issuer) is a mistake, never silently "no OIDC". */
export function readOidc(vars: Record<string, string | undefined>, audience: string): OidcSettings | null {
  const issuer = vars.GATEHOUSE_OIDC_ISSUER || '';
  const jwks = vars.GATEHOUSE_OIDC_JWKS_URL || '';
  if (!issuer && !jwks) return null;
  if (!jwks) throw new ConfigError('GATEHOUSE_OIDC_JWKS_URL', 'GATEHOUSE_OIDC_JWKS_URL is required with GATEHOUSE_OIDC_ISSUER');
  if (!issuer) throw new ConfigError('GATEHOUSE_OIDC_ISSUER', 'GATEHOUSE_OIDC_ISSUER is required with GATEHOUSE_OIDC_JWKS_URL');
  let jwksUrl: URL;
  try { jwksUrl = new URL(jwks); } catch { throw new ConfigError('GATEHOUSE_OIDC_JWKS_URL', `GATEHOUSE_OIDC_JWKS_URL is not a URL: ${JSON.stringify(jwks)}`); }
  const algorithms = (vars.GATEHOUSE_OIDC_ALGORITHMS || 'RS256,ES256,EdDSA').split(',').map((a) => a.trim()).filter(Boolean);
  return { issuer, jwksUrl, audience: vars.GATEHOUSE_OIDC_AUDIENCE || audience, algorithms };
}

/** The verifier for an external issuer's tokens (its keys fetched from the JWKS URL, cached by jose). */
export function externalIssuer(oidc: OidcSettings): ExternalIssuer {
  return { issuer: oidc.issuer, audience: oidc.audience, jwks: createRemoteJWKSet(oidc.jwksUrl), algorithms: oidc.algorithms };
}

/** What both hosts read. */
export interface SharedConfig {
  issuer: string;
  audience: string;
  limits: Limits;
  rateLimits: RateLimitConfig;
  /** GATEHOUSE_LOG: the request log's level. */
  logLevel: (typeof LOG_LEVELS)[number];
  oidc: OidcSettings | null;
  /** package.json's version, shown on /healthz. */
  version: string;
  /** The deployed commit when the deployment says (GATEHOUSE_COMMIT); a host may know it otherwise (Node: the checkout). */
  commit: string | null;
}

/** The one reader of the settings both hosts share (Node's process.env, a Worker's env). */
export function readConfig(env: Record<string, unknown>): SharedConfig {
  const vars = Object.fromEntries(Object.entries(env).filter(([, v]) => typeof v === 'string')) as Record<string, string>;
  const audience = vars.GATEHOUSE_AUDIENCE || 'gatehouse';
  return {
    issuer: vars.GATEHOUSE_ISSUER || 'gatehouse',
    audience,
    limits: { ...defaultLimits, maxBodyBytes: intFromEnv(vars.GATEHOUSE_MAX_BODY_BYTES, defaultLimits.maxBodyBytes, 'GATEHOUSE_MAX_BODY_BYTES') },
    rateLimits: readRateLimits(env),
    logLevel: readLogLevel(env),
    oidc: readOidc(vars, audience),
    version: pkg.version,
    commit: vars.GATEHOUSE_COMMIT || null,
  };
}

export const LOG_LEVELS = ['off', 'info', 'debug'] as const;

/** GATEHOUSE_LOG, for both hosts (Node's process.env, a Worker's env binding): off, info (the default) or debug. */
export function readLogLevel(env: Record<string, unknown>): (typeof LOG_LEVELS)[number] {
  const value = env.GATEHOUSE_LOG;
  if (value === undefined || value === '') return 'info';
  const level = LOG_LEVELS.find((l) => l === value);
  if (!level) throw new Error(`GATEHOUSE_LOG must be one of ${LOG_LEVELS.join(', ')}, got ${JSON.stringify(value)}`);
  return level;
}
