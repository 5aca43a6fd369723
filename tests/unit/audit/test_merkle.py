"""RFC 6962 hashing and proofs, checked against the RFC's test vectors and a naive tree."""

from __future__ import annotations

import hashlib

import pytest

from services.audit import merkle

# The leaves of the RFC 6962 reference test suite (certificate-transparency-go, merkle tests).
VECTOR_LEAVES = [
    b"",
    b"\x00",
    b"\x10",
    b"\x20\x21",
    b"\x30\x31",
    b"\x40\x41\x42\x43",
    b"\x50\x51\x52\x53\x54\x55\x56\x57",
    b"\x60\x61\x62\x63\x64\x65\x66\x67\x68\x69\x6a\x6b\x6c\x6d\x6e\x6f",
]
VECTOR_ROOT_8 = "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"


def naive_root(hashes: list[bytes]) -> bytes:
    if not hashes:
        return hashlib.sha256(b"").digest()
    if len(hashes) == 1:
        return hashes[0]
    k = 1 << ((len(hashes) - 1).bit_length() - 1)
    return merkle.node_hash(naive_root(hashes[:k]), naive_root(hashes[k:]))


def leaves(n: int) -> list[bytes]:
    return [merkle.leaf_hash(i.to_bytes(4, "big")) for i in range(n)]


def test_the_root_of_the_rfc_vectors_is_the_published_one() -> None:
    tree = merkle.MemoryTree(merkle.leaf_hash(data) for data in VECTOR_LEAVES)
    assert tree.root().hex() == VECTOR_ROOT_8
    assert merkle.leaf_hash(b"").hex().startswith("6e340b9c")


def test_roots_of_every_prefix_match_the_recursive_definition() -> None:
    hashes = leaves(70)
    tree = merkle.MemoryTree(hashes)
    for size in range(71):
        assert tree.root(size) == naive_root(hashes[:size])


def test_a_tree_built_at_once_keeps_the_subtrees_that_appending_leaf_by_leaf_keeps() -> None:
    hashes = leaves(45)
    grown = merkle.MemoryTree()
    for size, leaf in enumerate(hashes, start=1):
        grown.append(leaf)
        built = merkle.MemoryTree(hashes[:size])
        assert built.levels == grown.levels
    built.append(merkle.leaf_hash(b"one more"))
    grown.append(merkle.leaf_hash(b"one more"))
    assert built.levels == grown.levels and built.root() == naive_root(built.levels[0])


def test_every_inclusion_proof_verifies_and_a_wrong_leaf_does_not() -> None:
    tree = merkle.MemoryTree(leaves(37))
    for size in range(1, 38):
        for index in range(size):
            proof = tree.inclusion(index, size)
            merkle.verify_inclusion(tree.node(0, index), index, size, proof, tree.root(size))
            with pytest.raises(merkle.ProofError):
                other = tree.node(0, (index + 1) % 37)
                merkle.verify_inclusion(other, index, size, proof, tree.root(size))


def test_every_consistency_proof_verifies_and_a_rewritten_tree_does_not() -> None:
    hashes = leaves(33)
    tree = merkle.MemoryTree(hashes)
    forked = merkle.MemoryTree([*hashes[:5], merkle.leaf_hash(b"forged"), *hashes[6:]])
    for second in range(1, 34):
        for first in range(0, second + 1):
            proof = tree.consistency(first, second)
            merkle.verify_consistency(first, second, tree.root(first), tree.root(second), proof)
            if 5 < first < second:
                with pytest.raises(merkle.ProofError):
                    merkle.verify_consistency(
                        first, second, forked.root(first), tree.root(second), proof
                    )


def test_a_shrunk_tree_is_not_consistent() -> None:
    tree = merkle.MemoryTree(leaves(8))
    with pytest.raises(merkle.ProofError, match="shrank"):
        merkle.verify_consistency(8, 5, tree.root(8), tree.root(5), [])


def test_the_frontier_gives_the_root_of_every_size_from_log_n_hashes() -> None:
    hashes = leaves(70)
    frontier = merkle.Frontier()
    assert frontier.root() == merkle.EMPTY_ROOT
    for n, leaf in enumerate(hashes, start=1):
        frontier.append(leaf)
        assert frontier.size == n
        assert frontier.root() == naive_root(hashes[:n]) == merkle.MemoryTree(hashes[:n]).root()
        assert len(frontier._edge) == bin(n).count("1")


def test_the_frontier_takes_leaves_in_runs_of_any_length_and_alignment() -> None:
    hashes = leaves(300)
    for runs in ([1, 2, 3, 64, 100, 130], [128, 128, 44], [5, 0, 7, 255, 33], [300]):
        frontier = merkle.Frontier()
        done = 0
        for run in runs:
            frontier.extend(hashes[done : done + run])
            done += run
            assert frontier.size == done
            assert frontier.root() == naive_root(hashes[:done])


def test_the_right_edge_holds_one_subtree_per_bit_and_gives_the_root() -> None:
    hashes = leaves(45)
    tree = merkle.MemoryTree(hashes)
    for size in range(46):
        edge = merkle.edge(size)
        assert [level for level, _ in edge] == [b for b in range(6)[::-1] if size >> b & 1]
        assert merkle.root(tree.node, size) == naive_root(hashes[:size])
        frontier = merkle.Frontier()
        for level, index in edge:  # the edge's subtrees, largest first, are the whole tree
            frontier.extend(hashes[index << level : (index + 1) << level])
        assert frontier.size == size and frontier.root() == naive_root(hashes[:size])


def test_stretches_hashed_apart_join_into_the_whole_tree() -> None:
    """A stretch that starts on a multiple of a power of two at least its length has complete
    subtrees that are the whole tree's: pushed in turn, they give every root along the way."""
    hashes = leaves(150)
    for span in (1, 4, 16, 64):
        whole = merkle.Frontier()
        for start in range(0, len(hashes), span):
            part = merkle.Frontier()
            part.extend(hashes[start : start + span])
            for cut in range(1, part.size + 1):  # a root inside the stretch, from a copy
                inside = merkle.Frontier()
                inside.extend(hashes[start : start + cut])
                joined = whole.copy()
                for subtree, height in inside.subtrees():
                    joined.push(subtree, height)
                assert joined.root() == naive_root(hashes[: start + cut])
            for subtree, height in part.subtrees():
                whole.push(subtree, height)
        assert whole.size == len(hashes) and whole.root() == naive_root(hashes)


def test_a_subtree_pushed_off_its_alignment_is_refused() -> None:
    frontier = merkle.Frontier()
    frontier.extend(leaves(3))
    with pytest.raises(ValueError, match="cannot start at 3"):
        frontier.push(leaves(1)[0], 1)
