// gatehouse status: which pairs are stale or missing, and why.
import { EXIT } from '../errors.js';
import { readWorkspace, selection } from '../files.js';
import { readPaths } from '../accepted.js';
import { color, openSession, printJson } from '../session.js';
import { PairDiffer, snapshotFetcher } from '../pair-diff.js';
import { checkPartition } from '../partition-check.js';

export const STATUS_FORMAT = 'gatehouse-freshness-status/1';

interface Pair { note_path: string; gate_path: string; status: string; reason: string | null; revision: number | null; note_sha256: string; gate_sha256: string; accepted_note_sha256: string | null; accepted_gate_sha256: string | null }
interface AcceptedAnswer { model_partition: string; requested_partition: string; warnings: string[]; counts: Record<string, number>; reasons: Record<string, number>; pairs: Pair[]; absent_paths: string[] }
interface Answer { model_partition: string; requested_partition: string; warnings: string[]; counts: Record<string, number>; reasons: Record<string, number>; pairs: Pair[]; missing_texts: { path: string; sha256: string }[] }

export async function freshness(partition?: string) {
  const s = await openSession();
  const ws = await readWorkspace(s.config);
  await checkPartition(s, partition ?? s.config.partition);
  const body = { model_partition: partition ?? s.config.partition, ...selection(s.config, ws) };
  const { body: answer } = await s.api.post<Answer>(`${s.project}/freshness`, body);
  return { s, ws, answer };
}

/**
 * --accepted: every pair the server has accepted now (not the pairs the
 * config names), checked against the files on disk, as Commonplace's
 * freshness-status does. The server names the accepted paths, the client
 * sends one hash per path (not per pair), the server answers the stale
 * pairs. Files that are gone are listed as deleted.
 */
export async function acceptedFreshness(partition?: string) {
  const s = await openSession();
  const wanted = partition ?? s.config.partition;
  const url = `${s.project}/freshness/accepted`;
  const { body: paths } = await s.api.post<AcceptedAnswer>(url, { model_partition: wanted, files: [] });
  if (paths.absent_paths.length === 0) return { s, answer: { ...paths, missing_texts: [] }, deleted: [] as string[] };
  const texts = await readPaths(s.config.root, paths.absent_paths);
  const files = [...texts.values()].filter((t) => t !== null).map((t) => ({ path: t!.path, sha256: t!.sha256 }));
  const { body } = await s.api.post<AcceptedAnswer>(url, { model_partition: wanted, files });
  return { s, answer: { ...body, missing_texts: [] }, deleted: [...body.absent_paths] };
}

export async function status(opts: { json?: boolean; diff?: boolean; partition?: string; accepted?: boolean }): Promise<number> {
  const context = opts.accepted ? await acceptedFreshness(opts.partition) : { ...(await freshness(opts.partition)), deleted: [] as string[] };
  const { s, answer, deleted } = context;
  if (deleted.length > 0 && !opts.json) {
    process.stdout.write(`${deleted.length} accepted file(s) are gone from disk: \`gatehouse retire --detect\` retires them
`);
    for (const p of deleted) process.stdout.write(`  ${color.red('deleted')}  ${p}
`);
  }
  const code = answer.counts.stale + answer.counts.missing + deleted.length > 0 ? EXIT.stale : EXIT.ok;
  if (opts.json) {
    printJson({
      format: STATUS_FORMAT,
      scope: opts.accepted ? 'accepted' : 'config',
      deleted,
      project: s.config.project,
      model_partition: answer.model_partition,
      requested_partition: answer.requested_partition,
      counts: answer.counts,
      reasons: answer.reasons,
      pairs: answer.pairs,
      missing_texts: answer.missing_texts,
      warnings: answer.warnings,
    });
    return code;
  }
  // Diffs are made here from the texts on disk and the accepted texts, each
  // fetched once (see pair-diff.ts); nothing needs uploading first.
  const differ = opts.diff && 'ws' in context
    ? new PairDiffer(new Map([...context.ws.notes, ...context.ws.gates].map((t) => [t.path, t.body])), snapshotFetcher(s.api, s.project))
    : null;
  const byNote = new Map<string, Pair[]>();
  for (const p of answer.pairs) {
    if (!byNote.has(p.note_path)) byNote.set(p.note_path, []);
    byNote.get(p.note_path)!.push(p);
  }
  for (const [note, pairs] of byNote) {
    process.stdout.write(`${color.bold(note)}\n`);
    for (const p of pairs) {
      const label = p.status === 'stale' ? color.yellow('stale  ') : color.red('missing');
      process.stdout.write(`  ${label}  ${(p.reason ?? '').padEnd(14)}  ${p.gate_path}\n`);
      if (differ && p.status === 'stale') {
        for (const part of await differ.diff(p)) if (part) process.stdout.write(`${part.replace(/^/gm, '      ')}\n`);
      }
    }
  }
  for (const w of answer.warnings) process.stderr.write(`${color.yellow('warning:')} ${w}\n`);
  const c = answer.counts;
  process.stdout.write(`${color.green(`fresh ${c.fresh}`)} · ${color.yellow(`stale ${c.stale}`)} · ${color.red(`missing ${c.missing}`)}  (${c.total} pairs, partition ${answer.model_partition})\n`);
  if (answer.missing_texts.length > 0) process.stdout.write(`${answer.missing_texts.length} text(s) are not on the server yet: \`gatehouse push\` uploads them\n`);
  return code;
}
