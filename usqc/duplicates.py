"""Pixel-identical images (byte-identical files included): grouped together, or dropped.

Two copies of one image on both sides of the split would leak; so by default every group that
shares an image is merged into one group, which the split keeps on one side.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence


def merge_groups(groups: Sequence[str], digests: Sequence[str]) -> list[str]:
    """Group ids after merging every pair of groups that share a pixel digest (transitively).

    A merged group is named after its smallest member id, so the result does not depend on order.
    """
    parent = {g: g for g in groups}

    def root(g: str) -> str:
        while parent[g] != g:
            parent[g] = parent[parent[g]]
            g = parent[g]
        return g

    first: dict[str, str] = {}
    for group, digest in zip(groups, digests, strict=True):
        if digest in first:
            a, b = root(group), root(first[digest])
            parent[max(a, b)] = min(a, b)
        else:
            first[digest] = group
    return [root(g) for g in groups]


def duplicate_sets(digests: Sequence[str], planes: Sequence[str]) -> dict:
    """Counts: sets of identical images, images in them, and sets whose copies carry different classes."""
    members: dict[str, set] = defaultdict(set)
    sizes: dict[str, int] = defaultdict(int)
    for digest, plane in zip(digests, planes, strict=True):
        members[digest].add(plane)
        sizes[digest] += 1
    repeated = [d for d, n in sizes.items() if n > 1]
    return {
        "sets": len(repeated),
        "images": sum(sizes[d] for d in repeated),
        "across_classes": sum(len(members[d]) > 1 for d in repeated),
    }
