// Which worker a prompt goes to: the models it loads, as keys, against each worker's recent ones.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadRegistry } from '../../server/host.ts';
import { modelKeysOf, type WorkerState } from '../../server/scaleout/redis-queue.ts';
import { pickWorker } from '../../server/scaleout/redis-service.ts';
import { folderLayout } from '../../server/storage/folders.ts';
import type { ApiPrompt } from '../../types/api.ts';
import { tempDir } from '../helpers/engine.ts';

const worker = (id: string, models: string[], busy = 0, slots = 1): WorkerState => ({ id, slots, busy, models, pid: 1, hostname: 'h', at: 0 });

describe('model affinity', () => {
  it('keys: ComfyUI loader inputs by name; a loadsModels class by its class and literal inputs, links ignored', () => {
    const prompt: ApiPrompt = {
      '1': { class_type: 'CheckpointLoaderSimple', inputs: { ckpt_name: 'sd15.safetensors' } },
      '2': { class_type: 'LoraLoader', inputs: { model: ['1', 0], lora_name: 'style.safetensors', strength_model: 1 } },
      '3': { class_type: 'MyLoader', inputs: { precision: 'bf16', offload: true, other: ['2', 0] } },
      '4': { class_type: 'PreviewAny', inputs: { source: ['3', 0], model_note: '' } },
    };
    expect(modelKeysOf(prompt)).toEqual(['ckpt_name=sd15.safetensors', 'lora_name=style.safetensors']);
    expect(modelKeysOf(prompt, (type) => type === 'MyLoader')).toEqual(['MyLoader{"offload":true,"precision":"bf16"}', 'ckpt_name=sd15.safetensors', 'lora_name=style.safetensors']);
  });

  it('the FlashPortrait workflow is keyed by its Loader settings, so a worker holding that model set gets it', async () => {
    const { registry } = await loadRegistry(folderLayout({ base: tempDir('fg-affinity-') }));
    const prompt = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'workflows', 'flashportrait-demo.api.json'), 'utf8')) as ApiPrompt;
    const loads = (type: string) => registry.get(type)?.loadsModels === true;
    const keys = modelKeysOf(prompt, loads);
    expect(keys).toEqual([`FlashPortraitLoader${JSON.stringify({ GPU_memory_mode: prompt['3']!.inputs.GPU_memory_mode, download_missing: prompt['3']!.inputs.download_missing, precision: prompt['3']!.inputs.precision })}`]);
    const other = structuredClone(prompt);
    other['3']!.inputs.precision = 'fp16';
    expect(modelKeysOf(other, loads)).not.toEqual(keys);

    const cold = worker('cold', []);
    const warm = worker('warm', keys);
    expect(pickWorker([cold, warm], keys).id).toBe('warm');
    expect(pickWorker([cold, warm], modelKeysOf(other, loads)).id).toBe('cold');
  });

  it('without a warm worker, the least busy free one', () => {
    expect(pickWorker([worker('a', [], 1, 2), worker('b', [], 0, 2)], ['k']).id).toBe('b');
    expect(pickWorker([worker('a', ['k'], 1, 2), worker('b', [], 0, 2)], ['k']).id).toBe('a');
  });
});
