// A tokenizer.json in the google/umt5-xxl layout (SentencePiece Unigram: Metaspace pre-tokenizer,
// `$A </s>` template, specials <pad>=0 </s>=1 <unk>=2) around a given vocabulary: what the demo
// model set ships and what the tokenizer tests build.

function special(content: string, id: number) {
  return { id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true };
}

export function umt5TokenizerJson(
  vocab: readonly [string, number][],
  options: { byteFallback?: boolean; extraSpecialTokens?: readonly [string, number][] } = {},
) {
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [special('<pad>', 0), special('</s>', 1), special('<unk>', 2), ...(options.extraSpecialTokens ?? []).map(([content, id]) => special(content, id))],
    normalizer: { type: 'Sequence', normalizers: [{ type: 'Replace', pattern: { Regex: ' {2,}' }, content: ' ' }] },
    pre_tokenizer: { type: 'Metaspace', replacement: '▁', prepend_scheme: 'always', split: true },
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '</s>', type_id: 0 } }],
      pair: [{ Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '</s>', type_id: 0 } }, { Sequence: { id: 'B', type_id: 0 } }, { SpecialToken: { id: '</s>', type_id: 0 } }],
      special_tokens: { '</s>': { id: '</s>', ids: [1], tokens: ['</s>'] } },
    },
    decoder: { type: 'Metaspace', replacement: '▁', prepend_scheme: 'always', split: true },
    model: { type: 'Unigram', unk_id: 2, vocab, byte_fallback: options.byteFallback ?? true },
  };
}
