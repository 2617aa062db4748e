// The registry of one project as data: partitions, aliases, runner
// defaults and the unknown-partition policy; what uses which name.
import { asc, eq, sql } from 'drizzle-orm';
import { modelPartitionAliases, modelPartitionRunnerModels, modelPartitions, projects } from '../../drizzle/schema.js';
import { rowsOf, type Tx } from '../platform/db.js';
import { sha256Hex } from '../freshness/names.js';

export type Policy = 'reject' | 'auto' | 'warn';

export interface PartitionEntry { model_partition: string; description: string | null; status: 'verified' | 'unverified' }
export interface AliasEntry { alias: string; model_partition: string }
export interface RunnerModelEntry { model_partition: string; runner: string; runner_model: string; runner_effort: string | null }

export interface Registry {
  unknown_partition_policy: Policy;
  partitions: PartitionEntry[];
  aliases: AliasEntry[];
  runner_models: RunnerModelEntry[];
}

/** Every registry write of a project takes this lock first, so writes (and syncs) never interleave. */
export async function lockRegistry(tx: Tx, projectId: string): Promise<void> {
  await tx.execute(sql`select id from projects where id = ${projectId} for update`);
}

export async function loadRegistry(tx: Tx, projectId: string): Promise<Registry> {
  const [project] = await tx.select({ policy: projects.unknownPartitionPolicy }).from(projects).where(eq(projects.id, projectId));
  const partitions = await tx.select().from(modelPartitions).where(eq(modelPartitions.projectId, projectId)).orderBy(asc(modelPartitions.modelPartition));
  const aliases = await tx.select().from(modelPartitionAliases).where(eq(modelPartitionAliases.projectId, projectId)).orderBy(asc(modelPartitionAliases.alias));
  const runnerModels = await tx.select().from(modelPartitionRunnerModels).where(eq(modelPartitionRunnerModels.projectId, projectId))
    .orderBy(asc(modelPartitionRunnerModels.modelPartition), asc(modelPartitionRunnerModels.runner));
  return {
    unknown_partition_policy: project.policy,
    partitions: partitions.map((p) => ({ model_partition: p.modelPartition, description: p.description, status: p.status })),
    aliases: aliases.map((a) => ({ alias: a.alias, model_partition: a.modelPartition })),
    runner_models: runnerModels.map((r) => ({ model_partition: r.modelPartition, runner: r.runner, runner_model: r.runnerModel, runner_effort: r.runnerEffort })),
  };
}

/** A content hash of the registry: the ETag a sync may send back in If-Match. */
export async function registryEtag(registry: Registry): Promise<string> {
  const hex = await sha256Hex(new TextEncoder().encode(JSON.stringify(registry)));
  return `"${hex.slice(0, 32)}"`;
}

export interface Usage { jobs: number; acceptance: number }

/**
 * How often names were used by jobs or acceptance: as the resolved
 * partition, or as the string a writer asked for (an alias).
 */
export async function usageOf(tx: Tx, projectId: string, names: string[], as: 'partition' | 'requested'): Promise<Map<string, Usage>> {
  if (names.length === 0) return new Map();
  const column = as === 'partition' ? sql.raw('model_partition') : sql.raw('requested_partition');
  const list = sql.join(names.map((n) => sql`${n}`), sql`, `);
  const rows = rowsOf<{ name: string; jobs: number; acceptance: number }>(await tx.execute(sql`
    select n.name,
      (select count(*)::int from review_jobs j where j.project_id = ${projectId} and j.${column} = n.name) as jobs,
      (select count(*)::int from acceptance_events e where e.project_id = ${projectId} and e.${column} = n.name) as acceptance
    from (select unnest(array[${list}]::text[]) as name) n`));
  return new Map(rows.map((r) => [r.name, { jobs: Number(r.jobs), acceptance: Number(r.acceptance) }]));
}

export const used = (u: Usage | undefined) => !!u && (u.jobs > 0 || u.acceptance > 0);
export const describeUse = (u: Usage) => [u.jobs ? `${u.jobs} job(s)` : '', u.acceptance ? `${u.acceptance} acceptance event(s)` : ''].filter(Boolean).join(' and ');
