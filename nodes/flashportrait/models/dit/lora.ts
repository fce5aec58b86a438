// A LoRA for the DiT as a low-rank branch in the graph: for each matched linear,
// y += (x · Aᵀ) · Bᵀ · (alpha / rank) · strength, with A (lora_down / lora_A, [rank, in]) and
// B (lora_up / lora_B, [out, rank]) as graph weights pointing into the LoRA file. The base weights
// are not rewritten. Key conventions: kohya (`lora_unet_blocks_0_self_attn_q.lora_down.weight`,
// `.lora_up.weight`, `.alpha`) and diffusers / PEFT / ComfyUI (`diffusion_model.blocks.0.self_attn.q.
// lora_A.weight`, `lora_B.weight`, optional `.alpha`; also dotted `lora_down` / `lora_up`).
import { openWeights, readTensorFloat32 } from '../../../../server/ml/index.ts';
import type { TensorEntry, WeightIndex } from '../../../../server/ml/index.ts';

/** One low-rank branch: graph weight keys (in the merged index) and its total scale. */
export interface LoraBranch {
  /** A, [rank, in]. */
  readonly down: string;
  /** B, [out, rank]. */
  readonly up: string;
  /** alpha / rank * strength. */
  readonly scale: number;
  readonly rank: number;
}

export interface DitLora {
  /** Linear prefix (e.g. `blocks.0.self_attn.q`) -> branch. */
  readonly branches: ReadonlyMap<string, LoraBranch>;
  /** The LoRA's tensors under `LORA_KEY_PREFIX` + their own key, ready to merge into the DiT's index. */
  readonly weights: WeightIndex;
  /** LoRA keys that matched no DiT linear, or pairs left incomplete. */
  readonly warnings: readonly string[];
  readonly source: string;
}

/** Prefix of LoRA tensors inside the graph's weight index (keeps them apart from the base keys). */
export const LORA_KEY_PREFIX = 'lora::';

const SUFFIXES: ReadonlyArray<readonly [string, 'down' | 'up' | 'alpha']> = [
  ['.lora_down.weight', 'down'],
  ['.lora_up.weight', 'up'],
  ['.lora_A.weight', 'down'],
  ['.lora_B.weight', 'up'],
  ['.lora_A.default.weight', 'down'],
  ['.lora_B.default.weight', 'up'],
  ['.alpha', 'alpha'],
];

const MODULE_PREFIXES = ['base_model.model.', 'diffusion_model.', 'model.diffusion_model.', 'transformer.', 'model.'];

/**
 * The linear prefixes a LoRA can target: every 2-D `<prefix>.weight` of the DiT, from its
 * parameter table (key -> shape).
 */
export function loraTargets(parameterShapes: ReadonlyMap<string, readonly number[]>): Map<string, readonly number[]> {
  const targets = new Map<string, readonly number[]>();
  for (const [key, shape] of parameterShapes) if (key.endsWith('.weight') && shape.length === 2) targets.set(key.slice(0, -'.weight'.length), shape);
  return targets;
}

/** The DiT linear prefix a LoRA module name refers to, or undefined. */
function resolveModule(name: string, targets: ReadonlyMap<string, unknown>, kohya: ReadonlyMap<string, string>): string | undefined {
  if (name.startsWith('lora_unet_')) return kohya.get(name.slice('lora_unet_'.length).replace(/^_+/, ''));
  if (targets.has(name)) return name;
  for (const prefix of MODULE_PREFIXES) if (name.startsWith(prefix) && targets.has(name.slice(prefix.length))) return name.slice(prefix.length);
  return undefined;
}

function scalarOf(entry: TensorEntry): number {
  const t = readTensorFloat32(entry);
  if (t.data.length !== 1) throw new Error(`${entry.file}: ${entry.key} should be a scalar alpha, has shape [${entry.shape}]`);
  return Number(t.data[0]);
}

/**
 * Maps a LoRA's keys onto the DiT's linears. `strength` multiplies every branch's alpha/rank.
 * A shape that does not fit its linear is an error; keys that match nothing are warnings.
 */
export function loadDitLora(source: string | WeightIndex, parameterShapes: ReadonlyMap<string, readonly number[]>, strength = 1): DitLora {
  const index = typeof source === 'string' ? openWeights(source) : source;
  const targets = loraTargets(parameterShapes);
  const kohya = new Map([...targets.keys()].map((prefix) => [prefix.replace(/\./g, '_'), prefix]));
  const warnings: string[] = [];
  const modules = new Map<string, { down?: TensorEntry; up?: TensorEntry; alpha?: TensorEntry; keys: string[] }>();
  for (const [key, entry] of index.tensors) {
    const suffix = SUFFIXES.find(([s]) => key.endsWith(s));
    const target = suffix ? resolveModule(key.slice(0, -suffix[0].length), targets, kohya) : undefined;
    if (!suffix || !target) {
      warnings.push(`${key}: matches no DiT linear`);
      continue;
    }
    const module = modules.get(target) ?? { keys: [] };
    if (module[suffix[1]]) throw new Error(`${index.source}: ${key} targets ${target}, which another key already sets`);
    module[suffix[1]] = entry;
    module.keys.push(key);
    modules.set(target, module);
  }
  const branches = new Map<string, LoraBranch>();
  const tensors = new Map<string, TensorEntry>();
  for (const [target, m] of modules) {
    if (!m.down || !m.up) {
      warnings.push(`${m.keys.join(', ')}: ${target} lacks its ${m.down ? 'up (lora_B)' : 'down (lora_A)'} matrix; ignored`);
      continue;
    }
    const [out, inp] = targets.get(target)! as [number, number];
    const [rank, downIn] = m.down.shape as [number, number];
    if (m.down.shape.length !== 2 || m.up.shape.length !== 2 || downIn !== inp || m.up.shape[0] !== out || m.up.shape[1] !== rank) {
      throw new Error(`${index.source}: LoRA for ${target} has down [${m.down.shape}] / up [${m.up.shape}], the linear is [${out}, ${inp}]`);
    }
    const alpha = m.alpha ? scalarOf(m.alpha) : rank;
    const down = `${LORA_KEY_PREFIX}${m.down.key}`;
    const up = `${LORA_KEY_PREFIX}${m.up.key}`;
    tensors.set(down, m.down);
    tensors.set(up, m.up);
    branches.set(target, { down, up, scale: (alpha / rank) * strength, rank });
  }
  return { branches, warnings, source: index.source, weights: { ...index, tensors } };
}
