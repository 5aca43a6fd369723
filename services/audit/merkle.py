"""RFC 6962 / RFC 9162 Merkle tree hashing, inclusion and consistency proofs (pure).

Leaves are hashed ``SHA-256(0x00 || data)`` and inner nodes ``SHA-256(0x01 || left || right)``;
the tree over ``n`` leaves splits at the largest power of two below ``n``. Every hash the proofs
need is the hash of a *complete* subtree (``2**level`` leaves starting at ``index * 2**level``),
so a log that keeps those (``NodeReader``) serves proofs and roots in O(log n) look-ups, and
appending a leaf adds at most log n of them (:func:`new_nodes`). ``MemoryTree`` keeps them in
lists, for proofs and tests; ``Frontier`` keeps only the O(log n) subtrees along the right edge,
which is all a root needs (a verifier streaming a million leaves holds about twenty hashes).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from hashlib import sha256

NodeReader = Callable[[int, int], bytes]
"""(level, index) -> hash of the complete subtree of ``2**level`` leaves at ``index``."""

EMPTY_ROOT = hashlib.sha256(b"").digest()


class ProofError(ValueError):
    """A proof does not lead to the claimed root (or asks for an impossible tree)."""


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two strictly below ``n`` (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


def range_hash(node: NodeReader, lo: int, hi: int) -> bytes:
    """MTH(D[lo:hi]) where ``lo`` is where a complete subtree of the whole tree starts."""
    size = hi - lo
    if size == 0:
        return EMPTY_ROOT
    if size & (size - 1) == 0 and lo % size == 0:
        level = size.bit_length() - 1
        return node(level, lo >> level)
    k = _split(size)
    return node_hash(range_hash(node, lo, lo + k), range_hash(node, lo + k, hi))


def root(node: NodeReader, size: int) -> bytes:
    return range_hash(node, 0, size)


def inclusion_proof(node: NodeReader, index: int, size: int) -> list[bytes]:
    """RFC 9162 2.1.3.1 PATH(index, D[0:size])."""
    if not 0 <= index < size:
        raise ProofError(f"leaf {index} is not in a tree of {size}")
    return _path(node, index, 0, size)


def _path(node: NodeReader, m: int, lo: int, hi: int) -> list[bytes]:
    n = hi - lo
    if n == 1:
        return []
    k = _split(n)
    if m < k:
        return [*_path(node, m, lo, lo + k), range_hash(node, lo + k, hi)]
    return [*_path(node, m - k, lo + k, hi), range_hash(node, lo, lo + k)]


def consistency_proof(node: NodeReader, first: int, second: int) -> list[bytes]:
    """RFC 9162 2.1.4.1 PROOF(first, D[0:second])."""
    if not 0 <= first <= second:
        raise ProofError(f"no consistency proof from {first} to {second}")
    if first in (0, second):
        return []
    return _subproof(node, first, 0, second, True)


def _subproof(node: NodeReader, m: int, lo: int, hi: int, whole: bool) -> list[bytes]:
    n = hi - lo
    if m == n:
        return [] if whole else [range_hash(node, lo, hi)]
    k = _split(n)
    if m <= k:
        return [*_subproof(node, m, lo, lo + k, whole), range_hash(node, lo + k, hi)]
    return [*_subproof(node, m - k, lo + k, hi, False), range_hash(node, lo, lo + k)]


def verify_inclusion(
    leaf: bytes, index: int, size: int, proof: Sequence[bytes], expected_root: bytes
) -> None:
    """RFC 9162 2.1.3.2; ``leaf`` is the leaf *hash*. Raises ProofError."""
    if not 0 <= index < size:
        raise ProofError(f"leaf {index} is not in a tree of {size}")
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            raise ProofError("inclusion proof is too long")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0 or r != expected_root:
        raise ProofError(f"leaf {index} is not in the tree of {size} with this root")


def verify_consistency(
    first: int, second: int, first_root: bytes, second_root: bytes, proof: Sequence[bytes]
) -> None:
    """RFC 9162 2.1.4.2: the tree of ``second`` leaves extends the one of ``first``."""
    if not 0 <= first <= second:
        raise ProofError(f"a tree of {second} cannot extend one of {first} (it shrank)")
    if first == second:
        if proof or first_root != second_root:
            raise ProofError(f"two different trees of the same size {first}")
        return
    if first == 0:
        if proof:
            raise ProofError("a proof from the empty tree must be empty")
        return
    path = list(proof)
    if first & (first - 1) == 0:
        path.insert(0, first_root)
    if not path:
        raise ProofError("empty consistency proof")
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ProofError("consistency proof is too long")
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0 or fr != first_root or sr != second_root:
        raise ProofError(f"the tree of {second} does not extend the tree of {first}")


def new_nodes(index: int, leaf: bytes, node: NodeReader) -> list[tuple[int, int, bytes]]:
    """The complete subtrees that appending leaf hash ``leaf`` at ``index`` completes.

    ``node`` must know the complete subtrees left of ``index``; returns (level, index, hash)
    from the leaf up.
    """
    made = [(0, index, leaf)]
    level, position, current = 0, index, leaf
    while position & 1:
        current = node_hash(node(level, position - 1), current)
        level, position = level + 1, position >> 1
        made.append((level, position, current))
    return made


def edge(size: int) -> list[tuple[int, int]]:
    """(level, index) of the complete subtrees along the right edge of a tree of ``size``
    leaves, largest first: one per bit set in ``size``, all that appending needs."""
    found, start = [], 0
    for level in reversed(range(size.bit_length())):
        if size >> level & 1:
            found.append((level, start >> level))
            start += 1 << level
    return found


class MemoryTree:
    """Complete subtrees kept in lists: ``levels[l][i]`` is node (l, i)."""

    def __init__(self, leaves: Iterable[bytes] = ()) -> None:
        # Built level by level (pairs of complete subtrees make the next level): the same
        # lists ``append`` would make one leaf at a time, without its per-leaf bookkeeping.
        self.levels: list[list[bytes]] = [list(leaves)]
        while len(self.levels[-1]) > 1:
            below = self.levels[-1]
            pairs = zip(below[::2], below[1::2], strict=False)  # a lone last node waits
            self.levels.append([node_hash(a, b) for a, b in pairs])

    @property
    def size(self) -> int:
        return len(self.levels[0])

    def node(self, level: int, index: int) -> bytes:
        return self.levels[level][index]

    def append(self, leaf: bytes) -> None:
        """Add a leaf *hash*."""
        for level, _, value in new_nodes(self.size, leaf, self.node):
            if level == len(self.levels):
                self.levels.append([])
            self.levels[level].append(value)

    def root(self, size: int | None = None) -> bytes:
        return root(self.node, self.size if size is None else size)

    def inclusion(self, index: int, size: int | None = None) -> list[bytes]:
        return inclusion_proof(self.node, index, self.size if size is None else size)

    def consistency(self, first: int, second: int | None = None) -> list[bytes]:
        return consistency_proof(self.node, first, self.size if second is None else second)


class Frontier:
    """The root of a tree growing one leaf at a time, from its complete subtrees along the right
    edge (a compact range from leaf 0): one per bit set in ``size``, largest first."""

    def __init__(self) -> None:
        self.size = 0
        self._edge: list[bytes] = []

    def append(self, leaf: bytes) -> None:
        """Add a leaf *hash*."""
        self.push(leaf, 0)

    def extend(self, leaves: Sequence[bytes]) -> None:
        """Add leaf hashes, hashing the complete subtrees among them level by level (a loop
        over pairs costs a third of a call per node)."""
        done = 0
        while done < len(leaves):
            aligned = (self.size & -self.size).bit_length() - 1 if self.size else 64
            height = min(aligned, (len(leaves) - done).bit_length() - 1)
            level = leaves[done : done + (1 << height)]
            while len(level) > 1:
                pairs = zip(level[::2], level[1::2], strict=True)  # a power of two long
                level = [sha256(b"\x01" + left + right).digest() for left, right in pairs]
            self.push(level[0], height)
            done += 1 << height

    def push(self, subtree: bytes, height: int) -> None:
        """Add the complete subtree of ``2**height`` leaves that starts at ``size`` (which a
        multiple of ``2**height`` must be); two of equal size merge, like a binary counter's
        carry."""
        if self.size & ((1 << height) - 1):
            raise ValueError(f"a subtree of {1 << height} leaves cannot start at {self.size}")
        edge = self._edge
        edge.append(subtree)
        self.size += 1 << height
        carry = self.size >> height
        while not carry & 1:
            right = edge.pop()
            edge[-1] = node_hash(edge[-1], right)
            carry >>= 1

    def subtrees(self) -> list[tuple[bytes, int]]:
        """The right edge: (hash, height) of each complete subtree, largest first. Pushed in
        this order onto a frontier whose size is a multiple of a power of two at least
        ``size``, they add these leaves to it (how stretches proved apart are joined)."""
        heights = [h for h in range(self.size.bit_length() - 1, -1, -1) if self.size >> h & 1]
        return list(zip(self._edge, heights, strict=True))

    def copy(self) -> Frontier:
        twin = Frontier()
        twin.size, twin._edge = self.size, list(self._edge)
        return twin

    def root(self) -> bytes:
        """MTH of the leaves so far: RFC 6962 splits at the largest power of two, so the
        subtrees fold from the right."""
        if not self._edge:
            return EMPTY_ROOT
        current = self._edge[-1]
        for left in reversed(self._edge[:-1]):
            current = node_hash(left, current)
        return current
