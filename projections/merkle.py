"""RFC 6962 (Certificate Transparency) Merkle tree hashes, inclusion and consistency proofs."""

# The builders follow the definitions of RFC 6962 §2.1 (MTH, PATH, PROOF); the two verifiers
# follow the algorithms of RFC 9162 §2.1.3.2 and §2.1.4.2, which check the same proofs without
# the tree. Everything takes leaves already hashed with ``leaf_hash``, so the caller decides what
# a leaf's bytes are. ``MerkleTree`` answers exactly as the plain functions do, but caches its
# perfect subtrees, so a root or proof costs O(log n) hashes instead of O(n).
#
# Terms: ``D[a:b]`` is the list of leaves a to b - 1; MTH is the Merkle Tree Hash; a *perfect*
# subtree holds 2**h leaves and starts at a multiple of 2**h.

from __future__ import annotations

import hashlib
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Sequence

HASH_SIZE = 32

# RFC 6962 §2.1 (and RFC 9162 §2.1.1): the domain-separation prefixes for leaves and nodes, so a
# leaf can never be passed off as an interior node (second-preimage resistance).
_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"

# RFC 6962 §2.1: "The hash of an empty list is the hash of an empty string: MTH({}) = SHA-256()".
EMPTY_ROOT: bytes = hashlib.sha256(b"").digest()

# MTH(D[start:end]) of some list of leaves, for the proof builders shared by both implementations.
_SubtreeHash = Callable[[int, int], bytes]


def leaf_hash(data: bytes) -> bytes:
    """The hash of one leaf's data: SHA-256(0x00 || data)."""
    # RFC 6962 §2.1: MTH({d(0)}) = SHA-256(0x00 || d(0)).
    return hashlib.sha256(_LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """The hash of an interior node from its two children: SHA-256(0x01 || left || right)."""
    # RFC 6962 §2.1: MTH(D[n]) = SHA-256(0x01 || MTH(D[0:k]) || MTH(D[k:n])).
    return hashlib.sha256(_NODE_PREFIX + left + right).digest()


def root_of(leaf_hashes: Sequence[bytes]) -> bytes:
    """The Merkle Tree Hash (root) of a list of leaf hashes; ``EMPTY_ROOT`` for no leaves."""
    return _range_hash(leaf_hashes, 0, len(leaf_hashes))


def inclusion_proof(leaf_hashes: Sequence[bytes], index: int, size: int) -> list[bytes]:
    """The audit path PATH(index, D[0:size]) of one leaf in the tree of the first ``size`` leaves."""
    _check_inclusion_args(index, size, len(leaf_hashes))
    return _path(index, 0, size, _plain_subtree_hash(leaf_hashes))


def consistency_proof(leaf_hashes: Sequence[bytes], old_size: int, new_size: int) -> list[bytes]:
    """The consistency proof PROOF(old_size, D[0:new_size]) that the new tree extends the old one."""
    _check_consistency_args(old_size, new_size, len(leaf_hashes))
    return _consistency(old_size, new_size, _plain_subtree_hash(leaf_hashes))


def verify_inclusion(
    leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> bool:
    """Whether ``proof`` shows the leaf at ``index`` is in the tree of ``size`` leaves with ``root``."""
    path = _hash_list(proof)
    if (
        path is None
        or not (_is_hash(leaf_hash) and _is_hash(root))
        or not (_is_size(index) and _is_size(size))
    ):
        return False
    # RFC 9162 §2.1.3.2, step 1: the leaf must be inside the tree.
    if index >= size:
        return False
    # Step 2 and 3: fn is the leaf's position, sn the last position, at the current level.
    fn, sn = index, size - 1
    r = leaf_hash
    # Step 4.
    for p in path:
        # 4a: a proof longer than the path from the leaf to the root.
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            # 4b: p is a left sibling. When fn is the last node of its level but a left child,
            # it has no sibling there: 4b.ii lifts it until it is a right child or fn is 0.
            r = node_hash(p, r)
            while fn and not fn & 1:
                fn >>= 1
                sn >>= 1
        else:
            # p is a right sibling.
            r = node_hash(r, p)
        # 4c.
        fn >>= 1
        sn >>= 1
    # Step 5: the whole path was used and it leads to the root.
    return sn == 0 and r == root


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """Whether ``proof`` shows the tree of ``new_size`` leaves extends the tree of ``old_size``."""
    path = _hash_list(proof)
    if (
        path is None
        or not (_is_hash(old_root) and _is_hash(new_root))
        or not (_is_size(old_size) and _is_size(new_size))
        or old_size > new_size
    ):
        return False
    # The algorithm of RFC 9162 §2.1.4.2 is for 0 < old_size < new_size. A tree is consistent
    # with itself with the empty proof (RFC 6962 §2.1.2: SUBPROOF(m, D[m], true) = {}) when the
    # roots are the same one.
    if old_size == new_size:
        return not path and old_root == new_root
    # The empty tree is a prefix of every tree, so there is nothing to prove: the empty proof,
    # which is what ``consistency_proof`` gives for it, whatever old_root says.
    if old_size == 0:
        return not path
    # RFC 9162 §2.1.4.2, step 1: a proof between two different non-empty trees is never empty.
    if not path:
        return False
    # Step 2: when the old tree is perfect its root is a node of the new tree, and the proof
    # leaves it out (SUBPROOF(m, D[m], true) = {}), so the verifier puts it back.
    if old_size & (old_size - 1) == 0:
        path = [old_root, *path]
    # Step 3 and 4: fn is the last leaf of the old tree, sn that of the new one; climb while fn is
    # a right child, to the first node the proof starts from.
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    # Step 5: fr rebuilds the old root and sr the new one, from the same first node.
    fr = sr = path[0]
    # Step 6.
    for c in path[1:]:
        # 6a: a proof longer than the path to the new root.
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            # 6b: c is a left sibling, in both trees (lifted past missing siblings as in 4b.ii).
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while fn and not fn & 1:
                fn >>= 1
                sn >>= 1
        else:
            # c is a right sibling, only in the new tree.
            sr = node_hash(sr, c)
        # 6c.
        fn >>= 1
        sn >>= 1
    # Step 7.
    return sn == 0 and fr == old_root and sr == new_root


class PerfectSubtrees(ABC):
    """A tree whose perfect subtrees' hashes are stored somewhere: roots and proofs in O(log n).

    Subclasses say how many leaves there are and where the hash of a perfect subtree is kept
    (``MerkleTree`` in memory, the audit projection in its database table).
    """

    @property
    @abstractmethod
    def size(self) -> int:
        """The number of leaves in the tree."""

    @abstractmethod
    def perfect(self, level: int, position: int) -> bytes:
        """MTH(D[position * 2**level : (position + 1) * 2**level]); level 0 is the leaf hashes."""

    def root(self, size: int | None = None) -> bytes:
        """The root of the tree of the first ``size`` leaves (all of them by default)."""
        available = self.size
        size = available if size is None else size
        _check_int(size, "size")
        if not 0 <= size <= available:
            raise ValueError(f"a root needs 0 <= size <= {available} leaves; got size {size}")
        return self._subtree_hash(0, size)

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        """The audit path of leaf ``index`` in the tree of the first ``size`` leaves (default all)."""
        available = self.size
        size = available if size is None else size
        _check_inclusion_args(index, size, available)
        return _path(index, 0, size, self._subtree_hash)

    def consistency_proof(self, old_size: int, new_size: int | None = None) -> list[bytes]:
        """The consistency proof from the first ``old_size`` leaves to the first ``new_size``."""
        available = self.size
        new_size = available if new_size is None else new_size
        _check_consistency_args(old_size, new_size, available)
        return _consistency(old_size, new_size, self._subtree_hash)

    def _subtree_hash(self, start: int, end: int) -> bytes:
        """MTH(D[start:end]) for a range the RFC 6962 split produces, from the stored subtrees."""
        n = end - start
        if n == 0:
            return EMPTY_ROOT
        if n & (n - 1) == 0:
            # Every range the split yields starts at a multiple of its size rounded up to a power
            # of two (RFC 6962 §2.1: the left part is the largest power of two < n), so one of
            # n = 2**h leaves is a stored perfect subtree.
            level = n.bit_length() - 1
            assert start % n == 0, f"[{start}, {end}) is not a perfect subtree"
            return self.perfect(level, start >> level)
        k = _split_point(n)
        return node_hash(self._subtree_hash(start, start + k), self._subtree_hash(start + k, end))


def completed_subtrees(
    index: int, leaf: bytes, left_siblings: Callable[[int], bytes]
) -> list[tuple[int, int, bytes]]:
    """The perfect subtrees that appending leaf ``index`` completes, as (level, position, hash).

    Level 0 is the leaf itself. The new leaf completes one subtree for each trailing one bit of
    its index; ``left_siblings(level)`` gives the hash of the subtree to the left at that level.
    """
    completed = [(0, index, leaf)]
    position, current, level = index, leaf, 0
    while position % 2 == 1:
        current = node_hash(left_siblings(level), current)
        level += 1
        position //= 2
        completed.append((level, position, current))
    return completed


class MerkleTree(PerfectSubtrees):
    """An append-only in-memory Merkle tree that caches its perfect subtrees' hashes."""

    def __init__(self, leaf_hashes: Iterable[bytes] = ()) -> None:
        """Start a tree holding the given leaf hashes, in order."""
        # _levels[h][i] is MTH(D[i * 2**h : (i + 1) * 2**h]), the perfect subtree of 2**h leaves
        # at position i; _levels[0] holds the leaf hashes themselves. Every level is as long as
        # it can be: len(_levels[h]) == size >> h.
        self._levels: list[list[bytes]] = [[]]
        for leaf in leaf_hashes:
            self.append(leaf)

    @property
    def size(self) -> int:
        """The number of leaves in the tree."""
        return len(self._levels[0])

    def perfect(self, level: int, position: int) -> bytes:
        """The cached hash of one perfect subtree."""
        return self._levels[level][position]

    def append(self, leaf_hash: bytes) -> int:
        """Add a leaf hash at the end and return its index."""
        if not isinstance(leaf_hash, bytes):
            raise TypeError(f"a leaf hash is bytes, not {type(leaf_hash).__name__}")
        if len(leaf_hash) != HASH_SIZE:
            raise ValueError(f"a leaf hash is {HASH_SIZE} bytes, not {len(leaf_hash)}")
        index = self.size
        for level, _position, digest in completed_subtrees(
            index, leaf_hash, lambda level: self._levels[level][-1]
        ):
            if level == len(self._levels):
                self._levels.append([])
            self._levels[level].append(digest)
        return index


def _split_point(n: int) -> int:
    """The largest power of two smaller than ``n`` (for n >= 2), where RFC 6962 splits a tree."""
    # RFC 6962 §2.1: "let k be the largest power of two smaller than n (i.e., k < n <= 2k)".
    return 1 << ((n - 1).bit_length() - 1)


def _range_hash(leaf_hashes: Sequence[bytes], start: int, end: int) -> bytes:
    """MTH(D[start:end]) computed from the leaf hashes, by the definition of RFC 6962 §2.1."""
    n = end - start
    if n == 0:
        return EMPTY_ROOT
    if n == 1:
        # The leaf is already hashed: MTH({d(0)}) = SHA-256(0x00 || d(0)) = leaf_hash(d(0)).
        return leaf_hashes[start]
    k = _split_point(n)
    return node_hash(
        _range_hash(leaf_hashes, start, start + k), _range_hash(leaf_hashes, start + k, end)
    )


def _plain_subtree_hash(leaf_hashes: Sequence[bytes]) -> _SubtreeHash:
    """MTH over ranges of ``leaf_hashes``, recomputed from the leaves each time."""

    def subtree_hash(start: int, end: int) -> bytes:
        return _range_hash(leaf_hashes, start, end)

    return subtree_hash


def _path(index: int, start: int, end: int, mth: _SubtreeHash) -> list[bytes]:
    """PATH(index - start, D[start:end]) of RFC 6962 §2.1.1, siblings listed from the leaf up."""
    if end - start == 1:
        # PATH(0, {d(0)}) = {}.
        return []
    mid = start + _split_point(end - start)
    if index < mid:
        # m < k: PATH(m, D[n]) = PATH(m, D[0:k]) : MTH(D[k:n]).
        return [*_path(index, start, mid, mth), mth(mid, end)]
    # m >= k: PATH(m, D[n]) = PATH(m - k, D[k:n]) : MTH(D[0:k]).
    return [*_path(index, mid, end, mth), mth(start, mid)]


def _consistency(old_size: int, new_size: int, mth: _SubtreeHash) -> list[bytes]:
    """PROOF(old_size, D[0:new_size]) of RFC 6962 §2.1.2 (empty for 0 or equal sizes)."""
    if old_size in (0, new_size):
        return []
    # PROOF(m, D[n]) = SUBPROOF(m, D[n], true).
    return _subproof(old_size, 0, new_size, True, mth)


def _subproof(
    old_size: int, start: int, end: int, complete: bool, mth: _SubtreeHash
) -> list[bytes]:
    """SUBPROOF(old_size - start, D[start:end], complete) of RFC 6962 §2.1.2."""
    if old_size == end:
        # SUBPROOF(m, D[m], true) = {}: the old root is the whole requested tree, which the
        # verifier knows; SUBPROOF(m, D[m], false) = {MTH(D[m])}.
        return [] if complete else [mth(start, end)]
    mid = start + _split_point(end - start)
    if old_size <= mid:
        # m <= k: SUBPROOF(m, D[n], b) = SUBPROOF(m, D[0:k], b) : MTH(D[k:n]).
        return [*_subproof(old_size, start, mid, complete, mth), mth(mid, end)]
    # m > k: SUBPROOF(m, D[n], b) = SUBPROOF(m - k, D[k:n], false) : MTH(D[0:k]).
    return [*_subproof(old_size, mid, end, False, mth), mth(start, mid)]


def _check_inclusion_args(index: int, size: int, available: int) -> None:
    """Refuse an inclusion proof request unless 0 <= index < size <= available."""
    _check_int(index, "index")
    _check_int(size, "size")
    if not 0 <= index < size <= available:
        raise ValueError(
            f"an inclusion proof needs 0 <= index < size <= {available} leaves;"
            f" got index {index}, size {size}"
        )


def _check_consistency_args(old_size: int, new_size: int, available: int) -> None:
    """Refuse a consistency proof (or root) request unless 0 <= old <= new <= available."""
    _check_int(old_size, "old_size")
    _check_int(new_size, "new_size")
    if not 0 <= old_size <= new_size <= available:
        raise ValueError(
            f"tree sizes must satisfy 0 <= old_size <= new_size <= {available} leaves;"
            f" got {old_size} and {new_size}"
        )


def _check_int(value: object, name: str) -> None:
    """Refuse a size or index that is not an int (bool included)."""
    if not _is_int(value):
        raise TypeError(f"{name} must be an int, not {type(value).__name__}")


def _is_int(value: object) -> bool:
    """Whether ``value`` is an int and not a bool."""
    return isinstance(value, int) and not isinstance(value, bool)


def _is_size(value: object) -> bool:
    """Whether ``value`` is a non-negative int (a tree size or leaf index)."""
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _is_hash(value: object) -> bool:
    """Whether ``value`` is a SHA-256 digest: bytes of HASH_SIZE."""
    return isinstance(value, bytes) and len(value) == HASH_SIZE


def _hash_list(proof: object) -> list[bytes] | None:
    """The proof's hashes as a list, or None unless it is a sequence of SHA-256 digests."""
    if not isinstance(proof, Sequence) or isinstance(proof, (bytes, bytearray, str)):
        return None
    hashes: list[bytes] = []
    for item in proof:
        if not _is_hash(item):
            return None
        hashes.append(item)
    return hashes
