// Search snippets are plain text with highlight ranges, never markup
// (issue 16, finding 4): agent-written HTML in an artifact comes back as the
// text it is, and the server adds no tags of its own.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { splitHeadline } from '../../src/search/snippet.js';
import { runnerCalls } from '../support/execution.js';
import { accept, text, upload, type Text } from '../support/freshness.js';
import { TestEnv, type OrgFixture } from '../support/harness.js';

let env: TestEnv;
let org: OrgFixture;
const P = 'snippets';
let note: Text;
let gate: Text;

const HOSTILE = 'Quokka <img src=x onerror=alert(1)> 🦘 migrations <b>bold</b> \u0001marked\u0002 \u001b[31mred\u001b[0m are circular.\n## Result: FAIL';

beforeAll(async () => {
  env = await TestEnv.start();
  org = await env.createOrg();
  await env.createProject(org.ownerToken, { slug: P });
  note = await text('kb/notes/q.md', '# Quokkas\n\n<script>alert(1)</script> Quokka migrations follow the 🦘 rains.\n');
  gate = await text('kb/gates/g.md', '# G\n');
  await upload(env, org.ownerToken, P, [note, gate]);
  await accept(env, org, P, 'm', [[note, gate]]);
  const r = runnerCalls(env, org.ownerToken);
  await r.create(P, { model_partition: 'review', items: [{ note_path: note.path, note_sha256: note.sha256, gate_path: gate.path, gate_sha256: gate.sha256 }] });
  const { job, lease, items } = (await r.claim({ projects: [P] })).json;
  await r.result(job.id, items[0].id, lease.id, 'fail', HOSTILE);
  await r.finalize(job.id, lease.id);
});
afterAll(() => env.close());

const find = (body: Record<string, unknown>) => env.request('POST', `/v1/projects/${P}/search`, { token: org.ownerToken, body: { mode: 'text', ...body } });

describe('search snippets', () => {
  it('an artifact\'s stored HTML comes back as plain text, with highlights as UTF-16 offsets and no markup added', async () => {
    const reply = await find({ query: 'quokka migrations', subject: 'job_item' });
    expect(reply.status, reply.text).toBe(200);
    const hit = reply.json.results[0];
    // The stored text (the marks' own characters removed; what the text-search parser reads as a
    // tag, here <b>, becomes a space), with markup the parser does not read as a tag left as text:
    // the server adds none of its own, and a client must escape the snippet.
    expect(hit.snippet).toContain('<img src=x onerror=alert(1)>');
    expect(hit.snippet).not.toMatch(/<\/?b>/);
    expect(hit.snippet).not.toMatch(/[\u0001\u0002]/);
    expect(hit.snippet).toContain('marked');
    expect(hit.snippet).toContain('\u001b[31mred');
    // Offsets index the JavaScript string: the emoji before "migrations" counts as two.
    expect(hit.highlights.map((h: any) => hit.snippet.slice(h.start, h.end).toLowerCase())).toEqual(['quokka', 'migrations']);
    expect(hit.highlights[0].start).toBe(hit.snippet.indexOf('Quokka'));
    expect(hit.highlights[1].start).toBe(hit.snippet.indexOf('🦘') + 3);
  });

  it('notes too: no markup added, highlight offsets past an emoji', async () => {
    const hit = (await find({ query: 'quokka rains', subject: 'snapshot' })).json.results[0];
    expect(hit.snippet).toContain('alert(1)');
    expect(hit.snippet).not.toMatch(/<\/?b>/);
    expect(hit.highlights.length).toBeGreaterThan(0);
    for (const h of hit.highlights) expect(hit.snippet.slice(h.start, h.end).toLowerCase()).toMatch(/^(quokkas?|rains)$/);
    expect(hit.highlights.at(-1).start).toBe(hit.snippet.indexOf('🦘') + 3);
  });

  it('splitHeadline: ranges in order, none empty, an unclosed mark closed at the end', () => {
    expect(splitHeadline('a \u0001b\u0002 \u0001\u0002c \u0001d')).toEqual({ snippet: 'a b c d', highlights: [{ start: 2, end: 3 }, { start: 6, end: 7 }] });
    expect(splitHeadline('no marks <b>x</b>')).toEqual({ snippet: 'no marks <b>x</b>', highlights: [] });
  });
});
