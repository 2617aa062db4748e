// "The resolution function is the only place partitions are resolved": no
// code outside the registry area reads aliases or registered partitions.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = new URL('../..', import.meta.url).pathname;
const files = (dir: string): string[] => readdirSync(dir).flatMap((name) => {
  const path = join(dir, name);
  return statSync(path).isDirectory() ? files(path) : path.endsWith('.ts') ? [path] : [];
});

describe('partition resolution', () => {
  it('only src/registry touches the alias and partition tables', () => {
    const offenders = files(join(root, 'src'))
      .map((f) => relative(root, f))
      .filter((f) => !f.startsWith('src/registry/'))
      .filter((f) => /modelPartitionAliases|model_partition_aliases|modelPartitions\b|from model_partitions/.test(readFileSync(join(root, f), 'utf8')));
    expect(offenders).toEqual([]);
  });

  it('every freshness write that takes a partition resolves it first', () => {
    for (const file of ['src/freshness/acks.ts', 'src/freshness/trivial-acks.ts', 'src/freshness/routes/select-routes.ts', 'src/freshness/diff.ts', 'src/freshness/acceptance.ts']) {
      expect(readFileSync(join(root, file), 'utf8'), file).toMatch(/resolvePartition\(/);
    }
  });
});
