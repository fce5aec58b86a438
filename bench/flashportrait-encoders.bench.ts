// Prompt encoding (umT5) at the tiny golden size on the CPU, with and without the prompt-embedding
// cache, plus the compute a real-size encode needs. Run: node --import tsx bench/flashportrait-encoders.bench.ts
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Umt5Config } from '../nodes/flashportrait/models/t5/config.ts';
import { UMT5_XXL } from '../nodes/flashportrait/models/t5/config.ts';
import { PromptEmbedder, PromptEmbeddingCache } from '../nodes/flashportrait/models/t5/prompt-embedder.ts';
import { Umt5Encoder } from '../nodes/flashportrait/models/t5/text-encoder.ts';
import { Umt5Tokenizer } from '../nodes/flashportrait/models/t5/tokenizer.ts';
import { tinyUmt5TokenizerJson } from '../tests/flashportrait/encoders/tiny-tokenizer.ts';

const golden = process.env.FLASHGRAPH_GOLDEN_DIR ?? resolve(import.meta.dirname, '..', '..', 'shared', 'golden');
const TINY: Umt5Config = { vocab: 300, dim: 32, dimAttn: 32, dimFfn: 64, numHeads: 4, numLayers: 2, numBuckets: 32, maxDistance: 128, eps: 1e-6, textLen: 512 };
const ROUNDS = 20;

const encoder = await Umt5Encoder.load(join(golden, 'encoders/t5/models_t5_umt5-xxl-enc-bf16.pth'), {
  config: TINY,
  cacheDir: mkdtempSync(join(tmpdir(), 'fg-t5-bench-')),
  session: { provider: 'cpu', log: () => {} },
});
const tokenizer = Umt5Tokenizer.fromJson(tinyUmt5TokenizerJson());
const prompts = ['the cat the cat the cat', 'the </s> cat'];

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function measure(cached: boolean): Promise<number> {
  const cache = new PromptEmbeddingCache();
  const times: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const embedder = new PromptEmbedder(tokenizer, encoder, cached ? cache : new PromptEmbeddingCache());
    const started = performance.now();
    await embedder.embed(prompts);
    times.push(performance.now() - started);
  }
  return median(times.slice(1));
}

const uncached = await measure(false);
const cached = await measure(true);
console.log(`umT5 prompt encode, tiny golden weights (2 layers, width 32), ${prompts.length} prompts, median of ${ROUNDS - 1}`);
console.log('variant             | ms per embed() call');
console.log(`no cache            | ${uncached.toFixed(2).padStart(8)}`);
console.log(`cache (same prompt) | ${cached.toFixed(3).padStart(8)}   (${(uncached / cached).toFixed(0)}x)`);

// Real size: every token passes each layer's q/k/v/o (4 * dim * dimAttn) and the gated FFN
// (3 * dim * dimFfn) multiply-adds, plus attention over the padded text_len (2 * textLen * dimAttn).
const c = UMT5_XXL;
const perTokenMacs = c.numLayers * (4 * c.dim * c.dimAttn + 3 * c.dim * c.dimFfn + 2 * c.textLen * c.dimAttn);
const flops = 2 * perTokenMacs * c.textLen;
console.log(`real umT5-XXL (${c.numLayers} layers, width ${c.dim}): ${(flops / 1e12).toFixed(2)} TFLOP per prompt padded to ${c.textLen} tokens`);
await encoder.release();
