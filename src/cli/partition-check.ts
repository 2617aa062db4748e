// Before a command uses a partition name: is it one the registry knows? A
// name one edit away from a known one is most likely a typo ("did you
// mean"); under policy `auto` an enqueue would register the typo for good,
// so it asks first, and refuses without a person to ask unless --yes.
import { distance } from 'fastest-levenshtein';
import { CliError } from './errors.js';
import type { Session } from './session.js';

interface Registry { unknown_partition_policy: 'reject' | 'auto' | 'warn'; partitions: { model_partition: string }[]; aliases: { alias: string }[] }

export interface PartitionCheck { known: boolean; policy: Registry['unknown_partition_policy']; suggestions: string[] }

/** Pure: the registry's verdict on a name. */
export function judgePartition(registry: Registry, name: string): PartitionCheck {
  const names = [...registry.partitions.map((p) => p.model_partition), ...registry.aliases.map((a) => a.alias)];
  return {
    known: names.includes(name),
    policy: registry.unknown_partition_policy,
    suggestions: names.filter((n) => distance(n, name) === 1).sort(),
  };
}

export const didYouMean = (name: string, suggestions: string[]) =>
  `partition "${name}" is not in the registry; did you mean ${suggestions.map((n) => `"${n}"`).join(' or ')}?`;

/**
 * Warns of a likely typo; with `registering` (enqueue), stops before an
 * unknown name is registered under `auto` unless confirmed.
 */
export async function checkPartition(s: Session, name: string, opts: { registering?: boolean; yes?: boolean; ask?: (q: string) => Promise<boolean>; canAsk?: boolean } = {}): Promise<void> {
  const { body } = await s.api.get<Registry>(`${s.project}/registry`);
  const check = judgePartition(body, name);
  if (check.known) return;
  if (check.suggestions.length > 0) process.stderr.write(`warning: ${didYouMean(name, check.suggestions)}\n`);
  if (!opts.registering || check.policy !== 'auto' || opts.yes) return;
  const question = `Register "${name}" as a new (unverified) partition of ${s.config.project}?`;
  if (opts.canAsk && opts.ask && await opts.ask(question)) return;
  throw new CliError(
    `partition "${name}" is not in the registry, and enqueue would register it (policy auto)${opts.canAsk ? '' : '; there is no terminal to ask'}`,
    `check the name, or pass --yes to register it${check.suggestions.length ? ` (did you mean ${check.suggestions.join(' or ')}?)` : ''}`,
  );
}
