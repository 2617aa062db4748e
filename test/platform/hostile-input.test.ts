// Hostile input that used to answer 500 (issue 16, finding 9): tampered
// cursors on every listing, and free-form JSON fields nested thousands of
// levels deep or oversized. Each is a 422 naming the field, problem+json,
// and writes nothing. Routes come from openapi.yaml, so a new listing or a
// new free-form field is covered without naming it here.
import { readFileSync } from 'node:fs';
import { sql } from 'drizzle-orm';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rowsOf } from '../../src/platform/db.js';
import { runnerCalls, selectAll } from '../support/execution.js';
import { accept, text, upload } from '../support/freshness.js';
import { TestEnv, type OrgFixture, type Reply } from '../support/harness.js';
import { cursorOf, deepObject, deepObjectJson, fieldName, freeFormPaths, hostileFreeFormJson, invalidForEveryListing, rawJsonMarker, takesCursor, withRawJson, withValueAt, wrongForSomeListing } from '../support/hostile-json.js';
import { resolveRef } from '../support/openapi-sample.js';
import { operationsOf, sampleBody, sampleUrl } from '../support/sample-request.js';

const doc = parse(readFileSync(new URL('../../openapi.yaml', import.meta.url), 'utf8'));
const operations = operationsOf(doc);

let env: TestEnv;
let org: OrgFixture;
let fixtures: Record<string, string>;
let lease: string;

/** Every committed row, counted: a refused request must leave them all as they were. */
async function rowCount() {
  const rows = rowsOf<{ n: number }>(await env.database.db.execute(sql`
    select (select count(*) from review_job_items where status = 'done')::int + (select count(*) from review_jobs where status <> 'running')::int
      + (select count(*) from acceptance_events)::int + (select count(*) from audit_log)::int + (select count(*) from api_tokens)::int as n`));
  return rows[0].n;
}

beforeAll(async () => {
  env = await TestEnv.start({ limits: { maxBodyBytes: 1024 * 1024 } });
  org = await env.createOrg();
  const member = await env.addMember(org, 'member');
  const slug = 'hostile';
  await env.createProject(org.ownerToken, { slug });
  const note = await text('kb/notes/é-note.md', '# N\n');
  const gate = await text('kb/gates/g.md', '# G\n');
  await upload(env, org.ownerToken, slug, [note, gate]);
  const r = runnerCalls(env, org.ownerToken);
  await r.create(slug, { runner: 'fixture', model_partition: 'm', select: selectAll([note], [gate]) });
  const claimed = (await r.claim({ runner: 'fixture', projects: [slug] })).json;
  lease = claimed.lease.id;
  const group = await env.request('POST', '/v1/org/groups', { token: org.ownerToken, body: { name: 'hostile' } });
  const spare = await env.request('POST', '/v1/org/tokens', { token: org.ownerToken, body: { name: 'spare' } });
  fixtures = { project: slug, job: claimed.job.id, item: claimed.items[0].id, user: member.userId, group: group.json.id, token: spare.json.id, sha256: note.sha256, partition: 'm', alias: 'a', runner: 'fixture' };
});
afterAll(() => env.close());

function expectNamed(reply: Reply, code: string, path: string, where: string) {
  expect(reply.status, `${where}: ${reply.text.slice(0, 200)}`).toBe(422);
  expect(reply.headers.get('content-type'), where).toContain('application/problem+json');
  expect(reply.json.code, where).toBe(code);
  expect(reply.json.errors.map((e: any) => e.path), where).toContain(path);
}

const listings = operations.filter((o) => o.method === 'GET' && takesCursor(doc, o));
const json = { 'content-type': 'application/json' };
const get = (url: string, cursor: string) => env.request('GET', `${url}${url.includes('?') ? '&' : '?'}cursor=${encodeURIComponent(cursor)}`, { token: org.ownerToken });

describe('tampered cursors', () => {
  it('every listing answers a cursor no listing issues with 422 invalid_cursor naming query.cursor', async () => {
    expect(listings.length).toBeGreaterThanOrEqual(7);
    for (const o of listings) {
      for (const cursor of invalidForEveryListing) expectNamed(await get(sampleUrl(doc, o, fixtures), cursor), 'invalid_cursor', 'query.cursor', `${o.key} ${cursor}`);
    }
  });

  it('a cursor of another listing\'s form ("x|y", a number for a string, a bad date) is never a 5xx; when refused it is invalid_cursor', async () => {
    for (const o of listings) {
      for (const cursor of wrongForSomeListing) {
        const reply = await get(sampleUrl(doc, o, fixtures), cursor);
        expect([200, 422], `${o.key} ${cursor}: ${reply.text.slice(0, 200)}`).toContain(reply.status);
        if (reply.status === 422) expect(reply.json.code).toBe('invalid_cursor');
      }
    }
  });

  it('each listing refuses exactly what it never issues: jobs "x|y", acceptance non-JSON or a number, ids that are not uuids', async () => {
    const cases: [string, unknown][] = [
      [`/v1/projects/hostile/jobs`, 'x|y'], [`/v1/projects/hostile/jobs`, `2026-02-30 00:00:00+00|${crypto.randomUUID()}`], [`/v1/projects/hostile/jobs`, 5],
      [`/v1/projects/hostile/acceptance`, 'not json'], [`/v1/projects/hostile/acceptance`, 5], [`/v1/projects/hostile/acceptance`, JSON.stringify(['a', 'b'])],
      [`/v1/projects/hostile/acceptance?note_path=kb/n.md&gate_path=kb/g.md&model_partition=m`, 'x'],
      ['/v1/org/tokens', 'not-a-uuid'], ['/v1/org/members', 'not-a-uuid'], ['/v1/org/audit', 'x'], ['/v1/projects', 5], ['/v1/org/groups', 5],
    ];
    for (const [url, value] of cases) expectNamed(await get(url, cursorOf(value)), 'invalid_cursor', 'query.cursor', `${url} ${JSON.stringify(value)}`);
    expectNamed(await get('/v1/projects/hostile/jobs', 'x|y'), 'invalid_cursor', 'query.cursor', 'raw x|y');
  });

  it('the cursors the API issues still page, with text past Latin-1 in them (btoa alone threw: a 500 on page two)', async () => {
    for (const name of ['a1-組', 'a2-€']) await env.request('POST', '/v1/org/groups', { token: org.ownerToken, body: { name } });
    const first = await env.request('GET', '/v1/org/groups?limit=1', { token: org.ownerToken });
    expect(first.status, first.text).toBe(200);
    const names = [first.json.items[0].name];
    for (let cursor = first.json.next_cursor; cursor;) {
      const next = await get('/v1/org/groups?limit=1', cursor);
      expect(next.status, next.text).toBe(200);
      names.push(...next.json.items.map((g: any) => g.name));
      cursor = next.json.next_cursor;
    }
    expect(names).toEqual(['a1-組', 'a2-€', 'hostile']);
    const notes = await Promise.all(['kb/notes/a1-日本.md', 'kb/notes/a2-€.md'].map((p) => text(p, `# ${p}\n`)));
    const gate = await text('kb/gates/g.md', '# G\n');
    await upload(env, org.ownerToken, 'hostile', [...notes, gate]);
    await accept(env, org, 'hostile', 'm', notes.map((n) => [n, gate]));
    const page1 = await env.request('GET', '/v1/projects/hostile/acceptance?limit=1', { token: org.ownerToken });
    expect(page1.status, page1.text).toBe(200);
    const page2 = await get('/v1/projects/hostile/acceptance?limit=1', page1.json.next_cursor);
    expect(page2.status, page2.text).toBe(200);
    expect([page1.json.items[0].note_path, page2.json.items[0].note_path]).toEqual(['kb/notes/a1-日本.md', 'kb/notes/a2-€.md']);
  });
});

describe('free-form JSON fields', () => {
  const fields = operations.flatMap((o) => {
    const schema = o.op.requestBody?.content?.['application/json']?.schema;
    return schema ? freeFormPaths(doc, schema).map((path) => ({ o, schema, path })) : [];
  });

  it('are found in the document: telemetry of a result, of a finalize and of a batch finalize', () => {
    expect(fields.map((f) => `${f.o.key} ${fieldName(f.path)}`)).toEqual(expect.arrayContaining([
      'PUT /v1/jobs/{job}/items/{item}/result body.telemetry',
      'POST /v1/jobs/{job}/finalize body.results.0.telemetry',
      'POST /v1/jobs/finalize/batch body.jobs.0.results.0.telemetry',
    ]));
  });

  it('refuse an object nested 5,000 levels deep (or past the limit) or oversized with a 422 naming the field; nothing is written', async () => {
    const before = await rowCount();
    for (const { o, schema, path } of fields) {
      for (const [i, raw] of hostileFreeFormJson.entries()) {
        const body = withValueAt(doc, resolveRef(doc, schema), sampleBody(doc, o), path, rawJsonMarker(i));
        const reply = await env.request(o.method, sampleUrl(doc, o, fixtures), { token: org.ownerToken, rawBody: withRawJson(body), headers: json });
        expectNamed(reply, 'validation_failed', fieldName(path), `${o.key} ${fieldName(path)} ${raw.slice(0, 20)} (${raw.length} bytes)`);
      }
    }
    // The job's own lease, so nothing but the telemetry stands in the way.
    const own = await env.request('PUT', `/v1/jobs/${fixtures.job}/items/${fixtures.item}/result`, { token: org.ownerToken, rawBody: `{"lease_id":"${lease}","outcome":"pass","artifact":"x","telemetry":${deepObjectJson(5_000)}}`, headers: json });
    expectNamed(own, 'validation_failed', 'body.telemetry', 'own lease, deep telemetry');
    expect(own.json.errors[0].message).toMatch(/deeper than 16 levels/);
    expect(await rowCount()).toBe(before);
  });

  it('still take ordinary telemetry, up to the limit', async () => {
    const reply = await env.request('PUT', `/v1/jobs/${fixtures.job}/items/${fixtures.item}/result`, { token: org.ownerToken, body: { lease_id: lease, outcome: 'pass', artifact: 'x', telemetry: { model: 'm', tokens: 10, nested: deepObject(15) } } });
    expect(reply.status, reply.text).toBe(200);
  });
});
