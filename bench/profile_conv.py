"""The W2 network's conv/pool layers, kerasish vs PyTorch (CPU), forward and backward.

W2 = 28x28x1 -> Conv 32 3x3 relu -> MaxPool 2 -> Conv 64 3x3 relu -> MaxPool 2, batch 128.
Both run in this process with the same thread count; the loss is sum(h * h) of the
last pooling output (so backward sees a dense gradient). kerasish runs channels-last,
PyTorch its native NCHW. `--layers` adds a per-op breakdown of kerasish's time.

Timings are the best of several runs (the machine may be shared); each framework runs
in its own process, alternating, `--rounds` times, without OPENBLAS_CORETYPE /
OPENBLAS_L2_SIZE (set KEEP_OPENBLAS_CORETYPE=1 to keep them).

Run: python bench/profile_conv.py [--threads 2] [--batch 128] [--rounds 3] [--layers]
"""
import argparse
import os
import time


def _set_threads(n):
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(n)


def best_time(fn, repeat=9, number=10):
    """Best (min) over `repeat` runs of the mean time of `number` calls, in milliseconds.

    The minimum, not the median: the machine is shared, and other load only adds time.
    """
    import numpy as np
    for _ in range(3):
        fn()
    runs = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        runs.append((time.perf_counter() - t0) / number)
    return 1e3 * float(np.min(runs))


def kerasish_fns(batch):
    import numpy as np
    import kerasish
    from kerasish import Tensor
    from kerasish.layers.conv import Conv2D
    from kerasish.layers.pooling import MaxPool2D

    kerasish.utils.set_random_seed(0)
    x = Tensor(np.random.default_rng(0).random((batch, 28, 28, 1), dtype=np.float32))
    layers = [Conv2D(32, 3, activation="relu"), MaxPool2D(2), Conv2D(64, 3, activation="relu"), MaxPool2D(2)]

    def forward():
        h = x
        for layer in layers:
            h = layer(h)
        return h

    def step():
        h = forward()
        (h * h).sum().backward()

    return forward, step, layers, x


def torch_fns(batch):
    import torch
    import torch.nn.functional as F
    torch.manual_seed(0)
    x = torch.rand(batch, 1, 28, 28)
    w1 = (torch.randn(32, 1, 3, 3) * 0.3).requires_grad_()
    b1 = torch.zeros(32, requires_grad=True)
    w2 = (torch.randn(64, 32, 3, 3) * 0.06).requires_grad_()
    b2 = torch.zeros(64, requires_grad=True)

    def forward():
        h = F.max_pool2d(F.relu(F.conv2d(x, w1, b1)), 2)
        return F.max_pool2d(F.relu(F.conv2d(h, w2, b2)), 2)

    def step():
        h = forward()
        (h * h).sum().backward()
        for p in (w1, b1, w2, b2):
            p.grad = None

    return forward, step


def per_layer(batch):
    """Forward and backward milliseconds of each kerasish op in the stack."""
    import numpy as np
    from kerasish.ops import conv as conv_ops
    forward, _, layers, x = kerasish_fns(batch)
    forward()
    rows = []
    h = x.data
    conv_i = 0
    for layer in layers:
        if hasattr(layer, "kernel"):
            fn = conv_ops.Conv2DFunction(strides=layer.strides, padding=layer.padding,
                                         dilation=layer.dilation_rate, relu=True)
            args, needs = (h, layer.kernel.data, layer.bias.data), [conv_i > 0, True, True]
            conv_i += 1
        else:
            fn = conv_ops.MaxPool2DFunction(pool_size=layer.pool_size, strides=layer.strides, track=True)
            args, needs = (h,), [True]
        fn.needs_input_grad = needs
        out = fn.forward(*args)
        g = np.ones_like(out)
        t_fwd = best_time(lambda: fn.forward(*args), repeat=5)

        def fwd_bwd():
            fn.forward(*args)
            fn.backward(g)
        t_bwd = best_time(fwd_bwd, repeat=5) - t_fwd
        name = type(layer).__name__ + ("+relu" if hasattr(layer, "kernel") else "")
        rows.append((f"{name} {tuple(h.shape)}", t_fwd, t_bwd))
        h = out
    return rows


def run_one(framework, batch, threads):
    """(forward ms, forward+backward ms) of one framework, in a fresh process.

    Each framework runs alone: OpenBLAS's and PyTorch's OpenMP worker threads spin-wait
    after each call, and sharing two cores between both pools slows either down by 2-5x.
    """
    import json
    import subprocess
    import sys
    cmd = [sys.executable, __file__, "--only", framework, "--batch", str(batch), "--threads", str(threads)]
    env = dict(os.environ)
    if not os.environ.get("KEEP_OPENBLAS_CORETYPE"):
        # a machine-wide OPENBLAS_CORETYPE=Haswell pin (set here for reproducible tests) picks
        # AVX2 kernels on an AVX-512 CPU: sgemm runs at half speed. Time with OpenBLAS's own choice.
        env.pop("OPENBLAS_CORETYPE", None)
        env.pop("OPENBLAS_L2_SIZE", None)
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env).stdout
    return json.loads(out.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds per framework (best kept)")
    parser.add_argument("--layers", action="store_true", help="per-op breakdown of kerasish")
    parser.add_argument("--only", choices=["kerasish", "torch", "layers"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    _set_threads(args.threads)
    if args.only:
        import json
        if args.only == "layers":
            import kerasish._malloc  # noqa: F401
            print(json.dumps(per_layer(args.batch)))
            return
        if args.only == "torch":
            import torch
            torch.set_num_threads(args.threads)
            fwd, step = torch_fns(args.batch)
        else:
            import kerasish._malloc  # noqa: F401  (the lead imports it from kerasish/__init__)
            fwd, step, _, _ = kerasish_fns(args.batch)
        print(json.dumps([best_time(fwd), best_time(step)]))
        return
    results = {}
    for _ in range(args.rounds):  # alternate the frameworks; keep each one's best round
        for name in ("kerasish", "torch"):
            fwd, step = run_one(name, args.batch, args.threads)
            best = results.get(name, (fwd, step))
            results[name] = (min(best[0], fwd), min(best[1], step))
    print(f"W2 conv stack, batch {args.batch}, {args.threads} threads (ms)")
    print(f"{'':10s}{'forward':>10s}{'backward':>10s}{'fwd+bwd':>10s}")
    for name, (fwd, step) in results.items():
        print(f"{name:10s}{fwd:10.2f}{step - fwd:10.2f}{step:10.2f}")
    ratio = results["kerasish"][1] / results["torch"][1]
    print(f"kerasish / torch (fwd+bwd): {ratio:.2f}x")
    if args.layers:
        print("\nkerasish per op (ms)            forward  backward")
        for name, fwd, bwd in run_one("layers", args.batch, args.threads):
            print(f"{name:32s}{fwd:8.2f}{bwd:10.2f}")


if __name__ == "__main__":
    main()
