// A new team's first run, as subprocess runs on a copy of the corpus: how
// many requests `status --diff` makes, creating the project from the CLI,
// and the registry's guard rails for partition names.
import { createServer, request, type Server } from 'node:http';
import { readFile } from 'node:fs/promises';
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
    expect((await world.run(['enqueue'])).code).toBe(0);
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
