// The request log (issue 17, item 23): one JSON line per request with the
// route pattern, status, duration and the caller's org and token ids, and
// never the token, a secret header or a body; GATEHOUSE_LOG=off writes nothing.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { readLogLevel } from '../../src/platform/config.js';
import type { LogLevel } from '../../src/platform/request-log.js';
import { TestEnv, type MemberFixture, type OrgFixture } from '../support/harness.js';

const lines: string[] = [];
let level: LogLevel = 'info';
let env: TestEnv;
let org: OrgFixture;
let member: MemberFixture;

beforeAll(async () => {
  // The level is read at every request through the getter, so one app serves every case.
  const log = { get level() { return level; }, write: (line: string) => { lines.push(line); } };
  env = await TestEnv.start({ deps: { log } });
  org = await env.createOrg();
  member = await env.addMember(org, 'admin');
  await env.createProject(org.ownerToken, { slug: 'logged' });
});
afterAll(() => env.close());
beforeEach(() => { lines.length = 0; level = 'info'; });

const parsed = () => lines.map((l) => JSON.parse(l));

describe('request log', () => {
  it('an authenticated request: exactly one line with the route pattern and the caller, and no token text', async () => {
    const secret = 'a-body-secret-8d1c';
    const reply = await env.request('PATCH', '/v1/projects/logged', { token: member.token, body: { name: secret }, headers: { 'x-api-key': 'hdr-secret-77' } });
    expect(reply.status).toBe(200);
    expect(lines).toHaveLength(1);
    const [line] = parsed();
    expect(line).toEqual({
      level: 'info', message: 'request', time: expect.any(String), request_id: reply.headers.get('x-request-id'),
      method: 'PATCH', route: '/v1/projects/:project', status: 200, duration_ms: expect.any(Number),
      org_id: org.id, token_id: member.tokenId,
    });
    expect(Number.isNaN(Date.parse(line.time))).toBe(false);
    expect(line.duration_ms).toBeGreaterThanOrEqual(0);
    for (const part of [member.token, ...member.token.split('.'), secret, 'hdr-secret-77', 'logged']) expect(lines[0]).not.toContain(part);
  });

  it('off: no line', async () => {
    level = 'off';
    expect((await env.request('GET', '/v1/projects/logged', { token: member.token })).status).toBe(200);
    expect((await env.request('GET', '/v1/org')).status).toBe(401);
    expect(lines).toEqual([]);
  });

  it('refusals are logged with their status: 401 without a token, 404 for a job nobody has, 400 for bad input', async () => {
    const job = crypto.randomUUID();
    expect((await env.request('GET', '/v1/org')).status).toBe(401);
    expect((await env.request('GET', `/v1/jobs/${job}`, { token: member.token })).status).toBe(404);
    expect((await env.request('POST', '/v1/projects', { token: member.token, rawBody: '{ nope', headers: { 'content-type': 'application/json' } })).status).toBe(400);
    expect((await env.request('GET', '/v1/no-such-route', { token: member.token })).status).toBe(404);
    expect(parsed().map((l) => [l.method, l.route, l.status, l.org_id, l.token_id])).toEqual([
      ['GET', '/v1/org', 401, null, null],
      ['GET', '/v1/jobs/:job', 404, org.id, member.tokenId],
      ['POST', '/v1/projects', 400, org.id, member.tokenId],
      ['GET', null, 404, org.id, member.tokenId],
    ]);
    expect(lines.join('\n')).not.toContain(job);
  });

  it('a revoked token is logged with the ids its signature vouches for, and its 401', async () => {
    const other = await env.addMember(org, 'member');
    expect((await env.request('DELETE', `/v1/org/tokens/${other.tokenId}`, { token: org.ownerToken })).status).toBeLessThan(300);
    lines.length = 0;
    expect((await env.request('GET', '/v1/org', { token: other.token })).status).toBe(401);
    expect(parsed().map((l) => [l.route, l.status, l.org_id, l.token_id])).toEqual([['/v1/org', 401, org.id, other.tokenId]]);
    expect(lines[0]).not.toContain(other.token.split('.')[2]);
  });

  it('debug adds the user agent, still no token', async () => {
    level = 'debug';
    await env.request('GET', '/v1/org', { token: member.token, headers: { 'user-agent': 'gatehouse-cli/1.0' } });
    expect(parsed()).toEqual([expect.objectContaining({ route: '/v1/org', status: 200, user_agent: 'gatehouse-cli/1.0' })]);
    expect(lines[0]).not.toContain(member.token.split('.')[2]);
  });

  it('GATEHOUSE_LOG: info by default, off and debug, anything else refused at start', () => {
    expect(readLogLevel({})).toBe('info');
    expect(readLogLevel({ GATEHOUSE_LOG: '' })).toBe('info');
    expect(readLogLevel({ GATEHOUSE_LOG: 'off' })).toBe('off');
    expect(readLogLevel({ GATEHOUSE_LOG: 'debug' })).toBe('debug');
    expect(() => readLogLevel({ GATEHOUSE_LOG: 'verbose' })).toThrow(/GATEHOUSE_LOG/);
  });
});
