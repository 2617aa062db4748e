// POST /v1/projects/{project}/search
import { createRoute, z } from '@hono/zod-openapi';
import { ModelPartition, PathPrefix, RepoPath } from '../freshness/names.js';
import { createRouter } from '../platform/router.js';
import { jsonBody, jsonContent, problems, Slug } from '../platform/schemas.js';
import { tenantContext } from '../tenancy/context.js';
import { search } from './search.js';

const SearchBody = z.object({
  query: z.string().min(1).max(1000),
  k: z.number().int().min(1).max(100).default(10),
  mode: z.enum(['hybrid', 'text', 'vector']).default('hybrid'),
  subject: z.enum(['snapshot', 'job_item']).optional().openapi({ description: 'Only notes (snapshot) or only review artifacts (job_item)' }),
  gate_path: RepoPath.optional(),
  outcome: z.enum(['pass', 'warn', 'fail', 'error']).optional(),
  partition: ModelPartition.optional(),
  path_prefix: PathPrefix.optional(),
}).strict().openapi('SearchRequest');

const SearchResult = z.object({
  query: z.string(),
  mode: z.enum(['hybrid', 'text', 'vector']),
  model: z.string().nullable(),
  results: z.array(z.object({
    subject: z.object({ kind: z.enum(['snapshot', 'job_item']), id: z.string() }),
    note_path: z.string().nullable(), gate_path: z.string().nullable(), model_partition: z.string().nullable(),
    outcome: z.string().nullable(), job_id: z.string().nullable(),
    snippet: z.string().openapi({ description: 'Plain text from the stored note or artifact, never markup: escape it before putting it in HTML, and escape control characters before a terminal. Fragments are joined by " … ". See docs/search.md' }),
    highlights: z.array(z.object({
      start: z.number().int().min(0).openapi({ description: 'Offset of the first highlighted character, in UTF-16 code units (a JavaScript string index)' }),
      end: z.number().int().min(0).openapi({ description: 'Offset just after the last highlighted character (exclusive), in UTF-16 code units' }),
    })).openapi({ description: 'Where the query matched in `snippet`: in order, not overlapping, never empty' }),
    text_rank: z.number().int().nullable(), vector_rank: z.number().int().nullable(), score: z.number(),
  })),
}).openapi('SearchResult');

const searchRoute = createRoute({
  method: 'post', path: '/projects/{project}/search', operationId: 'search', tags: ['search'], 'x-read-only': true,
  summary: 'Hybrid search over review artifacts and notes: full text and vectors, fused by reciprocal rank (freshness:read)',
  request: { params: z.object({ project: Slug.openapi({ param: { name: 'project', in: 'path' } }) }), ...jsonBody(SearchBody) },
  responses: { 200: { description: 'The best k, with both ranks and the fused score', content: jsonContent(SearchResult) }, ...problems(404) },
});

export const searchRoutes = createRouter()
  .openapi(searchRoute, async (c) => {
    const ctx = tenantContext(c, 'freshness:read');
    return c.json(await search(ctx, c.req.valid('param').project, c.req.valid('json'), c.get('deps').embedder) as never, 200);
  });
