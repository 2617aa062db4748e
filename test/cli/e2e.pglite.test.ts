// The CLI end to end, as a person meets it: the API on the embedded
// database, the `gatehouse` bin as a subprocess, a temporary copy of the
// corpus, and an exec adapter script that writes well-formed output (and,
// once, malformed output).
import { execFile, spawn } from 'node:child_process';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bin, CliWorld } from '../support/cli-world.js';

let world: CliWorld;
let kb: string;
let api: string;
let token: string;
const gatehouse = (...args: string[]) => world.run(args);

const ADAPTER = `#!/bin/sh
# A stand-in reviewer: reads the prompt, passes every pair, and once (for one
# note) answers with output that breaks the contract.
prompt=$(cat)
note=$(printf '%s\\n' "$prompt" | sed -n 's/^# Note: //p' | head -1)
case "$note" in
  *a-citation-cannot*)
    if [ ! -e malformed.done ]; then
      : > malformed.done
      echo "I could not decide."
      echo "Result: maybe"
      exit 0
    fi ;;
esac
echo "Reviewed $note with model $1."
echo "## Result: PASS"
echo '{"model": "fake-model", "tokens": 42}'
`;

beforeAll(async () => {
  world = await CliWorld.start();
  ({ kb, api, token } = world);
  await world.write('adapter.sh', ADAPTER);
  await world.writeConfig({
    notes: ['kb/notes/a-[b-f]*.md'],
    gates: ['kb/instructions/review-gates/**/*.md'],
    partition: 'e2e-model',
    runner: 'exec',
    adapters: { exec: { command: 'sh adapter.sh {runner_model}', runner_model: 'fake-model' } },
    grouping: 'note',
    batch_size: 50,
  });
}, 120_000);

afterAll(async () => { await world?.stop(); }, 30_000);

async function workUntilEmpty() {
  for (let i = 0; i < 20; i++) {
    const run = await gatehouse('work', '--once', '--json', '--wait', '1');
    const out = JSON.parse(run.stdout);
    if (out.succeeded + out.failed === 0) return;
  }
  throw new Error('the queue did not empty');
}

describe('gatehouse, end to end', () => {
  it('status → enqueue → work → status fresh → edit a title → ack --trivial → only the gates that watch the title stay stale', async () => {
    const first = await gatehouse('status', '--json');
    expect(first.code).toBe(1);
    const before = JSON.parse(first.stdout);
    expect(before.format).toBe('gatehouse-freshness-status/1');
    expect(before.counts).toMatchObject({ fresh: 0, stale: 0, missing: 6 * 42, total: 6 * 42 });

    const enq = await gatehouse('enqueue', '--json', '--yes');
    expect(enq.code, enq.stderr).toBe(0);
    expect(JSON.parse(enq.stdout)).toMatchObject({ queued: 252, model_partition: 'e2e-model' });
    await workUntilEmpty();

    // One item's output broke the contract: its job failed, its raw output kept as an error artifact.
    const afterFirst = JSON.parse((await gatehouse('status', '--json')).stdout);
    expect(afterFirst.counts).toMatchObject({ fresh: 5 * 42, missing: 42 });
    const jobs = await (await fetch(`${api}/v1/projects/kb/jobs?status=failed`, { headers: { authorization: `Bearer ${token}` } })).json();
    expect(jobs.items).toHaveLength(1);
    const failed = await (await fetch(`${api}/v1/jobs/${jobs.items[0].id}`, { headers: { authorization: `Bearer ${token}` } })).json();
    const errored = failed.items.filter((i: any) => i.outcome === 'error');
    expect(errored).toHaveLength(1);
    const artifact = await (await fetch(`${api}/v1/jobs/${failed.id}/items/${errored[0].id}/artifact`, { headers: { authorization: `Bearer ${token}`, accept: 'text/markdown' } })).text();
    expect(artifact).toContain('Result: maybe');

    // Review what failed, again.
    expect((await gatehouse('enqueue', '--json', '--yes')).code).toBe(0);
    await workUntilEmpty();
    const fresh = await gatehouse('status');
    expect(fresh.code, fresh.stdout).toBe(0);
    expect(fresh.stdout).toContain('fresh 252');

    // Edit one note's title.
    const notePath = 'kb/notes/a-bare-writing-prompt-does-not-determine-its-intended-contribution.md';
    const original = await readFile(join(kb, notePath), 'utf8');
    await writeFile(join(kb, notePath), original.replace(/^# (.+)$/m, '# $1, revised'));
    const stale = await gatehouse('status', '--json');
    expect(stale.code).toBe(1);
    const staleJson = JSON.parse(stale.stdout);
    expect(staleJson.counts.stale).toBe(42);
    expect(new Set(staleJson.pairs.map((p: any) => p.reason))).toEqual(new Set(['note_changed']));

    const dry = await gatehouse('ack', '--trivial', '--dry-run', '--json');
    expect(JSON.parse(dry.stdout).acked).toBe(0);
    const acked = await gatehouse('ack', '--trivial', '--json');
    expect(acked.code, acked.stderr).toBe(0);
    const ackedJson = JSON.parse(acked.stdout);
    // The dry run (before any push of the edit) and the real run agree.
    const pairsOf = (list: { note_path: string; gate_path: string }[]) => list.map((q) => `${q.note_path} x ${q.gate_path}`).sort();
    expect(pairsOf(JSON.parse(dry.stdout).qualifying)).toEqual(pairsOf(ackedJson.qualifying));
    expect(ackedJson.acked).toBe(33);
    const after = JSON.parse((await gatehouse('status', '--json')).stdout);
    expect(ackedJson.acked + after.counts.stale).toBe(42);
    // What stays stale is exactly the gates that watch the title.
    const gateWatchesTitle = async (path: string) => /^watches:.*\btitle\b/m.test(await readFile(join(kb, path), 'utf8'));
    for (const p of after.pairs) expect(await gateWatchesTitle(p.gate_path), p.gate_path).toBe(true);
    for (const q of ackedJson.qualifying) expect(await gateWatchesTitle(q.gate_path), q.gate_path).toBe(false);
    expect(after.counts.stale).toBe(9);

    const human = await gatehouse('status');
    expect(human.stdout).toContain(notePath);
    expect(human.stdout).toContain('note_changed');

    // --accepted checks what the server accepted, whatever the config names.
    const acceptedView = JSON.parse((await gatehouse('status', '--accepted', '--json')).stdout);
    expect(acceptedView).toMatchObject({ scope: 'accepted', counts: { total: 252, stale: 9 }, deleted: [] });
  }, 300_000);

  it('retire --detect finds accepted files gone from disk', async () => {
    const gone = 'kb/notes/a-derived-copy-of-recomputable-truth-must-be-checked-or-absent.md';
    await rm(join(kb, gone));
    const status = JSON.parse((await gatehouse('status', '--accepted', '--json')).stdout);
    expect(status.deleted).toEqual([gone]);
    expect(JSON.parse((await gatehouse('retire', '--detect', '--dry-run', '--json')).stdout).paths).toEqual([gone]);
    const retired = JSON.parse((await gatehouse('retire', '--detect', '--json')).stdout);
    expect(retired.retired).toHaveLength(42);
    expect(JSON.parse((await gatehouse('status', '--accepted', '--json')).stdout).deleted).toEqual([]);
  }, 60_000);

  it('diff shows the edit; registry pull writes the file; errors say what to do', async () => {
    const d = await gatehouse('diff', 'kb/notes/a-bare-writing-prompt-does-not-determine-its-intended-contribution.md');
    expect(d.stdout).toContain(', revised');
    const found = JSON.parse((await gatehouse('search', 'bare writing prompt', '--subject', 'snapshot', '--json')).stdout);
    expect(found.results.map((r: any) => r.note_path)).toContain('kb/notes/a-bare-writing-prompt-does-not-determine-its-intended-contribution.md');
    expect((await gatehouse('registry', 'pull')).code).toBe(0);
    const reg = JSON.parse(await readFile(join(kb, 'gatehouse.registry.json'), 'utf8'));
    expect(reg.partitions.map((p: any) => p.model_partition)).toContain('e2e-model');
    const bad = await new Promise<{ code: number; stderr: string }>((resolve) => {
      execFile(process.execPath, [bin, 'status'], { cwd: kb, env: { ...process.env, GATEHOUSE_TOKEN: 'not-a-token', NO_COLOR: '1' } }, (err, _o, stderr) => resolve({ code: (err?.code as number) ?? 0, stderr }));
    });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/hint: the token is missing, expired or revoked/);
  }, 60_000);
  it('a runner killed mid-job (SIGKILL) leaves nothing half-accepted; its lease expires and the next run finishes the job', async () => {
    const note = 'kb/notes/a-bare-writing-prompt-does-not-determine-its-intended-contribution.md';
    // The first review answers, the second never does: the runner dies with one result pushed and the rest in hand.
    await writeFile(join(kb, 'crashy.sh'), 'cat > /dev/null; if [ -e crashed.marker ]; then sleep 60; else touch crashed.marker; echo "## Result: PASS"; fi\n');
    const config = JSON.parse(await readFile(join(kb, 'gatehouse.json'), 'utf8'));
    const crashy = { ...config, notes: [note], runner: 'crashy', partition: 'crash-model', adapters: { ...config.adapters, crashy: { command: 'sh crashy.sh' } } };
    await writeFile(join(kb, 'gatehouse.json'), JSON.stringify(crashy));
    const get = async (path: string) => (await fetch(`${api}${path}`, { headers: { authorization: `Bearer ${token}` } })).json() as Promise<any>;
    try {
      const enq = JSON.parse((await gatehouse('enqueue', '--json', '--yes')).stdout);
      expect(enq.jobs).toHaveLength(1);
      const jobId = enq.jobs[0].id;
      const child = spawn(process.execPath, [bin, 'work', '--once', '--lease', '10', '--json'], { cwd: kb, env: { ...process.env, GATEHOUSE_TOKEN: token, NO_COLOR: '1' }, stdio: 'ignore' });
      let job = await get(`/v1/jobs/${jobId}`);
      for (let i = 0; i < 150 && !job.items.some((it: any) => it.status === 'done'); i++) {
        await new Promise((r) => setTimeout(r, 100));
        job = await get(`/v1/jobs/${jobId}`);
      }
      child.kill('SIGKILL');
      await new Promise((resolve) => child.on('exit', resolve));
      job = await get(`/v1/jobs/${jobId}`);
      expect(job.status).toBe('running');
      const done = job.items.filter((it: any) => it.status === 'done');
      expect(done).toHaveLength(1);
      const history = await get(`/v1/projects/kb/acceptance?note_path=${encodeURIComponent(done[0].note_path)}&gate_path=${encodeURIComponent(done[0].gate_path)}&model_partition=crash-model`);
      expect(history.items).toEqual([]);

      // Another run, once the lease has run out, gets the same job back and finishes it.
      await writeFile(join(kb, 'gatehouse.json'), JSON.stringify({ ...crashy, adapters: { ...crashy.adapters, crashy: config.adapters.exec } }));
      await new Promise((r) => setTimeout(r, 11_000));
      const rescue = JSON.parse((await gatehouse('work', '--once', '--wait', '2', '--json')).stdout);
      expect(rescue).toMatchObject({ succeeded: 1, failed: 0 });
      job = await get(`/v1/jobs/${jobId}`);
      expect(job).toMatchObject({ status: 'succeeded', attempts: 1 });
      const after = await get(`/v1/projects/kb/acceptance?note_path=${encodeURIComponent(done[0].note_path)}&gate_path=${encodeURIComponent(done[0].gate_path)}&model_partition=crash-model`);
      expect(after.items).toHaveLength(1);
    } finally {
      await writeFile(join(kb, 'gatehouse.json'), JSON.stringify(config));
    }
  }, 90_000);
});
