// POST …/acks · POST …/acks/trivial · POST …/retire
import { createRoute } from '@hono/zod-openapi';
import { createRouter } from '../../platform/router.js';
import { jsonBody, jsonContent, problems } from '../../platform/schemas.js';
import { tenantContext } from '../../tenancy/context.js';
import { ackPairs } from '../acks.js';
import { retirePaths } from '../retire.js';
import { ackTrivialChanges } from '../trivial-acks.js';
import { AckBody, AckResult, ProjectParam, RetireBody, RetireResult, TrivialAckBody, TrivialAckResult } from './schemas.js';

const ackRoute = createRoute({
  method: 'post', path: '/projects/{project}/acks', operationId: 'ackPairs', tags: ['freshness'],
  summary: 'Accept changed texts of already-accepted pairs without a review; all or nothing (acceptance:write)',
  request: { params: ProjectParam, ...jsonBody(AckBody) },
  responses: { 200: { description: 'Acked', content: jsonContent(AckResult) }, ...problems(404, 409) },
});

const trivialRoute = createRoute({
  method: 'post', path: '/projects/{project}/acks/trivial', operationId: 'ackTrivialChanges', tags: ['freshness'],
  summary: 'Ack the stale pairs whose note change touches nothing the gate watches; dry_run lists them (acceptance:write, or freshness:read for a dry run)',
  request: { params: ProjectParam, ...jsonBody(TrivialAckBody) },
  responses: { 200: { description: 'Qualifying and non-qualifying pairs', content: jsonContent(TrivialAckResult) }, ...problems(404, 409) },
});

const retireRoute = createRoute({
  method: 'post', path: '/projects/{project}/retire', operationId: 'retirePaths', tags: ['freshness'],
  summary: 'End the current acceptance of every pair involving deleted or moved notes or gates; idempotent (acceptance:write)',
  request: { params: ProjectParam, ...jsonBody(RetireBody) },
  responses: { 200: { description: 'Retired pairs', content: jsonContent(RetireResult) }, ...problems(404, 409) },
});

export const ackRoutes = createRouter()
  .openapi(ackRoute, async (c) => {
    const ctx = tenantContext(c, 'acceptance:write');
    return c.json(await ackPairs(ctx, c.req.valid('param').project, c.req.valid('json')), 200);
  })
  .openapi(trivialRoute, async (c) => {
    const body = c.req.valid('json');
    const ctx = tenantContext(c, body.dry_run ? 'freshness:read' : 'acceptance:write');
    const result = await ackTrivialChanges(ctx, c.req.valid('param').project, {
      modelPartition: body.model_partition, notes: body.notes, gates: body.gates, pairs: body.pairs, dryRun: body.dry_run, reason: body.reason,
    }, c.get('deps').limits);
    return c.json(result as never, 200);
  })
  .openapi(retireRoute, async (c) => {
    const ctx = tenantContext(c, 'acceptance:write');
    return c.json(await retirePaths(ctx, c.req.valid('param').project, c.req.valid('json')), 200);
  });
