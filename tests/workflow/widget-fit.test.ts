import { describe, expect, it } from 'vitest';
import { loadRegistry } from '../../server/host.ts';
import { folderLayout } from '../../server/storage/folders.ts';
import { uiToApi, WorkflowError } from '../../server/workflow/index.ts';
import { tempDir } from '../helpers/engine.ts';

const { registry } = await loadRegistry(folderLayout({ base: tempDir() }));
const objectInfo = registry.objectInfo();

/** A one-node UI workflow holding a FlashPortraitLoader saved with these widget values. */
function loaderWorkflow(widgets_values: unknown[]) {
  return {
    last_node_id: 7,
    last_link_id: 0,
    nodes: [{ id: 7, type: 'FlashPortraitLoader', pos: [0, 0], size: [300, 120], flags: {}, order: 0, mode: 0, outputs: [], properties: {}, widgets_values }],
    links: [],
    version: 0.4,
  };
}

describe('widget values saved by an older version of a node', () => {
  it('maps the released Loader values by position, without a warning', () => {
    const { prompt, warnings } = uiToApi(loaderWorkflow(['fp16', 'sequential_cpu_offload', false]), objectInfo);
    expect(prompt['7']!.inputs).toEqual({ precision: 'fp16', GPU_memory_mode: 'sequential_cpu_offload', download_missing: false, device: 'auto' });
    expect(warnings).toEqual([]);
  });

  it('fits the two values of the older Loader by type, the rest default, and says so', () => {
    // Saved before GPU_memory_mode existed: ComfyUI would put `true` into that combo.
    const { prompt, warnings } = uiToApi(loaderWorkflow(['bf16', true]), objectInfo);
    expect(prompt['7']!.inputs).toEqual({ precision: 'bf16', GPU_memory_mode: 'default', download_missing: true, device: 'auto' });
    expect(warnings).toEqual([
      'node #7 FlashPortraitLoader: the file holds fewer widget values than the node has widgets; matched them by type: precision = "bf16", GPU_memory_mode = "default" (default), download_missing = true, device = "auto" (default)',
    ]);
  });

  it('refuses a value that fits none of the widgets, naming the node and the value', () => {
    expect(() => uiToApi(loaderWorkflow(['bf16', 42]), objectInfo)).toThrow(WorkflowError);
    expect(() => uiToApi(loaderWorkflow(['bf16', 42]), objectInfo)).toThrow(
      'node #7 FlashPortraitLoader: the saved widget value 42 fits none of its widgets (precision, GPU_memory_mode, download_missing, device)',
    );
  });
});
