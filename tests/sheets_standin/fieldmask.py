"""Google API field masks (`fields=sheets(properties(title),data.rowData.values.note)`).

A mask is parsed into a tree: a dict from field name to sub-tree, where None means
"this field and everything below it". Both `.` and `/` separate path segments, as
Google accepts both.
"""

from __future__ import annotations

from typing import Any, Optional

MaskTree = Optional[dict[str, Any]]


class FieldMaskError(ValueError):
    """Raised when a field mask is not well formed."""


def _merge(tree: dict[str, Any], name: str, subtree: MaskTree) -> None:
    if name in tree:
        existing = tree[name]
        if existing is None or subtree is None:
            tree[name] = None
            return
        for key, value in subtree.items():
            _merge(existing, key, value)
        return
    tree[name] = subtree


def parse_field_mask(text: str) -> MaskTree:
    """Parse a field mask; an empty or `*` mask returns None (everything)."""
    text = text.replace(" ", "")
    if text in ("", "*"):
        return None
    tree, position = _parse_list(text, 0)
    if position != len(text):
        raise FieldMaskError(f"invalid field mask {text!r} at position {position}")
    return tree


def _parse_list(text: str, position: int) -> tuple[dict[str, Any], int]:
    tree: dict[str, Any] = {}
    while True:
        path, subtree, position = _parse_path(text, position)
        node = tree
        for segment in path[:-1]:
            child = node.get(segment, {})
            if child is None:
                break
            node[segment] = child
            node = child
        else:
            _merge(node, path[-1], subtree)
        if position < len(text) and text[position] == ",":
            position += 1
            continue
        return tree, position


def _parse_path(text: str, position: int) -> tuple[list[str], MaskTree, int]:
    path: list[str] = []
    name = ""
    while position < len(text):
        char = text[position]
        if char in "./":
            if not name:
                raise FieldMaskError(f"empty segment in field mask {text!r}")
            path.append(name)
            name = ""
            position += 1
        elif char == "(":
            if not name:
                raise FieldMaskError(f"empty segment in field mask {text!r}")
            path.append(name)
            subtree, position = _parse_list(text, position + 1)
            if position >= len(text) or text[position] != ")":
                raise FieldMaskError(f"unbalanced parentheses in field mask {text!r}")
            return path, subtree, position + 1
        elif char in ",)":
            break
        else:
            name += char
            position += 1
    if not name:
        raise FieldMaskError(f"empty segment in field mask {text!r}")
    path.append(name)
    return path, None, position


def subtree_at(tree: MaskTree, *path: str) -> tuple[bool, MaskTree]:
    """Return (selected, subtree) for a path: whether the mask selects it at all."""
    node = tree
    for segment in path:
        if node is None:
            return True, None
        if "*" in node:
            return True, None
        if segment not in node:
            return False, None
        node = node[segment]
    return True, node


def apply_field_mask(value: Any, tree: MaskTree) -> Any:
    """Return a copy of a JSON value with only the fields the mask selects."""
    if tree is None or "*" in tree:
        return value
    if isinstance(value, list):
        return [apply_field_mask(item, tree) for item in value]
    if isinstance(value, dict):
        result = {}
        for key, subtree in tree.items():
            if key in value:
                result[key] = apply_field_mask(value[key], subtree)
        return result
    return value


def field_paths(mask: str) -> list[list[str]]:
    """Split an update mask (`gridProperties/frozenRowCount,title`) into paths.

    Parenthesised groups are expanded, so `userEnteredFormat(backgroundColor,textFormat)`
    gives two paths. A `*` gives [["*"]].
    """
    tree = parse_field_mask(mask)
    if tree is None:
        return [["*"]]
    paths: list[list[str]] = []

    def walk(node: dict[str, Any], prefix: list[str]) -> None:
        for key, subtree in node.items():
            if subtree is None:
                paths.append(prefix + [key])
            else:
                walk(subtree, prefix + [key])

    walk(tree, [])
    return paths
