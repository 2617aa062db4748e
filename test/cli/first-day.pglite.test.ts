// What a new team meets in its first minutes with the CLI, as subprocess
// runs on a copy of the corpus: globs that match nothing, diffs before any
// push, paths typed from a subfolder, `| head`, a registry plan refused.
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bin, CliWorld } from '../support/cli-world.js';

let world: CliWorld;
beforeAll(async () => { world = await CliWorld.start(); }, 120_000);
afterAll(async () => { await world?.stop(); }, 30_000);

const NOTE = 'kb/notes/a-bare-writing-prompt-does-not-determine-its-intended-contribution.md';
const GATES = 'kb/instructions/review-gates/accessibility/*.md';
const ADAPTER = { command: 'cat > /dev/null; echo "## Result: PASS"' };

const configure = (over: Record<string, unknown> = {}) => world.writeConfig({
  notes: [NOTE], gates: [GATES], partition: 'first-day', runner: 'exec', adapters: { exec: ADAPTER }, ...over,
});

describe('the CLI on a first day', () => {
  it('a glob that matches no file is an error naming it (exit 2), for status and enqueue alike', async () => {
    await configure({ notes: [NOTE, 'notes/**/*.md'] });
    for (const command of ['status', 'enqueue']) {
      const run = await world.run([command]);
      expect(run.code, command).toBe(2);
      expect(run.stderr).toContain('"notes" in gatehouse.json: the glob "notes/**/*.md" matches no file');
    }
    await configure({ gates: ['kb/gates/*.md'] });
    expect((await world.run(['status', '--json'])).stderr).toContain('"gates" in gatehouse.json: the glob "kb/gates/*.md" matches no file');
  });

  it('diff shows an edit before anything was pushed, from a path typed in a subfolder', async () => {
    await configure();
    expect((await world.run(['enqueue', '--yes'])).code).toBe(0);
    expect((await world.run(['work', '--drain'])).code).toBe(0);
    const original = await readFile(join(world.kb, NOTE), 'utf8');
    await world.write(NOTE, original.replace(/^# (.+)$/m, '# $1, edited today'));
    const name = NOTE.split('/').pop()!;
    const run = await world.run(['diff', name], { cwd: join(world.kb, 'kb/notes') });
    expect(run.code, run.stderr).toBe(1);
    expect(run.stdout).toContain('+# ');
    expect(run.stdout).toContain(', edited today');
    const status = await world.run(['status', '--diff'], { cwd: join(world.kb, 'kb') });
    expect(status.stdout).toContain(', edited today');
    expect((await world.run(['diff', '../outside.md'], { cwd: world.kb })).stderr).toMatch(/outside the knowledge base/);
  }, 60_000);

  it('search prints snippets as plain text: no <b> tags in the terminal', async () => {
    await configure({ partition: 'search-day' });
    expect((await world.run(['enqueue', '--yes'])).code).toBe(0);
    expect((await world.run(['work', '--drain'])).code).toBe(0);
    const run = await world.run(['search', 'bare writing prompt', '--subject', 'snapshot', '--mode', 'text']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/writing/i);
    expect(run.stdout).not.toMatch(/<\/?b>/);
  }, 60_000);

  it('`status | head` ends quietly: no EPIPE, no stack trace', async () => {
    await configure({ notes: ['kb/notes/**/*.md'] }); // about 1,400 lines of missing pairs
    const run = await new Promise<{ code: number | null; stderr: string; stdout: string }>((resolve) => {
      const child = spawn('/bin/sh', ['-c', `"${process.execPath}" "${bin}" status | head -2`], { cwd: world.kb, env: world.env() });
      let stderr = '';
      let stdout = '';
      child.stderr.on('data', (d) => { stderr += d; });
      child.stdout.on('data', (d) => { stdout += d; });
      child.on('exit', (code) => resolve({ code, stderr, stdout }));
    });
    expect(run.stdout.trim().split('\n')).toHaveLength(2);
    expect(run.stderr).toBe('');
  }, 60_000);

  it('registry diff counts a refused change apart, says a sync would apply nothing, exits 1', async () => {
    await configure();
    expect((await world.run(['enqueue', '--yes'])).code).toBe(0); // first-day is in use from here on
    expect((await world.run(['registry', 'pull'])).code).toBe(0);
    const file = join(world.kb, 'gatehouse.registry.json');
    const registry = JSON.parse(await readFile(file, 'utf8'));
    // first-day is used by a job and by acceptances: removing it is refused; the new partition alone would apply.
    registry.partitions = [
      ...registry.partitions.filter((p: { model_partition: string }) => p.model_partition !== 'first-day'),
      { model_partition: 'second-day' },
    ];
    await world.write('gatehouse.registry.json', JSON.stringify(registry));
    const run = await world.run(['registry', 'diff']);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/refused/);
    expect(run.stdout).toContain('2 change(s) planned, 1 refused: a sync would apply nothing');
    const sync = await world.run(['registry', 'sync']);
    expect(sync.code).toBe(2);
  }, 60_000);
});
