"""check_grad for a layer w.r.t. its input and its weights (imported by the tests beside it)."""
from kerasish.utils import check_grad


def check_layer_grad(layer, x, names=None, **kwargs):
    """Checks d layer(x) / d x and d layer(x) / d weight for the named (default: trainable) weights.

    The layer should be built in float64. check_grad passes float64 copies of the weights to the
    closure, which puts them in place of the real ones (attribute and registry) for each call.
    """
    if not layer.built:
        layer(x)
    names = list(names) if names is not None else [n for n in layer._weights if n in layer._trainable_names]
    originals = {n: layer._weights[n] for n in names}
    attrs = {n: [k for k, v in vars(layer).items() if v is originals[n]] for n in names}

    def put(weights):
        for n, w in weights.items():
            layer._weights[n] = w
            for key in attrs[n]:
                object.__setattr__(layer, key, w)

    def fn(xt, *ws):
        put(dict(zip(names, ws)))
        try:
            return layer(xt)
        finally:
            put(originals)

    return check_grad(fn, x, *[originals[n] for n in names], **kwargs)
