// Run in a fresh process by zero-copy.test.ts so that peak RSS belongs to this work alone.
// argv: <work dir> <tensor count> <rows=cols>. Prints one JSON line.
import { closeSync, existsSync, ftruncateSync, openSync, readFileSync, readdirSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { GraphBuilder } from '../../server/ml/onnx/graph-builder.ts';
import { buildModel } from '../../server/ml/onnx/build-model.ts';
import { createSession } from '../../server/ml/session.ts';
import { createTensor } from '../../server/ml/tensor.ts';
import { encodeSafetensorsHeader } from '../../server/ml/weights/safetensors-writer.ts';
import { openWeights } from '../../server/ml/weights/index.ts';

const [dir, countArg, nArg] = process.argv.slice(2);
const count = Number(countArg);
const n = Number(nArg);
const IDENTITY_PREFIX = 16;

function vmHwmBytes(): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) * 1024 : process.resourceUsage().maxRSS * 1024;
}

// Sparse file: header, then ftruncate to full size; only a few diagonal ones are real writes.
const file = join(dir!, 'big.safetensors');
const keys = Array.from({ length: count }, (_, i) => `layers.${i}.weight`);
const header = encodeSafetensorsHeader(keys.map((k) => [k, { dtype: 'float32', shape: [n, n] }] as const));
const fd = openSync(file, 'w');
writeSync(fd, header);
const tensorBytes = n * n * 4;
ftruncateSync(fd, header.length + count * tensorBytes);
const one = Buffer.from(new Float32Array([1]).buffer);
for (let t = 0; t < count; t++) for (let j = 0; j < IDENTITY_PREFIX; j++) writeSync(fd, one, 0, 4, header.length + t * tensorBytes + (j * n + j) * 4);
closeSync(fd);
const fileSize = header.length + count * tensorBytes;

const rssBefore = vmHwmBytes();
const weights = openWeights(file);
const g = new GraphBuilder({ weights });
let x = g.input('x', 'float32', [1, n]);
for (const k of keys) x = g.linear(x, k);
g.output(x, 'y');
const cacheDir = join(dir!, 'cache');
const built = buildModel(g, { cacheDir });
const t0 = performance.now();
const session = await createSession(built, { provider: 'cpu', log: () => {} });
const sessionMs = performance.now() - t0;
const input = new Float32Array(n).map((_, i) => i + 1);
const t1 = performance.now();
const { y } = await session.run({ x: createTensor('float32', [1, n], input) });
const runMs = performance.now() - t1;
const out = y!.data as Float32Array;
const correct = out.every((v, i) => v === (i < IDENTITY_PREFIX ? i + 1 : 0));
const peak = vmHwmBytes();
await session.release();
console.log(JSON.stringify({
  fileSize, rssBefore, peakRss: peak, sessionMs, runMs, correct,
  zeroCopyWeights: built.zeroCopyWeights, convertedWeights: built.convertedWeights,
  cacheExists: existsSync(cacheDir), dirEntries: readdirSync(dir!),
}));
