// GET,POST /v1/org/tokens · DELETE /v1/org/tokens/{token}
import { createRoute, z } from '@hono/zod-openapi';
import { createRouter } from '../../platform/router.js';
import { jsonBody, jsonContent, PageQuery, pageOf, problems, Uuid } from '../../platform/schemas.js';
import { createToken, listTokens, revokeToken } from '../api-tokens.js';
import { tenantContext } from '../context.js';
import { CreatedToken, CreateTokenBody, TokenParam, TokenSchema } from './schemas.js';

const ListQuery = PageQuery.extend({
  user_id: Uuid.optional(),
  include_revoked: z.enum(['true', 'false']).optional().transform((v) => v === 'true'),
});

const listRoute = createRoute({
  method: 'get', path: '/org/tokens', operationId: 'listTokens', tags: ['org'], summary: 'Minted tokens, without secrets (admins see all, others their own)',
  request: { query: ListQuery },
  responses: { 200: { description: 'A page of tokens', content: jsonContent(pageOf(TokenSchema)) }, ...problems() },
});

const createTokenRoute = createRoute({
  method: 'post', path: '/org/tokens', operationId: 'createToken', tags: ['org'],
  summary: 'Mint a token for yourself, another member or a service identity; the token is shown once',
  request: jsonBody(CreateTokenBody),
  responses: { 201: { description: 'Minted', content: jsonContent(CreatedToken) }, ...problems(404) },
});

const revokeRoute = createRoute({
  method: 'delete', path: '/org/tokens/{token}', operationId: 'revokeToken', tags: ['org'], summary: 'Revoke a token; it stops working on the next request',
  request: { params: TokenParam },
  responses: { 200: { description: 'Revoked', content: jsonContent(TokenSchema) }, ...problems(404) },
});

export const tokenRoutes = createRouter()
  .openapi(listRoute, async (c) => c.json(await listTokens(tenantContext(c), c.req.valid('query')), 200))
  .openapi(createTokenRoute, async (c) => {
    const body = c.req.valid('json');
    return c.json(await createToken(tenantContext(c), c.get('deps').auth, body), 201);
  })
  .openapi(revokeRoute, async (c) => c.json(await revokeToken(tenantContext(c), c.req.valid('param').token), 200));
