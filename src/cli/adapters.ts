// Runner adapters: a command fed the rendered prompt on stdin. Built in:
// claude-code and codex; any other (exec) is a shell command template from
// gatehouse.json with {runner_model} and {effort} filled in, shell-quoted.
import { spawn } from 'node:child_process';
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

export interface RunOutcome { stdout: string; stderr: string; code: number | null; timedOut: boolean; durationMs: number }

/** Run one review: the prompt on stdin, stdout collected, killed after the timeout. */
export function runAdapter(argv: string[], prompt: string, timeoutSeconds: number, cwd: string): Promise<RunOutcome> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(argv[0], argv.slice(1), { cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutSeconds * 1000);
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('error', (err) => {
      clearTimeout(timer);
      resolve({ stdout, stderr: `${stderr}${err.message}`, code: null, timedOut, durationMs: Date.now() - started });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ stdout, stderr, code, timedOut, durationMs: Date.now() - started });
    });
    child.stdin.on('error', () => { /* the adapter may exit without reading everything */ });
    child.stdin.end(prompt);
  });
}
