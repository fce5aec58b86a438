// The umT5 prompt tokenizer: a `tokenizer.json` (SentencePiece Unigram, google/umt5-xxl format) run by
// @huggingface/tokenizers, plus what T5TokenizerFast's call in _get_t5_prompt_embeds adds on top:
// truncation that keeps room for the post-processor's special tokens, right padding to text_len with
// `<pad>`, and a mask over the real positions (so a literal "</s>" in a prompt still counts as real).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import type { TokenBatch } from './text-encoder.ts';

interface UnigramModelJson {
  readonly type: string;
  readonly byte_fallback?: boolean;
}

/** The part of the library's Unigram model instance this wrapper relies on. */
interface UnigramInstance {
  tokenize(normalized: string): string[];
  readonly unk_token: string;
  readonly tokens_to_ids: Map<string, number>;
}

export class Umt5Tokenizer {
  private readonly padId: number;
  private readonly unkId: number;
  /** Special tokens the post-processor adds to one sequence (`</s>` for T5). */
  private readonly specialCount: number;

  constructor(private readonly tokenizer: Tokenizer, tokenizerJson: { model: UnigramModelJson }) {
    const pad = tokenizer.token_to_id('<pad>');
    if (pad === undefined) throw new Error('tokenizer.json has no <pad> token');
    this.padId = pad;
    const model = tokenizer.model as unknown as UnigramInstance;
    this.unkId = model.tokens_to_ids.get(model.unk_token) ?? 0;
    installUnknownSpanRules(model, tokenizerJson.model.byte_fallback === true);
    this.specialCount = this.withSpecialTokens([]).length;
  }

  /** Loads `tokenizer.json` (and `tokenizer_config.json` beside it, when present). */
  static fromFile(tokenizerJsonPath: string): Umt5Tokenizer {
    const json = JSON.parse(readFileSync(tokenizerJsonPath, 'utf8')) as { model: UnigramModelJson };
    const configPath = join(dirname(tokenizerJsonPath), 'tokenizer_config.json');
    const config = existsSync(configPath) ? JSON.parse(readFileSync(configPath, 'utf8')) as object : {};
    return Umt5Tokenizer.fromJson(json, config);
  }

  static fromJson(tokenizerJson: { model: UnigramModelJson }, tokenizerConfig: object = {}): Umt5Tokenizer {
    return new Umt5Tokenizer(new Tokenizer(tokenizerJson, tokenizerConfig), tokenizerJson);
  }

  /** Ids of one prompt with special tokens, content cut on the right so that at most maxLength remain. */
  encode(prompt: string, maxLength: number): number[] {
    const content = this.tokenizer.tokenize(prompt, { add_special_tokens: false });
    const keep = Math.max(0, maxLength - this.specialCount);
    return this.withSpecialTokens(content.slice(0, keep));
  }

  /** `tokenizer(prompts, padding='max_length', max_length=textLen, truncation=True)`. */
  encodeBatch(prompts: readonly string[], textLen: number): TokenBatch {
    const inputIds = new BigInt64Array(prompts.length * textLen).fill(BigInt(this.padId));
    const attentionMask = new BigInt64Array(prompts.length * textLen);
    prompts.forEach((prompt, b) => {
      const ids = this.encode(prompt, textLen);
      ids.forEach((id, j) => {
        inputIds[b * textLen + j] = BigInt(id);
        attentionMask[b * textLen + j] = 1n;
      });
    });
    return { batch: prompts.length, length: textLen, inputIds, attentionMask };
  }

  private withSpecialTokens(content: string[]): number[] {
    const post = this.tokenizer.post_processor;
    const tokens: string[] = post ? post(content, null, true).tokens : content;
    return tokens.map((t) => this.tokenizer.token_to_id(t) ?? this.unkId);
  }
}

/**
 * The library's Unigram returns an unknown span as its raw characters, one per character, and
 * ignores `byte_fallback`. The Rust tokenizer fuses a run of unknown characters into one `<unk>`,
 * or with byte_fallback replaces it by the `<0xNN>` pieces of its UTF-8 bytes (keeping `<unk>` if
 * a byte piece is missing). This restores that on the model instance.
 */
function installUnknownSpanRules(model: UnigramInstance, byteFallback: boolean): void {
  const tokenize = model.tokenize.bind(model);
  const utf8 = new TextEncoder();
  const known = (piece: string) => model.tokens_to_ids.has(piece);
  model.tokenize = (normalized: string): string[] => {
    const pieces = tokenize(normalized);
    if (pieces.every(known)) return pieces;
    const out: string[] = [];
    for (let i = 0; i < pieces.length;) {
      if (known(pieces[i]!)) { out.push(pieces[i++]!); continue; }
      let span = '';
      while (i < pieces.length && !known(pieces[i]!)) span += pieces[i++]!;
      const bytes = Array.from(utf8.encode(span), (b) => `<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`);
      if (byteFallback && bytes.every(known)) out.push(...bytes);
      else out.push(model.unk_token);
    }
    return out;
  };
}
