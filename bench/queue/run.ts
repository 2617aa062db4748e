// npm run bench:queue [-- --inproc] [--jobs 5000] [--runners 8] [--rounds 3] [--warmup 1] [--pool 10] [--batch 25]
//
// Gatehouse's job queue on PostgreSQL against pg-boss on the same server, in
// one run. N concurrent runners claim, push one result and finalize
// single-item jobs until the queue is empty:
//   http    the real API over loopback HTTP (claim → result → finalize);
//   inproc  (with --inproc) the same rule functions called directly (claimJob, putResult,
//           finalizeJob) with a TenantContext: no HTTP, no per-request auth;
//   batch   the real API, batched: claim/batch up to --batch jobs, then one finalize/batch with every result;
//   pg-boss fetch + complete, from the same number of workers, one job per call and in batches of --batch.
// Reports jobs/s, per-job latency, the ratio and double-claims (must be 0).
// See README.md beside this file. Exits non-zero only on errors, a double
// claim or a wrong final state; a missed goal is printed as MISS.
import { cpus, loadavg, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import { sql } from 'drizzle-orm';
import { claimJob } from '../../src/execution/claim.js';
import { finalizeJob } from '../../src/execution/finalize.js';
import { putResult } from '../../src/execution/jobs.js';
import { rowsOf } from '../../src/platform/db.js';
import { resolveMember, type Member } from '../../src/tenancy/auth/principal.js';
import { verifyToken } from '../../src/tenancy/auth/tokens.js';
import type { TenantContext } from '../../src/tenancy/context.js';
import {
  BenchServer, fmtMs, interruptedBy, median, now, openBenchDatabase, percentile, PG_ADMIN_URL, registerCleanup, runCleanups, sha256Hex, type BenchDatabase,
} from '../freshness/lib.js';
import { openPeer, type Peer } from './peer.js';
import { countStatements, cpuSample, cpuSince, statementCount } from './probe.js';

const { values: opts } = parseArgs({
  options: {
    jobs: { type: 'string', default: '5000' },
    runners: { type: 'string', default: '8' },
    rounds: { type: 'string', default: '3' },
    warmup: { type: 'string', default: '1' },
    pool: { type: 'string', default: '10' },
    inproc: { type: 'boolean', default: false },
    batch: { type: 'string', default: '25' },
    sides: { type: 'string' },
    checkpoint: { type: 'boolean', default: true },
  },
  allowNegative: true,
});
const JOBS = Number(opts.jobs);
const RUNNERS = Number(opts.runners);
const ROUNDS = Number(opts.rounds);
const WARMUP = Number(opts.warmup);
const POOL = Number(opts.pool);
const BATCH = Number(opts.batch);
for (const [k, v] of Object.entries({ JOBS, RUNNERS, ROUNDS, POOL, BATCH })) {
  if (!Number.isInteger(v) || v < 1) throw new Error(`bad --${k.toLowerCase()}: ${v}`);
}
if (!Number.isInteger(WARMUP) || WARMUP < 0) throw new Error(`bad --warmup: ${WARMUP}`);
const GOAL = 1.5; // Gatehouse at least 1.5× pg-boss's jobs/s
const RUNNER = 'bench';
const PARTITION = 'bench';
const ARTIFACT = '## Result: PASS';

const log = (msg: string) => console.log(`bench: ${msg}`);
const fail = (message: string): never => {
  throw new Error(`CORRECTNESS FAILURE: ${message}`);
};

// ---------------------------------------------------------------- the work

/** Texts of about 1 KB, like a short note and a review gate. */
function noteBody(i: number): string {
  return `---\ntitle: Note ${i}\n---\n# Note ${i}\n\n${`Paragraph of note ${i}, with enough words to look like a short markdown note. `.repeat(12)}\n`;
}
const GATE_PATH = 'kb/gates/bench-gate.md';
const GATE_BODY = `# Gate\n\n${'Check that the note states one claim, cites its source and links its neighbours. '.repeat(12)}\n`;

type Mode = 'http' | 'inproc' | 'pgboss' | 'batch' | 'pgbossBatch';
const LABEL: Record<Mode, string> = {
  http: 'Gatehouse, HTTP API, one job per call',
  inproc: 'Gatehouse, in-process rules',
  pgboss: 'pg-boss fetch + complete, one job per call',
  batch: `Gatehouse, HTTP API, batches of ${BATCH}`,
  pgbossBatch: `pg-boss fetch + complete, batches of ${BATCH}`,
};

interface RoundResult {
  mode: Mode;
  round: number;
  jobs: number;
  ms: number;
  jobsPerSecond: number;
  latencies: number[];
  calls: Record<string, number[]>;
  doubleClaims: number;
  runnersUsed: number;
  statementsPerJob: number;
  pgCpuPerJobMs: number | null;
  nodeCpuPerJobMs: number;
  setupMs: number;
}

/** What one runner saw: the job ids it claimed, per-job latency, per-call latency. */
interface RunnerLog { ids: string[]; latencies: number[]; calls: Record<string, number[]> }
const newLog = (): RunnerLog => ({ ids: [], latencies: [], calls: {} });
async function timed<T>(log: RunnerLog, name: string, fn: () => Promise<T>): Promise<T> {
  const t = now();
  const value = await fn();
  (log.calls[name] ??= []).push(now() - t);
  return value;
}

/** Ids claimed more than once across every runner of a loop. */
function doubleClaims(logs: RunnerLog[]): { total: number; distinct: number; doubles: number } {
  const seen = new Set<string>();
  let total = 0;
  let doubles = 0;
  for (const l of logs) {
    for (const id of l.ids) {
      total += 1;
      if (seen.has(id)) doubles += 1;
      seen.add(id);
    }
  }
  return { total, distinct: seen.size, doubles };
}

/** Run `runners` loops concurrently and time them together, with the statement and CPU counters around them. */
async function measure(database: string, runners: number, loop: (log: RunnerLog, index: number) => Promise<void>) {
  const logs = Array.from({ length: runners }, newLog);
  const cpu0 = await cpuSample(PG_ADMIN_URL, [database]);
  const statements0 = statementCount();
  const t = now();
  await Promise.all(logs.map((l, i) => loop(l, i)));
  const ms = now() - t;
  const statements = statementCount() - statements0;
  const cpu = await cpuSince(cpu0, PG_ADMIN_URL, [database]);
  return { logs, ms, statements, cpu };
}

// ---------------------------------------------------------------- Gatehouse

interface Gatehouse { database: BenchDatabase; name: string; server: BenchServer; token: string; member: Member; orgId: string }

interface Claimed { job: { id: string }; lease: { id: string }; items: { id: string; note_text: string; gate_text: string }[] }

interface Runner {
  claim(slug: string, worker: string): Promise<Claimed | null>;
  result(jobId: string, itemId: string, leaseId: string): Promise<void>;
  finalize(jobId: string, leaseId: string): Promise<string>;
}

function httpRunner(g: Gatehouse): Runner {
  return {
    async claim(slug, worker) {
      const reply = await g.server.http('POST', '/v1/jobs/claim', g.token, { runner: RUNNER, worker, projects: [slug], lease_seconds: 300, wait_seconds: 0 });
      if (reply.status === 204) return null;
      if (reply.status !== 200) throw new Error(`claim: HTTP ${reply.status}: ${JSON.stringify(reply.json).slice(0, 300)}`);
      return reply.json as Claimed;
    },
    async result(jobId, itemId, leaseId) {
      const reply = await g.server.http('PUT', `/v1/jobs/${jobId}/items/${itemId}/result`, g.token, { lease_id: leaseId, outcome: 'pass', artifact: ARTIFACT });
      if (reply.status !== 200) throw new Error(`result: HTTP ${reply.status}: ${JSON.stringify(reply.json).slice(0, 300)}`);
    },
    async finalize(jobId, leaseId) {
      const reply = await g.server.http('POST', `/v1/jobs/${jobId}/finalize`, g.token, { lease_id: leaseId });
      if (reply.status !== 200) throw new Error(`finalize: HTTP ${reply.status}: ${JSON.stringify(reply.json).slice(0, 300)}`);
      return reply.json.status as string;
    },
  };
}

function inProcessRunner(g: Gatehouse): Runner {
  // What the routes build per request, minus the token check and the member lookup.
  const ctx = (): TenantContext => ({ db: g.database.db, member: g.member, now: new Date(), requestId: null });
  return {
    async claim(slug, worker) {
      return (await claimJob(ctx(), { runner: RUNNER, worker, projects: [slug], lease_seconds: 300, wait_seconds: 0 })) as Claimed | null;
    },
    async result(jobId, itemId, leaseId) {
      await putResult(ctx(), jobId, itemId, { lease_id: leaseId, outcome: 'pass', artifact: ARTIFACT });
    },
    async finalize(jobId, leaseId) {
      return (await finalizeJob(ctx(), jobId, leaseId)).status;
    },
  };
}

let checkpointRefused = !opts.checkpoint;

/**
 * The end of every side's setup, for both products alike: VACUUM (ANALYZE)
 * of the side's tables, then a CHECKPOINT. The sides run one after another
 * on one server, so without it a side pays for the autovacuum and the dirty
 * pages of the rounds before it (the one-job-per-call side leaves a minute
 * of churn behind). A running service pays for its own vacuum continuously;
 * here neither side's vacuum is timed.
 */
async function settle(run: (text: string) => Promise<unknown>, tables: string): Promise<void> {
  await run(`vacuum (analyze) ${tables}`);
  if (checkpointRefused) return;
  await run('checkpoint').catch((err: Error) => {
    checkpointRefused = true;
    log(`CHECKPOINT refused (${err.message}); the rounds run without it`);
  });
}

/** A fresh project with JOBS notes and one gate uploaded, and JOBS single-item jobs queued (through the API; not timed). */
async function setupProject(g: Gatehouse, slug: string): Promise<string> {
  const project = await g.server.createProject(g.token, slug);
  const files = [{ path: GATE_PATH, body: GATE_BODY }, ...Array.from({ length: JOBS }, (_, i) => ({ path: `kb/notes/n${String(i).padStart(5, '0')}.md`, body: noteBody(i) }))]
    .map((f) => ({ ...f, sha256: sha256Hex(f.body) }));
  for (let i = 0; i < files.length; i += 1000) {
    await g.server.expect('POST', `/v1/projects/${slug}/snapshots`, g.token, { files: files.slice(i, i + 1000) }, 200);
  }
  const [gate, ...notes] = files;
  const made = await g.server.expect('POST', `/v1/projects/${slug}/jobs`, g.token, {
    runner: RUNNER, model_partition: PARTITION, batch_size: 1,
    items: notes.map((n) => ({ note_path: n.path, note_sha256: n.sha256, gate_path: gate.path, gate_sha256: gate.sha256 })),
  }, 201);
  if (made.jobs.length !== JOBS || made.queued !== JOBS) fail(`${slug}: created ${made.jobs.length} jobs (${made.queued} items queued), expected ${JOBS}`);
  // Autovacuum would have analysed a table this size by now; the claim plan should see it.
  await settle((text) => g.database.db.execute(sql.raw(text)), 'review_jobs, review_job_items, snapshots, acceptance_events, acceptance_current');
  return project.id;
}

async function checkGatehouseDone(g: Gatehouse, label: string, projectId: string) {
  const byStatus = Object.fromEntries(rowsOf<{ status: string; n: number }>(await g.database.db.execute(sql`
    select status::text as status, count(*)::int as n from review_jobs where project_id = ${projectId}::uuid group by 1`)).map((r) => [r.status, r.n]));
  if (byStatus.succeeded !== JOBS || Object.keys(byStatus).length !== 1) fail(`${label}: jobs by status ${JSON.stringify(byStatus)}, expected ${JOBS} succeeded`);
  const [counts] = rowsOf<{ done: number; events: number; current: number }>(await g.database.db.execute(sql`
    select (select count(*)::int from review_job_items where project_id = ${projectId}::uuid and status = 'done' and outcome = 'pass') as done,
           (select count(*)::int from acceptance_events where project_id = ${projectId}::uuid and kind = 'review') as events,
           (select count(*)::int from acceptance_current where project_id = ${projectId}::uuid and revision = 1) as current`));
  if (counts.done !== JOBS || counts.events !== JOBS || counts.current !== JOBS) fail(`${label}: ${JSON.stringify(counts)} items done / review events / current rows, expected ${JOBS} each`);
}

async function gatehouseRound(g: Gatehouse, mode: 'http' | 'inproc', round: number): Promise<RoundResult> {
  const slug = `queue-r${round}-${mode}`;
  const t = now();
  const projectId = await setupProject(g, slug);
  const setupMs = now() - t;
  const runner = mode === 'http' ? httpRunner(g) : inProcessRunner(g);
  const m = await measure(g.name, RUNNERS, async (l, index) => {
    const worker = `runner-${index}`;
    while (!interruptedBy()) {
      const start = now();
      const claimed = await timed(l, 'claim', () => runner.claim(slug, worker));
      if (!claimed) return;
      l.ids.push(claimed.job.id);
      if (claimed.items.length !== 1 || !claimed.items[0].note_text || claimed.items[0].gate_text !== GATE_BODY) fail(`${slug}: claim returned ${claimed.items.length} items or wrong texts`);
      for (const item of claimed.items) await timed(l, 'result', () => runner.result(claimed.job.id, item.id, claimed.lease.id));
      const status = await timed(l, 'finalize', () => runner.finalize(claimed.job.id, claimed.lease.id));
      if (status !== 'succeeded') fail(`${slug}: finalize answered ${status}`);
      l.latencies.push(now() - start);
    }
  });
  return finish(mode, round, m, setupMs, async () => checkGatehouseDone(g, `${LABEL[mode]}, round ${round}`, projectId));
}

/**
 * The batched runner loop: POST /v1/jobs/claim/batch for up to BATCH jobs,
 * then one POST /v1/jobs/finalize/batch carrying every result. Latency is
 * per batch here, divided by its size for the per-job column.
 */
async function gatehouseBatchRound(g: Gatehouse, round: number): Promise<RoundResult> {
  const slug = `queue-r${round}-batch`;
  const t = now();
  const projectId = await setupProject(g, slug);
  const setupMs = now() - t;
  const m = await measure(g.name, RUNNERS, async (l, index) => {
    const worker = `runner-${index}`;
    while (!interruptedBy()) {
      const start = now();
      const reply = await timed(l, 'claim/batch', () => g.server.http('POST', '/v1/jobs/claim/batch', g.token, { runner: RUNNER, worker, projects: [slug], lease_seconds: 300, wait_seconds: 0, max_jobs: BATCH }));
      if (reply.status !== 200) throw new Error(`claim/batch: HTTP ${reply.status}: ${JSON.stringify(reply.json).slice(0, 300)}`);
      const claimed = reply.json.jobs as Claimed[];
      if (claimed.length === 0) return;
      for (const c of claimed) {
        l.ids.push(c.job.id);
        if (c.items.length !== 1 || !c.items[0].note_text || c.items[0].gate_text !== GATE_BODY) fail(`${slug}: claim returned ${c.items.length} items or wrong texts`);
      }
      const body = { jobs: claimed.map((c) => ({ job: c.job.id, lease_id: c.lease.id, results: c.items.map((i) => ({ item: i.id, outcome: 'pass', artifact: ARTIFACT })) })) };
      const done = await timed(l, 'finalize/batch', () => g.server.http('POST', '/v1/jobs/finalize/batch', g.token, body));
      if (done.status !== 200) throw new Error(`finalize/batch: HTTP ${done.status}: ${JSON.stringify(done.json).slice(0, 300)}`);
      const statuses = (done.json.jobs as { job: { status: string } | null }[]).map((j) => j.job?.status);
      if (statuses.some((x) => x !== 'succeeded')) fail(`${slug}: finalize/batch answered ${JSON.stringify(statuses)}`);
      const per = (now() - start) / claimed.length;
      for (let i = 0; i < claimed.length; i++) l.latencies.push(per);
    }
  });
  return finish('batch', round, m, setupMs, async () => checkGatehouseDone(g, `${LABEL.batch}, round ${round}`, projectId));
}

// ---------------------------------------------------------------- pg-boss

async function bossRound(peer: Peer, round: number, batch = 1): Promise<RoundResult> {
  const mode: Mode = batch === 1 ? 'pgboss' : 'pgbossBatch';
  const queue = `bench-r${round}-${mode}`;
  const t = now();
  await peer.boss.createQueue(queue);
  // The same payload a Gatehouse runner receives: both texts and their paths.
  const jobs = Array.from({ length: JOBS }, (_, i) => ({ data: { note_path: `kb/notes/n${String(i).padStart(5, '0')}.md`, gate_path: GATE_PATH, note_text: noteBody(i), gate_text: GATE_BODY } }));
  for (let i = 0; i < jobs.length; i += 1000) await peer.boss.insert(queue, jobs.slice(i, i + 1000));
  const queued = await peer.states(queue);
  if (queued.created !== JOBS) fail(`pg-boss ${queue}: ${JSON.stringify(queued)} after insert, expected ${JOBS} created`);
  await settle((text) => peer.boss.getDb().executeSql(text), `${peer.schema}.job`);
  const setupMs = now() - t;
  const m = await measure(peer.database, RUNNERS, async (l) => {
    while (!interruptedBy()) {
      const start = now();
      const fetched = await timed(l, 'fetch', () => peer.boss.fetch<{ note_text: string; gate_text: string }>(queue, { batchSize: batch }));
      if (fetched.length === 0) return;
      for (const job of fetched) {
        l.ids.push(job.id);
        if (!job.data.note_text || job.data.gate_text !== GATE_BODY) fail(`pg-boss ${queue}: job ${job.id} came without its texts`);
      }
      // Passing the fetched jobs (id + retryCount) fences the call to this attempt, pg-boss's analogue of a lease check.
      const done = await timed(l, 'complete', () => peer.boss.complete(queue, fetched.length === 1 ? fetched[0] : fetched, { outcome: 'pass', artifact: ARTIFACT }));
      const affected = (done as { affected?: number }).affected;
      if (affected !== fetched.length) fail(`pg-boss ${queue}: complete of ${fetched.length} jobs affected ${affected}`);
      const per = (now() - start) / fetched.length;
      for (let i = 0; i < fetched.length; i++) l.latencies.push(per);
    }
  });
  return finish(mode, round, m, setupMs, async () => {
    const states = await peer.states(queue);
    if (states.completed !== JOBS || Object.keys(states).length !== 1) fail(`pg-boss ${queue}: jobs by state ${JSON.stringify(states)}, expected ${JOBS} completed`);
  });
}

// ---------------------------------------------------------------- common

async function finish(mode: Mode, round: number, m: Awaited<ReturnType<typeof measure>>, setupMs: number, check: () => Promise<void>): Promise<RoundResult> {
  const claims = doubleClaims(m.logs);
  const label = `${LABEL[mode]}, ${round >= 1 ? `round ${round}` : `warm-up (not counted)`}`;
  // A double claim is reported, then stops the run after the check below.
  if (claims.doubles > 0) console.error(`bench: *** DOUBLE CLAIMS: ${label}: ${claims.doubles} job ids claimed more than once ***`);
  if (claims.distinct !== JOBS) fail(`${label}: ${claims.distinct} distinct jobs claimed, expected ${JOBS}`);
  await check();
  const calls: Record<string, number[]> = {};
  for (const l of m.logs) for (const [k, v] of Object.entries(l.calls)) (calls[k] ??= []).push(...v);
  const result: RoundResult = {
    mode, round, jobs: claims.distinct, ms: m.ms, jobsPerSecond: (claims.distinct / m.ms) * 1000,
    latencies: m.logs.flatMap((l) => l.latencies), calls, doubleClaims: claims.doubles,
    runnersUsed: m.logs.filter((l) => l.ids.length > 0).length,
    statementsPerJob: m.statements / claims.distinct,
    pgCpuPerJobMs: m.cpu.pgSeconds === null ? null : (m.cpu.pgSeconds * 1000) / claims.distinct,
    nodeCpuPerJobMs: (m.cpu.nodeSeconds * 1000) / claims.distinct,
    setupMs,
  };
  log(`${label.padEnd(40)} ${result.jobsPerSecond.toFixed(0).padStart(5)} jobs/s  (${(m.ms / 1000).toFixed(1)} s; p50 ${fmtMs(percentile(result.latencies, 50))}, p99 ${fmtMs(percentile(result.latencies, 99))}; `
    + `${result.statementsPerJob.toFixed(1)} statements/job; CPU/job: PostgreSQL ${result.pgCpuPerJobMs === null ? 'n/a' : fmtMs(result.pgCpuPerJobMs)}, Node ${fmtMs(result.nodeCpuPerJobMs)}; `
    + `double claims ${claims.doubles}; setup ${fmtMs(setupMs)} not timed)`);
  return result;
}

const fmtRate = (x: number) => `${x.toFixed(0)} jobs/s`;

async function main() {
  const started = now();
  const loadStart = loadavg().map((x) => x.toFixed(2)).join(' ');
  countStatements();

  log('opening the databases (PostgreSQL)…');
  const database = await openBenchDatabase('pg', POOL);
  registerCleanup(database.close);
  const server = await BenchServer.start(database);
  registerCleanup(() => server.close());
  const peer = await openPeer(POOL);
  registerCleanup(peer.close);
  const { orgId, token } = await server.createOrg('bench-queue');
  const member = await resolveMember(database.db, await verifyToken(server.auth, token, new Date()), new Date());
  const [{ name }] = rowsOf<{ name: string }>(await database.db.execute(sql`select current_database() as name`));
  const g: Gatehouse = { database, name, server, token, member, orgId };

  const modes: Mode[] = opts.sides
    ? opts.sides.split(',') as Mode[]
    : ['http', 'batch', 'pgboss', 'pgbossBatch', ...(opts.inproc ? ['inproc' as const] : [])];
  for (const mode of modes) if (!(mode in LABEL)) throw new Error(`bad --sides: ${mode} (one of ${Object.keys(LABEL).join(', ')})`);
  log(`Gatehouse: ${database.describe}; app served by @hono/node-server on ${server.base}, in this process (the runners share its event loop)`);
  log(`peer: pg-boss ${peer.version}, scratch database ${peer.database}, schema ${peer.schema}, pool of ${POOL}, supervise/schedule off`);
  log(`${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}; load average ${loadStart}`);
  log(`${ROUNDS} rounds × ${modes.length} sides (order rotates each round) after ${WARMUP} warm-up round(s) not counted, ${JOBS} single-item jobs each, ${RUNNERS} concurrent runners`);

  // Warm-up rounds (numbered 0, -1, …) run every side once, fully checked,
  // and are not counted: the first round after start pays for V8's JIT,
  // each pooled connection's first statements and cold caches, on every
  // side alike, and a running service has paid for those long before.
  const results: RoundResult[] = [];
  for (let r = 1 - WARMUP; r <= ROUNDS; r++) {
    const order = modes.map((_, i) => modes[(((i + r - 1) % modes.length) + modes.length) % modes.length]);
    for (const mode of order) {
      const result = mode === 'pgboss' ? await bossRound(peer, r)
        : mode === 'pgbossBatch' ? await bossRound(peer, r, BATCH)
          : mode === 'batch' ? await gatehouseBatchRound(g, r)
            : await gatehouseRound(g, mode, r);
      if (r >= 1) results.push(result);
      if (interruptedBy()) return;
    }
  }

  // ---- report
  const of = (mode: Mode) => results.filter((x) => x.mode === mode);
  const rate = (mode: Mode) => median(of(mode).map((x) => x.jobsPerSecond));
  console.log('');
  console.log(`Results: median of ${ROUNDS} rounds; ${JOBS} single-item jobs per round; ${RUNNERS} concurrent runners; PostgreSQL pool ${POOL} per side`);
  console.log('');
  console.log('| Side | Jobs/s (median) | Range | p50 per job | p99 per job | Statements per job | PostgreSQL CPU per job | Node CPU per job | Double claims |');
  console.log('|---|---:|---|---:|---:|---:|---:|---:|---:|');
  for (const mode of modes) {
    const rs = of(mode);
    const rates = rs.map((x) => x.jobsPerSecond);
    const pgCpu = rs.map((x) => x.pgCpuPerJobMs).filter((x): x is number => x !== null);
    console.log(`| ${LABEL[mode]} | **${rate(mode).toFixed(0)}** | ${Math.min(...rates).toFixed(0)} … ${Math.max(...rates).toFixed(0)} | `
      + `${fmtMs(median(rs.map((x) => percentile(x.latencies, 50))))} | ${fmtMs(median(rs.map((x) => percentile(x.latencies, 99))))} | `
      + `${median(rs.map((x) => x.statementsPerJob)).toFixed(1)} | ${pgCpu.length ? fmtMs(median(pgCpu)) : 'n/a'} | ${fmtMs(median(rs.map((x) => x.nodeCpuPerJobMs)))} | `
      + `${rs.reduce((s, x) => s + x.doubleClaims, 0)} |`);
  }
  console.log('');
  console.log('Per call (median of the per-round medians; p99 likewise):');
  for (const mode of modes) {
    const names = Object.keys(of(mode)[0].calls);
    console.log(`  ${LABEL[mode].padEnd(30)} ${names.map((n) => `${n} ${fmtMs(median(of(mode).map((x) => percentile(x.calls[n], 50))))} (p99 ${fmtMs(median(of(mode).map((x) => percentile(x.calls[n], 99))))})`).join(', ')}`);
  }
  console.log('');
  console.log('Per round (same round, same machine state):');
  const inRound = (mode: Mode, r: number) => results.find((x) => x.mode === mode && x.round === r)?.jobsPerSecond ?? Number.NaN;
  for (let r = 1; r <= ROUNDS; r++) {
    const line = modes.map((mode) => `${LABEL[mode]} ${fmtRate(inRound(mode, r))}`).join(' · ');
    console.log(`  round ${r}: ${line}`);
    console.log(`           batched Gatehouse / pg-boss per job ${(inRound('batch', r) / inRound('pgboss', r)).toFixed(2)}×, / pg-boss batched ${(inRound('batch', r) / inRound('pgbossBatch', r)).toFixed(2)}×`);
  }

  const doubles = results.reduce((s, x) => s + x.doubleClaims, 0);
  const ratio = (a: Mode, b: Mode) => rate(a) / rate(b);
  const line = (a: Mode, b: Mode, goal: boolean) => !modes.includes(a) || !modes.includes(b) ? `  (${LABEL[a]} vs ${LABEL[b]}: not run)` : `  ${LABEL[a]}: ${fmtRate(rate(a))} / ${LABEL[b]}: ${fmtRate(rate(b))} = ${ratio(a, b).toFixed(2)}×${goal ? `   ${ratio(a, b) >= GOAL ? 'PASS' : '*** MISS ***'}` : ''}`;
  console.log('');
  console.log('================================================================');
  console.log(`  GOAL: Gatehouse ≥ ${GOAL}× pg-boss ${peer.version} jobs/s (fetch + complete, one job per fetch as the issue's peer)`);
  console.log(line('batch', 'pgboss', true));
  if (modes.includes('batch') && modes.includes('pgboss')) {
    // The sides of one round run minutes apart at most; their ratio cancels most of a shared machine's drift.
    const sameRound = Array.from({ length: ROUNDS }, (_, i) => inRound('batch', i + 1) / inRound('pgboss', i + 1));
    console.log(`  same-round ratios ${sameRound.map((x) => `${x.toFixed(2)}×`).join(', ')}: median ${median(sameRound).toFixed(2)}×, ${sameRound.filter((x) => x >= GOAL).length} of ${ROUNDS} rounds ≥ ${GOAL}×`);
  }
  console.log('  Like for like (the same batch size on both sides, and one job per call on both):');
  console.log(line('batch', 'pgbossBatch', false));
  console.log(line('http', 'pgboss', false));
  if (modes.includes('inproc')) console.log(line('inproc', 'pgboss', false));
  console.log(`  Double claims: ${doubles} (must be 0)   ${doubles === 0 ? 'OK' : '*** FAILURE ***'}`);
  console.log('================================================================');
  const loadEnd = loadavg().map((x) => x.toFixed(2)).join(' ');
  log(`load average ${loadStart} → ${loadEnd}; total ${((now() - started) / 1000).toFixed(0)} s`);
  if (doubles > 0) process.exitCode = 1;
}

main()
  .catch((err) => {
    console.error(`bench: FAILED: ${(err as Error).stack ?? err}`);
    process.exitCode = 1;
  })
  .finally(async () => {
    await runCleanups();
  });
