// Rate limits: the token bucket itself, the Workers binding's adapter, the
// one config reader, and through the real app the per-identity budget (all
// tokens of a user share it, it is spent before the token lookup, /ui spends
// it too) and the per-address budget in front of authentication.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Context } from 'hono';
import { readRateLimits } from '../../src/platform/config.js';
import { nodeClientAddress } from '../../src/platform/node-host.js';
import { MemoryRateLimiter, rateLimitersFor, WorkersRateLimiter } from '../../src/platform/rate-limit.js';
import { mintToken } from '../../src/tenancy/auth/tokens.js';
import { TestEnv, type OrgFixture } from '../support/harness.js';
import { UiClient } from '../ui/client.js';

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

describe('configuration', () => {
  it('one reader for both hosts: defaults, off with 0, and the Workers bindings\' figures', async () => {
    const defaults = readRateLimits({});
    expect(defaults).toMatchObject({ identity: { perMinute: 3000, burst: 300 }, address: { perMinute: 6000, burst: 600 } });
    const off = readRateLimits({ GATEHOUSE_RATE_LIMIT_PER_MINUTE: '0', GATEHOUSE_ADDRESS_RATE_LIMIT_PER_MINUTE: '0' });
    expect(rateLimitersFor(off)).toEqual({ identity: undefined, address: undefined });
    expect(() => readRateLimits({ GATEHOUSE_ADDRESS_RATE_LIMIT_BURST: 'lots' })).toThrow(/GATEHOUSE_ADDRESS_RATE_LIMIT_BURST/);
    const worker = readRateLimits({ GATEHOUSE_RATE_LIMIT: '600', GATEHOUSE_RATE_LIMIT_PERIOD_SECONDS: '10', GATEHOUSE_ADDRESS_RATE_LIMIT: '1200', GATEHOUSE_ADDRESS_RATE_LIMIT_PERIOD_SECONDS: '10', RATE_LIMITER: {} });
    const binding = { limit: async () => ({ success: false }) };
    const limiters = rateLimitersFor(worker, { identity: binding, address: binding });
    expect(await limiters.address!.take('address:x')).toEqual({ allowed: false, limit: 1200, remaining: null, retryAfterSeconds: 10 });
    expect(nodeClientAddress({ env: { incoming: { socket: { remoteAddress: '::ffff:10.0.0.7' } } } } as unknown as Context)).toBe('::ffff:10.0.0.7');
  });
});

describe('per identity and per address, through the app', () => {
  let env: TestEnv;
  let now = Date.now();
  const later = () => { now += 600_000; };
  beforeAll(async () => {
    env = await TestEnv.start({
      rateLimiter: new MemoryRateLimiter({ perMinute: 6, burst: 4, now: () => now }),
      // Tests have no socket: the address is a header here, and only here.
      deps: { addressRateLimiter: new MemoryRateLimiter({ perMinute: 6, burst: 5, now: () => now }), clientAddress: (c) => c.req.header('x-test-address') },
    });
  });
  afterAll(() => env.close());

  it('all tokens of one identity share its budget: minting another token buys none', async () => {
    later();
    const org = await env.createOrg();
    const minted = await env.request('POST', '/v1/org/tokens', { token: org.ownerToken, body: { name: 'second' } });
    expect(minted.status).toBe(201);
    for (let i = 0; i < 3; i++) expect((await env.request('GET', '/v1/org', { token: org.ownerToken })).status).toBe(200);
    const fresh = await env.request('GET', '/v1/org', { token: minted.json.token });
    expect(fresh.status).toBe(429);
    expect(fresh.headers.get('content-type')).toBe('application/problem+json');
    expect(fresh.headers.get('retry-after')).toBe('10');
  });

  it('an over-budget identity is refused before its token is looked up (a made-up jti gets 429, not 401)', async () => {
    later();
    const org = await env.createOrg();
    for (let i = 0; i < 4; i++) await env.request('GET', '/v1/org', { token: org.ownerToken });
    const issuedAt = new Date();
    // Properly signed, but no such token row: only the database lookup would say 401.
    const unknown = await mintToken(env.auth, { subject: org.ownerId, org: org.id, jti: crypto.randomUUID(), issuedAt, expiresAt: new Date(issuedAt.getTime() + 600_000) });
    const reply = await env.request('GET', '/v1/org', { token: unknown });
    expect(reply.status).toBe(429);
    expect(reply.json).toMatchObject({ code: 'rate_limited', retry_after_seconds: 10 });
  });

  it('the dashboard is rate limited like /v1, from the same identity budget: 429 problem+json with Retry-After', async () => {
    later();
    const org = await env.createOrg();
    const ui = new UiClient(env);
    expect((await ui.signIn(org.ownerToken)).status).toBe(303); // one
    const pages = [];
    for (let i = 0; i < 4; i++) pages.push(await ui.get('/ui'));
    expect(pages.map((p) => p.status)).toEqual([200, 200, 200, 429]);
    expect(pages[0].headers.get('ratelimit-limit')).toBe('4');
    expect(pages[3].headers.get('content-type')).toBe('application/problem+json');
    expect(pages[3].headers.get('retry-after')).toBe('10');
    expect((await env.request('GET', '/v1/org', { token: org.ownerToken })).status).toBe(429);
  });

  it('a flood of bad signatures from one address is refused before authentication; other addresses are not', async () => {
    later();
    const org = await env.createOrg();
    const forged = `${org.ownerToken.slice(0, org.ownerToken.lastIndexOf('.'))}.${'A'.repeat(86)}`;
    const statuses = [];
    for (let i = 0; i < 7; i++) statuses.push((await env.request('GET', '/v1/org', { token: forged, headers: { 'x-test-address': '198.51.100.9' } })).status);
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429]);
    const refused = await env.request('GET', '/ui/sign-in', { headers: { 'x-test-address': '198.51.100.9' } });
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('10');
    expect((await env.request('GET', '/v1/org', { token: org.ownerToken, headers: { 'x-test-address': '203.0.113.5' } })).status).toBe(200);
  });
});
