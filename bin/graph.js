#!/usr/bin/env node
// Runs the TypeScript sources directly (tsx compiles on load), so no build step is needed.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../server/cli/main.ts');
process.exitCode = await main(process.argv);
