"""Nearest-neighbour search with the answers (ties included) of scipy's cKDTree, which PODPAC uses."""

from __future__ import annotations

import numpy as np


#: Queries of at least this many points run on every CPU (each point's answer is the same).
PARALLEL_QUERY_POINTS = 10_000


def kdtree_nearest(points: np.ndarray, query: np.ndarray, k: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """scipy's cKDTree ``(distance, index)`` answer (PODPAC's search)."""
    from scipy.spatial import cKDTree

    workers = -1 if len(query) >= PARALLEL_QUERY_POINTS else 1
    return cKDTree(points).query(query, k=k, workers=workers)


def kdtree_query(points: np.ndarray, query: np.ndarray, k: int) -> np.ndarray:
    """scipy's cKDTree answer (PODPAC's search), flattened; index == len(points) when missing."""
    return np.asarray(kdtree_nearest(points, query, k)[1]).ravel()


def nearest_1d(values: np.ndarray, query: np.ndarray) -> np.ndarray:
    """Index of the nearest value for each query point; exact ties resolved as cKDTree does."""
    return nearest_1d_dist(values, query)[0]


def nearest_1d_dist(values: np.ndarray, query: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Nearest index and distance per query point (binary search; exact ties and duplicate
    values go to cKDTree, whose choice PODPAC inherits)."""
    n = values.size
    if n == 1:
        return np.zeros(query.size, dtype=np.intp), np.abs(query - values[0])
    order = None
    sorted_values = values
    if not (np.diff(values) > 0).all():
        order = np.argsort(values, kind="stable")
        sorted_values = values[order]
        if (np.diff(sorted_values) == 0).any():
            index = kdtree_query(values[:, None], query[:, None], k=1).astype(np.intp)
            return index, np.abs(query - values[index])
    pos = np.searchsorted(sorted_values, query).clip(1, n - 1)
    d_below = (query - sorted_values[pos - 1]) ** 2  # squared, as cKDTree compares them
    d_above = (sorted_values[pos] - query) ** 2
    index = np.where(d_above < d_below, pos, pos - 1)
    if order is not None:
        index = order[index]
    ties = d_above == d_below
    if ties.any():
        index[ties] = kdtree_query(values[:, None], query[ties][:, None], k=1)
    return index.astype(np.intp, copy=False), np.sqrt(np.minimum(d_below, d_above))
