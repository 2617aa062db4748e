// Generated from openapi.yaml: every operation's answers carry
// `X-Content-Type-Options: nosniff` (issue 16, finding 10), whether a
// refusal, a success, or the text/markdown body of agent-written text; and
// so do the routes outside the document (/ui, /docs, /openapi.json, 404s).
// A route added later is covered as soon as it is in the document.
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runnerCalls } from '../support/execution.js';
import { text, upload } from '../support/freshness.js';
import { TestEnv, type OrgFixture } from '../support/harness.js';
import { operationsOf, sampleBody, sampleUrl } from '../support/sample-request.js';

const doc = parse(readFileSync(new URL('../../openapi.yaml', import.meta.url), 'utf8'));
const operations = operationsOf(doc);
const markdownOps = operations.filter((o) => Object.values<any>(o.op.responses ?? {}).some((r) => r.content?.['text/markdown']));

let env: TestEnv;
let org: OrgFixture;
let fixtures: Record<string, string>;

const nosniff = (headers: Headers) => headers.get('x-content-type-options') === 'nosniff';

beforeAll(async () => {
  env = await TestEnv.start();
  org = await env.createOrg();
  const project = await env.createProject(org.ownerToken, { slug: 'sniff' });
  const note = await text('kb/notes/n.md', '<html><script>alert(1)</script></html>\n');
  const gate = await text('kb/gates/g.md', '# G\n');
  await upload(env, org.ownerToken, project.slug, [note, gate]);
  const r = runnerCalls(env, org.ownerToken);
  await r.create(project.slug, { model_partition: 'm', items: [{ note_path: note.path, note_sha256: note.sha256, gate_path: gate.path, gate_sha256: gate.sha256 }] });
  const { job, lease, items } = (await r.claim({ projects: [project.slug] })).json;
  await r.result(job.id, items[0].id, lease.id, 'fail', '<html><body onload=alert(1)>\n## Result: FAIL');
  await r.finalize(job.id, lease.id);
  fixtures = {
    project: project.slug, job: job.id, item: items[0].id, sha256: note.sha256, partition: 'm', alias: 'sniff-alias', runner: 'sniff-runner',
    // Ids nobody has: the destructive operations below answer 404 rather than removing the owner.
    user: crypto.randomUUID(), group: crypto.randomUUID(), token: crypto.randomUUID(),
  };
});
afterAll(() => env.close());

describe('X-Content-Type-Options: nosniff on every answer', () => {
  it('finds the operations, the markdown ones among them', () => {
    expect(operations.length).toBeGreaterThanOrEqual(21);
    expect(markdownOps.map((o) => o.key)).toEqual(expect.arrayContaining(['GET /v1/projects/{project}/snapshots/{sha256}', 'GET /v1/jobs/{job}/items/{item}/artifact']));
  });

  it('the text/markdown bodies of stored text', async () => {
    for (const o of markdownOps) {
      const reply = await env.request(o.method, sampleUrl(doc, o, fixtures), { token: org.ownerToken, headers: { accept: 'text/markdown' } });
      expect(reply.status, o.key).toBe(200);
      expect(reply.headers.get('content-type'), o.key).toContain('text/markdown');
      expect(nosniff(reply.headers), o.key).toBe(true);
    }
  });

  it('every operation, refused without a token and answered to the owner (success or problem)', async () => {
    const failures: string[] = [];
    // Reads before writes, so a DELETE cannot remove what a later request needs.
    const ordered = [...operations].sort((a, b) => Number(a.method === 'DELETE') - Number(b.method === 'DELETE'));
    for (const o of ordered) {
      for (const token of [null, org.ownerToken]) {
        const reply = await env.request(o.method, sampleUrl(doc, o, fixtures), { token, body: sampleBody(doc, o) });
        if (!nosniff(reply.headers)) failures.push(`${o.key} (${token ? 'owner' : 'no token'}): ${reply.status} without nosniff`);
      }
    }
    expect(failures).toEqual([]);
  });

  it('routes outside the document: the dashboard, its assets, /docs, /openapi.json, 404s and malformed requests', async () => {
    const cases: [string, string, Record<string, string>?][] = [
      ['GET', '/ui'], ['GET', '/ui/sign-in'], ['GET', '/ui/static/app.css'], ['GET', '/ui/no-such-page'], ['GET', '/ui/'],
      ['GET', '/docs'], ['GET', '/openapi.json'], ['GET', '/healthz'], ['GET', '/no-such-route'], ['GET', '/v1/no-such-route'],
    ];
    for (const [method, path] of cases) {
      const reply = await env.request(method, path);
      expect(nosniff(reply.headers), `${method} ${path} (${reply.status})`).toBe(true);
    }
    const malformed = await env.request('POST', '/v1/projects', { token: org.ownerToken, rawBody: '{ nope', headers: { 'content-type': 'application/json' } });
    expect(malformed.status).toBe(400);
    expect(nosniff(malformed.headers)).toBe(true);
  });
});
