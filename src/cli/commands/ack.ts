// gatehouse ack: accept changed texts without a review — one pair, or every
// trivial change (what the gates do not watch).
import { CliError } from '../errors.js';
import { kbPath, readWorkspace, selection } from '../files.js';
import { color, openSession, printJson } from '../session.js';
import { freshness } from './status.js';
import { pushTexts } from './push.js';

export async function ack(opts: { trivial?: boolean; dryRun?: boolean; reason?: string; note?: string; gate?: string; json?: boolean; partition?: string }): Promise<number> {
  if (opts.trivial) {
    const s = await openSession();
    const ws = await readWorkspace(s.config);
    // A dry run uploads the texts too (it changes no acceptance), so it and
    // the real run judge the same texts and always agree.
    await pushTexts(s, [...ws.notes, ...ws.gates]);
    const { body } = await s.api.post<{ acked: number; qualifying: { note_path: string; gate_path: string; changed: string[] }[]; not_qualifying: { note_path: string; gate_path: string; reason: string; changed?: string[] }[] }>(
      `${s.project}/acks/trivial`,
      { model_partition: opts.partition ?? s.config.partition, dry_run: Boolean(opts.dryRun), ...(opts.reason ? { reason: opts.reason } : {}), ...selection(s.config, ws) },
    );
    if (opts.json) printJson(body);
    else {
      for (const q of body.qualifying) process.stdout.write(`${color.green(opts.dryRun ? 'would ack' : 'acked')}  ${q.note_path} x ${q.gate_path}  (${q.changed.join(', ') || 'no part'} changed)\n`);
      for (const q of body.not_qualifying) process.stdout.write(`${color.yellow('needs review')}  ${q.note_path} x ${q.gate_path}  (${q.reason}${q.changed ? `: ${q.changed.join(', ')}` : ''})\n`);
      process.stdout.write(`${opts.dryRun ? `${body.qualifying.length} would be acked` : `${body.acked} acked`}; ${body.not_qualifying.length} need a review\n`);
    }
    return 0;
  }
  if (!opts.note || !opts.gate) throw new CliError('Name a note and a gate, or use --trivial', 'gatehouse ack <note> <gate> --reason "why"');
  if (!opts.reason) throw new CliError('An ack needs a reason', 'add --reason "why this change needs no review"');
  const { s, ws, answer } = await freshness(opts.partition);
  const note = kbPath(s.config, opts.note);
  const gate = kbPath(s.config, opts.gate);
  const pair = answer.pairs.find((p) => p.note_path === note && p.gate_path === gate);
  if (!pair) throw new CliError(`${note} x ${gate} is not stale under ${answer.model_partition}`, 'gatehouse status lists what is');
  if (pair.status !== 'stale') throw new CliError(`${note} x ${gate} was never reviewed under ${answer.model_partition}: review it (gatehouse enqueue) rather than ack it`);
  await pushTexts(s, [...ws.notes, ...ws.gates].filter((t) => t.path === pair.note_path || t.path === pair.gate_path));
  const { body } = await s.api.post(`${s.project}/acks`, {
    model_partition: answer.model_partition, reason: opts.reason,
    pairs: [{ note_path: pair.note_path, note_sha256: pair.note_sha256, gate_path: pair.gate_path, gate_sha256: pair.gate_sha256, expected_revision: pair.revision }],
  });
  if (opts.json) printJson(body);
  else process.stdout.write(`acked ${pair.note_path} x ${pair.gate_path}\n`);
  return 0;
}
