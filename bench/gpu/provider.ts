// Which ORT execution provider the bench runs on. Unlike the server (which falls back to the CPU
// and carries on), a real-size bench on the CPU would run for hours and measure nothing asked for,
// so the fallback is GPU-to-GPU only: cuda -> webgpu, and then a clear refusal.
import { computeDtypeFor, probeProvider } from '../../server/ml/device.ts';
import type { ExecutionProviderName, ProbeResult, ProviderChoice } from '../../server/ml/device.ts';
import type { BenchDevice } from './args.ts';

export interface BenchProvider {
  readonly choice: ProviderChoice;
  /** Lines to print and to put in the results: what was tried and why it was not used. */
  readonly notes: readonly string[];
}

const ORDER: Readonly<Record<BenchDevice, readonly ExecutionProviderName[]>> = {
  cuda: ['cuda', 'webgpu'],
  webgpu: ['webgpu'],
  cpu: ['cpu'],
};

export async function chooseBenchProvider(device: BenchDevice, allowCpu: boolean, probe: (p: ExecutionProviderName) => Promise<ProbeResult> = probeProvider): Promise<BenchProvider> {
  const notes: string[] = [];
  const candidates = allowCpu && device !== 'cpu' ? [...ORDER[device], 'cpu' as const] : ORDER[device];
  for (const provider of candidates) {
    const result = await probe(provider);
    if (!result.ok) {
      notes.push(`${provider} unavailable: ${result.reason}`);
      continue;
    }
    if (provider !== device) notes.push(`--device ${device} requested, running on ${provider}`);
    const { dtype } = computeDtypeFor(provider, 'fp32');
    const choice: ProviderChoice = { provider, requested: device, computeDtype: dtype, message: `bench on ${provider}`, fallbacks: [] };
    return { choice, notes };
  }
  const hint = device === 'cpu' ? '' : ' Unpack the carried Vulkan loader (bench/gpu/run.sh does) or pass --allow-cpu to measure the CPU instead.';
  throw new Error(`no usable execution provider for --device ${device}: ${notes.join('; ')}.${hint}`);
}
