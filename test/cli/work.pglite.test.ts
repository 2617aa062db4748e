// `gatehouse work` as a person runs it from a terminal: adapters as
// subprocesses, Ctrl-C as the terminal sends it (to the whole foreground
// process group), adapters that cannot start or that fail, --drain.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CliWorld } from '../support/cli-world.js';

let world: CliWorld;
beforeAll(async () => { world = await CliWorld.start(); }, 120_000);
afterAll(async () => { await world?.stop(); }, 30_000);

const GATES = 'kb/instructions/review-gates/accessibility/*.md'; // 4 gates
const ONE_NOTE = 'kb/notes/a-bare-*.md';

/** Each test its own runner and partition, so no test claims another's jobs. */
async function configure(runner: string, command: string | null, notes = ONE_NOTE) {
  await world.writeConfig({
    notes: [notes], gates: [GATES], partition: `${runner}-model`, runner, grouping: 'note', batch_size: 50,
    adapters: command ? { [runner]: { command, runner_model: 'fake-model' } } : {},
  });
  const enq = await world.run(['enqueue', '--json', '--yes']);
  expect(enq.code, enq.stderr).toBe(0);
  return JSON.parse(enq.stdout).jobs as { id: string; items: number }[];
}

const waitFor = async (what: () => boolean, ms = 20_000) => {
  for (const until = Date.now() + ms; !what() && Date.now() < until;) await new Promise((r) => setTimeout(r, 50));
  expect(what()).toBe(true);
};

describe('gatehouse work', () => {
  it('a terminal\'s Ctrl-C (SIGINT to the whole process group) lets the running reviews finish, and the job finalizes', async () => {
    const [job] = await configure('slow', 'cat > /dev/null; sleep 1; echo "## Result: PASS"');
    // detached: the CLI leads a process group of its own, as a shell's foreground job does.
    const run = world.spawn(['work'], { detached: true });
    await waitFor(() => run.out.stderr.includes('item(s) under'));
    process.kill(-run.child.pid!, 'SIGINT');
    expect(await run.exited).toBe(0);
    expect(run.out.stderr).toContain('finishing the current job');
    expect(run.out.stderr).toContain('1 job(s) succeeded, 0 failed');
    const after = await world.fetch(`/v1/jobs/${job.id}`);
    expect(after.json.status).toBe('succeeded');
    expect(after.json.items.map((i: { outcome: string }) => i.outcome)).toEqual(['pass', 'pass', 'pass', 'pass']);
  }, 60_000);

  it('heartbeats as soon as a claim arrives: a claim\'s one-minute lease becomes the --lease asked before the adapter runs', async () => {
    const [job] = await configure('beating', 'cat > /dev/null; touch beating.marker; sleep 2; echo "## Result: PASS"', 'kb/notes/a-bare-*.md');
    const run = world.spawn(['work', '--once', '--lease', '900']);
    await waitFor(() => existsSync(join(world.kb, 'beating.marker')));
    const held = await world.fetch(`/v1/jobs/${job.id}`);
    expect(held.json.status).toBe('running');
    expect(new Date(held.json.lease_expires_at).getTime() - Date.now()).toBeGreaterThan(600_000);
    expect(await run.exited).toBe(0);
  }, 60_000);

  it('a second Ctrl-C passes the signal on to the adapters and quits', async () => {
    await configure('stubborn', 'cat > /dev/null; trap "touch interrupted.marker; exit 1" INT; sleep 30 & wait $!');
    const run = world.spawn(['work'], { detached: true });
    await waitFor(() => run.out.stderr.includes('item(s) under'));
    await new Promise((r) => setTimeout(r, 300));
    process.kill(-run.child.pid!, 'SIGINT');
    await waitFor(() => run.out.stderr.includes('finishing the current job'));
    process.kill(-run.child.pid!, 'SIGINT');
    expect(await run.exited).toBe(130);
    await waitFor(() => existsSync(join(world.kb, 'interrupted.marker')), 5_000);
  }, 60_000);

  it('an adapter command that does not exist: said so, the job goes back to the queue unharmed, work stops with exit 2', async () => {
    const jobs = await configure('claude-code', null, 'kb/notes/a-[bc]*.md');
    expect(jobs).toHaveLength(3);
    // claude-code is built in; without `claude` on the PATH it cannot start.
    const run = await world.run(['work', '--json'], { env: { PATH: '/usr/bin:/bin' } });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/adapter command not found: claude/);
    expect(run.stderr).toMatch(/went back to the queue/);
    for (const { id } of jobs) {
      const job = (await world.fetch(`/v1/jobs/${id}`)).json;
      expect(job).toMatchObject({ status: 'queued', attempts: 0 });
      expect(job.items.every((i: { status: string }) => i.status === 'pending')).toBe(true);
    }
  }, 60_000);

  it('an exec adapter whose command is missing is named, with the shell\'s words', async () => {
    const [job] = await configure('typo', 'revieww-kb-missing {runner_model}');
    const run = await world.run(['work', '--once']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/adapter command not found: .*revieww-kb-missing/);
    expect((await world.fetch(`/v1/jobs/${job.id}`)).json).toMatchObject({ status: 'queued', attempts: 0 });
  }, 60_000);

  it('an adapter that fails says how, in the artifact and on the terminal: exit code or signal, and stderr\'s tail', async () => {
    await world.write('failing.sh', 'cat > /dev/null; case "$1" in kill) kill -TERM $$ ;; esac; echo "model overloaded, try later" >&2; exit 3\n');
    const [job] = await configure('failing', 'sh failing.sh "$(cat which.txt)"');
    await world.write('which.txt', 'exit');
    const run = await world.run(['work', '--once']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('the adapter exited with 3');
    const items = (await world.fetch(`/v1/jobs/${job.id}`)).json.items;
    const artifact = (await world.fetch(`/v1/jobs/${job.id}/items/${items[0].id}/artifact`, { accept: 'text/markdown' })).text;
    expect(artifact).toContain('the adapter exited with 3');
    expect(artifact).toContain('model overloaded, try later');

    const [killed] = await configure('failing', 'sh failing.sh kill');
    expect((await world.run(['work', '--once'])).stderr).toContain('killed by SIGTERM');
    const killedItems = (await world.fetch(`/v1/jobs/${killed.id}`)).json.items;
    expect(killedItems[0].outcome).toBe('error');
  }, 60_000);

  it('--drain finishes when the queue is empty (exit 0); a warning met on every job is printed once, with its count', async () => {
    const jobs = await configure('drainer', 'cat > /dev/null; echo "## Result: PASS"', 'kb/notes/a-[bc]*.md');
    expect(jobs).toHaveLength(3);
    const run = await world.run(['work', '--drain']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain('3 job(s) succeeded, 0 failed');
    const warning = '"drainer-model" was registered as an unverified partition on first use (policy auto)';
    expect(run.stderr.split(warning)).toHaveLength(3); // once when first seen, once in the summary
    expect(run.stderr).toContain(`warning (3 times): ${warning}`);
    const json = await world.run(['work', '--drain', '--json']);
    expect(JSON.parse(json.stdout)).toMatchObject({ succeeded: 0, failed: 0 });
  }, 60_000);
});
