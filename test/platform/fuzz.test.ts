// Schema-driven fuzzing of every operation in openapi.yaml: requests drawn
// from fast-check arbitraries derived from the schemas, with hostile values
// (huge, deep, wrong types, unicode edge cases, path tricks, SQL and JSON
// metacharacters, duplicate keys in raw bodies). Every answer must be a
// status the document lists for the operation the URL reaches, never a 5xx,
// errors as problem+json without a stack trace, and a failed request must
// leave every table exactly as it was (no row inserted, updated or deleted:
// a test-only trigger counts every committed row write).
//
// Every operation with a `cursor` parameter also gets tampered cursors, and
// every free-form object field objects far too deep or big (hostile-json.ts,
// found from the document): neither may ever be answered with a success.
//
// GATEHOUSE_FUZZ_RUNS sets the requests per operation (default 25; the
// release run uses 10000); GATEHOUSE_FUZZ_SEED replays a run;
// GATEHOUSE_FUZZ_SHARD=k/n runs every n-th operation from the k-th, so a long
// run can be split over processes (each with its own database).
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestEnv, type OrgFixture } from '../support/harness.js';
import { useKnownValues } from '../support/fuzz-arbitrary.js';
import { carriesInvalidCursor, takesCursor } from '../support/hostile-json.js';
import { type FuzzRequest, installWriteCounter, requestArb, routesFor } from '../support/fuzz-request.js';
import { operationsOf, type Operation } from '../support/sample-request.js';

const doc = parse(readFileSync(new URL('../../openapi.yaml', import.meta.url), 'utf8'));
const operations = operationsOf(doc);
const RUNS = Number(process.env.GATEHOUSE_FUZZ_RUNS || 25);
const SEED = Number(process.env.GATEHOUSE_FUZZ_SEED || Date.now() % 2 ** 31);
const CHUNK = 250;
const [SHARD, SHARDS] = (process.env.GATEHOUSE_FUZZ_SHARD || '1/1').split('/').map(Number);
if (!(SHARDS >= 1 && SHARD >= 1 && SHARD <= SHARDS)) throw new Error(`GATEHOUSE_FUZZ_SHARD must be k/n with 1 ≤ k ≤ n, not ${process.env.GATEHOUSE_FUZZ_SHARD}`);
const fuzzed = operations.filter((_, i) => i % SHARDS === SHARD - 1);
const STACK = /\bat .+\.(ts|js|mjs):\d+|node_modules|Error: /;

let env: TestEnv;
let org: OrgFixture;
let operator: string;
let fingerprint: () => Promise<string>;
const totals = { requests: 0, byOperation: {} as Record<string, number> };

beforeAll(async () => {
  env = await TestEnv.start({ limits: { maxBodyBytes: 1024 * 1024 } });
  org = await env.createOrg();
  operator = await env.operatorToken();
  fingerprint = await installWriteCounter(env.database.db);
});
afterAll(async () => {
  console.log(`fuzz (${env.database.kind}, seed ${SEED}, shard ${SHARD}/${SHARDS}): ${totals.requests} requests, ${RUNS} per operation over ${Object.keys(totals.byOperation).length} operations`);
  await env.close();
});

/** Live ids for every path parameter, fresh per operation so one operation's deletes never starve another. */
async function fixturesFor(): Promise<Record<string, string>> {
  const token = org.ownerToken;
  const member = await env.addMember(org, 'member');
  const project = await env.createProject(token);
  const group = await env.request('POST', '/v1/org/groups', { token, body: { name: env.unique('fuzz-group') } });
  const spare = await env.request('POST', '/v1/org/tokens', { token, body: { name: 'spare' } });
  const note = await env.uploadText(token, project.slug, 'kb/notes/fuzz.md', '# Fuzz\n\nA note.\n');
  const gate = await env.uploadText(token, project.slug, 'kb/gates/fuzz.md', '---\nwatches: [body]\n---\n# Gate\n');
  await env.request('POST', `/v1/projects/${project.slug}/registry/partitions`, { token, body: { model_partition: 'fuzz-part' } });
  await env.request('PUT', `/v1/projects/${project.slug}/registry/aliases/fuzz-alias`, { token, body: { model_partition: 'fuzz-part' } });
  await env.request('PUT', `/v1/projects/${project.slug}/registry/runner-models/fuzz-part/fuzz-runner`, { token, body: { runner_model: 'm-1' } });
  const job = await env.request('POST', `/v1/projects/${project.slug}/jobs`, { token, body: { runner: 'fuzz-runner', model_partition: 'fuzz-part', items: [{ note_path: note.path, note_sha256: note.sha256, gate_path: gate.path, gate_sha256: gate.sha256 }] } });
  const view = await env.request('GET', `/v1/jobs/${job.json.jobs[0].id}`, { token });
  return { note_path: note.path, gate_path: gate.path, gate_sha256: gate.sha256, job: view.json.id, item: view.json.items[0].id, project: project.slug, user: member.userId, group: group.json.id, token: spare.json.id, sha256: note.sha256, partition: 'fuzz-part', alias: 'fuzz-alias', runner: 'fuzz-runner' };
}

/** A long-poll would make the fuzz wait up to a minute per draw: valid waits become 0 (invalid ones stay). */
const tame = (o: Operation, body: FuzzRequest['body']) =>
  typeof body === 'string' && o.path.includes('/claim') ? body.replace(/"wait_seconds"\s*:\s*[-+\d.eE]+/g, '"wait_seconds":0') : body;

function check(o: Operation, req: FuzzRequest, status: number, type: string, text: string): string | null {
  const reached = routesFor(operations, o.method, req.url);
  const documented = reached.length ? new Set(reached.flatMap((r) => Object.keys(r.op.responses).map(Number))) : new Set([404, 405]);
  // /v1 middleware runs before routing: unstorable text is refused even on a path no route has.
  if (!reached.length && status === 422 && text.includes('without NUL')) return null;
  if (status >= 500) return `${status} ${text.slice(0, 200)}`;
  if (!documented.has(status)) return `undocumented ${status} (documented: ${[...documented].join(',')}) ${text.slice(0, 160)}`;
  // Hostile shapes from hostile-json.ts: a cursor no listing issues, or a free-form object past its limits, is never accepted.
  if (status < 400 && reached.some((r) => takesCursor(doc, r)) && carriesInvalidCursor(req.url)) return `${status} for a cursor no listing issues`;
  if (status < 400 && req.overLimits && req.headers['content-type'] === 'application/json') return `${status} for a free-form object past its depth or size limit`;
  if (status < 400) return null;
  if (!type.includes('application/problem+json')) return `${status} without problem+json (${type})`;
  let body: any;
  try { body = JSON.parse(text); } catch { return `${status} problem body is not JSON`; }
  if (typeof body.code !== 'string' || body.status !== status || typeof body.detail !== 'string') return `${status} malformed problem ${text.slice(0, 160)}`;
  if (STACK.test(text)) return `${status} leaks a stack trace ${text.slice(0, 160)}`;
  // Bad input names what was bad: a 400 without field errors means input reached the database unchecked.
  if (status === 400 && !(Array.isArray(body.errors) && body.errors.length && body.errors.every((e: any) => typeof e.path === 'string'))) return `400 naming no field: ${body.detail}`;
  return null;
}

describe(`fuzz every operation (${RUNS} requests each)`, () => {
  it('covers every operation in the document', () => {
    expect(operations.length).toBeGreaterThanOrEqual(48);
  });

  // Operations that may remove what the fixtures name get their own; the rest share one set.
  const destructive = (o: Operation) => o.method === 'DELETE' || o.key === 'PUT /v1/projects/{project}/registry' || o.path.endsWith('/cancel');
  let shared: Record<string, string> | undefined;
  for (const o of fuzzed) {
    it(`${o.key}`, async () => {
      const counted = await fingerprint();
      const fixtures = destructive(o) ? await fixturesFor() : (shared ??= await fixturesFor());
      if (o === fuzzed[0]) expect(await fingerprint()).not.toBe(counted); // the counter sees writes
      const token = o.key === 'POST /v1/orgs' ? operator : o.op.security?.length === 0 ? null : org.ownerToken;
      useKnownValues(Object.values(fixtures));
      const arb = requestArb(doc, o, fixtures);
      const failures = new Map<string, string>();
      let baseline = await fingerprint();
      for (let done = 0, chunk = 0; done < RUNS; chunk++) {
        const batch = fc.sample(arb, { numRuns: Math.min(CHUNK, RUNS - done), seed: SEED + chunk });
        for (const req of batch) {
          const headers = { ...req.headers, ...(token ? { authorization: `Bearer ${token}` } : {}) };
          const res = await env.app.request(req.url, { method: o.method, headers, body: tame(o, req.body) as BodyInit | undefined });
          const text = await res.text();
          const problem = check(o, req, res.status, res.headers.get('content-type') ?? '', text);
          const now = await fingerprint();
          if (res.status >= 400 && now !== baseline) failures.set(`wrote on ${res.status}`, `wrote on ${res.status}: ${text.slice(0, 120)}\n    ${describeRequest(req)}`);
          baseline = now;
          if (problem) failures.set(problem.replace(/\d{4,}|[0-9a-f-]{36}/g, '#').slice(0, 100), `${problem}\n    ${describeRequest(req)}`);
        }
        done += batch.length;
      }
      // The fuzz acts as the org's owner, whose id it never draws: its token must still work.
      expect((await env.request('GET', '/v1/org', { token: org.ownerToken })).status).toBe(200);
      totals.requests += RUNS;
      totals.byOperation[o.key] = RUNS;
      expect([...failures.values()], `seed ${SEED}`).toEqual([]);
    }, Math.max(120_000, RUNS * 200));
  }
});

function describeRequest(req: FuzzRequest): string {
  const body = typeof req.body === 'string' ? req.body.slice(0, 300) : req.body ? `<${req.body.length} bytes>` : '';
  return `${req.url.slice(0, 300)} ${JSON.stringify(req.headers)} ${body}`;
}
