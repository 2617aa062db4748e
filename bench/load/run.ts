// npm run bench:load [-- --duration 60] [--connections 12] [--orgs 2] [--compare-duration 15] [--compare-connections 16] [--max-requests 200000]
//
// Load on the real Node server (bench/load/server.ts, built as src/node.ts
// builds it) over loopback, with autocannon, on PostgreSQL in a scratch
// database. Two phases in one run:
//   mixed    readers (select, search, get project), writers (snapshot upload,
//            job creation) and runners (claim, result, finalize), per org, each
//            with its own token, all at once: per-route p50/p99 and error rate,
//            server RSS/heap at start and end, and afterwards every acknowledged
//            write checked in the database (rows lost must be 0);
//   compare  authenticated GET /v1/projects/{project} against a bare Hono
//            hello-world on the same @hono/node-server in the same kind of
//            process: requests/s and the ratio (goal ≥ 50%).
// Bounded: each phase stops at its duration or at --max-requests, whichever
// comes first. See README.md beside this file.
import { fork, type ChildProcess } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { sql } from 'drizzle-orm';
import { rowsOf } from '../../src/platform/db.js';
import { generateSigningKeyJson, loadSigningKey } from '../../src/tenancy/auth/keys.js';
import { mintToken } from '../../src/tenancy/auth/tokens.js';
import { fmtMs, openBenchDatabase, percentile, registerCleanup, runCleanups, sha256Hex } from '../freshness/lib.js';
import { expected, Ledger, type OrgSetup, readerRequests, runnerRequests, writerRequests } from './workload.js';

const { values: opts } = parseArgs({
  options: {
    duration: { type: 'string', default: '60' },
    connections: { type: 'string', default: '12' },
    orgs: { type: 'string', default: '2' },
    'compare-duration': { type: 'string', default: '15' },
    'compare-connections': { type: 'string', default: '16' },
    'max-requests': { type: 'string', default: '200000' },
  },
});
const num = (name: keyof typeof opts) => {
  const v = Number(opts[name]);
  if (!Number.isInteger(v) || v < 1) throw new Error(`bad --${name}: ${opts[name]}`);
  return v;
};
const DURATION = num('duration');
const CONNECTIONS = num('connections');
const ORGS = num('orgs');
const COMPARE_DURATION = num('compare-duration');
const COMPARE_CONNECTIONS = num('compare-connections');
const MAX_REQUESTS = num('max-requests');
const GOAL = 0.5;
const PARTITION = 'bench-load';
const ISSUER = 'gatehouse-load';
const log = (msg: string) => console.log(`bench: ${msg}`);
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;

interface Server { child: ChildProcess; base: string; memory(): Promise<{ rss: number; heapUsed: number }>; stop(): Promise<void> }

async function startServer(mode: 'gatehouse' | 'hello' | 'db1' | 'db5', env: Record<string, string>): Promise<Server> {
  const child = fork(new URL('./server.ts', import.meta.url).pathname, [mode], { execArgv: ['--import', 'tsx', ...(process.env.GATEHOUSE_BENCH_SERVER_ARGS ?? '').split(' ').filter(Boolean)], env: { ...process.env, ...env }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const ask = <T>(type: string, reply: string) => new Promise<T>((resolve, reject) => {
    const on = (msg: any) => { if (msg.type === reply) { child.off('message', on); resolve(msg); } };
    child.on('message', on);
    child.once('exit', (code) => reject(new Error(`the ${mode} server exited (${code})`)));
    if (type) child.send({ type });
  });
  const ready = await ask<{ port: number }>('', 'ready');
  const server: Server = {
    child,
    base: `http://127.0.0.1:${ready.port}`,
    memory: async () => (await ask<{ memory: { rss: number; heapUsed: number } }>('memory', 'memory')).memory,
    stop: () => new Promise((resolve) => { if (child.exitCode !== null) return resolve(); child.once('exit', () => resolve()); child.send({ type: 'stop' }); }),
  };
  registerCleanup(server.stop);
  return server;
}

async function call(base: string, method: string, path: string, token: string, body?: unknown): Promise<any> {
  const res = await fetch(base + path, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${text.slice(0, 300)}`);
  return text ? JSON.parse(text) : null;
}

/** An org with a project, 40 notes × 5 gates uploaded, 40 queued one-item jobs, and three tokens. */
async function seedOrg(base: string, operator: string, i: number): Promise<OrgSetup> {
  const slug = `load-${i}`;
  const created = await call(base, 'POST', '/v1/orgs', operator, { slug, name: slug, owner: { subject: `${slug}-owner` } });
  const owner = created.owner_token as string;
  const project = (await call(base, 'POST', '/v1/projects', owner, { slug: `kb-${i}` })).slug as string;
  const mint = async (body: Record<string, unknown>) => (await call(base, 'POST', '/v1/org/tokens', owner, body)).token as string;
  const tokens = {
    reader: await mint({ name: 'reader', scopes: ['freshness:read'] }),
    writer: await mint({ name: 'writer', scopes: ['snapshots:write', 'jobs:write', 'freshness:read'] }),
    runner: await mint({ name: 'runner', service: `runner-${i}`, scopes: ['jobs:run'] }),
  };
  const texts = async (kind: string, n: number) => Promise.all(Array.from({ length: n }, async (_, k) => {
    const body = `# ${kind} ${k}\n\nThe ${kind} number ${k} of ${slug}: markdown knowledge for review, gate criterion text.\n`;
    return { path: `kb/${kind}s/${k}.md`, sha256: await sha256Hex(body), body };
  }));
  const notes = await texts('note', 40);
  const gates = await texts('gate', 5);
  await call(base, 'POST', `/v1/projects/${project}/snapshots`, owner, { files: [...notes, ...gates] });
  const manifest = (xs: typeof notes) => xs.map(({ path, sha256 }) => ({ path, sha256 }));
  await call(base, 'POST', `/v1/projects/${project}/jobs`, owner, { runner: 'bench', model_partition: PARTITION, select: { notes: manifest(notes), gates: manifest(gates.slice(1, 2)) }, batch_size: 1 });
  return { slug, project, tokens, notes: manifest(notes), gates: manifest(gates) };
}

function cannon(opts: autocannon.Options): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    const instance = autocannon(opts, (err, result) => (err ? reject(err) : resolve(result)));
    autocannon.track(instance, { renderProgressBar: false, renderResultsTable: false, renderLatencyTable: false });
  });
}

async function main() {
  log(`${cpus().length} CPUs, load average ${loadavg().map((x) => x.toFixed(1)).join(' ')}; node ${process.version}`);
  const database = await openBenchDatabase('pg', 2);
  registerCleanup(database.close);
  log(database.describe);
  const keyJson = await generateSigningKeyJson();
  const env = { DATABASE_URL: database.url!, GATEHOUSE_SIGNING_KEY: keyJson, GATEHOUSE_ISSUER: ISSUER, GATEHOUSE_AUDIENCE: ISSUER, GATEHOUSE_MAINTENANCE_INTERVAL_SECONDS: '0' };
  const server = await startServer('gatehouse', env);
  const memStart = await server.memory();
  const auth = { issuer: ISSUER, audience: ISSUER, signingKey: await loadSigningKey(keyJson) };
  const issuedAt = new Date();
  const operator = await mintToken(auth, { subject: 'operator', role: 'operator', issuedAt, expiresAt: new Date(issuedAt.getTime() + 3600_000) });
  const orgs: OrgSetup[] = [];
  for (let i = 0; i < ORGS; i++) orgs.push(await seedOrg(server.base, operator, i));
  const memSeeded = await server.memory();
  log(`seeded ${ORGS} orgs (40 notes × 5 gates, 40 queued jobs, 3 tokens each); server RSS ${mb(memSeeded.rss)}, heap ${mb(memSeeded.heapUsed)}`);

  // ---------------------------------------------------------------- mixed
  const ledger = new Ledger();
  const perKind = Math.max(1, Math.floor(CONNECTIONS / (3 * ORGS)));
  const budget = Math.max(perKind, Math.floor(MAX_REQUESTS / (3 * ORGS)));
  const base = { url: server.base, duration: DURATION, connections: perKind, maxOverallRequests: budget, timeout: 30, headers: { 'content-type': 'application/json' } };
  log(`mixed: ${DURATION} s, ${perKind} connection(s) per actor kind per org (${perKind * 3 * ORGS} in all), at most ${budget} requests per instance`);
  const results = await Promise.all(orgs.flatMap((org, i) => [
    cannon({ ...base, headers: { ...base.headers, authorization: `Bearer ${org.tokens.reader}` }, requests: readerRequests(ledger, org, PARTITION) }),
    cannon({ ...base, headers: { ...base.headers, authorization: `Bearer ${org.tokens.writer}` }, requests: writerRequests(ledger, org, PARTITION, `o${i}`) }),
    cannon({ ...base, headers: { ...base.headers, authorization: `Bearer ${org.tokens.runner}` }, requests: runnerRequests(ledger, org) }),
  ]));
  const memEnd = await server.memory();
  const socketErrors = results.reduce((n, r) => n + r.errors + r.timeouts, 0);
  const elapsed = Math.max(...results.map((r) => r.duration));
  let total = 0;
  let bad = 0;
  let limited = 0;
  console.log('\n| route | requests | req/s | p50 | p99 | unexpected statuses |\n| --- | ---: | ---: | ---: | ---: | --- |');
  for (const [route, ms] of ledger.latencies) {
    const counts = ledger.statuses.get(route)!;
    const unexpected = [...counts].filter(([s]) => !expected[route].includes(s));
    limited += counts.get(429) ?? 0;
    bad += unexpected.filter(([s]) => s !== 429).reduce((n, [, c]) => n + c, 0);
    total += ms.length;
    console.log(`| ${route} | ${ms.length} | ${(ms.length / elapsed).toFixed(0)} | ${fmtMs(percentile(ms, 50))} | ${fmtMs(percentile(ms, 99))} | ${unexpected.map(([s, c]) => `${s}×${c}`).join(' ') || 'none'} |`);
  }
  log(`mixed: ${total} requests in ${elapsed.toFixed(1)} s (${(total / elapsed).toFixed(0)} req/s); errors ${bad} (${((100 * bad) / Math.max(1, total)).toFixed(3)}%), socket errors/timeouts ${socketErrors}, rate-limited (429) ${limited}`);
  log(`server memory: start RSS ${mb(memStart.rss)} heap ${mb(memStart.heapUsed)}; after seeding RSS ${mb(memSeeded.rss)} heap ${mb(memSeeded.heapUsed)}; after load RSS ${mb(memEnd.rss)} heap ${mb(memEnd.heapUsed)}`);

  // Every acknowledged write is in the database.
  const db = database.db;
  const stored = new Set(rowsOf<{ k: string }>(await db.execute(sql`select o.slug || ' ' || s.path || ' ' || s.sha256 as k from snapshots s join orgs o on o.id = s.org_id`)).map((r) => r.k));
  const lostUploads = ledger.uploaded.filter((u) => !stored.has(`${u.org} ${u.path} ${u.sha256}`)).length;
  const jobs = new Set(rowsOf<{ id: string }>(await db.execute(sql`select id::text as id from review_jobs`)).map((r) => r.id));
  const lostJobs = ledger.created.filter((id) => !jobs.has(id)).length;
  const reviewed = new Set(rowsOf<{ id: string }>(await db.execute(sql`select distinct job_id::text as id from acceptance_events where kind = 'review'`)).map((r) => r.id));
  const lostAcceptances = ledger.succeeded.filter((id) => !reviewed.has(id)).length;
  const lost = lostUploads + lostJobs + lostAcceptances;
  log(`acknowledged writes: ${ledger.uploaded.length} uploads, ${ledger.created.length} jobs created, ${ledger.succeeded.length} jobs finalized; rows lost ${lost} (uploads ${lostUploads}, jobs ${lostJobs}, acceptances ${lostAcceptances})`);

  // ---------------------------------------------------------------- compare
  const compareBase = { duration: COMPARE_DURATION, connections: COMPARE_CONNECTIONS, maxOverallRequests: MAX_REQUESTS, timeout: 30 };
  const org = orgs[0];
  const api = await cannon({ ...compareBase, url: `${server.base}/v1/projects/${org.project}`, headers: { authorization: `Bearer ${org.tokens.reader}` } });
  const peers: [string, 'hello' | 'db1' | 'db5'][] = [
    ['bare Hono hello-world', 'hello'],
    ['hello-world after 1 round trip to PostgreSQL (`select 1`)', 'db1'],
    ['hello-world after the 5 round trips of an authenticated GET (no tables)', 'db5'],
  ];
  const measured: [string, autocannon.Result][] = [['GET /v1/projects/{project} (authenticated, PostgreSQL)', api]];
  for (const [name, mode] of peers) {
    const peerServer = await startServer(mode, { DATABASE_URL: database.url! });
    measured.push([name, await cannon({ ...compareBase, url: `${peerServer.base}/` })]);
    await peerServer.stop();
  }
  const helloRate = measured[1][1].requests.average;
  const ratio = api.requests.average / helloRate;
  console.log('\n| server | req/s (mean) | of the hello-world | p50 | p99 | non-2xx |\n| --- | ---: | ---: | ---: | ---: | ---: |');
  for (const [name, r] of measured) {
    console.log(`| ${name} | ${r.requests.average.toFixed(0)} | ${((100 * r.requests.average) / helloRate).toFixed(1)}% | ${r.latency.p50} ms | ${r.latency.p99} ms | ${r.non2xx} |`);
  }
  log(`compare: ${COMPARE_CONNECTIONS} connections, ${COMPARE_DURATION} s each: API ${(100 * ratio).toFixed(1)}% of the hello-world (goal ≥ ${GOAL * 100}%: ${ratio >= GOAL ? 'MET' : 'MISS'}); ${((100 * api.requests.average) / measured[3][1].requests.average).toFixed(1)}% of the same round trips without the API`);
  await server.stop();
  if (bad > 0 || lost > 0 || api.non2xx > 0) throw new Error(`CORRECTNESS FAILURE: ${bad} unexpected statuses, ${lost} rows lost, ${api.non2xx} non-2xx in the comparison`);
}

main().then(runCleanups, async (err) => {
  console.error(`bench: ${(err as Error).stack ?? err}`);
  await runCleanups();
  process.exit(1);
});
