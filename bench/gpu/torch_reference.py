#!/usr/bin/env python3
"""PyTorch reference of FlashGraph's FlashPortrait DiT (Wan2.1-I2V + per-latent-frame emotion
cross-attention), written from our config and graph (nodes/flashportrait/models/dit/graph.ts), not
copied from the original repositories. It runs the same shapes as bench/gpu/main.ts on the same GPU,
so the report can give our ms as a ratio to torch's.

Modes (see bench/gpu/README.md):
  --dry-run          parameter and activation shapes as JSON; does NOT import torch (CI checks them
                     against ditParameterShapes / ditShapeDims / ditFlops of the TypeScript side)
  --write-weights D  seeded random weights (same init rule as bench/gpu/random-weights.ts) into
                     D/config.json + D/model-NNNNN.safetensors, generated on the GPU when there is one
  --bench            matmul ceiling (8192^3 bf16), fp32-vs-fp16/bf16 check on one layer, and timed DiT
                     calls of 1 layer and of the weight folder's layer stack per shape and precision,
                     within --deadline; JSON in the BenchResults format
  --run-inputs F     one forward pass on the inputs in safetensors file F, output to --output
                     (the tiny torch-vs-ONNX equivalence test)

Precision follows our graph: linears, the patch conv and attention in the compute dtype; the residual
stream, every norm, RoPE, the softmax statistics, the time embedding and adaLN modulation in float32.
"""
import argparse
import json
import math
import os
import struct
import sys
import time

# Keep in step with bench/gpu/plan.ts (a vitest test compares the --dry-run output with it).
REAL_CONFIG = {"dim": 5120, "eps": 1e-6, "ffn_dim": 13824, "freq_dim": 256, "in_dim": 36, "model_type": "i2v",
               "num_heads": 40, "num_layers": 40, "out_dim": 16, "text_len": 512}
TINY_CONFIG = {"dim": 64, "eps": 1e-6, "ffn_dim": 128, "freq_dim": 32, "in_dim": 36, "model_type": "i2v",
               "num_heads": 4, "num_layers": 2, "out_dim": 16, "text_len": 16, "text_dim": 32, "clip_dim": 48}
SHAPES = {
    "real": [{"name": "480x832", "height": 480, "width": 832, "latentFrames": 21},
             {"name": "720x1280", "height": 720, "width": 1280, "latentFrames": 21}],
    "tiny": [{"name": "32x48", "height": 32, "width": 48, "latentFrames": 3},
             {"name": "48x64", "height": 48, "width": 64, "latentFrames": 2}],
}
CHECK_SHAPE = {"real": {"name": "480x832 x 3", "height": 480, "width": 832, "latentFrames": 3},
               "tiny": {"name": "32x48 x 2", "height": 32, "width": 48, "latentFrames": 2}}
ERROR_BUDGET = {"fp16": 1e-2, "bf16": 8e-2}
LATENT_STRIDE = 8
EMO_DIM, EMO_TOKENS, CLIP_TOKENS = 2048, 97, 257
LN_EPS_BLOCK, LN_EPS_IMG, EMO_STD_EPS = 1e-6, 1e-5, 1e-5
TIMESTEP = 500.0


# ---------------------------------------------------------------- config and shapes (no torch) ----

def resolve_config(raw):
    c = dict(raw)
    c.setdefault("text_dim", 4096)
    c.setdefault("clip_dim", 1280)
    c.setdefault("patch_size", [1, 2, 2])
    c.setdefault("eps", 1e-6)
    c["emo_dim"], c["emo_tokens"], c["clip_tokens"] = EMO_DIM, EMO_TOKENS, CLIP_TOKENS
    if c["dim"] % c["num_heads"] or (c["dim"] // c["num_heads"]) % 2:
        raise SystemExit("config: dim must split into num_heads heads of even width")
    c["head_dim"] = c["dim"] // c["num_heads"]
    return c


def parameter_shapes(c):
    """key -> shape of every parameter, in checkpoint key names."""
    D, shapes = c["dim"], {}

    def linear(prefix, n_in, n_out, bias=True):
        shapes[prefix + ".weight"] = [n_out, n_in]
        if bias:
            shapes[prefix + ".bias"] = [n_out]

    pt, ph, pw = c["patch_size"]
    shapes["patch_embedding.weight"] = [D, c["in_dim"], pt, ph, pw]
    shapes["patch_embedding.bias"] = [D]
    linear("text_embedding.0", c["text_dim"], D)
    linear("text_embedding.2", D, D)
    linear("time_embedding.0", c["freq_dim"], D)
    linear("time_embedding.2", D, D)
    linear("time_projection.1", D, 6 * D)
    for i in range(c["num_layers"]):
        b = "blocks.%d" % i
        shapes[b + ".modulation"] = [1, 6, D]
        for m in ("q", "k", "v", "o"):
            linear("%s.self_attn.%s" % (b, m), D, D)
        shapes[b + ".self_attn.norm_q.weight"] = [D]
        shapes[b + ".self_attn.norm_k.weight"] = [D]
        shapes[b + ".norm3.weight"] = [D]
        shapes[b + ".norm3.bias"] = [D]
        for m in ("q", "k", "v", "o", "k_img", "v_img"):
            linear("%s.cross_attn.%s" % (b, m), D, D)
        for m in ("norm_q", "norm_k", "norm_k_img"):
            shapes["%s.cross_attn.%s.weight" % (b, m)] = [D]
        linear(b + ".cross_attn.emo_k_proj", c["emo_dim"], D, bias=False)
        linear(b + ".cross_attn.emo_v_proj", c["emo_dim"], D, bias=False)
        linear(b + ".ffn.0", D, c["ffn_dim"])
        linear(b + ".ffn.2", c["ffn_dim"], D)
    shapes["head.modulation"] = [1, 2, D]
    linear("head.head", D, pt * ph * pw * c["out_dim"])
    shapes["img_emb.proj.0.weight"] = [c["clip_dim"]]
    shapes["img_emb.proj.0.bias"] = [c["clip_dim"]]
    linear("img_emb.proj.1", c["clip_dim"], c["clip_dim"])
    linear("img_emb.proj.3", c["clip_dim"], D)
    shapes["img_emb.proj.4.weight"] = [D]
    shapes["img_emb.proj.4.bias"] = [D]
    return shapes


def grid(c, shape):
    pt, ph, pw = c["patch_size"]
    lh, lw = shape["height"] // LATENT_STRIDE, shape["width"] // LATENT_STRIDE
    return shape["latentFrames"] // pt, lh // ph, lw // pw, lh, lw


def activation_shapes(c, shape):
    f, h, w, lh, lw = grid(c, shape)
    L, D, F, H = f * h * w, c["dim"], shape["latentFrames"], c["num_heads"]
    return {
        "x": [1, c["out_dim"], F, lh, lw], "y": [1, c["in_dim"] - c["out_dim"], F, lh, lw],
        "context": [1, c["text_len"], c["text_dim"]], "clip_fea": [1, CLIP_TOKENS, c["clip_dim"]],
        "emo_proj": [1, F, EMO_TOKENS, EMO_DIM], "tokens": [1, L, D], "rope": [L, c["head_dim"] // 2],
        "self_attn_q": [1, H, L, c["head_dim"]], "emo_attn_q": [F, H, L // F, c["head_dim"]],
        "ffn_hidden": [1, L, c["ffn_dim"]], "noise_pred": [1, c["out_dim"], F, lh, lw],
    }


def call_flops(c, shape):
    """Matmul + attention FLOPs of one call (multiply-add = 2), as nodes/.../dit/flops.ts counts."""
    f, h, w, _, _ = grid(c, shape)
    pt, ph, pw = c["patch_size"]
    L, D, Lt, Lc, Le = f * h * w, c["dim"], c["text_len"], CLIP_TOKENS, shape["latentFrames"] * EMO_TOKENS

    def mm(rows, n_in, n_out):
        return 2 * rows * n_in * n_out

    def attn(q, k):
        return 4 * q * k * D

    embed = (mm(L, c["in_dim"] * pt * ph * pw, D) + mm(Lt, c["text_dim"], D) + mm(Lt, D, D)
             + mm(Lc, c["clip_dim"], c["clip_dim"]) + mm(Lc, c["clip_dim"], D)
             + mm(1, c["freq_dim"], D) + mm(1, D, D) + mm(1, D, 6 * D))
    block = (4 * mm(L, D, D) + attn(L, L) + 2 * mm(L, D, D) + 2 * mm(Lt, D, D) + 2 * mm(Lc, D, D)
             + attn(L, Lt) + attn(L, Lc) + 2 * mm(Le, EMO_DIM, D) + attn(L, EMO_TOKENS)
             + mm(L, D, c["ffn_dim"]) + mm(L, c["ffn_dim"], D))
    return embed + c["num_layers"] * block + mm(L, D, pt * ph * pw * c["out_dim"])


def dry_run(size, c):
    shapes = parameter_shapes(c)
    return {"config": c, "parameters": shapes, "float32Parameters": sorted(k for k in shapes if keeps_float32(k, shapes)),
            "shapes": [{"name": s["name"], "tokens": math.prod(grid(c, s)[:3]), "flops": call_flops(c, s),
                        "activations": activation_shapes(c, s)} for s in SHAPES[size]]}


# ------------------------------------------------------------- safetensors with numpy alone ----

def read_safetensors(path):
    import numpy as np
    with open(path, "rb") as fh:
        n = struct.unpack("<Q", fh.read(8))[0]
        header = json.loads(fh.read(n))
        data = fh.read()
    out = {}
    for key, meta in header.items():
        if key == "__metadata__":
            continue
        a, b = meta["data_offsets"]
        raw = data[a:b]
        if meta["dtype"] == "BF16":
            arr = (np.frombuffer(raw, dtype=np.uint16).astype(np.uint32) << 16).view(np.float32)
        else:
            arr = np.frombuffer(raw, dtype={"F32": np.float32, "F16": np.float16, "F64": np.float64}[meta["dtype"]])
        out[key] = arr.reshape(meta["shape"])
    return out


def write_safetensors(path, arrays, metadata=None):
    import numpy as np
    codes = {np.dtype(np.float32): "F32", np.dtype(np.float16): "F16"}
    header, offset = ({"__metadata__": metadata} if metadata else {}), 0
    for key, arr in arrays.items():
        header[key] = {"dtype": codes[arr.dtype], "shape": list(arr.shape), "data_offsets": [offset, offset + arr.nbytes]}
        offset += arr.nbytes
    blob = json.dumps(header).encode()
    blob += b" " * ((8 - len(blob) % 8) % 8)
    with open(path, "wb") as fh:
        fh.write(struct.pack("<Q", len(blob)) + blob)
        for arr in arrays.values():
            fh.write(np.ascontiguousarray(arr).tobytes())


# --------------------------------------------------------------------------- the model (torch) ----

def init_rule(key, shape):
    """(offset, scale) of N(offset, scale^2): the rule of bench/gpu/random-weights.ts initScale."""
    is_gain = (key.endswith(".gamma") or (key.endswith(".weight") and len(shape) == 1))
    if is_gain:
        return 1.0, 0.02
    if key.endswith(".weight") and len(shape) >= 2:
        return 0.0, 1.0 / math.sqrt(math.prod(shape[1:]))
    return 0.0, 0.02


def keeps_float32(key, shapes):
    """Parameters our graph keeps in float32 whatever the compute dtype: norm gains and biases, adaLN
    modulation, the time embedding / projection. A linear's or conv's bias goes with its weight."""
    if key.startswith("time_embedding.") or key.startswith("time_projection.") or key.endswith("modulation"):
        return True
    if key.endswith(".bias"):
        weight = shapes.get(key[:-5] + ".weight")
        return weight is None or len(weight) == 1
    return len(shapes[key]) == 1


def prepare(weights, cd):
    """Float32 copies of what keeps_float32 names, compute-dtype copies of the rest (same device)."""
    import torch
    shapes = {k: list(v.shape) for k, v in weights.items()}
    return {k: v.to(torch.float32 if keeps_float32(k, shapes) else cd) for k, v in weights.items()}


def sinusoid(t, freq_dim):
    import torch
    half = freq_dim // 2
    w = torch.pow(torch.tensor(10000.0, dtype=torch.float64), -torch.arange(half, dtype=torch.float64) / half)
    a = t * w
    return torch.cat([torch.cos(a), torch.sin(a)]).float().unsqueeze(0)


def rope_tables(c, f, h, w):
    import torch
    pairs = c["head_dim"] // 2
    third = pairs // 3
    split = [pairs - 2 * third, third, third]
    pos = torch.stack(torch.meshgrid(torch.arange(f), torch.arange(h), torch.arange(w), indexing="ij"), -1)
    pos = pos.reshape(-1, 3).to(torch.float64)
    angles = []
    for axis, n in enumerate(split):
        freqs = 1.0 / torch.pow(torch.tensor(10000.0, dtype=torch.float64), torch.arange(n, dtype=torch.float64) * 2 / (2 * n))
        angles.append(pos[:, axis:axis + 1] * freqs)
    a = torch.cat(angles, 1)
    return torch.cos(a).float(), torch.sin(a).float()


def attention(q, k, v, heads):
    """[B, Lq, D] x [B, Lk, D] -> [B, Lq, D]; fused SDPA when torch has it, else softmax in float32."""
    import torch
    import torch.nn.functional as F
    B, Lq, D = q.shape
    hd = D // heads
    split = lambda t: t.reshape(B, t.shape[1], heads, hd).transpose(1, 2)
    qh, kh, vh = split(q), split(k), split(v)
    if hasattr(F, "scaled_dot_product_attention"):
        o = F.scaled_dot_product_attention(qh, kh, vh)
    else:
        scores = torch.matmul(qh.float(), kh.float().transpose(-1, -2)) / math.sqrt(hd)
        o = torch.matmul(torch.softmax(scores, -1).to(vh.dtype), vh)
    return o.transpose(1, 2).reshape(B, Lq, D)


def forward(W, c, x, y, t, context, clip_fea, emo, ip_scale, cd):
    """noise_pred [1, out_dim, F, H, W] (float32) of one call; W from prepare()."""
    import torch
    import torch.nn.functional as F
    f32, D, heads, eps = torch.float32, c["dim"], c["num_heads"], c["eps"]
    dev = x.device

    def lin(v, p, bias=True):
        return F.linear(v.to(cd), W[p + ".weight"], W[p + ".bias"] if bias else None)

    def lin32(v, p):
        return F.linear(v.float(), W[p + ".weight"], W[p + ".bias"])

    def rms(v, key):
        v = v.float()
        return v * torch.rsqrt(v.pow(2).mean(-1, keepdim=True) + eps) * W[key]

    def modulate(v, shift, scale):
        return F.layer_norm(v.float(), (D,), eps=LN_EPS_BLOCK) * (1 + scale) + shift

    def rope(v, cos, sin):
        L = v.shape[1]
        p = v.float().reshape(1, L, heads, -1, 2)
        a, b = p[..., 0], p[..., 1]
        cs, sn = cos[None, :, None, :], sin[None, :, None, :]
        return torch.stack([a * cs - b * sn, a * sn + b * cs], -1).reshape(1, L, D)

    pt, ph, pw = c["patch_size"]
    patched = F.conv3d(torch.cat([x, y], 1).to(cd), W["patch_embedding.weight"], W["patch_embedding.bias"], stride=(pt, ph, pw))
    _, _, f, h, w = patched.shape
    tokens = patched.flatten(2).transpose(1, 2).float()
    e = lin32(F.silu(lin32(sinusoid(t, c["freq_dim"]).to(dev), "time_embedding.0")), "time_embedding.2")
    e0 = lin32(F.silu(e), "time_projection.1").reshape(1, 6, D)
    ctx = F.pad(context, (0, 0, 0, c["text_len"] - context.shape[1]))
    text = lin(F.gelu(lin(ctx, "text_embedding.0"), approximate="tanh"), "text_embedding.2")
    img = F.layer_norm(clip_fea.float(), (c["clip_dim"],), W["img_emb.proj.0.weight"], W["img_emb.proj.0.bias"], LN_EPS_IMG)
    img = lin(F.gelu(lin(img, "img_emb.proj.1")), "img_emb.proj.3")
    img = F.layer_norm(img.float(), (D,), W["img_emb.proj.4.weight"], W["img_emb.proj.4.bias"], LN_EPS_IMG).to(cd)
    cos, sin = (v.to(dev) for v in rope_tables(c, f, h, w))
    frames = emo.shape[1]
    emo_rows = emo[0].to(cd)

    for i in range(c["num_layers"]):
        b = "blocks.%d" % i
        m = W[b + ".modulation"] + e0
        hx = modulate(tokens, m[:, 0:1], m[:, 1:2])
        q = rope(rms(lin(hx, b + ".self_attn.q"), b + ".self_attn.norm_q.weight"), cos, sin)
        k = rope(rms(lin(hx, b + ".self_attn.k"), b + ".self_attn.norm_k.weight"), cos, sin)
        v = lin(hx, b + ".self_attn.v")
        sa = lin(attention(q.to(cd), k.to(cd), v, heads), b + ".self_attn.o").float()
        tokens = tokens + sa * m[:, 2:3]

        ca = b + ".cross_attn"
        hc = F.layer_norm(tokens, (D,), W[b + ".norm3.weight"], W[b + ".norm3.bias"], LN_EPS_BLOCK)
        cq = rms(lin(hc, ca + ".q"), ca + ".norm_q.weight").to(cd)
        t_att = attention(cq, rms(lin(text, ca + ".k"), ca + ".norm_k.weight").to(cd), lin(text, ca + ".v"), heads)
        i_att = attention(cq, rms(lin(img, ca + ".k_img"), ca + ".norm_k_img.weight").to(cd), lin(img, ca + ".v_img"), heads)
        xx = (t_att + i_att).float()
        ek = F.linear(emo_rows, W[ca + ".emo_k_proj.weight"])
        ev = F.linear(emo_rows, W[ca + ".emo_v_proj.weight"])
        ex = attention(cq.reshape(frames, -1, D), ek, ev, heads).reshape(1, -1, D).float()

        def stats(v):
            mean = v.mean(dim=(1, 2), keepdim=True)
            centered = v - mean
            std = torch.sqrt(centered.pow(2).sum(dim=(1, 2), keepdim=True) / (v.shape[1] * v.shape[2] - 1))
            return mean, centered, std

        e_mean, e_centered, e_std = stats(ex)
        x_mean, _, x_std = stats(xx)
        ex = e_centered * (x_std / (e_std + EMO_STD_EPS)) + x_mean
        tokens = tokens + lin(xx + ex * ip_scale, ca + ".o").float()

        hf = modulate(tokens, m[:, 3:4], m[:, 4:5])
        ffn = lin(F.gelu(lin(hf, b + ".ffn.0"), approximate="tanh"), b + ".ffn.2").float()
        tokens = tokens + ffn * m[:, 5:6]

    mh = W["head.modulation"] + e.unsqueeze(1)
    head = lin(modulate(tokens, mh[:, 0:1], mh[:, 1:2]), "head.head").float()
    C = c["out_dim"]
    out = head.reshape(1, f, h, w, pt, ph, pw, C).permute(0, 7, 1, 4, 2, 5, 3, 6)
    return out.reshape(1, C, f * pt, h * ph, w * pw)


def random_inputs(c, shape, device, seed=7):
    import torch
    g = torch.Generator(device="cpu").manual_seed(seed)
    _, _, _, lh, lw = grid(c, shape)
    F_ = shape["latentFrames"]
    r = lambda dims, s: (torch.randn(dims, generator=g) * s).to(device)
    return dict(x=r([1, c["out_dim"], F_, lh, lw], 1), y=r([1, c["in_dim"] - c["out_dim"], F_, lh, lw], 1),
                t=TIMESTEP, context=r([1, c["text_len"], c["text_dim"]], 0.5), clip_fea=r([1, CLIP_TOKENS, c["clip_dim"]], 1),
                emo=r([1, F_, EMO_TOKENS, EMO_DIM], 0.5), ip_scale=1.0)


# ------------------------------------------------------------------------------------- modes ----

def write_weights(c, raw, folder, seed, layers_per_shard=4):
    """Seeded random weights, made on the GPU when there is one, written shard by shard: float16,
    except what keeps_float32 names (float32, so the fp16 graph uses every weight in place)."""
    import torch
    os.makedirs(folder, exist_ok=True)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    g = torch.Generator(device=device).manual_seed(seed)
    shapes = parameter_shapes(c)
    groups = {}
    for key in shapes:
        layer = int(key.split(".")[1]) // layers_per_shard if key.startswith("blocks.") else -1
        groups.setdefault(layer, []).append(key)
    try:
        from safetensors.torch import save_file
    except ImportError:
        save_file = None
    t0 = time.time()
    for n, layer in enumerate(sorted(groups)):
        tensors = {}
        for key in sorted(groups[layer]):
            offset, scale = init_rule(key, shapes[key])
            v = torch.randn(shapes[key], generator=g, device=device, dtype=torch.float32) * scale + offset
            tensors[key] = v.to(torch.float32 if keeps_float32(key, shapes) else torch.float16).cpu().contiguous()
        path = os.path.join(folder, "model-%05d.safetensors" % n)
        if save_file:
            save_file(tensors, path)
        else:
            write_safetensors(path, {k: v.numpy() for k, v in tensors.items()})
    with open(os.path.join(folder, "config.json"), "w") as fh:
        json.dump(raw, fh, indent=1)
    print("wrote %d parameters to %s in %.1f s" % (sum(math.prod(s) for s in shapes.values()), folder, time.time() - t0), flush=True)


def load_weights(folder, device, only_layers=None):
    """Every tensor of the folder's safetensors on `device`; with only_layers, blocks >= it are not read."""
    import torch
    wanted = lambda k: only_layers is None or not k.startswith("blocks.") or int(k.split(".")[1]) < only_layers
    out = {}
    for f in sorted(f for f in os.listdir(folder) if f.endswith(".safetensors")):
        path = os.path.join(folder, f)
        try:
            from safetensors import safe_open
        except ImportError:
            out.update({k: torch.from_numpy(v.copy()).to(device) for k, v in read_safetensors(path).items() if wanted(k)})
            continue
        with safe_open(path, framework="pt", device=str(device)) as fh:
            for k in fh.keys():
                if wanted(k):
                    out[k] = fh.get_tensor(k)
    return out


def prepare_in_place(weights, cd):
    """prepare() one tensor at a time: the 40-layer model never exists twice on the card."""
    import torch
    shapes = {k: list(v.shape) for k, v in weights.items()}
    for k in list(weights):
        weights[k] = weights[k].to(torch.float32 if keeps_float32(k, shapes) else cd)
    return weights


def cuda_ms(fn, warmup, runs):
    import torch
    for _ in range(warmup):
        fn()
    torch.cuda.synchronize()
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        torch.cuda.synchronize()
        times.append((time.perf_counter() - t0) * 1e3)
    times.sort()
    n = len(times)
    return times[n // 2] if n % 2 else (times[n // 2 - 1] + times[n // 2]) / 2


def matmul_ceiling_tflops():
    import torch
    a = torch.randn(8192, 8192, device="cuda", dtype=torch.bfloat16)
    b = torch.randn(8192, 8192, device="cuda", dtype=torch.bfloat16)
    ms = cuda_ms(lambda: torch.matmul(a, b), 5, 20)
    return 2 * 8192 ** 3 / (ms * 1e-3) / 1e12


def relative_errors(low, ref):
    d = (low.float() - ref).abs()
    return {"maxRelError": float(d.max() / ref.abs().max().clamp_min(1e-30)),
            "rmsRelError": float(d.pow(2).mean().sqrt() / ref.pow(2).mean().sqrt().clamp_min(1e-30))}


class Deadline:
    """The call's time budget (bench/gpu/budget.ts's rule): a step whose estimate exceeds the time
    left is skipped and listed, not started."""

    def __init__(self, deadline_s, reserve_s):
        self.deadline_s, self.reserve_s = deadline_s, reserve_s

    def left(self):
        return (self.deadline_s - time.time()) - self.reserve_s if self.deadline_s else float("inf")

    def admit(self, res, what, needed_s):
        left = self.left()
        if needed_s <= left:
            return True
        res.setdefault("skipped", []).append({"what": what, "neededS": round(needed_s, 1), "leftS": round(max(0.0, left), 1)})
        print("skipped: %s: needs ~%.1f s, %.1f s left" % (what, needed_s, max(0.0, left)), flush=True)
        return False


def bench(args, size, c):
    """Layer stack: every shape and precision is timed with 1 layer and with all c["num_layers"]
    layers of the weight folder; the report derives the cost of one layer and of the rest."""
    import torch
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    name = torch.cuda.get_device_name(0) if device.type == "cuda" else "CPU"
    stack = c["num_layers"]
    res = {"source": "torch", "date": time.strftime("%Y-%m-%d", time.gmtime()), "device": name, "size": size,
           "notes": ["torch %s, %s" % (torch.__version__, "SDPA" if hasattr(torch.nn.functional, "scaled_dot_product_attention") else "explicit softmax attention")],
           "dit": [], "vae": [], "accuracy": [], "skipped": [], "stackLayers": stack, "modelLayers": args.model_layers}
    deadline = Deadline(args.deadline, args.reserve)

    def save():
        os.makedirs(args.out, exist_ok=True)
        with open(os.path.join(args.out, "torch-%s-%s.json" % (res["date"], size)), "w") as fh:
            json.dump(res, fh, indent=1)

    rate = 5e9  # FLOP/s assumed on a CPU; on the GPU a third of the measured matmul ceiling
    if device.type == "cuda":
        res["matmulCeilingTflops"] = matmul_ceiling_tflops()
        rate = res["matmulCeilingTflops"] * 1e12 / 3
        print("matmul ceiling %.0f TFLOP/s" % res["matmulCeilingTflops"], flush=True)
    save()
    estimate = lambda flops, calls: 1.0 + calls * flops / rate

    if "check" in args.phases:
        check = dict(c, num_layers=1)
        what = "1 of %d layers, %s" % (args.model_layers, CHECK_SHAPE[size]["name"])
        if deadline.admit(res, "fp16/bf16 vs fp32, " + what, estimate(call_flops(check, CHECK_SHAPE[size]), 9)):
            raw = load_weights(args.weights, device, 1)
            inputs = random_inputs(check, CHECK_SHAPE[size], device)
            with torch.no_grad():
                ref = forward(prepare(raw, torch.float32), check, cd=torch.float32, **inputs)
                for precision, cd in (("fp16", torch.float16), ("bf16", torch.bfloat16)):
                    if precision not in args.precisions:
                        continue
                    row = dict(what=what, provider="torch-" + device.type, precision=precision, budget=ERROR_BUDGET[precision])
                    try:
                        row.update(relative_errors(forward(prepare(raw, cd), check, cd=cd, **inputs), ref))
                    except Exception as err:  # e.g. no float16 conv kernel on an old CPU torch
                        row["error"] = str(err).splitlines()[0][:300]
                    res["accuracy"].append(row)
                    print("check %s: %s" % (precision, row), flush=True)
            del raw, ref
        save()

    if "dit" in args.phases:
        W = load_weights(args.weights, device)
        for precision, cd in (("bf16", torch.bfloat16), ("fp16", torch.float16)):
            if precision not in args.precisions:
                continue
            W = prepare_in_place(W, cd)
            for shape in SHAPES[size]:
                if shape["name"] not in args.shapes:
                    continue
                for layers in (1, stack):
                    config = dict(c, num_layers=layers)
                    flops = call_flops(config, shape)
                    row = {"shape": shape["name"], "tokens": math.prod(grid(c, shape)[:3]), "provider": "torch-" + device.type,
                           "precision": precision, "layers": layers, "attention": "SDPA" if hasattr(torch.nn.functional, "scaled_dot_product_attention") else "softmax",
                           "flops": flops, "runs": args.runs}
                    if not deadline.admit(res, "DiT %d layer(s) %s at %s" % (layers, precision, shape["name"]), estimate(flops, args.warmup + args.runs)):
                        save()
                        continue
                    try:
                        inputs = random_inputs(c, shape, device)
                        with torch.no_grad():
                            fn = lambda: forward(W, config, cd=cd, **inputs)
                            row["ms"] = cuda_ms(fn, args.warmup, args.runs) if device.type == "cuda" else cpu_ms(fn, args.warmup, args.runs)
                    except Exception as err:  # one shape failing (out of memory) must not lose the others
                        row["error"] = str(err).splitlines()[0][:300]
                    res["dit"].append(row)
                    print("dit: %s" % row, flush=True)
                    save()
    save()


def cpu_ms(fn, warmup, runs):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1e3)
    return sorted(times)[len(times) // 2]


def run_inputs(args, c):
    import numpy as np
    import torch
    arrays = read_safetensors(args.run_inputs)
    t = lambda k: torch.from_numpy(np.array(arrays[k], dtype=np.float32))
    weights = {}
    for path in args.weights_files:
        weights.update({k: torch.from_numpy(np.array(v, dtype=np.float32)) for k, v in read_safetensors(path).items()})
    cd = {"fp32": torch.float32, "fp16": torch.float16, "bf16": torch.bfloat16}[args.precision]
    with torch.no_grad():
        out = forward(prepare(weights, cd), c, t("x"), t("y"), float(t("t")[0]), t("context"), t("clip_fea"), t("emo_proj"), float(t("ip_scale")[0]), cd)
    write_safetensors(args.output, {"noise_pred": out.float().numpy()})


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mode = p.add_mutually_exclusive_group(required=True)
    mode.add_argument("--dry-run", action="store_true", help="print parameter/activation shapes as JSON (no torch)")
    mode.add_argument("--write-weights", metavar="DIR")
    mode.add_argument("--bench", action="store_true")
    mode.add_argument("--run-inputs", metavar="FILE")
    p.add_argument("--size", choices=["real", "tiny"], default="real")
    p.add_argument("--config", metavar="FILE", help="config.json to use instead of --size's (text_dim / clip_dim keys honoured)")
    p.add_argument("--layers", type=int, help="override num_layers")
    p.add_argument("--weights", metavar="DIR", default="/tmp/flashgraph-gpu/dit-real")
    p.add_argument("--weights-files", nargs="*", default=[], metavar="FILE", help="--run-inputs: safetensors weight files")
    p.add_argument("--output", metavar="FILE")
    p.add_argument("--precision", choices=["fp32", "fp16", "bf16"], default="fp32")
    p.add_argument("--out", default="bench-out")
    p.add_argument("--phases", default="check,dit")
    p.add_argument("--shapes", default=None)
    p.add_argument("--precisions", default="fp16,bf16")
    p.add_argument("--model-layers", type=int, help="--bench: layers of the model the per-layer cost is scaled to (default: the --size config's)")
    p.add_argument("--deadline", type=float, default=0, help="--bench: wall-clock deadline, seconds since the epoch; steps that would not fit are skipped")
    p.add_argument("--reserve", type=float, default=5, help="--bench: seconds kept back before the deadline")
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument("--runs", type=int, default=2)
    p.add_argument("--seed", type=int, default=1)
    args = p.parse_args(argv)
    size = args.size
    if args.config:
        with open(args.config) as fh:
            raw = json.load(fh)
    else:
        raw = dict(REAL_CONFIG if size == "real" else TINY_CONFIG)
    if args.model_layers is None:
        args.model_layers = raw["num_layers"]
    if args.layers:
        raw["num_layers"] = args.layers
    c = resolve_config(raw)
    args.phases = args.phases.split(",")
    args.precisions = args.precisions.split(",")
    args.shapes = args.shapes.split(",") if args.shapes else [s["name"] for s in SHAPES[size]]
    if args.dry_run:
        json.dump(dry_run(size, c), sys.stdout)
        print()
    elif args.write_weights:
        write_weights(c, raw, args.write_weights, args.seed)
    elif args.bench:
        with open(os.path.join(args.weights, "config.json")) as fh:
            stack = json.load(fh)["num_layers"]  # the layer stack the weight folder holds
        bench(args, size, resolve_config(dict(raw, num_layers=args.layers or stack)))
    else:
        if not args.output:
            p.error("--run-inputs needs --output")
        run_inputs(args, c)


if __name__ == "__main__":
    main(sys.argv[1:])
