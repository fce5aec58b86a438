// The FlashPortrait workflow end to end on the demo model set: `graph models demo`, a synthetic
// driving clip (a light oval face with moving eyes/mouth on a dark background, 24 frames at 25 fps,
// with a tone), `graph run` of the shipped UI and API workflows, and a host re-run where only the
// prompt changes.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer } from '../../server/api/server.ts';
import { createHost, type Host } from '../../server/host.ts';
import { uiToApi } from '../../server/workflow/index.ts';
import { WsClient } from '../api/helpers.ts';
import type { ModelManager } from '../../server/ml/model-manager.ts';
import type { ApiPrompt, FileRef, HistoryEntry } from '../../types/api.ts';
import { tempDir } from '../helpers/engine.ts';
import { DEMO_DRIVING_FRAMES, DEMO_DRIVING_VIDEO, DEMO_REFERENCE_IMAGE } from '../../nodes/flashportrait/demo/demo-media.ts';
import { frameRgb, probe } from '../media/helpers.ts';

const root = join(import.meta.dirname, '..', '..');
const graph = (args: string[], env: NodeJS.ProcessEnv = process.env) => spawnSync(process.execPath, [join(root, 'bin', 'graph.js'), ...args], { encoding: 'utf8', cwd: root, env });

function videoStream(path: string) {
  const info = probe(path);
  return { video: info.streams.find((s) => s.codec_type === 'video')!, audio: info.streams.find((s) => s.codec_type === 'audio') };
}

describe('FlashPortrait demo workflow', () => {
  let base: string;
  let host: Host | undefined;
  /** The mp4 each `graph run` of a shipped workflow made. */
  const madeBy: Record<string, string> = {};

  beforeAll(() => {
    base = tempDir('flashgraph-fp-demo-');
  });

  afterAll(async () => {
    await host?.runner.stop();
  });

  it('graph models demo writes the released layout, deterministically, and the demo inputs', () => {
    const first = graph(['models', 'demo', '--base-directory', base]);
    expect(first.status, first.stderr).toBe(0);
    const lines = first.stdout.trim().split('\n').slice(1);
    const inputs = [join(base, 'input', DEMO_DRIVING_VIDEO), join(base, 'input', DEMO_REFERENCE_IMAGE)];
    expect(lines.slice(-2)).toEqual(inputs);
    expect(Number(videoStream(inputs[0]!).video.nb_read_frames)).toBe(DEMO_DRIVING_FRAMES);
    const files = lines.slice(0, -2);
    expect(files.map((f) => f.slice(join(base, 'models').length + 1)).sort()).toEqual([
      'flash_portrait/FlashPortrait/face_det.onnx',
      'flash_portrait/FlashPortrait/face_landmark.onnx',
      'flash_portrait/FlashPortrait/fast_lora_rank64.safetensors',
      'flash_portrait/FlashPortrait/fast_vae.pth',
      'flash_portrait/FlashPortrait/pd_fpg.pth',
      'flash_portrait/FlashPortrait/portrait_encoder.pt',
      'flash_portrait/FlashPortrait/transformer.pt',
      'flash_portrait/Wan2.1-I2V-14B-720P/Wan2.1_VAE.pth',
      'flash_portrait/Wan2.1-I2V-14B-720P/config.json',
      'flash_portrait/Wan2.1-I2V-14B-720P/diffusion_pytorch_model-00001-of-00001.safetensors',
      'flash_portrait/Wan2.1-I2V-14B-720P/diffusion_pytorch_model.safetensors.index.json',
      'flash_portrait/Wan2.1-I2V-14B-720P/google/umt5-xxl/tokenizer.json',
      'flash_portrait/Wan2.1-I2V-14B-720P/models_clip_open-clip-xlm-roberta-large-vit-huge-14.pth',
      'flash_portrait/Wan2.1-I2V-14B-720P/models_t5_umt5-xxl-enc-bf16.pth',
    ]);
    const digest = () => files.map((f) => createHash('sha256').update(readFileSync(f)).digest('hex'));
    const before = digest();
    const again = graph(['models', 'demo', '--base-directory', base]);
    expect(again.status).toBe(0);
    expect(digest()).toEqual(before);
    // The user's own inputs are never overwritten.
    expect(again.stdout).not.toContain(DEMO_DRIVING_VIDEO);
  });

  for (const workflow of ['flashportrait-demo.json', 'flashportrait-demo.api.json']) {
    it(`graph run workflows/${workflow} makes a video with the driving clip's frames, fps and audio`, () => {
      const run = graph(['run', join('workflows', workflow), '--base-directory', base, '--json']);
      expect(run.status, run.stderr.slice(-2000)).toBe(0);
      const result = JSON.parse(run.stdout);
      expect(result.status).toBe('success');
      const mp4 = (result.files as string[]).find((f) => f.endsWith('.mp4'))!;
      madeBy[workflow] = mp4;
      const driving = videoStream(join(base, 'input', 'driving.mp4'));
      const made = videoStream(mp4);
      expect(Number(made.video.nb_read_frames)).toBe(DEMO_DRIVING_FRAMES);
      expect(made.video.avg_frame_rate).toBe(driving.video.avg_frame_rate);
      expect([made.video.width, made.video.height]).toEqual([48, 64]);
      expect(made.audio).toBeDefined();
      expect(Math.abs(Number(made.audio!.duration) - Number(driving.audio!.duration))).toBeLessThan(0.05);
    }, 60_000);
  }

  it('with a 0 MB frame RAM budget the Sampler spills its output to temp/frame-store: same video, file removed at exit', () => {
    const store = join(base, 'temp', 'frame-store');
    rmSync(store, { recursive: true, force: true });
    const run = graph(['run', join('workflows', 'flashportrait-demo.api.json'), '--base-directory', base, '--json'], { ...process.env, FLASHGRAPH_FRAME_RAM_MB: '0' });
    expect(run.status, run.stderr.slice(-2000)).toBe(0);
    const result = JSON.parse(run.stdout);
    expect(result.status).toBe('success');
    // The store's folder exists only when a writer spilled; this process's subfolder went at exit.
    expect(existsSync(store)).toBe(true);
    expect(readdirSync(store)).toEqual([]);
    const mp4 = (result.files as string[]).find((f) => f.endsWith('.mp4'))!;
    expect(Number(videoStream(mp4).video.nb_read_frames)).toBe(DEMO_DRIVING_FRAMES);
    const digests = (file: string) => [0, 7, DEMO_DRIVING_FRAMES - 1].map((k) => createHash('sha256').update(frameRgb(file, k)).digest('hex'));
    expect(digests(mp4)).toEqual(digests(madeBy['flashportrait-demo.api.json']!));
  }, 60_000);

  it('re-running with only the prompt changed re-runs the Sampler onwards; progress per DiT call and previews', async () => {
    host = await createHost({ folders: { base }, ephemeralHistory: true });
    const prompt = JSON.parse(readFileSync(join(root, 'workflows', 'flashportrait-demo.api.json'), 'utf8')) as ApiPrompt;
    const run = async (p: ApiPrompt) => {
      const events: { type: string; data: Record<string, unknown> }[] = [];
      let previews = 0;
      const off = host!.runner.on((e) => {
        if (e.kind === 'execution') events.push(e.event as never);
        if (e.kind === 'preview' && e.nodeId === '6' && e.preview.format === 'PNG') previews++;
      });
      const submitted = await host!.runner.submit({ prompt: p });
      if (!submitted.ok) throw new Error(JSON.stringify(submitted));
      const entry = await host!.runner.waitFor(submitted.promptId);
      off();
      return { entry, previews, events: events.filter((e) => e.data.prompt_id === submitted.promptId) };
    };
    const first = await run(prompt);
    expect(first.entry.status.status_str).toBe('success');
    // 2 steps x 2 CFG branches (emo_cfg_scale 4), one window: 4 DiT calls.
    const progress = first.events.filter((e) => e.type === 'progress' && e.data.node === '6').map((e) => [e.data.value, e.data.max]);
    // Previews repeat the current value; each DiT call advances it once.
    const advances = progress.filter((p, i) => i === 0 || p[0] !== progress[i - 1]![0]);
    // Then one step per latent frame decoded into output frames (24 frames = 6 x 4).
    expect(advances).toEqual([[1, 10], [2, 10], [3, 10], [4, 10], [5, 10], [6, 10], [7, 10], [8, 10], [9, 10], [10, 10]]);
    expect(first.previews).toBe(2);

    const changed = structuredClone(prompt);
    changed['6']!.inputs.prompt = 'The woman is talking';
    const second = await run(changed);
    expect(second.entry.status.status_str).toBe('success');
    const cached = second.events.find((e) => e.type === 'execution_cached')!.data.nodes as string[];
    expect(cached.sort()).toEqual(['1', '2', '3', '4', '5']);
    const executed = second.events.filter((e) => e.type === 'executing' && e.data.node).map((e) => e.data.node);
    expect(executed).toEqual(['6', '7', '8']);

    // Interrupting during sampling stops at the next DiT call.
    const interrupted = structuredClone(prompt);
    interrupted['6']!.inputs.seed = 7;
    let calls = 0;
    const off = host.runner.on((e) => {
      if (e.kind === 'execution' && e.event.type === 'progress' && (e.event.data as { node?: string }).node === '6' && ++calls === 1) void host!.runner.interrupt();
    });
    const third = await run(interrupted);
    off();
    expect(third.events.some((e) => e.type === 'execution_interrupted')).toBe(true);
    const sampled = third.events.filter((e) => e.type === 'progress' && e.data.node === '6').map((e) => e.data.value);
    expect(Math.max(...(sampled as number[]))).toBeLessThan(4);
  }, 60_000);

  it('acceleration distill4: 4 steps with the distill LoRA in the DiT and the tiny VAE decoder, same frame count', async () => {
    const prompt = JSON.parse(readFileSync(join(root, 'workflows', 'flashportrait-demo.api.json'), 'utf8')) as ApiPrompt;
    prompt['6']!.inputs.acceleration = 'distill4';
    const progress: number[][] = [];
    const off = host!.runner.on((e) => {
      if (e.kind === 'execution' && e.event.type === 'progress' && (e.event.data as { node?: string }).node === '6') progress.push([(e.event.data as { value: number }).value, (e.event.data as { max: number }).max]);
    });
    const submitted = await host!.runner.submit({ prompt });
    if (!submitted.ok) throw new Error(JSON.stringify(submitted));
    const entry = await host!.runner.waitFor(submitted.promptId);
    off();
    expect(entry.status.status_str).toBe('success');
    // 4 distilled steps x 2 CFG branches, then the tiny VAE's single whole decode (6 steps at once).
    expect(progress.filter((p, i) => i === 0 || p[0] !== progress[i - 1]![0]).map((p) => p[0])).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 14]);
    expect(progress.at(-1)).toEqual([14, 14]);
    const saved = Object.values(entry.outputs).flatMap((ui) => (ui.images ?? []) as FileRef[]).find((f) => f.filename.endsWith('.mp4'))!;
    const made = videoStream(join(base, saved.type, saved.subfolder, saved.filename));
    expect(Number(made.video.nb_read_frames)).toBe(DEMO_DRIVING_FRAMES);
    const ids = (host!.runner.options.env.services.models as ModelManager).loadedIds();
    expect(ids.some((id) => id.includes('+lora:') && id.includes('fast_lora_rank64.safetensors'))).toBe(true);
    expect(ids.some((id) => id.startsWith('flashportrait/vae:') && id.includes('fast_vae.pth'))).toBe(true);
  }, 60_000);

  it('initial_video_frames: its first frame anchors the video; the reference itself as initial frames changes nothing', async () => {
    const base0 = JSON.parse(readFileSync(join(root, 'workflows', 'flashportrait-demo.api.json'), 'utf8')) as ApiPrompt;
    base0['6']!.inputs.seed = 1234;
    const frames = async (p: ApiPrompt) => {
      const submitted = await host!.runner.submit({ prompt: p });
      if (!submitted.ok) throw new Error(JSON.stringify(submitted));
      const entry = await host!.runner.waitFor(submitted.promptId);
      expect(entry.status.status_str).toBe('success');
      const saved = Object.values(entry.outputs).flatMap((ui) => (ui.images ?? []) as FileRef[]).find((f) => f.filename.endsWith('.mp4'))!;
      const file = join(base, saved.type, saved.subfolder, saved.filename);
      expect(Number(videoStream(file).video.nb_read_frames)).toBe(DEMO_DRIVING_FRAMES);
      return [0, 5, DEMO_DRIVING_FRAMES - 1].map((k) => createHash('sha256').update(frameRgb(file, k)).digest('hex'));
    };
    const plain = await frames(base0);
    const withReference = structuredClone(base0);
    withReference['6']!.inputs.initial_video_frames = ['5', 0];
    expect(await frames(withReference)).toEqual(plain);
    // The driving clip's frames (a different picture, a different size) as the starting canvas.
    const withDriving = structuredClone(base0);
    withDriving['6']!.inputs.initial_video_frames = ['2', 0];
    const driven = await frames(withDriving);
    expect(driven.every((digest, k) => digest !== plain[k])).toBe(true);
  }, 60_000);

  it('runs the UI workflow through the server as the editor queues it, and /view serves the mp4', async () => {
    const server = await startServer({ port: 0, folders: { base }, log: () => {}, onError: () => {} });
    try {
      const workflow = JSON.parse(readFileSync(join(root, 'workflows', 'flashportrait-demo.json'), 'utf8'));
      const { prompt, warnings } = uiToApi(workflow, server.registry.objectInfo(server.storage));
      expect(warnings).toEqual([]);
      const clientId = 'flashportrait-editor';
      const ws = await WsClient.open(server.url, { path: `/ws?clientId=${clientId}` });
      const queued = await fetch(`${server.url}/api/prompt`, {
        method: 'POST',
        body: JSON.stringify({ prompt, client_id: clientId, extra_data: { extra_pnginfo: { workflow } } }),
      });
      expect(queued.status).toBe(200);
      const { prompt_id } = (await queued.json()) as { prompt_id: string };
      await ws.waitFor((m) => m.type === 'executing' && m.data.node === null && m.data.prompt_id === prompt_id, 60_000);
      ws.socket.close();
      const history = (await (await fetch(`${server.url}/api/history/${prompt_id}`)).json()) as Record<string, HistoryEntry>;
      const saved = Object.values(history[prompt_id]!.outputs).flatMap((ui) => (ui.images ?? []) as FileRef[]).find((f) => f.filename.endsWith('.mp4'))!;
      const view = await fetch(`${server.url}/api/view?${new URLSearchParams({ filename: saved.filename, subfolder: saved.subfolder, type: saved.type })}`);
      expect(view.status).toBe(200);
      const local = join(tempDir('flashgraph-fp-view-'), 'viewed.mp4');
      writeFileSync(local, Buffer.from(await view.arrayBuffer()));
      const made = videoStream(local);
      expect(Number(made.video.nb_read_frames)).toBe(DEMO_DRIVING_FRAMES);
      expect(made.audio).toBeDefined();
    } finally {
      await server.close();
    }
  }, 60_000);

  it('keeps the networks loaded in the host model manager, and /free unloads them', async () => {
    const manager = host!.runner.options.env.services.models as ModelManager;
    expect(manager.loadedIds().filter((id) => id.startsWith('flashportrait/')).length).toBeGreaterThanOrEqual(6);
    await manager.unloadAll();
    expect(manager.loadedIds()).toEqual([]);
  });
});
