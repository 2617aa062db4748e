// Model partition registry, per project (managed by org admins).
import {
  foreignKey, pgEnum, pgTable, primaryKey, text, uuid,
} from 'drizzle-orm/pg-core';
import { createdAt, orgId, updatedAt } from './common.js';
import { projectRef } from './tenancy.js';

export const partitionStatus = pgEnum('partition_status', ['verified', 'unverified']);

export const modelPartitions = pgTable('model_partitions', {
  orgId: orgId(),
  projectId: uuid('project_id').notNull(),
  modelPartition: text('model_partition').notNull(),
  description: text('description'),
  status: partitionStatus('status').notNull().default('unverified'),
  createdBy: uuid('created_by'),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
}, (t) => [
  projectRef(t, 'model_partitions_project_fk'),
  primaryKey({ columns: [t.projectId, t.modelPartition] }),
]);

export const modelPartitionAliases = pgTable('model_partition_aliases', {
  orgId: orgId(),
  projectId: uuid('project_id').notNull(),
  alias: text('alias').notNull(),
  modelPartition: text('model_partition').notNull(),
  createdBy: uuid('created_by'),
  createdAt: createdAt(),
}, (t) => [
  primaryKey({ columns: [t.projectId, t.alias] }),
  foreignKey({ name: 'model_partition_aliases_partition_fk', columns: [t.projectId, t.modelPartition], foreignColumns: [modelPartitions.projectId, modelPartitions.modelPartition] }),
]);

export const modelPartitionRunnerModels = pgTable('model_partition_runner_models', {
  orgId: orgId(),
  projectId: uuid('project_id').notNull(),
  modelPartition: text('model_partition').notNull(),
  runner: text('runner').notNull(),
  runnerModel: text('runner_model').notNull(),
  runnerEffort: text('runner_effort'),
  createdBy: uuid('created_by'),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
}, (t) => [
  primaryKey({ columns: [t.projectId, t.modelPartition, t.runner] }),
  foreignKey({ name: 'model_partition_runner_models_partition_fk', columns: [t.projectId, t.modelPartition], foreignColumns: [modelPartitions.projectId, modelPartitions.modelPartition] }),
]);
