// Prompt -> umT5 context rows, with a per-(model, prompt) cache: re-running a graph with the same
// prompt skips tokenising and the encoder. Entries are encode_prompt's trimmed [seqLen, dim] rows;
// the DiT's zero padding is applied by the caller (stackContext).
import type { Tensor } from '../../../../server/ml/index.ts';
import type { TokenBatch } from './text-encoder.ts';

export interface PromptTokenizer {
  encodeBatch(prompts: readonly string[], textLen: number): TokenBatch;
}

export interface PromptEncoder {
  readonly modelKey: string;
  readonly config: { readonly textLen: number };
  encode(tokens: TokenBatch): Promise<Tensor[]>;
}

/** Least-recently-used map from (model, prompt) to context rows. */
export class PromptEmbeddingCache {
  private readonly entries = new Map<string, Tensor>();

  constructor(readonly maxEntries = 64) {}

  get size(): number { return this.entries.size; }

  get(modelKey: string, prompt: string): Tensor | undefined {
    const key = cacheKey(modelKey, prompt);
    const hit = this.entries.get(key);
    if (hit) {
      this.entries.delete(key);
      this.entries.set(key, hit);
    }
    return hit;
  }

  set(modelKey: string, prompt: string, rows: Tensor): void {
    const key = cacheKey(modelKey, prompt);
    this.entries.delete(key);
    this.entries.set(key, rows);
    while (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
  }

  clear(): void { this.entries.clear(); }
}

function cacheKey(modelKey: string, prompt: string): string {
  return JSON.stringify([modelKey, prompt]);
}

export class PromptEmbedder {
  constructor(
    readonly tokenizer: PromptTokenizer,
    readonly encoder: PromptEncoder,
    readonly cache: PromptEmbeddingCache = new PromptEmbeddingCache(),
  ) {}

  /**
   * One context ([seqLen_i, dim]) per prompt. Prompts not in the cache are tokenised and encoded
   * together in one batch, as the pipeline does for its prompt list.
   */
  async embed(prompts: readonly string[]): Promise<Tensor[]> {
    const key = this.encoder.modelKey;
    const missing = [...new Set(prompts.filter((p) => !this.cache.get(key, p)))];
    const fresh = new Map<string, Tensor>();
    if (missing.length) {
      const rows = await this.encoder.encode(this.tokenizer.encodeBatch(missing, this.encoder.config.textLen));
      missing.forEach((p, i) => { fresh.set(p, rows[i]!); this.cache.set(key, p, rows[i]!); });
    }
    return prompts.map((p) => fresh.get(p) ?? this.cache.get(key, p)!);
  }
}
