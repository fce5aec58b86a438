// Turns a FlashPortraitPipe (file locations + settings) into the sampling loop's injected networks.
// Every network is a ModelManager entry: built and opened on first use, kept between runs, evicted
// under the host's budget or by /free. GPU_memory_mode decides how many stay loaded at once.
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { createTensor, ModelManager, openWeights, resolveExecutionProvider } from '../../server/ml/index.ts';
import type { ProviderChoice, Releasable, Tensor, WeightIndex } from '../../server/ml/index.ts';
import type { ClipVisionConfig } from './models/clip/config.ts';
import { OPENAI_CLIP_MEAN, OPENAI_CLIP_STD } from './models/clip/config.ts';
import { ClipImageEncoder } from './models/clip/image-encoder.ts';
import { loadDitLora } from './models/dit/lora.ts';
import type { DitLora } from './models/dit/lora.ts';
import { DitModel } from './models/dit/model.ts';
import type { DitComputeDtype } from './models/dit/model.ts';
import { ditParameterShapes } from './models/dit/parameter-shapes.ts';
import { ditTransformer } from './models/dit/transformer-call.ts';
import { loadDitWeights } from './models/dit/weights.ts';
import { PortraitEncoderModel } from './models/portrait-encoder/model.ts';
import type { Umt5Config } from './models/t5/config.ts';
import { PromptEmbedder, PromptEmbeddingCache } from './models/t5/prompt-embedder.ts';
import type { PromptEncoder } from './models/t5/prompt-embedder.ts';
import { modelKeyOf, Umt5Encoder } from './models/t5/text-encoder.ts';
import type { TokenBatch } from './models/t5/text-encoder.ts';
import { Umt5Tokenizer } from './models/t5/tokenizer.ts';
import { TinyVaeDecoder } from './models/vae/tiny-vae.ts';
import { WanVae } from './models/vae/wan-vae.ts';
import type { PixelVideo } from './pipeline/conditioning.ts';
import type { FlashPortraitNetworks, TransformerCall } from './pipeline/networks.ts';
import type { FlashPortraitPipe } from './types.ts';

/** Prefix of every FlashPortrait entry in the shared model manager. */
export const NETWORK_ID_PREFIX = 'flashportrait/';

/** Conversion copies (bf16/fp16 -> f32 on the CPU) of the released files live next to them. */
export function conversionCacheDir(pipe: FlashPortraitPipe): string {
  return join(pipe.files.wanDirectory, '..', '.flashgraph-cache');
}

// Prompt rows and tokenizers outlive a run: re-running with the same prompt skips the encoder.
const promptCaches = new WeakMap<ModelManager, PromptEmbeddingCache>();
const tokenizers = new Map<string, Umt5Tokenizer>();

export interface PipeNetworksOptions {
  /** Session messages (provider choice, fallbacks). Default: each distinct one once, on stderr (stdout may carry --json). */
  readonly log?: (message: string) => void;
  /** Called with the network about to run (tests observe loading and offload order). */
  readonly onNetwork?: (name: NetworkName) => void;
  /** A DiT LoRA (safetensors) added as a low-rank branch to the linears it targets. */
  readonly lora?: { readonly path: string; readonly strength: number };
  /** Decode with this TAEHV checkpoint (fast_vae.pth) instead of the Wan VAE; encoding still uses the Wan VAE. */
  readonly tinyVae?: string;
}

/** One line per LoRA: how many keys matched nothing, with the first few. */
export function loraWarningMessage(lora: DitLora): string | undefined {
  if (lora.warnings.length === 0) return undefined;
  const shown = lora.warnings.slice(0, 5).join('; ');
  return `${lora.source}: ${lora.warnings.length} LoRA key(s) not applied: ${shown}${lora.warnings.length > 5 ? '; ...' : ''}`;
}

export type NetworkName = 'transformer' | 'vae' | 'text_encoder' | 'image_encoder' | 'portrait_encoder';

/**
 * umT5 hyper-parameters of an encoder checkpoint: widths and depth from the tensor shapes, heads
 * from the relative-position table; the rest are the released values (fixed upstream).
 */
export function umt5ConfigFromWeights(weights: WeightIndex, textLen: number): Umt5Config {
  const shape = (key: string): readonly number[] => {
    const entry = weights.tensors.get(key);
    if (!entry) throw new Error(`${weights.source}: not a umT5 encoder checkpoint (no ${key})`);
    return entry.shape;
  };
  const [vocab, dim] = shape('token_embedding.weight') as [number, number];
  let numLayers = 0;
  while (weights.tensors.has(`blocks.${numLayers}.norm1.weight`)) numLayers++;
  const [numBuckets, numHeads] = shape('blocks.0.pos_embedding.embedding.weight') as [number, number];
  return {
    vocab,
    dim,
    dimAttn: shape('blocks.0.attn.q.weight')[0]!,
    dimFfn: shape('blocks.0.ffn.fc1.weight')[0]!,
    numHeads,
    numLayers,
    numBuckets,
    maxDistance: 128,
    eps: 1e-6,
    textLen,
  };
}

/** ViT-H/14's head width: heads are not visible in the checkpoint, its width divided by 80 gives them (16 for 1280). */
export const CLIP_HEAD_DIM = 80;

/** The visual tower's hyper-parameters from a checkpoint's `visual.*` shapes. */
export function clipConfigFromWeights(weights: WeightIndex): ClipVisionConfig {
  const shape = (key: string): readonly number[] => {
    const entry = weights.tensors.get(key);
    if (!entry) throw new Error(`${weights.source}: not an open-clip ViT checkpoint (no ${key})`);
    return entry.shape;
  };
  const [dim, , patchSize] = shape('visual.patch_embedding.weight') as [number, number, number];
  const tokens = shape('visual.pos_embedding')[1]!;
  const side = Math.round(Math.sqrt(tokens - 1));
  if (side * side !== tokens - 1) throw new Error(`${weights.source}: visual.pos_embedding has ${tokens} tokens, not a square grid plus cls`);
  if (dim % CLIP_HEAD_DIM !== 0) throw new Error(`${weights.source}: CLIP width ${dim} is not a multiple of the head width ${CLIP_HEAD_DIM}`);
  let numLayers = 0;
  while (weights.tensors.has(`visual.transformer.${numLayers}.norm1.weight`)) numLayers++;
  return {
    imageSize: side * patchSize,
    patchSize,
    dim,
    numHeads: dim / CLIP_HEAD_DIM,
    numLayers,
    mlpRatio: shape('visual.transformer.0.mlp.0.weight')[0]! / dim,
    eps: 1e-5,
    embedDim: shape('visual.head')[1]!,
    mean: OPENAI_CLIP_MEAN,
    std: OPENAI_CLIP_STD,
  };
}

function fileBytes(paths: readonly string[]): number {
  return paths.reduce((sum, path) => sum + statSync(path).size, 0);
}

function tensorOf(value: Tensor | undefined, what: string): Tensor {
  if (!value) throw new Error(`${what} produced no output`);
  return value;
}

/**
 * The pipeline's networks for `pipe`, loaded lazily through `models`. In `default` mode every
 * network stays loaded once used; in the offload modes only the running one is kept (the others are
 * unloaded before it loads), trading reload time for peak memory.
 */
export function networksFromPipe(pipe: FlashPortraitPipe, models: ModelManager, options: PipeNetworksOptions = {}): FlashPortraitNetworks {
  const files = pipe.files;
  const cacheDir = conversionCacheDir(pipe);
  const seen = new Set<string>();
  const log = options.log ?? ((message: string) => {
    if (seen.has(message)) return;
    seen.add(message);
    console.info(`[ml] ${message}`);
  });
  let provider: Promise<ProviderChoice> | undefined;
  const providerChoice = (): Promise<ProviderChoice> => (provider ??= resolveExecutionProvider(pipe.device, pipe.precision));
  const session = async () => ({ provider: await providerChoice(), precision: pipe.precision, log });
  const idOf = (name: NetworkName, path: string): string => `${NETWORK_ID_PREFIX}${name}:${path}:${pipe.device}:${pipe.precision}`;
  const offload = pipe.memoryMode !== 'default';

  async function use<T extends Releasable, R>(name: NetworkName, path: string, bytes: () => number, load: () => Promise<T>, run: (model: T) => Promise<R>): Promise<R> {
    const id = idOf(name, path);
    options.onNetwork?.(name);
    if (offload) {
      for (const other of models.loadedIds()) if (other !== id && other.startsWith(NETWORK_ID_PREFIX)) await models.unload(other);
    }
    return models.use(id, { estimatedBytes: bytes(), load }, (model) => run(model as T));
  }

  const loraSpec = options.lora;
  // model_cpu_offload_and_qfloat8: the offload above, plus the DiT's linears with 8-bit weights (MatMulNBits).
  const weightBits = pipe.memoryMode === 'model_cpu_offload_and_qfloat8' ? (8 as const) : undefined;
  const transformerKey = `${loraSpec ? `${files.transformerOverlay}+lora:${loraSpec.path}@${loraSpec.strength}` : files.transformerOverlay}${weightBits ? '+q8' : ''}${process.env.FLASHGRAPH_DIT_ATTENTION_CHUNK ? `+attn${process.env.FLASHGRAPH_DIT_ATTENTION_CHUNK}` : ''}`;
  const transformerBytes = (): number => fileBytes([...files.transformerShards, files.transformerOverlay, ...(loraSpec ? [loraSpec.path] : [])]);
  const loadTransformer = async (): Promise<{ call: FlashPortraitNetworks['transformer']; release(): Promise<void> }> => {
    const weights = loadDitWeights(files.wanDirectory, files.transformerOverlay);
    let lora: DitLora | undefined;
    if (loraSpec) {
      lora = loadDitLora(loraSpec.path, ditParameterShapes(weights.config), loraSpec.strength);
      const warning = loraWarningMessage(lora);
      if (warning) log(warning);
    }
    // The choice's computeDtype (computeDtypeFor) picks the graph variant: fp32 on the CPU, fp16 / bf16 on a GPU provider.
    // MatMulNBits has no bfloat16 kernel, so 8-bit weights with bf16 asked for compute in fp16.
    const s = await session();
    let computeDtype: DitComputeDtype | undefined;
    if (weightBits && s.provider.computeDtype === 'bfloat16') {
      computeDtype = 'float16';
      log('model_cpu_offload_and_qfloat8: the 8-bit DiT computes in fp16 (no bf16 MatMulNBits kernel)');
    }
    const attentionQueryChunk = ditAttentionChunk(s.provider.provider);
    const model = await DitModel.create(weights, { cacheDir, session: s, lora, weightBits, computeDtype, ...(attentionQueryChunk ? { attentionQueryChunk } : {}) });
    return { call: ditTransformer(model), release: () => model.release() };
  };

  const vaeBytes = (): number => fileBytes([files.vae]);
  const loadVae = async (): Promise<WanVae> => WanVae.open(files.vae, { provider: await providerChoice(), cacheDir, log });
  const tinyVae = options.tinyVae;
  const loadTinyVae = async (): Promise<TinyVaeDecoder> => TinyVaeDecoder.open(tinyVae!, { provider: await providerChoice(), cacheDir, log });

  const textLen = Number(pipe.transformerConfig.text_len ?? 512);
  const textBytes = (): number => fileBytes([files.textEncoder]);
  const loadText = async (): Promise<Umt5Encoder> => {
    const config = umt5ConfigFromWeights(openWeights(files.textEncoder), textLen);
    return Umt5Encoder.load(files.textEncoder, { config, cacheDir, session: await session() });
  };
  const promptCache = promptCaches.get(models) ?? new PromptEmbeddingCache();
  promptCaches.set(models, promptCache);
  let textConfig: Umt5Config | undefined;
  const promptEncoder: PromptEncoder = {
    get modelKey() {
      textConfig ??= umt5ConfigFromWeights(openWeights(files.textEncoder), textLen);
      return modelKeyOf(files.textEncoder, textConfig);
    },
    config: { textLen },
    encode: (tokens: TokenBatch) => use('text_encoder', files.textEncoder, textBytes, loadText, (encoder) => encoder.encode(tokens)),
  };
  let embedder: PromptEmbedder | undefined;
  const promptEmbedder = (): PromptEmbedder => {
    if (!embedder) {
      let tokenizer = tokenizers.get(files.tokenizer);
      if (!tokenizer) tokenizers.set(files.tokenizer, (tokenizer = Umt5Tokenizer.fromFile(files.tokenizer)));
      embedder = new PromptEmbedder(tokenizer, promptEncoder, promptCache);
    }
    return embedder;
  };

  const clipBytes = (): number => fileBytes([files.imageEncoder]);
  const loadClip = async (): Promise<ClipImageEncoder> => {
    const config = clipConfigFromWeights(openWeights(files.imageEncoder));
    return ClipImageEncoder.load(files.imageEncoder, { config, cacheDir, session: await session() });
  };

  const portraitBytes = (): number => fileBytes([files.portraitEncoder]);
  const loadPortrait = async (): Promise<PortraitEncoderModel> => PortraitEncoderModel.create(files.portraitEncoder, { cacheDir, session: await session() });

  const decodeWhole: FlashPortraitNetworks['vaeDecode'] = async (latents, shape) => {
    const input = createTensor('float32', [1, shape.channels, shape.frames, shape.height, shape.width], latents);
    const video = tinyVae
      ? await use('vae', tinyVae, () => fileBytes([tinyVae]), loadTinyVae, (vae) => vae.decode(input))
      : await use('vae', files.vae, vaeBytes, loadVae, (vae) => vae.decode(input));
    return pixelVideo(video);
  };

  return {
    transformer: (call: TransformerCall) => use('transformer', transformerKey, transformerBytes, loadTransformer, (model) => model.call(call)),
    async vaeEncode(video) {
      const input = createTensor('float32', [1, 3, video.frames, video.height, video.width], video.data);
      // Streamed as the original chunks it (frame 0, then 4 frames per call): the whole-sequence
      // graph's activations grow with the clip (28 GB for 81 frames at 720x1280).
      const latents = await use('vae', files.vae, vaeBytes, loadVae, (vae) => vae.encode(input, { strategy: 'streaming' }));
      return latents.data as Float32Array;
    },
    vaeDecode: decodeWhole,
    async vaeDecodeChunks(latents, onChunk) {
      const { shape } = latents;
      async function* frameTensors() {
        for await (const frame of latents.frames()) yield createTensor('float32', [1, shape.channels, 1, shape.height, shape.width], frame);
      }
      // The tiny decoder streams chunks of latent frames with a few decoded again as warm-up
      // (TinyVaeDecoder.decodeStream); the Wan VAE one latent frame at a time with its caches.
      if (tinyVae) {
        await use('vae', tinyVae, () => fileBytes([tinyVae]), loadTinyVae, async (vae) => {
          for await (const chunk of vae.decodeStream(frameTensors())) await onChunk(pixelVideo(chunk));
        });
        return;
      }
      await use('vae', files.vae, vaeBytes, loadVae, async (vae) => {
        for await (const chunk of vae.decodeFrames(frameTensors())) await onChunk(pixelVideo(chunk));
      });
    },
    async portraitEncoder(call) {
      const frames = call.frameEnd - call.frameStart;
      const input = createTensor('float32', [1, frames, call.features.length / frames], call.features);
      const out = await use('portrait_encoder', files.portraitEncoder, portraitBytes, loadPortrait, (model) => model.encode(input));
      return { tokens: out.data as Float32Array, width: out.shape[2]! };
    },
    clipImage: (pixels, height, width) => use('image_encoder', files.imageEncoder, clipBytes, loadClip, async (encoder) => tensorOf(await encoder.encode(pixels, height, width), 'CLIP')),
    async textEncoder(prompt) {
      return tensorOf((await promptEmbedder().embed([prompt]))[0], 'text encoder');
    },
  };
}

/** [1, 3, F, H, W] -> the pipeline's pixel video. */
function pixelVideo(video: Tensor): PixelVideo {
  const [, , frames, height, width] = video.shape as [number, number, number, number, number];
  return { frames, height, width, data: video.data as Float32Array };
}

/**
 * Query-tile size of the DiT's self-attention on a provider (0 = untiled). ORT's WebGPU attention
 * holds the whole score matrix (86 GB at 480x832): tiles of 256 queries bound it to 0.7-1.6 GB.
 * CUDA's attention kernels are memory-efficient already; the CPU runs small videos only.
 * FLASHGRAPH_DIT_ATTENTION_CHUNK overrides it (0 turns tiling off).
 */
export function ditAttentionChunk(provider: string, env: NodeJS.ProcessEnv = process.env): number {
  const forced = env.FLASHGRAPH_DIT_ATTENTION_CHUNK;
  if (forced !== undefined && forced !== '') {
    const n = Number(forced);
    if (!Number.isInteger(n) || n < 0) throw new Error(`FLASHGRAPH_DIT_ATTENTION_CHUNK must be a whole number of query tokens (0 = untiled), got "${forced}"`);
    return n;
  }
  return provider === 'webgpu' ? 256 : 0;
}
