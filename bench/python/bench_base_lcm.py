"""Train-step benchmark of base_lcm in plain PyTorch (CPU), for comparison with lcm4j.

Run with OpenBLAS (Debian: libopenblas0-pthread; libblas.so.3 is usually already switched to it by
update-alternatives, the LD_LIBRARY_PATH makes it explicit):

    OMP_WAIT_POLICY=PASSIVE LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-pthread \
        /usr/bin/python3 bench/python/bench_base_lcm.py --config toy --dtype fp32 --steps 5

One train step = forward + MSE criterion (reduction sum, divided by #targets before backward,
i.e. the trainer's gradient normalization) + backward + clip_grad_norm_(25) + AdamW step.
Prints one JSON line.
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

# ref_base_lcm.py lives in fixtures/python; LCM4J_REF_PY_DIR overrides.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "fixtures", "python"))
if os.environ.get("LCM4J_REF_PY_DIR"):
    sys.path.insert(0, os.environ["LCM4J_REF_PY_DIR"])
from ref_base_lcm import BaseLcm, BaseLcmConfig, glu_inner_dim, mse_criterion, param_count  # noqa: E402

BATCH, SEQ = 8, 128


def make_config(name: str) -> BaseLcmConfig:
    if name == "toy":  # reference archs.py toy_base_lcm
        return BaseLcmConfig(sonar_embed_dim=1024, model_dim=1024, max_seq_len=2048, num_layers=2,
                             num_attn_heads=8, ffn_inner_dim=4096, use_swiglu=False,
                             pos_embedding_style="learned", layer_normalization_style="standard",
                             dropout_p=0.1, final_dropout_p=0.1)
    if name == "mid":  # base_lcm_1_6B style at d=1024, 4 layers
        return BaseLcmConfig(sonar_embed_dim=1024, model_dim=1024, max_seq_len=2048, num_layers=4,
                             num_attn_heads=16, ffn_inner_dim=4096, use_swiglu=True,
                             pos_embedding_style="rope", layer_normalization_style="rms",
                             mha_output_proj_bias=True, dropout_p=0.1, final_dropout_p=0.0)
    raise ValueError(name)


def flops_per_step(cfg: BaseLcmConfig, b: int, t: int) -> float:
    """Matmul FLOPs (2*m*n*k) of forward, times 3 for forward+backward."""
    d, s = cfg.model_dim, cfg.sonar_embed_dim
    ffn = 3 * 2 * d * glu_inner_dim(cfg.ffn_inner_dim) if cfg.use_swiglu else 2 * 2 * d * cfg.ffn_inner_dim
    per_tok_layer = 4 * 2 * d * d + ffn + 2 * 2 * t * d  # qkv+out, ffn, QK^T and AV (full T x T computed)
    per_tok = cfg.num_layers * per_tok_layer + 2 * s * d + 2 * d * s  # + pre_linear, postnet
    return 3.0 * per_tok * b * t


def blas_info() -> dict:
    show = torch.__config__.show()
    info = {"build": ",".join(x.strip() for x in show.replace("\n", ",").split(",")
                              if "BLAS_INFO" in x or "LAPACK_INFO" in x)}
    libs = set()
    try:
        with open("/proc/self/maps") as f:
            for line in f:
                p = line.split()[-1]
                if "blas" in p.lower() or "mkl" in os.path.basename(p).lower():
                    libs.add(os.path.realpath(p))
    except OSError:
        pass
    info["loaded"] = sorted(libs)
    a, bm = torch.randn(1024, 1024), torch.randn(1024, 1024)
    a @ bm
    t0 = time.perf_counter()
    for _ in range(3):
        a @ bm
    info["matmul1024_gflops"] = round(2 * 1024**3 * 3 / (time.perf_counter() - t0) / 1e9, 1)
    return info


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--config", choices=["toy", "mid"], default="toy")
    ap.add_argument("--dtype", choices=["fp32", "bf16"], default="fp32")
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    cfg = make_config(args.config)
    model = BaseLcm(cfg).train()
    opt = torch.optim.AdamW(model.parameters(), lr=4e-4, betas=(0.9, 0.95), eps=1e-5, weight_decay=0.1)
    x = torch.randn(BATCH, SEQ, cfg.sonar_embed_dim) * 0.006

    def autocast():
        if args.dtype == "bf16":
            return torch.autocast("cpu", dtype=torch.bfloat16)
        return contextlib.nullcontext()

    times = []  # (total, fwd, bwd, clip, opt) in seconds
    loss_val = first_loss = None
    for i in range(args.warmup + args.steps):
        t0 = time.perf_counter()
        with autocast():
            loss, n = mse_criterion(model, x, None, None, min_context_size=1, reduction="sum")
        t1 = time.perf_counter()
        (loss / n).backward()
        t2 = time.perf_counter()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 25.0)
        t3 = time.perf_counter()
        loss_val = loss.item() / n
        opt.step()
        opt.zero_grad(set_to_none=True)
        t4 = time.perf_counter()
        if first_loss is None:
            first_loss = loss_val
        if i >= args.warmup:
            times.append((t4 - t0, t1 - t0, t2 - t1, t3 - t2, t4 - t3))

    def med_ms(k: int) -> float:
        return round(statistics.median(t[k] for t in times) * 1e3, 1)

    med = statistics.median(t[0] for t in times)
    fl = flops_per_step(cfg, BATCH, SEQ)
    print(json.dumps({
        "side": "pytorch", "config": args.config, "dtype": args.dtype, "threads": args.threads,
        "torch": torch.__version__, "blas": blas_info(),
        "params": param_count(model), "batch": [BATCH, SEQ],
        "steps": args.steps, "warmup": args.warmup,
        "median_ms_per_step": round(med * 1e3, 1),
        "min_ms_per_step": round(min(t[0] for t in times) * 1e3, 1),
        "median_ms_fwd": med_ms(1), "median_ms_bwd": med_ms(2), "median_ms_clip": med_ms(3), "median_ms_opt": med_ms(4),
        "flops_per_step": fl, "gflops_per_s": round(fl / med / 1e9, 1),
        "first_loss_per_target": first_loss, "last_loss_per_target": loss_val,
    }))


if __name__ == "__main__":
    main()
