// The one place a requested partition becomes a freshness key, and a runner
// gets its default model. Callers store what this returns; nothing ever
// re-resolves a stored job or acceptance.
import { and, eq } from 'drizzle-orm';
import { distance } from 'fastest-levenshtein';
import { modelPartitionAliases, modelPartitionRunnerModels, modelPartitions } from '../../drizzle/schema.js';
import type { Tx } from '../platform/db.js';
import { ApiError } from '../platform/errors.js';
import { recordAudit } from '../tenancy/audit.js';
import type { TenantContext } from '../tenancy/context.js';
import type { ProjectRow } from '../tenancy/projects.js';

export interface Resolution {
  requested: string;
  model_partition: string;
  /** partition: a registered name; alias: through an alias; auto: registered as unverified on first use; unregistered: accepted under the warn policy. */
  resolved_by: 'partition' | 'alias' | 'auto' | 'unregistered';
  status: 'verified' | 'unverified' | 'unregistered';
  /** True when this call registered the partition (auto policy, a write). */
  created: boolean;
  warnings: string[];
}

/**
 * - write: a job or an ack is about to use the name; `auto` registers it.
 * - read: a select or a history; nothing is registered.
 * - preview: GET …/resolve; nothing is registered, but say what a write would do.
 */
export type ResolveMode = 'write' | 'read' | 'preview';

async function closestNames(tx: Tx, projectId: string, requested: string): Promise<string[]> {
  const partitions = await tx.select({ name: modelPartitions.modelPartition }).from(modelPartitions).where(eq(modelPartitions.projectId, projectId));
  const aliases = await tx.select({ name: modelPartitionAliases.alias }).from(modelPartitionAliases).where(eq(modelPartitionAliases.projectId, projectId));
  const limit = Math.max(3, Math.floor(requested.length / 3));
  return [...partitions, ...aliases]
    .map(({ name }) => ({ name, d: distance(requested.toLowerCase(), name.toLowerCase()) }))
    .filter((x) => x.d <= limit)
    .sort((a, b) => a.d - b.d || a.name.localeCompare(b.name))
    .slice(0, 5)
    .map((x) => x.name);
}

export async function resolvePartition(tx: Tx, ctx: TenantContext, project: ProjectRow, requested: string, mode: ResolveMode): Promise<Resolution> {
  const [alias] = await tx.select({ target: modelPartitionAliases.modelPartition, status: modelPartitions.status })
    .from(modelPartitionAliases)
    .innerJoin(modelPartitions, and(eq(modelPartitions.projectId, modelPartitionAliases.projectId), eq(modelPartitions.modelPartition, modelPartitionAliases.modelPartition)))
    .where(and(eq(modelPartitionAliases.projectId, project.id), eq(modelPartitionAliases.alias, requested)));
  if (alias) return { requested, model_partition: alias.target, resolved_by: 'alias', status: alias.status, created: false, warnings: [] };

  const [known] = await tx.select({ status: modelPartitions.status }).from(modelPartitions)
    .where(and(eq(modelPartitions.projectId, project.id), eq(modelPartitions.modelPartition, requested)));
  if (known) return { requested, model_partition: requested, resolved_by: 'partition', status: known.status, created: false, warnings: [] };

  const policy = project.unknownPartitionPolicy;
  if (policy === 'reject') {
    const close = await closestNames(tx, project.id, requested);
    throw new ApiError('unknown_partition', `"${requested}" is not a registered partition or alias of this project, and its policy rejects unknown partitions${close.length ? `; did you mean ${close.join(', ')}?` : ''}`, {
      errors: [{ path: 'model_partition', message: 'unknown partition' }],
      closest: close,
    });
  }
  if (policy === 'warn') {
    return {
      requested, model_partition: requested, resolved_by: 'unregistered', status: 'unregistered', created: false,
      warnings: [`"${requested}" is not a registered partition; used as given without registering it (policy warn)`],
    };
  }
  if (mode !== 'write') {
    return {
      requested, model_partition: requested, resolved_by: 'auto', status: 'unverified', created: false,
      warnings: mode === 'preview' ? [`"${requested}" is not registered yet; a job or ack would register it as unverified (policy auto)`] : [],
    };
  }
  const inserted = await tx.insert(modelPartitions).values({
    orgId: project.orgId, projectId: project.id, modelPartition: requested, status: 'unverified', createdBy: ctx.member.userId,
    description: 'registered on first use',
  }).onConflictDoNothing().returning();
  if (inserted.length > 0) {
    await recordAudit(tx, ctx, { action: 'registry.partition.auto', targetType: 'model_partition', targetId: requested, projectId: project.id, after: { model_partition: requested, status: 'unverified' } });
  }
  return {
    requested, model_partition: requested, resolved_by: 'auto', status: 'unverified', created: inserted.length > 0,
    warnings: inserted.length > 0 ? [`"${requested}" was registered as an unverified partition on first use (policy auto)`] : [],
  };
}

export interface RunnerModelResolution {
  runner: string;
  runner_model: string | null;
  runner_effort: string | null;
  /** explicit: the caller said; registry: the project's default for (partition, runner); none: neither. */
  source: 'explicit' | 'registry' | 'none';
}

/** The explicit value, else the registry default for (partition, runner), else null. */
export async function resolveRunnerModel(tx: Tx, projectId: string, partition: string, runner: string, explicit: { runner_model?: string | null; runner_effort?: string | null } = {}): Promise<RunnerModelResolution> {
  if (explicit.runner_model) return { runner, runner_model: explicit.runner_model, runner_effort: explicit.runner_effort ?? null, source: 'explicit' };
  const [row] = await tx.select().from(modelPartitionRunnerModels).where(and(
    eq(modelPartitionRunnerModels.projectId, projectId), eq(modelPartitionRunnerModels.modelPartition, partition), eq(modelPartitionRunnerModels.runner, runner)));
  if (row) return { runner, runner_model: row.runnerModel, runner_effort: explicit.runner_effort ?? row.runnerEffort, source: 'registry' };
  return { runner, runner_model: null, runner_effort: explicit.runner_effort ?? null, source: 'none' };
}
