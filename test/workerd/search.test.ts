// Search through the Worker entry inside workerd (the offline embedder: this
// test Worker has no Workers AI binding).
import { beforeAll, describe, expect, it } from 'vitest';
import { sha256Hex } from '../../src/freshness/names.js';
import { call, createOrg, operatorToken, unique, type OrgFixture } from './client.js';

let org: OrgFixture;
let project: string;
const file = async (path: string, body: string) => ({ path, body, sha256: await sha256Hex(new TextEncoder().encode(body)) });

beforeAll(async () => {
  org = await createOrg(await operatorToken());
  project = unique('search');
  await call('POST', '/v1/projects', { token: org.ownerToken, body: { slug: project } });
});

describe('search in workerd', () => {
  it('finds a finished review artifact by text and by vector', async () => {
    const note = await file('kb/notes/a.md', '# A\n');
    const gate = await file('kb/gates/g.md', '# G\n');
    await call('POST', `/v1/projects/${project}/snapshots`, { token: org.ownerToken, body: { files: [note, gate] } });
    await call('POST', `/v1/projects/${project}/jobs`, { token: org.ownerToken, body: { runner: 'exec', model_partition: 'm', items: [{ note_path: note.path, note_sha256: note.sha256, gate_path: gate.path, gate_sha256: gate.sha256 }] } });
    const { job, lease, items } = (await call('POST', '/v1/jobs/claim', { token: org.ownerToken, body: { runner: 'exec', projects: [project] } })).json;
    await call('PUT', `/v1/jobs/${job.id}/items/${items[0].id}/result`, { token: org.ownerToken, body: { lease_id: lease.id, outcome: 'fail', artifact: 'The argument about quokka <img src=x onerror=alert(1)> migrations is circular.\n## Result: FAIL' } });
    await call('POST', `/v1/jobs/${job.id}/finalize`, { token: org.ownerToken, body: { lease_id: lease.id } });
    for (const mode of ['hybrid', 'text', 'vector']) {
      const reply = await call('POST', `/v1/projects/${project}/search`, { token: org.ownerToken, body: { query: 'quokka migrations', mode } });
      expect(reply.status, reply.text).toBe(200);
      expect(reply.json.results[0], mode).toMatchObject({ subject: { kind: 'job_item' }, outcome: 'fail' });
    }
    // Snippets are plain text with highlight offsets, no markup added (docs/search.md).
    const text = (await call('POST', `/v1/projects/${project}/search`, { token: org.ownerToken, body: { query: 'quokka migrations', mode: 'text' } })).json.results[0];
    expect(text.snippet).toContain('<img src=x onerror=alert(1)>');
    expect(text.snippet).not.toMatch(/<\/?b>/);
    expect(text.highlights.map((h: any) => text.snippet.slice(h.start, h.end))).toEqual(['quokka', 'migrations']);
  });
});
