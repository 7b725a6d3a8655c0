"""The RFC 6962 Merkle tree: published test vectors, random trees (hypothesis) and bad inputs.

The vectors are copied from Google's reference implementations (sources next to each table). The
random trees check that every proof the builders give verifies; that a flipped bit in a proof, a
leaf or a root, another leaf index, another old size or a new size of another height makes it
fail; and that ``MerkleTree`` answers exactly as the plain functions do.
"""

from __future__ import annotations

from random import Random
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from projections import merkle
from projections.merkle import (
    EMPTY_ROOT,
    HASH_SIZE,
    MerkleTree,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root_of,
    verify_consistency,
    verify_inclusion,
)

# --- Published vectors ------------------------------------------------------------------------

# Leaf inputs, roots and complete-subtree hashes: transparency-dev/merkle testonly/constants.go
# (LeafInputs, RootHashes, NodeHashes, EmptyRootHash; commit 582a6ad190b6848f1d26f8bf08ddef29955d9db1),
# the same values as google/trillian merkle/testonly/constants.go.
LEAF_INPUTS = [
    bytes.fromhex(h)
    for h in (
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    )
]
LEAVES = [leaf_hash(data) for data in LEAF_INPUTS]

# ROOTS[n] is the root of the tree of the first n leaf inputs (ROOTS[0] is the empty tree).
ROOTS = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]

# NODE_HASHES[level][i] is the hash of the perfect subtree of 2**level leaves at position i.
NODE_HASHES = [
    [
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
        "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658",
        "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
        "46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1",
    ],
    [
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
    ],
    [
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ],
    ["5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"],
]

# (index, size, proof): transparency-dev/merkle testonly/reference_test.go, TestRefInclusionProof
# (commit 141d627eab770a7e9a2514f46a8b6338e6d90874). The ones for (0, 8), (5, 8), (2, 3), (1, 5)
# are also in transparency-dev/merkle proof/verify_test.go and google/trillian
# merkle/log_verifier_test.go (there with 1-based leaf numbers).
INCLUSION_PROOFS: list[tuple[int, int, list[str]]] = [
    (0, 1, []),
    (0, 2, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"]),
    (1, 2, ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"]),
    (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (
        1,
        5,
        [
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
    (
        0,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        5,
        8,
        [
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
]

# (old_size, new_size, proof): the first four from transparency-dev/merkle
# testonly/reference_test.go, TestRefConsistencyProof (commit 141d627e...); (6, 7) from
# transparency-dev/merkle proof/verify_test.go, consistencyProofs (commit 02194e9afb6c...).
CONSISTENCY_PROOFS: list[tuple[int, int, list[str]]] = [
    (1, 1, []),
    (
        1,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        2,
        5,
        [
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
    (
        6,
        8,
        [
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (
        6,
        7,
        [
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
]


def _hashes(hexes: list[str]) -> list[bytes]:
    return [bytes.fromhex(h) for h in hexes]


def _root(size: int) -> bytes:
    return bytes.fromhex(ROOTS[size])


# --- The published vectors --------------------------------------------------------------------


def test_the_empty_tree_has_the_hash_of_the_empty_string_as_its_root() -> None:
    # transparency-dev/merkle rfc6962/rfc6962_test.go, "RFC6962 Empty".
    empty = bytes.fromhex("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    assert empty == EMPTY_ROOT
    assert root_of([]) == empty
    assert MerkleTree().root() == empty
    assert MerkleTree().size == 0


def test_leaves_and_nodes_hash_with_their_prefixes_to_the_published_values() -> None:
    # transparency-dev/merkle rfc6962/rfc6962_test.go (commit 78493b07ef9b552e3379abf9e23d4da26fbe797c):
    # "RFC6962 Empty Leaf", "RFC6962 Leaf" and "RFC6962 Node".
    assert leaf_hash(b"") == bytes.fromhex(
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
    )
    assert leaf_hash(b"L123456") == bytes.fromhex(
        "395aa064aa4c29f7010acfe3f25db9485bbd4b91897b6ad7ad547639252b4d56"
    )
    assert node_hash(b"N123", b"N456") == bytes.fromhex(
        "aa217fe888e47007fa15edab33c2b492a722cb106c64667fc2b044444de66bbb"
    )
    # The empty leaf is not the empty tree.
    assert leaf_hash(b"") != EMPTY_ROOT


@pytest.mark.parametrize("size", range(len(ROOTS)))
def test_the_tree_of_the_first_n_test_leaves_has_the_published_root(size: int) -> None:
    assert root_of(LEAVES[:size]) == _root(size)
    assert MerkleTree(LEAVES[:size]).root() == _root(size)
    assert MerkleTree(LEAVES).root(size) == _root(size)


def test_every_perfect_subtree_of_the_test_leaves_has_the_published_hash() -> None:
    for level, row in enumerate(NODE_HASHES):
        width = 2**level
        for i, expected in enumerate(row):
            assert root_of(LEAVES[i * width : (i + 1) * width]) == bytes.fromhex(expected)


@pytest.mark.parametrize(("index", "size", "proof"), INCLUSION_PROOFS)
def test_inclusion_proofs_of_the_test_leaves_are_the_published_ones(
    index: int, size: int, proof: list[str]
) -> None:
    expected = _hashes(proof)
    assert inclusion_proof(LEAVES, index, size) == expected
    assert MerkleTree(LEAVES).inclusion_proof(index, size) == expected
    assert MerkleTree(LEAVES[:size]).inclusion_proof(index) == expected
    assert verify_inclusion(LEAVES[index], index, size, expected, _root(size))


@pytest.mark.parametrize(("old_size", "new_size", "proof"), CONSISTENCY_PROOFS)
def test_consistency_proofs_between_test_trees_are_the_published_ones(
    old_size: int, new_size: int, proof: list[str]
) -> None:
    expected = _hashes(proof)
    assert consistency_proof(LEAVES, old_size, new_size) == expected
    assert MerkleTree(LEAVES).consistency_proof(old_size, new_size) == expected
    assert MerkleTree(LEAVES[:new_size]).consistency_proof(old_size) == expected
    assert verify_consistency(old_size, new_size, _root(old_size), _root(new_size), expected)


# --- Random trees -----------------------------------------------------------------------------

# 1 to 300 leaves of random bytes; the size is drawn first so big trees are as likely as small.
# The data are drawn as one blob (drawing 300 separate values is slow) and numbered: two equal
# sibling leaves really do share one proof with either index, so the leaves must differ.
leaf_lists = st.integers(min_value=1, max_value=300).flatmap(
    lambda n: st.binary(min_size=8 * n, max_size=8 * n).map(
        lambda blob: [i.to_bytes(2, "big") + blob[8 * i : 8 * i + 8] for i in range(n)]
    )
)


def _tree(data: list[bytes]) -> tuple[list[bytes], MerkleTree]:
    leaves = [leaf_hash(d) for d in data]
    return leaves, MerkleTree(leaves)


def _flip(value: bytes, bit: int) -> bytes:
    """``value`` with one bit flipped (bit counts from the first byte's high bit)."""
    flipped = bytearray(value)
    flipped[bit // 8] ^= 0x80 >> (bit % 8)
    return bytes(flipped)


bits = st.integers(min_value=0, max_value=HASH_SIZE * 8 - 1)


@settings(max_examples=40, deadline=None)
@given(data=leaf_lists, draw=st.data())
def test_every_inclusion_proof_in_a_random_tree_verifies(data: list[bytes], draw: Any) -> None:
    leaves, tree = _tree(data)
    for size in {tree.size, draw.draw(st.integers(1, tree.size), label="size")}:
        root = tree.root(size)
        for index in range(size):
            proof = tree.inclusion_proof(index, size)
            assert verify_inclusion(leaves[index], index, size, proof, root)


@settings(max_examples=40, deadline=None)
@given(data=leaf_lists, draw=st.data())
def test_every_consistency_proof_in_a_random_tree_verifies(data: list[bytes], draw: Any) -> None:
    _, tree = _tree(data)
    new_size = draw.draw(st.integers(0, tree.size), label="new_size")
    pairs = [(old, tree.size) for old in range(tree.size + 1)]
    pairs += [(old, new_size) for old in range(new_size + 1)]
    for old, new in pairs:
        proof = tree.consistency_proof(old, new)
        assert verify_consistency(old, new, tree.root(old), tree.root(new), proof)


@settings(max_examples=60, deadline=None)
@given(data=leaf_lists, draw=st.data())
def test_a_flipped_bit_in_an_inclusion_proof_its_leaf_or_its_root_makes_it_fail(
    data: list[bytes], draw: Any
) -> None:
    leaves, tree = _tree(data)
    size = draw.draw(st.integers(1, tree.size), label="size")
    index = draw.draw(st.integers(0, size - 1), label="index")
    leaf, root, proof = leaves[index], tree.root(size), tree.inclusion_proof(index, size)
    bit = draw.draw(bits, label="bit")
    assert verify_inclusion(leaf, index, size, proof, root)

    assert not verify_inclusion(_flip(leaf, bit), index, size, proof, root)
    assert not verify_inclusion(leaf, index, size, proof, _flip(root, bit))
    for i in range(len(proof)):
        wrong = [*proof[:i], _flip(proof[i], bit), *proof[i + 1 :]]
        assert not verify_inclusion(leaf, index, size, wrong, root)


@settings(max_examples=60, deadline=None)
@given(data=leaf_lists, draw=st.data())
def test_an_inclusion_proof_fails_at_another_index_or_a_size_of_another_height(
    data: list[bytes], draw: Any
) -> None:
    # A proof binds the leaf's position and the root, not the size by itself: the proof of
    # (0, 3) also verifies as (0, 4) against the same root, since both climb left twice. The size
    # is bound by the signed checkpoint that carries the root. So a wrong size must fail whenever
    # its path has another length (among others size * 2 and size // 2, as in Trillian's tests).
    leaves, tree = _tree(data)
    size = draw.draw(st.integers(1, tree.size), label="size")
    index = draw.draw(st.integers(0, size - 1), label="index")
    leaf, root, proof = leaves[index], tree.root(size), tree.inclusion_proof(index, size)

    for other in range(-1, size + 2):
        if other != index:
            assert not verify_inclusion(leaf, other, size, proof, root)
    for other in {-1, size * 2, size // 2, *range(tree.size + 1)} - {size}:
        if (
            other <= index
            or other in (size * 2, size // 2)
            or len(tree.inclusion_proof(index, other)) != len(proof)
        ):
            assert not verify_inclusion(leaf, index, other, proof, root)
    # Leaving out, adding or repeating an element fails too.
    if proof:
        assert not verify_inclusion(leaf, index, size, proof[:-1], root)
        assert not verify_inclusion(leaf, index, size, proof[1:], root)
    assert not verify_inclusion(leaf, index, size, [*proof, root], root)
    assert not verify_inclusion(leaf, index, size, [root, *proof], root)


@settings(max_examples=60, deadline=None)
@given(data=leaf_lists, draw=st.data())
def test_a_flipped_bit_in_a_consistency_proof_or_either_root_makes_it_fail(
    data: list[bytes], draw: Any
) -> None:
    _, tree = _tree(data)
    new_size = draw.draw(st.integers(1, tree.size), label="new_size")
    old_size = draw.draw(st.integers(1, new_size), label="old_size")
    old_root, new_root = tree.root(old_size), tree.root(new_size)
    proof = tree.consistency_proof(old_size, new_size)
    bit = draw.draw(bits, label="bit")
    assert verify_consistency(old_size, new_size, old_root, new_root, proof)

    assert not verify_consistency(old_size, new_size, _flip(old_root, bit), new_root, proof)
    assert not verify_consistency(old_size, new_size, old_root, _flip(new_root, bit), proof)
    for i in range(len(proof)):
        wrong = [*proof[:i], _flip(proof[i], bit), *proof[i + 1 :]]
        assert not verify_consistency(old_size, new_size, old_root, new_root, wrong)


@settings(max_examples=60, deadline=None)
@given(data=leaf_lists, draw=st.data())
def test_a_consistency_proof_fails_for_another_old_size_or_a_new_size_of_another_height(
    data: list[bytes], draw: Any
) -> None:
    # As with inclusion, the new size is bound by the checkpoint: the proof of (1, 3) also
    # verifies as (1, 4) against the same roots. Another old size must always fail.
    _, tree = _tree(data)
    new_size = draw.draw(st.integers(2, tree.size) if tree.size > 1 else st.just(1), label="new")
    old_size = draw.draw(st.integers(1, new_size), label="old_size")
    old_root, new_root = tree.root(old_size), tree.root(new_size)
    proof = tree.consistency_proof(old_size, new_size)

    for other in range(-1, new_size + 2):
        # The empty tree is consistent with every tree, with the empty proof (of equal sizes).
        if other != old_size and (other != 0 or proof):
            assert not verify_consistency(other, new_size, old_root, new_root, proof)
    if old_size < new_size:
        for other in {-1, new_size * 2, new_size // 2, *range(tree.size + 1)} - {new_size}:
            if (
                other < old_size
                or other in (new_size * 2, new_size // 2)
                or len(tree.consistency_proof(old_size, other)) != len(proof)
            ):
                assert not verify_consistency(old_size, other, old_root, new_root, proof)
        assert not verify_consistency(old_size, new_size, new_root, old_root, proof)
        assert not verify_consistency(old_size, new_size, old_root, new_root, [])
        assert not verify_consistency(old_size, new_size, old_root, new_root, proof[:-1])
        assert not verify_consistency(old_size, new_size, old_root, new_root, [*proof, old_root])
        assert not verify_consistency(old_size, new_size, old_root, new_root, [proof[0], *proof])


@settings(max_examples=15, deadline=None)
@given(data=leaf_lists, rnd=st.randoms(use_true_random=False))
def test_the_tree_gives_the_plain_functions_roots_and_proofs_at_every_size(
    data: list[bytes], rnd: Random
) -> None:
    leaves = [leaf_hash(d) for d in data]
    tree = MerkleTree()
    roots = [tree.root()]
    for index, leaf in enumerate(leaves):
        assert tree.append(leaf) == index
        assert tree.size == index + 1
        roots.append(tree.root())
        assert roots[-1] == root_of(leaves[: index + 1])
    assert MerkleTree(leaves).root() == tree.root()

    # After all the appends, every earlier size still has its root and the plain functions' proofs.
    for size in range(len(leaves) + 1):
        assert tree.root(size) == roots[size]
        old = rnd.randint(0, size)
        assert tree.consistency_proof(old, size) == consistency_proof(leaves, old, size)
        if size:
            index = rnd.randrange(size)
            assert tree.inclusion_proof(index, size) == inclusion_proof(leaves, index, size)
    for index in (0, len(leaves) - 1):
        assert tree.inclusion_proof(index) == inclusion_proof(leaves, index, len(leaves))
    for old in (0, 1, len(leaves) // 2, len(leaves) - 1):
        assert tree.consistency_proof(old) == consistency_proof(leaves, old, len(leaves))


def test_a_root_or_proof_of_a_big_tree_costs_a_few_hashes_not_a_rehash(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    tree = MerkleTree(leaf_hash(i.to_bytes(4, "big")) for i in range(5000))
    calls = 0
    real_node_hash = merkle.node_hash

    def counting_node_hash(left: bytes, right: bytes) -> bytes:
        nonlocal calls
        calls += 1
        return real_node_hash(left, right)

    monkeypatch.setattr(merkle, "node_hash", counting_node_hash)
    # 5000 leaves is 13 levels: each query rehashes at most one path of non-perfect subtrees.
    for query in (
        tree.root,
        lambda: tree.root(4999),
        lambda: tree.inclusion_proof(4998),
        lambda: tree.inclusion_proof(1234, 4321),
        lambda: tree.consistency_proof(3333),
        lambda: tree.consistency_proof(1001, 4097),
    ):
        calls = 0
        query()
        assert calls <= 2 * 13


# --- Bad inputs -------------------------------------------------------------------------------


@pytest.mark.parametrize(("index", "size"), [(3, 3), (0, 0), (9, 8), (-1, 2), (0, 9), (-1, -1)])
def test_an_inclusion_proof_needs_an_index_below_the_size_and_a_size_within_the_tree(
    index: int, size: int
) -> None:
    with pytest.raises(ValueError, match="inclusion proof"):
        inclusion_proof(LEAVES, index, size)
    with pytest.raises(ValueError, match="inclusion proof"):
        MerkleTree(LEAVES).inclusion_proof(index, size)


@pytest.mark.parametrize(("old_size", "new_size"), [(5, 4), (1, 0), (-1, 3), (2, 9), (9, 9)])
def test_a_consistency_proof_needs_sizes_in_order_within_the_tree(
    old_size: int, new_size: int
) -> None:
    with pytest.raises(ValueError, match="tree sizes"):
        consistency_proof(LEAVES, old_size, new_size)
    with pytest.raises(ValueError, match="tree sizes"):
        MerkleTree(LEAVES).consistency_proof(old_size, new_size)


def test_the_builders_give_empty_consistency_proofs_from_the_empty_tree_or_to_the_same_size() -> (
    None
):
    for size in range(len(LEAVES) + 1):
        assert consistency_proof(LEAVES, 0, size) == []
        assert consistency_proof(LEAVES, size, size) == []
        assert MerkleTree(LEAVES).consistency_proof(0, size) == []
        assert MerkleTree(LEAVES).consistency_proof(size, size) == []


def test_a_tree_has_roots_only_for_the_sizes_it_has_reached() -> None:
    tree = MerkleTree(LEAVES[:3])
    with pytest.raises(ValueError, match="root"):
        tree.root(4)
    with pytest.raises(ValueError, match="root"):
        tree.root(-1)
    with pytest.raises(ValueError, match="inclusion proof"):
        tree.inclusion_proof(3)
    with pytest.raises(ValueError, match="tree sizes"):
        tree.consistency_proof(4)


@pytest.mark.parametrize("value", [1.0, "1", True])
def test_sizes_and_indexes_must_be_ints(value: Any) -> None:
    tree = MerkleTree(LEAVES)
    with pytest.raises(TypeError):
        inclusion_proof(LEAVES, value, 2)
    with pytest.raises(TypeError):
        consistency_proof(LEAVES, 1, value)
    with pytest.raises(TypeError):
        tree.root(value)
    with pytest.raises(TypeError):
        tree.inclusion_proof(0, value)
    with pytest.raises(TypeError):
        tree.consistency_proof(value)


def test_a_tree_takes_only_leaf_hashes_of_the_hash_size() -> None:
    tree = MerkleTree()
    with pytest.raises(ValueError, match="32 bytes"):
        tree.append(b"\x00" * 31)
    with pytest.raises(ValueError, match="32 bytes"):
        MerkleTree([LEAVES[0], b""])
    with pytest.raises(TypeError):
        tree.append(bytearray(32))  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        tree.append("00" * 32)  # type: ignore[arg-type]
    assert tree.size == 0


GOOD_LEAF, GOOD_INDEX, GOOD_SIZE = LEAVES[5], 5, 8
GOOD_PROOF = _hashes(INCLUSION_PROOFS[-1][2])
GOOD_ROOT = _root(8)


@pytest.mark.parametrize(
    ("leaf", "index", "size", "proof", "root"),
    [
        pytest.param(GOOD_LEAF, GOOD_INDEX, GOOD_SIZE, GOOD_PROOF[:-1], GOOD_ROOT, id="short"),
        pytest.param(
            GOOD_LEAF, GOOD_INDEX, GOOD_SIZE, [*GOOD_PROOF, GOOD_ROOT], GOOD_ROOT, id="long"
        ),
        pytest.param(GOOD_LEAF, GOOD_INDEX, GOOD_SIZE, [], GOOD_ROOT, id="empty proof"),
        pytest.param(
            GOOD_LEAF, GOOD_INDEX, GOOD_SIZE, [*GOOD_PROOF[:2], b""], GOOD_ROOT, id="empty element"
        ),
        pytest.param(
            GOOD_LEAF,
            GOOD_INDEX,
            GOOD_SIZE,
            [*GOOD_PROOF[:2], GOOD_PROOF[2][:31]],
            GOOD_ROOT,
            id="31-byte element",
        ),
        pytest.param(
            GOOD_LEAF,
            GOOD_INDEX,
            GOOD_SIZE,
            [*GOOD_PROOF[:2], GOOD_PROOF[2] + b"\x00"],
            GOOD_ROOT,
            id="33-byte element",
        ),
        pytest.param(GOOD_LEAF[:31], GOOD_INDEX, GOOD_SIZE, GOOD_PROOF, GOOD_ROOT, id="short leaf"),
        pytest.param(
            GOOD_LEAF, GOOD_INDEX, GOOD_SIZE, GOOD_PROOF, GOOD_ROOT + b"\0", id="long root"
        ),
        pytest.param(GOOD_LEAF, GOOD_INDEX, GOOD_SIZE, GOOD_PROOF, b"", id="empty root"),
        pytest.param(GOOD_LEAF, -1, GOOD_SIZE, GOOD_PROOF, GOOD_ROOT, id="negative index"),
        pytest.param(GOOD_LEAF, GOOD_INDEX, -8, GOOD_PROOF, GOOD_ROOT, id="negative size"),
        pytest.param(GOOD_LEAF, GOOD_INDEX, GOOD_INDEX, GOOD_PROOF, GOOD_ROOT, id="index = size"),
        pytest.param(GOOD_LEAF, 0, 0, [], EMPTY_ROOT, id="empty tree"),
        pytest.param(GOOD_LEAF, 5.0, GOOD_SIZE, GOOD_PROOF, GOOD_ROOT, id="float index"),
        pytest.param(GOOD_LEAF, GOOD_INDEX, "8", GOOD_PROOF, GOOD_ROOT, id="str size"),
        pytest.param(GOOD_LEAF, GOOD_INDEX, GOOD_SIZE, None, GOOD_ROOT, id="no proof"),
        pytest.param(GOOD_LEAF, GOOD_INDEX, GOOD_SIZE, GOOD_PROOF[0], GOOD_ROOT, id="bytes proof"),
        pytest.param(
            GOOD_LEAF, GOOD_INDEX, GOOD_SIZE, [p.hex() for p in GOOD_PROOF], GOOD_ROOT, id="hex"
        ),
        pytest.param(
            bytearray(GOOD_LEAF), GOOD_INDEX, GOOD_SIZE, GOOD_PROOF, GOOD_ROOT, id="bytearray"
        ),
        pytest.param(None, GOOD_INDEX, GOOD_SIZE, GOOD_PROOF, GOOD_ROOT, id="no leaf"),
    ],
)
def test_an_inclusion_verifier_returns_false_for_malformed_input(
    leaf: Any, index: Any, size: Any, proof: Any, root: Any
) -> None:
    assert verify_inclusion(GOOD_LEAF, GOOD_INDEX, GOOD_SIZE, GOOD_PROOF, GOOD_ROOT)
    assert verify_inclusion(leaf, index, size, proof, root) is False


OLD, NEW = 6, 8
CONSISTENCY = _hashes(CONSISTENCY_PROOFS[3][2])
OLD_ROOT, NEW_ROOT = _root(OLD), _root(NEW)


@pytest.mark.parametrize(
    ("old_size", "new_size", "old_root", "new_root", "proof"),
    [
        pytest.param(OLD, NEW, OLD_ROOT, NEW_ROOT, CONSISTENCY[:-1], id="short"),
        pytest.param(OLD, NEW, OLD_ROOT, NEW_ROOT, [*CONSISTENCY, NEW_ROOT], id="long"),
        pytest.param(OLD, NEW, OLD_ROOT, NEW_ROOT, [], id="empty proof"),
        pytest.param(OLD, NEW, OLD_ROOT, NEW_ROOT, [*CONSISTENCY[:2], b""], id="empty element"),
        pytest.param(
            OLD, NEW, OLD_ROOT, NEW_ROOT, [CONSISTENCY[0][:31], *CONSISTENCY[1:]], id="31 bytes"
        ),
        pytest.param(OLD, NEW, OLD_ROOT[:31], NEW_ROOT, CONSISTENCY, id="short old root"),
        pytest.param(OLD, NEW, OLD_ROOT, NEW_ROOT + b"\0", CONSISTENCY, id="long new root"),
        pytest.param(-6, NEW, OLD_ROOT, NEW_ROOT, CONSISTENCY, id="negative old size"),
        pytest.param(OLD, -8, OLD_ROOT, NEW_ROOT, CONSISTENCY, id="negative new size"),
        pytest.param(NEW, OLD, NEW_ROOT, OLD_ROOT, CONSISTENCY, id="sizes reversed"),
        pytest.param(OLD, NEW, NEW_ROOT, OLD_ROOT, CONSISTENCY, id="roots swapped"),
        pytest.param(-1, -1, OLD_ROOT, OLD_ROOT, [], id="negative equal sizes"),
        pytest.param(OLD, OLD, OLD_ROOT, NEW_ROOT, [], id="same size, other root"),
        pytest.param(OLD, OLD, OLD_ROOT, OLD_ROOT, [OLD_ROOT], id="same size, a proof"),
        pytest.param(0, NEW, EMPTY_ROOT, NEW_ROOT, CONSISTENCY, id="from empty with a proof"),
        pytest.param(0, 0, EMPTY_ROOT, NEW_ROOT, [], id="both empty, other roots"),
        pytest.param(6.0, NEW, OLD_ROOT, NEW_ROOT, CONSISTENCY, id="float size"),
        pytest.param(True, NEW, OLD_ROOT, NEW_ROOT, CONSISTENCY, id="bool size"),
        pytest.param(OLD, NEW, OLD_ROOT, NEW_ROOT, None, id="no proof"),
        pytest.param(OLD, NEW, OLD_ROOT, NEW_ROOT, b"".join(CONSISTENCY), id="bytes proof"),
        pytest.param(OLD, NEW, OLD_ROOT.hex(), NEW_ROOT, CONSISTENCY, id="hex root"),
        pytest.param(OLD, NEW, None, None, CONSISTENCY, id="no roots"),
    ],
)
def test_a_consistency_verifier_returns_false_for_malformed_input(
    old_size: Any, new_size: Any, old_root: Any, new_root: Any, proof: Any
) -> None:
    assert verify_consistency(OLD, NEW, OLD_ROOT, NEW_ROOT, CONSISTENCY)
    assert verify_consistency(old_size, new_size, old_root, new_root, proof) is False


def test_the_empty_tree_is_consistent_with_any_tree_given_an_empty_proof() -> None:
    for size in range(1, len(LEAVES) + 1):
        assert verify_consistency(0, size, EMPTY_ROOT, _root(size), [])
        assert not verify_consistency(0, size, EMPTY_ROOT, _root(size), [_root(size)])
    assert verify_consistency(0, 0, EMPTY_ROOT, EMPTY_ROOT, [])


def test_a_tree_is_consistent_with_itself_only_with_its_own_root_and_an_empty_proof() -> None:
    for size in range(1, len(LEAVES) + 1):
        assert verify_consistency(size, size, _root(size), _root(size), [])
        assert not verify_consistency(size, size, _root(size), _root(size - 1), [])
        assert not verify_consistency(size, size, _root(size), _root(size), [_root(size)])


anything = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(),
    st.text(max_size=40),
    st.binary(max_size=40),
    st.binary(min_size=32, max_size=32),
    st.lists(st.one_of(st.binary(max_size=40), st.binary(min_size=32, max_size=32)), max_size=70),
    st.lists(st.one_of(st.none(), st.integers(), st.text()), max_size=3),
)


@settings(max_examples=150, deadline=None)
@given(a=anything, b=anything, c=anything, d=anything, e=anything)
def test_the_verifiers_never_raise_whatever_they_are_given(
    a: Any, b: Any, c: Any, d: Any, e: Any
) -> None:
    assert isinstance(verify_inclusion(a, b, c, d, e), bool)
    assert isinstance(verify_consistency(a, b, c, d, e), bool)
    assert isinstance(verify_inclusion(LEAVES[0], b, c, d, GOOD_ROOT), bool)
    assert isinstance(verify_consistency(b, c, OLD_ROOT, NEW_ROOT, d), bool)
