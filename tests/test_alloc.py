"""fastrisk._alloc.empty: large results without NumPy's huge-page advice, NumPy's setting left as found."""

from __future__ import annotations

import numpy as np
import pytest

from fastrisk import _alloc

needs_switch = pytest.mark.skipif(_alloc._set_madvise_hugepage is None,
                                  reason="this NumPy build has no huge-page switch")


@pytest.mark.parametrize("shape,dtype", [((3,), np.float64), ((1000, 100, 100), np.float64),
                                         ((600, 1000), np.float32), ((0, 5), np.float64)])
def test_empty_has_the_shape_and_dtype_asked(shape, dtype):
    a = _alloc.empty(shape, dtype)
    assert a.shape == shape and a.dtype == dtype and a.flags.c_contiguous


@needs_switch
@pytest.mark.parametrize("before", [True, False])
def test_numpy_setting_is_restored_also_after_an_error(before):
    switch = _alloc._set_madvise_hugepage
    prev = switch(before)
    try:
        _alloc.empty((1000, 1000))
        assert switch(before) is before  # returns the setting it replaces
        with pytest.raises(ValueError):
            _alloc.empty((-(10**7), 10))
        assert switch(before) is before
    finally:
        switch(prev)


@needs_switch
def test_large_results_are_allocated_without_the_advice(monkeypatch):
    switch = _alloc._set_madvise_hugepage
    seen = []
    real = np.empty

    def spy(shape, dtype=np.float64):
        state = switch(True)  # read the setting in force at allocation time, then put it back
        switch(state)
        seen.append(state)
        return real(shape, dtype=dtype)

    prev = switch(True)
    try:
        monkeypatch.setattr(_alloc.np, "empty", spy)
        _alloc.empty((10,))  # small: NumPy's default (advice on)
        _alloc.empty((1000, 1000))  # 8 MB: without the advice
        assert seen == [True, False]
        assert switch(True) is True  # and the default is back
    finally:
        switch(prev)
