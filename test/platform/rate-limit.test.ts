// Per-token rate limits: the token bucket itself, the Workers binding's
// adapter, and the middleware's 429 with Retry-After through the real app.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryRateLimiter, WorkersRateLimiter } from '../../src/platform/rate-limit.js';
import { TestEnv, type OrgFixture } from '../support/harness.js';

describe('the token bucket', () => {
  it('allows a burst, then the sustained rate, and says how long to wait', async () => {
    let now = 0;
    const limiter = new MemoryRateLimiter({ perMinute: 60, burst: 3, now: () => now });
    const taken = [];
    for (let i = 0; i < 4; i++) taken.push(await limiter.take('a'));
    expect(taken.map((d) => d.allowed)).toEqual([true, true, true, false]);
    expect(taken.map((d) => d.remaining)).toEqual([2, 1, 0, 0]);
    expect(taken[3].retryAfterSeconds).toBe(1);
    expect((await limiter.take('b')).allowed).toBe(true); // another key has its own bucket
    now += 1_000; // one token a second
    expect((await limiter.take('a')).allowed).toBe(true);
    expect((await limiter.take('a')).allowed).toBe(false);
    now += 60_000; // never more than the burst, however long the pause
    const after = [];
    for (let i = 0; i < 4; i++) after.push((await limiter.take('a')).allowed);
    expect(after).toEqual([true, true, true, false]);
  });

  it('remembers a bounded number of keys, forgetting the least recently seen', async () => {
    const now = 0;
    const limiter = new MemoryRateLimiter({ perMinute: 1, burst: 1, maxKeys: 2, now: () => now });
    await limiter.take('a');
    await limiter.take('b');
    expect((await limiter.take('a')).allowed).toBe(false); // a is spent and now the most recent
    await limiter.take('c'); // b is forgotten
    expect((await limiter.take('b')).allowed).toBe(true);
    expect((await limiter.take('a')).allowed).toBe(true); // a was forgotten when b came back
  });

  it('refuses nonsense settings', () => {
    expect(() => new MemoryRateLimiter({ perMinute: 0, burst: 1 })).toThrow(/perMinute/);
  });
});

describe('the Workers binding adapter', () => {
  it('passes the key, and a refusal waits a whole period', async () => {
    const keys: string[] = [];
    let allow = true;
    const limiter = new WorkersRateLimiter({ limit: async ({ key }) => { keys.push(key); return { success: allow }; } }, 600, 10);
    expect(await limiter.take('token:x')).toEqual({ allowed: true, limit: 600, remaining: null, retryAfterSeconds: 0 });
    allow = false;
    expect(await limiter.take('token:x')).toMatchObject({ allowed: false, retryAfterSeconds: 10 });
    expect(keys).toEqual(['token:x', 'token:x']);
  });
});

describe('rate limits through the app', () => {
  let env: TestEnv;
  let org: OrgFixture;
  let other: OrgFixture;
  // The limiter's own clock, moved by the tests: a minute passes in no time.
  let now = Date.now();
  const minutePasses = () => { now += 60_000; };
  beforeAll(async () => {
    env = await TestEnv.start({ rateLimiter: new MemoryRateLimiter({ perMinute: 6, burst: 3, now: () => now }) });
    org = await env.createOrg();
    other = await env.createOrg();
  });
  afterAll(() => env.close());

  it('a token over its budget gets 429 problem+json with Retry-After; other tokens and the 401 path are unaffected', async () => {
    const replies = [];
    for (let i = 0; i < 4; i++) replies.push(await env.request('GET', '/v1/org', { token: org.ownerToken }));
    expect(replies.map((r) => r.status)).toEqual([200, 200, 200, 429]);
    expect(replies[0].headers.get('ratelimit-limit')).toBe('3');
    expect(replies[0].headers.get('ratelimit-remaining')).toBe('2');
    const refused = replies[3];
    expect(refused.headers.get('content-type')).toBe('application/problem+json');
    expect(refused.headers.get('retry-after')).toBe('10');
    expect(refused.json).toMatchObject({ status: 429, code: 'rate_limited', retry_after_seconds: 10 });
    expect((await env.request('GET', '/v1/org', { token: other.ownerToken })).status).toBe(200);
    expect((await env.request('GET', '/v1/org', { token: 'not-a-jwt' })).status).toBe(401);
    minutePasses();
    expect((await env.request('GET', '/v1/org', { token: org.ownerToken })).status).toBe(200);
  });

  it('a refused write changes nothing', async () => {
    minutePasses();
    const spent = await env.createOrg();
    for (let i = 0; i < 3; i++) await env.request('GET', '/v1/org', { token: spent.ownerToken });
    const reply = await env.request('POST', '/v1/projects', { token: spent.ownerToken, body: { slug: 'never-made' } });
    expect(reply.status).toBe(429);
    minutePasses();
    const list = await env.request('GET', '/v1/projects', { token: spent.ownerToken });
    expect(list.status).toBe(200);
    expect(list.json.items.map((p: any) => p.slug)).not.toContain('never-made');
  });
});
