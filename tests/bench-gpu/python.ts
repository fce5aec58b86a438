// Finding a python3 for the torch reference tests: any python3 for --dry-run (no torch), and one
// that imports torch for the equivalence test (Debian's python3-torch lives under /usr/bin/python3,
// which a pyenv shim on PATH may hide). FLASHGRAPH_TORCH_PYTHON names one explicitly.
import { spawnSync } from 'node:child_process';

function works(python: string, code: string): boolean {
  const r = spawnSync(python, ['-c', code], { encoding: 'utf8', timeout: 60_000 });
  return r.status === 0;
}

export function findPython(): string | undefined {
  return ['python3', '/usr/bin/python3'].find((p) => works(p, 'import json'));
}

export function findTorchPython(): string | undefined {
  const candidates = [process.env.FLASHGRAPH_TORCH_PYTHON, 'python3', '/usr/bin/python3'].filter((p): p is string => !!p);
  return candidates.find((p) => works(p, 'import torch, numpy'));
}
