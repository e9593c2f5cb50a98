"""Inputs shared by the expression tests."""

from __future__ import annotations

import math

import numpy as np

nan, inf = math.nan, math.inf

A = np.array([-1.5, -0.0, 0.5, 2.0, np.nan, np.inf, 3.0])
B = np.array([2.0, 0.0, -1.0, 3.0, 1.0, -np.inf, 0.1])
I = np.array([-3, 0, 1, 2, 7, 5, -8])  # noqa: E741
J = np.array([2, 0, -1, 3, 2, 0, 3])
T = np.array([True, False, True, False, True, False, True])
INPUTS = {"A": A, "B": B, "I": I, "J": J, "T": T}
