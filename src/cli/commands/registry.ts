// gatehouse registry pull | diff | sync: the project's registry as a file in
// the knowledge base; `diff` shows the server's dry-run plan.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CliError } from '../errors.js';
import { color, openSession, printJson } from '../session.js';

interface Plan { changes: { kind: string; from?: unknown; to?: unknown }[]; refusals: { change: { kind: string }; reason: string }[] }

/** A sync is all or nothing: with any refusal, nothing would apply, and the line says so. */
export function summaryOf(action: 'diff' | 'sync', plan: Plan): string {
  const n = plan.changes.length;
  if (plan.refusals.length > 0) {
    return `${n} change(s) planned, ${plan.refusals.length} refused: ${action === 'sync' ? 'nothing was applied' : 'a sync would apply nothing'}`;
  }
  if (n === 0) return 'the server already matches the file';
  return action === 'sync' ? `applied ${n} change(s)` : `${n} change(s) would apply`;
}

export async function registry(action: 'pull' | 'diff' | 'sync', opts: { json?: boolean }): Promise<number> {
  const s = await openSession();
  const file = join(s.config.root, s.config.registry);
  if (action === 'pull') {
    const { body } = await s.api.get<Record<string, unknown>>(`${s.project}/registry`);
    const { etag: _etag, ...registryBody } = body;
    await writeFile(file, `${JSON.stringify(registryBody, null, 2)}\n`);
    if (opts.json) printJson(body);
    else process.stdout.write(`wrote ${s.config.registry}\n`);
    return 0;
  }
  let desired: unknown;
  try {
    desired = JSON.parse(await readFile(file, 'utf8'));
  } catch {
    throw new CliError(`Cannot read ${s.config.registry}`, '`gatehouse registry pull` writes it from the server');
  }
  const path = `${s.project}/registry${action === 'diff' ? '?dry_run=true' : ''}`;
  const { body } = await s.api.put<{ plan: Plan; applied: boolean }>(path, desired);
  if (opts.json) printJson(body);
  else {
    for (const c of body.plan.changes) process.stdout.write(`${color.cyan(c.kind.padEnd(20))} ${JSON.stringify(c.to ?? c.from)}\n`);
    for (const r of body.plan.refusals) process.stdout.write(`${color.red('refused')} ${r.change.kind}: ${r.reason}\n`);
    process.stdout.write(`${summaryOf(action, body.plan)}\n`);
  }
  return action === 'diff' && (body.plan.changes.length > 0 || body.plan.refusals.length > 0) ? 1 : 0;
}
