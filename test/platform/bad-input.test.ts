// Bad input on every operation: a 4xx problem+json naming what was wrong,
// no stack trace, and nothing written. Operations come from openapi.yaml.
import { readFileSync } from 'node:fs';
import { sql } from 'drizzle-orm';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rowsOf } from '../../src/platform/db.js';
import { TestEnv, type OrgFixture } from '../support/harness.js';
import { resolveRef } from '../support/openapi-sample.js';
import { operationsOf, sampleBody, sampleUrl } from '../support/sample-request.js';

const doc = parse(readFileSync(new URL('../../openapi.yaml', import.meta.url), 'utf8'));
const operations = operationsOf(doc);
const withBody = operations.filter((o) => o.op.requestBody?.content?.['application/json']);
const LIMIT = 64 * 1024;

let env: TestEnv;
let org: OrgFixture;
let fixtures: Record<string, string>;

const fill = (o: { method: string; path: string; op: any; key: string }, overrides: Record<string, string> = {}) => sampleUrl(doc, o, fixtures, overrides);

async function snapshotCounts() {
  const rows = rowsOf<{ t: string; n: number }>(await env.database.db.execute(sql`
    select 'projects' as t, count(*)::int as n from projects union all
    select 'users', count(*)::int from users union all
    select 'org_memberships', count(*)::int from org_memberships union all
    select 'groups', count(*)::int from groups union all
    select 'group_memberships', count(*)::int from group_memberships union all
    select 'api_tokens', count(*)::int from api_tokens union all
    select 'orgs', count(*)::int from orgs union all
    select 'audit_log', count(*)::int from audit_log`));
  return Object.fromEntries(rows.map((r) => [r.t, r.n]));
}

function expectProblem(reply: { status: number; headers: Headers; json: any; text: string }, statuses: number[], where: string) {
  expect(statuses, `${where}: ${reply.status} ${reply.text.slice(0, 200)}`).toContain(reply.status);
  expect(reply.headers.get('content-type'), where).toContain('application/problem+json');
  expect(reply.json.code, where).toEqual(expect.any(String));
  expect(reply.json.detail, where).toEqual(expect.any(String));
  expect(reply.text, where).not.toMatch(/\bat .+\.(ts|js):\d+/);
}

beforeAll(async () => {
  env = await TestEnv.start({ limits: { maxBodyBytes: LIMIT } });
  org = await env.createOrg();
  const member = await env.addMember(org, 'member');
  const project = await env.createProject(org.ownerToken, { slug: 'bad-input' });
  const group = await env.request('POST', '/v1/org/groups', { token: org.ownerToken, body: { name: 'bad-input' } });
  const spare = await env.request('POST', '/v1/org/tokens', { token: org.ownerToken, body: { name: 'spare' } });
  const text = await env.uploadText(org.ownerToken, project.slug, 'kb/notes/bad.md', '# Bad input\n');
  await env.request('POST', `/v1/projects/${project.slug}/registry/partitions`, { token: org.ownerToken, body: { model_partition: 'fixture-part' } });
  await env.request('PUT', `/v1/projects/${project.slug}/registry/aliases/fixture-alias`, { token: org.ownerToken, body: { model_partition: 'fixture-part' } });
  await env.request('PUT', `/v1/projects/${project.slug}/registry/runner-models/fixture-part/fixture-runner`, { token: org.ownerToken, body: { runner_model: 'm-1' } });
  const gateText = await env.uploadText(org.ownerToken, project.slug, 'kb/gates/fixture.md', '# Gate\n');
  const job = await env.request('POST', `/v1/projects/${project.slug}/jobs`, { token: org.ownerToken, body: { runner: 'fixture', model_partition: 'fixture-part', items: [{ note_path: text.path, note_sha256: text.sha256, gate_path: gateText.path, gate_sha256: gateText.sha256 }] } });
  const jobView = await env.request('GET', `/v1/jobs/${job.json.jobs[0].id}`, { token: org.ownerToken });
  fixtures = { job: jobView.json.id, item: jobView.json.items[0].id, project: project.slug, user: member.userId, group: group.json.id, token: spare.json.id, sha256: text.sha256, partition: 'fixture-part', alias: 'fixture-alias', runner: 'fixture-runner' };
});
afterAll(() => env.close());

describe('bad input', () => {
  it('every body-taking operation refuses a missing body, non-JSON, wrong types, unknown fields and an oversized body', async () => {
    expect(withBody.length).toBeGreaterThanOrEqual(7);
    const before = await snapshotCounts();
    for (const o of withBody) {
      const path = fill(o);
      const token = o.key === 'POST /v1/orgs' ? await env.operatorToken() : org.ownerToken;
      const schema = resolveRef(doc, o.op.requestBody.content['application/json'].schema);
      const valid = sampleBody(doc, o) as Record<string, unknown>;

      expectProblem(await env.request(o.method, path, { token }), [400, 415, 422], `${o.key} no body`);
      expectProblem(await env.request(o.method, path, { token, rawBody: '{"not json', headers: { 'content-type': 'application/json' } }), [400, 422], `${o.key} broken JSON`);
      expectProblem(await env.request(o.method, path, { token, body: [1, 2, 3] }), [400, 422], `${o.key} array body`);

      const wrongTypes = Object.fromEntries(Object.keys(schema.properties ?? {}).map((k) => [k, { nested: [true] }]));
      const reply = await env.request(o.method, path, { token, body: wrongTypes });
      expectProblem(reply, [422], `${o.key} wrong types`);
      expect(reply.json.errors.length, o.key).toBeGreaterThan(0);
      expect(reply.json.errors.every((e: any) => e.path.startsWith('body')), o.key).toBe(true);

      const unknown = await env.request(o.method, path, { token, body: { ...valid, surprise: 1 } });
      expectProblem(unknown, [422], `${o.key} unknown field`);
      expect(unknown.json.errors.map((e: any) => e.message).join(' '), o.key).toMatch(/surprise/);

      const huge = await env.request(o.method, path, { token, body: { ...valid, padding: 'x'.repeat(LIMIT + 1) } });
      expectProblem(huge, [413], `${o.key} huge body`);
      expect(huge.json.code).toBe('payload_too_large');
    }
    expect(await snapshotCounts()).toEqual(before);
  });

  it('required fields missing are each named', async () => {
    const reply = await env.request('POST', '/v1/org/members', { token: org.ownerToken, body: {} });
    expectProblem(reply, [422], 'members');
    expect(reply.json.errors.map((e: any) => e.path).sort()).toEqual(['body.role', 'body.subject']);
  });

  it('bad path parameters are refused before anything is looked up', async () => {
    const before = await snapshotCounts();
    const bad: Record<string, string[]> = {
      project: ['UPPER', 'has space', '-dash', 'a'.repeat(65), '..', 'x\u0000y'],
      user: ['not-a-uuid', '1', "' or 1=1 --"],
      group: ['not-a-uuid'],
      token: ['not-a-uuid'],
      sha256: ['XYZ', 'a'.repeat(63), 'A'.repeat(64)],
      partition: [' lead', 'x'.repeat(129), 'a b'],
      alias: ['-x', 'a\u0000b'],
      runner: ['UPPER', '-dash', 'a'.repeat(65)],
      job: ['not-a-uuid'],
      item: ['not-a-uuid'],
    };
    for (const o of operations.filter((op) => /\{\w+\}/.test(op.path))) {
      for (const [param, values] of Object.entries(bad)) {
        if (!o.path.includes(`{${param}}`)) continue;
        for (const value of values) {
          const reply = await env.request(o.method, fill(o, { [param]: value }), { token: org.ownerToken, body: sampleBody(doc, o) });
          expectProblem(reply, [404, 422], `${o.key} ${param}=${JSON.stringify(value)}`);
        }
      }
    }
    expect(await snapshotCounts()).toEqual(before);
  });

  it('bad query parameters are named', async () => {
    for (const q of ['limit=0', 'limit=100000', 'limit=abc', 'cursor=%00%00']) {
      const reply = await env.request('GET', `/v1/projects?${q}`, { token: org.ownerToken });
      expectProblem(reply, [422], q);
      expect(reply.json.errors[0].path).toMatch(/^query\./);
    }
  });

  it('an unknown route is a 404 problem, as is a known path with the wrong method', async () => {
    expectProblem(await env.request('GET', '/v1/nothing-here', { token: org.ownerToken }), [404], 'unknown');
    expectProblem(await env.request('GET', '/nothing'), [404], 'unknown root');
    expectProblem(await env.request('PUT', '/v1/projects', { token: org.ownerToken }), [404, 405], 'wrong method');
  });

  it('every problem carries the request id the caller sent', async () => {
    const reply = await env.request('GET', '/v1/org', { headers: { 'x-request-id': 'trace-123' } });
    expect(reply.json.request_id).toBe('trace-123');
    expect(reply.headers.get('x-request-id')).toBe('trace-123');
  });

  it('NUL anywhere in a JSON body (keys too, at any depth) or in a query is a 422 naming where; nothing is written', async () => {
    // Found by the fuzz: a NUL in a job's context reached jsonb and failed as a 500; in a
    // search query or a path prefix it failed in the database as a 400 that named no field.
    const before = await snapshotCounts();
    const project = fixtures.project;
    const pair = { note_path: 'kb/notes/bad.md', note_sha256: fixtures.sha256, gate_path: 'kb/gates/fixture.md', gate_sha256: 'b'.repeat(64) };
    const deepNul = `{"lease_id":"${crypto.randomUUID()}","outcome":"pass","artifact":"x","telemetry":{"d":${'['.repeat(3000)}"a\\u0000"${']'.repeat(3000)}}}`.replace('\\\\u0000', '\\u0000');
    const cases: [string, string, { body?: unknown; raw?: string }, string][] = [
      ['POST', `/v1/projects/${project}/jobs`, { body: { runner: 'r', model_partition: 'x', items: [pair], context: { host: 'a\u0000b' } } }, 'body.context.host'],
      ['POST', `/v1/projects/${project}/jobs`, { body: { runner: 'r', model_partition: 'x', items: [pair], context: { ['k\u0000']: 1 } } }, 'body.context."k\\u0000"'],
      ['POST', `/v1/projects/${project}/search`, { body: { query: 'a\u0000b' } }, 'body.query'],
      ['GET', `/v1/projects/${project}/acceptance?model_partition=x&path_prefix=%00`, {}, 'query.path_prefix'],
      ['PUT', `/v1/jobs/${fixtures.job}/items/${fixtures.item}/result`, { raw: deepNul }, `body.telemetry.d.${Array(3000).fill(0).join('.')}`],
    ];
    // Found on PostgreSQL: a NUL in the path reached idempotency_keys.path before the route's own validation.
    const keyed = await env.request('POST', '/v1/projects/%00/jobs', { token: org.ownerToken, body: { runner: 'r', model_partition: 'x', items: [pair] }, headers: { 'idempotency-key': 'nul-path' } });
    expectProblem(keyed, [422], 'NUL in the path with an Idempotency-Key');
    expect(keyed.json.errors.map((e: any) => e.path)).toEqual(['path']);
    for (const [method, path, input, where] of cases) {
      const reply = input.raw !== undefined
        ? await env.request(method, path, { token: org.ownerToken, rawBody: input.raw, headers: { 'content-type': 'application/json' } })
        : await env.request(method, path, { token: org.ownerToken, body: input.body });
      expectProblem(reply, [422], `${method} ${path.slice(0, 60)}`);
      expect(reply.json.errors.map((e: any) => e.path), path).toEqual([where]);
    }
    // Lone surrogates have no UTF-8 form: PGlite refused them unnamed, node-postgres stored U+FFFD instead.
    const orgReply = await env.request('POST', '/v1/orgs', { token: await env.operatorToken(), rawBody: '{"slug":"surrogate","name":"s","owner":{"subject":"\\udfff"}}', headers: { 'content-type': 'application/json' } });
    expectProblem(orgReply, [422], 'lone surrogate');
    expect(orgReply.json.errors.map((e: any) => e.path)).toEqual(['body.owner.subject']);
    const upload = await env.request('POST', `/v1/projects/${project}/snapshots`, { token: org.ownerToken, rawBody: `{"files":[{"path":"kb/notes/s.md","sha256":"${'c'.repeat(64)}","body":"a\\ud800b"}]}`, headers: { 'content-type': 'application/json' } });
    expect(upload.json.errors.map((e: any) => e.path)).toEqual(['body.files.0.body']);
    expect(await snapshotCounts()).toEqual(before);
  });

  it('a cursor that decodes to something the API never issues (a non-finite number, a NUL) is a 422 naming query.cursor', async () => {
    for (const cursor of [btoa('1e400'), btoa('1.5'), btoa('"a\\u0000"')]) {
      const reply = await env.request('GET', `/v1/org/audit?cursor=${encodeURIComponent(cursor)}`, { token: org.ownerToken });
      expectProblem(reply, [422], cursor);
      expect(reply.json.errors[0].path).toBe('query.cursor');
    }
    const projects = await env.request('GET', `/v1/projects?cursor=${encodeURIComponent(btoa('"a\\u0000"'))}`, { token: org.ownerToken });
    expectProblem(projects, [422], 'projects cursor');
  });

  it('malformed JSON is a 400 naming the body', async () => {
    const reply = await env.request('POST', '/v1/projects', { token: org.ownerToken, rawBody: '{"slug":', headers: { 'content-type': 'application/json' } });
    expectProblem(reply, [400], 'malformed');
    expect(reply.json.errors[0].path).toBe('body');
  });
});
