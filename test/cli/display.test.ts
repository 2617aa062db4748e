// What the CLI shows of stored text and refuses of local names (issue 16,
// findings 4 and 10): search snippets as plain text with no escape sequence
// from storage reaching the terminal, and file names with hidden characters
// refused before anything is sent.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { renderSnippet } from '../../src/cli/commands/search.js';
import { parseConfig } from '../../src/cli/config.js';
import { CliError } from '../../src/cli/errors.js';
import { readWorkspace } from '../../src/cli/files.js';
import { main } from '../../src/cli/main.js';

const base = { api: 'http://127.0.0.1:1', project: 'kb', notes: ['notes/**/*.md'], gates: ['gates/*.md'], partition: 'm' };
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gatehouse-display-'));
  await mkdir(join(dir, 'notes'), { recursive: true });
  await mkdir(join(dir, 'gates'), { recursive: true });
  await writeFile(join(dir, 'notes/fine.md'), '# Fine\n');
  await writeFile(join(dir, 'notes/evil\u202Edm.md'), '# Evil\n');
  await writeFile(join(dir, 'notes/zero\u200Bwidth.md'), '# Zero\n');
  await writeFile(join(dir, 'gates/g.md'), '# G\n');
  await writeFile(join(dir, 'gatehouse.json'), JSON.stringify(base));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('search snippets in the terminal', () => {
  const snippet = 'Quokka <img src=x onerror=alert(1)> \u001b[31mred\u001b]0;title\u0007 \u009b2J \u202Etxt.exe\nmigrations';
  const highlights = [{ start: 0, end: 6 }, { start: snippet.length - 10, end: snippet.length }];

  it('prints no escape sequence or control character from stored text, written as visible \\uXXXX instead', () => {
    const plain = renderSnippet(snippet, highlights, false);
    expect(plain).toBe('Quokka <img src=x onerror=alert(1)> \\u001B[31mred\\u001B]0;title\\u0007 \\u009B2J \\u202Etxt.exe migrations');
    expect(plain).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e]/);
  });

  it('highlights in bold only for a terminal; otherwise no markup at all', () => {
    const tty = renderSnippet(snippet, highlights, true);
    expect(tty.startsWith('\u001b[1mQuokka\u001b[22m')).toBe(true);
    expect(tty.endsWith('\u001b[1mmigrations\u001b[22m')).toBe(true);
    // The only escapes are the two bold pairs the CLI added.
    expect(tty.match(/\u001b/g)).toHaveLength(4);
    expect(renderSnippet('a b', [{ start: 5, end: 9 }, { start: 2, end: 1 }], true)).toBe('a b'); // ranges off the text are ignored
  });
});

describe('file names with hidden characters', () => {
  it('readWorkspace refuses them, naming each with the characters made visible', async () => {
    const read = readWorkspace(parseConfig(JSON.stringify(base), dir));
    await expect(read).rejects.toThrow(CliError);
    await expect(readWorkspace(parseConfig(JSON.stringify(base), dir))).rejects.toThrow(/notes\/evil\\u202Edm\.md[\s\S]*notes\/zero\\u200Bwidth\.md/);
  });

  it('push exits 2 with the message before sending anything', async () => {
    const cwd = process.cwd();
    const errors: string[] = [];
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: any) => { errors.push(String(chunk)); return true; });
    const fetchSpy = vi.spyOn(globalThis, 'fetch');
    try {
      process.chdir(dir);
      process.env.GATEHOUSE_TOKEN = 'x';
      expect(await main(['node', 'gatehouse', 'push'])).toBe(2);
    } finally {
      spy.mockRestore();
      delete process.env.GATEHOUSE_TOKEN;
      process.chdir(cwd);
    }
    expect(fetchSpy).not.toHaveBeenCalled();
    fetchSpy.mockRestore();
    const text = errors.join('');
    expect(text).toMatch(/bidi, zero-width or C1/);
    expect(text).toContain('notes/evil\\u202Edm.md');
    expect(text).not.toContain('\u202E');
  });
});
