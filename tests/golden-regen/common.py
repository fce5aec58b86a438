"""Shared plumbing for the golden regeneration scripts (regen_dit.py, regen_vae.py).

Nothing here is model math: a hand-written safetensors reader/writer (python3-safetensors is not in
Debian), the shims the fixture READMEs list for running FlashPortrait's original PyTorch code under
Debian's torch 1.13 (a minimal `diffusers`, `einops.rearrange`, `tqdm`, `torch.compiler.disable`,
an explicit `F.scaled_dot_product_attention`), and a loader that imports one original source file
as a module of a stub `wan` package. The original sources are never copied here: the scripts take
the path of a checkout (`git archive` of okdalto/ComfyUI-FlashPortrait) as an argument.
"""
import importlib.util
import json
import math
import os
import struct
import sys
import types

import torch
import torch.nn as nn
import torch.nn.functional as F

_DTYPES = {torch.float32: 'F32', torch.float16: 'F16', torch.int64: 'I64'}
_TORCH = {v: k for k, v in _DTYPES.items()}


def write_safetensors(path, tensors):
    """tensors: dict name -> torch tensor (float32, float16 or int64), written little-endian."""
    header, blobs, offset = {}, [], 0
    for name in sorted(tensors):
        t = tensors[name].detach().contiguous().cpu()
        data = t.numpy().tobytes()
        header[name] = {'dtype': _DTYPES[t.dtype], 'shape': list(t.shape), 'data_offsets': [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    raw = json.dumps(header, separators=(',', ':')).encode()
    raw += b' ' * (-len(raw) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(raw)))
        f.write(raw)
        for b in blobs:
            f.write(b)


def read_safetensors(path):
    with open(path, 'rb') as f:
        data = f.read()
    n = struct.unpack('<Q', data[:8])[0]
    header = json.loads(data[8:8 + n])
    out = {}
    for name, e in header.items():
        if name == '__metadata__':
            continue
        a, b = e['data_offsets']
        buf = bytearray(data[8 + n + a:8 + n + b])
        out[name] = torch.frombuffer(buf, dtype=_TORCH[e['dtype']]).reshape(e['shape']).clone()
    return out


def key_list(state_dict):
    """keys.json rows: {key, shape, dtype} in the dict's order."""
    names = {torch.float32: 'float32', torch.float16: 'float16', torch.int64: 'int64'}
    return [{'key': k, 'shape': list(v.shape), 'dtype': names[v.dtype]} for k, v in state_dict.items()]


def write_case(folder, tensors, case):
    os.makedirs(folder, exist_ok=True)
    write_safetensors(os.path.join(folder, 'io.safetensors'), tensors)
    with open(os.path.join(folder, 'case.json'), 'w') as f:
        json.dump(case, f, indent=2)


def explicit_sdpa(q, k, v, attn_mask=None, dropout_p=0.0, is_causal=False):
    """torch 1.13 has no F.scaled_dot_product_attention: the same maths, written out (no mask is used)."""
    assert attn_mask is None and not is_causal
    w = torch.softmax((q @ k.transpose(-2, -1)) / math.sqrt(q.shape[-1]), dim=-1)
    return w @ v


def _module(name, **attrs):
    m = types.ModuleType(name)
    m.__path__ = []  # a package, so submodules resolve
    for k, v in attrs.items():
        setattr(m, k, v)
    sys.modules[name] = m
    return m


def install_shims():
    """The shims the DiT and VAE READMEs describe; none changes the maths."""
    if not hasattr(torch, 'compiler'):
        torch.compiler = types.SimpleNamespace(disable=lambda *a, **k: (lambda f: f))
    if not hasattr(F, 'scaled_dot_product_attention'):
        F.scaled_dot_product_attention = explicit_sdpa

    class ModelMixin(nn.Module):
        pass

    class ConfigMixin:
        pass

    class FromOriginalModelMixin:
        pass

    class DiagonalGaussianDistribution:
        """diffusers' semantics: chunk into mean / logvar, clamp logvar to [-30, 20], mode() = mean."""
        def __init__(self, parameters):
            self.mean, self.logvar = torch.chunk(parameters, 2, dim=1)
            self.logvar = torch.clamp(self.logvar, -30.0, 20.0)

        def mode(self):
            return self.mean

    class _Output:
        def __init__(self, **kw):
            self.__dict__.update(kw)

        def __getitem__(self, i):
            return list(self.__dict__.values())[i]

    class _Logger:
        def __getattr__(self, _):
            return lambda *a, **k: None

    _module('diffusers')
    _module('diffusers.configuration_utils', ConfigMixin=ConfigMixin, register_to_config=lambda f: f)
    _module('diffusers.loaders')
    _module('diffusers.loaders.single_file_model', FromOriginalModelMixin=FromOriginalModelMixin)
    _module('diffusers.models')
    _module('diffusers.models.modeling_utils', ModelMixin=ModelMixin)
    _module('diffusers.models.autoencoders')
    _module('diffusers.models.autoencoders.vae', DecoderOutput=_Output, DiagonalGaussianDistribution=DiagonalGaussianDistribution)
    _module('diffusers.models.modeling_outputs', AutoencoderKLOutput=_Output)
    _module('diffusers.utils', is_torch_version=lambda op, v: True, logging=types.SimpleNamespace(get_logger=lambda *_: _Logger()))
    _module('diffusers.utils.accelerate_utils', apply_forward_hook=lambda f: f)

    def rearrange(x, pattern, **sizes):
        pattern = pattern.replace(' ', '')
        if pattern == 'bcthw->(bt)chw':
            b, c, t, h, w = x.shape
            return x.permute(0, 2, 1, 3, 4).reshape(b * t, c, h, w)
        if pattern == '(bt)chw->bcthw':
            bt, c, h, w = x.shape
            t = sizes['t']
            return x.reshape(bt // t, t, c, h, w).permute(0, 2, 1, 3, 4)
        raise NotImplementedError(pattern)

    _module('einops', rearrange=rearrange)

    def tqdm(iterable=None, *a, **k):
        class _Bar:
            def __iter__(self):
                return iter(iterable if iterable is not None else [])

            def update(self, *_):
                pass

            def close(self):
                pass
        return _Bar()

    _module('tqdm', tqdm=tqdm)
    _module('tqdm.auto', tqdm=tqdm)


def load_source(src_root, relative, module_name, transform=None):
    """Import one original file as `module_name` (a member of the stub `wan` package)."""
    path = os.path.join(src_root, relative)
    with open(path) as f:
        text = f.read()
    if transform:
        text = transform(text)
    spec = importlib.util.spec_from_loader(module_name, loader=None, origin=path)
    mod = importlib.util.module_from_spec(spec)
    mod.__file__ = path
    mod.__package__ = module_name.rpartition('.')[0]
    sys.modules[module_name] = mod
    exec(compile(text, path, 'exec'), mod.__dict__)
    return mod


def stub_package(name, **attrs):
    return _module(name, **attrs)


def randomise(module, generator, norm_std=0.1, bias_std=0.05):
    """Random parameters everywhere, also where the original initialises zeros (the READMEs' rule):
    norm weights and gammas 1 + N(0, norm_std), biases N(0, bias_std), modulation / latent queries
    N(0, 1/width) as the original draws them, other matrices and convs N(0, 1/fan_in)."""
    with torch.no_grad():
        for name, p in module.named_parameters():
            leaf = name.rsplit('.', 1)[-1]
            if leaf == 'bias':
                p.copy_(torch.randn(p.shape, generator=generator) * bias_std)
            elif p.ndim == 1 or leaf == 'gamma':
                p.copy_(1 + torch.randn(p.shape, generator=generator) * norm_std)
            elif leaf in ('modulation', 'latents'):
                p.copy_(torch.randn(p.shape, generator=generator) / math.sqrt(p.shape[-1]))
            else:
                p.copy_(torch.randn(p.shape, generator=generator) / math.sqrt(p[0].numel()))
