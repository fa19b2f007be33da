"""Autograd overhead and matmul benchmarks: kerasish vs PyTorch (CPU), same process.

(a) a chain of 200 elementwise ops (add, mul, tanh alternating) on a 1-element tensor,
    forward then backward: microseconds per op.
(b) (128, 784) @ (784, 512) -> relu -> sum, forward + backward: milliseconds per step.

Run: python bench/bench_ops.py [--threads N]
"""
import argparse
import os
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


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--ops", type=int, default=200)
    args = parser.parse_args()
    try:
        import torch
        torch.set_num_threads(args.threads)
    except ImportError:
        torch = None
        print("PyTorch not installed: `pip install torch==2.13.0` to compare")

    rows = []
    k = best_time(chain_kerasish(args.ops)) / args.ops * 1e6
    t = best_time(chain_torch(args.ops)) / args.ops * 1e6 if torch else None
    rows.append((f"(a) {args.ops}-op scalar chain, fwd+bwd", "us/op", k, t))
    k = best_time(matmul_kerasish(), number=10) * 1e3
    t = best_time(matmul_torch(), number=10) * 1e3 if torch else None
    rows.append(("(b) (128,784)@(784,512)->relu->sum, fwd+bwd", "ms", k, t))

    print(f"{'workload':48} {'unit':>5} {'kerasish':>10} {'torch':>10} {'ratio':>7}")
    for name, unit, k, t in rows:
        ts = f"{t:10.2f}" if t else f"{'-':>10}"
        ratio = f"{k / t:6.2f}x" if t else f"{'-':>7}"
        print(f"{name:48} {unit:>5} {k:10.2f} {ts} {ratio}")


if __name__ == "__main__":
    main()
