"""Train-step benchmark of Quant-LCM-d / -c in plain PyTorch (CPU), for comparison with lcm4j.

    OMP_WAIT_POLICY=PASSIVE LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-pthread \\
        /usr/bin/python3 bench/python/bench_quant_lcm.py --family d --config toy --dtype fp32 --steps 3
    /usr/bin/python3 bench/python/bench_quant_lcm.py --family d --config toy --save-check DIR

The model is fixtures/python/ref_quant_lcm.py, written from the paper (the One-Tower stack over interleaved partial /
clean slots). One train step = the Quant-LCM criterion (codebook index k_n ~ U{1..M} per sentence, greedy RVQ codes of
the batch, z_{k-1} as the query input, guidance dropping floor((N-1) 0.15) query slots' context, -d: cross-entropy of
u_{n,k_n}, -c: squared error in normalized space, reduction sum) / #targets + backward + clip_grad_norm_(25) +
AdamW(4e-4, .9/.95, 1e-5, wd .1), batch 8 x 128 x 1024 (256 slots per document); also the forward (criterion) /
backward / clip + AdamW split. The quantizer is random: 8 codebooks
x 256 units over 1024 dims of shrinking scale, as a fitted residual quantizer has; the work does not depend on the
values. Prints one JSON line.

The RVQ encode here is the distance expansion |r|^2 - 2 r.c + |c|^2 (one [R, K] matmul per codebook, fp32, outside
autocast, as lcm4j does it), not ref_quant_lcm.rvq_encode's broadcast difference, which materializes [R, K, C]
(1 GiB per codebook at this batch): --save-check verifies the two give the same codes on the batch.

--save-check DIR writes the initial model (state dict with codebooks), a batch, its codebook indices and this side's
loss and gradient norm (eval mode, no guidance dropping) for lcm4j's `QuantLcmBench check` to recompute.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import sys
import time
from collections import OrderedDict

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "fixtures", "python"))
from ref_base_lcm import SonarNormalizer  # noqa: E402
from ref_one_tower import dropped_sentences, interleaved_mask, param_count  # noqa: E402
from ref_quant_lcm import QuantConfig, QuantLcm, rvq_encode  # noqa: E402

BATCH, SEQ, DIM, CODEBOOKS, UNITS = 8, 128, 1024, 8, 256


def make_config(name: str, family: str) -> QuantConfig:
    discrete = family == "d"
    if name == "toy":  # toy_quant_lcm_d / toy_quant_lcm_c (dropout 0.1 as the arch)
        return QuantConfig(discrete=discrete, num_codebooks=CODEBOOKS, num_units=UNITS, codebook_embed_dim=256,
                           dropout_p=0.1, final_dropout_p=0.1)
    if name == "mid":  # the 1.6B layer style at d=1024: 4 layers, 16 heads, d_k = d
        return QuantConfig(discrete=discrete, num_codebooks=CODEBOOKS, num_units=UNITS, codebook_embed_dim=1024,
                           model_dim=1024, max_seq_len=2048, num_layers=4, num_attn_heads=16, ffn_inner_dim=4096,
                           use_swiglu=True, layer_normalization_style="rms", mha_output_proj_bias=True,
                           dropout_p=0.1, final_dropout_p=0.0)
    raise ValueError(name)


def random_codebooks(g: torch.Generator) -> torch.Tensor:
    """[M, K, C], codebook m of scale 0.006 * 0.8^m (the concepts are N(0, 0.006^2))."""
    return torch.stack([torch.randn(UNITS, DIM, generator=g) * (0.006 * 0.8 ** m) for m in range(CODEBOOKS)])


def rvq_codes(books: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """Greedy residual codes of x [R, C] -> [R, M], by the distance expansion (argmin of |c|^2 - 2 r.c)."""
    with torch.no_grad(), torch.autocast("cpu", enabled=False):
        r = x.float().clone()
        out = []
        for m in range(books.size(0)):
            book = books[m]
            d = (book * book).sum(-1)[None, :] - 2.0 * (r @ book.t()) + (r * r).sum(-1, keepdim=True)
            u = d.argmin(-1)
            out.append(u)
            r = r - book[u]
        return torch.stack(out, dim=1)


def quant_loss(model: QuantLcm, seqs: torch.Tensor, k: torch.Tensor, cf_guidance_prob: float):
    """ref_quant_lcm.quant_loss (all sentences real) with guidance dropping and the matmul RVQ encode: (sum, #targets)."""
    nz = model.sonar_normalizer
    books = model.quantizer_codebooks
    b, n, c = seqs.shape
    codes = rvq_codes(books, seqs.reshape(b * n, c)).view(b, n, -1)             # [B,N,M]
    z = torch.zeros(b, n, c)
    for m in range(books.size(0)):
        use = (k > m + 1).float()[..., None]
        z = z + books[m][codes[..., m]] * use                                      # z_{k-1}, raw
    x0 = nz.normalize(seqs)
    allowed = interleaved_mask(n, dropped_sentences(n, cf_guidance_prob))[None, None]
    out = model(x0, nz.normalize(z), k, allowed)                                  # [B,N,K|C]
    if model.cfg.discrete:
        target = codes.gather(2, (k - 1)[..., None]).squeeze(2)
        per = F.cross_entropy(out.float().reshape(b * n, -1), target.reshape(-1), reduction="none")
    else:
        per = ((out.float() - x0.float()) ** 2).sum(-1)
    return per.sum(), b * n


def save_check(model: QuantLcm, out_dir: str, seed: int) -> None:
    """Initial weights, a batch and this side's loss / gradient norm, for lcm4j to recompute (eval, no dropping)."""
    os.makedirs(out_dir, exist_ok=True)
    g = torch.Generator().manual_seed(seed + 1)
    seqs = torch.randn(BATCH, SEQ, DIM, generator=g) * 0.006
    k = torch.randint(1, CODEBOOKS + 1, (BATCH, SEQ), generator=g)
    books = model.quantizer_codebooks
    sub = seqs.reshape(-1, DIM)[:64]
    same_codes = bool(torch.equal(rvq_codes(books, sub), rvq_encode(books, sub)))
    model.eval()
    model.zero_grad()
    loss, n = quant_loss(model, seqs, k, 0.0)
    loss.backward()
    grad_norm = torch.sqrt(sum((p.grad.double() ** 2).sum() for p in model.parameters() if p.grad is not None)).item()
    torch.save({"model": OrderedDict((name, v.contiguous()) for name, v in model.state_dict().items())},
               os.path.join(out_dir, "model.pt"))
    np.save(os.path.join(out_dir, "seqs.npy"), seqs.numpy())
    np.save(os.path.join(out_dir, "indices.npy"), k.numpy())
    with open(os.path.join(out_dir, "check.json"), "w") as f:
        json.dump({"loss_sum": loss.item(), "num_targets": n, "grad_norm": grad_norm,
                   "matmul_codes_equal_broadcast_codes": same_codes}, f)
    print(json.dumps({"side": "pytorch", "mode": "check", "loss_sum": loss.item(), "num_targets": n,
                      "grad_norm": grad_norm, "matmul_codes_equal_broadcast_codes": same_codes}))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--family", choices=["d", "c"], default="d")
    ap.add_argument("--config", choices=["toy", "mid"], default="toy")
    ap.add_argument("--dtype", choices=["fp32", "bf16"], default="fp32")
    ap.add_argument("--steps", type=int, default=3)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--save-check", metavar="DIR", help="write the initial model, a batch and the loss for lcm4j's check")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    cfg = make_config(args.config, args.family)
    model = QuantLcm(cfg, SonarNormalizer(DIM), random_codebooks(torch.Generator().manual_seed(0))).train()
    if args.save_check:
        save_check(model, args.save_check, 0)
        return
    opt = torch.optim.AdamW(model.parameters(), lr=4e-4, betas=(0.9, 0.95), eps=1e-5, weight_decay=0.1)
    x = torch.randn(BATCH, SEQ, DIM) * 0.006
    times, fwd, bwd, upd, first, last = [], [], [], [], None, None
    for i in range(args.warmup + args.steps):
        t0 = time.perf_counter()
        k = torch.randint(1, CODEBOOKS + 1, (BATCH, SEQ))
        with (contextlib.nullcontext() if args.dtype == "fp32" else torch.autocast("cpu", dtype=torch.bfloat16)):
            loss, n = quant_loss(model, x, k, cf_guidance_prob=0.15)
        v = loss.item() / n
        t1 = time.perf_counter()
        (loss / n).backward()
        t2 = time.perf_counter()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 25.0)
        opt.step()
        opt.zero_grad(set_to_none=True)
        t3 = time.perf_counter()
        first = v if first is None else first
        last = v
        if i >= args.warmup:
            times.append(t3 - t0)
            fwd.append(t1 - t0)
            bwd.append(t2 - t1)
            upd.append(t3 - t2)
    print(json.dumps({"side": "pytorch", "mode": "train", "family": "quant_lcm_" + args.family, "config": args.config,
                      "dtype": args.dtype, "threads": args.threads, "torch": torch.__version__, "params": param_count(model),
                      "steps": args.steps, "ms_per_step_median": round(statistics.median(times) * 1e3, 1),
                      "ms_per_step_min": round(min(times) * 1e3, 1), "fwd_ms_median": round(statistics.median(fwd) * 1e3, 1),
                      "bwd_ms_median": round(statistics.median(bwd) * 1e3, 1),
                      "clip_opt_ms_median": round(statistics.median(upd) * 1e3, 1), "first_loss": first, "last_loss": last}))


if __name__ == "__main__":
    main()
