// POST /v1/jobs/claim/batch · POST /v1/jobs/finalize/batch: the runner loop
// for many small jobs in two requests per batch instead of three per job.
import { createRoute } from '@hono/zod-openapi';
import { problemBody } from '../../platform/errors.js';
import { createRouter } from '../../platform/router.js';
import { jsonBody, jsonContent, problems } from '../../platform/schemas.js';
import { tenantContext } from '../../tenancy/context.js';
import { claimJobsWaiting } from '../claim.js';
import { finalizeJobs } from '../finalize.js';
import { BatchFinalizeBody, BatchFinalizeReply, ClaimBatchBody, ClaimedJobs } from './schemas.js';

const claimBatchRoute = createRoute({
  method: 'post', path: '/jobs/claim/batch', operationId: 'claimJobs', tags: ['execution'],
  summary: 'Claim up to max_jobs queued jobs at once, each with its own lease of at most 60 s until its first heartbeat; long-polls up to wait_seconds for the first (jobs:run)',
  request: jsonBody(ClaimBatchBody),
  responses: {
    200: { description: 'The claimed jobs (an empty list when none came within wait_seconds)', content: jsonContent(ClaimedJobs) },
    ...problems(404),
  },
});

const finalizeBatchRoute = createRoute({
  method: 'post', path: '/jobs/finalize/batch', operationId: 'finalizeJobs', tags: ['execution'],
  summary: 'Store results and finalize many jobs in one transaction; each job all or nothing, a refused entry writes nothing (jobs:run)',
  request: jsonBody(BatchFinalizeBody),
  responses: {
    200: { description: 'One entry per job, in request order: the finalized job, or the problem that refused it', content: jsonContent(BatchFinalizeReply) },
    ...problems(),
  },
});

export const batchRoutes = createRouter()
  .openapi(claimBatchRoute, async (c) => {
    const body = c.req.valid('json');
    const jobs = await claimJobsWaiting(tenantContext(c, 'jobs:run'), body, body.max_jobs, c.req.raw.signal);
    return c.json({ jobs } as never, 200);
  })
  .openapi(finalizeBatchRoute, async (c) => {
    const outcomes = await finalizeJobs(tenantContext(c, 'jobs:run'), c.req.valid('json').jobs);
    const requestId = c.get('requestId');
    return c.json({
      jobs: outcomes.map((o) => ({ job_id: o.job_id, job: o.job, problem: o.error ? problemBody(o.error, undefined, requestId) : null })),
    } as never, 200);
  });
