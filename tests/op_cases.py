"""Op cases (function, float64 inputs) shared by the device-parametrised tests."""
import numpy as np

import kerasish.ops as K

R = np.random.default_rng(5)
x34 = R.uniform(0.5, 1.5, (3, 4))
idx = np.array([0, 2, 2])

OPS = {
    "arith": (lambda a, b: (a + b) * a - b / a + a ** 2 - 2 ** b, [x34, R.standard_normal(4)]),
    "unary": (lambda a: a.exp() + a.log() + a.sqrt() + a.abs() + a.tanh() + a.sigmoid() + a.relu(), [x34]),
    "clip_max_min": (lambda a, b: a.clip(0.6, 1.2) + K.maximum(a, b) + K.minimum(a, b), [x34, x34[0] + 0.01]),
    "where": (lambda a, b: K.where(np.array([True, False, True, False]), a, b), [x34, x34 * 2]),
    "reduce": (lambda a: a.sum(0) + a.mean(0) + a.max(0) + a.min(0) + a.var(0), [x34]),
    "shape": (lambda a: a.reshape(4, 3).T.transpose(1, 0).flatten().expand_dims(0).squeeze(), [x34]),
    "index": (lambda a: a[1:, ::2] * 2, [x34]),
    "index_repeat": (lambda a: a[idx], [x34]),
    "concat_stack_pad": (lambda a: K.concatenate([a, a], 1).sum() + K.stack([a, a]).sum() + K.pad(a, 1).sum(),
                         [x34]),
    "matmul": (lambda a, b: a @ b, [R.standard_normal((2, 3, 4)), R.standard_normal((4, 5))]),
    "softmax": (lambda a: a.softmax() + a.log_softmax() + K.logsumexp(a, -1, keepdims=True), [x34]),
    "softmax_ce": (lambda a: K.softmax_cross_entropy(a, np.array([0, 3, 1])), [x34]),
    "broadcast_to": (lambda a: K.broadcast_to(a, (2, 3, 4)), [x34]),
}
