// A small SentencePiece-Unigram tokenizer.json in the google/umt5-xxl layout (Metaspace
// pre-tokenizer, `$A </s>` template, specials <pad>=0 </s>=1 <unk>=2, byte_fallback), for tests.
const VOCAB: [string, number][] = [
  ['<pad>', 0], ['</s>', 0], ['<unk>', 0], // 0 1 2
  ['▁', -2], ['▁the', -1], ['▁cat', -1.5], ['▁c', -3], ['at', -2.5], // 3 4 5 6 7
  ['a', -3], ['t', -3], ['h', -3.5], ['e', -3.5], ['c', -3.5], // 8 9 10 11 12
  ['▁a', -1.2], ['s', -3], ['▁cats', -4], // 13 14 15
  ['<0xE2>', -5], ['<0x98>', -5], ['<0x83>', -5], ['.', -2], // 16 17 18 19
];

function special(content: string, id: number) {
  return { id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true };
}

export function tinyUmt5TokenizerJson(byteFallback = true) {
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [special('<pad>', 0), special('</s>', 1), special('<unk>', 2), special('<extra_id_0>', 20)],
    normalizer: { type: 'Sequence', normalizers: [{ type: 'Replace', pattern: { Regex: ' {2,}' }, content: ' ' }] },
    pre_tokenizer: { type: 'Metaspace', replacement: '▁', prepend_scheme: 'always', split: true },
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '</s>', type_id: 0 } }],
      pair: [{ Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '</s>', type_id: 0 } }, { Sequence: { id: 'B', type_id: 0 } }, { SpecialToken: { id: '</s>', type_id: 0 } }],
      special_tokens: { '</s>': { id: '</s>', ids: [1], tokens: ['</s>'] } },
    },
    decoder: { type: 'Metaspace', replacement: '▁', prepend_scheme: 'always', split: true },
    model: { type: 'Unigram', unk_id: 2, vocab: VOCAB, byte_fallback: byteFallback },
  };
}
