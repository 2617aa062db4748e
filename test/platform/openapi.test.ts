import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { openApiDocument, openApiYaml } from '../../src/platform/openapi.js';
import { TestEnv } from '../support/harness.js';

const committed = readFileSync(new URL('../../openapi.yaml', import.meta.url), 'utf8');
let env: TestEnv;
beforeAll(async () => { env = await TestEnv.start(); });
afterAll(() => env.close());

describe('the OpenAPI document', () => {
  it('openapi.yaml is what the code declares (run `npm run openapi` after changing a route)', async () => {
    expect(committed).toBe(await openApiYaml());
  });

  it('is served at /openapi.json, the same document', async () => {
    const reply = await env.request('GET', '/openapi.json');
    expect(reply.status).toBe(200);
    expect(reply.json).toEqual(JSON.parse(JSON.stringify(await openApiDocument())));
    expect(reply.json).toEqual(parse(committed));
  });

  it('gives every operation an operationId, a summary and its problem responses', () => {
    const doc = parse(committed);
    const ids = new Set<string>();
    for (const [path, item] of Object.entries<any>(doc.paths)) {
      for (const [method, op] of Object.entries<any>(item)) {
        expect(op.operationId, `${method} ${path}`).toEqual(expect.any(String));
        expect(ids.has(op.operationId), op.operationId).toBe(false);
        ids.add(op.operationId);
        expect(op.summary, op.operationId).toEqual(expect.any(String));
        if (path.startsWith('/v1/')) expect(Object.keys(op.responses), op.operationId).toEqual(expect.arrayContaining(['401', '403', '422']));
      }
    }
  });

  it('covers the service, org and projects rows of the route table', () => {
    const doc = parse(committed);
    const routes = Object.entries<any>(doc.paths).flatMap(([path, item]) => Object.keys(item).map((m) => `${m.toUpperCase()} ${path}`));
    expect(routes).toEqual(expect.arrayContaining([
      'GET /healthz', 'GET /.well-known/jwks.json',
      'POST /v1/orgs', 'GET /v1/org', 'GET /v1/org/members', 'POST /v1/org/members', 'PATCH /v1/org/members/{user}', 'DELETE /v1/org/members/{user}',
      'GET /v1/org/groups', 'POST /v1/org/groups', 'PUT /v1/org/groups/{group}/members/{user}', 'DELETE /v1/org/groups/{group}/members/{user}',
      'GET /v1/org/tokens', 'POST /v1/org/tokens', 'DELETE /v1/org/tokens/{token}', 'GET /v1/org/audit',
      'GET /v1/projects', 'POST /v1/projects', 'GET /v1/projects/{project}', 'PATCH /v1/projects/{project}', 'DELETE /v1/projects/{project}',
    ]));
  });

  it('serves a docs page', async () => {
    const reply = await env.request('GET', '/docs');
    expect(reply.status).toBe(200);
    expect(reply.headers.get('content-type')).toContain('text/html');
    expect(reply.text).toContain('/openapi.json');
  });
});
