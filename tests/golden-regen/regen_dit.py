"""Regenerate the `dit` golden fixture (window/ and pe/) from FlashPortrait's original PyTorch code,
at sizes of your choice, the way /work/shared/golden/dit/README.md says the shipped one was made:
random float32 weights at tiny widths, base shards with the fine-tuned attention perturbed, the
full transformer.pt overlay, one context window of one step (posi / no_emo / no_cond) with the
posi branch's intermediates, and the PortraitEncoder + emotion-token split of the same window.

    python3 regen_dit.py --src <checkout of okdalto/ComfyUI-FlashPortrait> --out <folder>/dit [sizes]

The checkout is read, never copied. Debian's python3-torch (1.13) with libopenblas0-pthread runs it;
the shims are in common.py.
"""
import argparse
import json
import math
import os
import ast

import torch

from common import install_shims, key_list, load_source, randomise, stub_package, write_case, write_safetensors

# FlowMatchEulerDiscreteScheduler(1000, shift 5) set_timesteps(30, mu=1), as in the shipped window/case.json.
TIMESTEPS_30 = [1000.0, 992.944091796875, 985.4783935546875, 977.5659790039062, 969.165771484375, 960.2308959960938,
                950.7088623046875, 940.539794921875, 929.6553344726562, 917.977294921875, 905.4156494140625,
                891.8660888671875, 877.2073364257812, 861.2974243164062, 843.9689331054688, 825.0233764648438,
                804.2232666015625, 781.2821655273438, 755.8518676757812, 727.5037231445312, 695.7052001953125,
                659.7852783203125, 618.887451171875, 571.8997192382812, 517.3524780273438, 453.2618103027344,
                376.8832092285156, 284.3080139160156, 169.7732391357422, 24.414066314697266]


def parse_args():
    p = argparse.ArgumentParser()
    p.add_argument('--src', required=True, help='checkout of okdalto/ComfyUI-FlashPortrait (read only)')
    p.add_argument('--out', required=True, help='folder to write (the dit/ component)')
    p.add_argument('--dim', type=int, default=96)
    p.add_argument('--ffn-dim', type=int, default=160)
    p.add_argument('--heads', type=int, default=3)
    p.add_argument('--layers', type=int, default=3)
    p.add_argument('--freq-dim', type=int, default=48)
    p.add_argument('--text-len', type=int, default=20)
    p.add_argument('--text-dim', type=int, default=40)
    p.add_argument('--clip-dim', type=int, default=56)
    p.add_argument('--pe-dim', type=int, default=48, help='PortraitEncoder Resampler width')
    p.add_argument('--pe-heads', type=int, default=3)
    p.add_argument('--pe-dim-head', type=int, default=16)
    p.add_argument('--latent-frames', type=int, default=4, help='latent frames of the window')
    p.add_argument('--first-latent', type=int, default=2, help='first latent index of the window in the clip')
    p.add_argument('--clip-frames', type=int, default=25, help='video frames of the driving clip')
    p.add_argument('--height', type=int, default=48, help='pixels (latent = /8)')
    p.add_argument('--width', type=int, default=80)
    p.add_argument('--prompt-tokens', type=int, default=7)
    p.add_argument('--negative-tokens', type=int, default=3)
    p.add_argument('--step', type=int, default=20, help='index into the 30-step schedule')
    p.add_argument('--seed', type=int, default=2024)
    p.add_argument('--check', metavar='DIT_DIR', help='instead: rerun an existing dit fixture\'s window/ and pe/ calls on its own weights and print the largest difference from its stored outputs')
    return p.parse_args()


def utils_functions(src):
    """split_audio_adapter_sequence / split_tensor_with_padding from wan/utils/utils.py, whose imports
    (cv2, imageio, torchvision, einops) are not needed by these two."""
    path = os.path.join(src, 'wan/utils/utils.py')
    tree = ast.parse(open(path).read())
    wanted = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name in ('split_audio_adapter_sequence', 'split_tensor_with_padding')]
    scope = {'torch': torch, 'F': torch.nn.functional}
    exec(compile(ast.Module(body=wanted, type_ignores=[]), path, 'exec'), scope)
    return scope['split_audio_adapter_sequence'], scope['split_tensor_with_padding']


class AttentionRecorder:
    """The original's flash-attn call replaced by explicit float32 softmax attention with the same
    semantics (keys beyond k_lens excluded, no causal, no window, attn_mask ignored as on the flash
    path), recording the cross-attention calls of the block being traced."""

    def __init__(self):
        self.target = None

    def __call__(self, q, k, v, q_lens=None, k_lens=None, dropout_p=0., softmax_scale=None, q_scale=None,
                 causal=False, window_size=(-1, -1), deterministic=False, dtype=torch.bfloat16, fa_version=None,
                 attention_type=None, attn_mask=None):
        b, lq, n, d = q.shape
        scale = softmax_scale if softmax_scale is not None else 1 / math.sqrt(d)
        qh, kh, vh = (t.float().transpose(1, 2) for t in (q, k, v))
        logits = (qh @ kh.transpose(-2, -1)) * scale
        if k_lens is not None:
            keep = torch.arange(k.shape[1])[None, :] < k_lens.view(-1, 1)
            logits = logits.masked_fill(~keep[:, None, None, :], float('-inf'))
        out = (torch.softmax(logits, dim=-1) @ vh).transpose(1, 2).contiguous()
        if self.target is not None:
            self.target.append(out.clone())
        return out


def load_original(src, clip_dim, pe_dims):
    install_shims()
    stub_package('wan')
    stub_package('wan.models')
    stub_package('wan.dist', get_sequence_parallel_rank=lambda: 0, get_sequence_parallel_world_size=lambda: 1,
                 get_sp_group=None, usp_attn_forward=None, xFuserLongContextAttention=None)
    cfg_opt = load_source(src, 'wan/utils/cfg_optimization.py', 'wan.utils_cfg_optimization')
    stub_package('wan.utils', cfg_skip=cfg_opt.cfg_skip)
    recorder = AttentionRecorder()
    stub_package('wan.models.attention_utils', attention=recorder)
    stub_package('wan.models.cache_utils', TeaCache=None)
    stub_package('wan.models.wan_camera_adapter', SimpleAdapter=None)
    wt = load_source(src, 'wan/models/wan_transformer3d.py', 'wan.models.wan_transformer3d')
    # The CLIP width 1280 is a literal in the constructor (`MLPProj(1280, dim)`): patched, as the README says.
    original_proj = wt.MLPProj
    wt.MLPProj = lambda in_dim, out_dim: original_proj(clip_dim, out_dim)
    pe = load_source(src, 'wan/models/portrait_encoder.py', 'wan.models.portrait_encoder')
    original_resampler = pe.Resampler
    dim, heads, dim_head = pe_dims
    pe.Resampler = lambda **kw: original_resampler(**{**kw, 'dim': dim, 'heads': heads, 'dim_head': dim_head})
    return wt, pe, recorder


def rope_table(model, f, h, w):
    """Per token, per complex pair of a head: the angle table rope_apply multiplies by."""
    c = model.d // 2
    freqs = model.freqs.split([c - 2 * (c // 3), c // 3, c // 3], dim=1)
    table = torch.cat([
        freqs[0][:f].view(f, 1, 1, -1).expand(f, h, w, -1),
        freqs[1][:h].view(1, h, 1, -1).expand(f, h, w, -1),
        freqs[2][:w].view(1, 1, w, -1).expand(f, h, w, -1),
    ], dim=-1).reshape(f * h * w, -1)
    return table.real.float(), table.imag.float()


def trace_posi(model, recorder, call):
    """Run the posi call with hooks on the modules the README's out.dbg.* tensors name."""
    dbg, handles, cross = {}, [], {}
    hook = lambda name, fn=lambda o: o: (lambda m, i, o: dbg.__setitem__(name, fn(o).detach().clone()))
    handles.append(model.patch_embedding.register_forward_hook(hook('x_tokens', lambda o: o.flatten(2).transpose(1, 2))))
    handles.append(model.time_embedding.register_forward_hook(hook('time_e')))
    handles.append(model.time_projection.register_forward_hook(hook('time_e0', lambda o: o.unflatten(1, (6, model.dim)))))
    handles.append(model.text_embedding.register_forward_hook(hook('_text')))
    handles.append(model.img_emb.register_forward_hook(hook('_img')))
    handles.append(model.head.register_forward_hook(hook('head')))
    for n, block in enumerate(model.blocks):
        handles.append(block.self_attn.register_forward_hook(hook(f'block{n}.self_attn')))
        handles.append(block.cross_attn.register_forward_hook(hook(f'block{n}.cross_attn')))
        handles.append(block.register_forward_hook(hook(f'block{n}')))
        cross[n] = []
        handles.append(block.cross_attn.register_forward_pre_hook(lambda m, i, n=n: setattr(recorder, 'target', cross[n])))
        handles.append(block.cross_attn.register_forward_hook(lambda m, i, o: setattr(recorder, 'target', None)))
    out = model(**call)
    for h in handles:
        h.remove()
    b, length, dim = dbg['x_tokens'].shape
    for n, (img, text, emo) in cross.items():  # call order in WanI2VCrossAttention.forward: image, text, emotion
        dbg[f'block{n}.cross_img_attn'] = img.reshape(b, length, dim)
        dbg[f'block{n}.cross_text_attn'] = text.reshape(b, length, dim)
        dbg[f'block{n}.cross_emo_attn_raw'] = emo.reshape(b, length, dim)
    dbg['context_tokens'] = torch.cat([dbg.pop('_img'), dbg.pop('_text')], dim=1)
    return out, dbg


def check(a):
    """The harness (shims, attention, hooks) against a fixture made elsewhere: same weights, same
    inputs, so every stored output must come back (float32 noise only)."""
    from common import read_safetensors
    config = json.load(open(os.path.join(a.check, 'Wan2.1-I2V-14B-720P/config.json')))
    pe_state = torch.load(os.path.join(a.check, 'FlashPortrait/portrait_encoder.pt'), map_location='cpu')
    pe_dim = pe_state['mouth_proj_model.proj_in.weight'].shape[0]
    pe_case = json.load(open(os.path.join(a.check, 'pe/case.json')))
    heads = pe_case.get('resampler', {}).get('heads', 2)  # the shipped dit README: 2 heads of 16
    wt, pe_mod, recorder = load_original(a.src, config['clip_dim'], (pe_dim, heads, pe_dim // heads))
    split_sequence, split_padding = utils_functions(a.src)
    m = wt.WanTransformer3DModel(**{k: v for k, v in config.items() if not k.startswith('_') and k != 'clip_dim'}).eval()
    m.load_state_dict(torch.load(os.path.join(a.check, 'FlashPortrait/transformer.pt'), map_location='cpu'), strict=False)
    io = read_safetensors(os.path.join(a.check, 'window/io.safetensors'))
    case = json.load(open(os.path.join(a.check, 'window/case.json')))
    call = lambda ctx, ip: dict(x=io['in.x'], t=io['in.t'], context=[io[ctx][0]], seq_len=case['seq_len'], clip_fea=io['in.clip_fea'],
                                y=io['in.y'], emo_proj=io['in.emo_proj'], emo_context_lens=io['in.emo_context_lens'],
                                latents_num_frames=case['latents_num_frames'], ip_scale=ip)
    with torch.no_grad():
        posi, dbg = trace_posi(m, recorder, call('in.context', 1.0))
        got = {'noise_pred_posi': posi, 'noise_pred_no_emo': m(**call('in.context', 0.0)), 'noise_pred_no_cond': m(**call('in.context_neg', 0.0))}
    dbg['rope_cos'], dbg['rope_sin'] = rope_table(m, *case['grid_sizes_fhw'])
    got.update({f'dbg.{k}': v for k, v in dbg.items()})
    worst = max((float((v - io['out.' + k]).abs().max()), k) for k, v in got.items())
    print(f'window/: {len(got)} outputs recomputed, largest |difference| {worst[0]:.2e} ({worst[1]})')
    encoder = pe_mod.PortraitEncoder(adapter_in_dim=768, adapter_proj_dim=2048).eval()
    for prefix, sub in [('proj_model.', encoder.proj_model), ('mouth_proj_model.', encoder.mouth_proj_model), ('emo_proj_model.', encoder.emo_proj_model)]:
        sub.load_state_dict({k[len(prefix):]: v for k, v in pe_state.items() if k.startswith(prefix)})
    pe_io = read_safetensors(os.path.join(a.check, 'pe/io.safetensors'))
    start, end = (pe_case['emo_video_frames'] if 'emo_video_frames' in pe_case else case['emo_video_frames'])
    with torch.no_grad():
        proj = encoder.get_adapter_proj(pe_io['in.head_emo'][:, start:end])
    split, lens = split_padding(proj, split_sequence(proj.size(1), num_frames=end - start), expand_length=0)
    print(f'pe/: adapter_proj largest |difference| {float((proj - pe_io["out.adapter_proj"]).abs().max()):.2e}; '
          f'split equals window/ in.emo_proj: {bool(torch.equal(split, io["in.emo_proj"]))}, lens {lens.tolist()}')


def main():
    a = parse_args()
    if a.check:
        return check(a)
    g = torch.Generator().manual_seed(a.seed)
    torch.manual_seed(a.seed)
    wt, pe_mod, recorder = load_original(a.src, a.clip_dim, (a.pe_dim, a.pe_heads, a.pe_dim_head))
    split_sequence, split_padding = utils_functions(a.src)

    config = {'_class_name': 'WanModel', '_diffusers_version': '0.30.0', 'dim': a.dim, 'eps': 1e-06, 'ffn_dim': a.ffn_dim,
              'freq_dim': a.freq_dim, 'in_dim': 36, 'model_type': 'i2v', 'num_heads': a.heads, 'num_layers': a.layers,
              'out_dim': 16, 'text_len': a.text_len, 'text_dim': a.text_dim, 'clip_dim': a.clip_dim}
    build = lambda: wt.WanTransformer3DModel(**{k: v for k, v in config.items() if not k.startswith('_') and k != 'clip_dim'}).eval()

    # ---- weights: transformer.pt (all keys), base shards (attention perturbed, no emo_k/v) ----
    reference = build()
    randomise(reference, g)
    full = {k: v.detach().clone() for k, v in reference.state_dict().items()}
    base = {}
    for k, v in full.items():
        if 'emo_k_proj' in k or 'emo_v_proj' in k:
            continue
        perturbed = '.self_attn.' in k or '.cross_attn.' in k
        base[k] = v + 0.5 * v.std().clamp(min=0.05) * torch.randn(v.shape, generator=g) if perturbed else v.clone()
    wan_dir = os.path.join(a.out, 'Wan2.1-I2V-14B-720P')
    fp_dir = os.path.join(a.out, 'FlashPortrait')
    os.makedirs(wan_dir, exist_ok=True)
    os.makedirs(fp_dir, exist_ok=True)
    with open(os.path.join(wan_dir, 'config.json'), 'w') as f:
        json.dump(config, f, indent=2)
    names = sorted(base)
    shards = [names[:len(names) // 2], names[len(names) // 2:]]
    weight_map, keys = {}, {}
    for i, shard in enumerate(shards):
        file = f'diffusion_pytorch_model-{i + 1:05d}-of-{len(shards):05d}.safetensors'
        write_safetensors(os.path.join(wan_dir, file), {k: base[k] for k in shard})
        weight_map.update({k: file for k in shard})
        keys[f'Wan2.1-I2V-14B-720P/{file}'] = key_list({k: base[k] for k in shard})
    with open(os.path.join(wan_dir, 'diffusion_pytorch_model.safetensors.index.json'), 'w') as f:
        json.dump({'metadata': {'total_size': sum(v.numel() * 4 for v in base.values())}, 'weight_map': weight_map}, f, indent=2)
    torch.save(full, os.path.join(fp_dir, 'transformer.pt'))
    keys['FlashPortrait/transformer.pt'] = key_list(full)

    encoder = pe_mod.PortraitEncoder(adapter_in_dim=768, adapter_proj_dim=2048).eval()
    randomise(encoder, g)
    pe_state = {k: v.detach().clone() for k, v in encoder.state_dict().items()}
    torch.save(pe_state, os.path.join(fp_dir, 'portrait_encoder.pt'))
    keys['FlashPortrait/portrait_encoder.pt'] = key_list(pe_state)
    with open(os.path.join(a.out, 'keys.json'), 'w') as f:
        json.dump(keys, f, indent=1)

    # ---- load as nodes.py does ----
    def load_transformer(with_overlay):
        m = build()
        loaded = {}
        for file in sorted(set(weight_map.values())):
            from common import read_safetensors
            loaded.update(read_safetensors(os.path.join(wan_dir, file)))
        m.load_state_dict(loaded, strict=False)
        if with_overlay:
            m.load_state_dict(torch.load(os.path.join(fp_dir, 'transformer.pt'), map_location='cpu'), strict=False)
        else:
            assert all(float(p.abs().max()) == 0 for k, p in m.state_dict().items() if 'emo_' in k), 'emo_k/v must start at zero'
        return m.eval()

    transformer = load_transformer(True)
    portrait = pe_mod.PortraitEncoder(adapter_in_dim=768, adapter_proj_dim=2048).eval()
    pe_loaded = torch.load(os.path.join(fp_dir, 'portrait_encoder.pt'), map_location='cpu')
    for prefix, sub in [('proj_model.', portrait.proj_model), ('mouth_proj_model.', portrait.mouth_proj_model), ('emo_proj_model.', portrait.emo_proj_model)]:
        sub.load_state_dict({k[len(prefix):]: v for k, v in pe_loaded.items() if k.startswith(prefix)})

    # ---- pe/: driving features of the clip, the window's adapter_proj and its split ----
    F_lat, H, W = a.latent_frames, a.height // 8, a.width // 8
    window = list(range(a.first_latent, a.first_latent + F_lat))
    start, end = window[0] * 4, window[-1] * 4 + 1
    assert end <= a.clip_frames, 'the window must fit in the clip'
    head_emo = torch.randn(1, a.clip_frames, 554, generator=g)
    with torch.no_grad():
        adapter_proj = portrait.get_adapter_proj(head_emo[:, start:end])
    pos_idx_range = split_sequence(adapter_proj.size(1), num_frames=end - start)
    emo_proj, emo_lens = split_padding(adapter_proj, pos_idx_range, expand_length=0)
    write_case(os.path.join(a.out, 'pe'), {
        'in.head_emo': head_emo, 'out.adapter_proj': adapter_proj,
        'out.pos_idx_range': torch.tensor(pos_idx_range, dtype=torch.int64), 'out.emo_context_lens': emo_lens.to(torch.int64),
    }, {
        'description': 'PortraitEncoder.get_adapter_proj on the driving features of one context window, plus the split ranges (regenerated by tests/golden-regen/regen_dit.py).',
        'head_emo_layout': '[1, frames, 554] = headpose 6 | eye 6 | emo 30 | mouth 512',
        'video_frames_total': a.clip_frames, 'context_window_latent_indices': window,
        'window_slice': f'head_emo[:, {start}:{end}]', 'emo_video_frames': [start, end], 'num_emo_frames': end - start,
        'resampler': {'dim': a.pe_dim, 'heads': a.pe_heads, 'dim_head': a.pe_dim_head},
    })

    # ---- window/: the three CFG branches, the combinations and the posi intermediates ----
    x = torch.randn(1, 16, F_lat, H, W, generator=g)
    y = torch.cat([torch.zeros(1, 4, F_lat, H, W), torch.randn(1, 16, F_lat, H, W, generator=g)], dim=1)
    y[:, :4, 0] = 1.0
    clip_fea = torch.randn(1, 257, a.clip_dim, generator=g)
    context = torch.randn(1, a.prompt_tokens, a.text_dim, generator=g)
    context_neg = torch.randn(1, a.negative_tokens, a.text_dim, generator=g)
    t = torch.tensor([TIMESTEPS_30[a.step]], dtype=torch.float32)
    seq_len = math.ceil((a.width / 8 * a.height / 8) / 4 * F_lat)
    call = lambda ctx, ip: dict(x=x, t=t, context=[ctx[0]], seq_len=seq_len, clip_fea=clip_fea, y=y, emo_proj=emo_proj,
                                emo_context_lens=emo_lens, latents_num_frames=F_lat, ip_scale=ip)
    with torch.no_grad():
        posi, dbg = trace_posi(transformer, recorder, call(context, 1.0))
        no_emo = transformer(**call(context, 0.0))
        no_cond = transformer(**call(context_neg, 0.0))
        wrong = load_transformer(False)(**call(context, 1.0))
    grid = [F_lat, H // 2, W // 2]
    dbg['rope_cos'], dbg['rope_sin'] = rope_table(transformer, *grid)
    tensors = {
        'in.x': x, 'in.y': y, 'in.clip_fea': clip_fea, 'in.context': context, 'in.context_neg': context_neg, 'in.t': t,
        'in.emo_proj': emo_proj, 'in.emo_context_lens': emo_lens.to(torch.int64),
        'out.noise_pred_posi': posi, 'out.noise_pred_no_emo': no_emo, 'out.noise_pred_no_cond': no_cond,
        'out.noise_pred_cfg_default': no_emo + 4.0 * (posi - no_emo),
        'out.noise_pred_cfg_3way': no_cond + 2.5 * (no_emo - no_cond) + 4.0 * (posi - no_emo),
        'out.wrong.posi_base_weights_only': wrong,
    }
    tensors.update({f'out.dbg.{k}': v for k, v in dbg.items()})
    write_case(os.path.join(a.out, 'window'), tensors, {
        'description': 'One context window of one denoising step: posi / no_emo / no_cond (regenerated by tests/golden-regen/regen_dit.py).',
        'seq_len': seq_len, 'grid_sizes_fhw': grid, 'latent_shape': list(x.shape), 'latents_num_frames': F_lat,
        't': float(t[0]), 'prompt_tokens': a.prompt_tokens, 'negative_prompt_tokens': a.negative_tokens, 'text_len': a.text_len,
        'context_window_latent_indices': window, 'emo_video_frames': [start, end], 'pos_idx_range': pos_idx_range,
        'emo_context_lens': emo_lens.tolist(), 'ip_scale_posi': 1.0, 'ip_scale_no_emo': 0.0, 'ip_scale_no_cond': 0.0,
        'emo_cfg_scale': 4.0, 'text_cfg_scale_for_3way': 2.5, 'height': a.height, 'width': a.width,
    })
    print(f'dit: dim {a.dim}, {a.heads} heads, {a.layers} layers, rope pairs {[(transformer.d // 2) - 2 * (transformer.d // 6), transformer.d // 6, transformer.d // 6]}, '
          f'grid {grid} ({math.prod(grid)} tokens), window frames {start}..{end - 1} of {a.clip_frames}, prompts {a.prompt_tokens}/{a.negative_tokens}, '
          f'{sum(v.numel() for v in full.values())} transformer parameters, |posi - no_emo| {float((posi - no_emo).abs().max()):.3f}, '
          f'|wrong - posi| {float((wrong - posi).abs().max()):.3f}')


if __name__ == '__main__':
    main()
