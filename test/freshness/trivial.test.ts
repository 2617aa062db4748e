// Trivial-change rules on real files from the corpus: edit a title only, a
// description only, the body only, and check which gates may ack.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classifyNoteChange, gateWatches, noteParts } from '../../src/freshness/trivial.js';
import { corpusFiles } from '../support/corpus.js';
import { accept, manifest, select, text, upload, type Text } from '../support/freshness.js';
import { TestEnv, type OrgFixture } from '../support/harness.js';

const gatesAll = corpusFiles('kb/instructions/review-gates');
const notesAll = corpusFiles('kb/notes');
const watching = (parts: string[]) => gatesAll.find((g) => JSON.stringify(gateWatches(g.body)) === JSON.stringify(parts))!;
const chosenGates = { body: watching(['body']), title: watching(['title']), titleDescription: watching(['title', 'description']), all: watching(['title', 'description', 'body']) };
const note = notesAll.find((n) => /^description: /m.test(n.body) && /^# /m.test(n.body))!;

const editTitle = (body: string) => body.replace(/^# (.+)$/m, '# $1, revised');
const editDescription = (body: string) => body.replace(/^description: (.*)$/m, 'description: "A different description."');
const editBody = (body: string) => `${body.trimEnd()}\n\nOne more sentence in the body.\n`;

describe('note parts and watches (pure rules)', () => {
  it('finds the gates of each kind in the corpus', () => {
    expect(Object.values(chosenGates).every(Boolean)).toBe(true);
    expect(note).toBeDefined();
  });

  it('splits a note into title, description and body', () => {
    const parts = noteParts(note.body);
    expect(parts.title).toBeTruthy();
    expect(parts.description).toBeTruthy();
    expect(parts.body).not.toContain(`# ${parts.title}`);
  });

  it('each edit changes exactly its part', () => {
    expect(classifyNoteChange(note.body, editTitle(note.body), null)).toMatchObject({ trivial: false, changed: ['title'] });
    expect(classifyNoteChange(note.body, editDescription(note.body), null)).toMatchObject({ trivial: false, changed: ['description'] });
    expect(classifyNoteChange(note.body, editBody(note.body), null)).toMatchObject({ trivial: false, changed: ['body'] });
  });

  it('a gate without watches, or with one it cannot read, watches everything', () => {
    expect(gateWatches('---\nname: x\n---\n')).toBeNull();
    expect(gateWatches('# no frontmatter')).toBeNull();
    expect(gateWatches('---\nwatches: [body, colour]\n---\n')).toBeNull();
    expect(gateWatches('---\nwatches: body\n---\n')).toEqual(['body']);
  });

  it('other frontmatter changes count as metadata; an unparseable note is never trivial', () => {
    const tagged = note.body.replace(/^tags: .*$/m, 'tags: [changed]');
    expect(classifyNoteChange(note.body, tagged, ['body'])).toEqual({ trivial: true, changed: ['metadata'] });
    expect(classifyNoteChange(note.body, tagged, null)).toMatchObject({ trivial: false });
    expect(classifyNoteChange(note.body, '---\n: : bad: [\n---\nx', ['body'])).toMatchObject({ trivial: false, reason: 'unparseable_note' });
  });
});

describe('POST /acks/trivial over corpus files', () => {
  let env: TestEnv;
  let org: OrgFixture;
  const P = 'corpus';
  const M = 'corpus-model';
  let gates: Text[];
  let original: Text;

  beforeAll(async () => {
    env = await TestEnv.start();
    org = await env.createOrg();
    await env.createProject(org.ownerToken, { slug: P });
    gates = await Promise.all(Object.values(chosenGates).map((g) => text(g.path, g.body)));
    original = await text(note.path, note.body);
    await upload(env, org.ownerToken, P, [...gates, original]);
  });
  afterAll(() => env.close());

  async function tryEdit(edit: (body: string) => string) {
    await accept(env, org, P, M, gates.map((g) => [original, g] as [Text, Text]));
    const edited = await text(note.path, edit(note.body));
    await upload(env, org.ownerToken, P, [edited]);
    const body = { model_partition: M, notes: manifest([edited]), gates: manifest(gates) };
    const dry = await env.request('POST', `/v1/projects/${P}/acks/trivial`, { token: org.ownerToken, body: { ...body, dry_run: true } });
    expect(dry.status).toBe(200);
    const real = await env.request('POST', `/v1/projects/${P}/acks/trivial`, { token: org.ownerToken, body: { ...body, dry_run: false } });
    const after = await select(env, org.ownerToken, P, body);
    // Put the original text back as accepted for the next edit.
    await env.request('POST', `/v1/projects/${P}/retire`, { token: org.ownerToken, body: { paths: [note.path] } });
    const names = (list: any[]) => list.map((p) => gates.findIndex((g) => g.path === p.gate_path)).sort();
    return { dry: dry.json, real: real.json, staleAfter: names(after.json.pairs), qualifying: names(dry.json.qualifying), notQualifying: names(dry.json.not_qualifying) };
  }

  // gate indexes: 0 watches [body], 1 [title], 2 [title, description], 3 [title, description, body]
  it('a title-only edit is trivial for gates that do not watch the title', async () => {
    const r = await tryEdit(editTitle);
    expect(r.qualifying).toEqual([0]);
    expect(r.notQualifying).toEqual([1, 2, 3]);
    expect(r.dry.acked).toBe(0);
    expect(r.real.acked).toBe(1);
    expect(r.staleAfter).toEqual([1, 2, 3]);
    expect(r.dry.not_qualifying[0]).toMatchObject({ reason: 'watched_part_changed', changed: ['title'] });
  });

  it('a description-only edit is trivial for gates watching body or title alone', async () => {
    const r = await tryEdit(editDescription);
    expect(r.qualifying).toEqual([0, 1]);
    expect(r.staleAfter).toEqual([2, 3]);
  });

  it('a body-only edit is trivial for gates watching title or description only', async () => {
    const r = await tryEdit(editBody);
    expect(r.qualifying).toEqual([1, 2]);
    expect(r.staleAfter).toEqual([0, 3]);
  });

  it('a changed gate is never trivial', async () => {
    await accept(env, org, P, M, [[original, gates[0]]]);
    const changedGate = await text(gates[0].path, `${gates[0].body}\nA new rule.\n`);
    await upload(env, org.ownerToken, P, [changedGate]);
    const reply = await env.request('POST', `/v1/projects/${P}/acks/trivial`, {
      token: org.ownerToken,
      body: { model_partition: M, notes: manifest([original]), gates: manifest([changedGate]), dry_run: true },
    });
    expect(reply.json.qualifying).toEqual([]);
    expect(reply.json.not_qualifying).toEqual([expect.objectContaining({ reason: 'gate_changed' })]);
  });
});
