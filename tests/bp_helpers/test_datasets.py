"""Are the toy datasets seeded, well-shaped and learnable, and are bad arguments refused?"""

from __future__ import annotations

import numpy as np
import pytest

from bp_helpers.datasets import DATASETS, load, train_val_split


@pytest.mark.parametrize("name", sorted(DATASETS))
def test_shapes_dtypes_and_labels(name: str) -> None:
    """Does every dataset give X (n, 2) float64 and y (n,) int64 with both labels present?"""
    X, y = load(name, n=101, seed=3)
    assert X.shape == (101, 2) and X.dtype == np.float64
    assert y.shape == (101,) and y.dtype == np.int64
    assert set(np.unique(y)) == {0, 1}
    assert np.all(np.isfinite(X))


@pytest.mark.parametrize("name", sorted(DATASETS))
def test_same_seed_same_data_other_seed_other_data(name: str) -> None:
    """Is a dataset reproducible from its seed, and different under another seed?"""
    X1, y1 = load(name, n=50, seed=7)
    X2, y2 = load(name, n=50, seed=7)
    X3, _ = load(name, n=50, seed=8)
    assert np.array_equal(X1, X2) and np.array_equal(y1, y2)
    assert not np.array_equal(X1, X3)


@pytest.mark.parametrize("name", ["spirals", "blobs"])
def test_multiclass(name: str) -> None:
    """Do spirals and blobs give k classes when asked?"""
    _, y = load(name, n=90, classes=3)
    assert set(np.unique(y)) == {0, 1, 2}


def test_classes_are_not_linearly_separable_where_they_should_not_be() -> None:
    """Does a least-squares linear classifier fail on xor and circles (so they need a hidden layer)?"""
    for name in ("xor", "circles"):
        X, y = load(name, n=400)
        A = np.column_stack([X, np.ones(len(X))])
        w, *_ = np.linalg.lstsq(A, 2.0 * y - 1, rcond=None)
        accuracy = np.mean((A @ w > 0) == (y == 1))
        assert accuracy < 0.75, (name, accuracy)


def test_bad_arguments_are_refused() -> None:
    """Are an unknown name, too few points and a bad split fraction refused with a message?"""
    with pytest.raises(ValueError, match="unknown dataset"):
        load("mnist")
    with pytest.raises(ValueError, match="at least 2"):
        load("xor", n=1)
    X, y = load("moons", n=20)
    with pytest.raises(ValueError, match="between 0 and 1"):
        train_val_split(X, y, val_fraction=1.5)


def test_split_partitions_the_data() -> None:
    """Does train_val_split keep every point exactly once?"""
    X, y = load("moons", n=50)
    Xt, yt, Xv, yv = train_val_split(X, y, val_fraction=0.3)
    assert len(Xv) == 15 and len(Xt) == 35
    assert sorted(map(tuple, np.vstack([Xt, Xv]))) == sorted(map(tuple, X))
