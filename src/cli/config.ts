// gatehouse.json at the knowledge base root, and the credentials file.
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { z } from 'zod';
import { CliError } from './errors.js';

export const CONFIG_FILE = 'gatehouse.json';

const Glob = z.string().min(1);
const Adapter = z.object({
  command: z.string().min(1).describe('the command line; {runner_model} and {effort} are filled in; the prompt goes to stdin'),
  runner_model: z.string().optional(),
  effort: z.string().optional(),
}).strict();

export const ConfigSchema = z.object({
  api: z.string().url(),
  project: z.string().regex(/^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/),
  notes: z.array(Glob).min(1),
  gates: z.array(Glob).min(1),
  /** Which gates apply to which notes; every gate to every note when absent. */
  applies: z.array(z.object({
    gates: z.union([Glob, z.array(Glob)]),
    notes: z.union([Glob, z.array(Glob)]).default('**'),
    where: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
  }).strict()).optional(),
  partition: z.string().min(1),
  runner: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/).default('exec'),
  adapters: z.record(z.string(), Adapter).default({}),
  prompt: z.string().optional(),
  grouping: z.enum(['note', 'gate']).default('note'),
  batch_size: z.number().int().min(1).max(500).default(50),
  timeout_seconds: z.number().int().min(1).max(86_400).default(900),
  registry: z.string().default('gatehouse.registry.json'),
}).strict();

export type Config = z.infer<typeof ConfigSchema> & { root: string };

/** The nearest gatehouse.json at or above `from`. */
export function findRoot(from: string): string | null {
  let dir = resolve(from);
  for (;;) {
    if (existsSync(join(dir, CONFIG_FILE))) return dir;
    const parent = dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
}

export function parseConfig(text: string, root: string): Config {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new CliError(`${CONFIG_FILE} is not valid JSON: ${(err as Error).message}`);
  }
  const parsed = ConfigSchema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `  ${i.path.join('.') || '(top)'}: ${i.message}`).join('\n');
    throw new CliError(`${CONFIG_FILE} is not valid:\n${issues}`, 'see the README\'s CLI section for every field');
  }
  return { ...parsed.data, root };
}

export async function loadConfig(cwd: string): Promise<Config> {
  const root = findRoot(cwd);
  if (!root) throw new CliError(`No ${CONFIG_FILE} here or in any parent folder`, 'run `gatehouse init` at the root of your knowledge base');
  return parseConfig(await readFile(join(root, CONFIG_FILE), 'utf8'), root);
}

export function credentialsPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.GATEHOUSE_CREDENTIALS) return env.GATEHOUSE_CREDENTIALS;
  const base = env.XDG_CONFIG_HOME || join(homedir(), '.config');
  return join(base, 'gatehouse', 'credentials.json');
}

/** The token: GATEHOUSE_TOKEN, else the one `gatehouse login` saved for this API. */
export async function tokenFor(api: string, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  if (env.GATEHOUSE_TOKEN) return env.GATEHOUSE_TOKEN.trim();
  const file = credentialsPath(env);
  const saved = existsSync(file) ? (JSON.parse(await readFile(file, 'utf8')) as Record<string, string>) : {};
  const token = saved[api.replace(/\/+$/, '')];
  if (!token) throw new CliError(`No token for ${api}`, 'set GATEHOUSE_TOKEN, or run `gatehouse login`');
  return token;
}

export async function saveToken(api: string, token: string, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const file = credentialsPath(env);
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  const saved = existsSync(file) ? (JSON.parse(await readFile(file, 'utf8')) as Record<string, string>) : {};
  saved[api.replace(/\/+$/, '')] = token;
  await writeFile(file, `${JSON.stringify(saved, null, 2)}\n`, { mode: 0o600 });
  await chmod(file, 0o600);
  return file;
}
