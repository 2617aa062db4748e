// Registry operations for the routes: read, resolve, sync, and the single
// edits, each expressed as a desired registry run through the same plan.
import { ApiError, notFound } from '../platform/errors.js';
import type { TenantContext } from '../tenancy/context.js';
import { inProject } from '../tenancy/projects.js';
import { applyPlan, planChanges, validateDesired } from './plan.js';
import { resolvePartition, resolveRunnerModel } from './resolve.js';
import { loadRegistry, lockRegistry, type PartitionEntry, type Registry, registryEtag } from './state.js';

export async function getRegistry(ctx: TenantContext, slug: string) {
  return inProject(ctx, slug, async (tx, project) => {
    const registry = await loadRegistry(tx, project.id);
    return { ...registry, etag: await registryEtag(registry) };
  });
}

export async function previewResolution(ctx: TenantContext, slug: string, q: { partition: string; runner?: string; runner_model?: string; runner_effort?: string }) {
  return inProject(ctx, slug, async (tx, project) => {
    const resolution = await resolvePartition(tx, ctx, project, q.partition, 'preview');
    const runner = q.runner ? await resolveRunnerModel(tx, project.id, resolution.model_partition, q.runner, q) : null;
    return { ...resolution, policy: project.unknownPartitionPolicy, runner };
  });
}

/**
 * Declarative sync: the whole desired registry. A dry run returns the plan;
 * otherwise the plan is applied in one transaction, or, if anything is
 * refused, nothing is. `ifMatch` (the ETag of a GET) makes a sync from a
 * stale read fail with 409 instead of overwriting what changed since.
 */
export async function syncRegistry(ctx: TenantContext, slug: string, desired: Registry, opts: { dryRun: boolean; ifMatch?: string }) {
  validateDesired(desired);
  return inProject(ctx, slug, async (tx, project) => {
    await lockRegistry(tx, project.id);
    const current = await loadRegistry(tx, project.id);
    const etag = await registryEtag(current);
    if (opts.ifMatch && opts.ifMatch !== etag && opts.ifMatch !== '*') {
      throw new ApiError('registry_conflict', 'The registry changed since it was read (If-Match does not match); read it again and retry', { etag });
    }
    const plan = await planChanges(tx, project.id, current, desired);
    if (opts.dryRun) return { dry_run: true, applied: false, plan, etag };
    await applyPlan(tx, ctx, project.id, plan);
    const after = await loadRegistry(tx, project.id);
    return { dry_run: false, applied: true, plan, etag: await registryEtag(after) };
  });
}

/** Run one edit as a change of the desired registry, under the same plan, rules and audit as a sync. */
async function edit(ctx: TenantContext, slug: string, change: (current: Registry) => Registry) {
  return inProject(ctx, slug, async (tx, project) => {
    await lockRegistry(tx, project.id);
    const current = await loadRegistry(tx, project.id);
    const desired = change(structuredClone(current));
    validateDesired(desired, 'path');
    const plan = await planChanges(tx, project.id, current, desired);
    await applyPlan(tx, ctx, project.id, plan);
    return { plan, registry: await loadRegistry(tx, project.id) };
  });
}

export async function createPartition(ctx: TenantContext, slug: string, entry: PartitionEntry) {
  const { registry } = await edit(ctx, slug, (r) => {
    if (r.partitions.some((p) => p.model_partition === entry.model_partition)) throw new ApiError('already_exists', `Partition ${entry.model_partition} already exists`);
    if (r.aliases.some((a) => a.alias === entry.model_partition)) throw new ApiError('conflict', `${entry.model_partition} is an alias; a partition may not take its name`);
    r.partitions.push(entry);
    return r;
  });
  return registry.partitions.find((p) => p.model_partition === entry.model_partition)!;
}

export async function updatePartition(ctx: TenantContext, slug: string, name: string, patch: { description?: string | null; status?: 'verified' | 'unverified' }) {
  const { registry } = await edit(ctx, slug, (r) => {
    const p = r.partitions.find((x) => x.model_partition === name);
    if (!p) throw notFound(`Partition ${name}`);
    if (patch.description !== undefined) p.description = patch.description;
    if (patch.status !== undefined) p.status = patch.status;
    return r;
  });
  return registry.partitions.find((p) => p.model_partition === name)!;
}

export async function deletePartition(ctx: TenantContext, slug: string, name: string) {
  await edit(ctx, slug, (r) => {
    if (!r.partitions.some((p) => p.model_partition === name)) throw notFound(`Partition ${name}`);
    const aliases = r.aliases.filter((a) => a.model_partition === name).map((a) => a.alias);
    const defaults = r.runner_models.filter((m) => m.model_partition === name).map((m) => m.runner);
    if (aliases.length || defaults.length) {
      throw new ApiError('conflict', `Partition ${name} is still named by ${[aliases.length ? `aliases ${aliases.join(', ')}` : '', defaults.length ? `runner defaults for ${defaults.join(', ')}` : ''].filter(Boolean).join(' and ')}; remove those first`);
    }
    r.partitions = r.partitions.filter((p) => p.model_partition !== name);
    return r;
  });
}

export async function putAlias(ctx: TenantContext, slug: string, alias: string, target: string) {
  let created = false;
  const { registry } = await edit(ctx, slug, (r) => {
    if (r.partitions.some((p) => p.model_partition === alias)) {
      throw new ApiError('validation_failed', `An alias may not shadow a partition: ${alias} is a partition`, { errors: [{ path: 'path.alias', message: 'is a partition name' }] });
    }
    if (r.aliases.some((a) => a.alias === target)) {
      throw new ApiError('validation_failed', `Aliases may not chain: ${target} is itself an alias`, { errors: [{ path: 'body.model_partition', message: 'is an alias' }] });
    }
    if (!r.partitions.some((p) => p.model_partition === target)) {
      throw new ApiError('validation_failed', `${target} is not a partition of this project`, { errors: [{ path: 'body.model_partition', message: 'unknown partition' }] });
    }
    const existing = r.aliases.find((a) => a.alias === alias);
    if (existing) existing.model_partition = target;
    else {
      created = true;
      r.aliases.push({ alias, model_partition: target });
    }
    return r;
  });
  return { alias: registry.aliases.find((a) => a.alias === alias)!, created };
}

export async function deleteAlias(ctx: TenantContext, slug: string, alias: string) {
  await edit(ctx, slug, (r) => {
    if (!r.aliases.some((a) => a.alias === alias)) throw notFound(`Alias ${alias}`);
    r.aliases = r.aliases.filter((a) => a.alias !== alias);
    return r;
  });
}

export async function putRunnerModel(ctx: TenantContext, slug: string, partition: string, runner: string, value: { runner_model: string; runner_effort?: string | null }) {
  let created = false;
  const { registry } = await edit(ctx, slug, (r) => {
    if (!r.partitions.some((p) => p.model_partition === partition)) throw notFound(`Partition ${partition}`);
    const existing = r.runner_models.find((m) => m.model_partition === partition && m.runner === runner);
    if (existing) {
      existing.runner_model = value.runner_model;
      existing.runner_effort = value.runner_effort ?? null;
    } else {
      created = true;
      r.runner_models.push({ model_partition: partition, runner, runner_model: value.runner_model, runner_effort: value.runner_effort ?? null });
    }
    return r;
  });
  return { runner_model: registry.runner_models.find((m) => m.model_partition === partition && m.runner === runner)!, created };
}

export async function deleteRunnerModel(ctx: TenantContext, slug: string, partition: string, runner: string) {
  await edit(ctx, slug, (r) => {
    if (!r.runner_models.some((m) => m.model_partition === partition && m.runner === runner)) throw notFound(`Runner default for ${partition} / ${runner}`);
    r.runner_models = r.runner_models.filter((m) => !(m.model_partition === partition && m.runner === runner));
    return r;
  });
}
