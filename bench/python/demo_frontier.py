"""What any next-concept predictor can reach on the demo's data, computed independently of lcm4j (NumPy only).

The demo asks each model to beat the training mean on teacher-forced l2 and copy-previous on the paper's contrastive
accuracy (CA). This script measures where simple predictors fitted in closed form land on both metrics, on the same
held-out documents and with the same batches as the demo's `./lcm evaluate` (8 documents per batch, file order):

- the two baselines, recomputed here (cross-check against the demo's results files when --eval_dir is given);
- the l2-optimal linear predictor (ridge on the last 3 concepts and the document's running mean; the ridge
  strength chosen on a development part of the training split): what an MSE-trained model converges to within
  the linear class;
- a family that trades l2 for contrast, p = s * (mu + a * ridge_offset + g * (x_prev - mu)): the member with the
  highest CA whose l2 stays below the mean baseline's is chosen on the development part, then scored on the held-out
  documents; the held-out Pareto front of the whole family is printed too (chosen on the evaluation data itself,
  so optimistic);
- a nonlinear predictor: the mean successor of the k training sentences nearest to the previous concept;
- a sampler of the linear model's own conditional distribution (ridge prediction plus a residual drawn from the
  training split): the l2 a sampling model pays for its spread.

CA as the paper defines it: for a prediction of x_n, the share of the batch's concepts (all positions of all
documents, leaving out x_n and its two neighbours in its own document) farther in l2 from the prediction than x_n.

usage: demo_frontier.py DUMP_DIR [--eval_dir RUN_DIR]   (DUMP_DIR from ConceptDump; RUN_DIR the demo's output)
"""
import argparse
import json
import os

import numpy as np

BATCH_DOCS = 8
CONTEXT = 3


def load(dump, split):
    x = np.load(os.path.join(dump, split + "_concepts.npy")).astype(np.float64)
    lengths = np.load(os.path.join(dump, split + "_lengths.npy"))
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    return [x[offsets[i]:offsets[i + 1]] for i in range(len(lengths))]


def features(doc, mu):
    """Per position n >= 1 of doc: [x_{n-1}-mu, x_{n-2}-mu, x_{n-3}-mu (0 before the start), running mean-mu, 1]."""
    rows = []
    for n in range(1, len(doc)):
        parts = [doc[n - j] - mu if n - j >= 0 else np.zeros_like(mu) for j in range(1, CONTEXT + 1)]
        parts.append(doc[:n].mean(0) - mu)
        parts.append([1.0])
        rows.append(np.concatenate(parts))
    return np.array(rows).reshape(-1, CONTEXT * len(mu) + len(mu) + 1)


def ridge(docs, feats, mu, lam):
    """Ridge weights [features, D] mapping a position's features to its next concept minus mu."""
    x = np.concatenate(feats)
    y = np.concatenate([d[1:] - mu for d in docs])
    return np.linalg.solve(x.T @ x + lam * np.eye(x.shape[1]), x.T @ y)


def scores(docs, predictions):
    """Mean l2 and paper CA over every position n >= 1; predictions[d][n-1] predicts docs[d][n]."""
    l2s, cas = [], []
    for b in range(0, len(docs), BATCH_DOCS):
        batch = docs[b:b + BATCH_DOCS]
        everything = np.concatenate(batch)
        owner = np.concatenate([np.full(len(d), i) for i, d in enumerate(batch)])
        position = np.concatenate([np.arange(len(d)) for d in batch])
        for i, d in enumerate(batch):
            if len(d) < 2:
                continue
            p = predictions[b + i]
            dist = ((p[:, None, :] - everything[None, :, :]) ** 2).sum(-1)  # [N_d - 1, batch rows]
            own = ((p - d[1:]) ** 2).sum(-1)
            for n in range(1, len(d)):
                keep = ~((owner == i) & (np.abs(position - n) <= 1))
                cas.append((dist[n - 1][keep] > own[n - 1]).mean())
            l2s.extend(np.sqrt(own))
    return float(np.mean(l2s)), float(np.mean(cas))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dump")
    ap.add_argument("--eval_dir")
    args = ap.parse_args()
    train, held_out = load(args.dump, "train"), load(args.dump, "validation")
    cut = int(len(train) * 0.9)
    fit, dev = train[:cut], train[cut:]
    mu = np.concatenate(train).mean(0)
    mu_fit = np.concatenate(fit).mean(0)
    print(f"data: {len(train)} train documents ({sum(map(len, train))} sentences; {len(fit)} fit + {len(dev)} development),"
          f" {len(held_out)} held-out ({sum(map(len, held_out))} sentences), {train[0].shape[1]}-d")

    def baseline(docs, m, kind):
        return [np.repeat(m[None], len(d) - 1, 0) if kind == "mean" else d[:-1] for d in docs]

    rows = []
    mean_scores = scores(held_out, baseline(held_out, mu, "mean"))
    copy_scores = scores(held_out, baseline(held_out, mu, "copy"))
    rows.append(("mean of train (baseline)", *mean_scores))
    rows.append(("copy previous (baseline)", *copy_scores))
    if args.eval_dir:
        for name, got in (("mean", mean_scores), ("copy", copy_scores)):
            path = os.path.join(args.eval_dir, f"eval_baseline_{name}", "results", "lcm_next_sentence.json")
            if os.path.exists(path):
                with open(path) as f:
                    res = json.load(f)
                r = res["results"]
                print(f"cross-check {name}: ./lcm evaluate l2 {r['l2']:.6f} CA {r['ca']:.6f};"
                      f" here l2 {got[0]:.6f} CA {got[1]:.6f}")

    # l2-optimal linear predictor, ridge strength chosen on the development documents by l2; the features (and
    # below the ridge offsets) are computed once per document
    feats_fit, feats_dev = [features(d, mu_fit) for d in fit], [features(d, mu_fit) for d in dev]
    feats_train, feats_held = [features(d, mu) for d in train], [features(d, mu) for d in held_out]
    dev_mean_l2 = scores(dev, baseline(dev, mu_fit, "mean"))[0]
    best = None
    for lam in (1, 3, 10, 30, 100, 300, 1000):
        w = ridge(fit, feats_fit, mu_fit, lam)
        l2 = scores(dev, [mu_fit + f @ w for f in feats_dev])[0]
        if best is None or l2 < best[0]:
            best = (l2, lam)
    lam = best[1]
    w = ridge(train, feats_train, mu, lam)
    offsets_dev = [f @ ridge(fit, feats_fit, mu_fit, lam) for f in feats_dev]
    offsets_train, offsets_held = [f @ w for f in feats_train], [f @ w for f in feats_held]
    rows.append((f"l2-optimal linear (ridge, lambda {lam})", *scores(held_out, [mu + r for r in offsets_held])))

    # the trade-off family
    grid = [(s, a, g) for s in (0.6, 0.8, 1.0) for a in (0.5, 1, 1.5, 2, 3) for g in (0, 0.1, 0.2, 0.3, 0.4, 0.6)]

    def family(docs, m, offsets, s, a, g):
        return [s * (m + a * r + g * (d[:-1] - m)) for d, r in zip(docs, offsets)]

    chosen = None
    for s, a, g in grid:
        l2, ca = scores(dev, family(dev, mu_fit, offsets_dev, s, a, g))
        if l2 < dev_mean_l2 and (chosen is None or ca > chosen[0]):
            chosen = (ca, s, a, g)
    _, s, a, g = chosen
    front = {(s_, a_, g_): scores(held_out, family(held_out, mu, offsets_held, s_, a_, g_)) for s_, a_, g_ in grid}
    rows.append((f"contrast-tuned linear, chosen on development (s {s}, a {a}, g {g})", *front[(s, a, g)]))

    # a nonlinear one: the mean successor of the k training sentences closest (cosine) to the previous concept
    prev = np.concatenate([d[:-1] for d in train])
    succ = np.concatenate([d[1:] for d in train])
    for k in (10, 50, 200):
        def neighbours(d):
            sim = d[:-1] @ prev.T  # [N_d - 1, training pairs]; concepts are unit vectors
            top = np.argpartition(-sim, k, axis=1)[:, :k]
            return succ[top].mean(1)
        rows.append((f"nearest neighbours (mean successor of the {k} closest)", *scores(held_out, [neighbours(d) for d in held_out])))

    # a sampler of the linear model's conditional distribution: prediction + a training residual
    rng = np.random.default_rng(0)
    residuals = np.concatenate([d[1:] - (mu + r) for d, r in zip(train, offsets_train)])
    sampled = [mu + r + residuals[rng.integers(0, len(residuals), len(d) - 1)] for d, r in zip(held_out, offsets_held)]
    rows.append(("sampler of the linear model (prediction + training residual)", *scores(held_out, sampled)))

    print()
    print("| predictor | l2 (teacher-forced) | CA (paper) | beats mean on l2 | beats copy on CA |")
    print("|---|---|---|---|---|")
    for name, l2, ca in rows:
        print(f"| {name} | {l2:.4f} | {ca:.4f} | {'yes' if l2 < mean_scores[0] else 'no'} | {'yes' if ca > copy_scores[1] else 'no'} |")

    front = [(*front[member], *member) for member in grid]
    pareto = [p for p in front if not any(q[0] <= p[0] and q[1] >= p[1] and q != p for q in front)]
    print()
    print(f"held-out Pareto front of the family ({len(grid)} members, chosen on the evaluation data itself):")
    for l2, ca, s_, a_, g_ in sorted(pareto):
        print(f"  l2 {l2:.4f}  CA {ca:.4f}  (s {s_}, a {a_}, g {g_})")
    both = [p for p in front if p[0] < mean_scores[0] and p[1] > copy_scores[1]]
    print(f"members beating both baselines on the held-out documents: {len(both)} of {len(grid)}"
          + ("" if not both else f"; the widest CA margin: {max(p[1] for p in both) - copy_scores[1]:+.4f}"))


if __name__ == "__main__":
    main()
