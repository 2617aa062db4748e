// npm run bench:load:flood -- --baseline /work/wt-d-base [--rounds 3] [--duration 10] [--flood-connections 32] [--flood-rate 0] [--victim-rate 40]
//
// What a flood of bad-signature requests does to another tenant. Each tree
// (this one, and --baseline, another checkout) runs its own `src/node.ts`
// exactly as shipped (its default rate limits, PostgreSQL in one scratch
// database), listening on `::`. The victim, an org's reader, sends
// authenticated GET /v1/projects/{project} at a fixed rate from [::1]; the
// flood, a separate process, sends GET /v1/org with a token whose signature
// is garbage, at --flood-rate (0: as fast as its connections allow), from 127.0.0.1 (so the two
// are different client addresses, as two tenants on the internet would be).
// Per round and tree: the victim alone, then the victim during the flood.
// Trees alternate within every round (and swap order each round), so load
// from other work on the machine falls on both alike. See README.md.
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { generateSigningKeyJson, loadSigningKey } from '../../src/tenancy/auth/keys.js';
import { mintToken } from '../../src/tenancy/auth/tokens.js';
import { fmtMs, median, openBenchDatabase, percentile, registerCleanup, runCleanups } from '../freshness/lib.js';

const ISSUER = 'gatehouse-flood';
const log = (msg: string) => console.log(`bench: ${msg}`);

/** The flood itself, in its own process so its load generation does not share the victim's event loop. */
async function flooder() {
  const { url, token, connections, duration, rate } = JSON.parse(process.argv[3]!);
  const statuses: Record<string, number> = {};
  const instance = autocannon({ url, connections, duration, ...(rate > 0 ? { overallRate: rate } : {}), headers: { authorization: `Bearer ${token}` }, timeout: 30 }, (err, result) => {
    process.send!({ type: 'done', error: err ? String(err) : null, requests: result?.requests.total ?? 0, statuses }, () => process.exit(0));
  });
  instance.on('response', (_client: unknown, status: number) => { statuses[status] = (statuses[status] ?? 0) + 1; });
  process.on('message', (msg: { type: string }) => { if (msg.type === 'stop') instance.stop(); });
}

interface Tree { name: string; dir: string; port: number; child: ChildProcess; project: string; reader: string; forged: string }

const freePort = () => new Promise<number>((ok) => { const s = createServer().listen(0, '127.0.0.1', () => { const { port } = s.address() as { port: number }; s.close(() => ok(port)); }); });

async function startTree(name: string, dir: string, env: Record<string, string>): Promise<Tree> {
  const port = await freePort();
  const dataDir = await mkdtemp(join(tmpdir(), `gatehouse-flood-${name}-`));
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/node.ts'], { cwd: dir, env: { ...process.env, ...env, PORT: String(port), HOST: '::', GATEHOUSE_DATA_DIR: dataDir }, stdio: ['ignore', 'ignore', 'inherit'] });
  registerCleanup(async () => {
    const exited = new Promise((ok) => (child.exitCode !== null ? ok(null) : child.once('exit', ok)));
    child.kill('SIGTERM');
    await exited;
    await rm(dataDir, { recursive: true, force: true });
  });
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`${name}: the server exited (${child.exitCode})`);
    const up = await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.ok, () => false);
    if (up) break;
    if (i > 300) throw new Error(`${name}: the server did not start`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return { name, dir, port, child, project: '', reader: '', forged: '' };
}

async function call(base: string, method: string, path: string, token: string, body?: unknown): Promise<any> {
  const res = await fetch(base + path, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${text.slice(0, 300)}`);
  return JSON.parse(text);
}

/** The victim org (a project and a reader token) and the flood's token: a real one of another org with its signature replaced. */
async function seed(tree: Tree, operator: string) {
  const base = `http://[::1]:${tree.port}`;
  const make = async (slug: string) => (await call(base, 'POST', '/v1/orgs', operator, { slug, name: slug, owner: { subject: `${slug}-owner` } })).owner_token as string;
  const owner = await make(`victim-${tree.name}`);
  tree.project = (await call(base, 'POST', '/v1/projects', owner, { slug: 'kb' })).slug;
  tree.reader = (await call(base, 'POST', '/v1/org/tokens', owner, { name: 'reader', scopes: ['freshness:read'] })).token;
  const attacker = await make(`attacker-${tree.name}`);
  tree.forged = `${attacker.slice(0, attacker.lastIndexOf('.'))}.${'A'.repeat(86)}`;
}

/** The victim at a fixed rate; each request timed from when it is written to its complete response. */
function victim(tree: Tree, rate: number, duration: number): Promise<{ ms: number[]; statuses: Record<string, number> }> {
  const ms: number[] = [];
  const statuses: Record<string, number> = {};
  return new Promise((ok, fail) => {
    autocannon({
      url: `http://[::1]:${tree.port}/v1/projects/${tree.project}`, connections: 4, overallRate: rate, duration, timeout: 30,
      headers: { authorization: `Bearer ${tree.reader}` },
      requests: [{
        setupRequest: ((req: autocannon.Request, ctx: Record<string, number>) => { ctx.t = performance.now(); return req; }) as never,
        onResponse: ((status: number, _b: string, ctx: Record<string, number>) => { ms.push(performance.now() - ctx.t); statuses[status] = (statuses[status] ?? 0) + 1; }) as never,
      }],
    }, (err) => (err ? fail(err) : ok({ ms, statuses })));
  });
}

async function flooded<T>(tree: Tree, connections: number, rate: number, duration: number, during: () => Promise<T>) {
  const child = fork(fileURLToPath(import.meta.url), ['flooder', JSON.stringify({ url: `http://127.0.0.1:${tree.port}/v1/org`, token: tree.forged, connections, rate, duration: duration + 30 })], { execArgv: ['--import', 'tsx'] });
  const done = new Promise<{ requests: number; statuses: Record<string, number> }>((ok) => child.on('message', (m: any) => m.type === 'done' && ok(m)));
  await new Promise((r) => setTimeout(r, 1000)); // the flood is at full speed before the victim starts
  const started = performance.now();
  const result = await during();
  const seconds = (performance.now() - started) / 1000 + 1;
  child.send({ type: 'stop' });
  const flood = await done;
  return { result, floodRate: flood.requests / seconds, floodStatuses: flood.statuses };
}

async function main() {
  const { values: opts } = parseArgs({ args: process.argv.slice(2), options: {
    baseline: { type: 'string' }, rounds: { type: 'string', default: '3' }, duration: { type: 'string', default: '10' },
    'flood-connections': { type: 'string', default: '32' }, 'flood-rate': { type: 'string', default: '0' }, 'victim-rate': { type: 'string', default: '40' },
  } });
  if (!opts.baseline) throw new Error('--baseline <dir of another checkout> is required');
  const [rounds, duration, floodConnections, floodRate, rate] = [opts.rounds, opts.duration, opts['flood-connections'], opts['flood-rate'], opts['victim-rate']].map(Number);
  log(`${cpus().length} CPUs, load average ${loadavg().map((x) => x.toFixed(1)).join(' ')}; node ${process.version}`);
  const database = await openBenchDatabase('pg', 1);
  registerCleanup(database.close);
  const keyJson = await generateSigningKeyJson();
  const env = { DATABASE_URL: database.url!, GATEHOUSE_SIGNING_KEY: keyJson, GATEHOUSE_ISSUER: ISSUER, GATEHOUSE_AUDIENCE: ISSUER, GATEHOUSE_MAINTENANCE_INTERVAL_SECONDS: '0' };
  const here = resolve(fileURLToPath(new URL('../..', import.meta.url)));
  // One after the other: both migrate the same scratch database on start.
  const trees = [await startTree('baseline', resolve(opts.baseline), env), await startTree('this', here, env)];
  const auth = { issuer: ISSUER, audience: ISSUER, signingKey: await loadSigningKey(keyJson) };
  const issuedAt = new Date();
  const operator = await mintToken(auth, { subject: 'operator', role: 'operator', issuedAt, expiresAt: new Date(issuedAt.getTime() + 3600_000) });
  for (const tree of trees) await seed(tree, operator);
  log(`victim: GET /v1/projects/{project} at ${rate} req/s (4 connections) from [::1]; flood: ${floodConnections} connections of bad-signature GET /v1/org from 127.0.0.1 ${floodRate > 0 ? `at ${floodRate} req/s` : 'as fast as they go'}; ${rounds} rounds × ${duration} s per tree and condition, trees interleaved`);

  const p50s = new Map<string, number[]>();
  const notes = new Map<string, string[]>();
  const put = (key: string, v: number, note: string) => { p50s.set(key, [...(p50s.get(key) ?? []), v]); notes.set(key, [...(notes.get(key) ?? []), note]); };
  for (let r = 0; r < rounds; r++) {
    for (const tree of r % 2 === 0 ? trees : [...trees].reverse()) {
      const quiet = await victim(tree, rate, duration);
      put(`${tree.name} quiet`, percentile(quiet.ms, 50), `p99 ${fmtMs(percentile(quiet.ms, 99))} ${JSON.stringify(quiet.statuses)}`);
      const run = await flooded(tree, floodConnections, floodRate, duration, () => victim(tree, rate, duration));
      put(`${tree.name} flood`, percentile(run.result.ms, 50), `p99 ${fmtMs(percentile(run.result.ms, 99))} ${JSON.stringify(run.result.statuses)}; flood ${run.floodRate.toFixed(0)} req/s ${JSON.stringify(run.floodStatuses)}`);
      log(`round ${r + 1} ${tree.name}: victim p50 ${fmtMs(percentile(quiet.ms, 50))} alone, ${fmtMs(percentile(run.result.ms, 50))} under the flood (${run.floodRate.toFixed(0)} req/s, ${JSON.stringify(run.floodStatuses)})`);
    }
  }
  console.log('\n| tree | condition | victim p50 per round | median | victim p99 and statuses, flood rate and statuses (last round) |\n| --- | --- | --- | ---: | --- |');
  for (const [key, values] of p50s) {
    const [tree, condition] = key.split(' ');
    console.log(`| ${tree} | ${condition === 'quiet' ? 'alone' : 'under the flood'} | ${values.map(fmtMs).join(', ')} | ${fmtMs(median(values))} | ${notes.get(key)!.at(-1)} |`);
  }
}

if (process.argv[2] === 'flooder') void flooder();
else main().then(runCleanups, async (err) => { console.error(`bench: ${(err as Error).stack ?? err}`); await runCleanups(); process.exit(1); });
