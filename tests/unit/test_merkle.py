"""The consent log's Merkle tree agrees with RFC 6962/9162's reference values, and its proofs verify for
every leaf and size, and fail when one byte changes."""

from __future__ import annotations

import pytest

from vrm.consent import merkle

# The Certificate Transparency reference inputs and the tree heads every implementation agrees on.
REFERENCE_LEAVES = [
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
REFERENCE_ROOTS = [
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
REFERENCE_INCLUSION = [
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
HASHES = [merkle.leaf_hash(leaf) for leaf in REFERENCE_LEAVES]
MANY = [merkle.leaf_hash(number.to_bytes(4, "big")) for number in range(1000)]


def flipped(value: bytes) -> bytes:
    return bytes([value[0] ^ 1]) + value[1:]


def test_roots_match_the_reference_tree_heads() -> None:
    for size, expected in enumerate(REFERENCE_ROOTS):
        assert merkle.root(HASHES[:size]).hex() == expected


def test_inclusion_proofs_match_the_reference_paths() -> None:
    for index, size, expected in REFERENCE_INCLUSION:
        assert [node.hex() for node in merkle.inclusion_proof(index, HASHES[:size])] == expected


def test_every_leaf_of_a_thousand_proves_its_inclusion_and_a_changed_byte_breaks_it() -> None:
    top = merkle.root(MANY)
    for index, leaf in enumerate(MANY):
        proof = merkle.inclusion_proof(index, MANY)
        assert merkle.verify_inclusion(index, len(MANY), leaf, proof, top)
        assert not merkle.verify_inclusion(index, len(MANY), flipped(leaf), proof, top)
        if proof:
            tampered = [flipped(proof[0]), *proof[1:]]
            assert not merkle.verify_inclusion(index, len(MANY), leaf, tampered, top)
        assert not merkle.verify_inclusion(index, len(MANY), leaf, proof[:-1], top)  # a shortened path


@pytest.mark.parametrize("size", [*range(1, 40), 64, 65, 127, 999, 1000])
def test_every_earlier_tree_is_proved_a_prefix_of_a_later_one(size: int) -> None:
    leaves = MANY[:size]
    new_root = merkle.root(leaves)
    for old_size in range(1, size + 1):
        old_root = merkle.root(leaves[:old_size])
        proof = merkle.consistency_proof(old_size, leaves)
        assert merkle.verify_consistency(old_size, size, old_root, new_root, proof)
        assert not merkle.verify_consistency(old_size, size, flipped(old_root), new_root, proof)
        assert not merkle.verify_consistency(old_size, size, old_root, flipped(new_root), proof)
        if proof:
            assert not merkle.verify_consistency(old_size, size, old_root, new_root, proof[1:])


def test_a_rewritten_history_is_not_consistent_with_the_old_head() -> None:
    rewritten = [*MANY[:10], merkle.leaf_hash(b"not what was logged"), *MANY[11:20]]
    proof = merkle.consistency_proof(15, rewritten)
    assert not merkle.verify_consistency(15, 20, merkle.root(MANY[:15]), merkle.root(rewritten), proof)


def test_proofs_outside_the_tree_are_refused() -> None:
    with pytest.raises(ValueError):
        merkle.inclusion_proof(8, HASHES)
    with pytest.raises(ValueError):
        merkle.consistency_proof(0, HASHES)
    assert not merkle.verify_inclusion(8, 8, HASHES[0], [], merkle.root(HASHES))
    assert not merkle.verify_consistency(9, 8, merkle.root(HASHES), merkle.root(HASHES), [])


def one_by_one(leaves: list[bytes]) -> bytes:
    tree = merkle.Tree()
    for leaf in leaves:
        tree.append(leaf)
    return tree.root()


@pytest.mark.parametrize("splits", [[1000], [1, 999], [3, 5, 8, 984], [7, 1, 511, 481], [0, 1000, 0]])
def test_growing_in_blocks_makes_the_tree_growing_one_by_one_makes(splits: list[int]) -> None:
    in_blocks, start = merkle.Tree(), 0
    for size in splits:
        in_blocks.extend(MANY[start : start + size])
        start += size
        assert (in_blocks.size, in_blocks.root()) == (start, one_by_one(MANY[:start]))
    assert merkle.root(MANY) == one_by_one(MANY)
    assert [merkle.root(HASHES[:n]) for n in range(len(HASHES) + 1)] == [
        one_by_one(HASHES[:n]) for n in range(len(HASHES) + 1)
    ]
