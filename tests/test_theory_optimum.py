"""The best penalty of a grid (fastrisk.theory.optimum): edges are marked, never reported as optima."""

from __future__ import annotations

import math

import numpy as np
import pytest

from fastrisk import theory as T

LAM = np.array([0.0, 0.1, 1.0, 10.0, 100.0])


@pytest.mark.parametrize("values, index, edge", [
    ([5, 4, 1, 3, 6], 2, ""),  # inside
    ([5, 4, 3, 2, 1], 4, "upper"),  # on the largest penalty: the optimum may lie beyond
    ([5, 1, 2, 3, 4], 1, "lower"),  # on the smallest positive penalty
    ([1, 2, 3, 4, 5], 0, "lower"),  # on lam = 0 next to it: (0, 0.1) is unexplored
    ([5, 4, 1, np.nan, 6], 2, ""),  # NaN is a missing value
])
def test_grid_optimum_marks_edges(values, index, edge):
    o = T.grid_optimum(np.array(values, dtype=float), LAM)
    assert (o.index, o.edge, o.bound) == (index, edge, bool(edge))
    assert o.value == np.nanmin(values) and o.lam == LAM[index]


def test_resolved_ends_and_the_null_estimator():
    lam = np.append(LAM, np.inf)
    v = np.array([5, 4, 3, 2, 1.5, 1.0])  # theta = 0 best, next to lam = 100
    assert T.grid_optimum(v, lam).edge == "upper"
    o = T.grid_optimum(v, lam, resolved_above=100.0)
    assert o.edge == "" and math.isinf(o.lam) and o.describe() == "lam = inf (theta = 0)"
    o = T.grid_optimum(np.array([1.0, 2, 3, 4, 5, 6]), lam, resolved_below=0.1)
    assert o.edge == "" and o.describe() == "lam = 0 (min-norm)"
    assert "upper bound" in T.grid_optimum(np.array([5, 4, 3, 2, 1.0]), LAM).describe(unit=10, name="lam/n")
    assert T.grid_optimum(np.array([5, 4, 3, 2, 1.0]), LAM).describe(unit=10, name="lam/n").startswith(
        "lam/n >= 10")


@pytest.mark.parametrize("kw, msg", [
    (dict(values=[1, 2], lam=[0.0, 1.0, 2.0]), "shape of lam"),
    (dict(values=[1, 2, 3], lam=[0.0, 2.0, 1.0]), "strictly increasing"),
    (dict(values=[1, 2, 3], lam=[-1.0, 1.0, 2.0]), ">= 0"),
    (dict(values=[np.nan, np.nan], lam=[0.0, 1.0]), "at least one number"),
    (dict(values=[1.0, -np.inf], lam=[0.0, 1.0]), "no -inf"),
    (dict(values=[], lam=[]), "non-empty"),
])
def test_grid_optimum_bad_input(kw, msg):
    with pytest.raises(ValueError, match=msg):
        T.grid_optimum(np.asarray(kw["values"], dtype=float), np.asarray(kw["lam"], dtype=float))


def test_optimise_on_grid_extends_both_ways_until_inside():
    calls = []

    def f(lam):
        calls.append(lam.size)
        x = np.log(np.maximum(lam, 1e-300))
        return np.stack([(x - np.log(1e6)) ** 2, (x - np.log(1e-5)) ** 2 + 0 * x, (x - np.log(3.0)) ** 2],
                        axis=1)

    lam, v, opts = T.optimise_on_grid(f, np.concatenate([[0.0], np.logspace(-2, 2, 41)]), lower=1e-9,
                                      upper=1e9)
    assert [o.edge for o in opts] == ["", "", ""]
    assert opts[0].lam == pytest.approx(1e6, rel=0.15) and opts[1].lam == pytest.approx(1e-5, rel=0.15)
    assert opts[2].lam == pytest.approx(3.0, rel=0.15)
    assert len(calls) > 1 and lam[0] == 0.0 and np.all(np.diff(lam) > 0)
    np.testing.assert_array_equal(v, f(lam))  # the values are the objective on the final grid


def test_optimise_on_grid_stops_at_its_limits_and_marks_a_bound():
    f = lambda lam: -np.log1p(lam)  # noqa: E731  decreasing forever: no interior optimum
    lam, v, (o,) = T.optimise_on_grid(f, np.logspace(0, 2, 21), lower=1e-3, upper=1e5)
    assert o.edge == "upper" and o.lam == pytest.approx(1e5) and lam[-1] == pytest.approx(1e5)
    # with theta = 0 as an end point worth less than the grid, the limit is resolved
    lam, v, (o,) = T.optimise_on_grid(f, np.logspace(0, 2, 21), lower=1e-3, upper=1e5, at_infinity=[-100.0])
    assert o.edge == "" and math.isinf(o.lam) and o.value == -100.0 and math.isinf(lam[-1])


def test_optimise_on_grid_bad_input():
    with pytest.raises(ValueError, match="0 < lower < upper"):
        T.optimise_on_grid(lambda x: x, np.logspace(0, 1, 5), lower=10.0, upper=1.0)
    with pytest.raises(ValueError, match="finite"):
        T.optimise_on_grid(lambda x: x, np.array([1.0, np.inf]), lower=0.1, upper=10.0)
