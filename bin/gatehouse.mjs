#!/usr/bin/env node
// The gatehouse CLI. The sources are TypeScript; tsx loads them.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv);
