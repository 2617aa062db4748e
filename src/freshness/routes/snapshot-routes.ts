// POST …/snapshots/missing · POST …/snapshots · GET …/snapshots/{sha256}
import { createRoute } from '@hono/zod-openapi';
import { createRouter } from '../../platform/router.js';
import { jsonBody, jsonContent, problems } from '../../platform/schemas.js';
import { tenantContext } from '../../tenancy/context.js';
import { findMissing, getSnapshot, uploadSnapshots } from '../snapshots.js';
import { MissingBody, MissingResult, ProjectParam, SnapshotParams, SnapshotQuery, SnapshotSchema, UploadBody, UploadResult } from './schemas.js';

const missingRoute = createRoute({
  method: 'post', path: '/projects/{project}/snapshots/missing', operationId: 'findMissingSnapshots', 'x-read-only': true, tags: ['freshness'],
  summary: 'Which of these (path, sha256) texts the server does not hold (freshness:read)',
  request: { params: ProjectParam, ...jsonBody(MissingBody) },
  responses: { 200: { description: 'The texts to upload', content: jsonContent(MissingResult) }, ...problems(404) },
});

const uploadRoute = createRoute({
  method: 'post', path: '/projects/{project}/snapshots', operationId: 'uploadSnapshots', tags: ['freshness'],
  summary: 'Upload many texts at once; the server hashes each and refuses the batch if any claim differs (snapshots:write)',
  request: { params: ProjectParam, ...jsonBody(UploadBody) },
  responses: { 200: { description: 'Stored (duplicates are free)', content: jsonContent(UploadResult) }, ...problems(404) },
});

const getRoute = createRoute({
  method: 'get', path: '/projects/{project}/snapshots/{sha256}', operationId: 'getSnapshot', tags: ['freshness'],
  summary: 'A stored text, as JSON or (Accept: text/markdown) as markdown (freshness:read)',
  request: { params: SnapshotParams, query: SnapshotQuery },
  responses: {
    200: { description: 'The text', content: { ...jsonContent(SnapshotSchema), 'text/markdown': { schema: { type: 'string' } } } },
    ...problems(404),
  },
});

/** The caller asked for markdown rather than JSON. */
export function wantsMarkdown(accept: string | undefined): boolean {
  if (!accept) return false;
  const md = accept.indexOf('text/markdown');
  const json = accept.indexOf('application/json');
  return md >= 0 && (json < 0 || md < json);
}

export const snapshotRoutes = createRouter()
  .openapi(missingRoute, async (c) => {
    const ctx = tenantContext(c, 'freshness:read');
    return c.json(await findMissing(ctx, c.req.valid('param').project, c.req.valid('json').files), 200);
  })
  .openapi(uploadRoute, async (c) => {
    const ctx = tenantContext(c, 'snapshots:write');
    return c.json(await uploadSnapshots(ctx, c.req.valid('param').project, c.req.valid('json').files, c.get('deps').limits), 200);
  })
  .openapi(getRoute, async (c) => {
    const ctx = tenantContext(c, 'freshness:read');
    const { project, sha256 } = c.req.valid('param');
    const snapshot = await getSnapshot(ctx, project, sha256, c.req.valid('query').path);
    if (wantsMarkdown(c.req.header('accept'))) {
      return c.body(snapshot.body, 200, { 'content-type': 'text/markdown; charset=utf-8', etag: `"${sha256}"` }) as never;
    }
    return c.json(snapshot, 200, { etag: `"${sha256}"` });
  });
