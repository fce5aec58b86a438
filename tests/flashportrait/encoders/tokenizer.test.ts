// The umT5 tokenizer wrapper on a small SentencePiece-Unigram tokenizer.json in the google/umt5-xxl
// layout (Metaspace pre-tokenizer, `$A </s>` template, byte_fallback). Every expected id sequence
// below is worked out by hand from the vocabulary scores (Viterbi = highest total score).
import { describe, expect, it } from 'vitest';
import { Umt5Tokenizer } from '../../../nodes/flashportrait/models/t5/tokenizer.ts';
import { tinyUmt5TokenizerJson } from './tiny-tokenizer.ts';

describe('umT5 tokenizer (tokenizer.json through @huggingface/tokenizers)', () => {
  const tok = Umt5Tokenizer.fromJson(tinyUmt5TokenizerJson());

  it.each([
    ['the cat', [4, 5, 1]],
    ['a cat.', [13, 5, 19, 1]],
    // ▁cats (-4) beats ▁cat + s (-4.5)
    ['cats', [15, 1]],
    // the normalizer folds runs of spaces
    ['the   cat', [4, 5, 1]],
    // "☃" has no piece: its UTF-8 bytes E2 98 83 (byte_fallback)
    ['the ☃ cat', [4, 3, 16, 17, 18, 5, 1]],
    // a literal special token is matched as such; the mask still counts it
    ['the </s> cat', [4, 3, 1, 5, 1]],
    ['<extra_id_0>', [20, 1]],
    // no BOS, one </s>
    ['', [1]],
  ])('%j -> %j', (prompt, ids) => {
    expect(tok.encode(prompt, 512)).toEqual(ids);
  });

  it('two unknown characters in a row: their 6 bytes; without byte_fallback one fused <unk>', () => {
    expect(tok.encode('the ☃☃ cat', 512)).toEqual([4, 3, 16, 17, 18, 16, 17, 18, 5, 1]);
    const plain = Umt5Tokenizer.fromJson(tinyUmt5TokenizerJson(false));
    expect(plain.encode('the ☃ cat', 512)).toEqual([4, 3, 2, 5, 1]);
    expect(plain.encode('the ☃☃ cat', 512)).toEqual([4, 3, 2, 5, 1]);
  });
  it('an unknown character whose bytes are not all pieces stays <unk> (é = C3 A9)', () => {
    expect(tok.encode('the é', 512)).toEqual([4, 3, 2, 1]);
  });

  it('pads on the right with <pad> to text_len; the mask covers content, literal specials and </s>', () => {
    const batch = tok.encodeBatch(['the cat', '', 'the </s> cat'], 6);
    expect(batch.batch).toBe(3);
    expect(batch.length).toBe(6);
    expect([...batch.inputIds].map(Number)).toEqual([4, 5, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 4, 3, 1, 5, 1, 0]);
    expect([...batch.attentionMask].map(Number)).toEqual([1, 1, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 0]);
  });

  it('truncates the content on the right to text_len - 1 so that </s> is always last', () => {
    // content: ▁the ▁cat ▁the ▁cat ▁the (5 pieces)
    expect(tok.encode('the cat the cat the', 4)).toEqual([4, 5, 4, 1]);
    const batch = tok.encodeBatch(['the cat the cat the'], 4);
    expect([...batch.inputIds].map(Number)).toEqual([4, 5, 4, 1]);
    expect([...batch.attentionMask].map(Number)).toEqual([1, 1, 1, 1]);
    // exactly text_len - 1 content pieces: nothing is cut
    expect(tok.encode('the cat the', 4)).toEqual([4, 5, 4, 1]);
  });
});
