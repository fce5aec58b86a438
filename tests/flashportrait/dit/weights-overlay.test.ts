// load_state_dict(strict=False) semantics of the overlay, on synthetic indexes (the golden
// transformer.pt holds every key, so partial overlays are checked here).
import { describe, expect, it } from 'vitest';
import type { TensorEntry, WeightIndex } from '../../../server/ml/index.ts';
import { overlayWeights } from '../../../nodes/flashportrait/models/dit/weights.ts';

function index(file: string, entries: Record<string, number[]>): WeightIndex {
  const tensors = new Map<string, TensorEntry>();
  for (const [key, shape] of Object.entries(entries)) tensors.set(key, { key, dtype: 'float32', shape, file, offset: 0, length: 4, layout: 'contiguous', strides: [] });
  return { format: 'safetensors', source: file, files: [file], tensors, metadata: {} };
}

describe('DiT weight overlay', () => {
  it('replaces shared keys, adds new ones and keeps keys the overlay lacks', () => {
    const merged = overlayWeights(index('/base', { a: [2], b: [3] }), index('/over', { b: [3], emo: [4] }));
    expect(Object.fromEntries([...merged.tensors].map(([k, e]) => [k, e.file]))).toEqual({ a: '/base', b: '/over', emo: '/over' });
    expect(merged.files).toEqual(['/base', '/over']);
  });

  it('refuses a key whose shape differs from the base', () => {
    expect(() => overlayWeights(index('/base', { a: [2, 2] }), index('/over', { a: [4] }))).toThrow(/a has shape \[4\] but the base has \[2,2\]/);
  });
});
