// Entry point of the GPU bench: `node --import tsx bench/gpu/main.ts --tiny` here, or the bundled
// .gpu-carry/bench.mjs on the GPU machine (bench/gpu/run.sh). See bench/gpu/README.md.
import { parseBenchArgs } from './args.ts';
import { runGpuBench } from './bench.ts';

try {
  const args = parseBenchArgs(process.argv.slice(2));
  const run = await runGpuBench(args);
  console.log(`results: ${run.markdownPath} and ${run.jsonPath}`);
} catch (err) {
  console.error(`gpu bench: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 2;
}
