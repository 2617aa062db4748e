// npm run openapi: write openapi.yaml from the code.
import { writeFile } from 'node:fs/promises';
import { openApiYaml } from '../src/platform/openapi.js';

await writeFile(new URL('../openapi.yaml', import.meta.url), await openApiYaml());
console.log('openapi: wrote openapi.yaml');
