#!/usr/bin/env python3
"""The original Wan2.1 VAE decoder (wan/modules/vae.py, fetched at run time, never committed) decoding
latent frames on the CPU, as the peer of bench/flashportrait-vae-memory.bench.ts. Run under Debian's
python3-torch 1.13 (/usr/bin/python3) with libopenblas0-pthread.

  torch_decode.py VAE_PY WEIGHTS HEIGHT WIDTH FRAMES THREADS OUT

VAE_PY   path of the original vae.py
WEIGHTS  safetensors with conv2.* and decoder.* (the bench writes seeded random ones)
HEIGHT, WIDTH  latent size; FRAMES latent frames (decoded with the original's chunk loop, one latent
         frame per chunk); THREADS torch intra-op threads
OUT      the clamped video, raw little-endian float32 [3, 4*FRAMES-3, 8*HEIGHT, 8*WIDTH]

Prints one JSON line: peak RSS (VmHWM) after import, after the weights, after the decode, and the
decode time. Only the decoder half is built, as FlashGraph's decode session holds only it.
"""
import importlib.util
import json
import os
import struct
import sys
import time

import numpy as np
import torch

# The same shims as the golden fixtures' regeneration (torch 1.13 has no scaled_dot_product_attention,
# Debian 12 no einops); none changes the maths.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "golden-regen"))
from common import install_shims  # noqa: E402


def status_mb(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    raise SystemExit("no " + field + " in /proc/self/status")


def load_vae_module(path):
    spec = importlib.util.spec_from_file_location("wan_vae_original", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def copy_safetensors_into(module, path):
    """Tensor by tensor (8-byte header length, JSON header, data), so no second copy of the file stays resident."""
    params = dict(module.named_parameters())
    seen = set()
    with open(path, "rb") as f:
        (length,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(length))
        base = 8 + length
        for key, entry in header.items():
            if key == "__metadata__":
                continue
            if entry["dtype"] != "F32":
                raise SystemExit(key + ": expected F32, got " + entry["dtype"])
            start, end = entry["data_offsets"]
            f.seek(base + start)
            data = np.frombuffer(f.read(end - start), dtype=np.float32).reshape(entry["shape"])
            target = params.get(key)
            if target is None:
                continue
            with torch.no_grad():
                target.copy_(torch.from_numpy(data).reshape(target.shape))
            seen.add(key)
    missing = sorted(set(params) - seen)
    if missing:
        raise SystemExit("weights lack " + ", ".join(missing[:5]))


def main():
    vae_py, weights, height, width, frames, threads, out_path = sys.argv[1:8]
    height, width, frames, threads = int(height), int(width), int(frames), int(threads)
    torch.set_num_threads(threads)
    install_shims()
    vae = load_vae_module(vae_py)
    imported = status_mb("VmHWM")

    class DecoderHalf(torch.nn.Module):
        """conv2 + Decoder3d with the original's decode() and clear_cache() (no encoder weights)."""

        def __init__(self):
            super().__init__()
            self.z_dim = 16
            self.encoder = torch.nn.Module()
            self.conv2 = vae.CausalConv3d(16, 16, 1)
            self.decoder = vae.Decoder3d(96, 16, [1, 2, 4, 4], 2, [], [True, True, False], 0.0)

        decode = vae.WanVAE_.decode
        clear_cache = vae.WanVAE_.clear_cache

    model = DecoderHalf().eval().requires_grad_(False)
    copy_safetensors_into(model, weights)
    loaded = status_mb("VmHWM")
    mean = torch.tensor([-0.7571, -0.7089, -0.9113, 0.1075, -0.1745, 0.9653, -0.1517, 1.5508,
                         0.4134, -0.0715, 0.5517, -0.3632, -0.1922, -0.9497, 0.2503, -0.2921])
    std = torch.tensor([2.8184, 1.4541, 2.3275, 2.6558, 1.2196, 1.7708, 2.6052, 2.0743,
                        3.2687, 2.1526, 2.8652, 1.5579, 1.6382, 1.1253, 2.8251, 1.9160])
    count = 16 * frames * height * width
    latents = torch.sin(torch.arange(count, dtype=torch.float64) * 0.37).float().reshape(1, 16, frames, height, width)
    started = time.perf_counter()
    with torch.no_grad():
        video = model.decode(latents, [mean, 1.0 / std]).clamp_(-1, 1)
    seconds = time.perf_counter() - started
    peak = status_mb("VmHWM")
    video[0].numpy().astype("<f4").tofile(out_path)
    print(json.dumps({"peer": "torch", "torch": torch.__version__, "threads": torch.get_num_threads(),
                      "importPeakMB": round(imported), "weightsPeakMB": round(loaded), "peakMB": round(peak),
                      "decodeSeconds": round(seconds, 2), "shape": list(video.shape)}))


if __name__ == "__main__":
    main()
