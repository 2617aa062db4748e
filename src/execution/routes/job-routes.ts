// GET,POST /v1/projects/{project}/jobs · GET /v1/jobs/{job} · POST /v1/jobs/{job}/cancel
// GET /v1/jobs/{job}/items/{item}/artifact
import { createRoute } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { AppEnv } from '../../platform/context.js';
import { createRouter } from '../../platform/router.js';
import { jsonBody, jsonContent, pageOf, problems } from '../../platform/schemas.js';
import { wantsMarkdown } from '../../freshness/routes/snapshot-routes.js';
import { tenantContext } from '../../tenancy/context.js';
import { inProject } from '../../tenancy/projects.js';
import { IdempotencyHeaders, idempotent } from '../../tenancy/idempotency.js';
import { createJobs } from '../create.js';
import { cancelJob, getArtifact, getJob, listJobs } from '../jobs.js';
import { ArtifactSchema, CreatedJobs, CreateJobsBody, ItemParams, JobParam, JobSchema, JobWithItems, ListJobsQuery, ProjectParam } from './schemas.js';

// A replay must still see the project: a token narrowed away from it gets the same 404 a first request would.
const projectVisible = async (c: Context<AppEnv>) => { await inProject(tenantContext(c), c.req.param('project')!, async () => undefined); };

const createRouteDef = createRoute({
  method: 'post', path: '/projects/{project}/jobs', operationId: 'createJobs', tags: ['execution'],
  summary: 'Queue review jobs from explicit pairs or a freshness select, grouped by note or gate (jobs:write)',
  middleware: [idempotent('jobs:write', projectVisible)] as const,
  request: { params: ProjectParam, headers: IdempotencyHeaders, ...jsonBody(CreateJobsBody) },
  responses: { 201: { description: 'The jobs made, and pairs skipped as already queued', content: jsonContent(CreatedJobs) }, ...problems(404, 409) },
});

const listRoute = createRoute({
  method: 'get', path: '/projects/{project}/jobs', operationId: 'listJobs', tags: ['execution'],
  summary: 'A project\'s jobs, newest first, filtered by status, partition, runner and time (freshness:read)',
  request: { params: ProjectParam, query: ListJobsQuery },
  responses: { 200: { description: 'A page of jobs', content: jsonContent(pageOf(JobSchema)) }, ...problems(404) },
});

const getRoute = createRoute({
  method: 'get', path: '/jobs/{job}', operationId: 'getJob', tags: ['execution'],
  summary: 'One job with its items and warnings (freshness:read)',
  request: { params: JobParam },
  responses: { 200: { description: 'The job', content: jsonContent(JobWithItems) }, ...problems(404) },
});

const cancelRoute = createRoute({
  method: 'post', path: '/jobs/{job}/cancel', operationId: 'cancelJob', tags: ['execution'],
  summary: 'Cancel a queued or running job; nothing it did is accepted (jobs:write)',
  request: { params: JobParam },
  responses: { 200: { description: 'Cancelled', content: jsonContent(JobSchema) }, ...problems(404, 409) },
});

const artifactRoute = createRoute({
  method: 'get', path: '/jobs/{job}/items/{item}/artifact', operationId: 'getArtifact', tags: ['execution'],
  summary: 'An item\'s review artifact, as JSON or (Accept: text/markdown) markdown (freshness:read)',
  request: { params: ItemParams },
  responses: {
    200: { description: 'The artifact', content: { ...jsonContent(ArtifactSchema), 'text/markdown': { schema: { type: 'string' } } } },
    ...problems(404),
  },
});

export const jobRoutes = createRouter()
  .openapi(createRouteDef, async (c) => {
    const ctx = tenantContext(c, 'jobs:write');
    const body = c.req.valid('json');
    const { select, ...rest } = body;
    const result = await createJobs(ctx, c.req.valid('param').project, {
      ...rest,
      select: select && { notes: select.notes, gates: select.gates, pairs: select.pairs, statuses: select.status, reasons: select.reason },
      idempotencyKey: c.req.header('idempotency-key'),
    }, c.get('deps').limits);
    return c.json(result as never, 201);
  })
  .openapi(listRoute, async (c) => c.json(await listJobs(tenantContext(c, 'freshness:read'), c.req.valid('param').project, c.req.valid('query')) as never, 200))
  .openapi(getRoute, async (c) => c.json(await getJob(tenantContext(c, 'freshness:read'), c.req.valid('param').job) as never, 200))
  .openapi(cancelRoute, async (c) => c.json(await cancelJob(tenantContext(c, 'jobs:write'), c.req.valid('param').job) as never, 200))
  .openapi(artifactRoute, async (c) => {
    const { job, item } = c.req.valid('param');
    const artifact = await getArtifact(tenantContext(c, 'freshness:read'), job, item);
    if (wantsMarkdown(c.req.header('accept'))) return c.body(artifact.artifact, 200, { 'content-type': 'text/markdown; charset=utf-8' }) as never;
    return c.json(artifact as never, 200);
  });
