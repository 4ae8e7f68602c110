"""Is the cut right on real code? Source files of well-known projects: remove one line, or
the tail of a block, put the cursor at its indentation, and let a model answer with the
file's true continuation (the removed text and then what follows, up to max_tokens, in
tokens as a BPE tokenizer splits code). The ghost text must equal the removed text exactly
(its trailing whitespace aside) in >= 95 % of the cases for each language and shape.

The answer goes through the server's own streaming cut (``completion/streaming.py`` and
``completion/cut.py``, set up as ``completion/engine.py`` does), in-process: the LSP path is
measured by ``bench_completion.py``.

Sources: Python packages in this virtualenv's site-packages; JavaScript: npm's own sources
(/usr/lib/node_modules/npm) and vscode-client/node_modules after ``npm ci``; TypeScript:
.ts sources under vscode-client/node_modules; Go: the Go standard library
(``apt-get install golang-src``); Rust: the Rust standard library (``apt-get install
rust-src``). A language without sources is reported as such.

.venv/bin/python benchmarks/bench_cut_accuracy.py [CASES_PER_LANGUAGE_AND_SHAPE] [-v]
"""

from __future__ import annotations

import asyncio
import glob
import importlib.util
import random
import sys
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "server"))
sys.path.insert(0, str(ROOT / "benchmarks"))

import paced  # noqa: E402
from benchmarks.figures import emit  # noqa: E402
from byok_ls.completion.cut import Cutter, brackets, hash_comments, indent_width  # noqa: E402
from byok_ls.completion.engine import SINGLE_LINE_MAX_TOKENS  # noqa: E402
from byok_ls.completion.postprocess import multiline_for  # noqa: E402
from byok_ls.completion.streaming import read_until_cut  # noqa: E402
from byok_ls.providers.types import Event, Finish, TextDelta  # noqa: E402

MAX_TOKENS = 128  # the default completion_max_tokens
GOAL = 0.95
PYTHON_PACKAGES = ("httpx", "pygls", "jedi", "attr", "cattrs", "keyring", "filelock", "pathspec")
#: Lines longer than this are generated or minified code, not what anyone types.
LONGEST_LINE = 160
TAIL_LINES = (2, 8)


def python_files() -> list[str]:
    files: list[str] = []
    for name in PYTHON_PACKAGES:
        spec = importlib.util.find_spec(name)
        for folder in (spec.submodule_search_locations or []) if spec else []:
            files += glob.glob(f"{folder}/**/*.py", recursive=True)
    return files


def js_files() -> list[str]:
    roots = ["/usr/lib/node_modules/npm/lib", str(ROOT / "vscode-client" / "node_modules")]
    files: list[str] = []
    for root in roots:
        files += [f for f in glob.glob(f"{root}/**/*.js", recursive=True) if ".min." not in f]
    return files


def ts_files() -> list[str]:
    root = ROOT / "vscode-client" / "node_modules"
    return [f for f in glob.glob(f"{root}/**/*.ts", recursive=True) if not f.endswith(".d.ts")]


def go_files() -> list[str]:
    files: list[str] = []
    for root in glob.glob("/usr/share/go-*/src") + glob.glob("/usr/lib/go-*/src"):
        files += [f for f in glob.glob(f"{root}/**/*.go", recursive=True) if "testdata" not in f]
    return files


def rust_files() -> list[str]:
    files: list[str] = []
    for root in glob.glob("/usr/src/rustc-*/library") + glob.glob(
        str(Path.home() / ".cargo/registry/src/*")
    ):
        files += glob.glob(f"{root}/**/*.rs", recursive=True)
    return files


LANGUAGES = {
    "python": python_files,
    "javascript": js_files,
    "typescript": ts_files,
    "go": go_files,
    "rust": rust_files,
}


@dataclass(frozen=True)
class Case:
    path: str
    line: int
    prefix: str
    suffix: str
    #: The file's true continuation from the cursor.
    answer: str
    expected: str


def _usable(lines: list[str]) -> bool:
    return all(len(line) <= LONGEST_LINE for line in lines)


def one_line(lines: list[str], i: int, path: str, language: str) -> Case | None:
    text = lines[i]
    if not text.strip():
        return None
    following = next((line for line in lines[i + 1 :] if line.strip()), None)
    if following is not None and following.rstrip() == text.rstrip():
        return None  # the same line twice: removing either leaves the same document
    indent = text[: len(text) - len(text.lstrip())]
    prefix = "\n".join([*lines[:i], indent])
    suffix = "\n" + "\n".join(lines[i + 1 :])
    answer = text[len(indent) :] + suffix
    return Case(path, i, prefix, suffix, answer, text[len(indent) :].rstrip())


def block_tail(lines: list[str], i: int, path: str, language: str) -> Case | None:
    """Lines i.. to the end of the block line i is in: before the first line left of it, or
    through a line at its indentation that closes a bracket opened before line i (Go's
    ``switch`` closes at its cases' indentation)."""
    text = lines[i]
    if not text.strip() or not text[0].isspace():
        return None
    width = indent_width(text)
    flags = {"hash_comments": hash_comments(language), "rust": language == "rust"}
    depth = 0
    end = i + 1
    while end < len(lines) and (not lines[end].strip() or indent_width(lines[end]) >= width):
        change, closes = brackets(lines[end], **flags)
        if closes and depth <= 0 and indent_width(lines[end]) == width:
            end += 1
            break
        depth = max(depth + change, 0)
        end += 1
    if end >= len(lines):
        return None
    last = end - 1
    while not lines[last].strip():
        last -= 1
    count = last - i + 1
    if not TAIL_LINES[0] <= count <= TAIL_LINES[1]:
        return None
    indent = text[: len(text) - len(text.lstrip())]
    prefix = "\n".join([*lines[:i], indent])
    suffix = "\n" + "\n".join(lines[last + 1 :])
    removed = "\n".join(lines[i : last + 1])[len(indent) :]
    return Case(path, i, prefix, suffix, removed + suffix, removed.rstrip())


SHAPES = {"one line": one_line, "tail of a block": block_tail}


def cases(
    files: list[str], shape: str, language: str, count: int, rng: random.Random
) -> Iterator[Case]:
    make = SHAPES[shape]
    found = 0
    for _ in range(count * 200):
        if found >= count or not files:
            return
        path = rng.choice(files)
        try:
            lines = Path(path).read_text("utf-8").split("\n")
        except (OSError, UnicodeDecodeError):
            continue
        if len(lines) < 20 or not _usable(lines):
            continue
        i = rng.randrange(5, len(lines) - 5)
        case = make(lines, i, path, language)
        # The removed text must fit the output budget, or no cut could show all of it.
        fits = case is not None and len(paced.tokens(case.expected)) < MAX_TOKENS - 8
        if case is not None and fits and "\r" not in case.answer:
            found += 1
            yield case


async def stream(pieces: list[str], truncated: bool) -> AsyncIterator[Event]:
    for piece in pieces:
        yield TextDelta(piece)
    yield Finish("length" if truncated else "stop")


async def run_case(case: Case, language: str) -> tuple[str, int, int]:
    """(ghost text, tokens read before the cut, tokens the answer had)."""
    multiline = multiline_for(case.prefix, case.suffix)
    max_tokens = MAX_TOKENS if multiline else SINGLE_LINE_MAX_TOKENS
    all_pieces = paced.tokens(case.answer)
    pieces = all_pieces[:max_tokens]
    read = 0

    async def counted() -> AsyncIterator[Event]:
        nonlocal read
        async for event in stream(pieces, len(all_pieces) > max_tokens):
            if isinstance(event, TextDelta):
                read += 1
            yield event

    cutter = Cutter(case.prefix, case.suffix, multiline=multiline, language_id=language)
    reading = await read_until_cut(counted(), cutter)
    return reading.shown, read, len(pieces)


async def main_async(count: int, verbose: bool) -> None:
    rng = random.Random(14)
    print(f"cut accuracy: up to {count} cases per language and shape (goal >= {GOAL:.0%})")
    for language, find in LANGUAGES.items():
        files = find()
        if not files:
            print(f"  {language:10s} no sources here (see the module docstring)")
            continue
        for shape in SHAPES:
            right = total = 0
            failures: list[tuple[Case, str]] = []
            for case in cases(files, shape, language, count, rng):
                shown, _, _ = await run_case(case, language)
                total += 1
                if shown == case.expected:
                    right += 1
                else:
                    failures.append((case, shown))
            if not total:
                print(f"  {language:10s} {shape:16s} no cases found")
                continue
            share = right / total
            mark = "ok" if share >= GOAL else "BELOW GOAL"
            print(
                f"  {language:10s} {shape:16s} {right:4d} of {total:4d} exact  {share:6.1%}  "
                f"{mark}   ({len(files)} files)"
            )
            emit("cut accuracy", f"{language}, {shape}", share * 100, "% exact", GOAL * 100, "goal")
            for case, shown in failures[: 5 if verbose else 0]:
                print(f"      {case.path}:{case.line + 1}")
                print(f"        expected {case.expected!r}")
                print(f"        shown    {shown!r}")


def main() -> None:
    args = [a for a in sys.argv[1:] if a != "-v"]
    count = int(args[0]) if args else 300
    asyncio.run(main_async(count, "-v" in sys.argv))


if __name__ == "__main__":
    main()
