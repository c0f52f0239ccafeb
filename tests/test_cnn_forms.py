"""The circular form of the circular CNN (models/_circular.py) against independent references.

References: ``torch.nn.functional.conv1d`` with circular padding (the textbook circular CNN) and a
plain Python loop over members, shifts and columns. Checked in float64 to 1e-10: the forward pass
for shared and per-member inputs, d = 1 and d = 3 columns, ReLU and |.|, with and without bias;
the gradients with respect to W, a, b and the input; independence of the tile size; the memory
contract (nothing float of the size of the pre-activations is kept for the backward pass); and
bf16 autocast within bf16 round-off.
"""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from symhard.groups import PermutationGroup
from symhard.models import _circular
from symhard.models.cnn import GroupAveragedNetwork


def _net(n, h, M, activation, bias, seed=0, dtype=torch.float64):
    net = GroupAveragedNetwork(PermutationGroup.cyclic(n), n, h, ensemble=M, activation=activation, bias=bias,
                               form="circular", generator=torch.Generator().manual_seed(seed), dtype=dtype)
    if bias:
        with torch.no_grad():
            net.b.normal_(generator=torch.Generator().manual_seed(seed + 1))
    return net


def conv1d_reference(net, X):
    """f_m(X) = (1/n) sum_s sum_c a_m . sigma(conv1d(circular_pad(x_c), W_m) + b_m), member by member."""
    n = net.n
    out = []
    for m in range(net.ensemble):
        Xm = X[m] if X.dim() == 4 else X  # [B, n, d]
        x = Xm.permute(0, 2, 1).reshape(-1, 1, n)  # [B*d, 1, n]
        xp = F.pad(x, (0, n - 1), mode="circular")
        pre = F.conv1d(xp, net.W[m].T[:, None, :], bias=None if net.b is None else net.b[m])  # [B*d, h, n]
        act = torch.relu(pre) if net.activation == "relu" else pre.abs()
        pooled = act.sum(-1).reshape(Xm.shape[0], Xm.shape[2], -1).sum(1)  # [B, h]
        out.append(pooled @ net.a[m] / n)
    return torch.stack(out)


def loop_reference(net, X):
    """The definition, with Python loops: (1/n) sum_s sum_c sum_j a_j sigma(sum_i W_ij X[(i+s) mod n, c] + b_j)."""
    n, M = net.n, net.ensemble
    B, d = X.shape[-3], X.shape[-1]
    out = torch.zeros(M, B, dtype=X.dtype)
    for m in range(M):
        Xm = X[m] if X.dim() == 4 else X
        for s in range(n):
            rows = Xm[:, [(i + s) % n for i in range(n)], :]  # [B, n, d]
            for c in range(d):
                pre = rows[:, :, c] @ net.W[m] + (0 if net.b is None else net.b[m])
                act = torch.relu(pre) if net.activation == "relu" else pre.abs()
                out[m] += act @ net.a[m] / n
    return out


@pytest.mark.parametrize("activation", ["relu", "abs"])
@pytest.mark.parametrize("bias", [False, True])
@pytest.mark.parametrize("per_member,d", [(False, 1), (False, 3), (True, 1), (True, 3)])
def test_forward_equals_conv1d_and_the_loop(activation, bias, per_member, d):
    n, h, M, B = 7, 5, 3, 6
    net = _net(n, h, M, activation, bias)
    g = torch.Generator().manual_seed(9)
    X = torch.randn((M, B, n, d) if per_member else (B, n, d), generator=g, dtype=torch.float64)
    got = net(X)
    torch.testing.assert_close(got, conv1d_reference(net, X), rtol=1e-10, atol=1e-12)
    torch.testing.assert_close(got, loop_reference(net, X), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("activation", ["relu", "abs"])
@pytest.mark.parametrize("per_member", [False, True])
def test_gradients_equal_conv1d(activation, per_member):
    n, h, M, B, d = 6, 4, 2, 5, 2
    g = torch.Generator().manual_seed(4)
    X0 = torch.randn((M, B, n, d) if per_member else (B, n, d), generator=g, dtype=torch.float64)
    grads = []
    for fn in (lambda net, X: net(X), conv1d_reference):
        net = _net(n, h, M, activation, True, seed=2)
        X = X0.clone().requires_grad_(True)
        (fn(net, X) * torch.arange(1, B + 1, dtype=torch.float64)).sum().backward()
        grads.append([net.W.grad, net.a.grad, net.b.grad, X.grad])
    for name, mine, ref in zip(("W", "a", "b", "X"), *grads):
        torch.testing.assert_close(mine, ref, rtol=1e-10, atol=1e-12, msg=lambda m, k=name: f"d{k}: {m}")


def test_the_tile_size_changes_nothing_but_round_off():
    n, K, G, R = 8, 6, 2, 11
    g = torch.Generator().manual_seed(5)
    x = torch.randn(G, R, n, generator=g, dtype=torch.float64)
    W = torch.randn(G, n, K, generator=g, dtype=torch.float64, requires_grad=True)
    outs = []
    for tile in (1, 3, R):
        W.grad = None
        out = _circular.circular_pool(x, W, None, "relu", tile=tile)
        (out * out).sum().backward()
        outs.append((out.detach(), W.grad.clone()))
    for out, grad in outs[1:]:
        torch.testing.assert_close(out, outs[0][0], rtol=1e-12, atol=1e-12)
        torch.testing.assert_close(grad, outs[0][1], rtol=1e-12, atol=1e-12)


def test_backward_keeps_one_byte_per_pre_activation():
    """No floating tensor with R*n*K entries is saved for the backward pass (a conv1d keeps one)."""
    n, h, M, B = 16, 8, 4, 32
    net = _net(n, h, M, "relu", False, dtype=torch.float32)
    X = torch.randn(B, n, 1)
    saved = []
    with torch.autograd.graph.saved_tensors_hooks(lambda t: saved.append((t.dtype, t.numel())) or t, lambda t: t):
        net(X).sum()
    big = B * n * M * h
    assert (torch.int8, big) in saved
    assert not [s for s in saved if s[0].is_floating_point and s[1] >= big], saved


def test_bf16_autocast_agrees_within_bf16_round_off():
    n, h, M, B = 16, 8, 3, 20
    net = _net(n, h, M, "relu", True, dtype=torch.float32)
    X = torch.randn(B, n, 1, generator=torch.Generator().manual_seed(3))
    ref = conv1d_reference(net, X)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        got = net(X)
    scale = ref.abs().max()
    assert (got.float() - ref).abs().max() <= 3e-2 * scale
    assert (got.float() - ref).abs().max() > 0  # autocast did change the arithmetic


def test_evaluation_keeps_nothing_for_a_backward_pass(monkeypatch):
    """Under no_grad (every evaluation of the trainer) no sigma' buffer is allocated; with grad one int8 buffer is."""
    net = _net(8, 4, 3, "relu", True, dtype=torch.float32)
    X = torch.randn(10, 8, 2)
    made = []
    real_empty = torch.empty

    def spy(*args, **kw):
        t = real_empty(*args, **kw)
        made.append(t.dtype)
        return t

    monkeypatch.setattr(_circular.torch, "empty", spy)
    with torch.no_grad():
        out = net(X)
    assert torch.int8 not in made
    net(X)
    assert made.count(torch.int8) == 1
    monkeypatch.undo()
    torch.testing.assert_close(out, conv1d_reference(net, X).detach(), rtol=1e-5, atol=1e-6)
