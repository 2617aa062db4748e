// POST /v1/jobs/claim · POST /v1/jobs/{job}/heartbeat · POST /v1/jobs/{job}/release · PUT /v1/jobs/{job}/items/{item}/result · POST /v1/jobs/{job}/finalize
import { createRoute } from '@hono/zod-openapi';
import { createRouter } from '../../platform/router.js';
import { jsonBody, jsonContent, problems } from '../../platform/schemas.js';
import { tenantContext } from '../../tenancy/context.js';
import { claimJob } from '../claim.js';
import { finalizeJob } from '../finalize.js';
import { extendLease, putResult } from '../jobs.js';
import { releaseJob } from '../release.js';
import { ClaimBody, ClaimedJob, FinalizeBody, FinalizedJob, HeartbeatBody, ItemParams, JobParam, JobSchema, LeaseSchema, ReleaseBody, ResultBody, ResultReply } from './schemas.js';

const claimRoute = createRoute({
  method: 'post', path: '/jobs/claim', operationId: 'claimJob', tags: ['execution'],
  summary: 'Claim the next queued job for a runner, with a lease of at most 60 s until the first heartbeat extends it to lease_seconds; long-polls up to wait_seconds (jobs:run)',
  request: jsonBody(ClaimBody),
  responses: {
    200: { description: 'A job, its lease, and every item\'s exact texts', content: jsonContent(ClaimedJob) },
    204: { description: 'No job came within wait_seconds' },
    ...problems(404),
  },
});

const heartbeatRoute = createRoute({
  method: 'post', path: '/jobs/{job}/heartbeat', operationId: 'heartbeatJob', tags: ['execution'],
  summary: 'Extend the lease (its holder only) (jobs:run)',
  request: { params: JobParam, ...jsonBody(HeartbeatBody) },
  responses: { 200: { description: 'The extended lease', content: jsonContent(LeaseSchema) }, ...problems(404, 409) },
});

const releaseRoute = createRoute({
  method: 'post', path: '/jobs/{job}/release', operationId: 'releaseJob', tags: ['execution'],
  summary: 'Give the job back to the queue unharmed, not counted as an attempt (the lease holder, e.g. when its adapter cannot start) (jobs:run)',
  request: { params: JobParam, ...jsonBody(ReleaseBody) },
  responses: { 200: { description: 'The job, queued again', content: jsonContent(JobSchema) }, ...problems(404, 409) },
});

const resultRoute = createRoute({
  method: 'put', path: '/jobs/{job}/items/{item}/result', operationId: 'putItemResult', tags: ['execution'],
  summary: 'An item\'s outcome, artifact and telemetry (the lease holder; idempotent) (jobs:run)',
  request: { params: ItemParams, ...jsonBody(ResultBody) },
  responses: { 200: { description: 'Stored (or the same result again)', content: jsonContent(ResultReply) }, ...problems(404, 409) },
});

const finalizeRoute = createRoute({
  method: 'post', path: '/jobs/{job}/finalize', operationId: 'finalizeJob', tags: ['execution'],
  summary: 'All or nothing: accept every item and succeed, or fail and advance nothing (the lease holder; may carry the results) (jobs:run)',
  request: { params: JobParam, ...jsonBody(FinalizeBody) },
  responses: { 200: { description: 'The job, succeeded or failed with the reason', content: jsonContent(FinalizedJob) }, ...problems(404, 409) },
});

export const runnerRoutes = createRouter()
  .openapi(claimRoute, async (c) => {
    const claimed = await claimJob(tenantContext(c, 'jobs:run'), c.req.valid('json'), c.req.raw.signal);
    if (!claimed) return c.body(null, 204) as never;
    return c.json(claimed as never, 200);
  })
  .openapi(heartbeatRoute, async (c) => {
    const body = c.req.valid('json');
    return c.json(await extendLease(tenantContext(c, 'jobs:run'), c.req.valid('param').job, body.lease_id, body.lease_seconds), 200);
  })
  .openapi(releaseRoute, async (c) => {
    return c.json(await releaseJob(tenantContext(c, 'jobs:run'), c.req.valid('param').job, c.req.valid('json').lease_id), 200);
  })
  .openapi(resultRoute, async (c) => {
    const { job, item } = c.req.valid('param');
    return c.json(await putResult(tenantContext(c, 'jobs:run'), job, item, c.req.valid('json')) as never, 200);
  })
  .openapi(finalizeRoute, async (c) => {
    const body = c.req.valid('json');
    return c.json(await finalizeJob(tenantContext(c, 'jobs:run'), c.req.valid('param').job, body.lease_id, body.results) as never, 200);
  });
