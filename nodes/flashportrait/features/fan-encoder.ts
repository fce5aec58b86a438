// PD-FGC's FanEncoder (pd_fpg.pth) as an ONNX graph: a FAN hourglass trunk reduced to a 512-d
// feature, and four heads (head pose 6, eye 6, emotion 30, mouth 512). Widths are read from the
// checkpoint, so the real model and the tiny golden one build alike.
import { GraphBuilder, buildModel, createSession, createTensor, openWeights, toFloat32 } from '../../../server/ml/index.ts';
import type { ModelSession, ProviderChoice, Tensor, Value, WeightIndex } from '../../../server/ml/index.ts';
import type { DType } from '../../../server/ml/index.ts';

const BN_EPS = 1e-5;
const HOURGLASS_DEPTH = 4;
export const FAN_OUTPUTS = ['headpose_emb', 'eye_embed', 'emo_embed', 'mouth_feat'] as const;
/** Trunk intermediates exposed for checking (`withIntermediates`). */
export const FAN_INTERMEDIATES = ['conv6', 'fan_feat', 'hourglass_mean_c'] as const;
export const HEAD_EMO_WIDTH = 6 + 6 + 30 + 512;

class FanGraph {
  constructor(readonly g: GraphBuilder, private readonly weights: WeightIndex) {}

  private shape(key: string): readonly number[] {
    const e = this.weights.tensors.get(key);
    if (!e) throw new Error(`pd_fpg: missing weight ${key}`);
    return e.shape;
  }

  relu(x: Value): Value { return this.g.op('Relu', [x])[0]!; }

  bn(x: Value, p: string): Value {
    return this.g.op('BatchNormalization', [x, this.g.weight(`${p}.weight`), this.g.weight(`${p}.bias`), this.g.weight(`${p}.running_mean`), this.g.weight(`${p}.running_var`)], { epsilon: { float: BN_EPS } })[0]!;
  }

  conv(x: Value, p: string, bias: boolean, stride = 1): Value {
    const k = this.shape(`${p}.weight`)[2]!;
    const pad = (k - 1) >> 1;
    return this.g.conv(x, `${p}.weight`, bias ? `${p}.bias` : undefined, { strides: [stride, stride], pads: [pad, pad, pad, pad] });
  }

  maxPool2(x: Value): Value {
    return this.g.op('MaxPool', [x], { kernel_shape: { ints: [2, 2] }, strides: { ints: [2, 2] } })[0]!;
  }

  /** Pre-activation bottleneck: three 3x3 convs whose outputs are concatenated, plus a skip. */
  convBlock(x: Value, p: string): Value {
    const o1 = this.conv(this.relu(this.bn(x, `${p}.bn1`)), `${p}.conv1`, false);
    const o2 = this.conv(this.relu(this.bn(o1, `${p}.bn2`)), `${p}.conv2`, false);
    const o3 = this.conv(this.relu(this.bn(o2, `${p}.bn3`)), `${p}.conv3`, false);
    const skip = this.weights.tensors.has(`${p}.downsample.0.weight`)
      ? this.conv(this.relu(this.bn(x, `${p}.downsample.0`)), `${p}.downsample.2`, false)
      : x;
    return this.g.add(this.g.concat([o1, o2, o3], 1), skip);
  }

  /** Hourglass level `level` on a square map of side `size`. */
  hourglass(x: Value, level: number): Value {
    const p = 'model.m0';
    const up = this.convBlock(x, `${p}.b1_${level}`);
    let low = this.convBlock(this.maxPool2(x), `${p}.b2_${level}`);
    low = level > 1 ? this.hourglass(low, level - 1) : this.convBlock(low, `${p}.b2_plus_${level}`);
    low = this.convBlock(low, `${p}.b3_${level}`);
    // Bilinear, align_corners=False, to the skip branch's size (7 <- 3 is not an integer ratio).
    const size = this.g.op('Shape', [up], {}, { dtype: 'int64' })[0]!;
    const resized = this.g.op('Resize', [low, undefined, undefined, size], {
      mode: { string: 'linear' }, coordinate_transformation_mode: { string: 'pytorch_half_pixel' },
    })[0]!;
    return this.g.add(up, resized);
  }

  head(feat: Value, p: string): Value {
    let y = this.g.linear(feat, `${p}.0.weight`, `${p}.0.bias`);
    y = this.bn(this.relu(y), `${p}.2`);
    return this.g.linear(y, `${p}.3.weight`, `${p}.3.bias`);
  }

  embed(x: Value, p: string): Value {
    return this.g.linear(this.relu(x), `${p}.1.weight`, `${p}.1.bias`);
  }
}

export interface FanEncoderBuildOptions {
  readonly computeDtype?: DType;
  /** Also output conv6, fan_feat and hourglass_mean_c. */
  readonly withIntermediates?: boolean;
}

/** The FanEncoder graph: input `x` float32 (B,3,224,224) in [-1,1] RGB; outputs float32. */
export function buildFanEncoderGraph(weights: WeightIndex, options: FanEncoderBuildOptions = {}): GraphBuilder {
  const computeDtype = options.computeDtype ?? 'float32';
  const g = new GraphBuilder({ weights, computeDtype, opset: 18, name: 'pdfgc_fan_encoder' });
  const net = new FanGraph(g, weights);
  const input = g.input('x', 'float32', ['B', 3, 224, 224]);
  const x = computeDtype === 'float32' ? input : g.cast(input, computeDtype);
  const out = (v: Value, name: string): void => { g.output(computeDtype === 'float32' ? v : g.cast(v, 'float32'), name); };

  let h = net.relu(net.bn(net.conv(x, 'model.conv1', true, 2), 'model.bn1'));
  h = net.maxPool2(net.convBlock(h, 'model.conv2'));
  h = net.convBlock(net.convBlock(h, 'model.conv3'), 'model.conv4');
  if (!weights.tensors.has('model.m0.b1_4.bn1.weight')) throw new Error(`${weights.source} is not a PD-FGC FanEncoder checkpoint (model.m0.b1_4.bn1.weight missing)`);
  const hg = net.hourglass(h, HOURGLASS_DEPTH);
  let t = net.convBlock(hg, 'model.top_m_0');
  t = net.relu(net.bn(net.conv(t, 'model.conv_last0', true), 'model.bn_end0'));
  t = net.conv(t, 'model.l0', true);
  const conv6 = net.conv(net.relu(net.bn(t, 'model.bn5')), 'model.conv6', true, 2);
  const feat = g.linear(net.relu(g.reshape(conv6, [0, -1])), 'model.fc.weight', 'model.fc.bias');

  out(net.embed(net.head(feat, 'to_headpose'), 'headpose_embed'), 'headpose_emb');
  out(net.embed(net.head(feat, 'to_eye'), 'eye_embed'), 'eye_embed');
  out(net.embed(net.head(feat, 'to_emo'), 'emo_embed'), 'emo_embed');
  out(net.head(feat, 'to_mouth'), 'mouth_feat');
  if (options.withIntermediates) {
    out(conv6, 'conv6');
    out(feat, 'fan_feat');
    out(g.reduceMean(hg, [2, 3], false), 'hourglass_mean_c');
  }
  return g;
}

export interface FanEncoderOptions extends FanEncoderBuildOptions {
  /** Folder for weights converted from the checkpoint's dtype (e.g. fp16 -> fp32 on the CPU). */
  readonly cacheDir: string;
  readonly provider?: ProviderChoice;
}

/** The FanEncoder on onnxruntime: one face (1,3,224,224) -> its 554-wide head_emo row. */
export class FanEncoder {
  private constructor(readonly session: ModelSession) {}

  static async load(checkpoint: string, options: FanEncoderOptions): Promise<FanEncoder> {
    const graph = buildFanEncoderGraph(openWeights(checkpoint), { computeDtype: options.provider?.computeDtype ?? options.computeDtype, withIntermediates: options.withIntermediates });
    const model = buildModel(graph, { cacheDir: options.cacheDir });
    return new FanEncoder(await createSession(model, { provider: options.provider ?? 'cpu', log: () => {} }));
  }

  /** All graph outputs for a (B,3,224,224) input. */
  async run(x: Float32Array, batch = 1): Promise<Record<string, Tensor>> {
    return this.session.run({ x: createTensor('float32', [batch, 3, 224, 224], x) });
  }

  /** head_emo rows [headpose 6, eye 6, emo 30, mouth 512] for a batch. */
  async headEmo(x: Float32Array, batch = 1): Promise<Float32Array> {
    const out = await this.run(x, batch);
    const parts = FAN_OUTPUTS.map((n) => toFloat32(out[n]!).data as Float32Array);
    const rows = new Float32Array(batch * HEAD_EMO_WIDTH);
    for (let b = 0; b < batch; b++) {
      let o = b * HEAD_EMO_WIDTH;
      for (const p of parts) {
        const w = p.length / batch;
        rows.set(p.subarray(b * w, (b + 1) * w), o);
        o += w;
      }
    }
    return rows;
  }

  async release(): Promise<void> { await this.session.release(); }
}
