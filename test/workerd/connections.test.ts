// How many database connections one request opens on the Worker (issue 17,
// item 18): Workers allow 6 simultaneous connections per request, and the job
// page read each artifact in a transaction of its own, in parallel. The
// database is reached through the test's WebSocket proxy, which counts the
// connections it accepts per path; the request under test gets a path of its
// own (a GATEHOUSE_WS_PROXY variant), so nothing else running is counted.
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import worker from '../../src/worker.js';
import { sha256Hex } from '../../src/freshness/names.js';
import { call, createOrg, operatorToken, unique } from './client.js';

const file = async (path: string, body: string) => ({ path, body, sha256: await sha256Hex(new TextEncoder().encode(body)) });

/** Send one request to the Worker entry with its database reached through a proxy path of its own; answer and connections opened. */
async function counted(path: string, headers: Record<string, string>) {
  const base = env.GATEHOUSE_WS_PROXY!.replace(/\/v1$/, '');
  const probe = `/v1/${unique('probe')}`;
  const pending: Promise<unknown>[] = [];
  const ctx = { waitUntil: (p: Promise<unknown>) => { pending.push(p); }, passThroughOnException: () => {}, props: {} };
  const res = await worker.fetch(new Request(`https://gatehouse.test${path}`, { headers }), { ...env, GATEHOUSE_WS_PROXY: `${base}${probe}` } as never, ctx as never);
  const html = await res.text();
  await Promise.all(pending);
  const stats = await (await fetch(`http://${base}/stats?path=${encodeURIComponent(probe)}`)).json() as { accepted: number };
  return { status: res.status, html, connections: stats.accepted };
}

describe('database connections per request in workerd', () => {
  it('the job page of a job with 12 artifacts opens one database connection', async () => {
    const org = await createOrg(await operatorToken());
    const project = unique('conn');
    await call('POST', '/v1/projects', { token: org.ownerToken, body: { slug: project } });
    const gate = await file('kb/gates/g.md', '# G\n');
    const notes = await Promise.all(Array.from({ length: 12 }, (_, i) => file(`kb/notes/n${i}.md`, `# N${i}\n`)));
    await call('POST', `/v1/projects/${project}/snapshots`, { token: org.ownerToken, body: { files: [...notes, gate] } });
    const select = { notes: notes.map((n) => ({ path: n.path, sha256: n.sha256 })), gates: [{ path: gate.path, sha256: gate.sha256 }] };
    const made = await call('POST', `/v1/projects/${project}/jobs`, { token: org.ownerToken, body: { runner: 'conn', model_partition: 'm', grouping: 'gate', select } });
    expect(made.status, made.text).toBe(201);
    const claimed = await call('POST', '/v1/jobs/claim', { token: org.ownerToken, body: { runner: 'conn', projects: [project] } });
    const { job, lease, items } = claimed.json;
    expect(items).toHaveLength(12);
    const results = items.map((i: any) => ({ item: i.id, outcome: 'pass', artifact: `## Artifact ${i.ordinal}` }));
    const done = await call('POST', `/v1/jobs/${job.id}/finalize`, { token: org.ownerToken, body: { lease_id: lease.id, results } });
    expect(done.status, done.text).toBe(200);

    const page = await counted(`/ui/jobs/${job.id}`, { cookie: `gatehouse_session=${org.ownerToken}` });
    expect(page.status, page.html.slice(0, 300)).toBe(200);
    expect(page.html.match(/<article/g)).toHaveLength(12);
    expect(page.connections).toBe(1);
  });
});
