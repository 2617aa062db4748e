// POST …/freshness · GET …/acceptance · GET …/diff
import { createRoute, z } from '@hono/zod-openapi';
import { createRouter } from '../../platform/router.js';
import { jsonBody, jsonContent, problems } from '../../platform/schemas.js';
import { tenantContext } from '../../tenancy/context.js';
import { inProject } from '../../tenancy/projects.js';
import { pairHistory } from '../acceptance.js';
import { diffPair } from '../diff.js';
import { resolvePartition } from '../../registry/resolve.js';
import { checkSelectSize, selectFreshness } from '../select.js';
import { acceptedFreshness } from '../accepted.js';
import { AcceptanceQuery, AcceptedBody, AcceptedResult, CurrentListSchema, DiffQuery, DiffResult, HistorySchema, ProjectParam, SelectBody, SelectResult } from './schemas.js';
import { listCurrent } from '../current.js';

const selectRoute = createRoute({
  method: 'post', path: '/projects/{project}/freshness', operationId: 'selectFreshness', 'x-read-only': true, tags: ['freshness'],
  summary: 'Which note x gate pairs are fresh, stale or missing under a partition, with reasons and counts (freshness:read)',
  request: { params: ProjectParam, ...jsonBody(SelectBody) },
  responses: { 200: { description: 'Non-fresh pairs (all with include_fresh), counts, and texts the server lacks', content: jsonContent(SelectResult) }, ...problems(404) },
});

const acceptedRoute = createRoute({
  method: 'post', path: '/projects/{project}/freshness/accepted', operationId: 'selectAcceptedFreshness', 'x-read-only': true, tags: ['freshness'],
  summary: 'Every pair accepted now under a partition, checked against the client\'s file hashes (one per path, not per pair); paths not given come back as absent_paths (freshness:read)',
  request: { params: ProjectParam, ...jsonBody(AcceptedBody) },
  responses: { 200: { description: 'Stale pairs with reasons, counts of the pairs checked, and the accepted paths the request did not name', content: jsonContent(AcceptedResult) }, ...problems(404) },
});

const historyRoute = createRoute({
  method: 'get', path: '/projects/{project}/acceptance', operationId: 'getAcceptance', tags: ['freshness'],
  summary: 'With note_path, gate_path and model_partition: that pair\'s history, newest first. Otherwise: the pairs accepted now, filtered by what is given (freshness:read)',
  request: { params: ProjectParam, query: AcceptanceQuery },
  responses: { 200: { description: 'A page of events (mode history) or of current acceptances (mode current)', content: jsonContent(z.union([HistorySchema, CurrentListSchema])) }, ...problems(404) },
});

const diffRoute = createRoute({
  method: 'get', path: '/projects/{project}/diff', operationId: 'diffPair', tags: ['freshness'],
  summary: 'Unified diffs between a pair\'s accepted texts and the given current ones (freshness:read)',
  request: { params: ProjectParam, query: DiffQuery },
  responses: { 200: { description: 'What changed', content: jsonContent(DiffResult) }, ...problems(404) },
});

export const selectRoutes = createRouter()
  .openapi(selectRoute, async (c) => {
    const ctx = tenantContext(c, 'freshness:read');
    const body = c.req.valid('json');
    const input = { modelPartition: body.model_partition, notes: body.notes, gates: body.gates, pairs: body.pairs, statuses: body.status, reasons: body.reason, includeFresh: body.include_fresh };
    checkSelectSize(input, c.get('deps').limits);
    const answer = await inProject(ctx, c.req.valid('param').project, async (tx, project) => {
      const resolution = await resolvePartition(tx, ctx, project, body.model_partition, 'read');
      const result = await selectFreshness(tx, project.id, { ...input, modelPartition: resolution.model_partition });
      return { model_partition: resolution.model_partition, requested_partition: body.model_partition, warnings: resolution.warnings, ...result };
    });
    return c.json(answer, 200);
  })
  .openapi(acceptedRoute, async (c) => {
    const ctx = tenantContext(c, 'freshness:read');
    const body = c.req.valid('json');
    checkSelectSize({ modelPartition: body.model_partition, notes: body.files, gates: [] }, c.get('deps').limits);
    return c.json(await acceptedFreshness(ctx, c.req.valid('param').project, body), 200);
  })
  .openapi(historyRoute, async (c) => {
    const q = c.req.valid('query');
    const ctx = tenantContext(c, 'freshness:read');
    const slug = c.req.valid('param').project;
    if (q.note_path && q.gate_path && q.model_partition) {
      return c.json(await pairHistory(ctx, slug, { notePath: q.note_path, gatePath: q.gate_path, modelPartition: q.model_partition, limit: Math.min(q.limit, 200), cursor: q.cursor }) as never, 200);
    }
    return c.json(await listCurrent(ctx, slug, q) as never, 200);
  })
  .openapi(diffRoute, async (c) => {
    const ctx = tenantContext(c, 'freshness:read');
    return c.json(await diffPair(ctx, c.req.valid('param').project, c.req.valid('query')) as never, 200);
  });
