"""Bounds on what ``config.yaml`` may be before it is parsed into objects.

A hostile or broken file must be reported as broken (file, line, what), never hang or kill
the server. Three shapes did: alias bombs (a 1 KB "billion laughs" or merge-key document
that expands to billions of nodes), deep nesting (the YAML composer and the validators
recurse, so 50,000 nested lists raise RecursionError), and huge files. The check walks
the parser's event stream, which is lazy and iterative, and stops at the first bound
crossed, so it costs little even on the documents it refuses.
"""

from __future__ import annotations

from dataclasses import dataclass

from ruamel.yaml import YAML
from ruamel.yaml.events import (
    AliasEvent,
    CollectionEndEvent,
    CollectionStartEvent,
    Event,
    NodeEvent,
)

#: Largest config.yaml read (bytes). A real one is a few kilobytes.
MAX_CONFIG_BYTES = 1024 * 1024
#: Deepest nesting of mappings and lists. A real config nests about six levels.
MAX_DEPTH = 64
#: Most nodes the document may hold once every alias is expanded.
MAX_NODES = 100_000


@dataclass(frozen=True)
class ShapeProblem(Exception):
    line: int | None  # 1-based
    message: str


def _line(event: Event) -> int | None:
    mark = event.start_mark
    return mark.line + 1 if mark is not None else None


def check_shape(text: str) -> None:
    """Raise ShapeProblem when ``text`` nests too deep or expands too far through aliases.

    Syntax errors are left to the real parse, which words them with their line.
    """
    #: Expanded node count of each open collection, and the anchor it will be known by.
    open_counts: list[list[int]] = []
    open_anchors: list[str | None] = []
    sizes: dict[str, int] = {}
    total = 0
    for event in YAML(typ="safe", pure=True).parse(text):
        added = 0
        if isinstance(event, AliasEvent):
            added = sizes.get(str(event.anchor), 1)
        elif isinstance(event, CollectionStartEvent):
            if len(open_counts) >= MAX_DEPTH:
                raise ShapeProblem(
                    _line(event), f"nested deeper than {MAX_DEPTH} levels of mappings and lists"
                )
            open_counts.append([1])
            open_anchors.append(event.anchor)
            total += 1
            continue
        elif isinstance(event, CollectionEndEvent):
            count = open_counts.pop()[0]
            anchor = open_anchors.pop()
            if anchor is not None:
                sizes[str(anchor)] = count
            if open_counts:
                open_counts[-1][0] += count
            continue
        elif isinstance(event, NodeEvent):  # a scalar
            added = 1
            if event.anchor is not None:
                sizes[str(event.anchor)] = 1
        total += added
        if open_counts:
            open_counts[-1][0] += added
        if total > MAX_NODES:
            raise ShapeProblem(
                _line(event),
                f"expands to more than {MAX_NODES:,} values through aliases (*name); "
                "write the values out instead",
            )
