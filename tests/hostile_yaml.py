"""config.yaml documents built to hang, exhaust or crash a YAML reader (no tests here)."""

from __future__ import annotations


def billion_laughs(levels: int = 9) -> str:
    lines = ['l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, levels + 1):
        refs = ", ".join([f"*l{i - 1}"] * 9)
        lines.append(f"l{i}: &l{i} [{refs}]")
    return "\n".join(lines) + "\n"


def merge_key_bomb(levels: int = 9) -> str:
    lines = ["m0: &m0 {" + ", ".join(f"k{j}: lol" for j in range(9)) + "}"]
    for i in range(1, levels + 1):
        keys = ", ".join(f"n{i}_{j}: *m{i - 1}" for j in range(9))
        lines.append(f"m{i}: &m{i} {{<<: *m{i - 1}, {keys}}}")
    return "\n".join(lines) + "\n"


def nested_lists(depth: int = 50_000) -> str:
    return "version: 1\nproviders: " + "[" * depth + "]" * depth + "\n"


def nested_map(depth: int = 3_000) -> str:
    return "version: 1\nsettings: " + "{a: " * depth + "1" + "}" * depth + "\n"


def huge(megabytes: int = 50) -> str:
    line = "# " + "padding " * 12 + "\n"
    return "version: 1\n" + line * (megabytes * 1024 * 1024 // len(line))


#: name → (document, what the problem report says)
HOSTILE = {
    "billion-laughs": (billion_laughs, "aliases"),
    "merge-key-bomb": (merge_key_bomb, "aliases"),
    "50000-nested-lists": (nested_lists, "nested deeper"),
    "3000-deep-map": (nested_map, "nested deeper"),
    "50-MB-file": (huge, "1 MiB limit"),
}
