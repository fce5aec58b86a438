// `graph models demo`: a tiny random-weight FlashPortrait model set in the released layout and file
// names, so the Loader finds it and a workflow runs end to end in seconds. Same architectures as the
// release at small widths chosen to fit together (T5 width = DiT text_dim, CLIP width = clip_dim,
// PortraitEncoder width = the DiT's 2048 emotion width). The output is noise: the weights are random.
// Weight files hold safetensors content under the released names (openWeights sniffs the content).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildModel, createTensor, GraphBuilder, writeSafetensors } from '../../../server/ml/index.ts';
import type { Tensor, Value } from '../../../server/ml/index.ts';
import type { ClipVisionConfig } from '../models/clip/config.ts';
import { clipVisualWeightShapes, OPENAI_CLIP_MEAN, OPENAI_CLIP_STD } from '../models/clip/config.ts';
import { parseDitConfig } from '../models/dit/config.ts';
import { ditParameterShapes, isEmotionProjection } from '../models/dit/parameter-shapes.ts';
import { umt5TokenizerJson } from '../models/t5/tokenizer-json.ts';
import type { Umt5Config } from '../models/t5/config.ts';
import { umt5WeightShapes } from '../models/t5/config.ts';
import { SeededRandom } from '../seeded-noise.ts';
import { FAST_LORA_FILE, FAST_VAE_FILE, FLASH_PORTRAIT_REPOSITORY, MODELS_SUBFOLDER, WAN_REPOSITORY, WAN_SHARD_INDEX } from '../model-files.ts';
import { DET_INPUT_HEIGHT, DET_INPUT_WIDTH } from '../features/detector.ts';

const ARCHITECTURES = JSON.parse(readFileSync(join(dirname(fileURLToPath(import.meta.url)), 'architectures.json'), 'utf8')) as {
  vae: [string, number[]][];
  pdfgc: [string, number[], string][];
  taehv: [string, number[]][];
};

/** Rank of the demo distill LoRA (the released one is 64, as its name says). */
export const DEMO_LORA_RANK = 4;

/**
 * A random LoRA in the diffusers/PEFT convention (`diffusion_model.<linear>.lora_A/B.weight`, `.alpha`)
 * on every attention and FFN linear of the DiT blocks: a stand-in for fast_lora_rank64.safetensors.
 */
function demoDistillLora(ditShapes: ReadonlyMap<string, readonly number[]>, random: SeededRandom): [string, Tensor][] {
  const out: [string, Tensor][] = [];
  for (const [key, shape] of ditShapes) {
    const m = /^(blocks\.\d+\.(?:self_attn|cross_attn)\.(?:q|k|v|o)|blocks\.\d+\.ffn\.[02])\.weight$/.exec(key);
    if (!m || shape.length !== 2) continue;
    const [rows, cols] = shape as [number, number];
    const a = random.fillNormal(new Float32Array(DEMO_LORA_RANK * cols)).map((v) => v / Math.sqrt(cols));
    const b = random.fillNormal(new Float32Array(rows * DEMO_LORA_RANK)).map((v) => 0.05 * v);
    out.push([`diffusion_model.${m[1]}.lora_A.weight`, createTensor('float32', [DEMO_LORA_RANK, cols], a)]);
    out.push([`diffusion_model.${m[1]}.lora_B.weight`, createTensor('float32', [rows, DEMO_LORA_RANK], b)]);
    out.push([`diffusion_model.${m[1]}.alpha`, createTensor('float32', [], [DEMO_LORA_RANK])]);
  }
  return out;
}

export const DEMO_TEXT_LEN = 32;

/** The DiT's config.json (Wan's keys; widths tiny). */
export const DEMO_DIT_CONFIG = {
  _class_name: 'WanModel',
  model_type: 'i2v',
  dim: 64,
  ffn_dim: 128,
  freq_dim: 32,
  in_dim: 36,
  out_dim: 16,
  num_heads: 4,
  num_layers: 2,
  eps: 1e-6,
  text_len: DEMO_TEXT_LEN,
  text_dim: 32,
  clip_dim: 160,
};

const SHARD = 'diffusion_pytorch_model-00001-of-00001.safetensors';

/** A tiny SentencePiece-Unigram vocabulary: letters, a few words, and byte fallback for the rest. */
function demoTokenizerJson() {
  const vocab: [string, number][] = [['<pad>', 0], ['</s>', 0], ['<unk>', 0], ['▁', -2]];
  for (const word of ['the', 'man', 'woman', 'is', 'singing', 'talking', 'smiling', 'a', 'person']) vocab.push([`▁${word}`, -1]);
  for (let c = 97; c <= 122; c++) vocab.push([String.fromCharCode(c), -4], [`▁${String.fromCharCode(c)}`, -4.5]);
  for (const p of ['.', ',', '!', '?', "'"]) vocab.push([p, -3]);
  for (let b = 0; b < 256; b++) vocab.push([`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`, -8]);
  return umt5TokenizerJson(vocab);
}

function demoUmt5Config(vocab: number): Umt5Config {
  return { vocab, dim: DEMO_DIT_CONFIG.text_dim, dimAttn: 32, dimFfn: 64, numHeads: 2, numLayers: 2, numBuckets: 32, maxDistance: 128, eps: 1e-6, textLen: DEMO_TEXT_LEN };
}

const DEMO_CLIP: ClipVisionConfig = {
  imageSize: 224, patchSize: 14, dim: DEMO_DIT_CONFIG.clip_dim, numHeads: 2, numLayers: 2, mlpRatio: 2, eps: 1e-5, embedDim: 32,
  mean: OPENAI_CLIP_MEAN, std: OPENAI_CLIP_STD,
};

/** PortraitEncoder keys: proj_model to the 2048 emotion width, two Resamplers of width 40 (20 heads of 2, as the released head count). */
function portraitEncoderShapes(width = 2048, dim = 40, depth = 1): Map<string, readonly number[]> {
  const shapes = new Map<string, readonly number[]>([
    ['proj_model.eye_proj.weight', [width, 6]],
    ['proj_model.emo_proj.weight', [width, 30]],
    ['proj_model.mouth_proj.weight', [width, 512]],
    ['proj_model.headpose_proj.weight', [width, 6]],
    ['proj_model.norm.weight', [width]],
    ['proj_model.norm.bias', [width]],
  ]);
  for (const [prefix, queries, inDim] of [['mouth_proj_model', 16, 512], ['emo_proj_model', 4, 30]] as const) {
    shapes.set(`${prefix}.latents`, [1, queries, dim]);
    shapes.set(`${prefix}.proj_in.weight`, [dim, inDim]);
    shapes.set(`${prefix}.proj_in.bias`, [dim]);
    shapes.set(`${prefix}.proj_out.weight`, [width, dim]);
    shapes.set(`${prefix}.proj_out.bias`, [width]);
    shapes.set(`${prefix}.norm_out.weight`, [width]);
    shapes.set(`${prefix}.norm_out.bias`, [width]);
    for (let i = 0; i < depth; i++) {
      const p = `${prefix}.layers.${i}.`;
      for (const n of ['0.norm1', '0.norm2', '1.0']) {
        shapes.set(`${p}${n}.weight`, [dim]);
        shapes.set(`${p}${n}.bias`, [dim]);
      }
      shapes.set(`${p}0.to_q.weight`, [dim, dim]);
      shapes.set(`${p}0.to_kv.weight`, [2 * dim, dim]);
      shapes.set(`${p}0.to_out.weight`, [dim, dim]);
      shapes.set(`${p}1.1.weight`, [4 * dim, dim]);
      shapes.set(`${p}1.3.weight`, [dim, 4 * dim]);
    }
  }
  return shapes;
}

/**
 * Random tensors for a key -> shape table. Norm scales and BatchNorm variances are 1 (plus a little
 * noise), biases small, matrices and kernels N(0, 1/fan_in) so activations stay in range through
 * every layer.
 */
function randomTensors(shapes: Iterable<readonly [string, readonly number[], string?]>, random: SeededRandom): [string, Tensor][] {
  const out: [string, Tensor][] = [];
  for (const [key, shape, dtype] of shapes) {
    if (dtype === 'int64') {
      out.push([key, createTensor('int64', [...shape], new BigInt64Array(Math.max(1, shape.reduce((a, b) => a * b, 1))))]);
      continue;
    }
    const size = shape.reduce((a, b) => a * b, 1);
    const data = random.fillNormal(new Float32Array(size));
    const leaf = key.split('.').pop()!;
    const isScale = /(^|\.)(norm[^.]*|bn\d*|gamma|ln[^.]*)\.weight$/.test(key) || leaf === 'gamma' || /norm/.test(key) && leaf === 'weight' && shape.length === 1;
    if (leaf === 'running_var') for (let i = 0; i < size; i++) data[i] = 1 + 0.1 * Math.abs(data[i]!);
    else if (leaf === 'running_mean') for (let i = 0; i < size; i++) data[i] = 0.05 * data[i]!;
    else if (isScale || (shape.length === 1 && /bn|norm/.test(key) && leaf === 'weight')) for (let i = 0; i < size; i++) data[i] = 1 + 0.05 * data[i]!;
    else if (leaf === 'bias' || shape.length === 1) for (let i = 0; i < size; i++) data[i] = 0.02 * data[i]!;
    else {
      const fanIn = shape.length >= 2 ? shape.slice(1).reduce((a, b) => a * b, 1) : shape[shape.length - 1]!;
      const scale = 1 / Math.sqrt(Math.max(1, fanIn));
      for (let i = 0; i < size; i++) data[i] = data[i]! * scale;
    }
    out.push([key, createTensor('float32', [...shape], data)]);
  }
  return out;
}

function entriesOf(shapes: ReadonlyMap<string, readonly number[]>): [string, readonly number[]][] {
  return [...shapes.entries()];
}

/** Anchor grid of a detector level (rows = ceil(272/s), cols = ceil(160/s)). */
function levelAnchors(stride: number): number {
  return Math.ceil(DET_INPUT_HEIGHT / stride) * Math.ceil(DET_INPUT_WIDTH / stride);
}

function avgPool(g: GraphBuilder, x: Value, kernel: number, stride: number): Value {
  const pad = (kernel - 1) / 2;
  return g.op('AveragePool', [x], { kernel_shape: { ints: [kernel, kernel] }, strides: { ints: [stride, stride] }, pads: { ints: [pad, pad, pad, pad] } })[0]!;
}

/**
 * Stand-in face_det.onnx with the released output contract (scores for strides 8/16/32, then 32-bin
 * side distances). It fires on bright blobs: at stride 16, score = sigmoid(10 * (mean brightness
 * within 41 px - mean within 121 px - 1.5)) (a centre-surround filter on the normalised input),
 * peaking at the centre of a bright disc on a dark background roughly 60-130 px across in the
 * 272x160 letterboxed input. Every side distance is 3 bins (48 px). The other levels never fire.
 * Synthetic driving clips (a light oval face on a dark background) therefore get one face.
 */
export function buildDemoFaceDetector(): Uint8Array {
  const g = new GraphBuilder({ name: 'demo_face_det' });
  const input = g.input('input', 'float32', [1, 3, DET_INPUT_HEIGHT, DET_INPUT_WIDTH]);
  const gray = g.reduceMean(input, [1]);
  const scores: Value[] = [];
  const distances: Value[] = [];
  const sideLogits = new Float32Array(32);
  for (let side = 0; side < 4; side++) for (let bin = 0; bin < 8; bin++) sideLogits[side * 8 + bin] = bin === 3 ? 12 : 0;
  const distanceRow = g.constant(createTensor('float32', [1, 1, 32], sideLogits), 'side_logits');
  for (const stride of [8, 16, 32]) {
    const n = levelAnchors(stride);
    let score: Value;
    if (stride === 16) {
      const inner = avgPool(g, gray, 41, stride);
      const outer = avgPool(g, gray, 121, stride);
      score = g.sigmoid(g.mul(g.sub(g.sub(inner, outer), g.scalar(1.5)), g.scalar(10)));
    } else {
      score = g.sigmoid(g.sub(g.mul(avgPool(g, gray, 1, stride), g.scalar(0)), g.scalar(10)));
    }
    const flat = g.reshape(score, [1, n, 1]);
    scores.push(flat);
    distances.push(g.add(g.mul(flat, g.scalar(0)), distanceRow));
  }
  scores.forEach((s, i) => g.output(s, `cls_pred_stride_${[8, 16, 32][i]}`));
  distances.forEach((d, i) => g.output(d, `dis_pred_stride_${[8, 16, 32][i]}`));
  return buildModel(g).bytes;
}

/**
 * 222 points of a frontal face template in crop units; the bounding box spans 0.075..0.925 so that
 * tracking from the previous points (crop = points' box at 0.85 of 128 px) is a fixed point.
 * Indices the code relies on: jaw ends 0 / 32, eye outer corners 74 / 96, nose tip 36, mouth corners
 * 133 / 149, pupils 182 / 202.
 */
export function demoLandmarkTemplate(): Float32Array {
  const points = new Float32Array(444);
  const set = (i: number, x: number, y: number): void => { points[i] = x; points[222 + i] = y; };
  for (let i = 0; i < 222; i++) {
    // Most points on an inner ellipse: they only need to lie inside the outline.
    const angle = (2 * Math.PI * i) / 222;
    set(i, 0.5 + 0.3 * Math.cos(angle), 0.55 + 0.25 * Math.sin(angle));
  }
  for (let i = 0; i <= 32; i++) {
    // Contour from the left temple down around the chin to the right temple.
    const angle = Math.PI - (Math.PI * i) / 32;
    set(i, 0.5 + 0.425 * Math.cos(angle), 0.5 + 0.425 * Math.sin(angle));
  }
  set(33, 0.5, 0.075); // brow top: closes the box at 0.075
  set(74, 0.3, 0.4);
  set(96, 0.7, 0.4);
  set(182, 0.35, 0.4);
  set(202, 0.65, 0.4);
  set(36, 0.5, 0.58);
  set(149, 0.38, 0.72);
  set(133, 0.62, 0.72);
  return points;
}

/**
 * Stand-in face_landmark.onnx (outputs landmark [1,444] planar, euler [1,3], prob [1,1]): the fixed
 * template above, zero head rotation, and a face probability that is high when the crop is mostly
 * bright (sigmoid(40 * (mean - 0.15))), ~0 on a dark crop.
 */
export function buildDemoFaceLandmarks(): Uint8Array {
  const g = new GraphBuilder({ name: 'demo_face_landmark' });
  const input = g.input('input', 'float32', [1, 3, 128, 128]);
  const mean = g.reshape(g.reduceMean(input, [1, 2, 3]), [1, 1]);
  const zero = g.mul(mean, g.scalar(0));
  g.output(g.add(zero, g.constant(createTensor('float32', [1, 444], demoLandmarkTemplate()), 'template')), 'landmark');
  g.output(g.add(zero, g.constant(createTensor('float32', [1, 3], new Float32Array(3)), 'euler0')), 'euler');
  g.output(g.sigmoid(g.mul(g.sub(mean, g.scalar(0.15)), g.scalar(40))), 'prob');
  return buildModel(g).bytes;
}

export interface DemoModelSetReport {
  readonly directory: string;
  readonly files: readonly string[];
}

/** Writes the demo set under `<modelsDirectory>/flash_portrait/`; the same seed gives the same bytes. */
export function writeDemoModelSet(modelsDirectory: string, seed = 0): DemoModelSetReport {
  const random = new SeededRandom(seed);
  const root = join(modelsDirectory, MODELS_SUBFOLDER);
  const wan = join(root, WAN_REPOSITORY.folder);
  const fp = join(root, FLASH_PORTRAIT_REPOSITORY.folder);
  mkdirSync(join(wan, 'google', 'umt5-xxl'), { recursive: true });
  mkdirSync(fp, { recursive: true });
  const written: string[] = [];
  const write = (path: string, tensors: [string, Tensor][]): void => {
    writeSafetensors(path, tensors, { format: 'pt', flashgraph: 'demo: random weights' });
    written.push(path);
  };

  // Transformer: the Wan base as one shard (with its index), the emotion projections in transformer.pt.
  writeFileSync(join(wan, 'config.json'), `${JSON.stringify(DEMO_DIT_CONFIG, null, 2)}\n`);
  const ditShapes = ditParameterShapes(parseDitConfig(DEMO_DIT_CONFIG));
  const ditTensors = randomTensors(entriesOf(ditShapes), random);
  write(join(wan, SHARD), ditTensors.filter(([key]) => !isEmotionProjection(key)));
  const weightMap = Object.fromEntries(ditTensors.filter(([key]) => !isEmotionProjection(key)).map(([key]) => [key, SHARD]));
  writeFileSync(join(wan, WAN_SHARD_INDEX), `${JSON.stringify({ metadata: {}, weight_map: weightMap }, null, 1)}\n`);
  write(join(fp, 'transformer.pt'), ditTensors.filter(([key]) => isEmotionProjection(key)));
  written.push(join(wan, 'config.json'), join(wan, WAN_SHARD_INDEX));

  const tokenizer = demoTokenizerJson();
  writeFileSync(join(wan, 'google', 'umt5-xxl', 'tokenizer.json'), JSON.stringify(tokenizer));
  written.push(join(wan, 'google', 'umt5-xxl', 'tokenizer.json'));
  write(join(wan, 'models_t5_umt5-xxl-enc-bf16.pth'), randomTensors(entriesOf(umt5WeightShapes(demoUmt5Config(tokenizer.model.vocab.length))), random));
  write(join(wan, 'models_clip_open-clip-xlm-roberta-large-vit-huge-14.pth'), randomTensors(entriesOf(clipVisualWeightShapes(DEMO_CLIP)), random));
  write(join(wan, 'Wan2.1_VAE.pth'), randomTensors(ARCHITECTURES.vae, random));
  write(join(fp, 'portrait_encoder.pt'), randomTensors(entriesOf(portraitEncoderShapes()), random));
  write(join(fp, 'pd_fpg.pth'), randomTensors(ARCHITECTURES.pdfgc, random));
  writeFileSync(join(fp, 'face_det.onnx'), buildDemoFaceDetector());
  writeFileSync(join(fp, 'face_landmark.onnx'), buildDemoFaceLandmarks());
  written.push(join(fp, 'face_det.onnx'), join(fp, 'face_landmark.onnx'));
  // Fast mode's optional files (acceleration distill4), drawn last so the files above keep their bytes.
  write(join(fp, FAST_LORA_FILE), demoDistillLora(ditShapes, random));
  write(join(fp, FAST_VAE_FILE), randomTensors(ARCHITECTURES.taehv, random));
  return { directory: root, files: written.sort() };
}
