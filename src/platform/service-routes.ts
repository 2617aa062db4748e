// Service routes: health, the public signing key, the API document and docs.
import { createRoute, z } from '@hono/zod-openapi';
import { sql } from 'drizzle-orm';
import { ApiError } from './errors.js';
import { createRouter } from './router.js';
import { jsonContent, ProblemSchema } from './schemas.js';

const Health = z.object({
  status: z.literal('ok'),
  database: z.literal('ok'),
  version: z.string().openapi({ description: "The server's package version", example: '0.1.0' }),
  commit: z.string().nullable().openapi({ description: 'The deployed git commit, null when the host does not know it' }),
}).openapi('Health');

const healthz = createRoute({
  method: 'get',
  path: '/healthz',
  operationId: 'getHealth',
  tags: ['service'],
  summary: 'Liveness and database reachability',
  security: [],
  responses: {
    200: { description: 'Healthy', content: jsonContent(Health) },
    503: { description: 'The database is unreachable', content: { 'application/problem+json': { schema: ProblemSchema } } },
  },
});

const Jwks = z.object({ keys: z.array(z.record(z.string(), z.unknown())) }).openapi('Jwks');

const jwks = createRoute({
  method: 'get',
  path: '/.well-known/jwks.json',
  operationId: 'getJwks',
  tags: ['service'],
  summary: 'Public keys that verify tokens Gatehouse mints',
  security: [],
  responses: { 200: { description: 'JSON Web Key Set', content: jsonContent(Jwks) } },
});

export const serviceRoutes = createRouter()
  .openapi(healthz, async (c) => {
    try {
      await c.get('db').execute(sql`select 1`);
    } catch {
      throw new ApiError('unavailable', 'The database is unreachable', { headers: { 'retry-after': '1' } });
    }
    return c.json({ status: 'ok' as const, database: 'ok' as const, version: c.get('deps').version ?? 'dev', commit: c.get('deps').commit ?? null }, 200);
  })
  .openapi(jwks, (c) => {
    c.header('cache-control', 'public, max-age=300');
    return c.json({ keys: [c.get('deps').auth.signingKey.publicJwk as Record<string, unknown>] }, 200);
  });
