"""YAML front matter read safely: no alias bombs, no crash on a bad date or a deep nest.

PyYAML's ``safe_load`` refuses Python objects but expands aliases: a few hundred
bytes (``a: &a [x,x,x...]``, ``b: &b [*a,*a,...]``, nine levels deep) make a
structure of a billion items that anything walking it (the metadata reader, JSON
output) never finishes. :func:`load` counts how many nodes the document would
expand to, sharing included, and refuses it past :data:`MAX_NODES`; a recursive
alias is refused too. A timestamp that is not a real date (``0000-00-00``) or an
integer too long to convert is kept as its text instead of failing the whole front
matter; nesting too deep for Python's recursion is an error.
"""

from __future__ import annotations

from typing import Any

import yaml

#: Most nodes a front matter may expand to, aliases counted as often as they are used.
MAX_NODES = 10_000


class FrontMatterError(ValueError):
    """The front matter cannot be read (the message says why)."""


class _Loader(yaml.SafeLoader):
    def construct_yaml_timestamp(self, node: yaml.Node) -> Any:
        try:
            return super().construct_yaml_timestamp(node)  # type: ignore[arg-type]
        except (ValueError, OverflowError):
            return self.construct_scalar(node)  # type: ignore[arg-type]

    def construct_yaml_int(self, node: yaml.Node) -> Any:
        try:
            return super().construct_yaml_int(node)  # type: ignore[arg-type]
        except ValueError:
            return self.construct_scalar(node)  # type: ignore[arg-type]


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _Loader.construct_yaml_timestamp)
_Loader.add_constructor("tag:yaml.org,2002:int", _Loader.construct_yaml_int)


def _expanded_size(root: yaml.Node) -> int:
    """How many nodes *root* stands for with every alias expanded (stops past the bound)."""
    sizes: dict[int, int] = {}
    busy: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        if key in sizes:
            continue
        children: list[yaml.Node] = []
        if isinstance(node, yaml.SequenceNode):
            children = list(node.value)
        elif isinstance(node, yaml.MappingNode):
            children = [n for pair in node.value for n in pair]
        if done:
            busy.discard(key)
            total = 1 + sum(sizes[id(c)] for c in children)
            sizes[key] = min(total, MAX_NODES + 1)
            continue
        if key in busy:
            raise FrontMatterError("an alias refers to itself")
        busy.add(key)
        stack.append((node, True))
        for child in children:
            if id(child) in busy:
                raise FrontMatterError("an alias refers to itself")
            if id(child) not in sizes:
                stack.append((child, False))
    return sizes[id(root)]


def load(text: str) -> Any:
    """The YAML document *text* as Python values (see the module docstring).

    :raises FrontMatterError: aliases expand past :data:`MAX_NODES` nodes, refer to
        themselves, or the nesting is too deep.
    :raises yaml.YAMLError: *text* is not valid YAML.
    """
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        if _expanded_size(node) > MAX_NODES:
            raise FrontMatterError(f"its aliases expand to over {MAX_NODES:,} values")
        return loader.construct_document(node)
    except RecursionError:
        raise FrontMatterError("nested too deeply") from None
    finally:
        loader.dispose()
