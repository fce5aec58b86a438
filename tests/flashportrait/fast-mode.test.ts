// Fast mode's optional files: distill4 uses the distill LoRA and the tiny VAE when present, and
// warns (without failing) when they are missing; the Loader's fingerprint ignores absent optional files.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fastModePlan } from '../../nodes/flashportrait/sampler-node.ts';
import { filesFingerprint, modelFiles } from '../../nodes/flashportrait/model-files.ts';
import { writeDemoModelSet } from '../../nodes/flashportrait/demo/demo-models.ts';
import { tempDir } from '../helpers/engine.ts';

describe('fast mode plan', () => {
  it('missing files: warnings, Wan VAE and no LoRA; present: both used at strength 1', () => {
    const dir = tempDir('flashgraph-fast-');
    const files = { fastLora: join(dir, 'fast_lora_rank64.safetensors'), fastVae: join(dir, 'fast_vae.pth') };
    const missing = fastModePlan(files, 'distill4');
    expect(missing.lora).toBeUndefined();
    expect(missing.tinyVae).toBeUndefined();
    expect(missing.warnings).toHaveLength(2);
    expect(missing.warnings[0]).toMatch(/distill4 without the distill LoRA.*look wrong/);
    expect(missing.warnings[1]).toMatch(/Wan VAE/);
    mkdirSync(dir, { recursive: true });
    writeFileSync(files.fastLora, '');
    writeFileSync(files.fastVae, '');
    expect(fastModePlan(files, 'distill4')).toEqual({ lora: { path: files.fastLora, strength: 1 }, tinyVae: files.fastVae, warnings: [] });
    expect(fastModePlan(files, 'none')).toEqual({ warnings: [] });
    expect(fastModePlan(files, 'alp')).toEqual({ warnings: [] });
  });

  it('the model set fingerprint works without the optional files and changes when one appears', () => {
    const models = tempDir('flashgraph-fast-set-');
    const report = writeDemoModelSet(models);
    const files = modelFiles(models);
    expect(report.files).toContain(files.fastLora);
    const withFast = filesFingerprint(files);
    expect(withFast).toContain('fast_vae.pth');
    const bare = { ...files, fastLora: join(models, 'absent.safetensors'), fastVae: join(models, 'absent.pth') };
    const without = filesFingerprint(bare);
    expect(without).not.toContain('absent');
    expect(without).not.toBe(withFast);
  });
});
