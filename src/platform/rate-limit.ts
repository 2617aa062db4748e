// Per-token rate limits behind one interface: a bounded in-memory token
// bucket on Node, the Workers Rate Limiting binding when deployed. The
// middleware runs after authentication, so the key is who is calling (the
// minted token's id, or the identity), never something the caller chooses.
import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from './context.js';
import { ApiError } from './errors.js';
import type { Principal } from '../tenancy/auth/principal.js';

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

/** Whose budget a request spends. */
export function rateKey(principal: Principal): string {
  switch (principal.kind) {
    case 'member': return principal.tokenId ? `token:${principal.tokenId}` : `user:${principal.orgId}:${principal.userId}`;
    case 'operator': return `operator:${principal.subject}`;
    case 'newcomer': return `newcomer:${principal.issuer}:${principal.subject}`;
  }
}

/** 429 problem+json with Retry-After once a caller's budget is spent; RateLimit-* headers on every answer. */
export function rateLimit(limiter: RateLimiter): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const decision = await limiter.take(rateKey(c.get('principal')));
    const headers: Record<string, string> = { 'ratelimit-limit': String(decision.limit) };
    if (decision.remaining !== null) headers['ratelimit-remaining'] = String(decision.remaining);
    if (!decision.allowed) {
      throw new ApiError('rate_limited', `Too many requests for this token; retry in ${decision.retryAfterSeconds} s`, {
        headers: { ...headers, 'retry-after': String(decision.retryAfterSeconds) },
        retry_after_seconds: decision.retryAfterSeconds,
      });
    }
    await next();
    for (const [name, value] of Object.entries(headers)) c.header(name, value);
  };
}
