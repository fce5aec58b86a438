"""Regenerate the `vae` golden fixture from FlashPortrait's original PyTorch code at sizes of your
choice, the way /work/shared/golden/vae/README.md says the shipped one was made: AutoencoderKLWan
with its model replaced by `_video_vae(z_dim=16, dim=...)`, random float32 weights saved without the
`model.` prefix and reloaded as from_pretrained does; the tiled wrapper with scaled-down tiles; the
TAEHV tiny decoder with its width literals replaced by module variables, stored float16.

    python3 regen_vae.py --src <checkout of okdalto/ComfyUI-FlashPortrait> --out <folder>/vae [sizes]
    python3 regen_vae.py --src <checkout> --check <existing vae folder>   # harness self-check
"""
import argparse
import json
import math
import os
import re

import torch

from common import install_shims, key_list, load_source, read_safetensors, stub_package, write_case


def parse_args():
    p = argparse.ArgumentParser()
    p.add_argument('--src', required=True)
    p.add_argument('--out')
    p.add_argument('--dim', type=int, default=12, help='Wan VAE base width (real 96, shipped 8)')
    p.add_argument('--tiny-encoder', type=int, default=12, help='TAEHV encoder width (real 64, shipped 8)')
    p.add_argument('--tiny-decoder', default='24,16,12,8', help='TAEHV decoder widths n_f (real 256,128,64,64)')
    p.add_argument('--frames', type=int, default=17, help='video frames of enc / enc_masked / dec / tiny_dec (4k+1)')
    p.add_argument('--height', type=int, default=48)
    p.add_argument('--width', type=int, default=64)
    p.add_argument('--tile', type=int, default=64, help='tile_sample_min_height/width')
    p.add_argument('--stride', type=int, default=48, help='tile_sample_stride_height/width')
    p.add_argument('--tiled-frames', type=int, default=9)
    p.add_argument('--tiled-height', type=int, default=80)
    p.add_argument('--tiled-width', type=int, default=112)
    p.add_argument('--seed', type=int, default=7)
    p.add_argument('--check', metavar='VAE_DIR', help='rerun an existing vae fixture on its own weights and print the largest differences')
    return p.parse_args()


def tiny_widths_source(text):
    """TAEHV's widths are literals: the encoder's 64s and the decoder's n_f list become module variables."""
    start, end = text.index('self.encoder = nn.Sequential('), text.index('n_f = [256, 128, 64, 64]')
    encoder = re.sub(r'\b64\b', 'TINY_ENCODER_WIDTH', text[start:end])
    return text[:start] + encoder + 'n_f = list(TINY_DECODER_WIDTHS)' + text[end + len('n_f = [256, 128, 64, 64]'):]


def load_original(src, encoder_width, decoder_widths):
    install_shims()
    stub_package('wan')
    stub_package('wan.models')
    vae_mod = load_source(src, 'wan/models/wan_vae.py', 'wan.models.wan_vae')
    tiled = load_source(src, 'wan/models/wan_vae_tiled.py', 'wan.models.wan_vae_tiled')
    tiny = load_source(src, 'wan/models/wan_vae_tiny.py', 'wan.models.wan_vae_tiny', transform=tiny_widths_source)
    tiny.TINY_ENCODER_WIDTH, tiny.TINY_DECODER_WIDTHS = encoder_width, decoder_widths
    return vae_mod, tiled, tiny


def open_vae(vae_mod, path, dim):
    """AutoencoderKLWan with the model at the fixture's width, loaded as from_pretrained does."""
    vae = vae_mod.AutoencoderKLWan()
    vae.model = vae_mod._video_vae(z_dim=16, dim=dim)
    missing, unexpected = vae.load_state_dict({'model.' + k: v for k, v in torch.load(path, map_location='cpu').items()}, strict=False)
    assert not missing and not unexpected, (missing, unexpected)
    return vae.eval()


class Recorder:
    """conv1's input/output during encode (encoder_features, mu_raw, logvar_raw) and the decoder
    output before the in-place clamp."""

    def __init__(self, vae):
        self.values = {}
        vae.model.conv1.register_forward_hook(self._conv1)
        original_decode = vae.model.decode

        def decode(z, scale=None):
            out = original_decode(z, scale)
            self.values['video_unclamped'] = out.clone()
            return out
        vae.model.decode = decode

    def _conv1(self, module, inputs, output):
        self.values['encoder_features'] = inputs[0].clone()
        self.values['mu_raw'], self.values['logvar_raw'] = (t.clone() for t in output.chunk(2, dim=1))


def tiny_decoder(tiny, path):
    model = tiny.WanVAE_tiny(vae_path=path, dtype=torch.float32, need_scaled=False)
    raw = {}
    original = tiny.apply_model_with_memblocks

    def apply(m, x, parallel, show_progress_bar):
        out = original(m, x, parallel, show_progress_bar)
        if m is model.taehv.decoder:
            raw['decoder_raw_untrimmed'] = out.transpose(1, 2).clone()  # before decode_video's in-place clamp
        return out
    tiny.apply_model_with_memblocks = apply
    return model, raw


def run_cases(vae, tiled, tiny_model, tiny_raw, inputs, tiles):
    rec = Recorder(vae)
    out = {}
    with torch.no_grad():
        latent = vae.encode(inputs['enc'])[0].mode()
        out['enc'] = {'latent': latent, **{k: rec.values[k] for k in ('mu_raw', 'logvar_raw', 'encoder_features')}}
        out['enc_masked'] = {'latent': vae.encode(inputs['enc_masked'])[0].mode()}
        video = vae.decode(inputs['dec']).sample
        out['dec'] = {'video': video, 'video_unclamped': rec.values['video_unclamped']}
        wrapper = tiled.setup_tiled_vae(vae, *tiles)
        out['enc_tiled'] = {'latent': wrapper.encode(inputs['enc_tiled'])[0].mode()}
        out['dec_tiled'] = {'video': wrapper.decode(inputs['dec_tiled']).sample}
        out['tiny_dec'] = {'video': tiny_model.decode(inputs['tiny_dec'], parallel=False), 'decoder_raw_untrimmed': tiny_raw['decoder_raw_untrimmed']}
    return out


def check(a):
    config = json.load(open(os.path.join(a.check, 'config.json')))
    widths = config['tiny_vae']['tiny']
    vae_mod, tiled, tiny = load_original(a.src, widths['encoder_width'], widths['decoder_n_f'])
    vae = open_vae(vae_mod, os.path.join(a.check, 'Wan2.1_VAE.pth'), config['wan_vae']['tiny']['dim'])
    tiny_model, tiny_raw = tiny_decoder(tiny, os.path.join(a.check, 'fast_vae.pth'))
    ios = {c: read_safetensors(os.path.join(a.check, c, 'io.safetensors')) for c in ('enc', 'enc_masked', 'dec', 'enc_tiled', 'dec_tiled', 'tiny_dec')}
    tiles = list(json.load(open(os.path.join(a.check, 'enc_tiled/case.json')))['tiles'].values())
    inputs = {c: next(v for k, v in io.items() if k.startswith('in.')) for c, io in ios.items()}
    out = run_cases(vae, tiled, tiny_model, tiny_raw, inputs, tiles)
    for c, values in out.items():
        diffs = {k: float((v - ios[c]['out.' + k]).abs().max()) for k, v in values.items()}
        print(f'{c}: ' + ', '.join(f'{k} {d:.1e}' for k, d in diffs.items()))


def randomise_vae(model, g):
    """The VAE README's init: convs N(0, 1/fan_in), biases N(0, 0.05^2), gammas 1 + N(0, 0.2^2)."""
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith('bias'):
                p.copy_(torch.randn(p.shape, generator=g) * 0.05)
            elif name.endswith('gamma'):
                p.copy_(1 + torch.randn(p.shape, generator=g) * 0.2)
            else:
                p.copy_(torch.randn(p.shape, generator=g) / math.sqrt(p[0].numel()))


def randomise_taehv(taehv, g):
    """He init x 0.7, biases N(0, 0.05^2); the last conv x2 with +0.5 bias (a few % reach the clamp)."""
    with torch.no_grad():
        for name, p in taehv.named_parameters():
            if name.endswith('bias'):
                p.copy_(torch.randn(p.shape, generator=g) * 0.05)
            else:
                p.copy_(torch.randn(p.shape, generator=g) * 0.7 * math.sqrt(2 / p[0].numel()))
        last = taehv.decoder[-1]
        last.weight.mul_(2)
        last.bias.add_(0.5)


def main():
    a = parse_args()
    if a.check:
        return check(a)
    g = torch.Generator().manual_seed(a.seed)
    decoder_widths = [int(w) for w in a.tiny_decoder.split(',')]
    vae_mod, tiled, tiny = load_original(a.src, a.tiny_encoder, decoder_widths)
    os.makedirs(a.out, exist_ok=True)

    model = vae_mod._video_vae(z_dim=16, dim=a.dim)
    randomise_vae(model, g)
    state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    torch.save(state, os.path.join(a.out, 'Wan2.1_VAE.pth'))
    taehv = tiny.TAEHV(checkpoint_path=None)
    randomise_taehv(taehv, g)
    tiny_state = {k: v.detach().to(torch.float16) for k, v in taehv.state_dict().items()}
    torch.save(tiny_state, os.path.join(a.out, 'fast_vae.pth'))
    with open(os.path.join(a.out, 'keys.json'), 'w') as f:
        json.dump({'Wan2.1_VAE.pth': key_list(state), 'fast_vae.pth': key_list(tiny_state)}, f, indent=1)

    vae = open_vae(vae_mod, os.path.join(a.out, 'Wan2.1_VAE.pth'), a.dim)
    tiny_model, tiny_raw = tiny_decoder(tiny, os.path.join(a.out, 'fast_vae.pth'))
    with open(os.path.join(a.out, 'config.json'), 'w') as f:
        json.dump({
            'wan_vae': {'tiny': {'dim': a.dim, 'z_dim': 16, 'dim_mult': [1, 2, 4, 4], 'num_res_blocks': 2, 'attn_scales': [],
                                 'temperal_downsample': [False, True, True], 'dropout': 0.0},
                        'temporal_compression_ratio': 4, 'spatial_compression_ratio': 8,
                        'latents_mean': [round(float(v), 4) for v in vae.mean], 'latents_std': [round(float(v), 4) for v in vae.std]},
            'tiny_vae': {'tiny': {'encoder_width': a.tiny_encoder, 'decoder_n_f': decoder_widths}, 'latent_channels': 16, 'patch_size': 1,
                         'frames_to_trim': tiny_model.taehv.frames_to_trim, 'need_scaled': False, 'parallel': False, 'stored_dtype': 'float16'},
        }, f, indent=2)

    T = (a.frames - 1) // 4 + 1
    h, w = a.height // 8, a.width // 8
    video = torch.rand(1, 3, a.frames, a.height, a.width, generator=g) * 1.98 - 0.99
    masked = torch.zeros_like(video)
    masked[:, :, 0] = torch.rand(1, 3, a.height, a.width, generator=g) * 1.98 - 0.99
    tiled_T = (a.tiled_frames - 1) // 4 + 1
    inputs = {
        'enc': video, 'enc_masked': masked, 'dec': torch.randn(1, 16, T, h, w, generator=g),
        'enc_tiled': torch.rand(1, 3, a.tiled_frames, a.tiled_height, a.tiled_width, generator=g) * 1.98 - 0.99,
        'dec_tiled': torch.randn(1, 16, tiled_T, a.tiled_height // 8, a.tiled_width // 8, generator=g),
        'tiny_dec': torch.randn(1, 16, T, h, w, generator=g),
    }
    tiles = [a.tile, a.tile, a.stride, a.stride]
    out = run_cases(vae, tiled, tiny_model, tiny_raw, inputs, tiles)
    tile_json = dict(zip(['tile_sample_min_height', 'tile_sample_min_width', 'tile_sample_stride_height', 'tile_sample_stride_width'], tiles))
    size = {'num_frames': a.frames, 'height': a.height, 'width': a.width}
    chunks = [[0, 1]] + [[1 + 4 * i, 5 + 4 * i] for i in range(T - 1)]
    cases = {
        'enc': ('in.video', {'call': 'vae.encode(in.video)[0].mode()', **size, 'temporal_chunks': chunks, 'latent_shape': [1, 16, T, h, w]}),
        'enc_masked': ('in.video', {'call': 'vae.encode(in.video)[0].mode()', **size}),
        'dec': ('in.latents', {'call': 'vae.decode(in.latents).sample', 'latent_frames': T, **size}),
        'enc_tiled': ('in.video', {'call': 'setup_tiled_vae(vae, **tiles).encode(in.video)[0].mode()', 'tiles': tile_json,
                                   'num_frames': a.tiled_frames, 'height': a.tiled_height, 'width': a.tiled_width}),
        'dec_tiled': ('in.latents', {'call': 'setup_tiled_vae(vae, **tiles).decode(in.latents).sample', 'tiles': tile_json, 'latent_frames': tiled_T,
                                     'num_frames': a.tiled_frames, 'height': a.tiled_height, 'width': a.tiled_width}),
        'tiny_dec': ('in.latents', {'call': 'WanVAE_tiny(fast_vae.pth, need_scaled=False).decode(in.latents, parallel=False)', 'latent_frames': T, **size,
                                    'frames_to_trim': tiny_model.taehv.frames_to_trim, 'tiny_widths': {'encoder': a.tiny_encoder, 'decoder_n_f': decoder_widths}}),
    }
    for name, (input_name, case) in cases.items():
        tensors = {input_name: inputs[name], **{f'out.{k}': v for k, v in out[name].items()}}
        write_case(os.path.join(a.out, name), tensors, {'description': f'regenerated by tests/golden-regen/regen_vae.py', **case})
    print(f'vae: dim {a.dim}, TAEHV {a.tiny_encoder} / {decoder_widths}; enc {list(video.shape)} -> {list(out["enc"]["latent"].shape)}; '
          f'dec -> {list(out["dec"]["video"].shape)}; tiles {tiles}: enc_tiled {list(inputs["enc_tiled"].shape)} -> {list(out["enc_tiled"]["latent"].shape)}, '
          f'dec_tiled -> {list(out["dec_tiled"]["video"].shape)}; tiny_dec -> {list(out["tiny_dec"]["video"].shape)}')


if __name__ == '__main__':
    main()
