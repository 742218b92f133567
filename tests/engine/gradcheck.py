"""Central finite differences, the tests' second oracle beside torch autograd."""
import numpy as np


def central_differences(model, x, y, keys, h: float = 1e-6) -> dict[str, np.ndarray]:
    """(L(p + h) − L(p − h)) / 2h for every entry of every named parameter, in float64."""
    out = {}
    for key in keys:
        p = model.params[key]
        flat, grad = p.reshape(-1), np.zeros(p.size)  # reshape of a contiguous array is a view
        for i in range(flat.size):
            old = flat[i]
            flat[i] = old + h
            up = model.mean_loss(x, y)
            flat[i] = old - h
            down = model.mean_loss(x, y)
            flat[i] = old
            grad[i] = (up - down) / (2 * h)
        out[key] = grad.reshape(p.shape)
    return out
