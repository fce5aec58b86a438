// Executor overhead per node against a plain loop calling the same node functions.
// Run: npm run bench
import { Executor } from '../server/runtime/executor.ts';
import { NodeRegistry } from '../server/runtime/registry.ts';
import type { NodeDefinition } from '../server/runtime/schema.ts';
import { validatePrompt } from '../server/runtime/validate.ts';
import { FolderStorage, folderLayout } from '../server/storage/folders.ts';
import type { ApiPrompt } from '../types/api.ts';

const N = 1000;
const REPEATS = 20;

const Source: NodeDefinition = { type: 'Source', inputs: { required: { value: { type: 'INT' } } }, outputs: [{ type: 'INT' }], execute: ({ value }) => [value] };
const Step: NodeDefinition = { type: 'Step', inputs: { required: { x: { type: 'INT' } } }, outputs: [{ type: 'INT' }], execute: ({ x }) => [x + 1] };
const Sink: NodeDefinition = { type: 'Sink', outputNode: true, inputs: { required: { x: { type: 'INT' } } }, execute: () => undefined };

function chain(seed: number): ApiPrompt {
  const prompt: ApiPrompt = { '0': { class_type: 'Source', inputs: { value: seed } } };
  for (let i = 1; i < N - 1; i++) prompt[String(i)] = { class_type: 'Step', inputs: { x: [String(i - 1), 0] } };
  prompt[String(N - 1)] = { class_type: 'Sink', inputs: { x: [String(N - 2), 0] } };
  return prompt;
}

function fan(seed: number): ApiPrompt {
  const prompt: ApiPrompt = { '0': { class_type: 'Source', inputs: { value: seed } } };
  for (let i = 1; i < N; i++) prompt[String(i)] = { class_type: 'Sink', inputs: { x: ['0', 0] } };
  return prompt;
}

async function plainLoop(shape: 'chain' | 'fan'): Promise<number> {
  const start = performance.now();
  let x = (await Source.execute({ value: 1 }, undefined as never)) as number[];
  for (let i = 1; i < N; i++) {
    if (shape === 'chain' && i < N - 1) x = (await Step.execute({ x: x[0] }, undefined as never)) as number[];
    else await Sink.execute({ x: x[0] }, undefined as never);
  }
  return performance.now() - start;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function main() {
  const registry = new NodeRegistry();
  for (const def of [Source, Step, Sink]) registry.register(def);
  const env = { storage: new FolderStorage(folderLayout({ base: '/nonexistent-bench' })), services: {} };
  const executor = new Executor({ registry, env });
  console.log(`executor overhead, ${N} no-op nodes, median of ${REPEATS} runs`);
  console.log('shape  | plain loop | validate | run (fresh) | run (cached) | fresh/plain | us/node fresh | us/node cached');
  for (const shape of ['chain', 'fan'] as const) {
    const build = shape === 'chain' ? chain : fan;
    const plain: number[] = [];
    const validation: number[] = [];
    const fresh: number[] = [];
    const cached: number[] = [];
    for (let r = 0; r < REPEATS + 3; r++) {
      plain.push(await plainLoop(shape));
      let t = performance.now();
      const validated = await validatePrompt(build(r), registry, env);
      validation.push(performance.now() - t);
      if (!validated.ok) throw new Error(JSON.stringify(validated.error));
      t = performance.now();
      await executor.run({ promptId: `p${r}`, prompt: validated.prompt, outputs: validated.outputs });
      fresh.push(performance.now() - t);
      t = performance.now();
      await executor.run({ promptId: `c${r}`, prompt: validated.prompt, outputs: validated.outputs });
      cached.push(performance.now() - t);
    }
    const [p, v, f, c] = [plain, validation, fresh, cached].map((xs) => median(xs.slice(3)));
    console.log(
      `${shape.padEnd(6)} | ${p!.toFixed(3).padStart(7)} ms | ${v!.toFixed(2).padStart(5)} ms | ${f!.toFixed(2).padStart(8)} ms | ${c!.toFixed(2).padStart(9)} ms | ${(f! / p!).toFixed(0).padStart(10)}x | ${((f! * 1000) / N).toFixed(1).padStart(13)} | ${((c! * 1000) / N).toFixed(1).padStart(14)}`,
    );
  }
}

await main();
