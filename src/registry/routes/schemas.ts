// Request and response shapes of the registry routes.
import { z } from '@hono/zod-openapi';
import { ModelPartition, PARTITION_PATTERN } from '../../freshness/names.js';
import { Slug } from '../../platform/schemas.js';

export const RUNNER_PATTERN = /^[a-z0-9][a-z0-9._-]{0,63}$/;
export const Runner = z.string().regex(RUNNER_PATTERN, 'a runner name: lowercase letters, digits and . _ -, starting with a letter or digit, at most 64 characters')
  .openapi({ example: 'claude-code' });
export const Alias = z.string().regex(PARTITION_PATTERN, 'an alias: the same characters as a partition name').openapi({ example: 'opus' });
export const RunnerModel = z.string().regex(/^[\x21-\x7e]{1,200}$/, 'a model name: 1-200 printable characters without spaces').openapi({ example: 'claude-opus-4-1' });
export const Effort = z.string().regex(/^[A-Za-z0-9._-]{1,32}$/, 'an effort: 1-32 letters, digits, . _ -').openapi({ example: 'high' });
export const PolicySchema = z.enum(['reject', 'auto', 'warn']).openapi('UnknownPartitionPolicy');
const StatusSchema = z.enum(['verified', 'unverified']);

export const PartitionSchema = z.object({
  model_partition: ModelPartition,
  description: z.string().max(2000).nullable().default(null),
  status: StatusSchema.default('verified'),
}).strict().openapi('ModelPartition');

export const AliasSchema = z.object({ alias: Alias, model_partition: ModelPartition }).strict().openapi('ModelPartitionAlias');

export const RunnerModelSchema = z.object({
  model_partition: ModelPartition,
  runner: Runner,
  runner_model: RunnerModel,
  runner_effort: Effort.nullable().default(null),
}).strict().openapi('RunnerDefaultModel');

export const RegistryBody = z.object({
  unknown_partition_policy: PolicySchema,
  partitions: z.array(PartitionSchema).max(1000),
  aliases: z.array(AliasSchema).max(1000),
  runner_models: z.array(RunnerModelSchema).max(5000),
}).strict().openapi('Registry');

export const RegistryResult = RegistryBody.extend({ etag: z.string() }).openapi('RegistryWithEtag');

const ChangeSchema = z.object({
  kind: z.enum(['set_policy', 'add_partition', 'change_partition', 'remove_partition', 'add_alias', 'change_alias', 'remove_alias', 'add_runner_model', 'change_runner_model', 'remove_runner_model']),
  from: z.unknown().optional(),
  to: z.unknown().optional(),
}).openapi('RegistryChange');

export const SyncResult = z.object({
  dry_run: z.boolean(),
  applied: z.boolean(),
  plan: z.object({ changes: z.array(ChangeSchema), refusals: z.array(z.object({ change: ChangeSchema, reason: z.string() })) }),
  etag: z.string(),
}).openapi('RegistrySyncResult');

export const ResolutionSchema = z.object({
  requested: z.string(),
  model_partition: z.string(),
  resolved_by: z.enum(['partition', 'alias', 'auto', 'unregistered']),
  status: z.enum(['verified', 'unverified', 'unregistered']),
  created: z.boolean(),
  warnings: z.array(z.string()),
  policy: PolicySchema,
  runner: z.object({
    runner: z.string(), runner_model: z.string().nullable(), runner_effort: z.string().nullable(), source: z.enum(['explicit', 'registry', 'none']),
  }).nullable(),
}).openapi('PartitionResolution');

export const ProjectParam = z.object({ project: Slug.openapi({ param: { name: 'project', in: 'path' } }) });
export const PartitionParams = ProjectParam.extend({ partition: ModelPartition.openapi({ param: { name: 'partition', in: 'path' } }) });
export const AliasParams = ProjectParam.extend({ alias: Alias.openapi({ param: { name: 'alias', in: 'path' } }) });
export const RunnerModelParams = PartitionParams.extend({ runner: Runner.openapi({ param: { name: 'runner', in: 'path' } }) });

export const DryRunQuery = z.object({ dry_run: z.enum(['true', 'false']).default('false').transform((v) => v === 'true') });
export const ResolveQuery = z.object({ partition: ModelPartition, runner: Runner.optional(), runner_model: RunnerModel.optional(), runner_effort: Effort.optional() });

export const CreatePartitionBody = PartitionSchema;
export const UpdatePartitionBody = z.object({
  description: z.string().max(2000).nullable().optional(),
  status: StatusSchema.optional(),
}).strict().refine((b) => Object.keys(b).length > 0, { message: 'name at least one field to change' }).openapi('UpdateModelPartition');
export const PutAliasBody = z.object({ model_partition: ModelPartition }).strict().openapi('PutAlias');
export const PutRunnerModelBody = z.object({ runner_model: RunnerModel, runner_effort: Effort.nullable().optional() }).strict().openapi('PutRunnerDefaultModel');
