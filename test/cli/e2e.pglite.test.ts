// The CLI end to end, as a person meets it: the API on the embedded
// database, the `gatehouse` bin as a subprocess, a temporary copy of the
// corpus, and an exec adapter script that writes well-formed output (and,
// once, malformed output).
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CORPUS_ROOT } from '../support/corpus.js';

const root = new URL('../..', import.meta.url).pathname;
const bin = join(root, 'bin/gatehouse.mjs');
let dir: string;
let kb: string;
let server: ChildProcess;
let api: string;
let token: string;

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

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

function gatehouse(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], {
      cwd: kb,
      env: { ...process.env, GATEHOUSE_TOKEN: token, GATEHOUSE_CREDENTIALS: join(dir, 'credentials.json'), NO_COLOR: '1' },
      maxBuffer: 64 * 1024 * 1024,
    }, (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : 2) : 0, stdout, stderr }));
  });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gatehouse-cli-'));
  kb = join(dir, 'kb-root');
  await cp(join(CORPUS_ROOT, 'kb'), join(kb, 'kb'), { recursive: true });
  await writeFile(join(kb, 'adapter.sh'), ADAPTER);
  const port = await freePort();
  const data = join(dir, 'data');
  server = spawn(join(root, 'node_modules/.bin/tsx'), ['src/node.ts'], { cwd: root, env: { ...process.env, GATEHOUSE_DATA_DIR: data, PORT: String(port), DATABASE_URL: '' }, stdio: 'ignore' });
  api = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 300; i++) {
    try { if ((await fetch(`${api}/healthz`)).ok) break; } catch { /* starting */ }
    await new Promise((r) => setTimeout(r, 200));
  }
  token = (await readFile(join(data, 'local-owner.token'), 'utf8')).trim();
  const created = await fetch(`${api}/v1/projects`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ slug: 'kb' }) });
  expect(created.status).toBe(201);
  await writeFile(join(kb, 'gatehouse.json'), JSON.stringify({
    api,
    project: 'kb',
    notes: ['kb/notes/a-[b-f]*.md'],
    gates: ['kb/instructions/review-gates/**/*.md'],
    partition: 'e2e-model',
    runner: 'exec',
    adapters: { exec: { command: 'sh adapter.sh {runner_model}', runner_model: 'fake-model' } },
    grouping: 'note',
    batch_size: 50,
    timeout_seconds: 30,
  }, null, 2));
}, 120_000);

afterAll(async () => {
  // The server closes its embedded database on SIGTERM: wait for it to exit
  // before its data folder goes, or the removal races its last writes.
  if (server && server.exitCode === null && server.signalCode === null) {
    const exited = new Promise((resolve) => server!.once('exit', resolve));
    server.kill('SIGTERM');
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 20_000))]);
  }
  await rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
}, 30_000);

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

    const enq = await gatehouse('enqueue', '--json');
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
    expect((await gatehouse('enqueue', '--json')).code).toBe(0);
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
  it('Ctrl-C during work finishes the current job, then stops', async () => {
    const note = 'kb/notes/a-bare-writing-prompt-does-not-determine-its-intended-contribution.md';
    await writeFile(join(kb, 'slow.sh'), 'cat > /dev/null; sleep 0.3; echo "## Result: PASS"\n');
    const config = JSON.parse(await readFile(join(kb, 'gatehouse.json'), 'utf8'));
    await writeFile(join(kb, 'gatehouse.json'), JSON.stringify({ ...config, runner: 'slow', adapters: { ...config.adapters, slow: { command: 'sh slow.sh' } } }));
    try {
      const enq = JSON.parse((await gatehouse('enqueue', '--json', '--runner', 'slow')).stdout);
      expect(enq.queued).toBe(9);
      const child = spawn(process.execPath, [bin, 'work', '--runner', 'slow', '--json'], {
        cwd: kb, env: { ...process.env, GATEHOUSE_TOKEN: token, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout!.on('data', (d) => { stdout += d; });
      child.stderr!.on('data', (d) => { stderr += d; });
      // Wait until the first review ran, then interrupt.
      for (let i = 0; i < 100 && !stderr.includes('job '); i++) await new Promise((r) => setTimeout(r, 100));
      child.kill('SIGINT');
      const stoppedAt = Date.now();
      const code = await new Promise((resolve) => child.on('exit', resolve));
      // It finished the job in hand (a few seconds), and did not wait out a long-poll.
      expect(Date.now() - stoppedAt).toBeLessThan(15_000);
      expect(code).toBe(0);
      expect(stderr).toContain('finishing the current job');
      expect(JSON.parse(stdout)).toMatchObject({ succeeded: 1, failed: 0 });
      const after = JSON.parse((await gatehouse('status', '--json')).stdout);
      expect(after.pairs.filter((p: any) => p.note_path === note)).toEqual([]);
    } finally {
      await writeFile(join(kb, 'gatehouse.json'), JSON.stringify(config));
    }
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
      const enq = JSON.parse((await gatehouse('enqueue', '--json')).stdout);
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
