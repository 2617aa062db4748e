// gatehouse init · login · diff · retire · tokens
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DEFAULT_PROMPT } from '../adapters.js';
import { ApiClient } from '../client.js';
import { CONFIG_FILE, loadConfig, saveToken } from '../config.js';
import { kbPath } from '../files.js';
import { CliError } from '../errors.js';
import { color, openSession, printJson } from '../session.js';
import { listAccepted, readPaths } from '../accepted.js';
import { freshness } from './status.js';
import { pushTexts } from './push.js';
import { loginWeb } from '../web.js';

// The adapter init starts a team with: a script of their own, called once per review.
export const REVIEW_SH = `#!/bin/sh
# gatehouse work runs this once per review: the rendered prompt on standard
# input, the review on standard output, ending in exactly one line
# "## Result: PASS" (or WARN, FAIL, ERROR). $1 is the runner model.
# Replace the lines below with your agent, for example:
#   exec claude -p --model "$1"
cat > /dev/null
echo 'review.sh is the template gatehouse init wrote: edit it to call your agent.'
echo '## Result: ERROR'
`;

export async function init(opts: { api: string; project: string; partition: string; force?: boolean; createProject?: boolean }): Promise<number> {
  const file = join(process.cwd(), CONFIG_FILE);
  if (existsSync(file) && !opts.force) throw new CliError(`${CONFIG_FILE} already exists here`, 'use --force to overwrite it');
  const config = {
    api: opts.api,
    project: opts.project,
    notes: ['kb/notes/**/*.md'],
    gates: ['kb/instructions/review-gates/**/*.md'],
    partition: opts.partition,
    runner: 'exec',
    adapters: { exec: { command: './review.sh {runner_model}' } },
    prompt: 'gatehouse.prompt.md',
    grouping: 'note',
    batch_size: 50,
    timeout_seconds: 900,
  };
  await writeFile(file, `${JSON.stringify(config, null, 2)}\n`);
  if (!existsSync(join(process.cwd(), 'gatehouse.prompt.md'))) await writeFile(join(process.cwd(), 'gatehouse.prompt.md'), DEFAULT_PROMPT);
  if (!existsSync(join(process.cwd(), 'review.sh'))) await writeFile(join(process.cwd(), 'review.sh'), REVIEW_SH, { mode: 0o755 });
  process.stdout.write(`wrote ${CONFIG_FILE}, gatehouse.prompt.md and review.sh (the exec adapter: edit it to call your agent); edit the globs, then \`gatehouse login\` and \`gatehouse status\`\n`);
  await (await import('./projects.js')).offerProject(opts.api, opts.project, Boolean(opts.createProject));
  return 0;
}

export async function login(opts: { api?: string; token?: string; web?: boolean; open?: boolean }): Promise<number> {
  let api = opts.api;
  if (!api) {
    try {
      api = (await openSessionConfigOnly()).api;
    } catch {
      throw new CliError('No API to log in to', 'pass --api URL, or run it inside a knowledge base with gatehouse.json');
    }
  }
  if (opts.web) return loginWeb(api, { token: opts.token, open: opts.open !== false });
  let token = opts.token;
  if (!token) {
    if (process.stdin.isTTY) process.stderr.write(`Paste a token for ${api} and press Enter: `);
    token = (await readStdin()).trim();
  }
  if (!token) throw new CliError('No token given', 'gatehouse login --token <token>, or pipe it on standard input');
  const { body } = await new ApiClient(api, token).get<{ slug: string; you: { role: string; scopes: string[] } }>('/v1/org');
  const file = await saveToken(api, token);
  process.stdout.write(`logged in to org ${body.slug} as ${body.you.role}; token saved in ${file} (mode 0600)\n`);
  return 0;
}

async function openSessionConfigOnly() {
  return loadConfig(process.cwd());
}

function readStdin(): Promise<string> {
  return new Promise((resolve) => {
    let data = '';
    process.stdin.setEncoding('utf8');
    process.stdin.on('data', (d) => {
      data += d;
      if (process.stdin.isTTY && data.includes('\n')) process.stdin.pause();
    });
    process.stdin.on('end', () => resolve(data));
    process.stdin.on('pause', () => resolve(data));
  });
}

export async function diff(typed: { note: string; gate?: string; json?: boolean; partition?: string }): Promise<number> {
  const config = await loadConfig(process.cwd());
  const opts = { ...typed, note: kbPath(config, typed.note), gate: typed.gate ? kbPath(config, typed.gate) : undefined };
  const { s, ws, answer } = await freshness(opts.partition);
  const pairs = answer.pairs.filter((p) => p.note_path === opts.note && (!opts.gate || p.gate_path === opts.gate));
  if (!ws.notes.some((n) => n.path === opts.note)) throw new CliError(`${opts.note} is not one of the notes gatehouse.json names`);
  // The server diffs texts it holds: upload this note's and its gates' first.
  const involved = new Set(pairs.flatMap((p) => [p.note_path, p.gate_path]));
  await pushTexts(s, [...ws.notes, ...ws.gates].filter((t) => involved.has(t.path)));
  const out = [];
  for (const p of pairs) {
    const q = new URLSearchParams({ note_path: p.note_path, gate_path: p.gate_path, model_partition: answer.model_partition, note_sha256: p.note_sha256, gate_sha256: p.gate_sha256 });
    const { body } = await s.api.get<{ status: string; reason: string | null; note: { diff: string | null; accepted_text_available: boolean }; gate: { diff: string | null } }>(`${s.project}/diff?${q}`);
    out.push(body);
    if (!opts.json) {
      process.stdout.write(`${color.bold(`${p.note_path} x ${p.gate_path}`)}: ${body.status}${body.reason ? ` (${body.reason})` : ''}\n`);
      for (const part of [body.note.diff, body.gate.diff]) if (part) process.stdout.write(`${part}\n`);
    }
  }
  if (opts.json) printJson(out);
  else if (pairs.length === 0) process.stdout.write(`${opts.note}${opts.gate ? ` x ${opts.gate}` : ''}: fresh under ${answer.model_partition}\n`);
  return pairs.length > 0 ? 1 : 0;
}

export async function retire(opts: { paths: string[]; reason?: string; json?: boolean; detect?: boolean; dryRun?: boolean }): Promise<number> {
  const s = await openSession();
  let paths = opts.paths.map((p) => kbPath(s.config, p));
  if (opts.detect) {
    // Every path some current acceptance names (any partition) whose file is gone.
    const accepted = await listAccepted(s);
    const texts = await readPaths(s.config.root, accepted.flatMap((a) => [a.note_path, a.gate_path]));
    paths = [...new Set([...paths, ...[...texts].filter(([, t]) => t === null).map(([p]) => p)])].sort();
  }
  if (paths.length === 0) {
    if (opts.detect) {
      process.stdout.write('no accepted file is missing from disk\n');
      return 0;
    }
    throw new CliError('Name the deleted or moved files to retire, or use --detect', 'gatehouse retire kb/notes/old.md');
  }
  if (opts.dryRun) {
    if (opts.json) printJson({ paths });
    else for (const p of paths) process.stdout.write(`would retire ${p}\n`);
    return 0;
  }
  const { body } = await s.api.post<{ retired: unknown[] }>(`${s.project}/retire`, { paths, ...(opts.reason ? { reason: opts.reason } : {}) });
  if (opts.json) printJson({ paths, ...body });
  else process.stdout.write(`retired ${body.retired.length} acceptance(s) of ${paths.length} path(s): ${paths.join(', ')}\n`);
  return 0;
}

export async function tokens(action: 'list' | 'mint' | 'revoke', opts: { name?: string; scopes?: string; service?: string; days?: number; id?: string; json?: boolean }): Promise<number> {
  const s = await openSession();
  if (action === 'list') {
    const { body } = await s.api.get<{ items: { id: string; name: string; user_id: string; scopes: string[]; expires_at: string; last_used_at: string | null }[] }>('/v1/org/tokens?limit=200');
    if (opts.json) printJson(body.items);
    else for (const t of body.items) process.stdout.write(`${t.id}  ${t.name.padEnd(24)}  ${t.scopes.join(',')}  expires ${t.expires_at}\n`);
    return 0;
  }
  if (action === 'mint') {
    if (!opts.name) throw new CliError('A token needs a --name');
    const { body } = await s.api.post<{ id: string; token: string }>('/v1/org/tokens', {
      name: opts.name, expires_in_days: opts.days ?? 90,
      ...(opts.scopes ? { scopes: opts.scopes.split(',').map((x) => x.trim()) } : {}),
      ...(opts.service ? { service: opts.service } : {}),
    });
    if (opts.json) printJson(body);
    else process.stdout.write(`${body.token}\n`);
    return 0;
  }
  if (!opts.id) throw new CliError('Name the token id to revoke');
  const { body } = await s.api.delete<{ id: string; revoked_at: string }>(`/v1/org/tokens/${opts.id}`);
  if (opts.json) printJson(body);
  else process.stdout.write(`revoked ${body.id}\n`);
  return 0;
}
