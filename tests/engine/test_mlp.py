"""Random MLPs, every activation and every loss: gradients against autograd and finite differences."""
import numpy as np
import pytest
import torch

from flowscope.engine.functions import ACTIVATIONS, LOSSES, SOFTMAX
from flowscope.engine.scratch.mlp import INITS, MLP, init_weights

from .gradcheck import central_differences

TORCH_ACT = {
    "sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu, "linear": lambda z: z,
    "gelu": lambda z: torch.nn.functional.gelu(z, approximate="tanh"),
}
HEADS = {  # task → (output activation, loss, outputs)
    "binary": (ACTIVATIONS["sigmoid"], LOSSES["bce"], 1),
    "multi": (SOFTMAX, LOSSES["ce"], 3),
    "regression": (ACTIVATIONS["linear"], LOSSES["mse"], 1),
}


def make(task, hidden_act, hidden=(4, 3), seed=0, l1=0.0, l2=0.0):
    out_act, loss, k = HEADS[task]
    sizes = [2, *hidden, k]
    acts = [ACTIVATIONS[hidden_act]] * len(hidden) + [out_act]
    net = MLP(sizes, acts, loss, "xavier", np.random.default_rng(seed), l1, l2)
    for key in net.params:
        if key.startswith("b"):  # non-zero biases, so their gradients are exercised too
            net.params[key] = np.random.default_rng(seed + 1).normal(0, 0.3, net.params[key].shape)
    rng = np.random.default_rng(seed + 2)
    x = rng.normal(0, 1.5, (6, 2))
    if task == "regression":
        y = rng.normal(0, 1, 6)
    else:  # class labels; the net turns them into one column (binary) or one-hot rows (softmax)
        y = rng.integers(0, 3 if task == "multi" else 2, 6).astype(float)
    return net, x, y


def torch_loss(net, task, hidden_act, x, y):
    params = {k: torch.tensor(v, requires_grad=True) for k, v in net.params.items()}
    a = torch.tensor(x)
    for k in range(net.depth):
        z = a @ params[f"W{k}"].T + params[f"b{k}"]
        a = TORCH_ACT[hidden_act](z) if k < net.depth - 1 else z
    t = torch.tensor(y)
    if task == "binary":
        data = torch.nn.functional.binary_cross_entropy_with_logits(z[:, 0], t)
    elif task == "multi":
        data = torch.nn.functional.cross_entropy(z, t.long())
    else:
        data = torch.mean((z[:, 0] - t) ** 2)
    ws = [params[f"W{k}"] for k in range(net.depth)]
    reg = net.l1 * sum(w.abs().sum() for w in ws) + net.l2 * sum((w * w).sum() for w in ws)
    return data + reg, params


@pytest.mark.parametrize("task", sorted(HEADS))
@pytest.mark.parametrize("hidden_act", sorted(TORCH_ACT))
def test_mlp_gradients_match_autograd(task, hidden_act):
    net, x, y = make(task, hidden_act, l1=0.003, l2=0.01)
    rec = net.compute(x, y)
    ref, params = torch_loss(net, task, hidden_act, x, y)
    ref.backward()
    assert rec.loss == pytest.approx(ref.item(), rel=1e-12)
    for key, p in params.items():
        np.testing.assert_allclose(rec.grads[key], p.grad.numpy(), rtol=1e-9, atol=1e-13, err_msg=key)


@pytest.mark.parametrize("task", sorted(HEADS))
@pytest.mark.parametrize("hidden_act", ["tanh", "gelu", "sigmoid"])  # smooth: finite differences are exact to h²
def test_mlp_gradients_match_finite_differences(task, hidden_act):
    net, x, y = make(task, hidden_act, hidden=(3, 2), l2=0.02)
    rec = net.compute(x, y)
    for key, numeric in central_differences(net, x, y, net.params).items():
        np.testing.assert_allclose(rec.grads[key], numeric, rtol=1e-5, atol=1e-8, err_msg=key)


def test_zero_hidden_layers_is_logistic_regression():
    net, x, y = make("binary", "tanh", hidden=())
    assert net.depth == 1 and net.params["W0"].shape == (1, 2)
    rec = net.compute(x, y)
    ref, params = torch_loss(net, "binary", "tanh", x, y)
    ref.backward()
    np.testing.assert_allclose(rec.grads["W0"], params["W0"].grad.numpy(), rtol=1e-10)


def test_zero_init_never_breaks_symmetry():
    net = MLP([2, 4, 1], [ACTIVATIONS["tanh"], ACTIVATIONS["sigmoid"]], LOSSES["bce"], "zeros",
              np.random.default_rng(0))
    rng = np.random.default_rng(1)
    x, y = rng.normal(0, 2, (20, 2)), rng.integers(0, 2, 20).astype(float)
    for _ in range(50):
        net.apply(net.compute(x, y), 0.5)
    W0 = net.params["W0"]
    assert np.allclose(W0, W0[0])  # every hidden unit learned the same thing (here: nothing)


@pytest.mark.parametrize("kind", INITS)
def test_inits_are_seeded_and_scaled(kind):
    a = init_weights(kind, 300, 200, np.random.default_rng(3))
    b = init_weights(kind, 300, 200, np.random.default_rng(3))
    assert np.array_equal(a, b)
    expected = {"zeros": 0.0, "uniform": 1 / np.sqrt(12), "xavier": np.sqrt(2 / 500), "he": np.sqrt(2 / 200),
                "large": 2.0}[kind]
    assert a.std() == pytest.approx(expected, rel=0.05, abs=1e-12)


def test_field_is_the_network_evaluated_over_the_plane():
    from flowscope.engine.data.features import expand
    from flowscope.engine.scratch.mlp_field import field, grid

    net = MLP([3, 4, 1], [ACTIVATIONS["tanh"], ACTIVATIONS["sigmoid"]], LOSSES["bce"], "he", np.random.default_rng(2))
    feats = ("x1", "x2", "x1x2")
    f = field(net, feats, res=20, node_res=5)
    assert f["output"].shape == (20, 20, 1) and f["layer0"].shape == (5, 5, 4) and f["inputs"].shape == (5, 5, 3)
    # image order: row 0 is the top (x₂ = +6), column 0 the left (x₁ = −6)
    pts = grid(20)
    assert tuple(pts[0]) == (-6.0, 6.0) and tuple(pts[19]) == (6.0, 6.0) and tuple(pts[-1]) == (6.0, -6.0)
    row, col = 7, 13
    x = expand(pts[row * 20 + col][None, :], feats)
    direct = net.forward(x)[1][-1][0, 0]
    assert f["output"][row, col, 0] == pytest.approx(direct, rel=1e-6)
    # computed in float32, sent as float16 (step 5e-4 near 1): float32 is within 1e-6 of float64 everywhere
    exact = net.forward(expand(pts, feats))[1][-1].reshape(20, 20, 1)
    assert f["output"].dtype == np.float32 and np.abs(f["output"] - exact).max() < 1e-6
    assert f["inputs"][0, 0, 2] == pytest.approx(-36.0)  # x₁·x₂ at the top-left corner


def test_classes_are_numbered_as_the_data_labels_them():
    """The loss formula names the true class's output p₀, p₁, p₂ by its label, as the diagram does
    (it said p₁…p₃ while the diagram said p₀…p₂)."""
    from flowscope.engine.numfmt import sub
    from flowscope.engine.trainer import Trainer

    t = Trainer("mlp", {"dataset": "three", "hidden": [3], "batch_size": 1})
    loss = next(ev for ev in (t.next_stage() for _ in t.plan) if ev.stage == "loss")
    label = int(t.history[-1].record.y[0].argmax())
    assert f"−ln p{sub(label)} = " in loss.formula
