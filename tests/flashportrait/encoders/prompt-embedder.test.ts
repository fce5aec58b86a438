// Prompt -> tokenizer -> umT5 -> trimmed contexts, cached per (model, prompt). Runs the tiny golden
// T5 weights with the tiny test tokenizer (its ids are all below the tiny vocab of 300).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { goldenDir } from '../../helpers/golden.ts';
import { compareTensor } from '../../helpers/golden-io.ts';
import { PromptEmbedder, PromptEmbeddingCache } from '../../../nodes/flashportrait/models/t5/prompt-embedder.ts';
import type { PromptEncoder } from '../../../nodes/flashportrait/models/t5/prompt-embedder.ts';
import { sequenceLengths, stackContext, trimRows, Umt5Encoder } from '../../../nodes/flashportrait/models/t5/text-encoder.ts';
import { Umt5Tokenizer } from '../../../nodes/flashportrait/models/t5/tokenizer.ts';
import { tinyUmt5TokenizerJson } from './tiny-tokenizer.ts';
import { t5GoldenConfig } from './golden-encoders.ts';

const dir = goldenDir('encoders');
const TEXT_LEN = 16;
const TINY = dir ? t5GoldenConfig(dir, TEXT_LEN) : undefined!;
const scratch = mkdtempSync(join(tmpdir(), 'fg-t5-cache-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe.skipIf(!dir)('PromptEmbedder', () => {
  const tokenizer = Umt5Tokenizer.fromJson(tinyUmt5TokenizerJson());
  let encoder: Umt5Encoder;
  beforeAll(async () => {
    encoder = await Umt5Encoder.load(join(dir!, 't5/models_t5_umt5-xxl-enc-bf16.pth'), { config: TINY, cacheDir: scratch, session: { provider: 'cpu', log: () => {} } });
  });
  afterAll(async () => { await encoder?.release(); });

  it('gives the pipeline path: tokenise to text_len, encode the padded batch, trim to real lengths', async () => {
    const prompts = ['the cat the cat', '', 'the </s> cat'];
    const contexts = await new PromptEmbedder(tokenizer, encoder).embed(prompts);
    const tokens = tokenizer.encodeBatch(prompts, TEXT_LEN);
    const reference = trimRows(await encoder.lastHiddenState(tokens), sequenceLengths(tokens));
    expect(contexts.map((c) => c.shape)).toEqual([[5, TINY.dim], [1, TINY.dim], [5, TINY.dim]]);
    contexts.forEach((c, i) => expect(compareTensor(`context_${i}`, c, reference[i]!, 1e-5).pass).toBe(true));
    const dit = stackContext(contexts, TEXT_LEN);
    expect(dit.shape).toEqual([3, TEXT_LEN, TINY.dim]);
    expect((dit.data as Float32Array).subarray(5 * TINY.dim, TEXT_LEN * TINY.dim).every((v) => v === 0)).toBe(true);
  });

  it('re-running a prompt skips the encoder; new prompts in a batch are encoded together', async () => {
    const embedder = new PromptEmbedder(tokenizer, encoder);
    const encode = vi.spyOn(encoder, 'encode');
    try {
      const [first] = await embedder.embed(['a cat.']);
      expect(encode).toHaveBeenCalledTimes(1);
      const [again] = await embedder.embed(['a cat.']);
      expect(encode).toHaveBeenCalledTimes(1);
      expect(again).toBe(first);
      await embedder.embed(['a cat.', 'cats', 'the cat', 'cats']);
      expect(encode).toHaveBeenCalledTimes(2);
      expect(encode.mock.calls[1]![0].batch).toBe(2);
      expect(embedder.cache.size).toBe(3);
    } finally {
      encode.mockRestore();
    }
  });

  it('a different model (another weights file or config) does not reuse the entries', async () => {
    const cache = new PromptEmbeddingCache();
    await new PromptEmbedder(tokenizer, encoder, cache).embed(['the cat']);
    let calls = 0;
    const other: PromptEncoder = { modelKey: `${encoder.modelKey}|other`, config: TINY, encode: async (t) => { calls++; return encoder.encode(t); } };
    await new PromptEmbedder(tokenizer, other, cache).embed(['the cat']);
    expect(calls).toBe(1);
    expect(cache.size).toBe(2);
  });

  it('keeps at most maxEntries, dropping the least recently used', () => {
    const cache = new PromptEmbeddingCache(2);
    const rows = stackContext([{ dtype: 'float32', shape: [1, 1], data: new Float32Array(1) }], 1);
    cache.set('m', 'a', rows);
    cache.set('m', 'b', rows);
    expect(cache.get('m', 'a')).toBe(rows);
    cache.set('m', 'c', rows);
    expect(cache.get('m', 'b')).toBeUndefined();
    expect(cache.get('m', 'a')).toBe(rows);
    expect(cache.size).toBe(2);
  });
});
