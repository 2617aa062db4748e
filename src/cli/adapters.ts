// Runner adapters: a command fed the rendered prompt on stdin. Built in:
// claude-code and codex; any other (exec) is a shell command template from
// gatehouse.json with {runner_model} and {effort} filled in, shell-quoted.
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Config } from './config.js';
import { CliError } from './errors.js';

export const DEFAULT_PROMPT = `You are reviewing one note of a knowledge base against one review gate.

# Gate: {gate_path}

{gate_text}

# Note: {note_path}

{note_text}

Write your review of the note against the gate as markdown. End it with
exactly one line of the form:

## Result: PASS   (or WARN, FAIL, ERROR)

Optionally, after it, one line of JSON telemetry, e.g. {"model": "...", "tokens": 1234}.
`;

export interface PromptValues {
  note_path: string; note_text: string; gate_path: string; gate_text: string;
  model_partition: string; runner_model: string | null; effort: string | null;
}

/** One pass over `{name}` placeholders, so a text that contains one is never expanded again. */
export function renderPrompt(template: string, values: PromptValues): string {
  return template.replace(/\{(note_path|note_text|gate_path|gate_text|model_partition|runner_model|effort)\}/g,
    (_, key: keyof PromptValues) => values[key] ?? '');
}

export async function loadTemplate(config: Config): Promise<string> {
  if (!config.prompt) return DEFAULT_PROMPT;
  try {
    return await readFile(join(config.root, config.prompt), 'utf8');
  } catch {
    throw new CliError(`The prompt template ${config.prompt} (from gatehouse.json) cannot be read`);
  }
}

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** The argv to run for a runner: a configured template, or a built-in adapter. */
export function commandFor(config: Config, runner: string, runnerModel: string | null, effort: string | null): string[] {
  const custom = config.adapters[runner];
  const model = runnerModel ?? custom?.runner_model ?? null;
  const eff = effort ?? custom?.effort ?? null;
  if (custom) {
    const line = custom.command.replace(/\{runner_model\}/g, model ? quote(model) : "''").replace(/\{effort\}/g, eff ? quote(eff) : "''");
    return ['/bin/sh', '-c', line];
  }
  if (runner === 'claude-code') return ['claude', '-p', ...(model ? ['--model', model] : [])];
  if (runner === 'codex') return ['codex', 'exec', ...(model ? ['-m', model] : []), ...(eff ? ['-c', `model_reasoning_effort=${eff}`] : []), '-'];
  throw new CliError(`No adapter for runner "${runner}"`, `add "adapters": { "${runner}": { "command": "..." } } to gatehouse.json`);
}

export interface RunOutcome {
  stdout: string; stderr: string; code: number | null; signal: NodeJS.Signals | null; timedOut: boolean; durationMs: number;
  /** Set when the adapter could not start at all (no such command, not executable): nothing was reviewed. */
  cannotStart?: string;
}

// Adapters run in process groups of their own, so a terminal's Ctrl-C (sent
// to the whole foreground group) reaches `gatehouse work` alone and the
// reviews in flight can finish. Passing a signal on is then deliberate:
// the group, since an exec adapter is a shell with children of its own.
const running = new Set<number>();

function signalGroup(pid: number, signal: NodeJS.Signals) {
  try { process.kill(-pid, signal); } catch { /* already gone */ }
}

/** Pass a signal on to every running adapter (a second Ctrl-C, or exit). */
export function signalAdapters(signal: NodeJS.Signals) {
  for (const pid of running) signalGroup(pid, signal);
}

/** Pass a signal on, then give the adapters up to `graceMs` to exit (whatever is left is killed at exit). */
export async function stopAdapters(signal: NodeJS.Signals, graceMs: number): Promise<void> {
  signalAdapters(signal);
  for (const until = Date.now() + graceMs; running.size > 0 && Date.now() < until;) await new Promise((r) => setTimeout(r, 25));
}

// No adapter outlives the CLI, however it ends.
process.once('exit', () => signalAdapters('SIGKILL'));

// The shell's own "cannot run this": 127 not found, 126 not executable.
const SHELL_CANNOT_RUN: Record<number, string> = { 126: 'adapter command not executable', 127: 'adapter command not found' };
const tail = (text: string, chars = 2000) => (text.length > chars ? `…${text.slice(-chars)}` : text);

function cannotStartReason(argv: string[], code: number | null, stdout: string, stderr: string): string | undefined {
  if (code === null || !(code in SHELL_CANNOT_RUN) || argv[0] !== '/bin/sh' || stdout.trim() !== '') return undefined;
  return `${SHELL_CANNOT_RUN[code]}: ${tail(stderr.trim(), 500) || argv[2]}`;
}

// A shell reports a child killed by signal n as exit 128 + n.
const signalOfShellExit = (code: number | null) =>
  code !== null && code > 128 ? Object.entries(constants.signals).find(([, n]) => n === code - 128)?.[0] : undefined;

/** What went wrong with a run that gave no review, for the artifact and the terminal. */
export function describeFailure(run: RunOutcome, timeoutSeconds: number): string {
  const shellSignal = signalOfShellExit(run.code);
  const how = run.cannotStart ?? (run.timedOut ? `timed out after ${timeoutSeconds} s`
    : run.signal ? `the adapter was killed by ${run.signal}`
      : shellSignal ? `the adapter was killed by ${shellSignal} (exit ${run.code})` : `the adapter exited with ${run.code}`);
  const err = run.stderr.trim();
  return err && !run.cannotStart ? `${how}; stderr ends:\n${tail(err)}` : how;
}

/** Run one review: the prompt on stdin, stdout collected, its group killed after the timeout. */
export function runAdapter(argv: string[], prompt: string, timeoutSeconds: number, cwd: string): Promise<RunOutcome> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(argv[0], argv.slice(1), { cwd, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    const pid = child.pid;
    if (pid !== undefined) running.add(pid);
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      if (pid !== undefined) signalGroup(pid, 'SIGKILL');
    }, timeoutSeconds * 1000);
    let settled = false;
    const finish = (outcome: Omit<RunOutcome, 'durationMs' | 'stdout' | 'stderr' | 'timedOut'>) => {
      if (settled) return; // a spawn error may be followed by close
      settled = true;
      clearTimeout(timer);
      if (pid !== undefined) running.delete(pid);
      resolve({ stdout, stderr, timedOut, durationMs: Date.now() - started, ...outcome });
    };
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('error', (err: NodeJS.ErrnoException) => {
      const reason = err.code === 'ENOENT' ? `adapter command not found: ${argv[0]}`
        : err.code === 'EACCES' ? `adapter command not executable: ${argv[0]}` : `the adapter could not start: ${err.message}`;
      finish({ code: null, signal: null, cannotStart: reason });
    });
    child.on('close', (code, signal) => {
      finish({ code, signal, cannotStart: timedOut ? undefined : cannotStartReason(argv, code, stdout, stderr) });
    });
    child.stdin.on('error', () => { /* the adapter may exit without reading everything */ });
    child.stdin.end(prompt);
  });
}
