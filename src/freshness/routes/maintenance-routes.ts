// POST …/gc · GET …/integrity
import { createRoute } from '@hono/zod-openapi';
import { createRouter } from '../../platform/router.js';
import { jsonBody, jsonContent, problems } from '../../platform/schemas.js';
import { tenantContext } from '../../tenancy/context.js';
import { collectGarbage } from '../gc.js';
import { checkIntegrity } from '../integrity.js';
import { GcBody, GcResult, IntegrityQuery, IntegrityResult, ProjectParam } from './schemas.js';

const gcRoute = createRoute({
  method: 'post', path: '/projects/{project}/gc', operationId: 'collectSnapshots', tags: ['freshness'],
  summary: 'Delete snapshots no current acceptance and no job item uses; dry_run counts them (org:admin)',
  request: { params: ProjectParam, ...jsonBody(GcBody) },
  responses: { 200: { description: 'What was (or would be) collected', content: jsonContent(GcResult) }, ...problems(404, 409) },
});

const integrityRoute = createRoute({
  method: 'get', path: '/projects/{project}/integrity', operationId: 'checkIntegrity', tags: ['freshness'],
  summary: 'Check current acceptance against its events, references, and stored hashes; report findings (org:admin)',
  request: { params: ProjectParam, query: IntegrityQuery },
  responses: { 200: { description: 'The report', content: jsonContent(IntegrityResult) }, ...problems(404) },
});

export const maintenanceRoutes = createRouter()
  .openapi(gcRoute, async (c) => {
    const ctx = tenantContext(c, 'org:admin');
    return c.json(await collectGarbage(ctx, c.req.valid('param').project, c.req.valid('json')), 200);
  })
  .openapi(integrityRoute, async (c) => {
    const ctx = tenantContext(c, 'org:admin');
    return c.json(await checkIntegrity(ctx, c.req.valid('param').project, c.req.valid('query')) as never, 200);
  });
