"""Per-epoch overhead of `model.fit` against a hand-written loop over the same batches.

W1: MLP 784-512-512-10 (ReLU), softmax cross-entropy on logits, SGD(lr=0.01, momentum=0.9),
batch 128, on the bundled 8,000-image MNIST training sample (63 steps per epoch, last
batch partial). Both loops shuffle with one permutation per epoch and gather whole
batches; the hand loop does forward, loss, zero_grad, backward, step and nothing else.
fit runs with verbose=0 (and once with verbose=2, one line per epoch) with the loss only,
and with metrics=['accuracy'].

The runs alternate (hand, fit, hand, fit, ...) so drifts in machine speed hit both. The
report gives seconds per epoch, wall clock and process CPU time (min and median over
epochs; on a shared machine the minimum is the least disturbed estimate), and fit's
overhead against the hand loop in percent.

Run: python bench/bench_fit.py [--epochs 3] [--repeats 5] [--device cpu|cuda]
"""
import argparse
import contextlib
import io
import time

import numpy as np


def build(device, seed, tiny=False):
    from kerasish.layers.core import Dense
    from kerasish.models.sequential import Sequential
    from kerasish.utils import set_random_seed
    set_random_seed(seed)
    if tiny:  # compute ~nothing: what remains is the per-step Python cost of the loop
        return Sequential([Dense(10, input_dim=784)], device=device)
    return Sequential([Dense(512, activation="relu", input_dim=784), Dense(512, activation="relu"),
                       Dense(512, 10)], device=device)


def data():
    from kerasish.datasets import mnist_sample
    (x, y), _ = mnist_sample.load_data()
    return (x.reshape(len(x), -1).astype(np.float32) / 255.0), y.astype(np.int64)


def hand_epochs(x, y, device, epochs, seed, tiny=False):
    from kerasish import Tensor, backend
    from kerasish.losses import SparseCategoricalCrossentropy
    from kerasish.optimizers import SGD
    model = build(device, seed, tiny)
    loss_fn = SparseCategoricalCrossentropy(from_logits=True)
    opt = SGD(model.parameters, lr=0.01, momentum=0.9)
    model.train()
    times = []
    for _ in range(epochs):
        t0 = (time.perf_counter(), time.process_time())
        perm = backend.rng("cpu").permutation(len(x))
        for start in range(0, len(x), 128):
            idx = perm[start:start + 128]
            xb = Tensor(np.take(x, idx, axis=0), device=device)
            yb = Tensor(np.take(y, idx, axis=0), device=device)
            loss = loss_fn(yb, model(xb, training=True))
            opt.zero_grad()
            loss.backward()
            opt.step()
        loss.item()  # wait for the device
        times.append((time.perf_counter() - t0[0], time.process_time() - t0[1]))
    return times


def fit_epochs(x, y, device, epochs, seed, metrics, verbose, tiny=False):
    from kerasish.callbacks import LambdaCallback
    from kerasish.losses import SparseCategoricalCrossentropy
    from kerasish.optimizers import SGD
    model = build(device, seed, tiny)
    model.compile(optimizer=SGD(lr=0.01, momentum=0.9), loss=SparseCategoricalCrossentropy(from_logits=True),
                  metrics=metrics)
    times, t0 = [], [(0.0, 0.0)]
    timer = LambdaCallback(
        on_epoch_begin=lambda e, logs: t0.__setitem__(0, (time.perf_counter(), time.process_time())),
        on_epoch_end=lambda e, logs: times.append((time.perf_counter() - t0[0][0],
                                                   time.process_time() - t0[0][1])))
    with contextlib.redirect_stdout(io.StringIO()):
        history = model.fit(x, y, batch_size=128, epochs=epochs, verbose=verbose, callbacks=[timer])
    return times, history


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    x, y = data()
    print(f"W1 on {args.device}: {len(x)} samples, batch 128, {-(-len(x) // 128)} steps/epoch, "
          f"{args.epochs} epochs x {args.repeats} repeats (first epoch of each run dropped as warm-up)")
    variants = {
        "hand loop": lambda s: hand_epochs(x, y, args.device, args.epochs + 1, s),
        "fit, loss only, verbose=0": lambda s: fit_epochs(x, y, args.device, args.epochs + 1, s, None, 0)[0],
        "fit, accuracy, verbose=0": lambda s: fit_epochs(x, y, args.device, args.epochs + 1, s, ["accuracy"], 0)[0],
        "fit, accuracy, verbose=2": lambda s: fit_epochs(x, y, args.device, args.epochs + 1, s, ["accuracy"], 2)[0],
    }
    results = {name: [] for name in variants}
    for r in range(args.repeats):
        for name, run in variants.items():
            results[name].extend(run(r)[1:])
    wall = {k: np.array([t[0] for t in v]) for k, v in results.items()}
    cpu = {k: np.array([t[1] for t in v]) for k, v in results.items()}
    print(f"{'variant':28s} {'wall min':>9s} {'wall med':>9s} {'cpu min':>9s} {'cpu med':>9s}   "
          "overhead vs hand (wall min / cpu min / cpu median)")
    for name in variants:
        w, c = wall[name], cpu[name]
        over = [100 * (f(a) / f(b) - 1) for a, b, f in ((w, wall["hand loop"], np.min),
                                                      (c, cpu["hand loop"], np.min),
                                                      (c, cpu["hand loop"], np.median))]
        print(f"{name:28s} {w.min():9.4f} {np.median(w):9.4f} {c.min():9.4f} {np.median(c):9.4f}   "
              + " / ".join(f"{o:+.1f}%" for o in over))
    steps = -(-len(x) // 128)
    hand = [t[1] for _ in range(args.repeats) for t in hand_epochs(x, y, args.device, 3, 0, tiny=True)[1:]]
    fit = [t[1] for _ in range(args.repeats)
           for t in fit_epochs(x, y, args.device, 3, 0, ["accuracy"], 0, tiny=True)[0][1:]]
    per_step = 1e6 * (np.min(fit) - np.min(hand)) / steps
    print(f"per-step loop cost of fit (accuracy, verbose=0) beyond the hand loop, tiny model "
          f"784-10: {per_step:.0f} us (cpu min; hand loop {1e6 * np.min(hand) / steps:.0f} us/step)")


if __name__ == "__main__":
    main()
