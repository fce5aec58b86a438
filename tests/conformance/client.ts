// A ComfyUI test client in the manner of ComfyUI's tests/execution/test_execution.py: a real
// server with the testing pack loaded from tests/nodes, prompts queued over HTTP with a
// client_id, /ws read until `executing` null, then /history and every image through /view.
import { randomUUID } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { startServer, type RunningServer } from '../../server/api/server.ts';
import type { CachePolicy } from '../../server/runtime/cache.ts';
import type { ApiPrompt, FileRef } from '../../types/api.ts';
import { WsClient, type WsMessage } from '../api/helpers.ts';
import { tempDir } from '../helpers/engine.ts';

export const TEST_PACKS_DIRECTORY = join(dirname(fileURLToPath(import.meta.url)), '..', 'nodes');

/** The cache policies ComfyUI's execution tests run under, and whether results survive. */
export const CACHE_POLICIES: { name: string; cache: CachePolicy; cachesResults: boolean }[] = [
  { name: 'classic', cache: { kind: 'classic' }, cachesResults: true },
  { name: 'lru 100', cache: { kind: 'lru', size: 100 }, cachesResults: true },
  { name: 'none', cache: { kind: 'none' }, cachesResults: false },
];

export async function startConformanceServer(cache: CachePolicy): Promise<RunningServer> {
  const server = await startServer({
    port: 0,
    folders: { base: tempDir('flashgraph-conformance-') },
    packs: { customNodesDirectory: TEST_PACKS_DIRECTORY },
    cache,
    log: () => {},
    onError: () => {},
  });
  const pack = server.packs.find((p) => p.name === 'testing-pack');
  if (!pack || pack.failure) {
    await server.close();
    throw new Error(`the testing pack did not load: ${pack?.failure ?? 'not found'}`);
  }
  return server;
}

/** The pixels of one saved image, as /view served it. */
export interface Pixels {
  width: number;
  height: number;
  data: Buffer;
  min: number;
  max: number;
  mean: number;
}

export async function decodePng(bytes: Buffer): Promise<Pixels> {
  const { data, info } = await sharp(bytes).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  let min = 255;
  let max = 0;
  let sum = 0;
  for (const v of data) {
    min = Math.min(min, v);
    max = Math.max(max, v);
    sum += v;
  }
  return { width: info.width, height: info.height, data, min, max, mean: sum / data.length };
}

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: any,
  ) {
    super(`HTTP ${status}: ${JSON.stringify(body)}`);
  }
}

/** An `execution_error` for the prompt (ComfyUI's client raises it with the message data). */
export class ExecutionError extends Error {
  constructor(readonly data: Record<string, any>) {
    super(`execution_error: ${JSON.stringify(data)}`);
  }
}

export class RunResult {
  /** History `outputs` of the prompt. */
  outputs: Record<string, Record<string, unknown[]>> = {};
  /** Nodes an `executing` message named (they ran). */
  readonly runs = new Set<string>();
  /** Nodes `execution_cached` named. */
  readonly cached = new Set<string>();
  readonly images = new Map<string, Pixels[]>();
  messages: WsMessage[] = [];
  /** `node_errors` of the POST /prompt answer (outputs dropped at validation). */
  nodeErrors: Record<string, unknown> = {};

  constructor(readonly promptId: string) {}

  didRun(id: string): boolean {
    return this.runs.has(id);
  }

  wasExecuted(id: string): boolean {
    return this.runs.has(id) || this.cached.has(id);
  }

  getImages(id: string): Pixels[] {
    return this.images.get(id) ?? [];
  }
}

/** Builds prompts with readable ids, like ComfyUI's GraphBuilder. */
export class Graph {
  readonly nodes: ApiPrompt = {};
  #next = 1;

  constructor(readonly prefix: string) {}

  node(classType: string, inputs: Record<string, unknown> = {}, id?: string): GraphNode {
    const nodeId = id ?? `${this.prefix}${this.#next++}`;
    this.nodes[nodeId] = { class_type: classType, inputs: { ...inputs } };
    return new GraphNode(this, nodeId);
  }

  remove(id: string): void {
    delete this.nodes[id];
  }

  finalize(): ApiPrompt {
    return structuredClone(this.nodes);
  }
}

export class GraphNode {
  constructor(
    readonly graph: Graph,
    readonly id: string,
  ) {}

  out(slot: number): [string, number] {
    return [this.id, slot];
  }

  set(name: string, value: unknown): this {
    this.graph.nodes[this.id]!.inputs[name] = value;
    return this;
  }

  get inputs(): Record<string, unknown> {
    return this.graph.nodes[this.id]!.inputs;
  }
}

export class ComfyClient {
  readonly clientId: string;
  testName = 'conformance';

  private constructor(
    readonly server: RunningServer,
    readonly ws: WsClient,
    clientId: string,
  ) {
    this.clientId = clientId;
  }

  static async connect(server: RunningServer, clientId: string = randomUUID()): Promise<ComfyClient> {
    const ws = await WsClient.open(server.url, { path: `/ws?clientId=${encodeURIComponent(clientId)}` });
    return new ComfyClient(server, ws, clientId);
  }

  async queuePrompt(prompt: ApiPrompt, partialExecutionTargets?: string[]): Promise<{ prompt_id: string; number: number; node_errors: Record<string, unknown> }> {
    const body: Record<string, unknown> = { prompt, client_id: this.clientId };
    if (partialExecutionTargets !== undefined) body.partial_execution_targets = partialExecutionTargets;
    const res = await fetch(`${this.server.url}/prompt`, { method: 'POST', body: JSON.stringify(body) });
    const json = await res.json();
    if (res.status !== 200) throw new HttpError(res.status, json);
    return json as { prompt_id: string; number: number; node_errors: Record<string, unknown> };
  }

  async getJson(path: string): Promise<any> {
    const res = await fetch(`${this.server.url}${path}`);
    const json = await res.json();
    if (res.status !== 200) throw new HttpError(res.status, json);
    return json;
  }

  async getImage(image: FileRef): Promise<Buffer> {
    const query = new URLSearchParams({ filename: image.filename, subfolder: image.subfolder, type: image.type });
    const res = await fetch(`${this.server.url}/view?${query}`);
    if (res.status !== 200) throw new HttpError(res.status, await res.text());
    return Buffer.from(await res.arrayBuffer());
  }

  /** Queues the graph and waits for its end; throws the first execution_error, like ComfyUI's client. */
  async run(graph: Graph | ApiPrompt, partialExecutionTargets?: string[]): Promise<RunResult> {
    const prompt = graph instanceof Graph ? graph.finalize() : structuredClone(graph);
    for (const node of Object.values(prompt)) {
      if (node.class_type === 'TestSaveImage') node.inputs.filename_prefix = this.testName;
    }
    const { prompt_id: promptId, node_errors: nodeErrors } = await this.queuePrompt(prompt, partialExecutionTargets);
    await this.ws.finished(promptId, 20_000);
    const result = new RunResult(promptId);
    result.nodeErrors = nodeErrors;
    result.messages = this.ws.forPrompt(promptId);
    for (const message of result.messages) {
      if (message.type === 'executing' && message.data.node !== null) result.runs.add(message.data.node);
      if (message.type === 'execution_cached') for (const id of message.data.nodes) result.cached.add(id);
      if (message.type === 'execution_error') throw new ExecutionError(message.data);
    }
    const history = await this.getJson(`/history/${promptId}`);
    result.outputs = history[promptId].outputs;
    for (const [nodeId, output] of Object.entries(result.outputs)) {
      const images = (output.images ?? []) as FileRef[];
      result.images.set(nodeId, await Promise.all(images.map(async (image) => decodePng(await this.getImage(image)))));
    }
    return result;
  }

  close(): Promise<void> {
    return this.ws.close();
  }
}
