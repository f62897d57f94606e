"""Autoregressive generation throughput in plain PyTorch (CPU), the PyTorch half of bench/run_generation.sh.

    OMP_WAIT_POLICY=PASSIVE LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-pthread \\
        /usr/bin/python3 bench/python/bench_generation.py --family base_lcm --model-dim 512 --layers 2 --heads 8 \\
        --ffn 2048 --concept-dim 384 --max-seq-len 1100 --batch 64 --lengths 100,1000 --threads 2

The models are the independent reference implementations in fixtures/python (ref_base_lcm.py, ref_two_tower.py), with
random init and the sizes given (the rest as the toy archs: learned positions, LayerNorm, ReLU FFN; two-tower: 1000
diffusion steps, learned positions of std 1.0), the identity normalizer, eval mode, torch.no_grad(). The loop is the
one of lcm4j's LcmGenerator with the KV cache on: B one-concept prompts, each continued by exactly N concepts (no EOS
stop, no repetition stop), one position per step.

* base_lcm: ``predict_next_sentence`` on the new position with the fixtures' ``IncrementalState`` (the keys/values of
  each layer grow by ``torch.cat``, as the fixture implements it), no latent noise.
* two_tower_diffusion_lcm: the context encoder runs incrementally on the fixtures' ``IncrementalState`` (same cache);
  then ``--timesteps`` DDIM steps of the denoiser with classifier-free guidance (``--guidance``, ``--rescale``,
  ``--initial-noise``). The denoiser computes what lcm4j's computes, from the fixture model's own modules and
  weights: the AdaLN modulations once per timestep, the self-attention under the log(eye) mask as
  output_proj(v_proj(h)), the cross-attention keys/values of (zero vector, context) kept per layer and grown by
  ``torch.cat`` by one position per concept (the fixture's cache style), and the unconditional rows of guidance
  (whose mask allows only key 0) attending to key 0 alone. The fixture's literal ``Denoiser.forward`` re-projects the
  whole context of all 2B rows at each DDIM step and modulates every row, which makes 1000 concepts at batch 64 take
  hours on 2 cores; before timing, the loop's denoiser is checked against the literal one on a small input
  (``denoiser_check_rel_diff`` in the output; ``--no-check`` skips it).

Prints one JSON line per length (the same fields as GenerationBench).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "fixtures", "python"))
if os.environ.get("LCM4J_REF_PY_DIR"):
    sys.path.insert(0, os.environ["LCM4J_REF_PY_DIR"])
from ref_base_lcm import BaseLcm, BaseLcmConfig, IncrementalState, SonarNormalizer, param_count  # noqa: E402
from ref_two_tower import TowerConfig, TwoTowerConfig, TwoTowerLcm  # noqa: E402


# ----------------------------------------------------------------------------- base_lcm


def base_generate(model: BaseLcm, norm: SonarNormalizer, prompts: torch.Tensor, n: int, on_step) -> torch.Tensor:
    """prompts [B, 1, C] -> [B, 1 + n, C]."""
    state = IncrementalState()
    out = [prompts]
    x = prompts
    for _ in range(n):
        y = model.predict_next_sentence(x, norm, None, state)  # [B, 1, C]
        state.increment_step_nr(x.size(1))
        x = y[:, -1:]
        out.append(x)
        on_step()
    return torch.cat(out, dim=1)


# ----------------------------------------------------------------------------- two_tower_diffusion_lcm


class Sampler:
    """lcm4j's DiffusionSampler with a per-layer cross-attention KV cache, on the fixture model's modules."""

    def __init__(self, model: TwoTowerLcm, steps: int, guidance: float, rescale: float, init_noise: float,
                 clip: float = 100.0) -> None:
        self.m, self.den, self.sch = model, model.denoiser, model.scheduler
        self.steps, self.guidance, self.rescale, self.init_noise, self.clip = steps, guidance, rescale, init_noise, clip
        self.ts = self.sch.trailing(steps)
        self.mods = {}  # t -> per layer ((shift, scale, gate) x 3), each [1, 1, D]
        self.kv = None  # per layer (k, v) [rows, H, 1 + L, hd]

    def modulations(self, t: int):
        if t not in self.mods:
            emb = self.den.embed_time(torch.full((1, 1), t))
            self.mods[t] = [[m.chunk(3, dim=-1) for m in layer.modulator(emb)] for layer in self.den.layers]
        return self.mods[t]

    @staticmethod
    def project(att, x: torch.Tensor):
        k = att.k_proj(x).unflatten(-1, (att.h, -1)).transpose(1, 2)
        v = att.v_proj(x).unflatten(-1, (att.h, -1)).transpose(1, 2)
        return k, v

    def append_context(self, enc: torch.Tensor) -> None:
        """enc [B, S, D]: the new context positions; the first call prepends the zero vector (key 0)."""
        if self.kv is None:
            enc = torch.cat([torch.zeros_like(enc[:, :1]), enc], dim=1)
        new = [self.project(layer.cross_attention, enc) for layer in self.den.layers]
        if self.kv is None:
            self.kv = new
        else:
            self.kv = [(torch.cat([k, nk], dim=2), torch.cat([v, nv], dim=2)) for (k, v), (nk, nv) in zip(self.kv, new)]

    def zero_key(self, b: int):
        """The unconditional rows' keys/values: the zero vector's alone, per layer [B, H, 1, hd]."""
        z = torch.zeros(b, 1, self.m.cfg.model_dim)
        return [self.project(layer.cross_attention, z) for layer in self.den.layers]

    def denoise(self, x: torch.Tensor, mods, kv) -> torch.Tensor:
        """The fixture's Denoiser.forward (S = 1) with prepared modulations and cross-attention keys/values, every key
        allowed."""
        h = self.den.initial_proj(x)
        for layer, (m_sa, m_ca, m_ff), (k, v) in zip(self.den.layers, mods, kv):
            shift, scale, gate = m_sa
            a = layer.self_attn_layer_norm(h) * (1 + scale) + shift
            h = h + gate * layer.self_attn.output_proj(layer.self_attn.v_proj(a))  # softmax over itself = 1
            shift, scale, gate = m_ca
            a = layer.cross_attention_layer_norm(h) * (1 + scale) + shift
            att = layer.cross_attention
            q = att.q_proj(a).unflatten(-1, (att.h, -1)).transpose(1, 2)
            w = torch.softmax((torch.matmul(q, k.transpose(-1, -2)) * (q.size(-1) ** -0.5)).float(), dim=-1).type_as(q)
            h = h + gate * att.output_proj(torch.matmul(w, v).transpose(1, 2).flatten(2, 3))
            shift, scale, gate = m_ff
            a = layer.ffn_layer_norm(h) * (1 + scale) + shift
            h = h + gate * layer.ffn(a)
        return self.den.final_proj(self.den.layer_norm(h))

    def next_concepts(self, b: int, c: int) -> torch.Tensor:
        """One concept per row from the current cache: [B, 1, C] (normalized space). With guidance the unconditional
        rows (the reference's second half of a 2B batch, mask = key 0 only) attend to key 0 alone, as lcm4j does."""
        sch, cfg = self.sch, self.guidance != 1.0
        latents = (torch.randn(b, 1, c) * self.init_noise).clip(-self.clip, self.clip)
        uncond_kv = self.zero_key(b) if cfg else None
        x0 = None
        for t in self.ts:
            prev = t - sch.T // self.steps
            mods = self.modulations(t)
            out = self.denoise(latents, mods, self.kv)
            if not cfg or t == sch.T - 1:
                latents, x0 = sch.step(out, t, prev, latents)
            else:
                inp = torch.cat([latents, latents], dim=0)
                out = torch.cat([out, self.denoise(latents, mods, uncond_kv)], dim=0)
                eps = sch.epsilon_from_sample(out, inp, t)
                cond, uncond = eps.chunk(2)
                g = uncond + self.guidance * (cond - uncond)
                factor = self.rescale * (cond.std(dim=-1, keepdim=True) / g.std(dim=-1, keepdim=True)) + (1 - self.rescale)
                latents, x0 = sch.step(factor * g, t, prev, latents, prediction="epsilon")
            latents = latents.clip(-self.clip, self.clip)
        return x0


def two_tower_generate(model: TwoTowerLcm, sampler: Sampler, prompts: torch.Tensor, n: int, on_step) -> torch.Tensor:
    norm = model.sonar_normalizer
    state = IncrementalState()
    sampler.kv = None
    b, _, c = prompts.shape
    out = [prompts]
    x = prompts
    for _ in range(n):
        enc = model.context_encoder(model.encoder_frontend(norm.normalize(x), state), None, state)  # [B, 1, D]
        state.increment_step_nr(x.size(1))
        sampler.append_context(enc)
        x = norm.denormalize(sampler.next_concepts(b, c))
        out.append(x)
        on_step()
    return torch.cat(out, dim=1)


def check_denoiser(model: TwoTowerLcm, sampler: Sampler) -> float:
    """This loop's denoiser against the fixture's literal Denoiser.forward (inference; with guidance the 2B batch
    whose second half sees only the zero vector), with random modulators: max abs diff / max abs value."""
    g = torch.Generator().manual_seed(5)
    b, l, c, d = 3, 4, model.cfg.sonar_embed_dim, model.cfg.model_dim
    ctx = torch.randn(b, l, d, generator=g)
    x = torch.randn(b, 1, c, generator=g)
    t = sampler.ts[1]
    saved, saved_mods = sampler.kv, sampler.mods
    # the modulators start at zero (gates 0: the denoiser would ignore the context); check with random ones
    mod_weights = [(p, p.detach().clone()) for layer in model.denoiser.layers for p in layer.modulator.parameters()]
    for p, _ in mod_weights:
        p.data.normal_(0.0, 0.2, generator=g)
    sampler.kv, sampler.mods = None, {}
    sampler.append_context(ctx[:, :2])
    sampler.append_context(ctx[:, 2:])
    ours = sampler.denoise(x, sampler.modulations(t), sampler.kv)
    if sampler.guidance != 1.0:
        ours = torch.cat([ours, sampler.denoise(x, sampler.modulations(t), sampler.zero_key(b))])
        ctx2 = torch.cat([ctx, torch.zeros_like(ctx)])
        lens = torch.cat([torch.full((b,), l), torch.zeros(b, dtype=torch.long)])
        ref = model.denoiser(torch.cat([x, x]), torch.full((2 * b, 1), t), ctx2, lens, None, inference=True)
    else:
        ref = model.denoiser(x, torch.full((b, 1), t), ctx, None, None, inference=True)
    for p, w in mod_weights:
        p.data.copy_(w)
    sampler.kv, sampler.mods = saved, saved_mods
    return float((ours - ref).abs().max() / ref.abs().max())


# ----------------------------------------------------------------------------- main


def fit(ms):
    """Least squares ms = a + b * k over steps k = 1.. (step 0 left out)."""
    pts = [(k, v) for k, v in enumerate(ms) if k >= 1]
    n = len(pts)
    if n < 2:
        return float("nan"), float("nan")
    sx = sum(k for k, _ in pts)
    sy = sum(v for _, v in pts)
    sxx = sum(k * k for k, _ in pts)
    sxy = sum(k * v for k, v in pts)
    b = (n * sxy - sx * sy) / (n * sxx - sx * sx)
    return (sy - b * sx) / n, b


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--family", choices=["base_lcm", "two_tower_diffusion_lcm"], default="base_lcm")
    ap.add_argument("--model-dim", type=int, default=512)
    ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--heads", type=int, default=8)
    ap.add_argument("--ffn", type=int, default=2048)
    ap.add_argument("--concept-dim", type=int, default=384)
    ap.add_argument("--max-seq-len", type=int, default=1100)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--lengths", default="100,1000")
    ap.add_argument("--timesteps", type=int, default=10)
    ap.add_argument("--guidance", type=float, default=3.0)
    ap.add_argument("--rescale", type=float, default=0.7)
    ap.add_argument("--initial-noise", type=float, default=0.6)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--no-check", action="store_true", help="skip the denoiser check against the literal forward")
    ap.add_argument("--dump-steps", default=None, help="write every step's ms to PREFIX-<length>.txt")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    lengths = [int(x) for x in args.lengths.split(",")]
    two = args.family == "two_tower_diffusion_lcm"
    c, d = args.concept_dim, args.model_dim
    norm = SonarNormalizer(c)
    if not two:  # toy_base_lcm at the given size
        cfg = BaseLcmConfig(sonar_embed_dim=c, model_dim=d, max_seq_len=args.max_seq_len, num_layers=args.layers,
                            num_attn_heads=args.heads, ffn_inner_dim=args.ffn)
        model = BaseLcm(cfg).eval()
        arch = "toy_base_lcm"
    else:  # toy_two_tower_diffusion_lcm at the given size
        tower = dict(num_layers=args.layers, num_attn_heads=args.heads, ffn_inner_dim=args.ffn)
        cfg = TwoTowerConfig(sonar_embed_dim=c, model_dim=d, max_seq_len=args.max_seq_len,
                             context_encoder=TowerConfig(pos_embedding_style="learned", **tower),
                             denoiser=TowerConfig(pos_embedding_style="none", **tower), num_diffusion_train_steps=1000)
        model = TwoTowerLcm(cfg, norm).eval()
        arch = "toy_two_tower_diffusion_lcm"
        sampler = Sampler(model, args.timesteps, args.guidance, args.rescale, args.initial_noise)
    g = torch.Generator().manual_seed(1)
    prompts = torch.randn(args.batch, 1, c, generator=g)
    check = None
    with torch.no_grad():
        if two:
            if not args.no_check:
                check = check_denoiser(model, sampler)
                if not check < 1e-4:
                    raise SystemExit(f"denoiser check failed: max abs diff / max abs value {check}")
            gen = lambda n, cb: two_tower_generate(model, sampler, prompts, n, cb)  # noqa: E731
        else:
            gen = lambda n, cb: base_generate(model, norm, prompts, n, cb)  # noqa: E731
        if args.warmup > 0:
            gen(args.warmup, lambda: None)
        first = None
        for n in lengths:
            torch.manual_seed(42)
            ends = []
            t0 = time.perf_counter()
            out = gen(n, lambda: ends.append(time.perf_counter()))
            s = time.perf_counter() - t0
            assert out.shape == (args.batch, 1 + n, c), out.shape
            first = s if first is None else first
            ms = [(e - (ends[k - 1] if k else t0)) * 1e3 for k, e in enumerate(ends)]
            if args.dump_steps:
                with open(f"{args.dump_steps}-{n}.txt", "w") as f:
                    f.writelines(f"{m:.3f}\n" for m in ms)
            a, b = fit(ms)
            print(json.dumps({
                "side": "pytorch", "family": args.family, "arch": arch, "threads": torch.get_num_threads(),
                "torch": torch.__version__, "params": param_count(model), "model_dim": d, "concept_dim": c,
                "batch": args.batch, "prompt_len": 1, "generated": n,
                "timesteps": args.timesteps if two else None, "guidance": args.guidance if two else None,
                "seconds": round(s, 3), "concepts_per_s": round(args.batch * n / s, 1), "ratio_to_first": round(s / first, 2),
                "first_length": lengths[0], "ms_per_step_first10": round(statistics.median(ms[:10]), 2),
                "ms_per_step_last10": round(statistics.median(ms[-10:]), 2), "fit_ms_const": round(a, 3),
                "fit_us_per_position": round(b * 1e3, 3), "denoiser_check_rel_diff": check,
                "config": f"layers={args.layers} heads={args.heads} ffn={args.ffn} max_seq_len={args.max_seq_len}"}),
                flush=True)


if __name__ == "__main__":
    main()
