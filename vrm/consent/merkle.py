"""The consent log's Merkle tree, as RFC 9162 (Certificate Transparency 2.0, section 2.1) defines it.

Leaves are hashed as SHA-256(0x00 || event), interior nodes as SHA-256(0x01 || left || right), and a tree of
n leaves splits at the largest power of two smaller than n. So a root, an inclusion proof or a consistency
proof computed here checks with any RFC 9162 (or RFC 6962) implementation, and an auditor can write their
own verifier from the RFC alone. Everything here is a pure function of leaf hashes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

LEAF, NODE = b"\x00", b"\x01"
EMPTY_ROOT = hashlib.sha256(b"").digest()
FRONTIER_ENTRY = 8 + 32  # a subtree's size (big-endian) and root


def leaf_hash(event: bytes) -> bytes:
    return hashlib.sha256(LEAF + event).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(NODE + left + right).digest()


def root(leaves: Iterable[bytes]) -> bytes:
    """The root of the tree over these leaf hashes (MTH)."""
    tree = Tree()
    tree.extend(list(leaves))
    return tree.root()


class Tree:
    """A tree grown one leaf hash at a time, keeping only its complete subtrees' roots: O(log n) memory,
    so a verifier can stream a log of any length."""

    def __init__(self) -> None:
        self.size = 0
        self._stack: list[tuple[int, bytes]] = []  # (subtree size, subtree root), largest first

    @classmethod
    def resumed(cls, frontier: bytes) -> Tree:
        """A tree continued from its `frontier()`, as stored with a checkpoint."""
        tree = cls()
        for start in range(0, len(frontier), FRONTIER_ENTRY):
            size = int.from_bytes(frontier[start : start + 8], "big")
            tree._stack.append((size, frontier[start + 8 : start + FRONTIER_ENTRY]))
            tree.size += size
        return tree

    def frontier(self) -> bytes:
        """The complete subtrees' sizes and roots, largest first: all it takes to grow the tree further."""
        return b"".join(size.to_bytes(8, "big") + value for size, value in self._stack)

    def append(self, leaf: bytes) -> None:
        self._push(1, leaf)

    def extend(self, leaves: Sequence[bytes]) -> None:
        """Append many leaf hashes. Whole aligned blocks are hashed level by level: the same tree, with a
        fraction of the interpreter's work per node (what makes verifying a long log fast)."""
        start = 0
        while start < len(leaves):
            left = len(leaves) - start
            # The largest power-of-two block that fits what is left and keeps the tree's size a multiple
            # of it, so it is one complete subtree of the tree that appending one by one would build.
            block = 1 << (left.bit_length() - 1)
            if self.size:
                block = min(block, self.size & -self.size)
            self._push(block, subtree_root(leaves[start : start + block]))
            start += block

    def append_subtree(self, size: int, root: bytes) -> None:
        """Add a complete subtree of `size` leaves (a power of two) by its root; the tree's size must be a
        multiple of it, as it is where such a subtree stands in the tree grown one leaf at a time."""
        if size & (size - 1) or self.size % size:
            raise ValueError(f"a subtree of {size} leaves cannot follow {self.size}")
        self._push(size, root)

    def _push(self, size: int, value: bytes) -> None:
        """Add a complete subtree of `size` leaves; merging equal sizes as they arrive builds exactly the
        left-balanced tree of RFC 9162."""
        self.size += size
        while self._stack and self._stack[-1][0] == size:
            size, value = size * 2, node_hash(self._stack.pop()[1], value)
        self._stack.append((size, value))

    def root(self) -> bytes:
        if not self._stack:
            return EMPTY_ROOT
        value = self._stack[-1][1]
        for _, left in reversed(self._stack[:-1]):  # what is left folds from the right
            value = node_hash(left, value)
        return value


def subtree_root(leaves: Sequence[bytes]) -> bytes:
    """The root of a complete tree over a power-of-two number of leaf hashes, a level at a time."""
    level = list(leaves)
    while len(level) > 1:
        level = list(map(node_hash, level[0::2], level[1::2]))
    return level[0]


def inclusion_proof(index: int, leaves: Sequence[bytes]) -> list[bytes]:
    """The audit path of leaf `index` in the tree over `leaves` (RFC 9162 2.1.3.1).

    Raises:
        ValueError: the index is outside the tree.
    """
    if not 0 <= index < len(leaves):
        raise ValueError(f"leaf {index} is not in a tree of {len(leaves)}")
    return _path(index, leaves)


def _path(index: int, leaves: Sequence[bytes]) -> list[bytes]:
    if len(leaves) == 1:
        return []
    k = _split(len(leaves))
    if index < k:
        return [*_path(index, leaves[:k]), root(leaves[k:])]
    return [*_path(index - k, leaves[k:]), root(leaves[:k])]


def verify_inclusion(
    index: int, size: int, leaf: bytes, proof: Sequence[bytes], expected_root: bytes
) -> bool:
    """Whether `proof` shows leaf hash `leaf` at `index` in the tree of `size` with `expected_root`
    (RFC 9162 2.1.3.2)."""
    if not 0 <= index < size:
        return False
    fn, sn, value = index, size - 1, leaf
    for sibling in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            value = node_hash(sibling, value)
            if not fn & 1:
                while fn & 1 == 0 and fn != 0:
                    fn, sn = fn >> 1, sn >> 1
        else:
            value = node_hash(value, sibling)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and value == expected_root


def consistency_proof(old_size: int, leaves: Sequence[bytes]) -> list[bytes]:
    """What proves the tree of `old_size` leaves is a prefix of the tree over `leaves` (RFC 9162 2.1.4.1).

    Raises:
        ValueError: the old size is not between 1 and the tree's size.
    """
    if not 0 < old_size <= len(leaves):
        raise ValueError(f"no consistency proof from {old_size} to {len(leaves)} leaves")
    return _subproof(old_size, leaves, complete=True)


def _subproof(m: int, leaves: Sequence[bytes], *, complete: bool) -> list[bytes]:
    n = len(leaves)
    if m == n:
        return [] if complete else [root(leaves)]
    k = _split(n)
    if m <= k:
        return [*_subproof(m, leaves[:k], complete=complete), root(leaves[k:])]
    return [*_subproof(m - k, leaves[k:], complete=False), root(leaves[:k])]


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """Whether `proof` shows the tree of `old_size` with `old_root` is a prefix of the tree of `new_size`
    with `new_root` (RFC 9162 2.1.4.2)."""
    if not 0 < old_size <= new_size:
        return False
    if old_size == new_size:
        return not proof and old_root == new_root
    path = list(proof)
    if old_size & (old_size - 1) == 0:  # a power of two: the old root is itself a node of the new tree
        path.insert(0, old_root)
    if not path:
        return False
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for sibling in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node_hash(sibling, fr), node_hash(sibling, sr)
            if not fn & 1:
                while fn & 1 == 0 and fn != 0:
                    fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, sibling)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and fr == old_root and sr == new_root


def _split(n: int) -> int:
    """The largest power of two smaller than n (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)
