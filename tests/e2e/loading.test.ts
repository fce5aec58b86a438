// Opening files faithfully, end to end: the editor fills widgets through the converter's own
// repair (readSavedWidgets, shared with uiToApi) and says what moved; a file it saved re-opens
// identical; the demo's Sampler has each socket once, also after a save and a reload; workflows
// saved by ComfyUI's frontend (UI format 0.4, and 1 with a subgraph) open with their values and
// run once their input is uploaded. Files go in through the file chooser (Ctrl+O after a click on
// the canvas) and drops, and out through Save's download, as a user does it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { uiToApi } from '../../server/workflow/index.ts';
import { browserAvailable, dropFile, pageNodes, queueAndWait, REPOSITORY_ROOT, toClient, until, type PageNode } from './harness.ts';
import { openWithKeys, sharedEditor } from './shared-editor.ts';

const WORKFLOW_FIXTURES = join(REPOSITORY_ROOT, 'tests', 'workflow', 'fixtures');

const byType = (nodes: PageNode[], type: string) => nodes.find((node) => node.type === type)!;
const values = (node: PageNode) => Object.fromEntries(node.widgets.map((w) => [w.name, w.value]));

/**
 * The shape of ComfyUI-FlashPortrait's example workflow (examples/flash_portraits_example.json,
 * saved by ComfyUI's frontend 1.34.9 in UI format 0.4): its Loader holds ["bf16", true], saved
 * before GPU_memory_mode existed; its Sampler holds the thirteen values of the released node and
 * three inputs (initial_video_frames came later).
 */
function flashPortraitExample() {
  const node = (id: number, type: string, pos: [number, number], inputs: unknown[], outputs: unknown[], widgets_values: unknown[]) => ({
    id, type, pos, size: [280, 120], flags: {}, order: id, mode: 0, inputs, outputs, properties: { 'Node name for S&R': type }, widgets_values,
  });
  const input = (name: string, type: string, link: number | null, widget?: string) => ({ name, type, link, ...(widget && { widget: { name: widget } }) });
  const output = (name: string, type: string, links: number[] | null) => ({ name, type, links });
  return {
    id: '4a6f0c1e-0000-4000-8000-00000000e1a0',
    revision: 0,
    last_node_id: 18,
    last_link_id: 21,
    nodes: [
      node(17, 'SaveVideo', [2060, 80], [input('video', 'VIDEO', 19)], [], ['video/ComfyUI', 'auto', 'auto']),
      node(16, 'CreateVideo', [1680, 480], [input('images', 'IMAGE', 16), input('audio', 'AUDIO', 17), input('fps', 'FLOAT', 18, 'fps')], [output('VIDEO', 'VIDEO', [19])], [30]),
      node(13, 'FlashPortraitFeatureExtractor', [1270, -40], [input('face_align_models', 'FACE_ALIGN_MODELS', 10), input('images', 'IMAGE', 20)],
        [output('head_emo_features', 'HEAD_EMO_FEAT', [13]), output('fps', 'FLOAT', null), output('total_frames', 'INT', null)], [25, 51, 30]),
      node(12, 'FlashPortraitLoader', [960, -150], [], [output('pipe', 'FLASH_PORTRAIT_PIPE', [12]), output('face_align_models', 'FACE_ALIGN_MODELS', [10])], ['bf16', true]),
      node(15, 'GetVideoComponents', [1340, 160], [input('video', 'VIDEO', 14)], [output('images', 'IMAGE', [20]), output('audio', 'AUDIO', [17]), output('fps', 'FLOAT', [18])], []),
      node(10, 'LoadVideo', [960, 100], [], [output('VIDEO', 'VIDEO', [14])], ['driving.mp4', 'image']),
      node(11, 'LoadImage', [1290, 290], [], [output('IMAGE', 'IMAGE', [21]), output('MASK', 'MASK', null)], ['reference.png', 'image']),
      node(14, 'FlashPortraitSampler', [1620, -40], [input('pipe', 'FLASH_PORTRAIT_PIPE', 12), input('head_emo_features', 'HEAD_EMO_FEAT', 13), input('image', 'IMAGE', 21)],
        [output('IMAGE', 'IMAGE', [16])], ['The man is singing', 'blurry, static, low quality', 278350268418856, 'randomize', 30, 1, 4, 1, 4, 720, 5, 51, 30]),
    ],
    links: [
      [10, 12, 1, 13, 0, 'FACE_ALIGN_MODELS'], [12, 12, 0, 14, 0, 'FLASH_PORTRAIT_PIPE'], [13, 13, 0, 14, 1, 'HEAD_EMO_FEAT'], [14, 10, 0, 15, 0, 'VIDEO'],
      [16, 14, 0, 16, 0, 'IMAGE'], [17, 15, 1, 16, 1, 'AUDIO'], [18, 15, 2, 16, 2, 'FLOAT'], [19, 16, 0, 17, 0, 'VIDEO'], [20, 15, 0, 13, 1, 'IMAGE'], [21, 11, 0, 14, 2, 'IMAGE'],
    ],
    groups: [],
    config: {},
    extra: { ds: { scale: 0.82, offset: [-741, 296] }, frontendVersion: '1.34.9' },
    version: 0.4,
  };
}

/** Input socket names per node id of the shown graph. */
async function inputNames(page: Page): Promise<Record<string, string[]>> {
  return page.evaluate(() => {
    const editor = (globalThis as unknown as { flashgraph: { shownGraph: { _nodes: { id: number; inputs: { name: string }[] }[] } } }).flashgraph;
    return Object.fromEntries(editor.shownGraph._nodes.map((node) => [String(node.id), node.inputs.map((input) => input.name)]));
  });
}

/** Opens a workflow file with Ctrl+O and the file chooser. */
const openJson = (page: Page, name: string, content: string) => openWithKeys(page, { name, mimeType: 'application/json', buffer: Buffer.from(content) });

/** Export's download (Save writes to the server's workflows, as ComfyUI's): the file, parsed. */
async function exportWithButton(page: Page): Promise<{ name: string; workflow: Record<string, unknown> }> {
  const download = page.waitForEvent('download', { timeout: 8000 });
  await page.locator('button[data-action="export"]').click();
  const file = await download;
  return { name: file.suggestedFilename(), workflow: JSON.parse(readFileSync((await file.path())!, 'utf8')) as Record<string, unknown> };
}

describe.skipIf(!browserAvailable)('opening workflow files faithfully (headless Chromium)', () => {
  const editor = sharedEditor();

  it("opens ComfyUI-FlashPortrait's example with its values where a run reads them, says what moved, and re-opens a saved file identical", { timeout: 60_000 }, async () => {
    const { page, session } = editor;
    const example = flashPortraitExample();
    await openJson(page, 'flash_portraits_example.json', JSON.stringify(example));
    const nodes = await until('the example opened', async () => {
      const shown = await pageNodes(page);
      return shown.length === 8 ? shown : undefined;
    });
    // The Loader: the two values fitted by type, as `graph convert` and `graph run` read them.
    expect(values(byType(nodes, 'FlashPortraitLoader'))).toEqual({ precision: 'bf16', GPU_memory_mode: 'default', download_missing: true, device: 'auto' });
    const notice = page.locator('.fg-notice', { hasText: 'matched to their widgets by type' });
    await notice.waitFor({ timeout: 5000 });
    expect(await notice.textContent()).toContain('node #12 FlashPortraitLoader: the file holds fewer widget values than the node has widgets; matched them by type: precision = "bf16", GPU_memory_mode = "default" (default), download_missing = true');
    // The Sampler: values by position, the optional widgets the file predates at their defaults,
    // and initial_video_frames (added since) once.
    expect(values(byType(nodes, 'FlashPortraitSampler'))).toMatchObject({
      prompt: 'The man is singing', seed: 278350268418856, control_after_generate: 'randomize', steps: 30, max_size: 720, context_size: 51, context_overlap: 30, scheduler: 'euler', acceleration: 'none',
    });
    const sockets = (await inputNames(page))['14']!;
    expect(sockets.filter((name) => name === 'initial_video_frames')).toHaveLength(1);
    expect(new Set(sockets).size).toBe(sockets.length);
    await session.screenshot('loading-01-flashportrait-example');

    // Export (API) writes what the converter makes of the original file.
    const exported = page.waitForEvent('download', { timeout: 8000 });
    await page.locator('button[data-action="export-api"]').click();
    const api = JSON.parse(readFileSync((await (await exported).path())!, 'utf8')) as Record<string, { inputs: Record<string, unknown> }>;
    const expected = uiToApi(example, editor.objectInfo).prompt;
    expect(api['12']!.inputs).toEqual(expected['12']!.inputs);
    expect(api['14']!.inputs).toEqual(expected['14']!.inputs);

    // Save, open the saved file, save again: the same file, and no notice the second time.
    const first = await exportWithButton(page);
    expect(first.name).toBe('flash_portraits_example.json');
    await page.locator('.fg-notice .fg-close').first().click();
    await openJson(page, first.name, JSON.stringify(first.workflow));
    await until('the saved file opened', async () => ((await pageNodes(page)).length === 8 ? true : undefined));
    expect(await page.locator('.fg-notice', { hasText: 'by type' }).count()).toBe(0);
    const second = await exportWithButton(page);
    expect(second.workflow).toEqual(first.workflow);
    expect(values(byType(await pageNodes(page), 'FlashPortraitLoader'))).toEqual({ precision: 'bf16', GPU_memory_mode: 'default', download_missing: true, device: 'auto' });
  });

  it("the demo's Sampler has each socket once, after a save and re-open and after a reload", { timeout: 60_000 }, async () => {
    const { page, session } = editor;
    await page.locator('button[data-action="examples"]').click();
    await page.locator('button[data-example="flashportrait-demo"]').click();
    // The example open before has a Sampler too: wait for the demo's own nodes (its count and its
    // Sampler's id), then read that Sampler's sockets.
    const demo = JSON.parse(readFileSync(join(REPOSITORY_ROOT, 'workflows', 'flashportrait-demo.json'), 'utf8')) as { nodes: { id: number; type: string }[] };
    const samplerId = String(demo.nodes.find((node) => node.type === 'FlashPortraitSampler')!.id);
    const demoSampler = () =>
      until('the demo', async () => {
        const shown = await pageNodes(page);
        if (shown.length !== demo.nodes.length || !shown.some((node) => String(node.id) === samplerId && node.type === 'FlashPortraitSampler')) return undefined;
        return (await inputNames(page))[samplerId];
      });
    const unique = (names: string[]) => names.filter((name, i) => names.indexOf(name) === i);
    const opened = await demoSampler();
    expect(opened).toEqual(unique(opened));
    expect(opened).toContain('initial_video_frames');
    const saved = await exportWithButton(page);
    await openJson(page, saved.name, JSON.stringify(saved.workflow));
    expect(await demoSampler()).toEqual(opened);
    await page.reload();
    await page.waitForSelector('body[data-ready="true"]');
    expect(await demoSampler()).toEqual(opened);
    await session.screenshot('loading-02-demo-sampler');
  });

  it("opens workflows saved by ComfyUI's frontend (0.4; 1 with a subgraph) with their values, and runs one once its image is uploaded", { timeout: 60_000 }, async () => {
    const { page, session } = editor;
    // UI format 0.4 (frontend 1.23.4): the video pipeline.
    await dropFile(page, 'video-pipeline.json', readFileSync(join(WORKFLOW_FIXTURES, 'video-pipeline.json'), 'utf8'));
    const video = await until('the video pipeline', async () => {
      const shown = await pageNodes(page);
      // The demo shown before has a SaveVideo too: wait for this file's loader.
      return shown.some((node) => node.type === 'LoadVideo' && values(node).file === 'talk.mp4') ? shown : undefined;
    });
    expect(values(byType(video, 'LoadVideo'))).toMatchObject({ file: 'talk.mp4' });
    expect(values(byType(video, 'SaveVideo'))).toMatchObject({ filename_prefix: 'video/portrait', format: 'mp4', codec: 'h264' });
    expect(values(byType(video, 'LoadImage'))).toMatchObject({ image: 'portrait.png' });

    // UI format 1 with a subgraph (frontend 1.26.2).
    await dropFile(page, 'subgraph.v1.json', readFileSync(join(WORKFLOW_FIXTURES, 'subgraph.v1.json'), 'utf8'));
    const nodes = await until('the subgraph workflow', async () => {
      const shown = await pageNodes(page);
      return shown.some((node) => node.type === 'LoadImage') && shown.length === 3 ? shown : undefined;
    });
    const load = byType(nodes, 'LoadImage');
    expect(values(load).image).toBe('example.png');
    expect(values(byType(nodes, 'SaveImage')).filename_prefix).toBe('outside');
    expect(values(nodes.find((node) => node.type.includes('-'))!).prefix).toBe('from-subgraph');
    expect(await page.locator('.fg-notice.error').count()).toBe(0);

    // The image the file names, uploaded with the node's upload button, then the run.
    const png = await sharp({ create: { width: 24, height: 16, channels: 3, background: { r: 200, g: 40, b: 40 } } }).png().toBuffer();
    const button = await page.evaluate((id) => {
      type W = { name: string; y: number };
      const editor = (globalThis as unknown as { flashgraph: { shownGraph: { getNodeById(id: number): { pos: number[]; size: number[]; widgets: W[] } } } }).flashgraph;
      const node = editor.shownGraph.getNodeById(id);
      const widget = node.widgets.find((w) => w.name === 'choose file to upload')!;
      return [node.pos[0]! + node.size[0]! / 2, node.pos[1]! + widget.y + 10] as [number, number];
    }, load.id);
    const chooser = page.waitForEvent('filechooser', { timeout: 8000 });
    await page.mouse.click(...(await toClient(page, button)));
    await (await chooser).setFiles({ name: 'example.png', mimeType: 'image/png', buffer: png });
    await until('the upload', async () => ((await pageNodes(page)).find((node) => node.id === load.id)!.media.length > 0 ? true : undefined));
    const run = await queueAndWait(page, 'the ComfyUI workflow run');
    expect(run.status).toBe('success');
    expect(run.prompt['5:3']!.inputs.filename_prefix).toBe('from-subgraph');
    expect(run.outputs['6']?.images).toHaveLength(1);
    await session.screenshot('loading-03-comfyui-subgraph-run');
    // The previews of input files these workflows name and this server lacks answer 404.
    expect(session.pageErrors.filter((error) => !error.includes('404 (Not Found)'))).toEqual([]);
  });
});
