// npm run bench:freshness [-- --pglite] [--reps 7] [--sample 2000] [--concurrency 8] [--skip-corpus]
//
// The freshness select (POST /v1/projects/{p}/freshness) over 10,000 notes ×
// 10 gates = 100,000 pairs, against two peers measured in the same run:
//   (a) a naive client asking once per pair (a random sample, extrapolated);
//   (b) the bare classification join on the database (no HTTP, no JSON).
// Then the real commonplace-kb corpus end to end. See README.md beside this file.
// Exits non-zero only on errors (including a wrong answer); a missed goal is
// printed as MISS.
import { readdir, readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { sql } from 'drizzle-orm';
import { selectFreshness, type SelectInput } from '../../src/freshness/select.js';
import { type ManifestItem } from '../../src/freshness/snapshots.js';
import { rowsOf, toArray, withTenant } from '../../src/platform/db.js';
import {
  BenchServer, fmtMs, interruptedBy, fmtSpread, median, now, openBenchDatabase, percentile, pool, prng,
  registerCleanup, runCleanups, sampleDistinct, sha256Hex, type BenchDatabase,
} from './lib.js';
import { acceptPairs, analyze, insertSnapshots } from './seed.js';
import { GATES, NOTES, PAIRS, scenario, type Verdict } from './scenario.js';

const { values: opts } = parseArgs({
  options: {
    pglite: { type: 'boolean', default: false },
    reps: { type: 'string', default: '7' },
    warmup: { type: 'string', default: '2' },
    sample: { type: 'string', default: '2000' },
    'pair-reps': { type: 'string', default: '3' },
    concurrency: { type: 'string', default: '8' },
    'skip-corpus': { type: 'boolean', default: false },
  },
});
const REPS = Number(opts.reps);
const WARMUP = Number(opts.warmup);
const SAMPLE = Number(opts.sample);
const PAIR_REPS = Number(opts['pair-reps']);
const CONCURRENCY = Number(opts.concurrency);
for (const [k, v] of Object.entries({ REPS, WARMUP, SAMPLE, PAIR_REPS, CONCURRENCY })) {
  if (!Number.isInteger(v) || v < (k === 'WARMUP' ? 0 : 1)) throw new Error(`bad --${k.toLowerCase()}: ${v}`);
}

const PARTITION = 'bench-model/high';
const GOAL_PER_PAIR = 20; // bulk at least 20× faster than one lookup per pair
const GOAL_BARE = 3; // bulk within 3× of the bare join

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const corpusRoot = resolve(process.env.GATEHOUSE_BENCH_CORPUS || join(repoRoot, '../shared/corpus/commonplace-kb'));

const log = (msg: string) => console.log(`bench: ${msg}`);

// ---------------------------------------------------------------- checks

function fail(message: string): never {
  throw new Error(`CORRECTNESS FAILURE: ${message}`);
}

function checkCounts(label: string, answer: any, expected: { fresh: number; stale: number; missing: number; never_reviewed: number; note_changed: number; gate_changed: number; both_changed: number }) {
  const got = { ...answer.counts, ...answer.reasons };
  for (const key of Object.keys(expected) as (keyof typeof expected)[]) {
    if (got[key] !== expected[key]) fail(`${label}: ${key} = ${got[key]}, expected ${expected[key]} (answer counts ${JSON.stringify(answer.counts)} reasons ${JSON.stringify(answer.reasons)})`);
  }
}

const keyOf = (note: string, gate: string) => `${note}\u0000${gate}`;

// ---------------------------------------------------------------- main

interface Row { section: string; label: string; samples: number[]; note: string }

async function main() {
  const started = now();
  const loadStart = loadavg().map((x) => x.toFixed(2)).join(' ');
  const kind = opts.pglite ? 'pglite' : 'pg';
  const corpusDirs = ['kb/notes', 'kb/instructions/review-gates'];
  const absent = corpusDirs.filter((d) => !existsSync(join(corpusRoot, d)));
  if (!opts['skip-corpus'] && absent.length > 0) {
    throw new Error(`the corpus is missing: no ${absent.map((d) => `${corpusRoot}/${d}`).join(' or ')} (expected the commonplace-kb checkout at ../shared/corpus/commonplace-kb from the repo root; set GATEHOUSE_BENCH_CORPUS to its location, or pass --skip-corpus)`);
  }

  log(`opening the database (${kind === 'pg' ? 'PostgreSQL' : 'PGlite'})…`);
  const database: BenchDatabase = await openBenchDatabase(kind, 10);
  registerCleanup(database.close);
  const server = await BenchServer.start(database, { maxBodyBytes: 32 * 1024 * 1024 });
  registerCleanup(() => server.close());
  log(`${database.describe}; app on ${server.base} (loopback HTTP, Node ${process.version}, fetch keep-alive)`);

  const rows: Row[] = [];
  const { orgId, token } = await server.createOrg('bench');
  const project = await server.createProject(token, 'synthetic');
  const scope = { orgId, projectId: project.id };

  // ---- seed
  const sc = scenario();
  let t = now();
  await insertSnapshots(database.db, scope, sc.texts);
  const accepted = await acceptPairs(database.db, scope, PARTITION, sc.baseNotes, sc.baseGates, sc.neverReviewed);
  await analyze(database.db);
  log(`seeded ${sc.texts.length} texts and ${accepted} acceptances by SQL in ${fmtMs(now() - t)}; expected ${JSON.stringify(sc.counts)}`);

  // ---- 1 and (b): bulk select vs the bare join, interleaved round-robin
  const selectPath = `/v1/projects/${project.slug}/freshness`;
  const bulkBody = JSON.stringify({ model_partition: PARTITION, notes: sc.currentNotes, gates: sc.currentGates });
  const input: SelectInput = { modelPartition: PARTITION, notes: sc.currentNotes, gates: sc.currentGates };
  const arrays = {
    np: toArray(sc.currentNotes.map((x) => x.path)), ns: toArray(sc.currentNotes.map((x) => x.sha256)),
    gp: toArray(sc.currentGates.map((x) => x.path)), gs: toArray(sc.currentGates.map((x) => x.sha256)),
  };
  const bareJoin = sql`
    select case when c.note_sha256 is null or c.kind = 'retire' then 'missing'
                when c.note_sha256 = r.note_sha256 and c.gate_sha256 = r.gate_sha256 then 'fresh'
                else 'stale' end as status,
           count(*)::int as n
    from (select n.path as note_path, n.sha256 as note_sha256, g.path as gate_path, g.sha256 as gate_sha256
          from unnest(${arrays.np}::text[], ${arrays.ns}::text[]) as n(path, sha256)
          cross join unnest(${arrays.gp}::text[], ${arrays.gs}::text[]) as g(path, sha256)) r
    left join acceptance_current c
      on c.project_id = ${project.id}::uuid and c.model_partition = ${PARTITION}
     and c.note_path = r.note_path and c.gate_path = r.gate_path
    group by 1`;
  const checkBare = (label: string, result: unknown) => {
    const got: Record<string, number> = { fresh: 0, stale: 0, missing: 0 };
    for (const r of rowsOf<{ status: string; n: number }>(result)) got[r.status] = r.n;
    for (const s of ['fresh', 'stale', 'missing'] as const) if (got[s] !== sc.counts[s]) fail(`${label}: ${s} = ${got[s]}, expected ${sc.counts[s]}`);
  };

  const bulk = { http: [] as number[], inproc: [] as number[], fn: [] as number[], bare: [] as number[], bareRls: [] as number[] };
  let bulkAnswer: any = null;
  let bulkBytes = 0;
  log(`bulk select of ${NOTES} × ${GATES} and the bare join: ${WARMUP} warm-up + ${REPS} timed rounds, interleaved…`);
  for (let r = 0; r < WARMUP + REPS; r++) {
    const keep = r >= WARMUP;
    t = now();
    const reply = await server.http('POST', selectPath, token, bulkBody);
    const httpMs = now() - t;
    if (reply.status !== 200) throw new Error(`bulk select: HTTP ${reply.status}: ${JSON.stringify(reply.json).slice(0, 500)}`);
    if (bulkAnswer === null) {
      bulkAnswer = reply.json;
      bulkBytes = reply.bytes;
      checkCounts('bulk select over HTTP', bulkAnswer, sc.counts);
    }

    t = now();
    const inproc = await server.inProcess('POST', selectPath, token, bulkBody);
    const inprocMs = now() - t;
    if (inproc.status !== 200) throw new Error(`bulk select in-process: HTTP ${inproc.status}`);

    t = now();
    const fnAnswer = await withTenant(database.db, { orgId }, (tx) => selectFreshness(tx, project.id, input));
    const fnMs = now() - t;
    if (r === 0) checkCounts('selectFreshness()', fnAnswer, sc.counts);

    t = now();
    const bare = await database.db.execute(bareJoin);
    const bareMs = now() - t;
    if (r === 0) checkBare('bare join', bare);

    t = now();
    const bareRls = await withTenant(database.db, { orgId }, (tx) => tx.execute(bareJoin));
    const bareRlsMs = now() - t;
    if (r === 0) checkBare('bare join under RLS', bareRls);

    if (keep) {
      bulk.http.push(httpMs); bulk.inproc.push(inprocMs); bulk.fn.push(fnMs); bulk.bare.push(bareMs); bulk.bareRls.push(bareRlsMs);
    }
  }

  // The bulk answer, pair by pair, against the scenario.
  const bulkPairs = new Map<string, Verdict & { accepted_note_sha256: string | null; accepted_gate_sha256: string | null }>();
  for (const p of bulkAnswer.pairs) bulkPairs.set(keyOf(p.note_path, p.gate_path), p);
  const nonFresh = sc.counts.stale + sc.counts.missing;
  if (bulkAnswer.pairs.length !== nonFresh) fail(`bulk select listed ${bulkAnswer.pairs.length} pairs, expected the ${nonFresh} non-fresh ones`);
  if (bulkAnswer.missing_texts.length !== 0) fail(`bulk select reported ${bulkAnswer.missing_texts.length} missing texts; all are held`);
  for (let i = 0; i < NOTES; i++) {
    for (let j = 0; j < GATES; j++) {
      const want = sc.expected(i, j);
      const got = bulkPairs.get(keyOf(sc.currentNotes[i].path, sc.currentGates[j].path));
      if (want.status === 'fresh' ? got !== undefined : got?.status !== want.status || got?.reason !== want.reason || got?.revision !== want.revision) {
        fail(`bulk select, pair ${i}×${j}: got ${JSON.stringify(got ?? 'absent (fresh)')}, expected ${JSON.stringify(want)}`);
      }
    }
  }
  log(`bulk answer checked pair by pair: ${bulkAnswer.pairs.length} non-fresh pairs listed, ${(bulkBytes / 1e6).toFixed(1)} MB of JSON, request body ${(bulkBody.length / 1e6).toFixed(2)} MB`);

  rows.push(
    { section: 'bulk', label: `POST /freshness, ${NOTES}×${GATES} manifests, loopback HTTP (fetch)`, samples: bulk.http, note: `req ${(bulkBody.length / 1e6).toFixed(1)} MB, resp ${(bulkBytes / 1e6).toFixed(1)} MB (${bulkAnswer.pairs.length} non-fresh pairs), incl. client JSON.parse` },
    { section: 'bulk', label: '  same request, in-process app.request (no socket)', samples: bulk.inproc, note: 'breakdown: HTTP transport share' },
    { section: 'bulk', label: '  selectFreshness() in a tenant tx (no HTTP/zod/JSON)', samples: bulk.fn, note: 'breakdown: the statement + row mapping + sort' },
    { section: 'bare', label: '(b) bare join, counts only, superuser (no RLS)', samples: bulk.bare, note: 'unnest × unnest ⟕ acceptance_current, group by status' },
    { section: 'bare', label: '    same bare join in a tenant tx under RLS', samples: bulk.bareRls, note: 'informative: RLS + transaction setup' },
  );

  // ---- (a): one lookup per pair, a random sample with modest concurrency
  const pairIndex = (k: number) => ({ i: Math.floor(k / GATES), j: k % GATES });
  const comparePair = (label: string, i: number, j: number, got: Verdict & { accepted_note_sha256?: string | null; accepted_gate_sha256?: string | null }) => {
    const want = sc.expected(i, j);
    const inBulk = bulkPairs.get(keyOf(sc.currentNotes[i].path, sc.currentGates[j].path));
    const bulkVerdict: Verdict = inBulk ? { status: inBulk.status, reason: inBulk.reason, revision: inBulk.revision } : { status: 'fresh', reason: null, revision: 1 };
    const same = (a: Verdict, b: Verdict) => a.status === b.status && a.reason === b.reason && a.revision === b.revision;
    if (!same(got, bulkVerdict) || !same(got, want)) {
      fail(`${label}, pair ${i}×${j} (${sc.currentNotes[i].path} × ${sc.currentGates[j].path}): per-pair says ${JSON.stringify(got)}, bulk says ${JSON.stringify(bulkVerdict)}, expected ${JSON.stringify(want)}`);
    }
    if (inBulk && got.accepted_note_sha256 !== undefined && (got.accepted_note_sha256 !== inBulk.accepted_note_sha256 || got.accepted_gate_sha256 !== inBulk.accepted_gate_sha256)) {
      fail(`${label}, pair ${i}×${j}: accepted hashes differ from the bulk answer`);
    }
  };

  const viaSelect = async (k: number, latencies?: number[]) => {
    const { i, j } = pairIndex(k);
    const body = { model_partition: PARTITION, include_fresh: true, pairs: [{ note_path: sc.currentNotes[i].path, note_sha256: sc.currentNotes[i].sha256, gate_path: sc.currentGates[j].path, gate_sha256: sc.currentGates[j].sha256 }] };
    const t0 = now();
    const reply = await server.http('POST', selectPath, token, body);
    latencies?.push(now() - t0);
    if (reply.status !== 200) throw new Error(`per-pair select: HTTP ${reply.status}: ${JSON.stringify(reply.json).slice(0, 300)}`);
    if (reply.json.counts.total !== 1 || reply.json.pairs.length !== 1) fail(`per-pair select for ${i}×${j} answered ${JSON.stringify(reply.json).slice(0, 300)}`);
    comparePair('per-pair POST /freshness', i, j, reply.json.pairs[0]);
  };

  const viaHistory = async (k: number, latencies?: number[]) => {
    const { i, j } = pairIndex(k);
    const note = sc.currentNotes[i];
    const gate = sc.currentGates[j];
    const q = new URLSearchParams({ note_path: note.path, gate_path: gate.path, model_partition: PARTITION, limit: '1' });
    const t0 = now();
    const reply = await server.http('GET', `/v1/projects/${project.slug}/acceptance?${q}`, token);
    latencies?.push(now() - t0);
    if (reply.status !== 200) throw new Error(`per-pair history: HTTP ${reply.status}: ${JSON.stringify(reply.json).slice(0, 300)}`);
    // What a naive client does with it: compare the latest event's hashes to its own.
    const latest = reply.json.items[0];
    let verdict: Verdict;
    if (reply.json.revision === null || !latest || latest.kind === 'retire') verdict = { status: 'missing', reason: 'never_reviewed', revision: reply.json.revision };
    else {
      const n = latest.note_sha256 !== note.sha256;
      const g = latest.gate_sha256 !== gate.sha256;
      verdict = { status: n || g ? 'stale' : 'fresh', reason: n && g ? 'both_changed' : n ? 'note_changed' : g ? 'gate_changed' : null, revision: reply.json.revision };
    }
    comparePair('per-pair GET /acceptance', i, j, { ...verdict, accepted_note_sha256: latest?.note_sha256 ?? null, accepted_gate_sha256: latest?.gate_sha256 ?? null });
  };

  log(`per-pair lookups: ${PAIR_REPS} × ${SAMPLE} random pairs per method, concurrency ${CONCURRENCY}…`);
  const warm = sampleDistinct(prng(7), PAIRS, Math.min(200, PAIRS));
  await pool(warm, CONCURRENCY, (k) => viaSelect(k));
  await pool(warm, CONCURRENCY, (k) => viaHistory(k));
  const perPair = { select: [] as number[], history: [] as number[], selectLat: [] as number[], historyLat: [] as number[] };
  let checkedPairs = 0;
  for (let r = 0; r < PAIR_REPS; r++) {
    const sample = sampleDistinct(prng(1000 + r), PAIRS, SAMPLE);
    t = now();
    await pool(sample, CONCURRENCY, (k) => viaSelect(k, perPair.selectLat));
    perPair.select.push(now() - t);
    t = now();
    await pool(sample, CONCURRENCY, (k) => viaHistory(k, perPair.historyLat));
    perPair.history.push(now() - t);
    checkedPairs += sample.length;
  }
  log(`per-pair answers agree with the bulk answer (and the scenario) for all ${checkedPairs} sampled pairs, both methods`);
  const scale = PAIRS / SAMPLE;
  const extrapolate = (xs: number[]) => xs.map((x) => x * scale);
  rows.push(
    { section: 'pair', label: `(a) per-pair POST /freshness {pairs:[1]}, ×${PAIRS} (extrapolated)`, samples: extrapolate(perPair.select), note: `${SAMPLE} sampled × ${scale}; ${(SAMPLE / (median(perPair.select) / 1000)).toFixed(0)} req/s, latency p50 ${fmtMs(median(perPair.selectLat))} p95 ${fmtMs(percentile(perPair.selectLat, 95))}` },
    { section: 'pair', label: `(a') per-pair GET /acceptance?limit=1, ×${PAIRS} (extrapolated)`, samples: extrapolate(perPair.history), note: `${SAMPLE} sampled × ${scale}; ${(SAMPLE / (median(perPair.history) / 1000)).toFixed(0)} req/s, latency p50 ${fmtMs(median(perPair.historyLat))} p95 ${fmtMs(percentile(perPair.historyLat, 95))}` },
  );

  // ---- 4: the real corpus end to end
  let corpusRows: Row[] = [];
  let corpusSummary = '';
  if (!opts['skip-corpus']) ({ rows: corpusRows, summary: corpusSummary } = await corpus(database, server, orgId, token));

  // ---- report
  const bulkMs = median(bulk.http);
  const bareMs = median(bulk.bare);
  const selectPairMs = median(extrapolate(perPair.select));
  const historyPairMs = median(extrapolate(perPair.history));
  const naiveMs = Math.min(selectPairMs, historyPairMs);
  const vsPair = naiveMs / bulkMs;
  const vsBare = bulkMs / bareMs;

  console.log('');
  console.log(`Freshness select benchmark: ${database.describe}; Node ${process.version}, ${cpus().length} CPUs, load average ${loadStart} at start, ${loadavg().map((x) => x.toFixed(2)).join(' ')} at the end`);
  console.log(`Medians of ${REPS} rounds (after ${WARMUP} warm-up) for the bulk rows, ${PAIR_REPS} rounds of ${SAMPLE} sampled pairs for the per-pair rows; range is min … max.`);
  printTable([...rows, ...corpusRows]);
  console.log('');
  const verdict = (ok: boolean) => (ok ? 'PASS' : '*** MISS ***');
  console.log(`Goal 1  bulk ≥ ${GOAL_PER_PAIR}× faster than one lookup per pair: ${vsPair.toFixed(1)}× (${fmtMs(naiveMs)} extrapolated for ${PAIRS.toLocaleString('en')} pairs, faster per-pair method, vs ${fmtMs(bulkMs)})  ${verdict(vsPair >= GOAL_PER_PAIR)}`);
  console.log(`        (per-pair POST: ${(selectPairMs / bulkMs).toFixed(1)}×, per-pair GET: ${(historyPairMs / bulkMs).toFixed(1)}×; extrapolated linearly from ${SAMPLE}-pair samples at concurrency ${CONCURRENCY})`);
  console.log(`Goal 2  bulk within ${GOAL_BARE}× of the bare join: ${vsBare.toFixed(2)}× (${fmtMs(bulkMs)} vs ${fmtMs(bareMs)})  ${verdict(vsBare <= GOAL_BARE)}`);
  console.log(`        (bulk vs bare join under RLS: ${(bulkMs / median(bulk.bareRls)).toFixed(2)}×; selectFreshness() alone vs bare join: ${(median(bulk.fn) / bareMs).toFixed(2)}×)`);
  if (corpusSummary) console.log(corpusSummary);
  if (server.resets > 0) console.log(`Note: ${server.resets} HTTP request(s) hit a reset kept-alive connection and were retried once (their time includes the retry).`);
  console.log(`Total run time ${fmtMs(now() - started)}.`);
  if (vsPair < GOAL_PER_PAIR || vsBare > GOAL_BARE) console.log('\n*** MISS: at least one goal was not met (see above). ***');
}

function printTable(rows: Row[]) {
  const head = ['', 'median', 'range', 'notes'];
  const body = rows.map((r) => [r.label, fmtMs(median(r.samples)), fmtSpread(r.samples), r.note]);
  const widths = head.map((h, c) => Math.max(h.length, ...body.map((b) => b[c].length)));
  const line = (cells: string[]) => cells.map((cell, c) => (c === 1 ? cell.padStart(widths[c]) : cell.padEnd(widths[c]))).join('  ').trimEnd();
  console.log(line(head));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  let section = rows[0]?.section;
  for (const [k, b] of body.entries()) {
    if (rows[k].section !== section) {
      section = rows[k].section;
      console.log('');
    }
    console.log(line(b));
  }
}

// ---------------------------------------------------------------- the real corpus

async function walk(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await walk(full)));
    else if (entry.isFile() && entry.name.endsWith('.md')) out.push(full);
  }
  return out;
}

async function corpus(database: BenchDatabase, server: BenchServer, orgId: string, token: string): Promise<{ rows: Row[]; summary: string }> {
  const partition = 'claude-opus-4/high';
  log(`corpus: ${corpusRoot}`);
  const project = await server.createProject(token, 'commonplace-kb');
  const selectPath = `/v1/projects/${project.slug}/freshness`;

  // Read and hash, as a client would: the hash of the file's bytes.
  let t = now();
  const read = async (root: string) => {
    const files = (await walk(join(corpusRoot, root))).sort();
    return Promise.all(files.map(async (full) => {
      const bytes = await readFile(full);
      const body = bytes.toString('utf8');
      if (!Buffer.from(body, 'utf8').equals(bytes)) throw new Error(`corpus: ${full} is not valid UTF-8`);
      return { path: relative(corpusRoot, full).split(sep).join('/'), body, sha256: sha256Hex(bytes) };
    }));
  };
  const notes = await read('kb/notes');
  const gates = await read('kb/instructions/review-gates');
  const readMs = now() - t;
  if (notes.length === 0 || gates.length === 0) throw new Error(`corpus: found ${notes.length} notes and ${gates.length} gates under ${corpusRoot}/kb`);
  const totalBytes = [...notes, ...gates].reduce((s, f) => s + Buffer.byteLength(f.body), 0);

  const upload = async (files: typeof notes) => {
    let batch: typeof notes = [];
    let size = 0;
    const send = async () => {
      if (batch.length === 0) return;
      const reply = await server.http('POST', `/v1/projects/${project.slug}/snapshots`, token, { files: batch });
      if (reply.status !== 200) throw new Error(`corpus upload: HTTP ${reply.status}: ${JSON.stringify(reply.json).slice(0, 300)}`);
      batch = [];
      size = 0;
    };
    for (const f of files) {
      if (batch.length === 1000 || size + f.body.length > 6 * 1024 * 1024) await send();
      batch.push(f);
      size += f.body.length;
    }
    await send();
  };
  t = now();
  await upload([...notes, ...gates]);
  const uploadMs = now() - t;

  const manifest = (files: typeof notes): ManifestItem[] => files.map(({ path, sha256 }) => ({ path, sha256 }));
  t = now();
  await acceptPairs(database.db, { orgId, projectId: project.id }, partition, manifest(notes), manifest(gates));
  await analyze(database.db);
  const acceptMs = now() - t;
  const total = notes.length * gates.length;

  const timeSelect = async (label: string, body: string, check: (answer: any) => void) => {
    const samples: number[] = [];
    for (let r = 0; r < WARMUP + REPS; r++) {
      const t0 = now();
      const reply = await server.http('POST', selectPath, token, body);
      const ms = now() - t0;
      if (reply.status !== 200) throw new Error(`${label}: HTTP ${reply.status}: ${JSON.stringify(reply.json).slice(0, 300)}`);
      if (r === 0) check(reply.json);
      if (r >= WARMUP) samples.push(ms);
    }
    return samples;
  };

  const freshBody = JSON.stringify({ model_partition: partition, notes: manifest(notes), gates: manifest(gates) });
  const freshSamples = await timeSelect('corpus select (all fresh)', freshBody, (a) => {
    checkCounts('corpus, nothing edited', a, { fresh: total, stale: 0, missing: 0, never_reviewed: 0, note_changed: 0, gate_changed: 0, both_changed: 0 });
    if (a.pairs.length !== 0 || a.missing_texts.length !== 0) fail(`corpus, nothing edited: ${a.pairs.length} pairs and ${a.missing_texts.length} missing texts listed`);
  });

  // Simulated edits: 5 notes spread through the corpus and 1 gate.
  const editedNotes = new Set([0, 1, 2, 3, 4].map((k) => Math.floor((k * notes.length) / 5)));
  const editedGate = Math.floor(gates.length / 2);
  const edit = (f: (typeof notes)[number]) => {
    const body = `${f.body}\n<!-- edited by the freshness benchmark -->\n`;
    return { path: f.path, body, sha256: sha256Hex(body) };
  };
  const notes2 = notes.map((f, i) => (editedNotes.has(i) ? edit(f) : f));
  const gates2 = gates.map((f, j) => (j === editedGate ? edit(f) : f));
  const editedBody = JSON.stringify({ model_partition: partition, notes: manifest(notes2), gates: manifest(gates2) });
  const expectEdited = {
    fresh: (notes.length - editedNotes.size) * (gates.length - 1), stale: total - (notes.length - editedNotes.size) * (gates.length - 1), missing: 0,
    never_reviewed: 0, note_changed: editedNotes.size * (gates.length - 1), gate_changed: notes.length - editedNotes.size, both_changed: editedNotes.size,
  };
  // Before the edited texts are uploaded the select names them as missing texts.
  t = now();
  const before = await server.http('POST', selectPath, token, editedBody);
  const firstSelectMs = now() - t;
  if (before.status !== 200) throw new Error(`corpus select after edits: HTTP ${before.status}`);
  checkCounts('corpus after edits, texts not uploaded', before.json, expectEdited);
  if (before.json.missing_texts.length !== editedNotes.size + 1) fail(`corpus after edits: ${before.json.missing_texts.length} missing texts, expected ${editedNotes.size + 1}`);
  t = now();
  await upload([...notes2.filter((_, i) => editedNotes.has(i)), gates2[editedGate]]);
  const uploadEditsMs = now() - t;
  const editedSamples = await timeSelect('corpus select (after edits)', editedBody, (a) => {
    checkCounts('corpus after edits', a, expectEdited);
    if (a.pairs.length !== expectEdited.stale || a.missing_texts.length !== 0) fail(`corpus after edits: ${a.pairs.length} pairs (expected ${expectEdited.stale}) and ${a.missing_texts.length} missing texts`);
  });

  const shape = `${notes.length}×${gates.length} = ${total.toLocaleString('en')} pairs`;
  const rows: Row[] = [
    { section: 'corpus', label: `corpus: POST /freshness ${shape}, all fresh`, samples: freshSamples, note: `req ${(freshBody.length / 1e3).toFixed(0)} kB; loopback HTTP` },
    { section: 'corpus', label: `corpus: same after editing ${editedNotes.size} notes + 1 gate`, samples: editedSamples, note: `${expectEdited.stale} stale pairs listed` },
  ];
  const summary = [
    `Corpus ${corpusRoot}: ${notes.length} notes + ${gates.length} gates, ${(totalBytes / 1e6).toFixed(2)} MB; read+hash ${fmtMs(readMs)}, upload via POST /snapshots ${fmtMs(uploadMs)},`,
    `        accept all ${total.toLocaleString('en')} pairs by SQL ${fmtMs(acceptMs)} (incl. VACUUM ANALYZE; not via the API); select all fresh ${fmtMs(median(freshSamples))};`,
    `        after edits: first select (names ${editedNotes.size + 1} missing texts) ${fmtMs(firstSelectMs)}, upload edited texts ${fmtMs(uploadEditsMs)}, select ${fmtMs(median(editedSamples))}.`,
  ].join('\n');
  return { rows, summary };
}

let exitCode = 0;
try {
  await main();
} catch (err) {
  exitCode = interruptedBy() ? 130 : 1;
  if (!interruptedBy()) console.error(`\nbench: FAILED: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
} finally {
  await runCleanups();
}
process.exit(exitCode);
