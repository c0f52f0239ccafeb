"""Fast Walsh–Hadamard transform against scipy.linalg.hadamard and closed forms."""

import numpy as np
import pytest
import scipy.linalg
import torch

from symhard.errors import InvalidParameterError
from symhard.queries.walsh import fwht, fwht_torch, parity_tables, walsh_coefficients


@pytest.mark.parametrize("n", range(0, 9))
def test_fwht_integer_exact_against_scipy(n, rng):
    N = 2**n
    H = scipy.linalg.hadamard(N)
    a = rng.integers(-50, 50, size=(3, 2, N))
    out = fwht(a)
    assert out.dtype == np.int64
    np.testing.assert_array_equal(out, a @ H.T, err_msg=f"n={n}")
    np.testing.assert_array_equal(fwht_torch(torch.as_tensor(a)).numpy(), a @ H.T, err_msg=f"n={n}")


def test_fwht_float_other_axis_and_involution(rng):
    N = 64
    H = scipy.linalg.hadamard(N)
    b = rng.normal(size=(N, 5))
    np.testing.assert_allclose(fwht(b, axis=0), H @ b, atol=1e-10)
    np.testing.assert_allclose(fwht_torch(torch.as_tensor(b), dim=0).numpy(), H @ b, atol=1e-10)
    np.testing.assert_allclose(fwht(fwht(b, axis=0), axis=0) / N, b, atol=1e-12)  # H² = N·I
    assert np.shares_memory(fwht(b, axis=0), b) is False


def test_int8_tables_do_not_overflow():
    t = np.ones((1, 2**10), dtype=np.int8)  # constant 1: transform is 1024 at S = ∅
    out = fwht(t)
    assert out[0, 0] == 1024 and not out[0, 1:].any()


def test_parity_tables_are_hadamard_rows_and_coefficients():
    n = 3
    H = scipy.linalg.hadamard(8)
    np.testing.assert_array_equal(parity_tables(np.arange(8), n), H)
    # f = x0 x1 (set {0,1} = mask 3): a single Walsh coefficient 1 at S = 3
    x = 1 - 2 * ((np.arange(8)[:, None] >> np.arange(3)) & 1)
    f = x[:, 0] * x[:, 1]
    coef = walsh_coefficients(f)
    expected = np.zeros(8)
    expected[3] = 1.0
    np.testing.assert_array_equal(coef, expected)
    # majority of 3 bits: (x0 + x1 + x2 - x0 x1 x2)/2
    maj = np.sign(x.sum(1))
    np.testing.assert_array_equal(walsh_coefficients(maj), [0, .5, .5, 0, .5, 0, 0, -.5])


@pytest.mark.parametrize("bad", [3, 6, 12])
def test_rejects_non_power_of_two(bad):
    with pytest.raises(InvalidParameterError, match="power of 2"):
        fwht(np.ones(bad))
    with pytest.raises(InvalidParameterError, match="power of 2"):
        fwht_torch(torch.ones(bad))


def test_radix_passes_match_the_butterfly_and_stay_exact():
    """The radix-64 matrix-product transform equals the int64 butterfly exactly on integer
    tables (N = 2^15 needs three passes of different radix), and large tables fall back."""
    from symhard.queries.walsh import fwht_butterfly

    rng = np.random.default_rng(7)
    a = rng.integers(-(2**20), 2**20, size=(2, 2**15))
    assert np.array_equal(fwht(a), fwht_butterfly(a))
    big = np.array([2**55, 1, -1, 3], dtype=np.int64)  # max|a|·N ≥ 2^52: exact int64 path
    assert np.array_equal(fwht(big), np.array([2**55 + 3, 2**55 - 5, 2**55 - 1, 2**55 + 3]))
    x = rng.standard_normal(2**13)
    assert np.allclose(fwht(fwht(x)), 2**13 * x)  # H² = N·I
