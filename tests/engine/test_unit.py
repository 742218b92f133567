"""The one-unit model's gradients and update against torch autograd, torch.optim and finite differences."""
import numpy as np
import pytest
import torch

from flowscope.engine.functions import ACTIVATIONS, LOSSES
from flowscope.engine.scratch.unit import Unit

from .gradcheck import central_differences

CASES = [  # (activation, loss, bias, features, batch)
    ("sigmoid", "bce", True, 1, 1),
    ("sigmoid", "bce", True, 2, 7),
    ("linear", "mse", False, 1, 5),
    ("linear", "mse", True, 1, 3),
]


def _batch(loss, features, batch, seed=3):
    rng = np.random.default_rng(seed)
    x = rng.normal(0.0, 2.0, (batch, features))
    y = rng.integers(0, 2, batch).astype(float) if loss == "bce" else rng.normal(0.0, 3.0, batch)
    return x, y


def _unit(act, loss, bias, features, seed=7):
    u = Unit(features, ACTIVATIONS[act], LOSSES[loss], bias, np.random.default_rng(seed))
    if bias:
        u.params["b"] = np.array(-0.3)
    return u


def _torch_loss(act, loss, w, b, x, y):
    z = torch.tensor(x) @ w + b
    if loss == "bce":
        return torch.nn.functional.binary_cross_entropy_with_logits(z, torch.tensor(y))
    return torch.mean((z - torch.tensor(y)) ** 2)


@pytest.mark.parametrize("act,loss,bias,features,batch", CASES)
def test_gradients_match_autograd(act, loss, bias, features, batch):
    u = _unit(act, loss, bias, features)
    x, y = _batch(loss, features, batch)
    rec = u.compute(x, y)
    w = torch.tensor(u.params["w"], requires_grad=True)
    b = torch.tensor(float(u.params["b"]), dtype=torch.float64, requires_grad=True)
    ref = _torch_loss(act, loss, w, b, x, y)
    ref.backward()
    assert rec.loss == pytest.approx(ref.item(), rel=1e-12)
    np.testing.assert_allclose(rec.grads["w"], w.grad.numpy(), rtol=1e-10, atol=1e-14)
    expected_b = b.grad.item() if bias else 0.0  # no bias: b is not a parameter, its gradient is reported 0
    assert float(rec.grads["b"]) == pytest.approx(expected_b, rel=1e-10, abs=1e-14)


@pytest.mark.parametrize("act,loss,bias,features,batch", CASES)
def test_gradients_match_central_finite_differences(act, loss, bias, features, batch):
    u = _unit(act, loss, bias, features)
    x, y = _batch(loss, features, batch)
    rec = u.compute(x, y)
    for key, numeric in central_differences(u, x, y, u.trainable).items():
        np.testing.assert_allclose(rec.grads[key], numeric, rtol=1e-6, atol=1e-8, err_msg=key)


@pytest.mark.parametrize("act,loss,bias,features,batch", CASES)
def test_update_equals_torch_optim_sgd(act, loss, bias, features, batch):
    u = _unit(act, loss, bias, features)
    x, y = _batch(loss, features, batch)
    w = torch.tensor(u.params["w"].copy(), requires_grad=True)
    b = torch.tensor(float(u.params["b"]), dtype=torch.float64, requires_grad=bias)
    opt = torch.optim.SGD([w, b] if bias else [w], lr=0.3)
    _torch_loss(act, loss, w, b, x, y).backward()
    opt.step()
    u.apply(u.compute(x, y), 0.3)
    np.testing.assert_allclose(u.params["w"], w.detach().numpy(), rtol=1e-12)
    assert float(u.params["b"]) == pytest.approx(b.item(), rel=1e-12)


def test_compute_changes_nothing_and_apply_moves_downhill():
    u = _unit("sigmoid", "bce", True, 2)
    x, y = _batch("bce", 2, 16)
    before = {k: v.copy() for k, v in u.params.items()}
    rec = u.compute(x, y)
    assert all(np.array_equal(before[k], u.params[k]) for k in before)
    u.apply(rec, 0.05)
    assert u.mean_loss(x, y) < rec.loss  # a small step against the gradient lowers the loss


def test_curve_is_the_exact_loss_along_the_slope():
    u = _unit("linear", "mse", True, 1)
    x, y = _batch("mse", 1, 9)
    curve = u.curve(x, y)
    for a, loss in list(zip(curve["a"], curve["loss"]))[::25]:
        direct = np.mean((a * x[:, 0] + float(u.params["b"]) - y) ** 2)
        assert loss == pytest.approx(direct, rel=1e-12)
    lo, hi = min(curve["a"]), max(curve["a"])
    assert lo < u.params["w"][0] < hi
    # the minimum of the sampled curve sits near least squares along a
    best = x[:, 0] @ (y - float(u.params["b"])) / (x[:, 0] @ x[:, 0])
    assert abs(curve["a"][int(np.argmin(curve["loss"]))] - best) <= (hi - lo) / 100
