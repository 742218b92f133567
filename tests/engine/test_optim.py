"""Each optimizer's update, written out in NumPy, equals the change torch.optim makes from the same
gradients, step after step (so its state — velocities, moments, bias correction — matches too)."""
import math

import numpy as np
import pytest
import torch

from flowscope.engine.optim import OPTIMIZERS, make_optimizer

TORCH = {
    "sgd": lambda p, wd: torch.optim.SGD(p, lr=0.1, weight_decay=wd),
    "momentum": lambda p, wd: torch.optim.SGD(p, lr=0.1, momentum=0.9, weight_decay=wd),
    "nesterov": lambda p, wd: torch.optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True, weight_decay=wd),
    "rmsprop": lambda p, wd: torch.optim.RMSprop(p, lr=0.1, alpha=0.99, eps=1e-8, weight_decay=wd),
    "adam": lambda p, wd: torch.optim.Adam(p, lr=0.1, betas=(0.9, 0.999), eps=1e-8, weight_decay=wd),
    "adamw": lambda p, wd: torch.optim.AdamW(p, lr=0.1, betas=(0.9, 0.999), eps=1e-8, weight_decay=wd),
}


@pytest.mark.parametrize("weight_decay", [0.0, 0.05])
@pytest.mark.parametrize("name", OPTIMIZERS)
def test_update_equals_torch_optim(name, weight_decay):
    rng = np.random.default_rng(4)
    params = {"W": rng.normal(size=(3, 2)), "b": rng.normal(size=3)}
    ours = make_optimizer(name, weight_decay=weight_decay)
    tp = {k: torch.tensor(v.copy(), requires_grad=True) for k, v in params.items()}
    theirs = TORCH[name](list(tp.values()), weight_decay)
    for _ in range(6):
        grads = {k: rng.normal(size=v.shape) for k, v in params.items()}
        ours.step(params, grads, 0.1, params.keys())
        for k, t in tp.items():
            t.grad = torch.tensor(grads[k])
        theirs.step()
        for k in params:
            np.testing.assert_allclose(params[k], tp[k].detach().numpy(), rtol=1e-10, atol=1e-12, err_msg=k)


def test_adam_explains_its_bias_correction_with_numbers():
    opt = make_optimizer("adam")
    params = {"w": np.array([0.5])}
    opt.step(params, {"w": np.array([0.2])}, 0.01, ["w"])
    text = "\n".join(opt.explain("w", (0,))["lines"])
    # after one step m̂ = g and v̂ = g²: the first Adam step moves by η·sign(g), whatever |g| is
    assert "m̂ = m/(1−β₁ᵗ) = 0.0200/0.100 = 0.200" in text
    assert params["w"][0] == pytest.approx(0.5 - 0.01, rel=1e-6)


def test_unknown_optimizer_is_a_clear_error():
    with pytest.raises(ValueError, match="adamw"):
        make_optimizer("lion")


@pytest.mark.parametrize("name", ["sgd", "momentum", "nesterov", "rmsprop", "adam", "adamw"])
def test_explained_numbers_redo_the_update(name):
    """The numbers shown are the ones used: recomputing the step from them gives the new weight."""
    opt = make_optimizer(name, weight_decay=0.01)
    params = {"w": np.array([0.5, -1.0])}
    for g in (0.2, -0.1, 0.05):
        opt.step(params, {"w": np.array([g, 1.0])}, 0.03, ["w"])
    n = opt.explain("w", (0,))["values"]
    if name in ("momentum", "nesterov"):
        step = n["g"] + n["mu"] * n["v"] if name == "nesterov" else n["v"]
    elif name == "rmsprop":
        step = n["g"] / (math.sqrt(n["s"]) + n["eps"])
    elif name in ("adam", "adamw"):
        assert n["m_hat"] == pytest.approx(n["m"] / (1 - 0.9 ** 3)) and n["t"] == 3
        step = n["m_hat"] / (math.sqrt(n["v_hat"]) + n["eps"])
    else:
        step = n["g"]
    start = n["before"] * (1 - n["lr"] * n["weight_decay"]) if name == "adamw" else n["before"]
    assert start - n["lr"] * step == pytest.approx(n["after"], rel=1e-12) == params["w"][0]
    if name != "adamw":  # coupled decay: the g shown includes λ·w
        assert n["g"] == pytest.approx(0.05 + 0.01 * n["before"])


@pytest.mark.parametrize("weight_decay", [0.0, 0.02])
@pytest.mark.parametrize("name", OPTIMIZERS)
def test_explain_gives_the_step_itself_so_a_page_only_formats(name, weight_decay):
    """`step` is what the rule subtracted (and `decay` AdamW's η·λ·w): before − decay − step = after."""
    opt = make_optimizer(name, weight_decay=weight_decay)
    params = {"w": np.array([0.5, -1.0])}
    for g in (0.2, -0.1, 0.05):
        opt.step(params, {"w": np.array([g, 1.0])}, 0.03, ["w"])
    n = opt.explain("w", (0,))["values"]
    assert n["before"] - n.get("decay", 0.0) - n["step"] == pytest.approx(n["after"], rel=1e-12)
    assert ("decay" in n) == (name == "adamw" and weight_decay > 0)
    expected = {"sgd": set(), "momentum": {"v", "mu", "direction"}, "nesterov": {"v", "mu", "direction"},
                "rmsprop": {"s", "alpha", "eps", "sqrt_s"},
                "adam": {"m", "v", "t", "c1", "c2", "m_hat", "v_hat", "denom", "direction"}}
    assert expected[name.replace("adamw", "adam")] <= set(n)
    if name == "rmsprop":
        assert n["sqrt_s"] == math.sqrt(n["s"])


def test_a_trainers_explain_says_how_the_step_was_clipped():
    from flowscope.engine.trainer import Trainer

    t = Trainer("mlp", {"hidden": [3], "optimizer": "sgd", "lr": 0.1, "clip": 0.01})
    assert t.explain("W0", (0, 0))["values"] == {}  # no update yet: nothing to show
    t.run(1)
    ex = t.explain("W0", (0, 0))
    v = ex["values"]
    assert v["clip_scale"] == pytest.approx(0.01 / v["grad_norm"]) and v["max_norm"] == 0.01
    assert ex["lines"][0].startswith("gradient clipped")
    t.configure({"clip": 0.0})
    t.run(1)
    assert "clip_scale" not in t.explain("W0", (0, 0))["values"]
