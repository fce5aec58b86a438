// Choosing an execution provider. ORT throws when a requested EP cannot start (it does not fall
// back), so every non-CPU provider is probed with a one-node session first and the reason for any
// fallback is reported.
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import ort from 'onnxruntime-node';
import type { DType } from './dtype.ts';
import { onnx } from './onnx/proto.ts';

export type ExecutionProviderName = 'cpu' | 'cuda' | 'webgpu';
export type ExecutionProviderRequest = 'auto' | ExecutionProviderName;
export type Precision = 'fp32' | 'fp16' | 'bf16';

export interface ProviderChoice {
  readonly provider: ExecutionProviderName;
  readonly requested: ExecutionProviderRequest;
  /** The float dtype graphs should compute in on this provider. */
  readonly computeDtype: DType;
  /** One line for logs and the UI: what was chosen and why. */
  readonly message: string;
  readonly fallbacks: ReadonlyArray<{ readonly provider: ExecutionProviderName; readonly reason: string }>;
}

export type ProbeResult = { readonly ok: true } | { readonly ok: false; readonly reason: string };

const AUTO_ORDER: ExecutionProviderName[] = ['cuda', 'webgpu', 'cpu'];

/** Folder of onnxruntime-node's native libraries (where `npm rebuild` puts the CUDA provider). */
const ORT_BINARIES = join(dirname(createRequire(import.meta.url).resolve('onnxruntime-node/package.json')), 'bin', 'napi-v6', process.platform, process.arch);
const probes = new Map<ExecutionProviderName, Promise<ProbeResult>>();

function identityModel(): Uint8Array {
  const vi = { name: 'x', type: { tensorType: { elemType: 1, shape: { dim: [{ dimValue: 1 }] } } } };
  const model = onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 17 }],
    graph: { name: 'probe', node: [{ opType: 'Identity', input: ['x'], output: ['y'] }], input: [vi], output: [{ ...vi, name: 'y' }] },
  });
  return onnx.ModelProto.encode(model).finish();
}

function firstLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  const lines = text.split('\n').map((l) => l.trim()).filter(Boolean);
  const useful = lines.find((l) => /fail|unable|cannot|not found|no supported|error/i.test(l)) ?? lines[0] ?? 'unknown error';
  return useful.length > 240 ? `${useful.slice(0, 240)}…` : useful;
}

function installHint(provider: ExecutionProviderName): string {
  const backend = ort.listSupportedBackends().find((b) => b.name === provider);
  if (provider === 'cuda' && backend && !backend.bundled) {
    return ' (CUDA libraries are not installed: run `ONNXRUNTIME_NODE_INSTALL=cuda12 npm rebuild onnxruntime-node` on a machine with an NVIDIA driver)';
  }
  if (provider === 'webgpu') return ' (WebGPU needs a GPU adapter and libvulkan.so.1)';
  return '';
}

/**
 * On Linux a GPU shows up as a device node: /dev/nvidia0 (NVIDIA), /dev/dri/renderD* (Mesa, AMD,
 * Intel) or /dev/dxg (WSL). Without one, Dawn can only find software Vulkan, which it rejects after
 * printing native errors, so WebGPU is not tried at all.
 */
export function linuxGpuDeviceNode(listDevices: (dir: string) => readonly string[] = safeList): string | undefined {
  const dev = listDevices('/dev');
  const direct = dev.find((name) => name === 'nvidia0' || name === 'dxg');
  if (direct) return `/dev/${direct}`;
  const render = dev.includes('dri') ? listDevices('/dev/dri').find((name) => name.startsWith('renderD')) : undefined;
  return render ? `/dev/dri/${render}` : undefined;
}

function safeList(dir: string): readonly string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/** Whether a provider can create a session here; cached per process. */
export function probeProvider(provider: ExecutionProviderName): Promise<ProbeResult> {
  if (provider === 'cpu') return Promise.resolve({ ok: true });
  let p = probes.get(provider);
  if (!p) {
    p = (async (): Promise<ProbeResult> => {
      if (!ort.listSupportedBackends().some((b) => b.name === provider)) return { ok: false, reason: `${provider} is not a backend of this onnxruntime-node build` };
      // Without its provider library ORT can only fail, after printing a native error line that no
      // log level silences: say so without trying.
      if (provider === 'cuda' && !existsSync(join(ORT_BINARIES, 'libonnxruntime_providers_cuda.so'))) {
        return { ok: false, reason: `libonnxruntime_providers_cuda.so is not in ${ORT_BINARIES}${installHint(provider)}` };
      }
      if (provider === 'webgpu' && process.platform === 'linux' && !linuxGpuDeviceNode()) {
        return { ok: false, reason: `no GPU device on this machine (none of /dev/nvidia0, /dev/dri/renderD*, /dev/dxg)${installHint(provider)}` };
      }
      try {
        const session = await ort.InferenceSession.create(identityModel(), { executionProviders: [provider], logSeverityLevel: 4 });
        await session.release();
        return { ok: true };
      } catch (err) {
        return { ok: false, reason: firstLine(err) + installHint(provider) };
      }
    })();
    probes.set(provider, p);
  }
  return p;
}

/** What each provider computes in for a requested precision (CPU: float32 only, see platform facts). */
export function computeDtypeFor(provider: ExecutionProviderName, precision: Precision): { dtype: DType; note?: string } {
  if (provider === 'cpu') {
    return precision === 'fp32' ? { dtype: 'float32' } : { dtype: 'float32', note: `${precision} requested, CPU computes in float32 (no bf16 MatMul kernel; f16 would be upcast at load, doubling RAM)` };
  }
  if (provider === 'webgpu' && precision === 'bf16') return { dtype: 'float16', note: 'bf16 requested, WebGPU has no bfloat16: using float16' };
  return { dtype: precision === 'fp32' ? 'float32' : precision === 'fp16' ? 'float16' : 'bfloat16' };
}

export async function resolveExecutionProvider(requested: ExecutionProviderRequest = 'auto', precision: Precision = 'fp32', probe: (p: ExecutionProviderName) => Promise<ProbeResult> = probeProvider): Promise<ProviderChoice> {
  const candidates: ExecutionProviderName[] = requested === 'auto' ? AUTO_ORDER : requested === 'cpu' ? ['cpu'] : [requested, 'cpu'];
  const fallbacks: { provider: ExecutionProviderName; reason: string }[] = [];
  for (const provider of candidates) {
    const result = await probe(provider);
    if (!result.ok) {
      fallbacks.push({ provider, reason: result.reason });
      continue;
    }
    const { dtype, note } = computeDtypeFor(provider, precision);
    const why = requested === 'auto'
      ? `auto-detected${fallbacks.length ? ` (${fallbacks.map((f) => `${f.provider} unavailable: ${f.reason}`).join('; ')})` : ''}`
      : provider === requested ? 'as requested' : `fallback: ${fallbacks.map((f) => `${f.provider} unavailable: ${f.reason}`).join('; ')}`;
    const message = `execution provider ${provider}, computing in ${dtype}: ${why}${note ? `; ${note}` : ''}`;
    return { provider, requested, computeDtype: dtype, message, fallbacks };
  }
  throw new Error(`no execution provider could start: ${fallbacks.map((f) => `${f.provider}: ${f.reason}`).join('; ')}`);
}

/** A device flag (`--device`, ComfyUI's `--cpu` / `--cuda-device`): the provider, and which CUDA GPU. */
export interface DeviceSetting {
  readonly provider: ExecutionProviderRequest;
  /** Index of the one CUDA device this process may use (CUDA_VISIBLE_DEVICES). */
  readonly cudaDevice?: number;
}

/** `auto`, `cpu`, `webgpu`, `cuda` or `cuda:N`. */
export function parseDeviceFlag(text: string): DeviceSetting {
  const value = text.trim().toLowerCase();
  const cuda = /^cuda(?::(\d+))?$/.exec(value);
  if (cuda) return cuda[1] === undefined ? { provider: 'cuda' } : { provider: 'cuda', cudaDevice: Number(cuda[1]) };
  if (value === 'auto' || value === 'cpu' || value === 'webgpu') return { provider: value };
  throw new Error(`unknown device "${text}": use auto, cpu, webgpu, cuda or cuda:N`);
}

/**
 * Makes a device setting take effect for this process: a chosen CUDA GPU becomes the only one the
 * CUDA runtime sees (as ComfyUI's --cuda-device does), before any session starts CUDA.
 */
export function applyDeviceSetting(setting: DeviceSetting, env: NodeJS.ProcessEnv = process.env): void {
  if (setting.cudaDevice !== undefined) env.CUDA_VISIBLE_DEVICES = String(setting.cudaDevice);
}

/** The host's device for nodes asked to pick one (`auto`): the `device` service, else auto. */
export function hostDevice(services: Readonly<Record<string, unknown>>): ExecutionProviderRequest {
  const device = services.device;
  if (typeof device !== 'string') return 'auto';
  try {
    return parseDeviceFlag(device).provider;
  } catch {
    return 'auto';
  }
}
