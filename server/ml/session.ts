// ORT sessions over built models: options, EP fallback at creation, and Tensor in/out.
import ort from 'onnxruntime-node';
import { resolveExecutionProvider } from './device.ts';
import type { ExecutionProviderName, ExecutionProviderRequest, Precision, ProviderChoice } from './device.ts';
import { fromOrtTensor, toOrtTensor } from './tensor.ts';
import type { Tensor } from './tensor.ts';

export interface SessionConfig {
  /** A resolved choice (from resolveExecutionProvider), or a request resolved here. */
  readonly provider?: ProviderChoice | ExecutionProviderRequest;
  readonly precision?: Precision;
  readonly graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
  readonly intraOpNumThreads?: number;
  /**
   * Keep external weights memory-mapped (ORT `disable_prepacking`): no packed copy of every MatMul
   * weight, pages stay file-backed and reclaimable. Default true.
   */
  readonly memoryMapped?: boolean;
  /**
   * ORT's CPU arena (default on). It keeps every block it grew for the session's life, doubling its
   * growth steps; off, every tensor is malloc'd and freed after its last use (for graphs whose
   * intermediates are few and huge, this trades page faults for a much lower resident peak).
   */
  readonly cpuMemArena?: boolean;
  readonly log?: (message: string) => void;
}

export interface ModelBytes {
  readonly bytes: Uint8Array;
  readonly externalDataFolder: string | undefined;
}

/**
 * Process-wide totals of time spent inside onnxruntime runs: how benches and diagnostics tell
 * our own overhead from the networks' compute. Counters only; nothing reads them to decide.
 */
export const sessionRunTotals = { calls: 0, milliseconds: 0 };

export class ModelSession {
  constructor(readonly session: ort.InferenceSession, readonly provider: ExecutionProviderName, readonly message: string) {}

  get inputNames(): readonly string[] { return this.session.inputNames; }
  get outputNames(): readonly string[] { return this.session.outputNames; }

  async run(feeds: Record<string, Tensor>, outputs?: readonly string[]): Promise<Record<string, Tensor>> {
    const ortFeeds: Record<string, ort.Tensor> = {};
    for (const [name, t] of Object.entries(feeds)) ortFeeds[name] = toOrtTensor(t);
    const started = performance.now();
    const result = outputs ? await this.session.run(ortFeeds, [...outputs]) : await this.session.run(ortFeeds);
    sessionRunTotals.calls++;
    sessionRunTotals.milliseconds += performance.now() - started;
    const out: Record<string, Tensor> = {};
    for (const [name, t] of Object.entries(result)) out[name] = fromOrtTensor(t);
    return out;
  }

  /**
   * Runs with some outputs written into buffers the caller owns (`into`: output name -> tensor of
   * the output's exact shape); ORT computes them straight into those buffers, which may even be
   * input buffers the graph has finished reading (an in-place update). onnxruntime-node still
   * returns a copy of every output; the copies of `into` outputs are dropped here, and the returned
   * record holds only the other fetched outputs (`fetch`).
   */
  async runInto(feeds: Record<string, Tensor>, fetch: readonly string[], into: Record<string, Tensor>): Promise<Record<string, Tensor>> {
    const ortFeeds: Record<string, ort.Tensor> = {};
    for (const [name, t] of Object.entries(feeds)) ortFeeds[name] = toOrtTensor(t);
    const fetches: Record<string, ort.Tensor | null> = {};
    for (const name of fetch) fetches[name] = null;
    for (const [name, t] of Object.entries(into)) fetches[name] = toOrtTensor(t);
    const started = performance.now();
    const result = await this.session.run(ortFeeds, fetches);
    sessionRunTotals.calls++;
    sessionRunTotals.milliseconds += performance.now() - started;
    const out: Record<string, Tensor> = {};
    for (const name of fetch) out[name] = fromOrtTensor(result[name]!);
    return out;
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}

export function sessionOptions(model: ModelBytes, provider: ExecutionProviderName, config: SessionConfig): ort.InferenceSession.SessionOptions {
  const session: Record<string, string> = {};
  if (config.memoryMapped ?? true) session.disable_prepacking = '1';
  if (model.externalDataFolder) session.model_external_initializers_file_folder_path = model.externalDataFolder;
  const options: ort.InferenceSession.SessionOptions = {
    executionProviders: provider === 'cpu' ? ['cpu'] : [provider, 'cpu'],
    graphOptimizationLevel: config.graphOptimizationLevel ?? 'all',
    logSeverityLevel: 3,
    extra: { session },
  };
  if (config.intraOpNumThreads !== undefined) options.intraOpNumThreads = config.intraOpNumThreads;
  if (config.cpuMemArena !== undefined) options.enableCpuMemArena = config.cpuMemArena;
  return options;
}

/**
 * A session on the chosen provider; if that provider fails on this model, a CPU session and a
 * message saying why.
 */
export async function createSession(model: ModelBytes, config: SessionConfig = {}): Promise<ModelSession> {
  const log = config.log ?? ((m: string) => console.info(`[ml] ${m}`));
  const choice = typeof config.provider === 'object' ? config.provider : await resolveExecutionProvider(config.provider ?? 'auto', config.precision ?? 'fp32');
  let message = choice.message;
  if (choice.provider !== 'cpu') {
    try {
      const s = await ort.InferenceSession.create(model.bytes, sessionOptions(model, choice.provider, config));
      log(message);
      return new ModelSession(s, choice.provider, message);
    } catch (err) {
      message = `execution provider cpu: ${choice.provider} could not create this session (${err instanceof Error ? err.message.split('\n')[0] : String(err)}), falling back`;
    }
  }
  const s = await ort.InferenceSession.create(model.bytes, sessionOptions(model, 'cpu', config));
  log(message);
  return new ModelSession(s, 'cpu', message);
}
