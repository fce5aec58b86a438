// A small vocabulary in the google/umt5-xxl tokenizer.json layout, with hand-checked ids, for tests.
import { umt5TokenizerJson } from '../../../nodes/flashportrait/models/t5/tokenizer-json.ts';

const VOCAB: [string, number][] = [
  ['<pad>', 0], ['</s>', 0], ['<unk>', 0], // 0 1 2
  ['▁', -2], ['▁the', -1], ['▁cat', -1.5], ['▁c', -3], ['at', -2.5], // 3 4 5 6 7
  ['a', -3], ['t', -3], ['h', -3.5], ['e', -3.5], ['c', -3.5], // 8 9 10 11 12
  ['▁a', -1.2], ['s', -3], ['▁cats', -4], // 13 14 15
  ['<0xE2>', -5], ['<0x98>', -5], ['<0x83>', -5], ['.', -2], // 16 17 18 19
];

export function tinyUmt5TokenizerJson(byteFallback = true) {
  return umt5TokenizerJson(VOCAB, { byteFallback, extraSpecialTokens: [['<extra_id_0>', 20]] });
}
