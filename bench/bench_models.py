"""Model benchmarks: kerasish vs PyTorch on the same workloads, same process, same threads.

W1  MLP 784-512-512-10, ReLU, softmax cross-entropy, SGD momentum 0.9, batch 128: ms/step
W2  Keras's simple MNIST convnet (28x28x1, Conv 32 3x3 relu, MaxPool 2, Conv 64 3x3 relu,
    MaxPool 2, Flatten, Dropout 0.5, Dense 10), Adam, batch 128: ms/step
W4  W1's model predicting 10,000 samples at batch 1024: samples/s
W5  LSTM(128) over 50 steps of 32 features, batch 64, last state -> Dense 10, Adam: ms/step
RSS peak resident memory of 50 W2 steps in a fresh process (MiB)

A train step is forward + backward + update. Run on CPU:
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python bench/bench_models.py
(the machine's OPENBLAS_CORETYPE pin selects an older, slower kernel; unset it for timing)
or on a GPU: python bench/bench_models.py --device cuda
"""
import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np


def median_time(step, warmup=3, repeat=20, sync=lambda: None):
    """Median seconds per call of `step` after `warmup` calls."""
    for _ in range(warmup):
        step()
    sync()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        step()
        sync()
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


# --- kerasish ----------------------------------------------------------------------------
def kerasish_models(device):
    import kerasish as K
    K.utils.set_random_seed(0)
    mlp = K.Sequential([K.Dense(784, 512), K.ReLU(), K.Dense(512, 512), K.ReLU(), K.Dense(512, 10)],
                       device=device)
    cnn = K.Sequential([
        K.Input(shape=(28, 28, 1)),
        K.Conv2D(32, (3, 3), activation="relu"), K.MaxPool2D(2),
        K.Conv2D(64, (3, 3), activation="relu"), K.MaxPool2D(2),
        K.Flatten(), K.Dropout(0.5), K.Dense(10),
    ], device=device)
    return mlp, cnn


def kerasish_train_step(model, optimizer, x, y):
    from kerasish.ops import softmax_cross_entropy

    def step():
        loss = softmax_cross_entropy(model(x), y).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return step


def bench_kerasish(device, repeat):
    import kerasish as K
    from kerasish import backend
    mlp, cnn = kerasish_models(device)
    rng = np.random.default_rng(0)
    x1 = K.Tensor(rng.random((128, 784), dtype=np.float32), device=device)
    y = K.Tensor(rng.integers(0, 10, 128), device=device)
    x2 = K.Tensor(rng.random((128, 28, 28, 1), dtype=np.float32), device=device)
    sync = _cupy_sync if device != "cpu" else (lambda: None)
    out = {}
    mlp.train()
    out["W1"] = median_time(kerasish_train_step(mlp, K.SGD(mlp.parameters, lr=0.01, momentum=0.9), x1, y),
                            repeat=repeat, sync=sync) * 1e3
    cnn.train()
    out["W2"] = median_time(kerasish_train_step(cnn, K.Adam(cnn.parameters, lr=1e-3), x2, y),
                            repeat=repeat, sync=sync) * 1e3
    xs = rng.random((10_000, 784), dtype=np.float32)
    seconds = median_time(lambda: mlp.predict(xs, batch_size=1024, verbose=0), warmup=1,
                          repeat=max(3, repeat // 4), sync=sync)
    out["W4"] = 10_000 / seconds
    rnn = K.Sequential([K.Input(shape=(50, 32)), K.LSTM(128), K.Dense(10)], device=device)
    x5 = K.Tensor(rng.random((64, 50, 32), dtype=np.float32), device=device)
    y5 = K.Tensor(rng.integers(0, 10, 64), device=device)
    rnn.train()
    out["W5"] = median_time(kerasish_train_step(rnn, K.Adam(rnn.parameters, lr=1e-3), x5, y5),
                            repeat=max(5, repeat // 2), sync=sync) * 1e3
    del backend
    return out


def _cupy_sync():
    import cupy
    cupy.cuda.Stream.null.synchronize()


# --- PyTorch -----------------------------------------------------------------------------
def bench_torch(device, repeat):
    import torch
    from torch import nn
    torch.manual_seed(0)
    dev = "cuda" if device != "cpu" else "cpu"
    mlp = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(),
                        nn.Linear(512, 10)).to(dev)
    cnn = nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(32, 64, 3), nn.ReLU(),
                        nn.MaxPool2d(2), nn.Flatten(), nn.Dropout(0.5), nn.Linear(1600, 10)).to(dev)
    rng = np.random.default_rng(0)
    x1 = torch.from_numpy(rng.random((128, 784), dtype=np.float32)).to(dev)
    y = torch.from_numpy(rng.integers(0, 10, 128)).to(dev)
    x2 = torch.from_numpy(rng.random((128, 1, 28, 28), dtype=np.float32)).to(dev)
    loss_fn = nn.CrossEntropyLoss()
    sync = torch.cuda.synchronize if dev == "cuda" else (lambda: None)

    def train_step(model, opt, x):
        def step():
            loss = loss_fn(model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
        return step

    out = {"W1": median_time(train_step(mlp, torch.optim.SGD(mlp.parameters(), lr=0.01, momentum=0.9), x1),
                             repeat=repeat, sync=sync) * 1e3,
           "W2": median_time(train_step(cnn, torch.optim.Adam(cnn.parameters(), lr=1e-3), x2),
                             repeat=repeat, sync=sync) * 1e3}
    xs = rng.random((10_000, 784), dtype=np.float32)

    def predict():
        mlp.eval()
        with torch.no_grad():
            return np.concatenate([mlp(torch.from_numpy(xs[i:i + 1024]).to(dev)).cpu().numpy()
                                   for i in range(0, len(xs), 1024)])
    out["W4"] = 10_000 / median_time(predict, warmup=1, repeat=max(3, repeat // 4), sync=sync)

    class LastState(nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm, self.head = nn.LSTM(32, 128, batch_first=True), nn.Linear(128, 10)

        def forward(self, x):
            return self.head(self.lstm(x)[1][0][-1])
    rnn = LastState().to(dev)
    x5 = torch.from_numpy(rng.random((64, 50, 32), dtype=np.float32)).to(dev)
    y5 = torch.from_numpy(rng.integers(0, 10, 64)).to(dev)

    def rnn_step():
        loss = loss_fn(rnn(x5), y5)
        opt5.zero_grad()
        loss.backward()
        opt5.step()
    opt5 = torch.optim.Adam(rnn.parameters(), lr=1e-3)
    out["W5"] = median_time(rnn_step, repeat=max(5, repeat // 2), sync=sync) * 1e3
    return out


# --- peak memory in a fresh process -------------------------------------------------------
RSS_SCRIPT = """
import resource, sys, numpy as np
sys.path.insert(0, {bench_dir!r})
import bench_models as B
lib, device = {lib!r}, {device!r}
rng = np.random.default_rng(0)
if lib == 'kerasish':
    import kerasish as K
    _, cnn = B.kerasish_models(device)
    x = K.Tensor(rng.random((128, 28, 28, 1), dtype=np.float32), device=device)
    y = K.Tensor(rng.integers(0, 10, 128), device=device)
    step = B.kerasish_train_step(cnn, K.Adam(cnn.parameters, lr=1e-3), x, y)
else:
    import torch
    torch.set_num_threads({threads})
    from torch import nn
    cnn = nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(32, 64, 3), nn.ReLU(),
                        nn.MaxPool2d(2), nn.Flatten(), nn.Dropout(0.5), nn.Linear(1600, 10))
    opt = torch.optim.Adam(cnn.parameters(), lr=1e-3)
    x = torch.from_numpy(rng.random((128, 1, 28, 28), dtype=np.float32))
    y = torch.from_numpy(rng.integers(0, 10, 128))
    def step():
        loss = nn.functional.cross_entropy(cnn(x), y); opt.zero_grad(); loss.backward(); opt.step()
for _ in range(50):
    step()
try:  # VmHWM restarts at exec; ru_maxrss would include the forking parent's memory
    with open('/proc/self/status') as f:
        print(next(int(l.split()[1]) for l in f if l.startswith('VmHWM')) / 1024)
except (OSError, StopIteration):
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
"""


def peak_rss_mib(lib, device, threads):
    code = RSS_SCRIPT.format(bench_dir=os.path.dirname(os.path.abspath(__file__)), lib=lib, device=device,
                             threads=threads)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def blas_kernel():
    try:
        from threadpoolctl import threadpool_info
        info = [i for i in threadpool_info() if i.get("user_api") == "blas"]
        return ", ".join(f"{i['internal_api']} {i.get('architecture', '?')} x{i['num_threads']}" for i in info)
    except ImportError:
        return "unknown (pip install threadpoolctl to show)"


def run_one(lib, args):
    """Runs one framework's workloads in a fresh process (thread pools of two BLAS libraries
    in one process fight over the cores and distort both)."""
    cmd = [sys.executable, os.path.abspath(__file__), "--only", lib, "--device", args.device,
           "--threads", str(args.threads), "--repeat", str(args.repeat)]
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode != 0:
        print(out.stderr[-2000:])
        return {}
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description="kerasish vs PyTorch model benchmarks")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--no-rss", action="store_true", help="skip the peak-memory subprocesses")
    parser.add_argument("--only", choices=["kerasish", "torch"], help=argparse.SUPPRESS)
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args()
    if args.only:
        if args.only == "torch":
            import torch
            torch.set_num_threads(args.threads)
        result = (bench_kerasish if args.only == "kerasish" else bench_torch)(args.device, args.repeat)
        print(json.dumps(result))
        return
    try:
        import torch  # noqa: F401
        have_torch = True
    except ImportError:
        have_torch = False
        print("PyTorch not installed (`pip install torch==2.13.0` for the CPU wheel): kerasish only")
    print(f"device {args.device}, threads {args.threads}, BLAS {blas_kernel()}")
    ours = run_one("kerasish", args)
    theirs = run_one("torch", args) if have_torch else {}
    if not args.no_rss and args.device == "cpu":
        ours["RSS"] = peak_rss_mib("kerasish", args.device, args.threads)
        if have_torch:
            theirs["RSS"] = peak_rss_mib("torch", args.device, args.threads)
    rows = [("W1 MLP train step", "W1", "ms", False), ("W2 convnet train step", "W2", "ms", False),
            ("W4 MLP predict 10k @1024", "W4", "samples/s", True), ("W5 LSTM train step", "W5", "ms", False),
            ("RSS 50 W2 steps (peak)", "RSS", "MiB", False)]
    print(f"{'workload':28} {'unit':>10} {'kerasish':>10} {'torch':>10} {'ratio':>8}")
    for label, key, unit, higher_better in rows:
        if key not in ours:
            continue
        k, t = ours[key], theirs.get(key)
        # ratio > 1 means kerasish is slower / heavier, whatever the unit
        ratio = (t / k if higher_better else k / t) if t else None
        print(f"{label:28} {unit:>10} {k:10.2f} {'-' if t is None else f'{t:10.2f}':>10} "
              f"{'' if ratio is None else f'{ratio:7.2f}x':>8}")
    print("ratio = kerasish cost / torch cost (time, memory, or torch throughput / kerasish throughput)")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"kerasish": ours, "torch": theirs}, f, indent=2)


if __name__ == "__main__":
    main()
