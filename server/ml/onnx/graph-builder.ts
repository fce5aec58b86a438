// A small typed DSL that records an ONNX graph. Weights are referenced by key and stay on disk:
// they become external-data initializers when the model is built (see build-model.ts).
import { isFloatDType, onnxDataType, shapeSize } from '../dtype.ts';
import type { DType } from '../dtype.ts';
import { createTensor, tensorBytes } from '../tensor.ts';
import type { Tensor } from '../tensor.ts';
import type { TensorEntry, WeightIndex } from '../weights/types.ts';
import { ATTR, onnx } from './proto.ts';
import type { OnnxTypes } from './proto.ts';

export type Dim = number | string;

export interface Value {
  readonly name: string;
  readonly dtype: DType;
  /** Known for graph inputs and constants; left to ORT's shape inference elsewhere. */
  readonly shape?: readonly Dim[];
}

export type AttrValue =
  | { readonly int: number } | { readonly float: number } | { readonly string: string }
  | { readonly ints: readonly number[] } | { readonly floats: readonly number[] } | { readonly tensor: Tensor }
  | { readonly graph: OnnxTypes.IGraphProto };

export interface OpOptions {
  readonly domain?: string;
  /** Number of outputs (default 1). */
  readonly outputs?: number;
  /** dtype of the outputs (default: the first input's). */
  readonly dtype?: DType;
}

/** An initializer that still points at a weight file; build-model.ts decides zero-copy or converted. */
export interface WeightRef {
  readonly name: string;
  readonly entry: TensorEntry;
  /** The dtype the graph computes with; differs from entry.dtype when a converted copy is needed. */
  readonly dtype: DType;
  /** Set for one half of a block-quantised weight (see `quantizedLinear`); the initializer then has `shape`. */
  readonly quant?: QuantPart;
  /** Initializer shape when it differs from entry.shape (quantised parts). */
  readonly shape?: readonly number[];
}

/**
 * One half of a weight W [N, K] quantised to 8 bits per block of `blockSize` input channels
 * (symmetric, absmax / 127 per block, stored as q + 128 in uint8: MatMulNBits' default zero point):
 * 'data' = uint8 [N, ceil(K / blockSize), blockSize], 'scales' = [N * ceil(K / blockSize)] in the ref's dtype.
 */
export interface QuantPart {
  readonly bits: 8;
  readonly blockSize: number;
  readonly part: 'data' | 'scales';
  /** dtype of the scales (the activations' dtype). */
  readonly scaleDtype: DType;
}

/** Block size for 8-bit weights with K input channels: the largest power of two <= max (>= 16) dividing K, else padded blocks. */
export function quantBlockSize(K: number, max = 128): number {
  let bs = 16;
  while (bs * 2 <= max && K % (bs * 2) === 0) bs *= 2;
  if (K % bs === 0) return bs;
  bs = 16;
  while (bs * 2 <= Math.min(max, K)) bs *= 2;
  return bs;
}

export interface GraphBuilderOptions {
  readonly weights?: WeightIndex;
  /** dtype float weights are presented in (float32 on CPU; float16/bfloat16 for GPU EPs). */
  readonly computeDtype?: DType;
  /** Default-domain opset (23: RMSNormalization and Attention are native). */
  readonly opset?: number;
  readonly name?: string;
}

export const MS_DOMAIN = 'com.microsoft';

export interface AttentionOptions {
  readonly numHeads: number;
  readonly headDim: number;
  /** Default 1 / sqrt(headDim). */
  readonly scale?: number;
  readonly impl?: 'mha' | 'plain';
  /** 'plain': the dtype of the scaled scores and the softmax (default: the inputs'). */
  readonly softmaxDtype?: DType;
  /**
   * 'mha' only: also ask MultiHeadAttention for its present_key / present_value outputs (unused).
   * ONNX Runtime's WebGPU EP runs its FlashAttention kernel only when they are requested
   * (CanApplyFlashAttention, onnxruntime/contrib_ops/webgpu/bert/flash_attention.cc); otherwise it
   * materialises the [heads, S_q, S_k] scores. Same result on every provider.
   */
  readonly presentKv?: boolean;
}

/** Value names in use and the counter for fresh ones: shared by a graph and its subgraphs (ONNX forbids shadowing). */
interface NameScope {
  readonly used: Set<string>;
  counter: number;
}

export class GraphBuilder {
  readonly computeDtype: DType;
  readonly opset: number;
  readonly name: string;
  readonly weights?: WeightIndex;
  private readonly nodes: OnnxTypes.INodeProto[] = [];
  private readonly inputs: Value[] = [];
  private readonly outputs: Value[] = [];
  private readonly constants = new Map<string, Tensor>();
  private weightRefs = new Map<string, WeightRef>();
  private names: NameScope = { used: new Set<string>(), counter: 0 };
  /** Operator domains used inside subgraphs (they need an opset import on the model too). */
  private readonly subgraphDomains = new Set<string>();

  constructor(options: GraphBuilderOptions = {}) {
    this.weights = options.weights;
    this.computeDtype = options.computeDtype ?? 'float32';
    this.opset = options.opset ?? 23;
    this.name = options.name ?? 'flashgraph';
  }

  private fresh(hint: string): string {
    let name: string;
    do name = `${hint}_${this.names.counter++}`; while (this.names.used.has(name));
    this.names.used.add(name);
    return name;
  }

  private claim(name: string): string {
    if (this.names.used.has(name)) throw new Error(`graph already has a value named ${name}`);
    this.names.used.add(name);
    return name;
  }

  /**
   * A subgraph (the body of a Loop / Scan / If) recorded with its own builder. It shares this graph's
   * names (no shadowing), weight references (weights become initializers of the outer graph, which
   * the body may read as outer-scope values) and compute dtype; its small constants stay inside it.
   * `build` gets the body's inputs (declared from `inputs`) and returns its outputs, in order.
   */
  subgraph(name: string, inputs: ReadonlyArray<{ readonly hint: string; readonly dtype: DType; readonly shape?: readonly Dim[] }>, build: (body: GraphBuilder, inputs: Value[]) => Value[]): OnnxTypes.IGraphProto {
    const body = new GraphBuilder({ weights: this.weights, computeDtype: this.computeDtype, opset: this.opset, name });
    body.names = this.names;
    body.weightRefs = this.weightRefs;
    const declared = inputs.map((i): Value => ({ name: body.fresh(i.hint), dtype: i.dtype, ...(i.shape ? { shape: [...i.shape] } : {}) }));
    body.inputs.push(...declared);
    for (const out of build(body, declared)) body.output(out);
    for (const d of body.domains()) this.subgraphDomains.add(d);
    return onnx.GraphProto.create({
      name,
      node: body.nodes,
      initializer: [...body.constants].map(([n, t]) => embeddedTensor(n, t)),
      input: body.inputs.map(valueInfo),
      output: body.outputs.map(valueInfo),
    });
  }

  // ---- graph interface ----

  input(name: string, dtype: DType, shape: readonly Dim[]): Value {
    const v: Value = { name: this.claim(name), dtype, shape: [...shape] };
    this.inputs.push(v);
    return v;
  }

  output(value: Value, name?: string): Value {
    let out = value;
    if (name !== undefined && name !== value.name) out = this.op('Identity', [value], {}, {}, name)[0]!;
    this.outputs.push(out);
    return out;
  }

  /** An embedded constant (small tensors: shapes, scalars, tables). */
  constant(t: Tensor, hint = 'const'): Value {
    const name = this.fresh(hint);
    this.constants.set(name, t);
    return { name, dtype: t.dtype, shape: [...t.shape] };
  }

  scalar(value: number, dtype: DType = this.computeDtype): Value {
    return this.constant(createTensor(dtype, [], [value]), 'scalar');
  }

  ints(values: readonly number[]): Value {
    return this.constant(createTensor('int64', [values.length], values), 'ints');
  }

  /**
   * A weight from the builder's index, as an initializer in computeDtype (float) or its own dtype.
   * `floatDtype` overrides computeDtype for this float weight (e.g. norm weights kept in float32 in
   * an fp16 graph); a weight asked for in a second float dtype is cast in the graph.
   */
  weight(key: string, floatDtype?: DType): Value {
    const existing = this.weightRefs.get(key);
    if (existing) {
      const v: Value = { name: existing.name, dtype: existing.dtype, shape: [...existing.entry.shape] };
      const want = floatDtype !== undefined && isFloatDType(existing.dtype) ? floatDtype : existing.dtype;
      return want === existing.dtype ? v : this.cast(v, want);
    }
    if (!this.weights) throw new Error(`weight ${key}: the GraphBuilder was created without a weight index`);
    const entry = this.weights.tensors.get(key);
    if (!entry) throw new Error(`weight ${key} is not in ${this.weights.source}`);
    const dtype = isFloatDType(entry.dtype) ? (floatDtype ?? this.computeDtype) : entry.dtype;
    const ref: WeightRef = { name: this.claim(key), entry, dtype };
    this.weightRefs.set(key, ref);
    return { name: ref.name, dtype, shape: [...entry.shape] };
  }

  /**
   * A weight W [N, K] from the index as 8-bit blocks + scales (see QuantPart), for MatMulNBits.
   * `scaleDtype` must be the dtype of the activations it multiplies (float32 / float16).
   */
  quantizedWeight(key: string, scaleDtype: DType, maxBlockSize = 128): { data: Value; scales: Value; N: number; K: number; blockSize: number } {
    if (!this.weights) throw new Error(`weight ${key}: the GraphBuilder was created without a weight index`);
    const entry = this.weights.tensors.get(key);
    if (!entry) throw new Error(`weight ${key} is not in ${this.weights.source}`);
    if (entry.shape.length !== 2 || !isFloatDType(entry.dtype)) throw new Error(`weight ${key}: 8-bit quantisation needs a 2-D float weight, got ${entry.dtype} [${entry.shape}]`);
    if (scaleDtype !== 'float32' && scaleDtype !== 'float16') throw new Error(`weight ${key}: MatMulNBits computes in float32 / float16, not ${scaleDtype}`);
    const [N, K] = entry.shape as [number, number];
    const blockSize = quantBlockSize(K, maxBlockSize);
    const blocks = Math.ceil(K / blockSize);
    const part = (which: QuantPart['part'], dtype: DType, shape: number[]): Value => {
      const refKey = `${key}::q8b${blockSize}.${which}.${dtype}`;
      let ref = this.weightRefs.get(refKey);
      if (!ref) {
        ref = { name: this.claim(refKey), entry, dtype, quant: { bits: 8, blockSize, part: which, scaleDtype }, shape };
        this.weightRefs.set(refKey, ref);
      }
      return { name: ref.name, dtype, shape };
    };
    return { data: part('data', 'uint8', [N, blocks, blockSize]), scales: part('scales', scaleDtype, [N * blocks]), N, K, blockSize };
  }

  /**
   * torch.nn.Linear with W [out, in] stored in 8 bits (com.microsoft MatMulNBits, bits 8,
   * accuracy_level 0: the weight is dequantised, the product stays in x's float dtype). Bias stays float.
   */
  quantizedLinear(x: Value, key: string, bias?: Value | string, maxBlockSize = 128): Value {
    const q = this.quantizedWeight(key, x.dtype, maxBlockSize);
    const y = this.op1('MatMulNBits', [x, q.data, q.scales], {
      K: { int: q.K }, N: { int: q.N }, bits: { int: 8 }, block_size: { int: q.blockSize }, accuracy_level: { int: 0 },
    }, { domain: MS_DOMAIN, dtype: x.dtype });
    return bias === undefined ? y : this.add(y, this.toValue(bias));
  }

  private toValue(v: Value | string): Value {
    return typeof v === 'string' ? this.weight(v) : v;
  }

  /** Any operator; the escape hatch under every helper below. Pass '' to skip an optional input. */
  op(opType: string, inputs: ReadonlyArray<Value | undefined>, attrs: Record<string, AttrValue> = {}, options: OpOptions = {}, outputName?: string): Value[] {
    const count = options.outputs ?? 1;
    const dtype = options.dtype ?? inputs.find((v) => v !== undefined)?.dtype ?? this.computeDtype;
    const outputs = Array.from({ length: count }, (_, i) => (i === 0 && outputName !== undefined ? this.claim(outputName) : this.fresh(opType.toLowerCase())));
    this.nodes.push({
      opType,
      domain: options.domain ?? '',
      name: this.fresh(`n_${opType}`),
      input: trimOptional(inputs.map((v) => v?.name ?? '')),
      output: outputs,
      attribute: Object.entries(attrs).map(([name, a]) => encodeAttr(name, a)),
    });
    return outputs.map((name) => ({ name, dtype }));
  }

  private op1(opType: string, inputs: ReadonlyArray<Value | undefined>, attrs: Record<string, AttrValue> = {}, options: OpOptions = {}): Value {
    return this.op(opType, inputs, attrs, options)[0]!;
  }

  // ---- elementwise ----

  add(a: Value, b: Value): Value { return this.op1('Add', [a, b]); }
  sub(a: Value, b: Value): Value { return this.op1('Sub', [a, b]); }
  mul(a: Value, b: Value): Value { return this.op1('Mul', [a, b]); }
  div(a: Value, b: Value): Value { return this.op1('Div', [a, b]); }
  neg(a: Value): Value { return this.op1('Neg', [a]); }
  sqrt(a: Value): Value { return this.op1('Sqrt', [a]); }
  reciprocal(a: Value): Value { return this.op1('Reciprocal', [a]); }
  exp(a: Value): Value { return this.op1('Exp', [a]); }
  sigmoid(a: Value): Value { return this.op1('Sigmoid', [a]); }
  tanh(a: Value): Value { return this.op1('Tanh', [a]); }
  cast(a: Value, to: DType): Value { return this.op1('Cast', [a], { to: { int: onnxDataType(to) } }, { dtype: to }); }
  /** `a` itself when it already has dtype `to`, else a Cast. */
  as(a: Value, to: DType): Value { return a.dtype === to ? a : this.cast(a, to); }

  silu(x: Value): Value { return this.mul(x, this.sigmoid(x)); }

  gelu(x: Value, approximate: 'none' | 'tanh' = 'none'): Value {
    if (this.opset >= 20) return this.op1('Gelu', [x], { approximate: { string: approximate } });
    return this.op1(approximate === 'tanh' ? 'FastGelu' : 'Gelu', [x], {}, { domain: MS_DOMAIN });
  }

  softmax(x: Value, axis = -1): Value { return this.op1('Softmax', [x], { axis: { int: axis } }); }

  // ---- shape ----

  /** ONNX Reshape semantics: 0 copies the input dim, -1 is inferred. */
  reshape(x: Value, shape: readonly number[]): Value { return this.op1('Reshape', [x, this.ints(shape)]); }
  transpose(x: Value, perm: readonly number[]): Value { return this.op1('Transpose', [x], { perm: { ints: perm } }); }
  concat(xs: readonly Value[], axis: number): Value { return this.op1('Concat', xs, { axis: { int: axis } }); }
  unsqueeze(x: Value, axes: readonly number[]): Value { return this.op1('Unsqueeze', [x, this.ints(axes)]); }
  squeeze(x: Value, axes: readonly number[]): Value { return this.op1('Squeeze', [x, this.ints(axes)]); }
  slice(x: Value, starts: readonly number[], ends: readonly number[], axes?: readonly number[], steps?: readonly number[]): Value {
    return this.op1('Slice', [x, this.ints(starts), this.ints(ends), axes ? this.ints(axes) : undefined, steps ? this.ints(steps) : undefined]);
  }
  gather(data: Value | string, indices: Value, axis = 0): Value { return this.op1('Gather', [this.toValue(data), indices], { axis: { int: axis } }); }
  reduceMean(x: Value, axes: readonly number[], keepdims = true): Value {
    return this.op1('ReduceMean', [x, this.ints(axes)], { keepdims: { int: keepdims ? 1 : 0 } });
  }

  // ---- linear algebra ----

  matmul(a: Value | string, b: Value | string): Value { return this.op1('MatMul', [this.toValue(a), this.toValue(b)]); }

  /**
   * torch.nn.Linear: y = x W^T + b with W stored [out, in]. FusedMatMul(transB) reads W as stored,
   * so the weight stays a zero-copy view of the file instead of a transposed copy made by ORT.
   */
  linear(x: Value, weight: Value | string, bias?: Value | string): Value {
    const y = this.op1('FusedMatMul', [x, this.toValue(weight)], { transB: { int: 1 }, alpha: { float: 1 } }, { domain: MS_DOMAIN });
    return bias === undefined ? y : this.add(y, this.toValue(bias));
  }

  conv(x: Value, weight: Value | string, bias?: Value | string, o: { strides?: number[]; pads?: number[]; dilations?: number[]; group?: number } = {}): Value {
    const attrs: Record<string, AttrValue> = {};
    if (o.strides) attrs.strides = { ints: o.strides };
    if (o.pads) attrs.pads = { ints: o.pads };
    if (o.dilations) attrs.dilations = { ints: o.dilations };
    if (o.group !== undefined) attrs.group = { int: o.group };
    return this.op1('Conv', [x, this.toValue(weight), bias === undefined ? undefined : this.toValue(bias)], attrs);
  }

  // ---- normalisation ----

  /** x * rsqrt(mean(x^2, last axis) + eps) * w. */
  rmsNorm(x: Value, weight: Value | string | undefined, eps: number, impl: 'fused' | 'plain' = 'fused'): Value {
    const w = weight === undefined ? undefined : this.toValue(weight);
    if (impl === 'fused' && w) {
      if (this.opset >= 23) return this.op1('RMSNormalization', [x, w], { axis: { int: -1 }, epsilon: { float: eps } });
      return this.op1('SimplifiedLayerNormalization', [x, w], { axis: { int: -1 }, epsilon: { float: eps } });
    }
    const meanSq = this.reduceMean(this.mul(x, x), [-1]);
    const normed = this.mul(x, this.reciprocal(this.sqrt(this.add(meanSq, this.scalar(eps, x.dtype)))));
    return w ? this.mul(normed, w) : normed;
  }

  /** LayerNormalization over the last axis; without affine weights pass the normalised width. */
  layerNorm(x: Value, weight: Value | string | number, bias: Value | string | undefined, eps: number): Value {
    const scale = typeof weight === 'number'
      ? this.constant(createTensor(x.dtype === 'float16' ? 'float16' : 'float32', [weight], new Array<number>(weight).fill(1)), 'ones')
      : this.toValue(weight);
    return this.op1('LayerNormalization', [x, scale, bias === undefined ? undefined : this.toValue(bias)], { axis: { int: -1 }, epsilon: { float: eps } });
  }

  // ---- attention ----

  /**
   * Scaled dot-product attention over [B, S, heads*d] inputs, result [B, S, heads*d].
   * 'mha' = com.microsoft MultiHeadAttention (fused kernels on CPU/CUDA/WebGPU); 'plain' = MatMul/Softmax.
   */
  attention(q: Value, k: Value, v: Value, o: AttentionOptions): Value {
    const scale = o.scale ?? 1 / Math.sqrt(o.headDim);
    if ((o.impl ?? 'mha') === 'mha') {
      // The fused kernels keep the softmax in float32 whatever the input dtype.
      const attrs = { num_heads: { int: o.numHeads }, scale: { float: scale } };
      return this.op('MultiHeadAttention', [q, k, v], attrs, { domain: MS_DOMAIN, outputs: o.presentKv ? 3 : 1 })[0]!;
    }
    // 'plain': Q K^T in the input dtype, then scale and softmax in softmaxDtype (default: the same).
    const sd = o.softmaxDtype ?? q.dtype;
    const heads = (t: Value, perm: number[]) => this.transpose(this.reshape(t, [0, 0, o.numHeads, o.headDim]), perm);
    const scores = this.mul(this.as(this.matmul(heads(q, [0, 2, 1, 3]), heads(k, [0, 2, 3, 1])), sd), this.scalar(scale, sd));
    const ctx = this.matmul(this.as(this.softmax(scores, -1), v.dtype), heads(v, [0, 2, 1, 3]));
    return this.reshape(this.transpose(ctx, [0, 2, 1, 3]), [0, 0, o.numHeads * o.headDim]);
  }

  /**
   * attention() computed in tiles of `chunk` query rows, each against all keys, the tiles'
   * results concatenated: the scores held at once are [B, heads, chunk, S_k] instead of
   * [B, heads, S_q, S_k]. Same numerics per row as attention() (each row's softmax sees all keys).
   * - 'loop': one ONNX Loop over ceil(S_q / chunk) tiles; the body slices Q (zero-padded to a whole
   *   number of tiles, the padded rows dropped afterwards) and runs attention(). S_q may be symbolic;
   *   the graph has one body whatever S_q is.
   * - 'unrolled': one attention() per tile as plain nodes; needs S_q known here (`queryTokens`), the
   *   graph grows with S_q / chunk.
   */
  tiledAttention(q: Value, k: Value, v: Value, o: AttentionOptions & { chunk: number; tiling?: 'loop' | 'unrolled'; queryTokens?: number }): Value {
    const chunk = o.chunk;
    if (!Number.isInteger(chunk) || chunk < 1) throw new Error(`tiled attention: chunk must be an integer >= 1, got ${chunk}`);
    const width = o.numHeads * o.headDim;
    if ((o.tiling ?? 'loop') === 'unrolled') {
      const L = o.queryTokens;
      if (L === undefined || !Number.isInteger(L) || L < 1) throw new Error('tiled attention: unrolled tiles need the query token count (queryTokens)');
      if (chunk >= L) return this.attention(q, k, v, o);
      const tiles: Value[] = [];
      for (let start = 0; start < L; start += chunk) tiles.push(this.attention(this.slice(q, [start], [Math.min(L, start + chunk)], [1]), k, v, o));
      return this.concat(tiles, 1);
    }
    const tokens = this.op1('Shape', [q], { start: { int: 1 }, end: { int: 2 } }, { dtype: 'int64' });
    const tileCount = this.div(this.add(tokens, this.ints([chunk - 1])), this.ints([chunk]));
    const padRows = this.sub(this.mul(tileCount, this.ints([chunk])), tokens);
    const padded = this.op1('Pad', [q, this.concat([this.ints([0, 0, 0, 0]), padRows, this.ints([0])], 0)]);
    const body = this.subgraph('attention_tile', [{ hint: 'tile', dtype: 'int64', shape: [] }, { hint: 'cond', dtype: 'bool', shape: [] }], (b, [tile, cond]) => {
      const start = b.unsqueeze(b.mul(tile!, b.scalar(chunk, 'int64')), [0]);
      const rows = b.op1('Slice', [padded, start, b.add(start, b.ints([chunk])), b.ints([1])]);
      return [b.op1('Identity', [cond!]), b.attention(rows, k, v, o)];
    });
    const always = this.constant(createTensor('bool', [], [1]), 'loop_cond');
    const stacked = this.op1('Loop', [this.squeeze(tileCount, [0]), always], { body: { graph: body } }, { dtype: v.dtype }); // [tiles, B, chunk, width]
    const merged = this.reshape(this.transpose(stacked, [1, 0, 2, 3]), [0, -1, width]);
    return this.op1('Slice', [merged, this.ints([0]), tokens, this.ints([1])]);
  }

  /**
   * Rotary embedding of x [B, S, heads*d] with per-position tables cos/sin [S, d/2] (one angle per
   * channel pair, shared by all heads: multi-axis RoPE such as Wan's 3-D one is just a table).
   * interleaved: pairs are adjacent channels (2j, 2j+1); otherwise the halves (j, j + d/2).
   */
  rotary(x: Value, cos: Value, sin: Value, o: { numHeads: number; headDim: number; interleaved: boolean; impl?: 'contrib' | 'plain' }): Value {
    if ((o.impl ?? 'contrib') === 'contrib') {
      const start = this.constant(createTensor('int64', [1], [0]), 'position_start');
      return this.op1('RotaryEmbedding', [x, start, cos, sin], { interleaved: { int: o.interleaved ? 1 : 0 }, num_heads: { int: o.numHeads } }, { domain: MS_DOMAIN });
    }
    const half = o.headDim / 2;
    if (o.interleaved) {
      const pairs = this.reshape(x, [0, 0, o.numHeads, half, 2]);
      const x0 = this.slice(pairs, [0], [1], [4]);
      const x1 = this.slice(pairs, [1], [2], [4]);
      const c = this.reshape(cos, [-1, 1, half, 1]);
      const s = this.reshape(sin, [-1, 1, half, 1]);
      const r0 = this.sub(this.mul(x0, c), this.mul(x1, s));
      const r1 = this.add(this.mul(x0, s), this.mul(x1, c));
      return this.reshape(this.concat([r0, r1], 4), [0, 0, o.numHeads * o.headDim]);
    }
    const h = this.reshape(x, [0, 0, o.numHeads, o.headDim]);
    const x0 = this.slice(h, [0], [half], [3]);
    const x1 = this.slice(h, [half], [o.headDim], [3]);
    const c = this.reshape(cos, [-1, 1, half]);
    const s = this.reshape(sin, [-1, 1, half]);
    const r0 = this.sub(this.mul(x0, c), this.mul(x1, s));
    const r1 = this.add(this.mul(x0, s), this.mul(x1, c));
    return this.reshape(this.concat([r0, r1], 3), [0, 0, o.numHeads * o.headDim]);
  }

  // ---- emission ----

  get weightReferences(): ReadonlyMap<string, WeightRef> {
    return this.weightRefs;
  }

  get graphInputs(): readonly Value[] { return this.inputs; }

  /** Operator domains of this graph's nodes and its subgraphs'. */
  private domains(): Set<string> {
    return new Set([...this.nodes.map((n) => n.domain ?? ''), ...this.subgraphDomains]);
  }
  get graphOutputs(): readonly Value[] { return this.outputs; }

  /**
   * The ModelProto. `weightInitializer` turns each weight reference into its TensorProto (external
   * data pointing into a weight file or into the conversion cache).
   */
  toModelProto(weightInitializer: (ref: WeightRef) => OnnxTypes.ITensorProto): OnnxTypes.ModelProto {
    if (this.outputs.length === 0) throw new Error('graph has no outputs');
    const initializer: OnnxTypes.ITensorProto[] = [];
    for (const [name, t] of this.constants) initializer.push(embeddedTensor(name, t));
    for (const ref of this.weightRefs.values()) initializer.push(weightInitializer(ref));
    const domains = this.domains();
    const opsetImport = [{ domain: '', version: this.opset }];
    if (domains.has(MS_DOMAIN)) opsetImport.push({ domain: MS_DOMAIN, version: 1 });
    return onnx.ModelProto.create({
      irVersion: 10,
      producerName: 'flashgraph',
      opsetImport,
      graph: onnx.GraphProto.create({
        name: this.name,
        node: this.nodes,
        initializer,
        input: this.inputs.map(valueInfo),
        output: this.outputs.map(valueInfo),
      }),
    });
  }
}

/** Trailing omitted optional inputs are dropped: some ORT kernels crash on a trailing ''. */
function trimOptional(names: string[]): string[] {
  let end = names.length;
  while (end > 0 && names[end - 1] === '') end--;
  return names.slice(0, end);
}

function encodeAttr(name: string, a: AttrValue): OnnxTypes.IAttributeProto {
  if ('int' in a) return { name, type: ATTR.INT, i: a.int };
  if ('float' in a) return { name, type: ATTR.FLOAT, f: a.float };
  if ('string' in a) return { name, type: ATTR.STRING, s: new TextEncoder().encode(a.string) };
  if ('ints' in a) return { name, type: ATTR.INTS, ints: [...a.ints] };
  if ('floats' in a) return { name, type: ATTR.FLOATS, floats: [...a.floats] };
  if ('graph' in a) return { name, type: ATTR.GRAPH, g: a.graph };
  return { name, type: ATTR.TENSOR, t: embeddedTensor(name, a.tensor) };
}

export function embeddedTensor(name: string, t: Tensor): OnnxTypes.ITensorProto {
  if (shapeSize(t.shape) !== t.data.length) throw new Error(`constant ${name}: shape and data disagree`);
  return { name, dims: [...t.shape], dataType: onnxDataType(t.dtype), rawData: tensorBytes(t) };
}

function valueInfo(v: Value): OnnxTypes.IValueInfoProto {
  const tensorType: OnnxTypes.TypeProto.ITensor = { elemType: onnxDataType(v.dtype) };
  if (v.shape) tensorType.shape = { dim: v.shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) };
  return { name: v.name, type: { tensorType } };
}
