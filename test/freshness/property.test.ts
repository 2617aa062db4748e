// Random sequences of upload / accept / ack / retire / GC against a model.
// After every step: GC never removed a referenced text, acceptance_current
// equals what the events imply (the integrity check rebuilds it), no event
// ever changed, and the select answers what the model predicts.
import fc from 'fast-check';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rowsOf } from '../../src/platform/db.js';
import { TestEnv, type OrgFixture } from '../support/harness.js';
import { accept, manifest, select, text, upload, type Text } from '../support/freshness.js';

const NOTES = 3;
const GATES = 2;
const M = 'prop';

type Op =
  | { op: 'upload'; note: number; version: number }
  | { op: 'editGate'; gate: number; version: number }
  | { op: 'accept'; note: number; gate: number }
  | { op: 'ack'; note: number; gate: number }
  | { op: 'retire'; note: number }
  | { op: 'gc' };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constant('upload' as const), note: fc.nat(NOTES - 1), version: fc.nat(3) }),
  fc.record({ op: fc.constant('editGate' as const), gate: fc.nat(GATES - 1), version: fc.nat(2) }),
  fc.record({ op: fc.constant('accept' as const), note: fc.nat(NOTES - 1), gate: fc.nat(GATES - 1) }),
  fc.record({ op: fc.constant('accept' as const), note: fc.nat(NOTES - 1), gate: fc.nat(GATES - 1) }),
  fc.record({ op: fc.constant('ack' as const), note: fc.nat(NOTES - 1), gate: fc.nat(GATES - 1) }),
  fc.record({ op: fc.constant('retire' as const), note: fc.nat(NOTES - 1) }),
  fc.record({ op: fc.constant('gc' as const) }),
);

let env: TestEnv;
let org: OrgFixture;
let run = 0;
beforeAll(async () => {
  env = await TestEnv.start();
  org = await env.createOrg();
});
afterAll(() => env.close());

async function events(projectId: string) {
  return rowsOf<Record<string, unknown>>(await env.database.db.execute(sql`select * from acceptance_events where project_id = ${projectId} order by id`));
}

describe('freshness under random operation sequences', () => {
  it('keeps its invariants', async () => {
    await fc.assert(fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 14 }), async (ops) => {
      run += 1;
      const slug = `prop-${run}`;
      const project = await env.createProject(org.ownerToken, { slug });
      const noteText = (i: number, v: number) => text(`kb/notes/n${i}.md`, `# Note ${i}\n\nversion ${v}\n`);
      const gateText = (i: number, v: number) => text(`kb/gates/g${i}.md`, `---\nwatches: [body]\n---\n# Gate ${i} v${v}\n`);
      // The working copy: the latest text of each file (all start at version 0, uploaded).
      const notes: Text[] = await Promise.all(Array.from({ length: NOTES }, (_, i) => noteText(i, 0)));
      const gates: Text[] = await Promise.all(Array.from({ length: GATES }, (_, i) => gateText(i, 0)));
      await upload(env, org.ownerToken, slug, [...notes, ...gates]);
      // The model: what each pair's current acceptance holds.
      const model = new Map<string, { note: string; gate: string; revision: number; live: boolean }>();
      const key = (n: number, g: number) => `${n}:${g}`;

      for (const step of ops) {
        const before = await events(project.id);
        if (step.op === 'upload') {
          notes[step.note] = await noteText(step.note, step.version);
          await upload(env, org.ownerToken, slug, [notes[step.note]]);
        } else if (step.op === 'editGate') {
          gates[step.gate] = await gateText(step.gate, step.version);
          await upload(env, org.ownerToken, slug, [gates[step.gate]]);
        } else if (step.op === 'accept') {
          await accept(env, org, slug, M, [[notes[step.note], gates[step.gate]]]);
          const prev = model.get(key(step.note, step.gate));
          model.set(key(step.note, step.gate), { note: notes[step.note].sha256, gate: gates[step.gate].sha256, revision: (prev?.revision ?? 0) + 1, live: true });
        } else if (step.op === 'ack') {
          const prev = model.get(key(step.note, step.gate));
          const reply = await env.request('POST', `/v1/projects/${slug}/acks`, {
            token: org.ownerToken,
            body: { model_partition: M, reason: 'prop', pairs: [{ note_path: notes[step.note].path, note_sha256: notes[step.note].sha256, gate_path: gates[step.gate].path, gate_sha256: gates[step.gate].sha256, expected_revision: prev?.revision ?? 1 }] },
          });
          if (prev?.live) {
            expect(reply.status).toBe(200);
            model.set(key(step.note, step.gate), { note: notes[step.note].sha256, gate: gates[step.gate].sha256, revision: prev.revision + 1, live: true });
          } else {
            expect(reply.status).toBe(422);
          }
        } else if (step.op === 'retire') {
          await env.request('POST', `/v1/projects/${slug}/retire`, { token: org.ownerToken, body: { paths: [notes[step.note].path] } });
          for (let g = 0; g < GATES; g++) {
            const prev = model.get(key(step.note, g));
            if (prev?.live) model.set(key(step.note, g), { ...prev, revision: prev.revision + 1, live: false });
          }
        } else {
          const reply = await env.request('POST', `/v1/projects/${slug}/gc`, { token: org.ownerToken, body: { dry_run: false, min_age_seconds: 0 } });
          expect(reply.status).toBe(200);
          // GC may take texts no acceptance uses, even the working copy's: upload them again, as a client would.
          await upload(env, org.ownerToken, slug, [...notes, ...gates]);
        }

        // No event ever changes; new ones only append.
        const after = await events(project.id);
        expect(after.slice(0, before.length)).toEqual(before);
        // acceptance_current is exactly what the events imply; every reference resolves.
        const integrity = await env.request('GET', `/v1/projects/${slug}/integrity?rehash=all`, { token: org.ownerToken });
        expect(integrity.json.findings).toEqual([]);
        // The select agrees with the model.
        const answer = await select(env, org.ownerToken, slug, { model_partition: M, notes: manifest(notes), gates: manifest(gates), include_fresh: true });
        for (const pair of answer.json.pairs) {
          const n = notes.findIndex((t) => t.path === pair.note_path);
          const g = gates.findIndex((t) => t.path === pair.gate_path);
          const m = model.get(key(n, g));
          const expected = !m || !m.live ? 'missing' : m.note === notes[n].sha256 && m.gate === gates[g].sha256 ? 'fresh' : 'stale';
          expect(pair.status, `${step.op} ${pair.note_path} x ${pair.gate_path}`).toBe(expected);
          expect(pair.revision).toBe(m ? m.revision : null);
        }
      }
    }), { numRuns: 15, endOnFailure: true });
  }, 300_000);
});
