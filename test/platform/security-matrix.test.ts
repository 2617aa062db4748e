// The security matrix: every operation in openapi.yaml, each hostile token
// shape, checked without anyone listing the routes. A route added later is
// covered as soon as it is in the document; a new path parameter fails here
// until it has a fixture below.
import { readFileSync } from 'node:fs';
import { sql } from 'drizzle-orm';
import { UnsecuredJWT } from 'jose';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rowsOf } from '../../src/platform/db.js';
import { mintToken } from '../../src/tenancy/auth/tokens.js';
import { TestEnv, type MemberFixture, type OrgFixture } from '../support/harness.js';
import { type Operation, operationsOf, sampleBody, sampleUrl } from '../support/sample-request.js';

const doc = parse(readFileSync(new URL('../../openapi.yaml', import.meta.url), 'utf8'));
const operations = operationsOf(doc);
const secured = operations.filter((o) => !(Array.isArray(o.op.security) && o.op.security.length === 0));
// A POST that only reads (a batch query) says so with x-read-only in the document.
const isWrite = (o: Operation) => o.method !== 'GET' && !o.op['x-read-only'];

let env: TestEnv;
let a: OrgFixture;
let b: OrgFixture;
let viewer: MemberFixture;
let member: MemberFixture;
let fixtures: Record<string, string>;
const tokens: Record<string, string> = {};

/** Bodies that a sample from the schema would not make meaningful for a viewer. */
const viewerBodies: Record<string, () => unknown> = {
  // Minting a narrower token for oneself is allowed to anyone; minting for someone else is not.
  'POST /v1/org/tokens': () => ({ name: 'matrix', user_id: a.ownerId }),
};

const url = (o: Operation) => sampleUrl(doc, o, fixtures);
const bodyFor = (o: Operation) => sampleBody(doc, o);

async function tenantRowCounts(): Promise<Record<string, number>> {
  const tables = rowsOf<{ table_name: string }>(await env.database.db.execute(sql`
    select table_name from information_schema.columns where table_schema = 'public' and column_name = 'org_id'`));
  const counts: Record<string, number> = {};
  for (const { table_name } of tables) {
    counts[table_name] = rowsOf<{ n: number }>(await env.database.db.execute(sql.raw(`select count(*)::int as n from "${table_name}"`)))[0].n;
  }
  return counts;
}

beforeAll(async () => {
  env = await TestEnv.start();
  a = await env.createOrg();
  b = await env.createOrg();
  viewer = await env.addMember(a, 'viewer');
  member = await env.addMember(a, 'member');
  const project = await env.createProject(a.ownerToken, { slug: 'matrix-project' });
  const group = await env.request('POST', '/v1/org/groups', { token: a.ownerToken, body: { name: 'matrix-group' } });
  const spare = await env.request('POST', '/v1/org/tokens', { token: a.ownerToken, body: { name: 'spare' } });
  const text = await env.uploadText(a.ownerToken, project.slug, 'kb/notes/matrix.md', '# Matrix\n');
  await env.request('POST', `/v1/projects/${project.slug}/registry/partitions`, { token: a.ownerToken, body: { model_partition: 'fixture-part' } });
  await env.request('PUT', `/v1/projects/${project.slug}/registry/aliases/fixture-alias`, { token: a.ownerToken, body: { model_partition: 'fixture-part' } });
  await env.request('PUT', `/v1/projects/${project.slug}/registry/runner-models/fixture-part/fixture-runner`, { token: a.ownerToken, body: { runner_model: 'm-1' } });
  const gateText = await env.uploadText(a.ownerToken, project.slug, 'kb/gates/fixture.md', '# Gate\n');
  const job = await env.request('POST', `/v1/projects/${project.slug}/jobs`, { token: a.ownerToken, body: { runner: 'fixture', model_partition: 'fixture-part', items: [{ note_path: text.path, note_sha256: text.sha256, gate_path: gateText.path, gate_sha256: gateText.sha256 }] } });
  const jobView = await env.request('GET', `/v1/jobs/${job.json.jobs[0].id}`, { token: a.ownerToken });
  fixtures = { job: jobView.json.id, item: jobView.json.items[0].id, project: project.slug, user: member.userId, group: group.json.id, token: spare.json.id, sha256: text.sha256, partition: 'fixture-part', alias: 'fixture-alias', runner: 'fixture-runner' };

  const revoked = await env.request('POST', '/v1/org/tokens', { token: a.ownerToken, body: { name: 'revoked' } });
  await env.request('DELETE', `/v1/org/tokens/${revoked.json.id}`, { token: a.ownerToken });
  const now = new Date();
  const claims = { subject: a.ownerId, org: a.id, jti: crypto.randomUUID(), issuedAt: now, expiresAt: new Date(now.getTime() + 600_000) };
  Object.assign(tokens, {
    malformed: 'eyJhbGciOiJFZERTQSJ9.not-json.sig',
    expired: await mintToken(env.auth, { ...claims, issuedAt: new Date(now.getTime() - 7200_000), expiresAt: new Date(now.getTime() - 3600_000) }),
    algNone: new UnsecuredJWT({ org: a.id }).setIssuer(env.auth.issuer).setAudience(env.auth.audience).setSubject(a.ownerId).setExpirationTime('1h').encode(),
    wrongAudience: await mintToken({ ...env.auth, audience: 'not-gatehouse' }, claims),
    wrongIssuer: await mintToken({ ...env.auth, issuer: 'not-gatehouse' }, claims),
    revoked: revoked.json.token,
  });
});
afterAll(() => env.close());

describe('security matrix', () => {
  it('reads every operation from openapi.yaml', () => {
    expect(operations.length).toBeGreaterThanOrEqual(21);
    expect(operations.length - secured.length).toBe(2); // /healthz and the JWKS are public
    expect(secured.every((o) => o.path.startsWith('/v1/'))).toBe(true);
  });

  it('refuses every hostile token shape on every operation with 401 and changes nothing', async () => {
    const before = await tenantRowCounts();
    const failures: string[] = [];
    for (const o of secured) {
      for (const [name, token] of [['none', null] as const, ...Object.entries(tokens)]) {
        const reply = await env.request(o.method, url(o), { token, body: bodyFor(o) });
        if (reply.status !== 401 || !reply.headers.get('content-type')?.includes('application/problem+json') || !reply.headers.get('www-authenticate')) {
          failures.push(`${o.key} with ${name} token: ${reply.status} ${reply.text.slice(0, 120)}`);
        }
      }
    }
    expect(failures).toEqual([]);
    expect(await tenantRowCounts()).toEqual(before);
  });

  it('another org\'s token against this org\'s ids: 404, and nothing of this org leaks', async () => {
    const secrets = [a.id, a.ownerId, member.userId, viewer.userId, fixtures.group, fixtures.token, fixtures.project, fixtures.sha256, fixtures.job, fixtures.item];
    const failures: string[] = [];
    for (const o of secured) {
      const path = url(o);
      const body = bodyFor(o);
      const reply = await env.request(o.method, path, { token: b.ownerToken, body });
      const hasIds = /\{\w+\}/.test(o.path);
      if (hasIds && reply.status !== 404) failures.push(`${o.key}: expected 404, got ${reply.status} ${reply.text.slice(0, 120)}`);
      if (reply.status >= 500) failures.push(`${o.key}: ${reply.status}`);
      // Echoing the caller's own request back (problem `instance`, `detail`) is not a leak.
      const asked = `${path} ${JSON.stringify(body ?? '')}`;
      const leaked = secrets.filter((s) => reply.text.includes(s) && !asked.includes(s));
      if (leaked.length) failures.push(`${o.key}: leaked ${leaked.join(', ')}`);
    }
    expect(failures).toEqual([]);
  });

  it('a viewer on every write gets 403 (or 404 for what it may not see) and changes nothing', async () => {
    const before = await tenantRowCounts();
    const failures: string[] = [];
    for (const o of secured.filter(isWrite)) {
      const body = viewerBodies[o.key]?.() ?? bodyFor(o);
      const reply = await env.request(o.method, url(o), { token: viewer.token, body });
      if (![403, 404].includes(reply.status)) failures.push(`${o.key}: ${reply.status} ${reply.text.slice(0, 160)}`);
    }
    expect(failures).toEqual([]);
    const after = await tenantRowCounts();
    // Refusals write nothing; only token bookkeeping (last_used_at) may move, never a row count.
    expect(after).toEqual(before);
  });

  it('the same requests from the org owner get past authorization (the matrix is not vacuous)', async () => {
    const reply = await env.request('GET', `/v1/projects/${fixtures.project}`, { token: a.ownerToken });
    expect(reply.status).toBe(200);
    const write = await env.request('PATCH', `/v1/projects/${fixtures.project}`, { token: a.ownerToken, body: { name: 'still here' } });
    expect(write.status).toBe(200);
  });
});
