"""convolve_same: scipy's direct "same" convolution, rank-1 kernels as 1-d passes, NaN/inf kept."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.signal import convolve

from podpac_exec.nodes.kernels import convolve_same, separable_factors
from podpac_exec.nodes.signal import make_kernel


def _direct(data, kernel):
    return convolve(data, kernel, mode="same", method="direct")


def _outer(*factors):
    kernel = np.asarray(factors[0], dtype=float)
    for f in factors[1:]:
        kernel = np.multiply.outer(kernel, np.asarray(f, dtype=float))
    return kernel


@pytest.mark.parametrize(
    "kernel, separable",
    [
        (make_kernel("mean,5", 2), True),
        (make_kernel("gaussian,9,2", 2), True),
        (make_kernel("hann,4", 3), True),
        (_outer([1, 2, 1], [1, 0, -1]), True),  # Sobel: a zero-sum factor
        (np.ones((1, 5, 1)) * 0.3, True),
        (np.array([[0, 1, 0], [1, -4, 1], [0, 1, 0.0]]), False),
        (np.array([[1, 2], [3, 4.0]]), False),
        (np.zeros((3, 3)), False),
    ],
)
def test_separable_detection(kernel, separable):
    factors = separable_factors(kernel)
    assert (factors is not None) is separable
    if factors is not None:
        np.testing.assert_allclose(_outer(*factors), kernel, rtol=0, atol=1e-15)


def test_one_axis_kernel_keeps_its_own_weights():
    kernel = np.array([[0.1], [0.7], [0.2]])
    factors = separable_factors(kernel)
    assert factors[0].tolist() == [0.1, 0.7, 0.2] and factors[1].tolist() == [1.0]


def test_near_rank1_kernel_with_a_changed_zero_is_not_separable():
    kernel = _outer([1, 2, 1], [1, 2, 1])
    kernel[0, 0] = 0.0  # products would put a weight there, and 0 * inf differs from w * inf
    assert separable_factors(kernel) is None


@pytest.mark.parametrize("seed", range(40))
def test_equals_scipy_direct_with_nan_and_inf(seed):
    rng = np.random.default_rng(seed)
    ndim = 1 + seed % 3
    shape = tuple(rng.integers(1, 9, ndim))
    kshape = tuple(rng.integers(1, 6, ndim))
    data = rng.normal(size=shape) * 10
    data[rng.random(shape) < 0.1] = np.nan
    data[rng.random(shape) < 0.04] = np.inf
    data[rng.random(shape) < 0.04] = -np.inf
    if seed % 2:
        factors = [rng.normal(size=k) * (rng.random(k) > 0.2) for k in kshape]
        kernel = _outer(*factors).reshape(kshape)
    else:
        kernel = rng.normal(size=kshape) * (rng.random(kshape) > 0.2)
    got = convolve_same(data, kernel)
    assert got.shape == data.shape and got.dtype == np.float64
    np.testing.assert_allclose(got, _direct(data, kernel), rtol=1e-12, atol=1e-12, equal_nan=True)


def test_nan_spreads_over_the_whole_box_even_under_zero_weights():
    data = np.arange(49.0).reshape(7, 7)
    data[3, 3] = np.nan
    for kernel in (np.array([[0, 0, 0], [0, 1, 0], [0, 0, 0.0]]), make_kernel("mean,3", 2)):
        nan = np.isnan(convolve_same(data, kernel))
        assert nan[2:5, 2:5].all() and nan.sum() == 9


def test_inf_signs_follow_the_weights():
    data = np.zeros(7)
    data[3] = np.inf
    got = convolve_same(data, np.array([1.0, -2.0, 0.5]))
    assert np.isposinf(got[2]) and np.isneginf(got[3]) and np.isposinf(got[4])
    assert np.isnan(convolve_same(data, np.array([1.0, 0.0, 1.0]))[3])  # 0 * inf


def test_tiles_equal_the_whole_exactly():
    rng = np.random.default_rng(3)
    data = rng.normal(size=(64, 48)) * 1e3
    data[rng.random(data.shape) < 0.02] = np.nan
    for kernel in (make_kernel("gaussian,7,1.5", 2), rng.normal(size=(5, 4))):
        whole = convolve_same(data, kernel)
        halo = 6
        for r0, c0 in [(10, 7), (30, 20), (45, 30)]:
            tile = convolve_same(data[r0 - halo : r0 + 12 + halo, c0 - halo : c0 + 9 + halo], kernel)
            np.testing.assert_array_equal(tile[halo:-halo, halo:-halo], whole[r0 : r0 + 12, c0 : c0 + 9])


@pytest.mark.parametrize("dtype", [np.float32, np.int64, np.bool_])
def test_dtypes_give_float64_as_scipy(dtype):
    data = (np.arange(20) % 3).astype(dtype).reshape(4, 5)
    kernel = make_kernel("mean,3", 2)
    got = convolve_same(data, kernel)
    want = _direct(data.astype(np.float64), kernel)
    assert got.dtype == np.float64
    np.testing.assert_allclose(got, want, rtol=1e-12)


def test_zero_dim_and_size_one_kernels():
    assert convolve_same(np.float64(3.0), np.float64(0.5)) == 1.5
    data = np.arange(6.0).reshape(2, 3)
    np.testing.assert_array_equal(convolve_same(data, np.full((1, 1), 2.0)), data * 2)
    out = convolve_same(data, np.ones((1, 1)))
    assert out is not data
    np.testing.assert_array_equal(out, data)


def test_empty_data():
    assert convolve_same(np.zeros((0, 4)), np.ones((3, 3))).shape == (0, 4)


def test_kernel_larger_than_data():
    data = np.array([[1.0, 2.0], [3.0, 4.0]])
    kernel = np.arange(1.0, 26.0).reshape(5, 5)
    np.testing.assert_allclose(convolve_same(data, kernel), _direct(data, kernel), rtol=1e-13)


def test_ndim_mismatch_is_refused():
    with pytest.raises(ValueError, match="dims"):
        convolve_same(np.zeros((3, 3)), np.ones(3))


@pytest.mark.parametrize("kernel", [make_kernel("gaussian,5,1", 2), np.arange(12.0).reshape(3, 4) - 5])
def test_blocks_on_two_threads_equal_one_thread_bit_for_bit(kernel):
    from podpac_exec.nodes import kernels
    from podpac_exec.nodes.parallel import one_thread

    rng = np.random.default_rng(11)
    data = rng.normal(size=(3 * kernels._BLOCK_CELLS // 200 + 7, 203)) * 1e3  # several blocks, odd widths
    data[rng.random(data.shape) < 0.01] = np.nan
    two = convolve_same(data, kernel)
    with one_thread():
        one = convolve_same(data, kernel)
    assert two.view(np.int64).tolist() == one.view(np.int64).tolist()
    np.testing.assert_allclose(two, _direct(data, kernel), rtol=1e-12, atol=1e-9, equal_nan=True)


@pytest.mark.parametrize("layout", ["fortran", "transposed"])
@pytest.mark.parametrize("kernel", [np.arange(1.0, 10.0).reshape(3, 3), make_kernel("mean,3", 2), np.ones((3, 1)) / 3])
def test_a_fortran_ordered_or_transposed_input_convolves_as_its_c_ordered_copy(layout, kernel):
    data = np.random.default_rng(5).normal(size=(9, 7))
    given = np.asfortranarray(data) if layout == "fortran" else np.ascontiguousarray(data.T).T
    assert not given.flags.c_contiguous
    np.testing.assert_array_equal(convolve_same(given, kernel), convolve_same(data, kernel))
    np.testing.assert_allclose(convolve_same(given, kernel), _direct(data, kernel), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("taps", [[1.0], [0.25, 0.5, 0.25], [1.0, -2.0, 0.0, 3.0], list(np.full(7, 1 / 7))])
def test_a_kernel_along_the_first_axis_only_equals_scipy_and_its_tiles_the_whole(taps):
    from podpac_exec.nodes import kernels
    from podpac_exec.nodes.parallel import one_thread

    rng = np.random.default_rng(7)
    data = rng.normal(size=(2 * kernels._BLOCK_CELLS // 120 + 9, 12, 10)) * 1e3  # several blocks
    data[rng.random(data.shape) < 0.01] = np.nan
    data[rng.random(data.shape) < 0.005] = -np.inf
    kernel = np.asarray(taps).reshape(-1, 1, 1)
    whole = convolve_same(data, kernel)
    np.testing.assert_allclose(whole, _direct(data, kernel), rtol=1e-12, atol=1e-9, equal_nan=True)
    with one_thread():
        assert convolve_same(data, kernel).view(np.int64).tolist() == whole.view(np.int64).tolist()
    halo = len(taps)
    for r0 in (halo, 40, data.shape[0] - 20 - halo):
        tile = convolve_same(data[r0 - halo : r0 + 20 + halo], kernel)
        np.testing.assert_array_equal(tile[halo:-halo], whole[r0 : r0 + 20])
