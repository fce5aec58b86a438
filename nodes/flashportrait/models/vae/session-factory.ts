// Turns a graph into a session with the caller's provider and conversion-cache settings.
import type { ProviderChoice, ExecutionProviderRequest } from '../../../../server/ml/device.ts';
import { buildModel } from '../../../../server/ml/onnx/build-model.ts';
import type { GraphBuilder } from '../../../../server/ml/onnx/graph-builder.ts';
import { createSession } from '../../../../server/ml/session.ts';
import type { ModelSession } from '../../../../server/ml/session.ts';

export interface VaeSessionOptions {
  readonly provider?: ProviderChoice | ExecutionProviderRequest;
  /** Where converted weight copies go (needed for fp16/bf16 checkpoints on the CPU). */
  readonly cacheDir?: string;
  readonly intraOpNumThreads?: number;
  readonly log?: (message: string) => void;
}

export function openGraphSession(graph: GraphBuilder, options: VaeSessionOptions): Promise<ModelSession> {
  const model = buildModel(graph, options.cacheDir === undefined ? {} : { cacheDir: options.cacheDir });
  return createSession(model, {
    provider: options.provider ?? 'cpu',
    ...(options.intraOpNumThreads === undefined ? {} : { intraOpNumThreads: options.intraOpNumThreads }),
    ...(options.log === undefined ? {} : { log: options.log }),
  });
}

/** A session built on first use and shared by later callers. */
export class LazySession {
  private pending: Promise<ModelSession> | undefined;

  constructor(private readonly make: () => Promise<ModelSession>) {}

  get(): Promise<ModelSession> {
    this.pending ??= this.make();
    return this.pending;
  }

  async release(): Promise<void> {
    const p = this.pending;
    this.pending = undefined;
    if (p) await (await p).release();
  }
}
