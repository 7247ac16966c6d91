"""BLIS, which spaCy's parser and NER call from C, gets its AVX2 kernels when it fell back to generic ones."""

from __future__ import annotations

import pytest

np = pytest.importorskip("numpy")
blis_py = pytest.importorskip("blis.py")

from tidings.resolve import blis_kernels  # noqa: E402


def test_products_stay_right_after_the_swap() -> None:
    rng = np.random.default_rng(7)
    # The shapes of a transition step (states x hidden by hidden x classes) and of a layer's product.
    for m, k, n in ((5, 64, 74), (64, 64, 100), (700, 288, 288)):
        a = rng.standard_normal((m, k), dtype=np.float32)
        b = rng.standard_normal((k, n), dtype=np.float32)
        before = blis_py.gemm(a, b)
        blis_kernels.use_avx2_kernels()
        after = blis_py.gemm(a, b)
        np.testing.assert_allclose(after, a @ b, rtol=1e-4, atol=1e-4)
        np.testing.assert_allclose(after, before, rtol=1e-4, atol=1e-4)


def test_swap_happens_where_the_cpu_can_run_the_kernels() -> None:
    first = blis_kernels.use_avx2_kernels()
    assert blis_kernels.use_avx2_kernels() is first  # idempotent
    if {"avx2", "fma"} <= blis_kernels._cpu_flags():
        assert first is True  # this machine (x86-64 with AVX2) never stays on the generic kernels
