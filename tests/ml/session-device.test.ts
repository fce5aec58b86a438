import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { goldenDir } from '../helpers/golden.ts';
import { linuxGpuDeviceNode, probeProvider, resolveExecutionProvider } from '../../server/ml/device.ts';
import type { ProviderChoice } from '../../server/ml/device.ts';
import { GraphBuilder } from '../../server/ml/onnx/graph-builder.ts';
import { buildModel } from '../../server/ml/onnx/build-model.ts';
import { ModelManager } from '../../server/ml/model-manager.ts';
import { createSession } from '../../server/ml/session.ts';
import { createTensor } from '../../server/ml/tensor.ts';

interface IoSpec { name: string; shape: number[]; dtype: string }

function tinyModel() {
  const g = new GraphBuilder();
  const x = g.input('x', 'float32', [2]);
  g.output(g.mul(x, g.scalar(3)), 'y');
  return buildModel(g);
}

describe('execution provider selection', () => {
  it('WebGPU is only tried where Linux shows a GPU device node', () => {
    const fake = (tree: Record<string, string[]>) => (dir: string) => tree[dir] ?? [];
    expect(linuxGpuDeviceNode(fake({ '/dev': ['null', 'tty', 'shm'] }))).toBeUndefined();
    expect(linuxGpuDeviceNode(fake({ '/dev': ['null', 'dri'], '/dev/dri': ['card0'] }))).toBeUndefined();
    expect(linuxGpuDeviceNode(fake({ '/dev': ['null', 'dri'], '/dev/dri': ['card0', 'renderD128'] }))).toBe('/dev/dri/renderD128');
    expect(linuxGpuDeviceNode(fake({ '/dev': ['nvidiactl', 'nvidia0', 'nvidia-uvm'] }))).toBe('/dev/nvidia0');
    expect(linuxGpuDeviceNode(fake({ '/dev': ['dxg'] }))).toBe('/dev/dxg');
  });

  it('the fallback logic reports each unavailable provider and why (injected probes)', async () => {
    const probe = async (p: string) => (p === 'cpu' ? { ok: true as const } : { ok: false as const, reason: `${p} broken here` });
    const auto = await resolveExecutionProvider('auto', 'fp16', probe);
    expect(auto.provider).toBe('cpu');
    expect(auto.computeDtype).toBe('float32');
    expect(auto.message).toMatch(/cuda unavailable: cuda broken here; webgpu unavailable: webgpu broken here/);
    expect(auto.message).toMatch(/fp16 requested, CPU computes in float32/);
    const gpu = await resolveExecutionProvider('auto', 'bf16', async (p) => (p === 'webgpu' || p === 'cpu' ? { ok: true } : { ok: false, reason: 'no driver' }));
    expect(gpu.provider).toBe('webgpu');
    expect(gpu.computeDtype).toBe('float16');
    const cuda = await resolveExecutionProvider('cuda', 'bf16', async () => ({ ok: true }));
    expect([cuda.provider, cuda.computeDtype, cuda.message]).toEqual(['cuda', 'bfloat16', 'execution provider cuda, computing in bfloat16: as requested']);
  });

  it.each(['webgpu', 'cuda'] as const)('asking for %s where it cannot start yields a working cpu session and says why', async (provider) => {
    const probe = await probeProvider(provider);
    if (probe.ok) {
      console.info(`[device] ${provider} is available on this machine: fallback not exercised`);
      return;
    }
    const messages: string[] = [];
    const session = await createSession(tinyModel(), { provider, log: (m) => messages.push(m) });
    expect(session.provider).toBe('cpu');
    expect(session.message).toMatch(new RegExp(`^execution provider cpu, computing in float32: fallback: ${provider} unavailable: .+`));
    if (provider === 'cuda') expect(session.message).toMatch(/libonnxruntime_providers_cuda\.so is not in .*ONNXRUNTIME_NODE_INSTALL=cuda12 npm rebuild onnxruntime-node/);
    if (provider === 'webgpu') expect(session.message).toMatch(/WebGPU needs a GPU adapter and libvulkan\.so\.1/);
    expect(messages).toEqual([session.message]);
    const { y } = await session.run({ x: createTensor('float32', [2], [1, -2]) });
    expect(Array.from(y!.data as Float32Array)).toEqual([3, -6]);
    await session.release();
  });

  it('a provider that passed selection but fails on the model falls back to cpu at session creation', async () => {
    if ((await probeProvider('webgpu')).ok) return;
    const forced: ProviderChoice = { provider: 'webgpu', requested: 'webgpu', computeDtype: 'float32', message: 'forced', fallbacks: [] };
    const session = await createSession(tinyModel(), { provider: forced, log: () => {} });
    expect(session.provider).toBe('cpu');
    expect(session.message).toMatch(/webgpu could not create this session \(.+\), falling back/);
    await session.release();
  });
});

describe('ModelManager', () => {
  class FakeModel {
    released = false;
    constructor(readonly id: string) {}
    async release(): Promise<void> { this.released = true; }
  }

  it('loads once, keeps models warm, evicts the least recently used idle model over budget, never one in use', async () => {
    const loads: string[] = [];
    const log: string[] = [];
    const mm = new ModelManager<FakeModel>({ budgetBytes: 100, log: (m) => log.push(m) });
    const spec = (id: string, bytes: number) => ({ estimatedBytes: bytes, load: async () => { loads.push(id); return new FakeModel(id); } });
    const [a1, a2] = await Promise.all([mm.acquire('a', spec('a', 40)), mm.acquire('a', spec('a', 40))]);
    expect(a1.model).toBe(a2.model);
    a1.release(); a2.release();
    await mm.use('b', spec('b', 40), () => {});
    await mm.use('a', spec('a', 40), () => {}); // a is now more recent than b
    expect(loads).toEqual(['a', 'b']);
    const c = await mm.acquire('c', spec('c', 40));
    expect(mm.loadedIds().sort()).toEqual(['a', 'c']);
    expect(log.join('\n')).toMatch(/unloading b \(least recently used/);
    const aLease = await mm.acquire('a', spec('a', 40));
    await mm.acquire('d', spec('d', 40)); // a and c in use: over budget, nothing evictable
    expect(mm.loadedIds().sort()).toEqual(['a', 'c', 'd']);
    expect(log.at(-1)).toMatch(/nothing idle left/);
    await expect(mm.unload('a')).rejects.toThrow(/in use/);
    aLease.release(); c.release();
    const aModel = aLease.model;
    expect(await mm.unloadAll()).toBe(2);
    expect(aModel.released).toBe(true);
    expect(mm.loadedIds()).toEqual(['d']);
  });

  it('a failed load leaves no slot behind', async () => {
    const mm = new ModelManager({ budgetBytes: 10 });
    await expect(mm.acquire('x', { estimatedBytes: 1, load: async () => { throw new Error('bad model'); } })).rejects.toThrow('bad model');
    expect(mm.has('x')).toBe(false);
    expect(mm.usedBytes).toBe(0);
  });
});

describe.skipIf(!goldenDir('face'))('shipped .onnx models', () => {
  it.each(['face_det.onnx', 'face_landmark.onnx'])('%s loads on CPU with the inputs/outputs keys.json lists and runs', async (file) => {
    const dir = goldenDir('face')!;
    const spec = (JSON.parse(readFileSync(join(dir, 'keys.json'), 'utf8')) as Record<string, { inputs: IoSpec[]; outputs: IoSpec[] }>)[file]!;
    const session = await createSession({ bytes: readFileSync(join(dir, file)), externalDataFolder: undefined }, { provider: 'cpu', log: () => {} });
    expect([...session.inputNames]).toEqual(spec.inputs.map((i) => i.name));
    expect([...session.outputNames]).toEqual(spec.outputs.map((o) => o.name));
    const feeds = Object.fromEntries(spec.inputs.map((i) => [i.name, createTensor('float32', i.shape)]));
    const out = await session.run(feeds);
    for (const o of spec.outputs) expect(out[o.name]!.shape, o.name).toEqual(o.shape);
    await session.release();
  });
});
