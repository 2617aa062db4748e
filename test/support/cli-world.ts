// The CLI as a person meets it: the API on the embedded database (`npm
// start`'s server, a subprocess), a temporary copy of the corpus, and the
// `gatehouse` bin run as a subprocess in it.
import { type ChildProcess, execFile, spawn, type SpawnOptions } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CORPUS_ROOT } from './corpus.js';

export const repoRoot = new URL('../..', import.meta.url).pathname;
export const bin = join(repoRoot, 'bin/gatehouse.mjs');

export interface CliRun { code: number; stdout: string; stderr: string }

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

export class CliWorld {
  private constructor(readonly dir: string, readonly kb: string, readonly api: string, readonly token: string, private readonly server: ChildProcess) {}

  /** A server on a free port over its own data folder, and a copy of the corpus's kb/ with a project `kb`. */
  static async start(): Promise<CliWorld> {
    const dir = await mkdtemp(join(tmpdir(), 'gatehouse-cli-'));
    const kb = join(dir, 'kb-root');
    await cp(join(CORPUS_ROOT, 'kb'), join(kb, 'kb'), { recursive: true });
    const port = await freePort();
    const data = join(dir, 'data');
    const server = spawn(join(repoRoot, 'node_modules/.bin/tsx'), ['src/node.ts'], {
      cwd: repoRoot, env: { ...process.env, GATEHOUSE_DATA_DIR: data, PORT: String(port), DATABASE_URL: '' }, stdio: 'ignore',
    });
    const api = `http://127.0.0.1:${port}`;
    for (let i = 0; i < 300; i++) {
      try { if ((await fetch(`${api}/healthz`)).ok) break; } catch { /* starting */ }
      await new Promise((r) => setTimeout(r, 200));
    }
    const token = (await readFile(join(data, 'local-owner.token'), 'utf8')).trim();
    const world = new CliWorld(dir, kb, api, token, server);
    const created = await world.fetch('/v1/projects', { method: 'POST', body: { slug: 'kb' } });
    if (created.status !== 201) throw new Error(`creating the project answered ${created.status}`);
    return world;
  }

  /** The server closes its embedded database on SIGTERM: wait for it before its data folder goes. */
  async stop(): Promise<void> {
    const server = this.server;
    if (server.exitCode === null && server.signalCode === null) {
      const exited = new Promise((resolve) => server.once('exit', resolve));
      server.kill('SIGTERM');
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 20_000))]);
    }
    await rm(this.dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
  }

  env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
    return { ...process.env, GATEHOUSE_TOKEN: this.token, GATEHOUSE_CREDENTIALS: join(this.dir, 'credentials.json'), NO_COLOR: '1', ...extra };
  }

  /** `gatehouse …` to completion, in the knowledge base (or `cwd` under it). */
  run(args: string[], options: { cwd?: string; env?: Record<string, string> } = {}): Promise<CliRun> {
    return new Promise((resolve) => {
      execFile(process.execPath, [bin, ...args], { cwd: options.cwd ?? this.kb, env: this.env(options.env), maxBuffer: 64 * 1024 * 1024 },
        (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : 2) : 0, stdout, stderr }));
    });
  }

  /** `gatehouse …` left running, its output collected as it comes. */
  spawn(args: string[], options: SpawnOptions = {}) {
    const child = spawn(process.execPath, [bin, ...args], { cwd: this.kb, env: this.env(), stdio: ['ignore', 'pipe', 'pipe'], ...options });
    const out = { stdout: '', stderr: '' };
    child.stdout?.on('data', (d) => { out.stdout += d; });
    child.stderr?.on('data', (d) => { out.stderr += d; });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    return { child, out, exited };
  }

  async fetch(path: string, init: { method?: string; body?: unknown; accept?: string } = {}): Promise<{ status: number; json: any; text: string }> {
    const res = await fetch(`${this.api}${path}`, {
      method: init.method ?? 'GET',
      headers: { authorization: `Bearer ${this.token}`, ...(init.body ? { 'content-type': 'application/json' } : {}), ...(init.accept ? { accept: init.accept } : {}) },
      body: init.body ? JSON.stringify(init.body) : undefined,
    });
    const text = await res.text();
    let json: any;
    try { json = JSON.parse(text); } catch { json = undefined; }
    return { status: res.status, json, text };
  }

  async writeConfig(config: Record<string, unknown>): Promise<void> {
    await writeFile(join(this.kb, 'gatehouse.json'), JSON.stringify({ api: this.api, project: 'kb', timeout_seconds: 30, ...config }, null, 2));
  }

  async write(path: string, text: string): Promise<void> {
    await writeFile(join(this.kb, path), text);
  }
}
