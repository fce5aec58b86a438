// Entry point of the GPU bench: `node --import tsx bench/gpu/main.ts --tiny` here, or the bundled
// .gpu-carry/bench.mjs on the GPU machine (bench/gpu/run.sh). See bench/gpu/README.md. With --step
// it is one step's child process (bench.ts starts them).
import { writeFileSync } from 'node:fs';
import { parseBenchArgs } from './args.ts';
import { runGpuBench } from './bench.ts';
import { errorText, runStep } from './steps.ts';
import type { BenchStep, StepResult } from './steps.ts';

try {
  const args = parseBenchArgs(process.argv.slice(2));
  if (args.step !== undefined) {
    let result: StepResult;
    try {
      result = await runStep(args, JSON.parse(args.step) as BenchStep, (m) => console.log(`  ${m}`));
    } catch (err) {
      result = { error: errorText(err), notes: [] };
    }
    writeFileSync(args.result!, JSON.stringify(result));
  } else {
    const run = await runGpuBench(args);
    console.log(`results: ${run.markdownPath} and ${run.jsonPath}`);
  }
} catch (err) {
  console.error(`gpu bench: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 2;
}
