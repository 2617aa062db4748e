// gatehouse projects create, and init's offer to create the project it names:
// nothing else in the CLI makes a project, and every other command answers
// 404 until one exists.
import { createInterface } from 'node:readline/promises';
import { ApiClient, ApiError } from '../client.js';
import { loadConfig, tokenFor } from '../config.js';
import { CliError } from '../errors.js';
import { printJson } from '../session.js';

/** A person is there to answer: a terminal on both ends, and not CI. */
export const canAsk = () => Boolean(process.stdin.isTTY && process.stdout.isTTY) && !/^(1|true)$/i.test(process.env.CI ?? '');

export async function ask(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  try {
    return /^y(es)?$/i.test((await rl.question(`${question} [y/N] `)).trim());
  } finally {
    rl.close();
  }
}

async function target(opts: { api?: string; slug?: string }) {
  const config = opts.api && opts.slug ? null : await loadConfig(process.cwd()).catch(() => null);
  const api = opts.api ?? config?.api;
  const slug = opts.slug ?? config?.project;
  if (!api || !slug) throw new CliError('Which project, on which API?', 'gatehouse projects create my-kb --api http://127.0.0.1:8787, or run it where gatehouse.json is');
  return { api, slug, client: new ApiClient(api, await tokenFor(api)) };
}

export async function createProject(opts: { slug?: string; api?: string; json?: boolean }): Promise<number> {
  const { slug, client } = await target(opts);
  const { body } = await client.post<{ slug: string; visibility: string }>('/v1/projects', { slug });
  if (opts.json) printJson(body);
  else process.stdout.write(`created project ${body.slug} (visibility ${body.visibility})\n`);
  return 0;
}

/**
 * After init: does the project exist? Create it when asked to (--create-project)
 * or when the person at the terminal says yes; otherwise say how. Never fails
 * init: no token or no server yet only changes what it says.
 */
export async function offerProject(api: string, slug: string, create: boolean): Promise<void> {
  const how = `\`gatehouse projects create ${slug}\` creates it`;
  let client: ApiClient | undefined;
  try {
    client = new ApiClient(api, await tokenFor(api));
    await client.get(`/v1/projects/${encodeURIComponent(slug)}`);
    return; // it exists
  } catch (err) {
    if (!(err instanceof ApiError && err.status === 404)) {
      process.stdout.write(`could not check whether project ${slug} exists (${(err as Error).message.split('\n')[0]}); if it does not, ${how}\n`);
      return;
    }
  }
  if (!create && canAsk()) create = await ask(`Project ${slug} does not exist on ${api}. Create it?`);
  if (!create) {
    process.stdout.write(`project ${slug} does not exist yet: ${how} (or run init with --create-project)\n`);
    return;
  }
  await client!.post('/v1/projects', { slug });
  process.stdout.write(`created project ${slug}\n`);
}
