// Isolation beyond the route matrix: key ids nobody issued, an external
// issuer whose JWKS rotates (served over real HTTP, fetched by jose the way
// production does), and the RLS backstop under a real route query whose
// org filter is gone.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { asc, sql } from 'drizzle-orm';
import { SignJWT, createRemoteJWKSet, exportJWK, generateKeyPair, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projects } from '../../drizzle/schema.js';
import { rowsOf, withTenant } from '../../src/platform/db.js';
import type { Member } from '../../src/tenancy/auth/principal.js';
import { visibleProjects } from '../../src/tenancy/projects.js';
import { generateSigningKeyJson, loadSigningKey } from '../../src/tenancy/auth/keys.js';
import { mintToken } from '../../src/tenancy/auth/tokens.js';
import { TestEnv, type OrgFixture } from '../support/harness.js';

const ISSUER = 'https://rotating-idp.test.invalid/';
let env: TestEnv;
let a: OrgFixture;
let b: OrgFixture;
let jwksServer: Server;
/** What the IdP's JWKS endpoint serves right now; rotation swaps it. */
let published: JWK[] = [];
const keys: Record<string, CryptoKey> = {};

async function idpKey(kid: string): Promise<JWK> {
  const pair = await generateKeyPair('ES256', { extractable: true });
  keys[kid] = pair.privateKey;
  return { ...(await exportJWK(pair.publicKey)), kid, alg: 'ES256', use: 'sig' };
}

const idpToken = (kid: string, claims: Record<string, unknown> = {}, signWith = kid) =>
  new SignJWT({ org: a.id, ...claims }).setProtectedHeader({ alg: 'ES256', kid }).setIssuer(ISSUER).setAudience('gatehouse-test')
    .setSubject('rotating-user').setIssuedAt().setExpirationTime('10m').setJti(crypto.randomUUID()).sign(keys[signWith]);

beforeAll(async () => {
  jwksServer = createServer((_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ keys: published }));
  });
  await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
  const jwksUrl = new URL(`http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/jwks`);
  // cacheMaxAge 0: every unknown or known kid is looked up afresh, so a
  // rotation shows at once instead of after jose's default ten minutes.
  const jwks = createRemoteJWKSet(jwksUrl, { cacheMaxAge: 0, cooldownDuration: 0 });
  env = await TestEnv.start({ external: { issuer: ISSUER, audience: 'gatehouse-test', jwks, algorithms: ['ES256'] } });
  a = await env.createOrg();
  b = await env.createOrg();
  const added = await env.request('POST', '/v1/org/members', { token: a.ownerToken, body: { subject: 'rotating-user', issuer: ISSUER, role: 'member' } });
  expect(added.status).toBe(201);
});
afterAll(async () => {
  await env.close();
  await new Promise<void>((resolve) => jwksServer.close(() => resolve()));
});

const getOrg = (token: string) => env.request('GET', '/v1/org', { token });

describe('key ids', () => {
  it('a token naming a key id the server does not have is refused, even when signed with the server\'s key', async () => {
    const now = new Date();
    const claims = { subject: a.ownerId, org: a.id, jti: crypto.randomUUID(), issuedAt: now, expiresAt: new Date(now.getTime() + 600_000) };
    // A foreign key under an unknown kid, and the server's own key under a kid it never used.
    const foreign = await mintToken({ ...env.auth, signingKey: { ...(await loadSigningKey(await generateSigningKeyJson())), kid: 'nobody' } }, claims);
    const renamed = await mintToken({ ...env.auth, signingKey: { ...env.auth.signingKey, kid: 'not-our-kid' } }, claims);
    for (const [name, token] of Object.entries({ foreign, renamed })) {
      const reply = await getOrg(token);
      expect(reply.status, name).toBe(401);
      expect(reply.headers.get('www-authenticate'), name).toMatch(/^Bearer /);
    }
    expect((await getOrg(renamed)).json.detail).toMatch(/key/);
  });

  it('an external token whose kid is not in the issuer\'s JWKS is refused', async () => {
    published = [await idpKey('idp-a')];
    await idpKey('unpublished');
    expect((await getOrg(await idpToken('unpublished'))).status).toBe(401);
    // Claiming a published kid while signing with another key fails the signature.
    expect((await getOrg(await idpToken('idp-a', {}, 'unpublished'))).status).toBe(401);
    expect((await getOrg(await idpToken('idp-a'))).status).toBe(200);
  });
});

describe('external issuer key rotation', () => {
  it('old key removed: refused; new key published: accepted; both during the overlap', async () => {
    published = [await idpKey('old')];
    expect((await getOrg(await idpToken('old'))).status).toBe(200);
    published = [published[0], await idpKey('new')];
    expect((await getOrg(await idpToken('old'))).status).toBe(200);
    expect((await getOrg(await idpToken('new'))).status).toBe(200);
    published = published.filter((k) => k.kid === 'new');
    const refused = await getOrg(await idpToken('old'));
    expect(refused.status).toBe(401);
    expect(refused.json.code).toBe('unauthenticated');
    expect((await getOrg(await idpToken('new'))).status).toBe(200);
  });

  it('a JWKS endpoint that is down refuses tokens (401), never lets them through and never fails with 5xx', async () => {
    published = [await idpKey('flaky')];
    const token = await idpToken('flaky');
    const saved = published;
    published = [];
    expect((await getOrg(token)).status).toBe(401);
    published = saved;
    expect((await getOrg(await idpToken('flaky'))).status).toBe(200);
  });
});

describe('RLS under a real route query with its org filter removed', () => {
  it('the project listing query, run without any org condition inside withTenant for A, sees only A; outside RLS it would see B', async () => {
    await env.createProject(a.ownerToken, { slug: 'a-only' });
    await env.createProject(b.ownerToken, { slug: 'b-only' });
    // An org admin of A: visibleProjects adds no visibility filter for admins, and none of
    // its clauses names the org. The query below is listProjects' own, minus pagination.
    const admin: Member = { kind: 'member', orgId: a.id, userId: a.ownerId, role: 'owner', scopes: new Set(), tokenId: null, projectIds: null };
    const where = visibleProjects(admin);
    const query = (db: any) => db.select({ slug: projects.slug, orgId: projects.orgId }).from(projects).where(where).orderBy(asc(projects.slug));

    const unfiltered: { slug: string; orgId: string }[] = await query(env.database.db);
    expect(unfiltered.map((r) => r.orgId)).toContain(b.id); // the query itself does not keep B out

    const seen: { slug: string; orgId: string }[] = await withTenant(env.database.db, { orgId: a.id, userId: a.ownerId }, (tx) => query(tx));
    expect(seen.map((r) => r.slug)).toContain('a-only');
    expect(new Set(seen.map((r) => r.orgId))).toEqual(new Set([a.id]));

    // The same with a bare SQL statement that names no org at all.
    const bare = await withTenant(env.database.db, { orgId: a.id }, async (tx) => rowsOf<{ org_id: string }>(await tx.execute(sql`select org_id from projects`)));
    expect(bare.length).toBeGreaterThan(0);
    expect(bare.every((r) => r.org_id === a.id)).toBe(true);
  });
});
