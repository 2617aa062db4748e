// Service routes through the Worker entry, inside workerd.
import { env } from 'cloudflare:workers';
import { describe, expect, inject, it, vi } from 'vitest';
import { expectSelfHostedDocs } from '../support/docs-page.js';
import worker from '../../src/worker.js';
import './provided.js';
import { call, createOrg, operatorToken } from './client.js';
import pkg from '../../package.json' with { type: 'json' };

describe('service routes in workerd', () => {
  it('sees the bindings from global setup, not wrangler.toml [vars]', () => {
    expect(env.GATEHOUSE_ISSUER).toBe(inject('workerdIssuer'));
    expect(env.DATABASE_URL).toBe(inject('workerdDatabaseUrl'));
    expect(env.GATEHOUSE_WS_PROXY).toBe(inject('workerdWsProxy'));
  });

  it('GET /healthz reaches PostgreSQL through the Neon driver', async () => {
    const reply = await call('GET', '/healthz');
    expect(reply.status, reply.text).toBe(200);
    // Issue 17, item 19: package.json's version and the deployment's commit (GATEHOUSE_COMMIT), not "dev".
    expect(reply.json).toEqual({ status: 'ok', database: 'ok', version: pkg.version, commit: 'workerd-test-commit' });
  });

  // Issue 17, item 19: Node refuses to start with half an OIDC configuration;
  // a Worker cannot, so every request answers 503 naming the variable.
  it('an OIDC issuer without a JWKS URL (or the reverse) makes every request a 503 problem naming it', async () => {
    const ctx = { waitUntil: () => {}, passThroughOnException: () => {}, props: {} };
    const cases: [Record<string, string>, string][] = [
      [{ GATEHOUSE_OIDC_ISSUER: 'https://idp.example' }, 'GATEHOUSE_OIDC_JWKS_URL'],
      [{ GATEHOUSE_OIDC_JWKS_URL: 'https://idp.example/jwks' }, 'GATEHOUSE_OIDC_ISSUER'],
    ];
    for (const [vars, missing] of cases) {
      for (const path of ['/healthz', '/v1/org', '/ui/sign-in']) {
        const res = await worker.fetch(new Request(`https://gatehouse.test${path}`), { ...env, ...vars } as never, ctx as never);
        expect(res.status, path).toBe(503);
        expect(res.headers.get('content-type')).toBe('application/problem+json');
        const body = await res.json() as { code: string; detail: string; misconfigured: string };
        expect(body).toMatchObject({ code: 'unavailable', misconfigured: missing });
        expect(body.detail).toContain(missing);
      }
    }
    // Configured whole again, it serves.
    expect((await call('GET', '/healthz')).status).toBe(200);
  });

  it('GET /openapi.json serves the API document', async () => {
    const reply = await call('GET', '/openapi.json');
    expect(reply.status).toBe(200);
    expect(reply.json.openapi).toMatch(/^3\./);
    expect(Object.keys(reply.json.paths)).toEqual(expect.arrayContaining(['/v1/orgs', '/v1/projects']));
  });

  // Issue 17, item 21: the viewer is bundled into the Worker (a text module), not loaded from a CDN.
  it('GET /docs loads only same-origin scripts under a CSP, the pinned viewer bundle with a long cache', async () => {
    await expectSelfHostedDocs((path) => call('GET', path));
  });

  it('GET /.well-known/jwks.json publishes the key the Worker was given', async () => {
    const reply = await call('GET', '/.well-known/jwks.json');
    expect(reply.status).toBe(200);
    expect(reply.json.keys).toHaveLength(1);
    const [key] = reply.json.keys;
    expect(key).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', use: 'sig' });
    expect(key.d).toBeUndefined();
    const secret = JSON.parse(inject('workerdSigningKey'));
    expect(key.x).toBe(secret.x);
    expect(typeof key.kid).toBe('string');
  });

  it('every answer carries X-Content-Type-Options: nosniff (service, docs, dashboard, refusals, 404s)', async () => {
    for (const path of ['/healthz', '/openapi.json', '/docs', '/.well-known/jwks.json', '/ui', '/ui/sign-in', '/ui/static/app.css', '/ui/', '/v1/projects', '/no-such-route']) {
      const reply = await call('GET', path);
      expect(reply.headers.get('x-content-type-options'), `${path} (${reply.status})`).toBe('nosniff');
    }
  });

  it('answers unknown routes with a problem document', async () => {
    const reply = await call('GET', '/nope');
    expect(reply.status).toBe(404);
    expect(reply.headers.get('content-type')).toContain('application/problem+json');
  });
});

describe('request log through the Worker entry', () => {
  // The Worker entry itself, given GATEHOUSE_LOG=info as its env binding (the
  // suite runs with off); its lines go to console.log, which Workers Logs collect.
  async function fetchLogged(path: string, token?: string): Promise<{ status: number; lines: any[]; raw: string }> {
    const pending: Promise<unknown>[] = [];
    const ctx = { waitUntil: (p: Promise<unknown>) => { pending.push(p); }, passThroughOnException: () => {}, props: {} };
    const spy = vi.spyOn(console, 'log').mockImplementation(() => {});
    try {
      const res = await worker.fetch(new Request(`https://gatehouse.test${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} }),
        { ...env, GATEHOUSE_LOG: 'info' } as never, ctx as never);
      await res.text();
      await Promise.all(pending);
      const raw = spy.mock.calls.map((args) => args.join(' ')).filter((l) => l.includes('"message":"request"'));
      return { status: res.status, lines: raw.map((l) => JSON.parse(l)), raw: raw.join('\n') };
    } finally {
      spy.mockRestore();
    }
  }

  it('one line per request with the route pattern, the caller and the status, and no token text', async () => {
    const org = await createOrg(await operatorToken());
    const ok = await fetchLogged('/v1/org', org.ownerToken);
    expect(ok.status).toBe(200);
    expect(ok.lines).toEqual([expect.objectContaining({ level: 'info', method: 'GET', route: '/v1/org', status: 200, org_id: org.id, token_id: expect.any(String), duration_ms: expect.any(Number), request_id: expect.any(String) })]);
    for (const part of [org.ownerToken, ...org.ownerToken.split('.')]) expect(ok.raw).not.toContain(part);
    const missing = await fetchLogged(`/v1/jobs/${crypto.randomUUID()}`, org.ownerToken);
    expect(missing.lines.map((l) => [l.route, l.status])).toEqual([['/v1/jobs/:job', 404]]);
    const refused = await fetchLogged('/v1/org');
    expect(refused.lines.map((l) => [l.route, l.status, l.org_id])).toEqual([['/v1/org', 401, null]]);
  });
});
