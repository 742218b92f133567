"""Each activation's and loss's derivative against torch autograd and central finite differences."""
import numpy as np
import pytest
import torch

from flowscope.engine.functions import ACTIVATIONS, LOSSES, grad_z, per_sample_loss

Z = np.random.default_rng(0).normal(0.0, 3.0, 50)
Z = Z[np.abs(Z) > 1e-3]  # relu's kink is at 0: keep away from it

TORCH_ACT = {
    "sigmoid": torch.sigmoid,
    "tanh": torch.tanh,
    "relu": torch.relu,
    "linear": lambda z: z,
    "gelu": lambda z: torch.nn.functional.gelu(z, approximate="tanh"),
}


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation_and_derivative_match_autograd(name):
    act = ACTIVATIONS[name]
    z = torch.tensor(Z, dtype=torch.float64, requires_grad=True)
    a = TORCH_ACT[name](z)
    a.sum().backward()
    ours = act.f(Z)
    np.testing.assert_allclose(ours, a.detach().numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(act.df(Z, ours), z.grad.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation_derivative_matches_finite_differences(name):
    act, h = ACTIVATIONS[name], 1e-6
    numeric = (act.f(Z + h) - act.f(Z - h)) / (2 * h)
    np.testing.assert_allclose(act.df(Z, act.f(Z)), numeric, rtol=1e-6, atol=1e-8)


def test_sigmoid_never_overflows():
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        a = ACTIVATIONS["sigmoid"].f(np.array([-1000.0, -50.0, 0.0, 50.0, 1000.0]))
    assert a[0] == 0.0 and a[2] == 0.5 and a[-1] == 1.0


def test_bce_is_stable_and_equals_torch():
    z = np.array([-800.0, -30.0, -1.0, 0.0, 2.0, 40.0, 900.0])
    y = np.array([1.0, 0.0, 1.0, 1.0, 0.0, 0.0, 1.0])
    ours = per_sample_loss(LOSSES["bce"], z, ACTIVATIONS["sigmoid"].f(z), y)
    ref = torch.nn.functional.binary_cross_entropy_with_logits(
        torch.tensor(z), torch.tensor(y), reduction="none").numpy()
    assert np.isfinite(ours).all()
    np.testing.assert_allclose(ours, ref, rtol=1e-12, atol=1e-13)  # torch rounds ln(1+e^−30) a little
    # the textbook formula, where it can be computed, agrees: the minus covers both terms
    a = 1 / (1 + np.exp(-z[2:5]))
    textbook = -(y[2:5] * np.log(a) + (1 - y[2:5]) * np.log(1 - a))
    np.testing.assert_allclose(ours[2:5], textbook, rtol=1e-12)


@pytest.mark.parametrize("loss_name,act_name", [("bce", "sigmoid"), ("mse", "linear"), ("mse", "tanh"), ("mse", "sigmoid")])
def test_grad_z_by_chain_rule_matches_autograd(loss_name, act_name):
    loss, act = LOSSES[loss_name], ACTIVATIONS[act_name]
    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, len(Z)).astype(float) if loss_name == "bce" else rng.normal(size=len(Z))
    z = torch.tensor(Z, dtype=torch.float64, requires_grad=True)
    a = TORCH_ACT[act_name](z)
    if loss_name == "bce":
        per = torch.nn.functional.binary_cross_entropy_with_logits(z, torch.tensor(y), reduction="none")
    else:
        per = (a - torch.tensor(y)) ** 2
    per.sum().backward()
    ours = grad_z(loss, act, Z, act.f(Z), y)
    np.testing.assert_allclose(ours, z.grad.numpy(), rtol=1e-10, atol=1e-12)
