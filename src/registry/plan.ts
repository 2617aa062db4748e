// Registry changes as data. A declarative sync and every single-route edit
// go through the same steps: validate the desired registry, plan the changes
// against the current one, refuse what the rules forbid, apply the rest in
// the caller's transaction with one audit entry per change.
import { and, eq } from 'drizzle-orm';
import { modelPartitionAliases, modelPartitionRunnerModels, modelPartitions, projects } from '../../drizzle/schema.js';
import type { Tx } from '../platform/db.js';
import { ApiError, type FieldError } from '../platform/errors.js';
import { recordAudit } from '../tenancy/audit.js';
import type { TenantContext } from '../tenancy/context.js';
import { type AliasEntry, describeUse, type PartitionEntry, type Policy, type Registry, type RunnerModelEntry, used, usageOf } from './state.js';

export type Change =
  | { kind: 'set_policy'; from: Policy; to: Policy }
  | { kind: 'add_partition'; to: PartitionEntry }
  | { kind: 'change_partition'; from: PartitionEntry; to: PartitionEntry }
  | { kind: 'remove_partition'; from: PartitionEntry }
  | { kind: 'add_alias'; to: AliasEntry }
  | { kind: 'change_alias'; from: AliasEntry; to: AliasEntry }
  | { kind: 'remove_alias'; from: AliasEntry }
  | { kind: 'add_runner_model'; to: RunnerModelEntry }
  | { kind: 'change_runner_model'; from: RunnerModelEntry; to: RunnerModelEntry }
  | { kind: 'remove_runner_model'; from: RunnerModelEntry };

export interface Refusal { change: Change; reason: string }
export interface Plan { changes: Change[]; refusals: Refusal[] }

const rmKey = (r: { model_partition: string; runner: string }) => `${r.model_partition}\u0000${r.runner}`;

/** A desired registry must be consistent on its own: 422 naming each problem. */
export function validateDesired(desired: Registry, where = 'body'): void {
  const errors: FieldError[] = [];
  const partitions = new Set<string>();
  desired.partitions.forEach((p, i) => {
    if (partitions.has(p.model_partition)) errors.push({ path: `${where}.partitions.${i}.model_partition`, message: `${p.model_partition} is listed twice` });
    partitions.add(p.model_partition);
  });
  const aliases = new Set<string>();
  desired.aliases.forEach((a, i) => {
    if (aliases.has(a.alias)) errors.push({ path: `${where}.aliases.${i}.alias`, message: `${a.alias} is listed twice` });
    aliases.add(a.alias);
  });
  desired.aliases.forEach((a, i) => {
    if (partitions.has(a.alias)) errors.push({ path: `${where}.aliases.${i}.alias`, message: `alias ${a.alias} would shadow the partition of the same name` });
    if (aliases.has(a.model_partition)) errors.push({ path: `${where}.aliases.${i}.model_partition`, message: `aliases may not chain: ${a.model_partition} is itself an alias` });
    else if (!partitions.has(a.model_partition)) errors.push({ path: `${where}.aliases.${i}.model_partition`, message: `${a.model_partition} is not a partition of this registry` });
  });
  const runnerModels = new Set<string>();
  desired.runner_models.forEach((r, i) => {
    if (runnerModels.has(rmKey(r))) errors.push({ path: `${where}.runner_models.${i}`, message: `${r.model_partition} / ${r.runner} is listed twice` });
    runnerModels.add(rmKey(r));
    if (!partitions.has(r.model_partition)) errors.push({ path: `${where}.runner_models.${i}.model_partition`, message: `${r.model_partition} is not a partition of this registry` });
  });
  if (errors.length) throw new ApiError('validation_failed', `The registry is inconsistent: ${errors[0].message}${errors.length > 1 ? ` (and ${errors.length - 1} more)` : ''}`, { errors });
}

function diff<T>(from: T[], to: T[], key: (x: T) => string, same: (a: T, b: T) => boolean) {
  const before = new Map(from.map((x) => [key(x), x]));
  const after = new Map(to.map((x) => [key(x), x]));
  return {
    added: to.filter((x) => !before.has(key(x))),
    changed: to.filter((x) => before.has(key(x)) && !same(before.get(key(x))!, x)).map((x) => ({ from: before.get(key(x))!, to: x })),
    removed: from.filter((x) => !after.has(key(x))),
  };
}

/** The changes from current to desired, and which of them the rules refuse (names used by jobs or acceptance). */
export async function planChanges(tx: Tx, projectId: string, current: Registry, desired: Registry): Promise<Plan> {
  const changes: Change[] = [];
  if (current.unknown_partition_policy !== desired.unknown_partition_policy) {
    changes.push({ kind: 'set_policy', from: current.unknown_partition_policy, to: desired.unknown_partition_policy });
  }
  const p = diff(current.partitions, desired.partitions, (x) => x.model_partition, (a, b) => a.description === b.description && a.status === b.status);
  const a = diff(current.aliases, desired.aliases, (x) => x.alias, (x, y) => x.model_partition === y.model_partition);
  const r = diff(current.runner_models, desired.runner_models, rmKey, (x, y) => x.runner_model === y.runner_model && x.runner_effort === y.runner_effort);
  changes.push(
    ...p.added.map((to) => ({ kind: 'add_partition' as const, to })),
    ...p.changed.map(({ from, to }) => ({ kind: 'change_partition' as const, from, to })),
    ...a.added.map((to) => ({ kind: 'add_alias' as const, to })),
    ...a.changed.map(({ from, to }) => ({ kind: 'change_alias' as const, from, to })),
    ...r.added.map((to) => ({ kind: 'add_runner_model' as const, to })),
    ...r.changed.map(({ from, to }) => ({ kind: 'change_runner_model' as const, from, to })),
    ...r.removed.map((from) => ({ kind: 'remove_runner_model' as const, from })),
    ...a.removed.map((from) => ({ kind: 'remove_alias' as const, from })),
    ...p.removed.map((from) => ({ kind: 'remove_partition' as const, from })),
  );

  const refusals: Refusal[] = [];
  const partitionUse = await usageOf(tx, projectId, p.removed.map((x) => x.model_partition), 'partition');
  const aliasUse = await usageOf(tx, projectId, [...a.changed.map((x) => x.from.alias), ...a.removed.map((x) => x.alias)], 'requested');
  for (const change of changes) {
    if (change.kind === 'remove_partition' && used(partitionUse.get(change.from.model_partition))) {
      refusals.push({ change, reason: `partition ${change.from.model_partition} is used by ${describeUse(partitionUse.get(change.from.model_partition)!)}` });
    }
    if ((change.kind === 'change_alias' || change.kind === 'remove_alias') && used(aliasUse.get(change.from.alias))) {
      refusals.push({ change, reason: `alias ${change.from.alias} is immutable: used by ${describeUse(aliasUse.get(change.from.alias)!)}` });
    }
  }
  return { changes, refusals };
}

const auditTarget: Record<Change['kind'], [string, (c: any) => string]> = {
  set_policy: ['registry', () => 'unknown_partition_policy'],
  add_partition: ['model_partition', (c) => c.to.model_partition],
  change_partition: ['model_partition', (c) => c.to.model_partition],
  remove_partition: ['model_partition', (c) => c.from.model_partition],
  add_alias: ['model_partition_alias', (c) => c.to.alias],
  change_alias: ['model_partition_alias', (c) => c.to.alias],
  remove_alias: ['model_partition_alias', (c) => c.from.alias],
  add_runner_model: ['runner_model', (c) => `${c.to.model_partition}/${c.to.runner}`],
  change_runner_model: ['runner_model', (c) => `${c.to.model_partition}/${c.to.runner}`],
  remove_runner_model: ['runner_model', (c) => `${c.from.model_partition}/${c.from.runner}`],
};

/** Apply a plan with no refusals, in order (adds before the aliases that need them, removals last). */
export async function applyPlan(tx: Tx, ctx: TenantContext, projectId: string, plan: Plan): Promise<void> {
  if (plan.refusals.length > 0) throw new ApiError('registry_conflict', plan.refusals.map((r) => r.reason).join('; '), { refusals: plan.refusals });
  const orgId = ctx.member.orgId;
  const now = ctx.now.toISOString();
  for (const change of plan.changes) {
    switch (change.kind) {
      case 'set_policy':
        await tx.update(projects).set({ unknownPartitionPolicy: change.to, updatedAt: now }).where(eq(projects.id, projectId));
        break;
      case 'add_partition':
        await tx.insert(modelPartitions).values({ orgId, projectId, modelPartition: change.to.model_partition, description: change.to.description, status: change.to.status, createdBy: ctx.member.userId });
        break;
      case 'change_partition':
        await tx.update(modelPartitions).set({ description: change.to.description, status: change.to.status, updatedAt: now })
          .where(and(eq(modelPartitions.projectId, projectId), eq(modelPartitions.modelPartition, change.to.model_partition)));
        break;
      case 'remove_partition':
        await tx.delete(modelPartitions).where(and(eq(modelPartitions.projectId, projectId), eq(modelPartitions.modelPartition, change.from.model_partition)));
        break;
      case 'add_alias':
        await tx.insert(modelPartitionAliases).values({ orgId, projectId, alias: change.to.alias, modelPartition: change.to.model_partition, createdBy: ctx.member.userId });
        break;
      case 'change_alias':
        await tx.update(modelPartitionAliases).set({ modelPartition: change.to.model_partition })
          .where(and(eq(modelPartitionAliases.projectId, projectId), eq(modelPartitionAliases.alias, change.to.alias)));
        break;
      case 'remove_alias':
        await tx.delete(modelPartitionAliases).where(and(eq(modelPartitionAliases.projectId, projectId), eq(modelPartitionAliases.alias, change.from.alias)));
        break;
      case 'add_runner_model':
        await tx.insert(modelPartitionRunnerModels).values({ orgId, projectId, modelPartition: change.to.model_partition, runner: change.to.runner, runnerModel: change.to.runner_model, runnerEffort: change.to.runner_effort, createdBy: ctx.member.userId });
        break;
      case 'change_runner_model':
        await tx.update(modelPartitionRunnerModels).set({ runnerModel: change.to.runner_model, runnerEffort: change.to.runner_effort, updatedAt: now })
          .where(and(eq(modelPartitionRunnerModels.projectId, projectId), eq(modelPartitionRunnerModels.modelPartition, change.to.model_partition), eq(modelPartitionRunnerModels.runner, change.to.runner)));
        break;
      case 'remove_runner_model':
        await tx.delete(modelPartitionRunnerModels).where(and(eq(modelPartitionRunnerModels.projectId, projectId), eq(modelPartitionRunnerModels.modelPartition, change.from.model_partition), eq(modelPartitionRunnerModels.runner, change.from.runner)));
        break;
    }
    const [targetType, targetId] = auditTarget[change.kind];
    await recordAudit(tx, ctx, {
      action: `registry.${change.kind}`, targetType, targetId: targetId(change), projectId,
      before: 'from' in change ? change.from : null, after: 'to' in change ? change.to : null,
    });
  }
}
