"""SONAR text encoder throughput in Python PyTorch: the same model and workload as
bench/java/dev/lcm4j/bench/SonarEncoderBench.java, with the fixture's independent reference implementation
(fixtures/python/make_sonar_fixtures.py: encode). Prints one JSON line."""
import argparse
import json
import math
import os
import statistics
import sys
import time
from collections import OrderedDict

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "fixtures", "python"))
from make_sonar_fixtures import encode  # noqa: E402

ap = argparse.ArgumentParser()
for k, v in dict(sentences=32, batch=16, steps=3, warmup=1, vocab=32000, layers=24, threads=os.cpu_count()).items():
    ap.add_argument("--" + k, type=int, default=v)
a = ap.parse_args()
torch.set_num_threads(a.threads)
d, f = 1024, 8192
cfg = dict(model_dim=d, num_layers=a.layers, num_heads=16, ffn_inner_dim=f)
sd = OrderedDict()
sd["encoder_frontend.embed.weight"] = torch.randn(a.vocab, d) * 0.02
for i in range(a.layers):
    p = f"encoder.layers.{i}"
    for n in ("self_attn_layer_norm", "ffn_layer_norm"):
        sd[f"{p}.{n}.weight"], sd[f"{p}.{n}.bias"] = torch.ones(d), torch.zeros(d)
    for n in ("q_proj", "k_proj", "v_proj", "output_proj"):
        sd[f"{p}.self_attn.{n}.weight"], sd[f"{p}.self_attn.{n}.bias"] = torch.randn(d, d) / math.sqrt(d), torch.zeros(d)
    sd[f"{p}.ffn.inner_proj.weight"], sd[f"{p}.ffn.inner_proj.bias"] = torch.randn(f, d) / math.sqrt(d), torch.zeros(f)
    sd[f"{p}.ffn.output_proj.weight"], sd[f"{p}.ffn.output_proj.bias"] = torch.randn(d, f) / math.sqrt(f), torch.zeros(d)
sd["layer_norm.weight"], sd["layer_norm.bias"] = torch.ones(d), torch.zeros(d)

lens = sorted(8 + (i * 37) % 53 for i in range(a.sentences))
times = []
with torch.inference_mode():
    for it in range(-a.warmup, a.steps):
        t0 = time.perf_counter()
        for start in range(0, a.sentences, a.batch):
            rows = [[4 + (r * 131 + j * 17) % (a.vocab - 4) for j in range(n)] for r, n in enumerate(lens[start:start + a.batch])]
            encode(sd, cfg, rows).numpy()
        if it >= 0:
            times.append(time.perf_counter() - t0)
med = statistics.median(times)
print(json.dumps(dict(side="pytorch", torch=torch.__version__, layers=a.layers, vocab=a.vocab, threads=a.threads,
                      sentences=a.sentences, tokens=sum(lens), batch=a.batch, median_s=round(med, 4),
                      sentences_per_s=round(a.sentences / med, 2), times_s=[round(t, 4) for t in times])))
