// The mixed workload, as autocannon request sequences per actor. Each actor
// kind is its own autocannon instance (per org, with that org's token), all
// running at once; per-route latency is measured here because one instance
// runs several routes. A request's time is from when autocannon asks for it
// (setupRequest, just before it is written) to its complete response.
import { createHash } from 'node:crypto';
import type autocannon from 'autocannon';

export interface OrgSetup {
  slug: string;
  project: string;
  tokens: { reader: string; writer: string; runner: string };
  notes: { path: string; sha256: string }[];
  gates: { path: string; sha256: string }[];
}

/** What each route answered and how long it took; what was written, to check nothing was lost. */
export class Ledger {
  readonly latencies = new Map<string, number[]>();
  readonly statuses = new Map<string, Map<number, number>>();
  readonly uploaded: { org: string; path: string; sha256: string }[] = [];
  readonly created: string[] = [];
  readonly succeeded: string[] = [];

  record(route: string, status: number, ms: number) {
    if (!this.latencies.has(route)) this.latencies.set(route, []);
    this.latencies.get(route)!.push(ms);
    const counts = this.statuses.get(route) ?? new Map<number, number>();
    counts.set(status, (counts.get(status) ?? 0) + 1);
    this.statuses.set(route, counts);
  }
}

/** Statuses that are the route working as designed (204: no job came within the long-poll). */
export const expected: Record<string, number[]> = {
  'POST freshness (select)': [200], 'POST search': [200], 'GET project': [200],
  'POST snapshots': [200], 'POST jobs': [201], 'POST jobs/claim': [200, 204],
  'PUT items/result': [200], 'POST jobs/finalize': [200],
};

type Request = autocannon.Request;
type Ctx = Record<string, any>;

const sha = (text: string) => createHash('sha256').update(text).digest('hex');

/** Wraps a step: stamps the start, and on the response records the route and calls `after`. */
function step(ledger: Ledger, route: string, build: (req: Request, ctx: Ctx) => Request | null, after?: (status: number, body: string, ctx: Ctx) => void): Request {
  return {
    setupRequest: ((req: Request, ctx: Ctx) => {
      const built = build(req, ctx);
      ctx.t0 = performance.now();
      return built as Request;
    }) as never,
    onResponse: ((status: number, body: string, ctx: Ctx) => {
      ledger.record(route, status, performance.now() - ctx.t0);
      after?.(status, body, ctx);
    }) as never,
  };
}

const json = (req: Request, method: string, path: string, body?: unknown): Request =>
  ({ ...req, method: method as Request['method'], path, body: body === undefined ? undefined : JSON.stringify(body) });

/** Reads: a select over the whole manifest, a search, the project. */
export function readerRequests(ledger: Ledger, org: OrgSetup, partition: string): Request[] {
  const select = { model_partition: partition, notes: org.notes, gates: org.gates };
  const queries = ['bench note review', 'gate criterion text', 'result pass', 'markdown knowledge'];
  let n = 0;
  return [
    step(ledger, 'POST freshness (select)', (req) => json(req, 'POST', `/v1/projects/${org.project}/freshness`, select)),
    step(ledger, 'POST search', (req) => json(req, 'POST', `/v1/projects/${org.project}/search`, { query: queries[n++ % queries.length], k: 10 })),
    step(ledger, 'GET project', (req) => json(req, 'GET', `/v1/projects/${org.project}`)),
  ];
}

/** Writes: a new note text, then a one-item job reviewing it against the first gate. */
export function writerRequests(ledger: Ledger, org: OrgSetup, partition: string, tag: string): Request[] {
  let n = 0;
  return [
    step(ledger, 'POST snapshots', (req, ctx) => {
      const path = `kb/notes/load/${tag}-${process.pid}-${n++}.md`;
      const body = `# Load ${tag} ${n}\n\nA note written under load, number ${n}, for ${org.slug}.\n`;
      ctx.note = { path, sha256: sha(body) };
      return json(req, 'POST', `/v1/projects/${org.project}/snapshots`, { files: [{ ...ctx.note, body }] });
    }, (status, _body, ctx) => { if (status === 200) ledger.uploaded.push({ org: org.slug, ...ctx.note }); }),
    step(ledger, 'POST jobs', (req, ctx) => json(req, 'POST', `/v1/projects/${org.project}/jobs`, {
      runner: 'bench', model_partition: partition,
      items: [{ note_path: ctx.note.path, note_sha256: ctx.note.sha256, gate_path: org.gates[0].path, gate_sha256: org.gates[0].sha256 }],
    }), (status, body) => { if (status === 201) ledger.created.push(...JSON.parse(body).jobs.map((j: { id: string }) => j.id)); }),
  ];
}

/** A runner: claim (long-poll 1 s), one result per item, finalize; starts over when no job came. */
export function runnerRequests(ledger: Ledger, org: OrgSetup): Request[] {
  return [
    step(ledger, 'POST jobs/claim', (req) => json(req, 'POST', '/v1/jobs/claim', { runner: 'bench', projects: [org.project], wait_seconds: 1, lease_seconds: 120 }),
      (status, body, ctx) => {
        const claimed = status === 200 ? JSON.parse(body) : null;
        ctx.job = claimed ? { id: claimed.job.id, lease: claimed.lease.id, item: claimed.items[0].id } : null;
      }),
    step(ledger, 'PUT items/result', (req, ctx) => (ctx.job
      ? json(req, 'PUT', `/v1/jobs/${ctx.job.id}/items/${ctx.job.item}/result`, { lease_id: ctx.job.lease, outcome: 'pass', artifact: '## Result: PASS\nReviewed under load: the note meets the gate.' })
      : null)),
    step(ledger, 'POST jobs/finalize', (req, ctx) => json(req, 'POST', `/v1/jobs/${ctx.job.id}/finalize`, { lease_id: ctx.job.lease }),
      (status, body) => { if (status === 200 && JSON.parse(body).status === 'succeeded') ledger.succeeded.push(JSON.parse(body).id); }),
  ];
}
