// Configuration shared by both hosts; each entry reads its own environment.
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
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} must be a positive integer, got ${JSON.stringify(value)}`);
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
    bindings: { identity: figures('GATEHOUSE_RATE_LIMIT', 600, 60), address: figures('GATEHOUSE_ADDRESS_RATE_LIMIT', 1200, 60) },
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
