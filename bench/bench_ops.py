"""Autograd overhead and matmul benchmarks: kerasish vs PyTorch (CPU), same process.

(a) a chain of 200 elementwise ops (add, mul, tanh alternating) on a 1-element tensor,
    forward then backward: microseconds per op.
(b) (128, 784) @ (784, 512) -> relu -> sum, forward + backward: milliseconds per step.

Run: python bench/bench_ops.py [--threads N]
"""
import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np


def best_time(fn, repeat=7, number=20):
    """Median over `repeat` runs of the mean time of `number` calls, in seconds."""
    fn()
    runs = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        runs.append((time.perf_counter() - t0) / number)
    return float(np.median(runs))


def chain_kerasish(n_ops):
    from kerasish import Tensor

    def run():
        x = Tensor(np.array([0.5], dtype=np.float32), requires_grad=True)
        y = x
        for i in range(n_ops):
            k = i % 3
            y = y + 0.1 if k == 0 else (y * 0.9 if k == 1 else y.tanh())
        y.backward()
    return run


def chain_torch(n_ops):
    import torch

    def run():
        x = torch.tensor([0.5], requires_grad=True)
        y = x
        for i in range(n_ops):
            k = i % 3
            y = y + 0.1 if k == 0 else (y * 0.9 if k == 1 else y.tanh())
        y.backward()
    return run


def matmul_kerasish():
    from kerasish import Tensor
    rng = np.random.default_rng(0)
    a = Tensor(rng.standard_normal((128, 784), dtype=np.float32))
    w = Tensor(rng.standard_normal((784, 512), dtype=np.float32) * 0.05, requires_grad=True)

    def run():
        w.zero_grad()
        (a @ w).relu().sum().backward()
    return run


def matmul_torch():
    import torch
    rng = np.random.default_rng(0)
    a = torch.from_numpy(rng.standard_normal((128, 784), dtype=np.float32))
    w = torch.from_numpy(rng.standard_normal((784, 512), dtype=np.float32) * 0.05).requires_grad_()

    def run():
        w.grad = None
        (a @ w).relu().sum().backward()
    return run


def measure(lib, n_ops):
    """(us per chain op, ms per matmul step) for one library."""
    chain, matmul = (chain_kerasish, matmul_kerasish) if lib == "kerasish" else (chain_torch, matmul_torch)
    return best_time(chain(n_ops)) / n_ops * 1e6, best_time(matmul(), number=10) * 1e3


def run_one(lib, args):
    """One library per fresh process: two BLAS thread pools in one process distort both."""
    cmd = [sys.executable, os.path.abspath(__file__), "--only", lib, "--threads", str(args.threads),
           "--ops", str(args.ops)]
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode != 0:
        print(out.stderr[-2000:])
        return None
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--ops", type=int, default=200)
    parser.add_argument("--only", choices=["kerasish", "torch"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.only:
        if args.only == "torch":
            import torch
            torch.set_num_threads(args.threads)
        print(json.dumps(measure(args.only, args.ops)))
        return
    try:
        import torch  # noqa: F401
        have_torch = True
    except ImportError:
        have_torch = False
        print("PyTorch not installed: `pip install torch==2.13.0` to compare")
    ours = run_one("kerasish", args)
    theirs = run_one("torch", args) if have_torch else None
    names = [(f"(a) {args.ops}-op scalar chain, fwd+bwd", "us/op"),
             ("(b) (128,784)@(784,512)->relu->sum, fwd+bwd", "ms")]
    print(f"{'workload':48} {'unit':>5} {'kerasish':>10} {'torch':>10} {'ratio':>7}")
    for i, (name, unit) in enumerate(names):
        k, t = ours[i], theirs[i] if theirs else None
        ts = f"{t:10.2f}" if t else f"{'-':>10}"
        ratio = f"{k / t:6.2f}x" if t else f"{'-':>7}"
        print(f"{name:48} {unit:>5} {k:10.2f} {ts} {ratio}")


if __name__ == "__main__":
    main()
