"""Counter-based random numbers for the stress test.

Every random number is a pure function of ``(seed, scenario, stream, loan, month)``: there is no generator state
that threads or Dask workers could share or advance in different orders, so results do not depend on the number
of threads, on how scenarios are chunked, or on which worker runs a chunk.

Construction (our own, after the SplitMix64 generator of Steele, Lea & Flood, OOPSLA 2014):

* ``mix64`` is the SplitMix64 output function (Stafford's "variant 13" 64-bit finaliser), a bijection on
  64-bit integers with full avalanche.
* ``scenario_key(seed, s, stream)`` hashes the seed, the global scenario index and a stream tag into a 64-bit key
  (stream tags separate the policy-rate, house-price and income draws from the loan-level draws).
* ``loan_key(key, i)`` derives a per-loan key; ``month_tweak(t)`` a per-month constant; the uniform of loan ``i`` in
  month ``t`` is ``to_unit(mix64(loan_key ^ month_tweak))``.

The inputs to the final mix are (pseudo-)random 64-bit words, so draws for different (scenario, loan, month)
triples are distinct with overwhelming probability (birthday bound: ~1 % chance of a single repeated word over
6·10¹¹ draws). This is a fast keyed hash, not a cryptographic or Random123-certified generator; the tests check
uniformity and independence of the marginal draws, and the Vasicek oracle test checks the tail behaviour that
matters here.

All functions are Numba ``njit`` functions and are also callable from Python; ``*_np`` variants are the
vectorised NumPy equivalents used by the reference implementation (bit-identical by construction).
"""

from __future__ import annotations

import numpy as np
from numba import njit

GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_STREAM_MULT = np.uint64(0xD6E8FEB86659FD93)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)
_S11 = np.uint64(11)
_INV53 = 1.0 / 9007199254740992.0

# Stream tags (documented, never renumber: changing them changes every simulated number).
STREAM_RATE = 1
STREAM_HOUSE = 2
STREAM_INCOME = 3
STREAM_LOANS = 4
STREAM_ONE_FACTOR = 5
STREAM_CPI = 6
STREAM_PREPAY = 7
STREAM_LIFE = 8
STREAM_DWELLING = 9


@njit(inline="always", cache=True)
def mix64(z: np.uint64) -> np.uint64:
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


@njit(cache=True)
def scenario_key(seed: int, s: int, stream: int) -> np.uint64:
    k = mix64(np.uint64(seed) * GOLDEN + np.uint64(stream) * _STREAM_MULT)
    return mix64(k + (np.uint64(s) + np.uint64(1)) * GOLDEN)


@njit(inline="always", cache=True)
def loan_key(key: np.uint64, i: int) -> np.uint64:
    return mix64(key ^ mix64((np.uint64(i) + np.uint64(1)) * _STREAM_MULT))


@njit(inline="always", cache=True)
def month_tweak(t: int) -> np.uint64:
    return mix64((np.uint64(t) + np.uint64(1)) * GOLDEN)


@njit(inline="always", cache=True)
def to_unit(x: np.uint64) -> float:
    """Uniform in [0, 1) with 53 random bits."""
    return float(x >> _S11) * _INV53


@njit(inline="always", cache=True)
def to_unit_open(x: np.uint64) -> float:
    """Uniform in (0, 1] (safe for log)."""
    return (float(x >> _S11) + 1.0) * _INV53


@njit(cache=True)
def normal_at(key: np.uint64, t: int) -> float:
    """Standard normal number ``t`` of a keyed stream (Box–Muller on two keyed uniforms)."""
    u1 = to_unit_open(mix64(key ^ month_tweak(2 * t)))
    u2 = to_unit(mix64(key ^ month_tweak(2 * t + 1)))
    return np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * np.pi * u2)


@njit(cache=True)
def uniform_at(key: np.uint64, t: int) -> float:
    return to_unit(mix64(key ^ month_tweak(t)))


# ---------------------------------------------------------------------------------------------------------------
# NumPy equivalents (wrap-around uint64 arithmetic), bit-identical to the njit versions.


def mix64_np(z: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        z = (z ^ (z >> _S30)) * _M1
        z = (z ^ (z >> _S27)) * _M2
        return z ^ (z >> _S31)


def loan_keys_np(keys: np.ndarray, n_loans: int) -> np.ndarray:
    """(S,) scenario keys → (S, L) loan keys."""
    with np.errstate(over="ignore"):
        li = mix64_np((np.arange(n_loans, dtype=np.uint64) + np.uint64(1)) * _STREAM_MULT)
    return mix64_np(keys[:, None] ^ li[None, :])


def month_tweak_np(t: int) -> np.uint64:
    return np.uint64(month_tweak(t))


def to_unit_np(x: np.ndarray) -> np.ndarray:
    return (x >> _S11).astype(np.float64) * _INV53


def to_unit_open_np(x: np.ndarray) -> np.ndarray:
    return ((x >> _S11).astype(np.float64) + 1.0) * _INV53


@njit(cache=True)
def loan_uniform(seed: int, s: int, i: int, t: int) -> float:
    """The uniform of loan ``i`` in month ``t`` of scenario ``s`` (exactly as the kernel draws it)."""
    return to_unit(mix64(loan_key(scenario_key(seed, s, STREAM_LOANS), i) ^ month_tweak(t)))
