#!/usr/bin/env node
// Runs the TypeScript sources directly (tsx compiles on load), so no build step is needed.
import { register } from 'tsx/esm/api';

register();
// `graph nodes | head` closes the pipe early: that is not an error.
process.stdout.on('error', (error) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});
const { endChildProcesses } = await import('../server/cli/children.ts');
const { main } = await import('../server/cli/main.ts');
process.exitCode = await main(process.argv);
// Nothing this command started may outlive it (the loader's esbuild service, a straggler).
await endChildProcesses();
