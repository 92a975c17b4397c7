"""Duplicate detection: exact by SHA-256, near by MinHash over word shingles with LSH bands.

The band hashes live in the database (``TextBand``, indexed), so finding candidates is one
indexed query however large the library grows, and no in-memory index has to be rebuilt.

The MinHash itself is a few lines of numpy here rather than datasketch's ``MinHash``, for two
reasons. Its signatures are stored, so they must not depend on the installed library: datasketch
2.0 changed its default permutation scheme, and a library filled under 1.x would have stopped
finding its near-duplicates silently after an upgrade. And datasketch hashes every shingle with
SHA-1 in a Python loop: here each word is hashed once (CRC-32, in C), shingles are combined from
word hashes as arrays, and the signature costs 0.4 ms per short document instead of 0.85 ms.
The scheme is datasketch 2.0's "affine32": an avalanching pre-mix (MurmurHash3's finaliser),
then 128 random odd-multiplier affine maps modulo 2^32, whose minima form the signature.
Changing any of this changes every stored signature: library migration 0008 recomputed them.
"""

from __future__ import annotations

import hashlib
import re
import zlib

import numpy as np

NUM_PERM = 128
BANDS, ROWS = 32, 4  # candidate threshold ≈ (1/32) ** (1/4) ≈ 0.42 Jaccard
SHINGLE = 3
MIN_WORDS = 40  # distinct shingles below which a text is too short to compare
SEED = 1
CHUNK = 4096  # shingles permuted at once (2 MB of work space)
_WORD = re.compile(r"\w+", re.UNICODE)


def _permutations() -> tuple[np.ndarray, np.ndarray]:
    generator = np.random.RandomState(SEED)
    a = generator.randint(1, 2**32, size=NUM_PERM, dtype=np.uint64).astype(np.uint32) | 1
    b = generator.randint(0, 2**32, size=NUM_PERM, dtype=np.uint64).astype(np.uint32)
    return a, b


_A, _B = _permutations()
# Multipliers that make a shingle's hash depend on the order of its three words.
_MIX = (np.uint32(0x9E3779B1), np.uint32(0x85EBCA77))


def _avalanche(values: np.ndarray) -> np.ndarray:
    """MurmurHash3's 32-bit finaliser: every input bit flips about half the output bits."""
    values = values ^ (values >> np.uint32(16))
    values = values * np.uint32(0x85EBCA6B)
    values = values ^ (values >> np.uint32(13))
    values = values * np.uint32(0xC2B2AE35)
    return values ^ (values >> np.uint32(16))


def shingle_hashes(text: str) -> np.ndarray:
    """One 32-bit hash per run of ``SHINGLE`` consecutive words (casefolded), in text order."""
    words = _WORD.findall(text.casefold())
    if len(words) < SHINGLE:
        return np.empty(0, dtype=np.uint32)
    hashes = np.fromiter(map(zlib.crc32, map(str.encode, words)), dtype=np.uint32,
                         count=len(words))
    with np.errstate(over="ignore"):
        combined = (hashes[:-2] * _MIX[0]) ^ (hashes[1:-1] * _MIX[1]) ^ hashes[2:]
        return _avalanche(combined)


def signature(text: str) -> np.ndarray | None:
    """The MinHash of a text, or None when it is too short to compare meaningfully."""
    hashes = shingle_hashes(text)
    if len(hashes) < MIN_WORDS or len(np.unique(hashes)) < MIN_WORDS:
        return None
    lowest = np.full(NUM_PERM, np.iinfo(np.uint32).max, dtype=np.uint32)
    # By chunks: a 5 MB text has ~800,000 shingles, and 128 maps of all of them at once
    # would take 400 MB.
    for start in range(0, len(hashes), CHUNK):
        with np.errstate(over="ignore"):
            # Multiplication wraps around: that is the modulo 2**32 of the affine maps.
            permuted = hashes[start : start + CHUNK, None] * _A + _B
        np.minimum(lowest, permuted.min(axis=0), out=lowest)
    return lowest.astype(np.uint64)


def bands(sig: np.ndarray) -> list[tuple[int, int]]:
    out = []
    for band in range(BANDS):
        chunk = sig[band * ROWS : (band + 1) * ROWS].tobytes()
        value = int.from_bytes(hashlib.blake2b(chunk, digest_size=8).digest(), "big", signed=True)
        out.append((band, value))
    return out


def to_bytes(sig: np.ndarray) -> bytes:
    return sig.astype("<u8").tobytes()


def from_bytes(data: bytes) -> np.ndarray:
    return np.frombuffer(bytes(data), dtype="<u8")


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Estimated Jaccard similarity of two signatures."""
    return float(np.count_nonzero(a == b)) / len(a)
