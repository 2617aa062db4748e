// POST /v1/orgs · GET /v1/org · GET /v1/org/audit
import { createRoute, z } from '@hono/zod-openapi';
import { createRouter } from '../../platform/router.js';
import { jsonBody, jsonContent, PageQuery, pageOf, problems } from '../../platform/schemas.js';
import { listAudit } from '../audit.js';
import { tenantContext } from '../context.js';
import { createOrg, getOrg } from '../orgs.js';
import { AuditEntry, CreatedOrg, CreateOrgBody, OrgWithCaller } from './schemas.js';

const createOrgRoute = createRoute({
  method: 'post',
  path: '/orgs',
  operationId: 'createOrg',
  tags: ['org'],
  summary: 'Create an org (operator, or a signed-in identity with no org yet, who becomes its owner)',
  request: jsonBody(CreateOrgBody),
  responses: { 201: { description: 'Created', content: jsonContent(CreatedOrg) }, ...problems(409) },
});

const getOrgRoute = createRoute({
  method: 'get',
  path: '/org',
  operationId: 'getOrg',
  tags: ['org'],
  summary: 'The caller\'s org, and the caller\'s role and scopes in it',
  responses: { 200: { description: 'The org', content: jsonContent(OrgWithCaller) }, ...problems() },
});

const AuditQuery = PageQuery.extend({
  action: z.string().max(100).optional(),
  target_type: z.string().max(100).optional(),
});

const auditRoute = createRoute({
  method: 'get',
  path: '/org/audit',
  operationId: 'listAudit',
  tags: ['org'],
  summary: 'Audit log of admin and registry changes, newest first (org:admin)',
  request: { query: AuditQuery },
  responses: { 200: { description: 'A page of entries', content: jsonContent(pageOf(AuditEntry)) }, ...problems() },
});

export const orgRoutes = createRouter()
  .openapi(createOrgRoute, async (c) => {
    const deps = c.get('deps');
    const result = await createOrg(c.get('db'), deps.auth, c.get('principal'), c.req.valid('json'), deps.clock(), c.get('requestId'));
    return c.json(result, 201);
  })
  .openapi(getOrgRoute, async (c) => c.json(await getOrg(tenantContext(c)) as never, 200))
  .openapi(auditRoute, async (c) => c.json(await listAudit(tenantContext(c, 'org:admin'), c.req.valid('query')), 200));
