"""Train-step benchmark of the One-Tower diffusion LCM in plain PyTorch (CPU), for comparison with lcm4j.

    OMP_WAIT_POLICY=PASSIVE LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-pthread \\
        /usr/bin/python3 bench/python/bench_one_tower.py --config toy --dtype fp32 --steps 3

The model is fixtures/python/ref_one_tower.py, written from the paper (full softmax attention over the interleaved
noisy/clean sequence under its mask). One train step = unsupervised one-tower criterion (uniform steps, CFG dropping
floor((N-1) 0.15) sentences, reduction sum) / #targets + backward + clip_grad_norm_(25) + AdamW(4e-4, .9/.95, 1e-5,
wd .1), batch 8 x 128 x 1024 (256 slots per document). Prints one JSON line.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "fixtures", "python"))
from ref_base_lcm import SonarNormalizer  # noqa: E402
from ref_one_tower import OneTowerConfig, OneTowerLcm, diffusion_loss, param_count  # noqa: E402

BATCH, SEQ = 8, 128


def make_config(name: str) -> OneTowerConfig:
    if name == "toy":  # toy_one_tower_diffusion_lcm (dropout 0.1 as the arch)
        return OneTowerConfig(dropout_p=0.1, final_dropout_p=0.1)
    if name == "mid":  # the 1.6B layer style at d=1024: 4 layers, 16 heads
        return OneTowerConfig(model_dim=1024, timestep_embed_dim=1024, max_seq_len=2048, num_layers=4, num_attn_heads=16,
                              ffn_inner_dim=4096, use_swiglu=True, layer_normalization_style="rms", mha_output_proj_bias=True,
                              dropout_p=0.1, final_dropout_p=0.0)
    raise ValueError(name)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--config", choices=["toy", "mid"], default="toy")
    ap.add_argument("--dtype", choices=["fp32", "bf16"], default="fp32")
    ap.add_argument("--steps", type=int, default=3)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    cfg = make_config(args.config)
    model = OneTowerLcm(cfg, SonarNormalizer(1024)).train()
    opt = torch.optim.AdamW(model.parameters(), lr=4e-4, betas=(0.9, 0.95), eps=1e-5, weight_decay=0.1)
    x = torch.randn(BATCH, SEQ, 1024) * 0.006
    lengths = torch.full((BATCH,), SEQ)
    T = cfg.num_diffusion_train_steps
    times, first, last = [], None, None
    for i in range(args.warmup + args.steps):
        t0 = time.perf_counter()
        ts = torch.randint(0, T, (BATCH, SEQ))
        noise = torch.randn_like(x)
        with (contextlib.nullcontext() if args.dtype == "fp32" else torch.autocast("cpu", dtype=torch.bfloat16)):
            loss, n, _ = diffusion_loss(model, x, lengths, noise, ts, cf_guidance_prob=0.15)
        (loss / n).backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 25.0)
        opt.step()
        opt.zero_grad(set_to_none=True)
        v = loss.item() / n
        first = v if first is None else first
        last = v
        if i >= args.warmup:
            times.append(time.perf_counter() - t0)
    print(json.dumps({"side": "pytorch", "mode": "train", "config": args.config, "dtype": args.dtype, "threads": args.threads,
                      "torch": torch.__version__, "params": param_count(model), "steps": args.steps,
                      "ms_per_step_median": round(statistics.median(times) * 1e3, 1),
                      "ms_per_step_min": round(min(times) * 1e3, 1), "first_loss": first, "last_loss": last}))


if __name__ == "__main__":
    main()
