// A new team's first run, as subprocess runs on a copy of the corpus: how
// many requests `status --diff` makes, creating the project from the CLI,
// and the registry's guard rails for partition names.
import { createServer, request, type Server } from 'node:http';
import { mkdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CliWorld } from '../support/cli-world.js';

let world: CliWorld;
beforeAll(async () => { world = await CliWorld.start(); }, 120_000);
afterAll(async () => { await world?.stop(); }, 30_000);

const NOTE = 'kb/notes/a-bare-writing-prompt-does-not-determine-its-intended-contribution.md';
const GATES = 'kb/instructions/review-gates/*/*.md';
const ADAPTER = { command: 'cat > /dev/null; echo "## Result: PASS"' };

/** An HTTP proxy in front of the API that counts what passes through it. */
async function countingProxy(target: string): Promise<{ url: string; seen: string[]; close: () => Promise<void> }> {
  const seen: string[] = [];
  const server: Server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    const upstream = request(`${target}${req.url}`, { method: req.method, headers: req.headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}`, seen, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

describe('status --diff', () => {
  it('asks for each distinct accepted text once, not one diff per stale pair', async () => {
    await world.writeConfig({ notes: [NOTE], gates: [GATES], partition: 'diffs', runner: 'exec', adapters: { exec: ADAPTER } });
    expect((await world.run(['enqueue', '--yes'])).code).toBe(0);
    expect((await world.run(['work', '--drain'])).code).toBe(0);
    const original = await readFile(join(world.kb, NOTE), 'utf8');
    await world.write(NOTE, original.replace(/^# (.+)$/m, '# $1, edited today'));
    const proxy = await countingProxy(world.api);
    try {
      await world.writeConfig({ api: proxy.url, notes: [NOTE], gates: [GATES], partition: 'diffs', runner: 'exec', adapters: { exec: ADAPTER } });
      const run = await world.run(['status', '--diff'], { env: { GATEHOUSE_TOKEN: world.token } });
      expect(run.code, run.stderr).toBe(1);
      const stale = run.stdout.match(/stale {2}/g)?.length ?? 0;
      expect(stale).toBeGreaterThan(20); // one note against every gate
      expect(run.stdout.match(/, edited today/g)?.length).toBe(stale); // every pair shows the edit
      // One select, and the one accepted text the stale pairs share.
      expect(proxy.seen.length, proxy.seen.join('\n')).toBeLessThanOrEqual(1 + 3);
    } finally {
      await proxy.close();
    }
  }, 120_000);
});

describe('first run: init and the project', () => {
  it('init writes the exec adapter and review.sh, says how to create a missing project, and creates it with --create-project', async () => {
    const kb = join(world.kb, 'new-team');
    await mkdir(join(kb, 'kb/notes'), { recursive: true });
    const init = await world.run(['init', '--api', world.api, '--project', 'new-team', '--partition', 'p'], { cwd: kb });
    expect(init.code, init.stderr).toBe(0);
    expect(init.stdout).toContain('project new-team does not exist yet: `gatehouse projects create new-team` creates it');
    const config = JSON.parse(await readFile(join(kb, 'gatehouse.json'), 'utf8'));
    expect(config.runner).toBe('exec');
    expect(config.adapters.exec.command).toBe('./review.sh {runner_model}');
    expect((await stat(join(kb, 'review.sh'))).mode & 0o111).not.toBe(0);
    await world.write('new-team/kb/notes/a.md', '# A\n');
    await world.write('new-team/kb/gate.md', '# Gate\n');
    await world.write('new-team/gatehouse.json', JSON.stringify({ ...config, notes: ['kb/notes/*.md'], gates: ['kb/gate.md'] }));
    const before = await world.run(['status'], { cwd: kb });
    expect(before.code).toBe(2);
    expect(before.stderr).toContain('hint: create it with `gatehouse projects create new-team`');
    const again = await world.run(['init', '--api', world.api, '--project', 'new-team', '--partition', 'p', '--force', '--create-project'], { cwd: kb });
    expect(again.stdout).toContain('created project new-team');
    await world.write('new-team/gatehouse.json', JSON.stringify({ ...config, notes: ['kb/notes/*.md'], gates: ['kb/gate.md'] }));
    expect((await world.run(['status'], { cwd: kb })).code).toBe(1); // one missing pair: the project answers
    const created = await world.run(['projects', 'create', 'second-team', '--api', world.api], { cwd: kb });
    expect(created.stdout, created.stderr).toContain('created project second-team');
  }, 60_000);
});

describe('partition names', () => {
  it('enqueue refuses to register an unknown partition without a terminal unless --yes; a typo gets "did you mean"', async () => {
    const config = { notes: [NOTE], gates: ['kb/instructions/review-gates/accessibility/*.md'], runner: 'exec', adapters: { exec: ADAPTER } };
    await world.writeConfig({ ...config, partition: 'claude-opus' });
    const refused = await world.run(['enqueue']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('partition "claude-opus" is not in the registry, and enqueue would register it (policy auto)');
    expect(refused.stderr).toContain('--yes');
    expect((await world.fetch('/v1/projects/kb/registry')).json.partitions.map((p: { model_partition: string }) => p.model_partition)).not.toContain('claude-opus');
    const registered = await world.run(['enqueue', '--yes']);
    expect(registered.code, registered.stderr).toBe(0);
    expect((await world.fetch('/v1/projects/kb/registry')).json.partitions.map((p: { model_partition: string }) => p.model_partition)).toContain('claude-opus');
    for (const command of [['status'], ['enqueue']]) {
      const typo = await world.run([...command, '--partition', 'claude-opux']);
      expect(typo.stderr, command[0]).toContain('warning: partition "claude-opux" is not in the registry; did you mean "claude-opus"?');
    }
  }, 60_000);
});
