// The API as the CLI sees it: JSON over fetch, problems turned into errors
// that say what to do.
import { CliError } from './errors.js';

export interface Problem { status: number; code?: string; detail?: string; errors?: { path: string; message: string }[]; [k: string]: unknown }

/** 429 and 503 say "not now": wait as Retry-After says (capped), a few times, before giving up. */
const RETRYABLE = new Set([429, 503]);
const MAX_ATTEMPTS = 5;
const MAX_WAIT_SECONDS = 60;

export class ApiClient {
  constructor(readonly base: string, private readonly token: string, private readonly sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))) {}

  async request<T>(method: string, path: string, body?: unknown, accept = 'application/json', signal?: AbortSignal): Promise<{ status: number; body: T }> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.once<T>(method, path, body, accept, signal);
      } catch (err) {
        if (!(err instanceof ApiError) || !RETRYABLE.has(err.status) || attempt >= MAX_ATTEMPTS || signal?.aborted) throw err;
        const seconds = Math.min(MAX_WAIT_SECONDS, Math.max(1, Number(err.retryAfter) || 2 ** (attempt - 1)));
        await this.sleep(seconds * 1000);
      }
    }
  }

  private async once<T>(method: string, path: string, body: unknown, accept: string, signal?: AbortSignal): Promise<{ status: number; body: T }> {
    let res: Response;
    try {
      res = await fetch(`${this.base.replace(/\/+$/, '')}${path}`, {
        method,
        signal,
        headers: { authorization: `Bearer ${this.token}`, accept, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        body: body !== undefined ? JSON.stringify(body) : undefined,
      });
    } catch (err) {
      if (signal?.aborted) throw err;
      throw new CliError(`Cannot reach the Gatehouse API at ${this.base} (${(err as Error).cause ? String((err as { cause: Error }).cause.message ?? (err as Error).cause) : (err as Error).message})`, 'is the server running, and is "api" in gatehouse.json right?');
    }
    const text = await res.text();
    const parsed = text && (res.headers.get('content-type') ?? '').includes('json') ? JSON.parse(text) : text;
    if (res.ok) return { status: res.status, body: parsed as T };
    const problem = (typeof parsed === 'object' ? parsed : { detail: text }) as Problem;
    throw apiError(res.status, problem, res.headers.get('retry-after'));
  }

  get<T>(path: string) { return this.request<T>('GET', path); }
  post<T>(path: string, body: unknown, signal?: AbortSignal) { return this.request<T>('POST', path, body, 'application/json', signal); }
  put<T>(path: string, body: unknown) { return this.request<T>('PUT', path, body); }
  delete<T>(path: string) { return this.request<T>('DELETE', path); }
}

export class ApiError extends CliError {
  constructor(message: string, hint: string | undefined, readonly status: number, readonly problem: Problem, readonly retryAfter: string | null = null) {
    super(message, hint);
  }
}

function apiError(status: number, p: Problem, retryAfter: string | null): ApiError {
  const fields = p.errors?.length ? `\n${p.errors.slice(0, 10).map((e) => `  ${e.path}: ${e.message}`).join('\n')}` : '';
  const hint = status === 401 ? 'the token is missing, expired or revoked: set GATEHOUSE_TOKEN or run `gatehouse login`'
    : status === 403 ? 'this token lacks the scope or role for that; ask an org admin for one that has it'
      : status === 404 ? notFoundHint(p.detail)
        : status === 429 ? 'this token is over its rate limit; wait, or spread the work over more time'
          : undefined;
  return new ApiError(`${p.detail ?? `HTTP ${status}`}${p.code ? ` (${p.code})` : ''}${fields}`, hint, status, p, retryAfter);
}

/** A project that does not exist is a first run more often than a typo: say how to create it. */
export function notFoundHint(detail: string | undefined): string {
  const project = /^Project "([^"]+)" not found/.exec(detail ?? '')?.[1];
  return project
    ? `create it with \`gatehouse projects create ${project}\`, or check "project" in gatehouse.json and that your token can see it`
    : 'check "project" in gatehouse.json, and that your token can see it';
}
