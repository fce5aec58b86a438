import { describe, expect, it } from 'vitest';
import { emotionTokenRange, splitEmotionTokens } from '../../../nodes/flashportrait/pipeline/emotion-tokens.ts';
import {
  drivingFrameCounts, nodeFrames, nodeReferenceSize, upstreamReferenceSize,
} from '../../../nodes/flashportrait/pipeline/frame-arithmetic.ts';
import { planWindows, releasedWindowTable } from '../../../nodes/flashportrait/pipeline/windows.ts';
import { GoldenCase, SAMPLER_GOLDEN } from './golden-case.ts';

interface WindowRow {
  infer_length: number;
  context_size: number;
  context_overlap: number;
  pipeline_direct: Record<string, unknown>;
  node_effective_context_size: number;
  node: Record<string, unknown>;
}

function released(length: number, cs: number, ov: number): Record<string, unknown> {
  try {
    return { ...releasedWindowTable(length, cs, ov) };
  } catch (err) {
    return { error: (err as Error).message };
  }
}

describe.skipIf(!SAMPLER_GOLDEN)('windows and tables vs goldens', () => {
  it('windows: every row of the released table (direct and node), pathologies included', () => {
    const rows = (new GoldenCase('windows').json.table as WindowRow[]);
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) {
      const { infer_length: L, context_size: cs, context_overlap: ov } = row;
      expect(released(L, cs, ov), `direct ${L}/${cs}/${ov}`).toEqual(row.pipeline_direct);
      const nodeCs = Math.max(1, Math.min(cs, L));
      expect(nodeCs).toBe(row.node_effective_context_size);
      expect(released(L, nodeCs, ov), `node ${L}/${cs}/${ov}`).toEqual(row.node);
    }
  });

  it('planWindows equals the node rows wherever the original works, and has no pathologies', () => {
    const rows = (new GoldenCase('windows').json.table as WindowRow[]);
    let compared = 0;
    for (const row of rows) {
      const { infer_length: L, context_size: cs, context_overlap: ov } = row;
      if (ov < 2 || ov >= cs) {
        expect(() => planWindows(L, cs, ov)).toThrow(/context_overlap/);
        continue;
      }
      const plan = planWindows(L, cs, ov);
      const node = row.node as { windows: number[][]; emo_frame_ranges: number[][]; blend: { overlap_len: number }[] };
      expect(plan.windows.map((w) => w.frames), `${L}/${cs}/${ov}`).toEqual(node.windows);
      expect(plan.windows.map((w) => w.emotionFrames)).toEqual(node.emo_frame_ranges);
      expect(plan.windows.slice(1).map((w) => w.overlap)).toEqual(node.blend.map((b) => b.overlap_len));
      for (const w of plan.windows) {
        expect(w.frames.every((f, i) => i === 0 || f === w.frames[i - 1]! + 1)).toBe(true);
        expect(w.frames.length).toBe(Math.min(cs, L));
      }
      compared++;
    }
    expect(compared).toBeGreaterThan(100);
  });

  it('emo_token_split: 97-slot ranges and valid-token counts', () => {
    const rows = (new GoldenCase('tables').json.emo_token_split as { rows: { num_emo_frames: number; tokens: number; latent_frames: number; pos_idx_range_inclusive: number[][]; k_lens: number[] }[] }).rows;
    for (const row of rows) {
      const width = 1;
      const projection = Float32Array.from({ length: row.tokens }, (_, i) => i + 1);
      const split = splitEmotionTokens(projection, width, row.latent_frames);
      expect(Array.from(split.lengths)).toEqual(row.k_lens);
      row.pos_idx_range_inclusive.forEach(([first, last], k) => {
        expect(emotionTokenRange(k)).toEqual([first, last]);
        const slots = Array.from(split.tokens.subarray(k * 97, (k + 1) * 97));
        const valid = Array.from({ length: last! - Math.max(0, first!) + 1 }, (_, i) => Math.max(0, first!) + i + 1);
        expect(slots).toEqual([...valid, ...new Array(97 - valid.length).fill(0)]);
      });
    }
  });

  it('reference_resize, node_frames, frame_counts_from_driving_video', () => {
    const tables = new GoldenCase('tables').json as Record<string, { rows: Record<string, number | boolean | number[]>[] }>;
    for (const r of tables.reference_resize!.rows) {
      const [W, H, max] = [r.W as number, r.H as number, r.max_size as number];
      const node = nodeReferenceSize(W, H, max);
      const upstream = upstreamReferenceSize(W, H, max);
      expect([node.width, node.height], `${W}x${H}@${max}`).toEqual(r.node_wh);
      expect([upstream.width, upstream.height], `${W}x${H}@${max}`).toEqual(r.upstream_infer_wh);
    }
    for (const r of tables.node_frames!.rows) {
      const f = nodeFrames(r.head_emo_frames as number, r.context_size as number);
      expect([f.numFrames, f.latentFrames, f.effectiveContextSize, f.outputFrames]).toEqual([r.num_frames, r.latents_num_frames, r.effective_context_size, r.output_frames_after_drop]);
      // ERRATA: one-latent-frame rows do not run in the original either.
      expect(f.releasedNodeRuns).toBe((r.node_runs as boolean) && (r.latents_num_frames as number) > 1);
    }
    for (const r of tables.frame_counts_from_driving_video!.rows) {
      const c = drivingFrameCounts(r.raw_video_frames as number, r.context_size as number, r.context_overlap as number);
      expect([c.usableFrames, c.extractorFrames, c.extractorPadding, c.extractorFrames, c.samplerFrames, c.samplerLatentFrames, c.usableFrames, c.upstreamLatentFrames, c.extractorFrames, c.comfyInferFeatureFrames])
        .toEqual([r.find_replacement, r.extractor_final_num_frames, r.extractor_repeat_last_padding, r.extractor_output_frames, r.sampler_num_frames, r.sampler_infer_length, r.upstream_infer_num_frames, r.upstream_infer_latents, r.comfy_repo_infer_num_frames_arg, r.comfy_repo_infer_head_emo_len]);
      expect(c.samplerLatentFrames <= (r.context_size as number)).toBe(r.node_runs);
    }
  });
});
