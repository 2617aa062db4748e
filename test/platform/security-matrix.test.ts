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
import { otherOrgFixtures } from '../support/other-org.js';
import { resolveRef } from '../support/openapi-sample.js';
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
/** Org B's ids of every kind a path or body may carry, and the lease of its running job. */
let other: Record<string, string>;
let narrow: { token: string; project: string };
let runnerToken: string;
/** Requests the matrix made, for RELIABILITY.md. */
let matrixCases = 0;

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
  other = await otherOrgFixtures(env, b);
  const narrowProject = await env.createProject(a.ownerToken, { slug: 'matrix-narrow' });
  const narrowed = await env.request('POST', '/v1/org/tokens', { token: a.ownerToken, body: { name: 'narrow', projects: [narrowProject.slug] } });
  narrow = { token: narrowed.json.token, project: narrowProject.slug };
  const runner = await env.request('POST', '/v1/org/tokens', { token: a.ownerToken, body: { name: 'runner', service: 'runner-1', scopes: ['jobs:run'] } });
  runnerToken = runner.json.token;
});

afterAll(async () => {
  console.log(`security matrix (${env.database.kind}): ${matrixCases} requests over ${secured.length} secured operations`);
  await env.close();
});

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
        matrixCases += 1;
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
      matrixCases += 1;
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
      matrixCases += 1;
      const reply = await env.request(o.method, url(o), { token: viewer.token, body });
      if (![403, 404].includes(reply.status)) failures.push(`${o.key}: ${reply.status} ${reply.text.slice(0, 160)}`);
    }
    expect(failures).toEqual([]);
    const after = await tenantRowCounts();
    // Refusals write nothing; only token bookkeeping (last_used_at) may move, never a row count.
    expect(after).toEqual(before);
  });

  it('the same requests from the org owner get past authorization (the matrix is not vacuous)', async () => {
    matrixCases += 1;
    const reply = await env.request('GET', `/v1/projects/${fixtures.project}`, { token: a.ownerToken });
    expect(reply.status).toBe(200);
    const write = await env.request('PATCH', `/v1/projects/${fixtures.project}`, { token: a.ownerToken, body: { name: 'still here' } });
    expect(write.status).toBe(200);
  });
});

/** Org B's state that A's requests must never move: row counts of B, and its running job still running under its lease. */
async function otherOrgState() {
  const counts = rowsOf<{ t: string; n: number }>(await env.database.db.execute(sql`
    select 'jobs' as t, count(*)::int as n from review_jobs where org_id = ${b.id} and status = 'running' union all
    select 'events', count(*)::int from acceptance_events where org_id = ${b.id} union all
    select 'tokens', count(*)::int from api_tokens where org_id = ${b.id} and revoked_at is null union all
    select 'members', count(*)::int from org_memberships where org_id = ${b.id} union all
    select 'results', count(*)::int from review_job_items where org_id = ${b.id} and outcome is not null`));
  return Object.fromEntries(counts.map((r) => [r.t, r.n]));
}

describe('ids guessed across tenants', () => {
  // Path parameters that name things by id (or by a value only org B has); names such as a
  // partition are per project and may be created by a PUT, so they are not guesses.
  const idParams = ['project', 'job', 'item', 'user', 'group', 'token', 'sha256'];

  it('org A\'s token with one of org B\'s ids in any path parameter: 404, and nothing changes', async () => {
    const before = await tenantRowCounts();
    const bBefore = await otherOrgState();
    const failures: string[] = [];
    let swapped = 0;
    for (const o of secured) {
      for (const param of idParams.filter((p) => o.path.includes(`{${p}}`))) {
        const path = sampleUrl(doc, o, fixtures, { [param]: other[param] });
        matrixCases += 1;
        const reply = await env.request(o.method, path, { token: a.ownerToken, body: bodyFor(o) });
        swapped += 1;
        if (reply.status !== 404) failures.push(`${o.key} with B's ${param}: ${reply.status} ${reply.text.slice(0, 120)}`);
      }
    }
    expect(swapped).toBeGreaterThanOrEqual(40);
    expect(failures).toEqual([]);
    expect(await tenantRowCounts()).toEqual(before);
    expect(await otherOrgState()).toEqual(bBefore);
  });

  /** Every body or query field that takes an id (or a project slug), with org B's value in it. */
  const bodyCases: { field: string; method: string; path: () => string; body?: () => unknown; ok: number[] }[] = [
    { field: 'GET /v1/org/tokens query.user_id', method: 'GET', path: () => `/v1/org/tokens?user_id=${other.user}`, ok: [200, 404, 422] },
    { field: 'POST /v1/org/tokens body.user_id', method: 'POST', path: () => '/v1/org/tokens', body: () => ({ name: 'x', user_id: other.user }), ok: [404, 422] },
    { field: 'POST /v1/org/tokens body.projects', method: 'POST', path: () => '/v1/org/tokens', body: () => ({ name: 'x', projects: [other.project] }), ok: [404, 422] },
    { field: 'POST /v1/projects body.shared_with_groups', method: 'POST', path: () => '/v1/projects', body: () => ({ slug: 'guess', visibility: 'group', shared_with_groups: [other.group] }), ok: [404, 422] },
    { field: 'PATCH /v1/projects/{project} body.shared_with_groups', method: 'PATCH', path: () => `/v1/projects/${fixtures.project}`, body: () => ({ visibility: 'group', shared_with_groups: [other.group] }), ok: [404, 422] },
    { field: 'PATCH /v1/projects/{project} body.owner_user_id', method: 'PATCH', path: () => `/v1/projects/${fixtures.project}`, body: () => ({ owner_user_id: other.user }), ok: [404, 422] },
    { field: 'GET /v1/projects/{project}/diff query.event_id', method: 'GET', path: () => `/v1/projects/${fixtures.project}/diff?note_path=kb/notes/other.md&gate_path=kb/gates/one.md&model_partition=other-part&event_id=${other.event}`, ok: [404, 422] },
    { field: 'POST /v1/jobs/claim body.projects', method: 'POST', path: () => '/v1/jobs/claim', body: () => ({ runner: 'other-runner', projects: [other.project] }), ok: [204, 404, 422] },
    { field: 'POST /v1/jobs/claim/batch body.projects', method: 'POST', path: () => '/v1/jobs/claim/batch', body: () => ({ runner: 'other-runner', projects: [other.project] }), ok: [200, 404, 422] },
    { field: 'POST /v1/jobs/finalize/batch body.jobs[].job', method: 'POST', path: () => '/v1/jobs/finalize/batch', body: () => ({ jobs: [{ job: other.job, lease_id: other.lease, results: [{ item: other.item, outcome: 'pass', artifact: 'x' }] }] }), ok: [200, 404, 409, 422] },
    { field: 'POST /v1/jobs/finalize/batch body.jobs[].results[].item', method: 'POST', path: () => '/v1/jobs/finalize/batch', body: () => ({ jobs: [{ job: fixtures.job, lease_id: other.lease, results: [{ item: other.item, outcome: 'pass', artifact: 'x' }] }] }), ok: [200, 404, 409, 422] },
    { field: 'POST /v1/jobs/{job}/heartbeat body.lease_id', method: 'POST', path: () => `/v1/jobs/${fixtures.job}/heartbeat`, body: () => ({ lease_id: other.lease }), ok: [404, 409] },
    { field: 'PUT /v1/jobs/{job}/items/{item}/result body.lease_id', method: 'PUT', path: () => `/v1/jobs/${fixtures.job}/items/${fixtures.item}/result`, body: () => ({ lease_id: other.lease, outcome: 'pass', artifact: 'x' }), ok: [404, 409] },
    { field: 'POST /v1/jobs/{job}/finalize body.results[].item', method: 'POST', path: () => `/v1/jobs/${fixtures.job}/finalize`, body: () => ({ lease_id: other.lease, results: [{ item: other.item, outcome: 'pass', artifact: 'x' }] }), ok: [404, 409, 422] },
  ];

  it('covers every id field of every request body and query in openapi.yaml', () => {
    const found = new Set<string>();
    const walk = (schema: any, path: string, key: string) => {
      const s = resolveRef(doc, schema ?? {});
      if (!s) return;
      if (s.format === 'uuid' || ['projects', 'shared_with_groups'].includes(path.split('.').pop()!.replace('[]', ''))) found.add(`${key} ${path.replace(/\[\]$/, '')}`);
      for (const k of ['anyOf', 'oneOf', 'allOf']) (s[k] ?? []).forEach((x: any) => walk(x, path, key));
      for (const [name, v] of Object.entries(s.properties ?? {})) walk(v, `${path}.${name}`, key);
      if (s.items) walk(s.items, `${path}[]`, key);
    };
    for (const o of operations) {
      walk(o.op.requestBody?.content?.['application/json']?.schema, 'body', o.key);
      for (const p of (o.op.parameters ?? []).map((x: any) => resolveRef(doc, x))) if (p.in === 'query' && /_id$/.test(p.name)) found.add(`${o.key} query.${p.name}`);
    }
    expect(found.size).toBeGreaterThanOrEqual(12);
    // lease_id is covered through the routes that take it; the job id through the batch.
    const covered = new Set(bodyCases.map((c) => c.field));
    const uncovered = [...found].filter((f) => !covered.has(f) && !/lease_id$/.test(f) && !f.endsWith('body.jobs[].job') && !covered.has(f.replace('body.jobs[].lease_id', 'body.jobs[].job')));
    expect(uncovered).toEqual([]);
  });

  it('org B\'s ids in body and query fields are refused or ignored: nothing of B is read, changed or claimed', async () => {
    const bBefore = await otherOrgState();
    const aBefore = await tenantRowCounts();
    const secrets = Object.values(other);
    const failures: string[] = [];
    for (const c of bodyCases) {
      matrixCases += 1;
      const reply = await env.request(c.method, c.path(), { token: a.ownerToken, body: c.body?.() });
      if (!c.ok.includes(reply.status)) failures.push(`${c.field}: ${reply.status} ${reply.text.slice(0, 160)}`);
      const asked = `${c.path()} ${JSON.stringify(c.body?.() ?? '')}`;
      const leaked = secrets.filter((v) => reply.text.includes(v) && !asked.includes(v));
      if (leaked.length) failures.push(`${c.field}: leaked ${leaked.join(', ')}`);
      if (reply.status === 200 && c.field.includes('tokens query')) expect(reply.json.items).toEqual([]);
      if (reply.status === 200 && c.field.includes('claim/batch')) expect(reply.json.jobs).toEqual([]);
      if (reply.status === 200 && c.field.includes('finalize/batch')) expect(reply.json.jobs.map((j: any) => [j.job, j.problem?.status])).toEqual([[null, 404]]);
    }
    expect(failures).toEqual([]);
    expect(await otherOrgState()).toEqual(bBefore);
    // A's refusals wrote nothing either.
    expect(await tenantRowCounts()).toEqual(aBefore);
  });
});

describe('narrowed tokens', () => {
  const inProject = () => secured.filter((o) => ['{project}', '{job}', '{item}'].some((p) => o.path.includes(p)));

  it('a token limited to one project gets 404 for every other project, its jobs and items, and changes nothing', async () => {
    const before = await tenantRowCounts();
    const failures: string[] = [];
    for (const o of inProject()) {
      matrixCases += 1;
      const reply = await env.request(o.method, url(o), { token: narrow.token, body: bodyFor(o) });
      if (reply.status !== 404) failures.push(`${o.key}: ${reply.status} ${reply.text.slice(0, 120)}`);
    }
    expect(inProject().length).toBeGreaterThanOrEqual(30);
    expect(failures).toEqual([]);
    expect(await tenantRowCounts()).toEqual(before);
    const listed = await env.request('GET', '/v1/projects', { token: narrow.token });
    expect(listed.json.items.map((p: any) => p.slug)).toEqual([narrow.project]);
    const own = await env.request('GET', `/v1/projects/${narrow.project}`, { token: narrow.token });
    expect(own.status).toBe(200);
  });

  it('a runner token (jobs:run only) on every admin or write route but the runner\'s own: 403 or 404, nothing changes', async () => {
    // The runner's own routes are those whose documented scope is jobs:run.
    const runnerOps = (o: Operation) => /\(jobs:run\)$/.test(o.op.summary ?? '');
    const targets = secured.filter((o) => !runnerOps(o) && (isWrite(o) || /(org|registry):admin/.test(o.op.summary ?? '')));
    expect(targets.length).toBeGreaterThanOrEqual(25);
    const before = await tenantRowCounts();
    const failures: string[] = [];
    for (const o of targets) {
      matrixCases += 1;
      const reply = await env.request(o.method, url(o), { token: runnerToken, body: viewerBodies[o.key]?.() ?? bodyFor(o) });
      if (![403, 404].includes(reply.status)) failures.push(`${o.key}: ${reply.status} ${reply.text.slice(0, 120)}`);
    }
    expect(failures).toEqual([]);
    expect(await tenantRowCounts()).toEqual(before);
  });
});

describe('idempotent replays', () => {
  const idempotentOps = () => secured.filter((o) => (o.op.parameters ?? []).some((p: any) => resolveRef(doc, p).name === 'idempotency-key'));
  /** A body each idempotent operation accepts (so the first answer is stored); a new one fails here until it has one. */
  const firstBodies: Record<string, () => Promise<unknown>> = {
    'POST /v1/projects': async () => ({ slug: 'replay-project' }),
    'POST /v1/org/members': async () => ({ subject: 'replay-subject', role: 'viewer' }),
    'POST /v1/org/groups': async () => ({ name: 'replay-group' }),
    'POST /v1/projects/{project}/jobs': async () => {
      const note = await env.uploadText(a.ownerToken, fixtures.project, 'kb/notes/replay.md', '# Replay\n');
      const gate = await env.uploadText(a.ownerToken, fixtures.project, 'kb/gates/replay.md', '# Replay gate\n');
      return { runner: 'fixture', model_partition: 'fixture-part', items: [{ note_path: note.path, note_sha256: note.sha256, gate_path: gate.path, gate_sha256: gate.sha256 }] };
    },
  };
  /** Strings of the first answer a replay must not show (ids, names), minus what the request itself says. */
  const leaves = (v: unknown): string[] => typeof v === 'string' ? [v] : v && typeof v === 'object' ? Object.values(v).flatMap(leaves) : [];
  const secretsOf = (json: unknown, asked: string) => leaves(json).filter((s) => s.length >= 6 && !asked.includes(s) && !/^\d{4}-\d\d-\d\dT/.test(s));

  it('a replay with a token lacking the route\'s scope (or no longer seeing its project) is refused and shows nothing of the first answer', async () => {
    const ops = idempotentOps();
    expect(ops.length).toBeGreaterThanOrEqual(4);
    expect(ops.map((o) => o.key).filter((k) => !firstBodies[k])).toEqual([]);
    // The same identity as the first request (the owner), with a token that holds no write or admin scope.
    const lacking = (await env.request('POST', '/v1/org/tokens', { token: a.ownerToken, body: { name: 'replay-read-only', scopes: ['freshness:read'] } })).json.token;
    const failures: string[] = [];
    for (const o of ops) {
      const body = await firstBodies[o.key]();
      const headers = { 'idempotency-key': `replay-${o.key.replace(/[^\w/{}-]/g, '_')}` };
      const first = await env.request(o.method, url(o), { token: a.ownerToken, body, headers });
      expect(first.status, `${o.key}: ${first.text}`).toBeLessThan(300);
      const secrets = secretsOf(first.json, `${url(o)} ${JSON.stringify(body)}`);
      expect(secrets.length).toBeGreaterThan(0);
      const again = await env.request(o.method, url(o), { token: a.ownerToken, body, headers });
      if (again.headers.get('idempotent-replayed') !== 'true') failures.push(`${o.key}: the owner's own retry was not replayed`);
      const replays = [{ name: 'lacking scope', token: lacking, status: 403 }];
      if (o.path.includes('{project}')) replays.push({ name: 'narrowed away', token: narrow.token, status: 404 });
      for (const r of replays) {
        matrixCases += 1;
        const reply = await env.request(o.method, url(o), { token: r.token, body, headers });
        if (reply.status !== r.status || !reply.headers.get('content-type')?.includes('application/problem+json')) failures.push(`${o.key} ${r.name}: ${reply.status} ${reply.text.slice(0, 120)}`);
        const leaked = secrets.filter((s) => reply.text.includes(s));
        if (leaked.length || reply.headers.get('idempotent-replayed')) failures.push(`${o.key} ${r.name}: replayed ${leaked.join(', ')}`);
      }
      // Another identity in the org with the same key is a first request of its own, never the owner's replay.
      const otherUser = await env.request(o.method, url(o), { token: member.token, body, headers });
      if (otherUser.headers.get('idempotent-replayed')) failures.push(`${o.key}: replayed to another user`);
    }
    expect(failures).toEqual([]);
  });
});
