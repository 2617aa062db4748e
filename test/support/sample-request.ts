// A valid request for any operation of the OpenAPI document: path
// parameters from fixtures, required query parameters and the body sampled
// from their schemas, and hand-made bodies where a schema's rules (which
// JSON Schema cannot say) need more than the required fields.
import { resolveRef, sampleFor } from './openapi-sample.js';

const pair = { note_path: 'kb/notes/sample.md', note_sha256: 'a'.repeat(64), gate_path: 'kb/gates/sample.md', gate_sha256: 'b'.repeat(64) };

export const bodyOverrides: Record<string, () => unknown> = {
  'POST /v1/projects/{project}/freshness': () => ({ model_partition: 'sample', pairs: [pair] }),
  'POST /v1/projects/{project}/acks/trivial': () => ({ model_partition: 'sample', pairs: [pair], dry_run: false }),
  'POST /v1/projects/{project}/jobs': () => ({ runner: 'sample', model_partition: 'sample', items: [pair] }),
  'POST /v1/projects/{project}/imports': () => ({
    source: { kind: 'commonplace', file_name: 'store.sqlite', sha256: 'c'.repeat(64) },
    baselines: [{ ...pair, model_partition: 'sample', source_partition: 'sample', revision: 1, outcome: 'pass', accepted_at: '2026-11-22T01:57:08+00:00' }],
  }),
};

export interface Operation { method: string; path: string; op: any; key: string }

export function operationsOf(doc: any): Operation[] {
  return Object.entries(doc.paths as Record<string, any>).flatMap(([path, item]) =>
    ['get', 'post', 'put', 'patch', 'delete'].filter((m) => item[m]).map((m) => ({ method: m.toUpperCase(), path, op: item[m], key: `${m.toUpperCase()} ${path}` })));
}

export function sampleBody(doc: any, o: Operation): unknown {
  if (bodyOverrides[o.key]) return bodyOverrides[o.key]();
  const schema = o.op.requestBody?.content?.['application/json']?.schema;
  return schema ? sampleFor(doc, resolveRef(doc, schema)) : undefined;
}

/** The operation's URL with path fixtures (and overrides) and its required query parameters. */
export function sampleUrl(doc: any, o: Operation, fixtures: Record<string, string>, overrides: Record<string, string> = {}): string {
  const missing: string[] = [];
  const path = o.path.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = overrides[name] ?? fixtures[name];
    if (value === undefined) missing.push(name);
    return encodeURIComponent(value ?? '');
  });
  if (missing.length) throw new Error(`add a fixture for path parameter(s) ${missing.join(', ')} of ${o.key}`);
  const query = (o.op.parameters ?? []).map((p: any) => resolveRef(doc, p))
    .filter((p: any) => p.in === 'query' && p.required)
    .map((p: any) => `${encodeURIComponent(p.name)}=${encodeURIComponent(String(sampleFor(doc, p.schema ?? {}, p.name)))}`);
  return query.length ? `${path}?${query.join('&')}` : path;
}
