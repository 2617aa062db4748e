// GET,POST /v1/projects · GET,PATCH,DELETE /v1/projects/{project}
import { createRoute } from '@hono/zod-openapi';
import { createRouter } from '../../platform/router.js';
import { jsonBody, jsonContent, PageQuery, pageOf, problems } from '../../platform/schemas.js';
import { tenantContext } from '../context.js';
import { IdempotencyHeaders, idempotent } from '../idempotency.js';
import { createProject, deleteProject, getProject, listProjects, updateProject } from '../projects.js';
import { CreateProjectBody, ProjectParam, ProjectSchema, UpdateProjectBody } from './schemas.js';

const listRoute = createRoute({
  method: 'get', path: '/projects', operationId: 'listProjects', tags: ['projects'], summary: 'Projects the caller may see',
  request: { query: PageQuery },
  responses: { 200: { description: 'A page of projects', content: jsonContent(pageOf(ProjectSchema)) }, ...problems() },
});

const createProjectRoute = createRoute({
  method: 'post', path: '/projects', operationId: 'createProject', tags: ['projects'], summary: 'Create a project; the caller owns it (projects:write)',
  middleware: [idempotent('projects:write')] as const,
  request: { headers: IdempotencyHeaders, ...jsonBody(CreateProjectBody) },
  responses: { 201: { description: 'Created', content: jsonContent(ProjectSchema) }, ...problems(409) },
});

const getRoute = createRoute({
  method: 'get', path: '/projects/{project}', operationId: 'getProject', tags: ['projects'], summary: 'One project',
  request: { params: ProjectParam },
  responses: { 200: { description: 'The project', content: jsonContent(ProjectSchema) }, ...problems(404) },
});

const updateRoute = createRoute({
  method: 'patch', path: '/projects/{project}', operationId: 'updateProject', tags: ['projects'], summary: 'Change a project (its owner or an org admin; projects:write)',
  request: { params: ProjectParam, ...jsonBody(UpdateProjectBody) },
  responses: { 200: { description: 'Updated', content: jsonContent(ProjectSchema) }, ...problems(404) },
});

const deleteRoute = createRoute({
  method: 'delete', path: '/projects/{project}', operationId: 'deleteProject', tags: ['projects'], summary: 'Archive a project; its history is kept (its owner or an org admin; projects:write)',
  request: { params: ProjectParam },
  responses: { 204: { description: 'Deleted' }, ...problems(404) },
});

export const projectRoutes = createRouter()
  .openapi(listRoute, async (c) => c.json(await listProjects(tenantContext(c), c.req.valid('query')) as never, 200))
  .openapi(createProjectRoute, async (c) => c.json(await createProject(tenantContext(c, 'projects:write'), c.req.valid('json')) as never, 201))
  .openapi(getRoute, async (c) => c.json(await getProject(tenantContext(c), c.req.valid('param').project) as never, 200))
  .openapi(updateRoute, async (c) => {
    const ctx = tenantContext(c, 'projects:write');
    return c.json(await updateProject(ctx, c.req.valid('param').project, c.req.valid('json')) as never, 200);
  })
  .openapi(deleteRoute, async (c) => {
    await deleteProject(tenantContext(c, 'projects:write'), c.req.valid('param').project);
    return c.body(null, 204);
  });
