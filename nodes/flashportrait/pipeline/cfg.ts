// Classifier-free guidance of the released pipeline: which transformer branches run for which
// (emo_cfg_scale, text_cfg_scale), and how their outputs combine. guidance_scale only decides whether
// negative text embeddings exist; it is never a scale.
import { f32 } from './float32.ts';

export type CfgBranch = 'posi' | 'no_emo' | 'no_cond' | 'no_text';

export interface BranchCall {
  readonly branch: CfgBranch;
  /** Which text embedding the branch gets. */
  readonly prompt: 'positive' | 'negative';
  /** Emotion cross-attention scale: the pipeline's ip_scale, or 0 to switch it off. */
  readonly ipScale: number;
}

export interface CfgPlan {
  readonly emoScale: number;
  readonly textScale: number;
  readonly calls: readonly BranchCall[];
}

export function planCfg(emoCfgScale: number, textCfgScale: number, ipScale = 1): CfgPlan {
  // `if emo_cfg_scale and emo_cfg_scale > 1` in the original: 0 is falsy, so it behaves like <= 1.
  const emo = emoCfgScale > 1;
  const text = textCfgScale !== 1;
  const posi: BranchCall = { branch: 'posi', prompt: 'positive', ipScale };
  let calls: BranchCall[];
  if (emo && text) {
    calls = [posi, { branch: 'no_emo', prompt: 'positive', ipScale: 0 }, { branch: 'no_cond', prompt: 'negative', ipScale: 0 }];
  } else if (emo) {
    calls = [posi, { branch: 'no_emo', prompt: 'positive', ipScale: 0 }];
  } else if (text) {
    calls = [posi, { branch: 'no_text', prompt: 'negative', ipScale }];
  } else {
    calls = [posi];
  }
  return { emoScale: emoCfgScale, textScale: textCfgScale, calls };
}

export function needsNegativePrompt(plan: CfgPlan): boolean {
  return plan.calls.some((c) => c.prompt === 'negative');
}

/** Combines branch outputs (in `plan.calls` order) into `out`, float32 like torch. */
export function combineCfg(plan: CfgPlan, outputs: readonly Float32Array[], out: Float32Array): void {
  const { emoScale: emo, textScale: text } = plan;
  const [posi, second, third] = outputs;
  if (!posi) throw new Error('combineCfg needs the posi branch');
  const n = out.length;
  switch (plan.calls.length) {
    case 1:
      if (out !== posi) out.set(posi);
      return;
    case 2:
      // no_emo + emo*(posi - no_emo)  or  no_text + text*(posi - no_text)
      for (let k = 0; k < n; k++) {
        const base = second![k]!;
        out[k] = f32(base + f32((plan.calls[1]!.branch === 'no_emo' ? emo : text) * f32(posi[k]! - base)));
      }
      return;
    case 3:
      // no_cond + text*(no_emo - no_cond) + emo*(posi - no_emo)
      for (let k = 0; k < n; k++) {
        const noEmo = second![k]!;
        const noCond = third![k]!;
        out[k] = f32(f32(noCond + f32(text * f32(noEmo - noCond))) + f32(emo * f32(posi[k]! - noEmo)));
      }
      return;
    default:
      throw new Error(`unexpected branch count ${plan.calls.length}`);
  }
}
