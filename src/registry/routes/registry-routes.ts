// GET,PUT …/registry · GET …/registry/resolve
import { createRoute, z } from '@hono/zod-openapi';
import { createRouter } from '../../platform/router.js';
import { jsonBody, jsonContent, problems } from '../../platform/schemas.js';
import { tenantContext } from '../../tenancy/context.js';
import { getRegistry, previewResolution, syncRegistry } from '../service.js';
import { DryRunQuery, ProjectParam, RegistryBody, RegistryResult, ResolutionSchema, ResolveQuery, SyncResult } from './schemas.js';

const getRoute = createRoute({
  method: 'get', path: '/projects/{project}/registry', operationId: 'getRegistry', tags: ['registry'],
  summary: 'The project\'s model partition registry, with an ETag for a later sync',
  request: { params: ProjectParam },
  responses: { 200: { description: 'The registry', content: jsonContent(RegistryResult) }, ...problems(404) },
});

const syncRoute = createRoute({
  method: 'put', path: '/projects/{project}/registry', operationId: 'syncRegistry', tags: ['registry'],
  summary: 'Declarative sync: the whole desired registry; ?dry_run=true returns the plan; applied all or nothing (registry:admin)',
  request: {
    params: ProjectParam,
    query: DryRunQuery,
    headers: z.object({ 'if-match': z.string().max(100).optional().openapi({ description: 'The ETag of the registry this change was based on' }) }),
    ...jsonBody(RegistryBody),
  },
  responses: { 200: { description: 'The plan, and whether it was applied', content: jsonContent(SyncResult) }, ...problems(404, 409) },
});

const resolveRoute = createRoute({
  method: 'get', path: '/projects/{project}/registry/resolve', operationId: 'resolvePartition', tags: ['registry'],
  summary: 'What a job made now would get: canonical partition, how it resolved, runner model and effort, warnings',
  request: { params: ProjectParam, query: ResolveQuery },
  responses: { 200: { description: 'The resolution (nothing is registered)', content: jsonContent(ResolutionSchema) }, ...problems(404) },
});

export const registryRoutes = createRouter()
  .openapi(getRoute, async (c) => {
    const result = await getRegistry(tenantContext(c), c.req.valid('param').project);
    c.header('etag', result.etag);
    return c.json(result, 200);
  })
  .openapi(syncRoute, async (c) => {
    const ctx = tenantContext(c, 'registry:admin');
    const result = await syncRegistry(ctx, c.req.valid('param').project, c.req.valid('json'), {
      dryRun: c.req.valid('query').dry_run,
      ifMatch: c.req.valid('header')['if-match'],
    });
    c.header('etag', result.etag);
    return c.json(result as never, 200);
  })
  .openapi(resolveRoute, async (c) => {
    return c.json(await previewResolution(tenantContext(c), c.req.valid('param').project, c.req.valid('query')) as never, 200);
  });
