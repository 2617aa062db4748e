import { SignJWT, createLocalJWKSet, exportJWK, generateKeyPair, importJWK, UnsecuredJWT } from 'jose';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rowsOf } from '../../src/platform/db.js';
import { generateSigningKeyJson, loadSigningKey } from '../../src/tenancy/auth/keys.js';
import { mintToken, verifyToken } from '../../src/tenancy/auth/tokens.js';
import { TestEnv, type OrgFixture } from '../support/harness.js';

const EXTERNAL_ISSUER = 'https://idp.test.invalid/';
let env: TestEnv;
let org: OrgFixture;
let idpKey: CryptoKey;

async function idpToken(claims: Record<string, unknown>, options: { audience?: string; issuer?: string; expiresIn?: string } = {}) {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'ES256', kid: 'idp-1' })
    .setIssuer(options.issuer ?? EXTERNAL_ISSUER)
    .setAudience(options.audience ?? 'gatehouse-test')
    .setIssuedAt()
    .setExpirationTime(options.expiresIn ?? '1h')
    .sign(idpKey);
}

beforeAll(async () => {
  const pair = await generateKeyPair('ES256', { extractable: true });
  idpKey = pair.privateKey;
  const jwks = createLocalJWKSet({ keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'idp-1', alg: 'ES256' }] });
  env = await TestEnv.start({ external: { issuer: EXTERNAL_ISSUER, audience: 'gatehouse-test', jwks, algorithms: ['ES256'] } });
  org = await env.createOrg();
});
afterAll(() => env.close());

const getOrg = (token: string | null) => env.request('GET', '/v1/org', { token });

describe('token verification', () => {
  it('401 with WWW-Authenticate for no token, a malformed one or a bad scheme', async () => {
    for (const headers of [{} as Record<string, string>, { authorization: 'Bearer not.a.jwt' }, { authorization: `Basic ${btoa('a:b')}` }, { authorization: 'Bearer' }]) {
      const reply = await env.request('GET', '/v1/org', { headers });
      expect(reply.status).toBe(401);
      expect(reply.headers.get('www-authenticate')).toMatch(/^Bearer realm="gatehouse"/);
      expect(reply.json.code).toBe('unauthenticated');
    }
  });

  it('refuses alg none, a wrong audience, a wrong issuer, an expired token and a foreign key', async () => {
    const now = new Date();
    const base = { subject: org.ownerId, org: org.id, jti: crypto.randomUUID(), issuedAt: now, expiresAt: new Date(now.getTime() + 60_000) };
    const none = new UnsecuredJWT({ org: org.id }).setIssuer(env.auth.issuer).setAudience(env.auth.audience).setSubject(org.ownerId).setExpirationTime('1h').encode();
    const wrongAud = await mintToken({ ...env.auth, audience: 'someone-else' }, base);
    const wrongIss = await mintToken({ ...env.auth, issuer: 'evil' }, base);
    const expired = await mintToken(env.auth, { ...base, issuedAt: new Date(now.getTime() - 7200_000), expiresAt: new Date(now.getTime() - 3600_000) });
    const foreignKey = await mintToken({ ...env.auth, signingKey: await loadSigningKey(await generateSigningKeyJson()) }, base);
    for (const [name, token] of Object.entries({ none, wrongAud, wrongIss, expired, foreignKey })) {
      const reply = await getOrg(token);
      expect(reply.status, name).toBe(401);
    }
    expect((await getOrg(expired)).json.detail).toMatch(/expired/);
  });

  it('a remembered verification never outlives the token: the same string is refused once it expires', async () => {
    const now = new Date();
    const token = await mintToken(env.auth, { subject: org.ownerId, org: org.id, jti: crypto.randomUUID(), issuedAt: now, expiresAt: new Date(now.getTime() + 2_000) });
    const first = await verifyToken(env.auth, token, now);
    expect(first.subject).toBe(org.ownerId);
    expect(await verifyToken(env.auth, token, new Date(now.getTime() + 1_000))).toBe(first);
    await expect(verifyToken(env.auth, token, new Date(now.getTime() + 3_000))).rejects.toMatchObject({ code: 'unauthenticated', detail: expect.stringMatching(/expired/) });
    // A token that failed is never remembered as good.
    const forged = `${token.slice(0, -4)}AAAA`;
    await expect(verifyToken(env.auth, forged, now)).rejects.toMatchObject({ code: 'unauthenticated' });
  });

  it('a token whose jti is not on record is refused, even when well signed', async () => {
    const now = new Date();
    const forged = await mintToken(env.auth, { subject: org.ownerId, org: org.id, jti: crypto.randomUUID(), issuedAt: now, expiresAt: new Date(now.getTime() + 60_000) });
    expect((await getOrg(forged)).status).toBe(401);
  });

  it('a token whose org claim is swapped for another org is refused', async () => {
    const other = await env.createOrg();
    const now = new Date();
    const me = await getOrg(org.ownerToken);
    const swapped = await mintToken(env.auth, { subject: org.ownerId, org: other.id, jti: me.json.you.token_id, issuedAt: now, expiresAt: new Date(now.getTime() + 60_000) });
    expect((await getOrg(swapped)).status).toBe(401);
  });
});

describe('minted tokens', () => {
  it('are shown once, listed without the secret, and revoked on the next request', async () => {
    const minted = await env.request('POST', '/v1/org/tokens', { token: org.ownerToken, body: { name: 'runner', service: 'runner-1', scopes: ['jobs:run', 'freshness:read'] } });
    expect(minted.status).toBe(201);
    expect(minted.json.token).toMatch(/^ey/);
    expect(minted.json.scopes).toEqual(['jobs:run', 'freshness:read']);
    const runner = minted.json.token;
    const me = await getOrg(runner);
    expect(me.status).toBe(200);
    expect(me.json.you.scopes.sort()).toEqual(['freshness:read', 'jobs:run']);

    const list = await env.request('GET', '/v1/org/tokens', { token: org.ownerToken });
    expect(list.text).not.toContain(runner);
    const row = list.json.items.find((t: any) => t.id === minted.json.id);
    expect(row.last_used_at).not.toBeNull();

    const stored = rowsOf<Record<string, unknown>>(await env.database.db.execute(sql`select * from api_tokens where id = ${minted.json.id}`))[0];
    expect(JSON.stringify(stored)).not.toContain(runner);

    const revoked = await env.request('DELETE', `/v1/org/tokens/${minted.json.id}`, { token: org.ownerToken });
    expect(revoked.status).toBe(200);
    expect(revoked.json.revoked_at).not.toBeNull();
    const after = await getOrg(runner);
    expect(after.status).toBe(401);
    expect(after.json.detail).toMatch(/revoked/);
  });

  it('a token never exceeds its holder\'s role', async () => {
    const viewer = await env.addMember(org, 'viewer');
    const tooMuch = await env.request('POST', '/v1/org/tokens', { token: org.ownerToken, body: { name: 'x', user_id: viewer.userId, scopes: ['jobs:write'] } });
    expect(tooMuch.status).toBe(422);
    expect(tooMuch.json.errors[0].path).toBe('body.scopes');
    const self = await env.request('POST', '/v1/org/tokens', { token: viewer.token, body: { name: 'mine' } });
    expect(self.status).toBe(201);
    expect(self.json.scopes).toEqual(['freshness:read', 'tokens:write']);
    const forOther = await env.request('POST', '/v1/org/tokens', { token: viewer.token, body: { name: 'x', user_id: org.ownerId } });
    expect(forOther.status).toBe(403);
  });

  it('a narrowed token cannot mint a wider one', async () => {
    const narrow = await env.request('POST', '/v1/org/tokens', { token: org.ownerToken, body: { name: 'narrow', scopes: ['freshness:read', 'tokens:write'] } });
    const wider = await env.request('POST', '/v1/org/tokens', { token: narrow.json.token, body: { name: 'wider', scopes: ['org:admin'] } });
    expect(wider.status).toBe(422);
    const same = await env.request('POST', '/v1/org/tokens', { token: narrow.json.token, body: { name: 'same' } });
    expect(same.json.scopes).toEqual(['freshness:read', 'tokens:write']);
  });

  it('members see and revoke only their own tokens', async () => {
    const member = await env.addMember(org, 'member');
    const own = await env.request('GET', '/v1/org/tokens', { token: member.token });
    expect(own.json.items.every((t: any) => t.user_id === member.userId)).toBe(true);
    const ownerTokens = await env.request('GET', '/v1/org/tokens', { token: org.ownerToken });
    const ownersToken = ownerTokens.json.items.find((t: any) => t.user_id === org.ownerId);
    expect((await env.request('DELETE', `/v1/org/tokens/${ownersToken.id}`, { token: member.token })).status).toBe(404);
  });

  it('the public key at /.well-known/jwks.json verifies minted tokens', async () => {
    const jwks = await env.request('GET', '/.well-known/jwks.json');
    expect(jwks.status).toBe(200);
    const [key] = jwks.json.keys;
    expect(key.d).toBeUndefined();
    expect(key.kid).toBe(env.auth.signingKey.kid);
    const { jwtVerify } = await import('jose');
    const verified = await jwtVerify(org.ownerToken, await importJWK(key, key.alg));
    expect(verified.payload.org).toBe(org.id);
  });
});

describe('external issuer', () => {
  it('a signed-in identity with no org creates one and becomes its owner', async () => {
    const token = await idpToken({ sub: 'ext-user-1', email: 'ext@example.org' });
    expect((await getOrg(token)).status).toBe(401);
    const slug = env.unique('ext');
    const created = await env.request('POST', '/v1/orgs', { token, body: { slug, name: 'Ext' } });
    expect(created.status).toBe(201);
    expect(created.json.owner_token).toBeNull();
    const withOrg = await idpToken({ sub: 'ext-user-1', org: created.json.org.id });
    const me = await getOrg(withOrg);
    expect(me.status).toBe(200);
    expect(me.json.you.role).toBe('owner');
    const narrowed = await idpToken({ sub: 'ext-user-1', org: created.json.org.id, scope: 'freshness:read' });
    expect((await getOrg(narrowed)).json.you.scopes).toEqual(['freshness:read']);
  });

  it('an external identity that is not a member gets 403', async () => {
    const token = await idpToken({ sub: 'stranger', org: org.id });
    expect((await getOrg(token)).status).toBe(403);
  });

  it('refuses external tokens with a wrong audience or an algorithm off the list', async () => {
    const wrongAud = await idpToken({ sub: 'x', org: org.id }, { audience: 'other' });
    expect((await getOrg(wrongAud)).status).toBe(401);
    const hs = await new SignJWT({ sub: 'x', org: org.id }).setProtectedHeader({ alg: 'HS256' })
      .setIssuer(EXTERNAL_ISSUER).setAudience('gatehouse-test').setExpirationTime('1h').sign(new TextEncoder().encode('a-shared-secret-of-enough-length!!'));
    expect((await getOrg(hs)).status).toBe(401);
  });
});
