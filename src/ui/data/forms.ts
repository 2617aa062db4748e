// Forms in, API shapes out: each form becomes the body the API route would
// take and is checked by the route's own schema, so a form can ask for
// nothing the API would refuse and the rules stay in one place.
import type { z } from '@hono/zod-openapi';
import { ApiError, zodFieldErrors } from '../../platform/errors.js';
import type { Registry } from '../../registry/state.js';

type Form = Record<string, string | File | (string | File)[]>;

export const field = (form: Form, name: string): string => {
  const v = form[name];
  return typeof v === 'string' ? v.trim() : '';
};
export const fields = (form: Form, name: string): string[] => {
  const v = form[name] ?? form[`${name}[]`];
  return (Array.isArray(v) ? v : v === undefined ? [] : [v]).filter((x): x is string => typeof x === 'string' && x !== '');
};

export function parseWith<T extends z.ZodType>(schema: T, value: unknown): z.infer<T> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const errors = zodFieldErrors(parsed.error, 'form');
    throw new ApiError('validation_failed', `Check the form: ${errors.map((e) => `${e.path} ${e.message}`).join('; ')}`, { errors });
  }
  return parsed.data;
}

export type RegistryChange =
  | 'set_runner_model' | 'remove_runner_model' | 'add_partition' | 'change_partition' | 'remove_partition'
  | 'set_alias' | 'remove_alias' | 'set_policy';

/** The desired registry after one form's change; the plan then says what that means. */
export function applyFormChange(current: Registry, form: Form): Registry {
  const r = structuredClone(current);
  const change = field(form, 'change') as RegistryChange;
  const partition = field(form, 'model_partition');
  switch (change) {
    case 'set_runner_model': {
      const entry = { model_partition: partition, runner: field(form, 'runner'), runner_model: field(form, 'runner_model'), runner_effort: field(form, 'runner_effort') || null };
      r.runner_models = [...r.runner_models.filter((m) => !(m.model_partition === entry.model_partition && m.runner === entry.runner)), entry];
      break;
    }
    case 'remove_runner_model':
      r.runner_models = r.runner_models.filter((m) => !(m.model_partition === partition && m.runner === field(form, 'runner')));
      break;
    case 'add_partition':
    case 'change_partition': {
      const entry = { model_partition: partition, description: field(form, 'description') || null, status: field(form, 'status') as 'verified' | 'unverified' };
      if (change === 'add_partition' && r.partitions.some((p) => p.model_partition === partition)) throw new ApiError('already_exists', `Partition ${partition} already exists`);
      r.partitions = [...r.partitions.filter((p) => p.model_partition !== partition), entry];
      break;
    }
    case 'remove_partition':
      r.partitions = r.partitions.filter((p) => p.model_partition !== partition);
      break;
    case 'set_alias':
      r.aliases = [...r.aliases.filter((a) => a.alias !== field(form, 'alias')), { alias: field(form, 'alias'), model_partition: partition }];
      break;
    case 'remove_alias':
      r.aliases = r.aliases.filter((a) => a.alias !== field(form, 'alias'));
      break;
    case 'set_policy':
      r.unknown_partition_policy = field(form, 'policy') as Registry['unknown_partition_policy'];
      break;
    default:
      throw new ApiError('bad_request', 'Unknown registry change');
  }
  return r;
}
