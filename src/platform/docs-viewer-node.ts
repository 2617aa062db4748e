// The docs viewer on Node: @scalar/api-reference's browser bundle, read from
// the installed package (its exports map does not name the file, so it is
// found beside the package's entry point).
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import pkg from '../../package.json' with { type: 'json' };
import type { DocsViewer } from './docs.js';

export function nodeDocsViewer(): DocsViewer {
  return {
    version: pkg.dependencies['@scalar/api-reference'],
    script: () => readFile(join(dirname(createRequire(import.meta.url).resolve('@scalar/api-reference')), 'browser', 'standalone.js'), 'utf8'),
  };
}
