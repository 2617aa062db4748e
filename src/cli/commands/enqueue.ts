// gatehouse enqueue: push what is missing, then queue review jobs for every
// stale or missing pair in one call.
import { readWorkspace, selection } from '../files.js';
import { openSession, printJson } from '../session.js';
import { pushTexts } from './push.js';
import { checkPartition } from '../partition-check.js';
import { ask, canAsk } from './projects.js';

interface Created { model_partition: string; runner_model: string | null; warnings: string[]; jobs: { id: string; items: number }[]; queued: number; skipped: unknown[] }

export async function enqueue(opts: { json?: boolean; partition?: string; runner?: string; grouping?: 'note' | 'gate'; batchSize?: number; priority?: number; yes?: boolean }): Promise<number> {
  const s = await openSession();
  const ws = await readWorkspace(s.config);
  await checkPartition(s, opts.partition ?? s.config.partition, { registering: true, yes: opts.yes, canAsk: canAsk(), ask });
  await pushTexts(s, [...ws.notes, ...ws.gates]);
  const sel = selection(s.config, ws);
  const { body } = await s.api.post<Created>(`${s.project}/jobs`, {
    runner: opts.runner ?? s.config.runner,
    model_partition: opts.partition ?? s.config.partition,
    grouping: opts.grouping ?? s.config.grouping,
    batch_size: opts.batchSize ?? s.config.batch_size,
    priority: opts.priority ?? 0,
    context: { codebase: s.config.project, host: process.env.HOSTNAME ?? 'cli', client_id: 'gatehouse-cli' },
    select: sel,
  });
  if (opts.json) printJson(body);
  else {
    process.stdout.write(`${body.queued} pair(s) queued in ${body.jobs.length} job(s) under ${body.model_partition}; ${body.skipped.length} already queued\n`);
    for (const w of body.warnings) process.stderr.write(`warning: ${w}\n`);
  }
  return 0;
}
