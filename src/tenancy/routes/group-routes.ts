// GET,POST /v1/org/groups · PUT,DELETE /v1/org/groups/{group}/members/{user}
import { createRoute } from '@hono/zod-openapi';
import { createRouter } from '../../platform/router.js';
import { jsonBody, jsonContent, PageQuery, pageOf, problems } from '../../platform/schemas.js';
import { tenantContext } from '../context.js';
import { addGroupMember, createGroup, listGroups, removeGroupMember } from '../groups.js';
import { IdempotencyHeaders, idempotent } from '../idempotency.js';
import { CreateGroupBody, GroupMemberParams, GroupMembership, GroupSchema } from './schemas.js';

const listRoute = createRoute({
  method: 'get', path: '/org/groups', operationId: 'listGroups', tags: ['org'], summary: 'Groups and their members',
  request: { query: PageQuery },
  responses: { 200: { description: 'A page of groups', content: jsonContent(pageOf(GroupSchema)) }, ...problems() },
});

const createGroupRoute = createRoute({
  method: 'post', path: '/org/groups', operationId: 'createGroup', tags: ['org'], summary: 'Create a group (org:admin)',
  middleware: [idempotent('org:admin')] as const,
  request: { headers: IdempotencyHeaders, ...jsonBody(CreateGroupBody) },
  responses: { 201: { description: 'Created', content: jsonContent(GroupSchema) }, ...problems(409) },
});

const putMemberRoute = createRoute({
  method: 'put', path: '/org/groups/{group}/members/{user}', operationId: 'addGroupMember', tags: ['org'], summary: 'Add a member to a group; idempotent (org:admin)',
  request: { params: GroupMemberParams },
  responses: { 200: { description: 'The member is in the group', content: jsonContent(GroupMembership) }, ...problems(404) },
});

const deleteMemberRoute = createRoute({
  method: 'delete', path: '/org/groups/{group}/members/{user}', operationId: 'removeGroupMember', tags: ['org'], summary: 'Remove a member from a group (org:admin)',
  request: { params: GroupMemberParams },
  responses: { 204: { description: 'Removed' }, ...problems(404) },
});

export const groupRoutes = createRouter()
  .openapi(listRoute, async (c) => c.json(await listGroups(tenantContext(c), c.req.valid('query')), 200))
  .openapi(createGroupRoute, async (c) => c.json(await createGroup(tenantContext(c, 'org:admin'), c.req.valid('json')), 201))
  .openapi(putMemberRoute, async (c) => {
    const { group, user } = c.req.valid('param');
    return c.json(await addGroupMember(tenantContext(c, 'org:admin'), group, user), 200);
  })
  .openapi(deleteMemberRoute, async (c) => {
    const { group, user } = c.req.valid('param');
    await removeGroupMember(tenantContext(c, 'org:admin'), group, user);
    return c.body(null, 204);
  });
