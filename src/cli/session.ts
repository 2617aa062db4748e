// What every command needs: the config, an API client, and how to print.
import pc from 'picocolors';
import { ApiClient } from './client.js';
import { type Config, loadConfig, tokenFor } from './config.js';

export interface Session { config: Config; api: ApiClient; project: string }

export async function openSession(cwd = process.cwd()): Promise<Session> {
  const config = await loadConfig(cwd);
  const api = new ApiClient(config.api, await tokenFor(config.api));
  return { config, api, project: `/v1/projects/${encodeURIComponent(config.project)}` };
}

export const color = pc;

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Progress on a terminal; quiet elsewhere (CI logs get the summary line). */
export const interactive = () => Boolean(process.stderr.isTTY);
