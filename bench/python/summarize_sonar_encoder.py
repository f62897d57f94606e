"""Prints the markdown summary of bench/run_sonar_encoder.sh's JSON lines (stdin)."""
import json
import statistics
import sys

rows = [json.loads(line) for line in sys.stdin if line.strip()]
by = {side: [r for r in rows if r["side"] == side] for side in ("lcm4j", "pytorch")}
med = {side: statistics.median(r["median_s"] for r in rs) for side, rs in by.items()}
r0 = rows[0]
print(f"SONAR text encoder, basic arch (24 x 1024, 16 heads, FFN 8192) with a {r0['vocab']}-row embedding, random weights, "
      f"{r0['sentences']} sentences ({r0['tokens']} tokens, lengths 8-60) sorted by length in batches of {r0['batch']}, "
      f"{r0['threads']} threads; PyTorch {by['pytorch'][0].get('torch', '?')}\n")
print("| side | s per pass (median of rounds) | sentences/s | per-round medians (s) |")
print("|---|---|---|---|")
for side, m in med.items():
    print(f"| {side} | {m:.3f} | {r0['sentences'] / m:.2f} | {[r['median_s'] for r in by[side]]} |")
print(f"\nratio lcm4j time / PyTorch time: **{med['lcm4j'] / med['pytorch']:.2f}x** (target <= 1.2x)")
