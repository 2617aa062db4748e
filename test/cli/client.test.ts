// The CLI's HTTP client: "not now" answers (429, 503) are waited out as
// Retry-After says, a bounded number of times; other errors are not retried.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, ApiError } from '../../src/cli/client.js';

let server: Server;
let base: string;
let script: { status: number; headers?: Record<string, string> }[] = [];
let seen = 0;

beforeAll(async () => {
  server = createServer((req, res) => {
    const step = script[Math.min(seen, script.length - 1)];
    seen += 1;
    const ok = step.status < 400;
    res.writeHead(step.status, { 'content-type': ok ? 'application/json' : 'application/problem+json', ...step.headers });
    res.end(JSON.stringify(ok ? { ok: true } : { status: step.status, code: step.status === 429 ? 'rate_limited' : 'unavailable', detail: 'not now' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

function client() {
  const waits: number[] = [];
  return { waits, api: new ApiClient(base, 't', async (ms) => { waits.push(ms); }) };
}

describe('the CLI client', () => {
  it('waits out 429 and 503 as Retry-After says, then succeeds', async () => {
    script = [{ status: 429, headers: { 'retry-after': '7' } }, { status: 503, headers: { 'retry-after': '1' } }, { status: 200 }];
    seen = 0;
    const { api, waits } = client();
    expect((await api.get('/v1/org')).body).toEqual({ ok: true });
    expect(waits).toEqual([7000, 1000]);
  });

  it('gives up after a bounded number of attempts, with the server\'s reason', async () => {
    script = [{ status: 429, headers: { 'retry-after': '3600' } }];
    seen = 0;
    const { api, waits } = client();
    const err = await api.get('/v1/org').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).status).toBe(429);
    expect((err as ApiError).hint).toMatch(/rate limit/);
    expect(waits).toEqual([60_000, 60_000, 60_000, 60_000]); // capped at a minute, 5 attempts in all
  });

  it('does not retry other errors', async () => {
    script = [{ status: 409 }];
    seen = 0;
    const { api, waits } = client();
    await expect(api.get('/v1/org')).rejects.toMatchObject({ status: 409 });
    expect(waits).toEqual([]);
    expect(seen).toBe(1);
  });
});
