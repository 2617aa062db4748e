// Generated from openapi.yaml: every path-typed field of every request
// (format repo-path or repo-path-prefix, which RepoPath and PathPrefix
// declare) refuses bidi controls, zero-width characters and C1 controls
// with a 422 naming that field, and writes nothing (issue 16, finding 10).
// A route added later with a RepoPath field is covered without listing it
// here; a path field declared as a bare string fails the last test.
import { readFileSync } from 'node:fs';
import { sql } from 'drizzle-orm';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pathProblem } from '../../src/freshness/names.js';
import { rowsOf } from '../../src/platform/db.js';
import { TestEnv, type OrgFixture } from '../support/harness.js';
import { resolveRef } from '../support/openapi-sample.js';
import { operationsOf, sampleBody, sampleUrl, type Operation } from '../support/sample-request.js';

const doc = parse(readFileSync(new URL('../../openapi.yaml', import.meta.url), 'utf8'));
const operations = operationsOf(doc);

/** The first and last of each refused range, and one inside it. */
export const INVISIBLE = [
  '\u202A', '\u202C', '\u202E', '\u2066', '\u2068', '\u2069', // bidi embeddings, overrides, isolates
  '\u200B', '\u200C', '\u200D', '\u2060', '\uFEFF', // zero-width
  '\u0080', '\u0085', '\u009B', '\u009F', // C1 controls (U+009B is CSI)
];

interface PathField { op: Operation; where: 'body' | 'query'; segments: string[]; format: string }

/** Every field whose schema is a repo path (or prefix), found by walking each request body and query. */
function pathFields(): PathField[] {
  const found: PathField[] = [];
  const walk = (schema: any, segments: string[], op: Operation, seen: Set<any>) => {
    const s = resolveRef(doc, schema ?? {});
    if (!s || seen.has(s)) return;
    if (typeof s.format === 'string' && s.format.startsWith('repo-path')) found.push({ op, where: 'body', segments, format: s.format });
    const next = new Set(seen).add(s);
    for (const k of ['anyOf', 'oneOf', 'allOf']) (s[k] ?? []).forEach((x: any) => walk(x, segments, op, next));
    for (const [name, v] of Object.entries(s.properties ?? {})) walk(v, [...segments, name], op, next);
    if (s.items) walk(s.items, [...segments, '[]'], op, next);
  };
  for (const op of operations) {
    walk(op.op.requestBody?.content?.['application/json']?.schema, [], op, new Set());
    for (const p of (op.op.parameters ?? []).map((x: any) => resolveRef(doc, x))) {
      const format = resolveRef(doc, p.schema ?? {}).format;
      if (p.in === 'query' && typeof format === 'string' && format.startsWith('repo-path')) found.push({ op, where: 'query', segments: [p.name], format });
    }
  }
  return found;
}

/** Sets `value` at `segments` ('[]' is the first element), making the objects and arrays on the way. */
function setAt(root: any, segments: string[], value: string): any {
  const top = root && typeof root === 'object' ? structuredClone(root) : {};
  let node = top;
  segments.forEach((seg, i) => {
    const last = i === segments.length - 1;
    const key: string | number = seg === '[]' ? 0 : seg;
    if (seg === '[]' && !Array.isArray(node)) throw new Error('schema walk and sample disagree');
    if (last) node[key] = value;
    else {
      const wantArray = segments[i + 1] === '[]';
      if (node[key] === undefined || node[key] === null || typeof node[key] !== 'object' || Array.isArray(node[key]) !== wantArray) node[key] = wantArray ? [] : {};
      node = node[key];
    }
  });
  return top;
}

const fieldName = (f: PathField) => `${f.where}.${f.segments.map((s) => (s === '[]' ? '0' : s)).join('.')}`;

let env: TestEnv;
let org: OrgFixture;
let fixtures: Record<string, string>;

async function rowCounts() {
  const rows = rowsOf<{ t: string; n: number }>(await env.database.db.execute(sql`
    select 'snapshots' as t, count(*)::int as n from snapshots union all
    select 'events', count(*)::int from acceptance_events union all
    select 'jobs', count(*)::int from review_jobs union all
    select 'audit', count(*)::int from audit_log`));
  return Object.fromEntries(rows.map((r) => [r.t, r.n]));
}

beforeAll(async () => {
  env = await TestEnv.start();
  org = await env.createOrg();
  const project = await env.createProject(org.ownerToken, { slug: 'paths' });
  const text = await env.uploadText(org.ownerToken, project.slug, 'kb/notes/a.md', '# A\n');
  await env.request('POST', `/v1/projects/${project.slug}/registry/partitions`, { token: org.ownerToken, body: { model_partition: 'sample' } });
  fixtures = { project: project.slug, sha256: text.sha256, partition: 'sample', alias: 'alias', runner: 'runner', job: crypto.randomUUID(), item: crypto.randomUUID(), user: org.ownerId, group: crypto.randomUUID(), token: crypto.randomUUID() };
});
afterAll(() => env.close());

describe('path-typed fields refuse invisible and reordering characters', () => {
  const fields = pathFields();

  it('finds the path fields in openapi.yaml', () => {
    expect(fields.length).toBeGreaterThanOrEqual(30);
    // Fields named like paths that are not declared as RepoPath or PathPrefix would escape the rule.
    const named: string[] = [];
    const walk = (schema: any, path: string, key: string, depth = 0) => {
      const s = resolveRef(doc, schema ?? {});
      if (!s || depth > 8) return;
      if (s.type === 'string' && /path|prefix/.test(path.split('.').pop()!) && !String(s.format ?? '').startsWith('repo-path')) named.push(`${key} ${path}`);
      for (const k of ['anyOf', 'oneOf', 'allOf']) (s[k] ?? []).forEach((x: any) => walk(x, path, key, depth + 1));
      for (const [n, v] of Object.entries(s.properties ?? {})) walk(v, `${path}.${n}`, key, depth + 1);
      if (s.items) walk(s.items, `${path}[]`, key, depth + 1);
    };
    for (const o of operations) {
      walk(o.op.requestBody?.content?.['application/json']?.schema, 'body', o.key);
      for (const p of (o.op.parameters ?? []).map((x: any) => resolveRef(doc, x))) if (p.in === 'query') walk(p.schema, `query.${p.name}`, o.key);
    }
    expect(named).toEqual([]);
  });

  it('pathProblem refuses every character of the ranges, and keeps ordinary Unicode', () => {
    const ranges = [[0x80, 0x9f], [0x200b, 0x200d], [0x202a, 0x202e], [0x2060, 0x2060], [0x2066, 0x2069], [0xfeff, 0xfeff]];
    for (const [lo, hi] of ranges) for (let c = lo; c <= hi; c++) expect(pathProblem(`kb/a${String.fromCharCode(c)}b.md`), c.toString(16)).toMatch(/bidi|zero-width|C1/);
    expect(pathProblem('kb/notes/café-日本-🏳️.md')).toBeNull(); // U+FE0F and ZWJ-free emoji stay allowed
  });

  it('every operation: 422 problem+json naming the field, never a 500, and nothing written', async () => {
    const before = await rowCounts();
    const failures: string[] = [];
    for (const f of fields) {
      for (const ch of INVISIBLE) {
        const bad = f.format === 'repo-path-prefix' ? `kb/${ch}` : `kb/notes/evil${ch}dm.md`;
        let url = sampleUrl(doc, f.op, fixtures);
        let body = sampleBody(doc, f.op);
        if (f.where === 'query') {
          const u = new URL(url, 'http://x');
          u.searchParams.set(f.segments[0], bad);
          url = `${u.pathname}${u.search}`;
        } else body = setAt(body, f.segments, bad);
        const reply = await env.request(f.op.method, url, { token: org.ownerToken, body });
        const named = (reply.json?.errors ?? []).some((e: any) => e.path === fieldName(f));
        if (reply.status !== 422 || !reply.headers.get('content-type')?.includes('application/problem+json') || !named) {
          failures.push(`${f.op.key} ${fieldName(f)} U+${ch.charCodeAt(0).toString(16)}: ${reply.status} ${reply.text.slice(0, 160)}`);
        }
      }
    }
    expect(failures).toEqual([]);
    expect(await rowCounts()).toEqual(before);
  });
});
