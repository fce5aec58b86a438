// ComfyUI's device flags: --cpu and --cuda-device on run/serve, --device on graph worker, and the
// FlashPortrait Loader's `auto` following the host's device.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { applyDeviceSetting, hostDevice, parseDeviceFlag } from '../server/ml/device.ts';
import { createServices, DEVICE_ENV } from '../server/host.ts';
import { REPO_ROOT } from './helpers/golden.ts';
import { tempDir } from './helpers/engine.ts';

const BIN = join(REPO_ROOT, 'bin', 'graph.js');

describe('device flags', () => {
  it('parses auto, cpu, webgpu, cuda and cuda:N; a chosen CUDA GPU becomes the only one CUDA sees', () => {
    expect(['auto', 'CPU', 'webgpu', 'cuda', 'cuda:1'].map(parseDeviceFlag)).toEqual([
      { provider: 'auto' }, { provider: 'cpu' }, { provider: 'webgpu' }, { provider: 'cuda' }, { provider: 'cuda', cudaDevice: 1 },
    ]);
    expect(() => parseDeviceFlag('tpu')).toThrow(/unknown device "tpu": use auto, cpu, webgpu, cuda or cuda:N/);
    const env: NodeJS.ProcessEnv = {};
    applyDeviceSetting({ provider: 'cuda', cudaDevice: 2 }, env);
    expect(env.CUDA_VISIBLE_DEVICES).toBe('2');
    applyDeviceSetting({ provider: 'cpu' }, env);
    expect(env.CUDA_VISIBLE_DEVICES).toBe('2');
    expect([hostDevice({}), hostDevice({ device: 'cuda:1' }), hostDevice({ device: 'cpu' }), hostDevice({ device: 'nonsense' })]).toEqual(['auto', 'cuda', 'cpu', 'auto']);
    expect(createServices({ [DEVICE_ENV]: 'cpu' }).device).toBe('cpu');
    expect('device' in createServices({})).toBe(false);
  });

  it('graph run --cpu --cuda-device: nodes see the device and CUDA_VISIBLE_DEVICES; the Loader picks it for auto', () => {
    const base = tempDir('fg-device-');
    const demo = spawnSync(process.execPath, [BIN, 'models', 'demo', '--base-directory', base], { encoding: 'utf8' });
    expect(demo.status).toBe(0);
    const pack = join(base, 'packs', 'device-report');
    mkdirSync(pack, { recursive: true });
    writeFileSync(join(pack, 'package.json'), JSON.stringify({ name: 'device-report', type: 'module', main: 'index.js' }));
    writeFileSync(join(pack, 'index.js'), `export const nodes = [{
      type: 'DeviceReport', outputNode: true, inputs: { required: { pipe: { type: 'FLASH_PORTRAIT_PIPE' } } },
      execute: ({ pipe }, ctx) => ({ ui: { text: [[ctx.services.device, process.env.CUDA_VISIBLE_DEVICES, pipe.device].join('|')] } }),
    }];\n`);
    const workflow = join(base, 'device.json');
    const prompt = (device: string) => ({
      '1': { class_type: 'FlashPortraitLoader', inputs: { precision: 'fp32', GPU_memory_mode: 'default', download_missing: false, device } },
      '2': { class_type: 'DeviceReport', inputs: { pipe: ['1', 0] } },
    });
    const run = (device: string, flags: string[]) => {
      writeFileSync(workflow, JSON.stringify(prompt(device)));
      const env = { ...process.env };
      delete env[DEVICE_ENV];
      delete env.CUDA_VISIBLE_DEVICES;
      const result = spawnSync(process.execPath, [BIN, 'run', workflow, '--base-directory', base, '--custom-nodes-directory', join(base, 'packs'), '--json', ...flags], { encoding: 'utf8', env });
      expect(result.status, result.stderr).toBe(0);
      return (JSON.parse(result.stdout) as { outputs: Record<string, { text: string[] }> }).outputs['2']!.text[0];
    };
    expect(run('auto', ['--cpu', '--cuda-device', '3'])).toBe('cpu|3|cpu');
    expect(run('webgpu', ['--cpu'])).toBe('cpu||webgpu');
    expect(run('auto', [])).toBe('||auto');
    const bad = spawnSync(process.execPath, [BIN, 'worker', '--device', 'tpu', '--queue', 'redis://127.0.0.1:1/0'], { encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('unknown device "tpu"');
  }, 60_000);
});
