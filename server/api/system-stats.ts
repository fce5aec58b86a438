// GET /system_stats with ComfyUI's fields and their meanings (server.py system_stats): `os` is
// Python's os.name ("posix", or "nt" on Windows), the version fields are all present. FlashGraph
// runs on Node.js and ONNX Runtime, not Python and PyTorch: those two fields name what runs instead.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { freemem, totalmem } from 'node:os';

const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/**
 * The official frontend version FlashGraph is tested with: the one ComfyUI pins (its
 * requirements.txt, comfyui-frontend-package==1.27.10). An older frontend shows its "update" notice.
 */
export const REQUIRED_FRONTEND_VERSION = '1.27.10';

function runtimeVersion(): string {
  try {
    const onnx = (createRequire(import.meta.url)('onnxruntime-node/package.json') as { version: string }).version;
    return `onnxruntime-node ${onnx}`;
  } catch {
    return 'onnxruntime-node';
  }
}

const MODEL_RUNTIME = runtimeVersion();

/** Python's os.name for this platform. */
export function osName(platform: NodeJS.Platform = process.platform): 'nt' | 'posix' {
  return platform === 'win32' ? 'nt' : 'posix';
}

export function systemStats(argv: string[]) {
  const ramTotal = totalmem();
  const ramFree = freemem();
  return {
    system: {
      os: osName(),
      ram_total: ramTotal,
      ram_free: ramFree,
      comfyui_version: VERSION,
      required_frontend_version: REQUIRED_FRONTEND_VERSION,
      // The templates ship with FlashGraph (made from workflows/ and the packs' examples).
      installed_templates_version: VERSION,
      required_templates_version: VERSION,
      python_version: `Node.js ${process.versions.node}`,
      pytorch_version: MODEL_RUNTIME,
      embedded_python: false,
      argv,
    },
    devices: [{ name: 'cpu', type: 'cpu', index: 0, vram_total: ramTotal, vram_free: ramFree, torch_vram_total: 0, torch_vram_free: 0 }],
  };
}
