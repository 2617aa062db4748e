// The CLI's own rules, tested directly: config parsing, globbing and
// applicability, the output contract, prompt rendering, exit codes.
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { commandFor, renderPrompt } from '../../src/cli/adapters.js';
import { findRoot, parseConfig, saveToken, tokenFor } from '../../src/cli/config.js';
import { CliError } from '../../src/cli/errors.js';
import { applicablePairs, readWorkspace, selection } from '../../src/cli/files.js';
import { main } from '../../src/cli/main.js';
import { parseReview } from '../../src/cli/output-contract.js';

const base = { api: 'http://127.0.0.1:8787', project: 'kb', notes: ['notes/**/*.md'], gates: ['gates/*.md'], partition: 'm' };
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gatehouse-units-'));
  await mkdir(join(dir, 'notes/sub'), { recursive: true });
  await mkdir(join(dir, 'gates'), { recursive: true });
  await writeFile(join(dir, 'notes/a.md'), '---\ntype: note\n---\n# A\n');
  await writeFile(join(dir, 'notes/sub/b.md'), '---\ntype: definition\n---\n# B\n');
  await writeFile(join(dir, 'notes/skip.txt'), 'not markdown');
  await writeFile(join(dir, 'gates/style.md'), '# Style\n');
  await writeFile(join(dir, 'gates/defs.md'), '# Definitions\n');
  await writeFile(join(dir, 'gatehouse.json'), JSON.stringify(base));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('config', () => {
  it('parses with defaults, and finds the root from a subfolder', () => {
    const c = parseConfig(JSON.stringify(base), dir);
    expect(c).toMatchObject({ runner: 'exec', grouping: 'note', batch_size: 50, timeout_seconds: 900, registry: 'gatehouse.registry.json', root: dir });
    expect(findRoot(join(dir, 'notes/sub'))).toBe(dir);
  });

  it('names every bad field', () => {
    const bad = () => parseConfig(JSON.stringify({ ...base, api: 'not a url', batch_size: 0, surprise: true }), dir);
    expect(bad).toThrow(CliError);
    expect(bad).toThrow(/api.*\n.*batch_size|batch_size.*\n.*api/s);
    expect(() => parseConfig('{ nope', dir)).toThrow(/not valid JSON/);
  });

  it('the token: GATEHOUSE_TOKEN first, else the credentials file (mode 0600)', async () => {
    const env = { GATEHOUSE_CREDENTIALS: join(dir, 'creds.json') } as NodeJS.ProcessEnv;
    await expect(tokenFor(base.api, env)).rejects.toThrow(/No token/);
    const file = await saveToken(`${base.api}/`, 'saved-token', env);
    const { statSync } = await import('node:fs');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(await tokenFor(base.api, env)).toBe('saved-token');
    expect(await tokenFor(base.api, { ...env, GATEHOUSE_TOKEN: 'from-env\n' })).toBe('from-env');
  });
});

describe('globbing and which gates apply', () => {
  it('reads notes and gates by glob, hashing the exact bytes', async () => {
    const ws = await readWorkspace(parseConfig(JSON.stringify(base), dir));
    expect(ws.notes.map((n) => n.path)).toEqual(['notes/a.md', 'notes/sub/b.md']);
    expect(ws.gates.map((g) => g.path)).toEqual(['gates/defs.md', 'gates/style.md']);
    expect(ws.notes[0].sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(selection(parseConfig(JSON.stringify(base), dir), ws)).toHaveProperty('notes');
  });

  it('applies rules by path glob and by frontmatter', async () => {
    const config = parseConfig(JSON.stringify({
      ...base,
      applies: [{ gates: 'gates/style.md' }, { gates: 'gates/defs.md', where: { type: 'definition' } }],
    }), dir);
    const ws = await readWorkspace(config);
    const pairs = applicablePairs(config, ws)!.map(([n, g]) => `${n.path}|${g.path}`).sort();
    expect(pairs).toEqual(['notes/a.md|gates/style.md', 'notes/sub/b.md|gates/defs.md', 'notes/sub/b.md|gates/style.md']);
    expect(selection(config, ws)).toHaveProperty('pairs');
  });
});

describe('the output contract', () => {
  it('reads the result line and the telemetry line', () => {
    expect(parseReview('Looks good.\n## Result: PASS\n{"model":"m","tokens":3}\n')).toEqual({ outcome: 'pass', artifact: 'Looks good.\n## Result: PASS', telemetry: { model: 'm', tokens: 3 } });
    expect(parseReview('meh\n##Result: WARN')).toMatchObject({ outcome: 'warn' });
    expect(parseReview('x\n## Result: FAIL\r\n')).toMatchObject({ outcome: 'fail' });
  });

  it('never guesses: no result line, two of them, or text after it is an error keeping the raw output', () => {
    for (const raw of ['no verdict at all', '## Result: PASS\n## Result: FAIL', '## Result: PASS\nand more words', 'Result: PASS', '## Result: MAYBE']) {
      const parsed = parseReview(raw);
      expect(parsed.outcome, raw).toBe('error');
      expect(parsed.artifact).toBe(raw);
      expect(parsed.problem).toBeTruthy();
    }
  });
});

describe('prompts and adapters', () => {
  it('fills placeholders once: a text that contains a placeholder is not expanded again', () => {
    const out = renderPrompt('{gate_text}|{note_text}|{runner_model}', { note_path: 'n', note_text: 'note says {gate_text}', gate_path: 'g', gate_text: 'G', model_partition: 'm', runner_model: null, effort: null });
    expect(out).toBe('G|note says {gate_text}|');
  });

  it('built-in and configured adapters, with values shell-quoted', () => {
    const config = parseConfig(JSON.stringify({ ...base, adapters: { exec: { command: 'review --model {runner_model} --effort {effort}' } } }), dir);
    expect(commandFor(config, 'exec', "o'neil", 'high')).toEqual(['/bin/sh', '-c', "review --model 'o'\\''neil' --effort 'high'"]);
    expect(commandFor(config, 'claude-code', 'opus', null)).toEqual(['claude', '-p', '--model', 'opus']);
    expect(commandFor(config, 'codex', 'gpt-5', 'high')).toEqual(['codex', 'exec', '-m', 'gpt-5', '-c', 'model_reasoning_effort=high', '-']);
    expect(() => commandFor(config, 'mystery', null, null)).toThrow(/No adapter/);
  });
});

describe('exit codes', () => {
  it('2 for an error (no config; an unreachable API), 0 for help', async () => {
    const cwd = process.cwd();
    const empty = await mkdtemp(join(tmpdir(), 'gatehouse-empty-'));
    try {
      process.chdir(empty);
      expect(await main(['node', 'gatehouse', 'status'])).toBe(2);
      process.chdir(dir);
      process.env.GATEHOUSE_TOKEN = 'x';
      await writeFile(join(dir, 'gatehouse.json'), JSON.stringify({ ...base, api: 'http://127.0.0.1:1' }));
      expect(await main(['node', 'gatehouse', 'status'])).toBe(2);
      expect(await main(['node', 'gatehouse', 'status', '--no-such-flag'])).toBe(2);
    } finally {
      delete process.env.GATEHOUSE_TOKEN;
      process.chdir(cwd);
      await rm(empty, { recursive: true, force: true });
    }
  });
});

describe('Node 20', () => {
  it('import names the exact command that runs it on the clone\'s Node 22 (not npx, which may start Node 20 again)', async () => {
    const { sqliteHint } = await import('../../src/cli/commonplace-store.js');
    expect(sqliteHint(['import', 'my store.sqlite', '--dry-run'], '/src/gatehouse/'))
      .toBe("run it with the clone's Node 22: /src/gatehouse/node_modules/.bin/node /src/gatehouse/bin/gatehouse.mjs import 'my store.sqlite' --dry-run");
  });
});

describe('--version', () => {
  it('prints the package version and exits 0', async () => {
    const { version } = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8'));
    const written: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => { written.push(String(chunk)); return true; });
    try {
      expect(await main(['node', 'gatehouse', '--version'])).toBe(0);
    } finally {
      spy.mockRestore();
    }
    expect(written.join('')).toBe(`${version}\n`);
  });
});

describe('login --web', () => {
  it('puts the token in the URL fragment of the sign-in page (never in the path or query)', async () => {
    const { signInUrl } = await import('../../src/cli/web.js');
    const url = new URL(signInUrl('https://gh.example/', 'aaa.bbb.ccc'));
    expect(url.pathname).toBe('/ui/sign-in');
    expect(url.search).toBe('');
    expect(url.hash).toBe('#token=aaa.bbb.ccc');
  });
});
