// Workflows read back from media files where the save layer writes them (PNG tEXt/iTXt and
// APNG `comf` chunks, WebP EXIF, MP4/WebM/FLAC container tags through ffmpeg), as ComfyUI's
// frontend reads them (ComfyUI_frontend v1.27.10 src/scripts/pnginfo.ts and src/scripts/metadata/).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { addWebpExif, comfyPngChunks, comfyWebpExif } from '../../server/media/animated-file.ts';
import { encodePng } from '../../server/media/image-file.ts';
import { findMediaTools } from '../../server/media/tools.ts';
import { ffmetadata } from '../../server/media/video-encode.ts';
import { embeddedTexts, embeddedWorkflow } from '../../server/workflow/embedded.ts';

const dir = mkdtempSync(join(tmpdir(), 'flashgraph-embedded-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const workflow = { nodes: [{ id: 1, type: 'SaveImage', title: 'Sauvegarde ✓' }], links: [], version: 0.4 };
const prompt = { '1': { class_type: 'SaveImage', inputs: { filename_prefix: 'x' } } };
const tags = { prompt: JSON.stringify(prompt), workflow: JSON.stringify(workflow) };

function ffmpeg(name: string, input: string[], codec: string[]): Uint8Array {
  const metadata = join(dir, `${name}.txt`);
  writeFileSync(metadata, ffmetadata(tags));
  const container = name.endsWith('.mp4') ? ['-movflags', 'use_metadata_tags'] : [];
  execFileSync(findMediaTools().ffmpeg, ['-loglevel', 'error', '-y', ...input, '-i', metadata, '-map', '0', '-map_metadata', '1', ...codec, ...container, join(dir, name)]);
  return new Uint8Array(readFileSync(join(dir, name)));
}

describe('workflows embedded in media files', () => {
  it('reads PNG text chunks: tEXt, and iTXt for text beyond Latin-1', async () => {
    const png = await encodePng(new Uint8Array(4 * 3 * 3), 4, 3, 6, tags);
    expect(embeddedWorkflow(png)).toEqual({ format: 'png', data: workflow, source: 'workflow' });
    expect(embeddedTexts(png)!.texts.prompt).toBe(tags.prompt);
  });

  it("reads APNG's comf chunks and WebP's EXIF entries", async () => {
    const plain = await sharp({ create: { width: 4, height: 4, channels: 3, background: '#000' } }).png().toBuffer();
    const apng = Buffer.concat([plain.subarray(0, -12), comfyPngChunks(tags), plain.subarray(-12)]);
    expect(embeddedWorkflow(apng)?.data).toEqual(workflow);
    // As SaveAnimatedWEBP adds it: an EXIF chunk after the image data.
    const path = join(dir, 'a.webp');
    await sharp({ create: { width: 4, height: 4, channels: 3, background: '#000' } }).webp().toFile(path);
    await addWebpExif(path, comfyWebpExif(tags)!, { width: 4, height: 4 });
    const webp = embeddedTexts(new Uint8Array(readFileSync(path)))!;
    expect(webp.format).toBe('webp');
    // The writer escapes non-ASCII as Python's json.dumps does: the same JSON.
    expect(JSON.parse(webp.texts.workflow!)).toEqual(workflow);
    expect(JSON.parse(webp.texts.prompt!)).toEqual(prompt);
  });

  it('reads MP4 metadata keys, WebM tags and FLAC comments as ffmpeg writes them', () => {
    const video = ['-f', 'lavfi', '-i', 'color=c=red:s=32x24:d=0.3'];
    expect(embeddedWorkflow(ffmpeg('a.mp4', video, ['-c:v', 'libx264', '-pix_fmt', 'yuv420p']))).toEqual({ format: 'mp4', data: workflow, source: 'workflow' });
    expect(embeddedWorkflow(ffmpeg('a.webm', video, ['-c:v', 'libvpx-vp9']))).toEqual({ format: 'webm', data: workflow, source: 'workflow' });
    const flac = ffmpeg('a.flac', ['-f', 'lavfi', '-i', 'sine=d=0.3'], ['-c:a', 'flac']);
    expect(embeddedTexts(flac)!.texts).toMatchObject(tags);
  });

  it('falls back to the prompt, and names what is missing or broken', async () => {
    const promptOnly = await encodePng(new Uint8Array(12), 2, 2, 6, { prompt: tags.prompt });
    expect(embeddedWorkflow(promptOnly)).toEqual({ format: 'png', data: prompt, source: 'prompt' });
    const none = await encodePng(new Uint8Array(12), 2, 2, 6);
    expect(embeddedWorkflow(none)).toEqual({ format: 'png' });
    const broken = await encodePng(new Uint8Array(12), 2, 2, 6, { workflow: '{"nodes": [' });
    expect(embeddedWorkflow(broken)?.problem).toMatch(/^its workflow entry is not valid JSON/);
    expect(embeddedWorkflow(new TextEncoder().encode('{"nodes": []}'))).toBeUndefined();
  });

  it('survives truncated files', async () => {
    const png = await encodePng(new Uint8Array(48), 4, 4, 6, tags);
    for (const length of [9, 20, 40, 60, png.length - 5]) expect(() => embeddedTexts(png.subarray(0, length))).not.toThrow();
    const mp4 = new Uint8Array(readFileSync(join(dir, 'a.mp4')));
    for (const length of [12, 100, mp4.length - 30]) expect(embeddedTexts(mp4.subarray(0, length))?.format).toBe('mp4');
    const webm = new Uint8Array(readFileSync(join(dir, 'a.webm')));
    for (const length of [5, 50, webm.length - 10]) expect(embeddedTexts(webm.subarray(0, length))?.format).toBe('webm');
  });
});
