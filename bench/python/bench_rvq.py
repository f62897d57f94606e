"""PyTorch side of bench/run_rvq.sh: the reference residual k-means (fixtures/python/ref_rvq.py) on the data and init
rows RvqBench wrote, timed the same way; prints one JSON line and the largest codebook difference to lcm4j's fit."""
import json
import sys
import time

import numpy as np
import torch

sys.path.insert(0, "fixtures/python")
import ref_rvq  # noqa: E402

out = sys.argv[1]
iterations = int(sys.argv[2])
threads = int(sys.argv[3])
torch.set_num_threads(threads)
data = torch.from_numpy(np.load(f"{out}/data.npy"))
init = torch.from_numpy(np.load(f"{out}/init_rows.npy"))
ref_rvq.fit(data[: 4 * init.shape[1]], init[:1] % (4 * init.shape[1]), 2)   # warm-up
t0 = time.perf_counter()
books, stages = ref_rvq.fit(data, init, iterations)
fit_s = time.perf_counter() - t0
java = np.load(f"{out}/codebooks_java.npy")
diff = float(np.abs(books.numpy() - java).max())
passes = sum(u + 1 for u, _ in stages)
# both fits' relative error with all codebooks on the training data: equal quality even where near-ties diverge
err_py = float(ref_rvq.errors(books, data)[-1, 1])
err_java = float(ref_rvq.errors(torch.from_numpy(java), data)[-1, 1])
print("JSON " + json.dumps({"side": "pytorch " + torch.__version__, "vectors": data.shape[0], "fit_s": round(fit_s, 3),
                            "fit_vectors_per_s": round(data.shape[0] / fit_s, 1), "passes": passes,
                            "max_codebook_diff_to_lcm4j": diff, "stages_identical": int(sum(
                                1 for m in range(books.shape[0]) if float(np.abs(books[m].numpy() - java[m]).max()) == 0.0)),
                            "train_relative_error_pytorch": round(err_py, 5), "train_relative_error_lcm4j": round(err_java, 5)}))
