// GET,POST /v1/org/members · PATCH,DELETE /v1/org/members/{user}
import { createRoute } from '@hono/zod-openapi';
import { createRouter } from '../../platform/router.js';
import { jsonBody, jsonContent, PageQuery, pageOf, problems } from '../../platform/schemas.js';
import type { Role } from '../auth/scopes.js';
import { tenantContext } from '../context.js';
import { IdempotencyHeaders, idempotent } from '../idempotency.js';
import { addMember, listMembers, removeMember, updateMember } from '../members.js';
import { AddMemberBody, MemberSchema, UpdateMemberBody, UserParam } from './schemas.js';

const listRoute = createRoute({
  method: 'get', path: '/org/members', operationId: 'listMembers', tags: ['org'], summary: 'Members of the org',
  request: { query: PageQuery },
  responses: { 200: { description: 'A page of members', content: jsonContent(pageOf(MemberSchema)) }, ...problems() },
});

const addRoute = createRoute({
  method: 'post', path: '/org/members', operationId: 'addMember', tags: ['org'], summary: 'Add a member by identity (org:admin)',
  middleware: [idempotent('org:admin')] as const,
  request: { headers: IdempotencyHeaders, ...jsonBody(AddMemberBody) },
  responses: { 201: { description: 'Added', content: jsonContent(MemberSchema) }, ...problems(409) },
});

const updateRoute = createRoute({
  method: 'patch', path: '/org/members/{user}', operationId: 'updateMember', tags: ['org'], summary: 'Change a member\'s role (org:admin)',
  request: { params: UserParam, ...jsonBody(UpdateMemberBody) },
  responses: { 200: { description: 'Updated', content: jsonContent(MemberSchema) }, ...problems(404, 409) },
});

const removeRoute = createRoute({
  method: 'delete', path: '/org/members/{user}', operationId: 'removeMember', tags: ['org'], summary: 'Remove a member; their tokens stop working (org:admin)',
  request: { params: UserParam },
  responses: { 204: { description: 'Removed' }, ...problems(404, 409) },
});

export const memberRoutes = createRouter()
  .openapi(listRoute, async (c) => c.json(await listMembers(tenantContext(c), c.req.valid('query')) as never, 200))
  .openapi(addRoute, async (c) => {
    const body = c.req.valid('json');
    return c.json(await addMember(tenantContext(c, 'org:admin'), c.get('deps').auth, { ...body, role: body.role as Role }) as never, 201);
  })
  .openapi(updateRoute, async (c) => {
    const ctx = tenantContext(c, 'org:admin');
    return c.json(await updateMember(ctx, c.req.valid('param').user, { role: c.req.valid('json').role as Role }) as never, 200);
  })
  .openapi(removeRoute, async (c) => {
    await removeMember(tenantContext(c, 'org:admin'), c.req.valid('param').user);
    return c.body(null, 204);
  });
