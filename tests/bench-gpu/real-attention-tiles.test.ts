// The real-size DiT (40 layers, dim 5120, 40 heads) with query-tiled self-attention, built from
// parameter shapes alone (weights as graph inputs: no data here). 'loop' tiles: one Loop body per
// layer whatever the token count or chunk, and ORT's CPU provider accepts the real graph (session
// created). 'unrolled' tiles: the graph grows with tokens / chunk (sizes printed for the README).
import { describe, expect, it } from 'vitest';
import { realDitGraphWithoutWeights, sessionCreationMs } from '../../bench/dit-attention-tiles.bench.ts';

const LAYERS = 40;
const L480 = 21 * 30 * 52; // 32,760 tokens
const L720 = 21 * 45 * 80; // 75,600 tokens
const kib = (b: number): string => `${(b / 1024).toFixed(0)} KiB`;

describe('real-size DiT graph with query-tiled self-attention (shapes only)', () => {
  const untiled = realDitGraphWithoutWeights({});

  it('loop: one Loop per layer, the same graph for any chunk and any token count (bounded size)', () => {
    const loops = [256, 4096].map((chunk) => realDitGraphWithoutWeights({ attentionQueryChunk: chunk }));
    for (const g of loops) {
      const top = g.model.graph!.node!;
      expect(top.filter((n) => n.opType === 'Loop')).toHaveLength(LAYERS);
      // self-attention moved into the bodies; text, image and emotion attention stay outside
      expect(top.filter((n) => n.opType === 'MultiHeadAttention')).toHaveLength(3 * LAYERS);
      const bodies = top.filter((n) => n.opType === 'Loop').map((n) => n.attribute!.find((a) => a.name === 'body')!.g!);
      expect(bodies.every((b) => b.node!.filter((n) => n.opType === 'MultiHeadAttention').length === 1)).toBe(true);
      // the token count is symbolic: nothing in the graph depends on it
      expect(g.model.graph!.input!.find((i) => i.name === 'rope_cos')!.type!.tensorType!.shape!.dim![0]!.dimParam).toBe('tokens');
    }
    expect(loops[0]!.nodes).toBe(loops[1]!.nodes);
    expect(loops[0]!.bodyNodes).toBe(loops[1]!.bodyNodes);
    expect(Math.abs(loops[0]!.bytes - loops[1]!.bytes)).toBeLessThan(64);
    expect(loops[0]!.bytes - untiled.bytes).toBeLessThan(100 << 10);
    console.info(`[real dit] untiled: ${untiled.nodes} nodes, ${kib(untiled.bytes)}; loop tiles: ${loops[0]!.nodes} nodes + ${loops[0]!.bodyNodes} in ${LAYERS} bodies, ${kib(loops[0]!.bytes)} (any chunk, any token count)`);
  });

  it('unrolled: the graph grows by one tile per chunk of tokens per layer (sizes reported)', () => {
    const rows: string[] = [];
    const perTile: number[] = [];
    for (const [chunk, tokens] of [[4096, L480], [4096, L720], [1024, L720], [256, L720]] as const) {
      const g = realDitGraphWithoutWeights({ attentionQueryChunk: chunk, attentionTiling: 'unrolled', attentionTokens: tokens });
      const tiles = Math.ceil(tokens / chunk);
      const mha = g.model.graph!.node!.filter((n) => n.opType === 'MultiHeadAttention').length;
      expect(mha).toBe(LAYERS * (tiles + 3));
      perTile.push((g.nodes - untiled.nodes) / (LAYERS * tiles));
      rows.push(`chunk ${chunk}, ${tokens} tokens: ${tiles} tiles/layer, ${g.nodes} nodes, ${kib(g.bytes)}`);
    }
    expect(perTile.every((n) => n > 1 && n < 4)).toBe(true); // Slice + attention per tile, one Concat per layer
    console.info(`[real dit unrolled] ${rows.join('; ')}`);
  });

  it('loop: the real 40-layer graph creates an ORT CPU session (Loop bodies resolved at real width)', async () => {
    const ms = await sessionCreationMs(realDitGraphWithoutWeights({ attentionQueryChunk: 4096 }, 'float32').model);
    console.info(`[real dit loop] CPU session creation ${ms.toFixed(0)} ms (structure only)`);
    expect(ms).toBeGreaterThan(0);
  }, 120_000);
});
