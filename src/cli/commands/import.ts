// gatehouse import <store.sqlite>: move a local Commonplace review store's
// accepted baselines into the project without reviewing again. Texts first
// (only those the server lacks), then baselines in batches; each batch is
// one all-or-nothing request, and re-running skips what is already there,
// so an interrupted import resumes by running it again.
import { basename } from 'node:path';
import { SingleBar } from 'cli-progress';
import { CommonplaceStore, fileSha256, KNOWN_USER_VERSIONS, type Problem, type StoreSnapshot } from '../commonplace-store.js';
import { CliError, EXIT } from '../errors.js';
import { color, interactive, openSession, printJson, type Session } from '../session.js';

export const IMPORT_FORMAT = 'gatehouse-import/1';
const SNAPSHOT_PAGE = 500;
const UPLOAD_BYTES = 4 * 1024 * 1024;
/** Refused rows listed in the report; the counts always cover all of them. */
const LISTED = 1000;

export interface ImportOptions { project?: string; partitionMap?: string[]; dryRun?: boolean; strict?: boolean; json?: boolean; batchSize?: number }

interface BatchAnswer {
  counts: { received: number; imported: number; skipped: number; refused: number };
  reasons: Record<string, number>;
  refused: { index: number; note_path: string; gate_path: string; model_partition: string; reason: string; detail: string }[];
  warnings: string[];
  texts_missing: number;
}

export function parsePartitionMap(entries: string[] = []): (p: string) => string {
  const map = new Map<string, string>();
  for (const e of entries) {
    const at = e.indexOf('=');
    if (at <= 0 || at === e.length - 1) throw new CliError(`--partition-map expects old=new, got "${e}"`);
    map.set(e.slice(0, at), e.slice(at + 1));
  }
  return (p) => map.get(p) ?? p;
}

class Report {
  imported = 0; skipped = 0; refused = 0;
  reasons: Record<string, number> = {};
  rows: Problem[] = [];
  warnings = new Set<string>();
  texts = { checked: 0, uploaded: 0, refused: 0 };

  refuse(p: Problem) {
    this.refused += 1;
    this.reasons[p.reason] = (this.reasons[p.reason] ?? 0) + 1;
    if (this.rows.length < LISTED) this.rows.push(p);
  }

  add(answer: BatchAnswer, sent: { target_id: number }[]) {
    this.imported += answer.counts.imported;
    this.skipped += answer.counts.skipped;
    for (const [k, v] of Object.entries(answer.reasons)) if (v > 0 && k !== 'pair_already_accepted') this.reasons[k] = (this.reasons[k] ?? 0) + v;
    for (const r of answer.refused) this.refuse({ target_id: sent[r.index].target_id, note_path: r.note_path, gate_path: r.gate_path, reason: r.reason as Problem['reason'], detail: r.detail });
    for (const w of answer.warnings) this.warnings.add(w);
  }
}

/** Upload the page's texts the server lacks (a dry run only counts them). */
async function pushPage(s: Session, project: string, page: StoreSnapshot[], dryRun: boolean): Promise<number> {
  if (page.length === 0) return 0;
  const { body } = await s.api.post<{ missing: { path: string; sha256: string }[] }>(`${project}/snapshots/missing`, { files: page.map(({ path, sha256 }) => ({ path, sha256 })) });
  const wanted = new Set(body.missing.map((m) => `${m.path}\0${m.sha256}`));
  const todo = page.filter((t) => wanted.has(`${t.path}\0${t.sha256}`));
  if (dryRun) return todo.length;
  for (let i = 0; i < todo.length;) {
    const batch: StoreSnapshot[] = [];
    let bytes = 0;
    while (i < todo.length && (batch.length === 0 || bytes + Buffer.byteLength(todo[i].body) < UPLOAD_BYTES)) {
      bytes += Buffer.byteLength(todo[i].body);
      batch.push(todo[i++]);
    }
    await s.api.post(`${project}/snapshots`, { files: batch.map(({ path, sha256, body: b }) => ({ path, sha256, body: b })) });
  }
  return todo.length;
}

/** --strict: read the whole store first and import nothing if any row is bad. */
function scan(store: CommonplaceStore, rename: (p: string) => string, batchSize: number): Problem[] {
  const problems: Problem[] = [];
  const bad = new Map<number, Problem>();
  for (const page of store.snapshotPages(SNAPSHOT_PAGE)) for (const p of page.bad) { bad.set(p.snapshot_id!, p); problems.push(p); }
  for (const page of store.baselinePages(batchSize, bad, rename)) problems.push(...page.problems);
  return problems;
}

export async function importStore(file: string, opts: ImportOptions): Promise<number> {
  const s = await openSession();
  const slug = opts.project ?? s.config.project;
  const project = `/v1/projects/${encodeURIComponent(slug)}`;
  const rename = parsePartitionMap(opts.partitionMap);
  const batchSize = opts.batchSize ?? 2000;
  if (batchSize < 1 || batchSize > 5000) throw new CliError('--batch-size must be 1-5000');
  const store = CommonplaceStore.open(file);
  const report = new Report();
  try {
    const source = { kind: 'commonplace' as const, file_name: basename(file), sha256: await fileSha256(file) };
    if (!KNOWN_USER_VERSIONS.includes(store.userVersion)) {
      const note = `store schema version ${store.userVersion} is not one this importer was checked against (${KNOWN_USER_VERSIONS.join(', ')})`;
      if (opts.strict) {
        report.refuse({ target_id: null, reason: 'unknown_schema', detail: `${note}; --strict refuses it` });
        return finish(report, opts, source, slug, true);
      }
      report.warnings.add(`${note}; its tables have every column needed, so it was read anyway`);
    }
    if (opts.strict) {
      const problems = scan(store, rename, batchSize);
      if (problems.length > 0) {
        for (const p of problems) report.refuse(p);
        return finish(report, opts, source, slug, true);
      }
    }
    const totals = store.counts();
    const bar = interactive() && !opts.json ? new SingleBar({ format: 'import {stage} {bar} {value}/{total}', hideCursor: true, stream: process.stderr }) : null;
    bar?.start(totals.snapshots, 0, { stage: 'texts    ' });
    const bad = new Map<number, Problem>();
    for (const page of store.snapshotPages(SNAPSHOT_PAGE)) {
      for (const p of page.bad) { bad.set(p.snapshot_id!, p); report.texts.refused += 1; }
      report.texts.checked += page.good.length + page.bad.length;
      report.texts.uploaded += await pushPage(s, project, page.good, Boolean(opts.dryRun));
      bar?.increment(page.good.length + page.bad.length);
    }
    bar?.setTotal(totals.baselines);
    bar?.update(0, { stage: 'baselines' });
    // One request at a time (batches stay in order, and an outage stops the
    // run at a batch boundary), but the next page is read from the store
    // while the server works on the current one.
    let inflight: Promise<void> = Promise.resolve();
    for (const page of store.baselinePages(batchSize, bad, rename)) {
      for (const p of page.problems) report.refuse(p);
      const baselines = page.rows.map(({ target_id: _, ...b }) => b);
      await inflight;
      bar?.increment(page.problems.length);
      if (baselines.length === 0) continue;
      inflight = s.api.post<BatchAnswer>(`${project}/imports`, { source, dry_run: Boolean(opts.dryRun), baselines }).then(({ body }) => {
        report.add(body, page.rows);
        bar?.increment(page.rows.length);
      });
    }
    await inflight;
    bar?.stop();
    return finish(report, opts, source, slug, false);
  } finally {
    store.close();
  }
}

function finish(report: Report, opts: ImportOptions, source: { file_name: string; sha256: string }, slug: string, strictRefusal: boolean): number {
  const code = report.refused > 0 ? EXIT.stale : EXIT.ok;
  if (opts.json) {
    printJson({
      format: IMPORT_FORMAT, project: slug, source, dry_run: Boolean(opts.dryRun), strict: Boolean(opts.strict), refused_whole_store: strictRefusal,
      counts: { imported: report.imported, skipped: report.skipped, refused: report.refused },
      reasons: report.reasons, texts: report.texts, refused: report.rows, warnings: [...report.warnings],
    });
    return code;
  }
  const out = (line: string) => process.stdout.write(`${line}\n`);
  for (const w of report.warnings) process.stderr.write(`${color.yellow('warning:')} ${w}\n`);
  for (const p of report.rows) {
    const where = p.target_id !== null ? `baseline ${p.target_id}` : p.snapshot_id !== undefined ? `snapshot ${p.snapshot_id}` : 'store';
    const pair = p.note_path ? `  ${p.note_path} x ${p.gate_path}` : '';
    out(`${color.red('refused')}  ${p.reason.padEnd(22)}  ${where}${pair}\n         ${color.dim(p.detail)}`);
  }
  if (report.refused > report.rows.length) out(`… and ${report.refused - report.rows.length} more refused rows (--json lists the first ${LISTED})`);
  if (strictRefusal) {
    out(`${color.red(`--strict: ${report.refused} problem(s) in ${source.file_name}; nothing was imported`)}`);
    return EXIT.stale;
  }
  const verb = opts.dryRun ? 'would import' : 'imported';
  const why = Object.entries(report.reasons).map(([k, v]) => `${k} ${v}`).join(', ');
  out(`${opts.dryRun ? color.dim('dry run: nothing was changed. ') : ''}texts: ${report.texts.checked} checked, ${report.texts.uploaded} ${opts.dryRun ? 'to upload' : 'uploaded'} (the server had the rest), ${report.texts.refused} refused`);
  out(`${color.green(`${verb} ${report.imported}`)} · skipped ${report.skipped} (already there) · ${color.red(`refused ${report.refused}`)}${why ? `  (${why})` : ''}  into ${slug} from ${source.file_name}`);
  return code;
}
