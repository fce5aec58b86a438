// The DiT call recorded in the dit golden's window/ case, as DitModel inputs.
import type { Tensor } from '../../../server/ml/index.ts';
import type { DitCallInputs } from '../../../nodes/flashportrait/models/dit/model.ts';

export function windowCall(inputs: Record<string, Tensor>, ipScale = 1, context: 'context' | 'context_neg' = 'context'): DitCallInputs {
  return {
    x: inputs.x!,
    y: inputs.y!,
    t: (inputs.t!.data as Float32Array)[0]!,
    context: inputs[context]!,
    clipFea: inputs.clip_fea!,
    emoProj: inputs.emo_proj!,
    ipScale,
  };
}
