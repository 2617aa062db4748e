// The real knowledge base in ../shared/corpus (read-only: tests copy or
// edit texts in memory, never the files).
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

export const CORPUS_ROOT = new URL('../../../shared/corpus/commonplace-kb', import.meta.url).pathname;

export function corpusFiles(subdir: string): { path: string; body: string }[] {
  const root = join(CORPUS_ROOT, subdir);
  if (!existsSync(root)) throw new Error(`The corpus is missing: expected ${root} (../shared beside the repository)`);
  const walk = (dir: string): string[] => readdirSync(dir).flatMap((name) => {
    const full = join(dir, name);
    return statSync(full).isDirectory() ? walk(full) : name.endsWith('.md') ? [full] : [];
  });
  return walk(root).sort().map((full) => ({ path: relative(CORPUS_ROOT, full), body: readFileSync(full, 'utf8') }));
}
