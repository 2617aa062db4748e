// Rate limits behind one interface: a bounded in-memory token bucket on
// Node, the Workers Rate Limiting binding when deployed. Two budgets, both
// spent before anything costs a database statement:
//   per address   in front of authentication, so a flood of bad tokens is
//                 refused before its signatures are even checked;
//   per identity  right after the signature check and before the token's
//                 row is looked up: the key comes from the verified claims
//                 (org and user, or issuer and subject), never a token id,
//                 so minting more tokens buys no more budget.
// /v1 and /ui (the dashboard's session) spend the same budgets.
import type { Context, MiddlewareHandler } from 'hono';
import type { BindingFigures, RateLimitConfig } from './config.js';
import type { AppEnv } from './context.js';
import { ApiError } from './errors.js';
import type { VerifiedToken } from '../tenancy/auth/tokens.js';

export interface RateDecision {
  allowed: boolean;
  /** Requests allowed per window, for the RateLimit-Limit header. */
  limit: number;
  /** Left in the current window, when the limiter knows (the Workers binding does not). */
  remaining: number | null;
  /** Seconds until a refused caller may try again. */
  retryAfterSeconds: number;
}

export interface RateLimiter {
  take(key: string): Promise<RateDecision>;
}

export interface BucketOptions {
  /** Sustained requests per minute per key. */
  perMinute: number;
  /** Requests a key may make at once before the sustained rate applies. */
  burst: number;
  /** Keys remembered at most; the least recently seen are forgotten first (they start full again). */
  maxKeys?: number;
  now?: () => number;
}

/**
 * A token bucket per key: `burst` tokens, refilled at perMinute/60 a second.
 * Memory is bounded by maxKeys (a Map kept in recency order), so a flood of
 * distinct tokens cannot grow it without limit.
 */
export class MemoryRateLimiter implements RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private readonly perMs: number;
  private readonly maxKeys: number;
  private readonly now: () => number;

  constructor(private readonly options: BucketOptions) {
    if (!(options.perMinute > 0) || !(options.burst >= 1)) throw new Error('rate limit: perMinute must be > 0 and burst >= 1');
    this.perMs = options.perMinute / 60_000;
    this.maxKeys = options.maxKeys ?? 100_000;
    this.now = options.now ?? Date.now;
  }

  async take(key: string): Promise<RateDecision> {
    const now = this.now();
    const seen = this.buckets.get(key);
    let tokens = seen ? Math.min(this.options.burst, seen.tokens + (now - seen.at) * this.perMs) : this.options.burst;
    this.buckets.delete(key);
    const allowed = tokens >= 1;
    if (allowed) tokens -= 1;
    this.buckets.set(key, { tokens, at: now });
    if (this.buckets.size > this.maxKeys) this.buckets.delete(this.buckets.keys().next().value!);
    return {
      allowed,
      limit: this.options.burst,
      remaining: Math.floor(tokens),
      retryAfterSeconds: allowed ? 0 : Math.max(1, Math.ceil((1 - tokens) / this.perMs / 1000)),
    };
  }
}

/** The Workers Rate Limiting binding ([[ratelimits]] in wrangler.toml): it answers only allowed or not. */
export interface WorkersRateLimitBinding {
  limit(options: { key: string }): Promise<{ success: boolean }>;
}

export class WorkersRateLimiter implements RateLimiter {
  constructor(private readonly binding: WorkersRateLimitBinding, private readonly limitPerPeriod: number, private readonly periodSeconds: number) {}

  async take(key: string): Promise<RateDecision> {
    const { success } = await this.binding.limit({ key });
    // The binding keeps fixed windows of `period` seconds and does not say when the current one ends: a full period is the safe wait.
    return { allowed: success, limit: this.limitPerPeriod, remaining: null, retryAfterSeconds: success ? 0 : this.periodSeconds };
  }
}

/** Whose budget a request spends: the identity the verified signature names, whatever token it holds. */
export function identityKey(token: VerifiedToken): string {
  if (!token.own) return `oidc:${token.issuer}:${token.subject}`;
  return token.org === null ? `operator:${token.subject}` : `user:${token.org}:${token.subject}`;
}

export interface RateLimiters { identity?: RateLimiter; address?: RateLimiter }

/** Limiters from the config (config.ts's readRateLimits): the Workers bindings when given, else memory buckets. */
export function rateLimitersFor(config: RateLimitConfig, bindings?: { identity?: WorkersRateLimitBinding; address?: WorkersRateLimitBinding }): RateLimiters {
  const workers = (b: WorkersRateLimitBinding | undefined, f: BindingFigures) => b && new WorkersRateLimiter(b, f.limit, f.periodSeconds);
  if (bindings) return { identity: workers(bindings.identity, config.bindings.identity), address: workers(bindings.address, config.bindings.address) };
  return {
    identity: config.identity ? new MemoryRateLimiter(config.identity) : undefined,
    address: config.address ? new MemoryRateLimiter(config.address) : undefined,
  };
}

function refuse(decision: RateDecision, headers: Record<string, string>, detail: string): never {
  throw new ApiError('rate_limited', `${detail}; retry in ${decision.retryAfterSeconds} s`, {
    headers: { ...headers, 'retry-after': String(decision.retryAfterSeconds) },
    retry_after_seconds: decision.retryAfterSeconds,
  });
}

/**
 * Spend the budget of the identity a verified token names: 429 problem+json
 * with Retry-After when it is spent. Called between the signature check and
 * the database lookup, so an over-budget identity costs no statement.
 */
export async function chargeIdentity(c: Context<AppEnv>, token: VerifiedToken): Promise<void> {
  const limiter = c.get('deps').rateLimiter;
  if (!limiter) return;
  const decision = await limiter.take(identityKey(token));
  const headers: Record<string, string> = { 'ratelimit-limit': String(decision.limit) };
  if (decision.remaining !== null) headers['ratelimit-remaining'] = String(decision.remaining);
  if (!decision.allowed) refuse(decision, headers, 'Too many requests for this identity (all its tokens share one budget)');
  c.set('rateHeaders', headers);
}

/**
 * The address budget, in front of authentication (a map lookup, no crypto,
 * no database); after the answer, the identity's RateLimit-* headers.
 */
export function rateLimits(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const { addressRateLimiter, clientAddress } = c.get('deps');
    const address = addressRateLimiter && clientAddress?.(c);
    if (address) {
      const decision = await addressRateLimiter.take(`address:${address}`);
      if (!decision.allowed) refuse(decision, {}, 'Too many requests from this address');
    }
    await next();
    for (const [name, value] of Object.entries(c.get('rateHeaders') ?? {})) c.header(name, value);
  };
}
