// gatehouse work: claim jobs (long-poll, no spinning), render each item's
// prompt from the exact snapshot texts, run the adapter, push results,
// finalize; heartbeats while it runs. Ctrl-C finishes the jobs in hand (the
// adapters run in their own process groups, so the terminal's signal does
// not reach them); a second Ctrl-C passes it on to them and quits.
import { hostname } from 'node:os';
import { commandFor, describeFailure, loadTemplate, renderPrompt, runAdapter, stopAdapters } from '../adapters.js';
import { ApiError } from '../client.js';
import { CliError, EXIT } from '../errors.js';
import { parseReview } from '../output-contract.js';
import { color, openSession, printJson, type Session } from '../session.js';
import { Warnings } from '../warnings.js';

interface Claimed {
  job: { id: string; model_partition: string; runner: string; runner_model: string | null; runner_effort: string | null };
  lease: { id: string; expires_at: string };
  items: { id: string; note_path: string; gate_path: string; note_text: string; gate_text: string; status: string }[];
}

export interface WorkOptions {
  once?: boolean; drain?: boolean; maxJobs?: number; concurrency?: number; runner?: string; wait?: number; lease?: number; json?: boolean;
}

/** Long enough for an adapter run (twice its timeout), at least a minute, unless --lease says otherwise. */
const leaseFor = (s: Session, opts: WorkOptions) => opts.lease ?? Math.max(60, s.config.timeout_seconds * 2);

/** The adapter could not run at all: the job went back to the queue unharmed. */
class AdapterCannotStart extends CliError {}

type Finalized = { status: string; error: { code: string; detail: string } | null; warnings: string[] };

async function runJob(s: Session, claimed: Claimed, template: string, log: (line: string) => void, leaseSeconds: number): Promise<Finalized> {
  const { job, lease } = claimed;
  let lost = false;
  const extend = () => s.api.post(`/v1/jobs/${job.id}/heartbeat`, { lease_id: lease.id, lease_seconds: leaseSeconds }).catch((err) => {
    if (err instanceof ApiError && err.status === 409) lost = true;
  });
  // A claim's lease lasts at most a minute (so an abandoned claim frees its
  // job soon): the first heartbeat, at once, extends it to leaseSeconds; the
  // later ones come every third of a minute at most, so even if that first
  // one is lost on the way, a retry lands before the short lease ends.
  await extend();
  const beat = setInterval(() => { void extend(); }, Math.max(5, Math.min(leaseSeconds, 60) / 3) * 1000);
  try {
    for (const item of claimed.items) {
      if (lost) break;
      if (item.status === 'done') continue;
      const prompt = renderPrompt(template, {
        note_path: item.note_path, note_text: item.note_text, gate_path: item.gate_path, gate_text: item.gate_text,
        model_partition: job.model_partition, runner_model: job.runner_model, effort: job.runner_effort,
      });
      const argv = commandFor(s.config, job.runner, job.runner_model, job.runner_effort);
      const run = await runAdapter(argv, prompt, s.config.timeout_seconds, s.config.root);
      if (run.cannotStart) {
        // Nothing was reviewed: give the job back rather than fail it, and stop
        // before claiming more work this machine cannot do.
        await s.api.post(`/v1/jobs/${job.id}/release`, { lease_id: lease.id });
        throw new AdapterCannotStart(`${run.cannotStart} (runner "${job.runner}"); job ${job.id} went back to the queue`,
          `install it, or set "runner" and "adapters" in gatehouse.json`);
      }
      const failed = run.timedOut || (run.code !== 0 && !/##\s*Result:/.test(run.stdout));
      const review = failed
        ? { outcome: 'error' as const, artifact: `${run.stdout}\n\n(${describeFailure(run, s.config.timeout_seconds)})`, problem: describeFailure(run, s.config.timeout_seconds).split('\n')[0] }
        : parseReview(run.stdout);
      const telemetry = {
        ...('telemetry' in review ? review.telemetry : {}), duration_ms: run.durationMs, exit_code: run.code,
        ...(run.signal ? { signal: run.signal } : {}), ...(review.problem ? { parse_problem: review.problem } : {}),
      };
      await s.api.put(`/v1/jobs/${job.id}/items/${item.id}/result`, { lease_id: lease.id, outcome: review.outcome, artifact: review.artifact || '(no output)', telemetry });
      log(`  ${review.outcome === 'error' ? color.red(review.outcome) : review.outcome.padEnd(5)}  ${item.note_path} x ${item.gate_path}${review.problem ? color.dim(` (${review.problem})`) : ''}`);
    }
  } finally {
    clearInterval(beat);
  }
  if (lost) throw new Error(`lost the lease on job ${job.id}; another runner will take it`);
  const { body } = await s.api.post<Finalized>(`/v1/jobs/${job.id}/finalize`, { lease_id: lease.id });
  return body;
}

export async function work(opts: WorkOptions): Promise<number> {
  const s = await openSession();
  const template = await loadTemplate(s.config);
  const runner = opts.runner ?? s.config.runner;
  const wait = opts.wait ?? (opts.once || opts.drain ? 2 : 20);
  let stopping = false;
  let done = 0;
  let failed = 0;
  // Stops a claim that is long-polling: waiting for work is abandoned at once, work in hand is finished.
  const idle = new AbortController();
  const onSignal = () => {
    if (stopping) {
      void stopAdapters('SIGINT', 5000).then(() => process.exit(130));
      return;
    }
    stopping = true;
    idle.abort();
    process.stderr.write('\nfinishing the current job, then stopping (Ctrl-C again to stop the adapters and quit now; the job then goes back to the queue when its lease expires)\n');
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const log = (line: string) => { if (!opts.json) process.stderr.write(`${line}\n`); };
  const warnings = new Warnings(log);
  const results: unknown[] = [];

  const worker = async (n: number) => {
    while (!stopping && (opts.maxJobs === undefined || done + failed < opts.maxJobs)) {
      let claim: { status: number; body: Claimed };
      try {
        claim = await s.api.post<Claimed>('/v1/jobs/claim', {
          runner, projects: [s.config.project], worker: `${hostname()}:${process.pid}#${n}`,
          lease_seconds: leaseFor(s, opts), wait_seconds: wait,
        }, idle.signal);
      } catch (err) {
        if (idle.signal.aborted) return;
        throw err;
      }
      const { status, body } = claim;
      if (status === 204) {
        if (opts.once || opts.drain) return;
        continue;
      }
      log(`job ${body.job.id}: ${body.items.length} item(s) under ${body.job.model_partition}`);
      let outcome: Finalized;
      try {
        outcome = await runJob(s, body, template, log, leaseFor(s, opts));
      } catch (err) {
        if (err instanceof AdapterCannotStart) { stopping = true; idle.abort(); }
        throw err;
      }
      if (outcome.status === 'succeeded') done += 1;
      else failed += 1;
      results.push({ job: body.job.id, ...outcome });
      log(`job ${body.job.id}: ${outcome.status === 'succeeded' ? color.green('succeeded') : color.red(`failed (${outcome.error?.code}: ${outcome.error?.detail})`)}`);
      warnings.addAll(outcome.warnings);
      if (opts.once) return;
    }
  };
  try {
    // Every worker settles before the command ends, so none is left running after a failure.
    const settled = await Promise.allSettled(Array.from({ length: Math.max(1, opts.concurrency ?? 1) }, (_, i) => worker(i)));
    const rejected = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (rejected) throw rejected.reason;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  if (opts.json) printJson({ succeeded: done, failed, jobs: results, warnings: warnings.counted() });
  else {
    warnings.summarize();
    log(`${done} job(s) succeeded, ${failed} failed`);
  }
  return failed > 0 ? EXIT.stale : EXIT.ok;
}
