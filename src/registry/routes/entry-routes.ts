// POST …/registry/partitions · PATCH,DELETE …/registry/partitions/{partition}
// PUT,DELETE …/registry/aliases/{alias} · PUT,DELETE …/registry/runner-models/{partition}/{runner}
import { createRoute } from '@hono/zod-openapi';
import { createRouter } from '../../platform/router.js';
import { jsonBody, jsonContent, problems } from '../../platform/schemas.js';
import { tenantContext } from '../../tenancy/context.js';
import { createPartition, deleteAlias, deletePartition, deleteRunnerModel, putAlias, putRunnerModel, updatePartition } from '../service.js';
import {
  AliasParams, AliasSchema, CreatePartitionBody, PartitionParams, PartitionSchema, ProjectParam, PutAliasBody, PutRunnerModelBody,
  RunnerModelParams, RunnerModelSchema, UpdatePartitionBody,
} from './schemas.js';

const createPartitionRoute = createRoute({
  method: 'post', path: '/projects/{project}/registry/partitions', operationId: 'createPartition', tags: ['registry'],
  summary: 'Register a partition (registry:admin)',
  request: { params: ProjectParam, ...jsonBody(CreatePartitionBody) },
  responses: { 201: { description: 'Registered', content: jsonContent(PartitionSchema) }, ...problems(404, 409) },
});

const updatePartitionRoute = createRoute({
  method: 'patch', path: '/projects/{project}/registry/partitions/{partition}', operationId: 'updatePartition', tags: ['registry'],
  summary: 'Edit a partition\'s description or mark it verified (registry:admin)',
  request: { params: PartitionParams, ...jsonBody(UpdatePartitionBody) },
  responses: { 200: { description: 'Updated', content: jsonContent(PartitionSchema) }, ...problems(404) },
});

const deletePartitionRoute = createRoute({
  method: 'delete', path: '/projects/{project}/registry/partitions/{partition}', operationId: 'deletePartition', tags: ['registry'],
  summary: 'Delete a partition no job or acceptance has used and no alias or default names (registry:admin)',
  request: { params: PartitionParams },
  responses: { 204: { description: 'Deleted' }, ...problems(404, 409) },
});

const putAliasRoute = createRoute({
  method: 'put', path: '/projects/{project}/registry/aliases/{alias}', operationId: 'putAlias', tags: ['registry'],
  summary: 'Create or repoint an alias; an alias a job or acceptance used is immutable (registry:admin)',
  request: { params: AliasParams, ...jsonBody(PutAliasBody) },
  responses: {
    200: { description: 'Repointed or unchanged', content: jsonContent(AliasSchema) },
    201: { description: 'Created', content: jsonContent(AliasSchema) },
    ...problems(404, 409),
  },
});

const deleteAliasRoute = createRoute({
  method: 'delete', path: '/projects/{project}/registry/aliases/{alias}', operationId: 'deleteAlias', tags: ['registry'],
  summary: 'Delete an alias no job or acceptance used (registry:admin)',
  request: { params: AliasParams },
  responses: { 204: { description: 'Deleted' }, ...problems(404, 409) },
});

const putRunnerModelRoute = createRoute({
  method: 'put', path: '/projects/{project}/registry/runner-models/{partition}/{runner}', operationId: 'putRunnerModel', tags: ['registry'],
  summary: 'Set the default runner model (and effort) for a partition and runner; existing jobs keep theirs (registry:admin)',
  request: { params: RunnerModelParams, ...jsonBody(PutRunnerModelBody) },
  responses: {
    200: { description: 'Changed or unchanged', content: jsonContent(RunnerModelSchema) },
    201: { description: 'Created', content: jsonContent(RunnerModelSchema) },
    ...problems(404, 409),
  },
});

const deleteRunnerModelRoute = createRoute({
  method: 'delete', path: '/projects/{project}/registry/runner-models/{partition}/{runner}', operationId: 'deleteRunnerModel', tags: ['registry'],
  summary: 'Remove a runner default (registry:admin)',
  request: { params: RunnerModelParams },
  responses: { 204: { description: 'Removed' }, ...problems(404) },
});

export const entryRoutes = createRouter()
  .openapi(createPartitionRoute, async (c) => {
    const ctx = tenantContext(c, 'registry:admin');
    return c.json(await createPartition(ctx, c.req.valid('param').project, c.req.valid('json')), 201);
  })
  .openapi(updatePartitionRoute, async (c) => {
    const ctx = tenantContext(c, 'registry:admin');
    const { project, partition } = c.req.valid('param');
    return c.json(await updatePartition(ctx, project, partition, c.req.valid('json')), 200);
  })
  .openapi(deletePartitionRoute, async (c) => {
    const ctx = tenantContext(c, 'registry:admin');
    const { project, partition } = c.req.valid('param');
    await deletePartition(ctx, project, partition);
    return c.body(null, 204);
  })
  .openapi(putAliasRoute, async (c) => {
    const ctx = tenantContext(c, 'registry:admin');
    const { project, alias } = c.req.valid('param');
    const result = await putAlias(ctx, project, alias, c.req.valid('json').model_partition);
    return c.json(result.alias, result.created ? 201 : 200);
  })
  .openapi(deleteAliasRoute, async (c) => {
    const ctx = tenantContext(c, 'registry:admin');
    const { project, alias } = c.req.valid('param');
    await deleteAlias(ctx, project, alias);
    return c.body(null, 204);
  })
  .openapi(putRunnerModelRoute, async (c) => {
    const ctx = tenantContext(c, 'registry:admin');
    const { project, partition, runner } = c.req.valid('param');
    const result = await putRunnerModel(ctx, project, partition, runner, c.req.valid('json'));
    return c.json(result.runner_model, result.created ? 201 : 200);
  })
  .openapi(deleteRunnerModelRoute, async (c) => {
    const ctx = tenantContext(c, 'registry:admin');
    const { project, partition, runner } = c.req.valid('param');
    await deleteRunnerModel(ctx, project, partition, runner);
    return c.body(null, 204);
  });
