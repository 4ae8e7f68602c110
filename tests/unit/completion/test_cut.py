"""Cut rules on real code shapes: the ghost text ends where the cursor's block ends, and the
decision is made while the tokens arrive (before the model's answer is over)."""

from __future__ import annotations

import pytest

from byok_ls.completion.cut import Cutter
from byok_ls.completion.postprocess import multiline_for

CURSOR = "█"


def stream(document: str, answer: str, language: str, step: int = 3) -> tuple[str, int]:
    """Feed ``answer`` in ``step``-character pieces; (ghost text, characters consumed)."""
    prefix, suffix = document.split(CURSOR)
    cutter = Cutter(
        prefix,
        suffix,
        multiline=multiline_for(prefix, suffix),
        stop=("<|endoftext|>",),
        language_id=language,
    )
    raw = ""
    for start in range(0, len(answer), step):
        piece = answer[start : start + step]
        raw += piece
        if cutter.needs_check(raw, piece):
            shown = cutter.decide(raw)
            if shown is not None:
                return shown, len(raw)
    shown = cutter.decide(raw, final=True)
    assert shown is not None
    return shown, len(raw)


PY_DOC = """import os


class Store:
    def load(self, path):
        if not os.path.exists(path):
            return None
        █
        return data

    def save(self, path, data):
        with open(path, "w") as f:
            f.write(data)
"""
PY_ANSWER = """with open(path) as f:
            data = f.read()
        return data

    def save(self, path, data):
"""


def test_python_block_stops_before_the_suffix_repeats() -> None:
    """The model writes the missing lines and then the suffix: only the missing lines show,
    and the stream is cut as soon as the repeated line is complete."""
    shown, used = stream(PY_DOC, PY_ANSWER, "python")
    assert shown == "with open(path) as f:\n            data = f.read()"
    assert used < PY_ANSWER.index("return data\n") + len("return data\n") + 3


PY_TAIL = """def area(r):
    █


def perimeter(r):
    return 2 * math.pi * r
"""


def test_python_tail_of_function_ends_at_the_next_definition() -> None:
    """At the end of a function body, a dedent to a new top-level def ends the block."""
    answer = (
        "if r < 0:\n        raise ValueError(r)\n\n    return math.pi * r * r\n\n\n"
        "def perimeter(r):\n    return 2\n"
    )
    shown, used = stream(PY_TAIL, answer, "python")
    assert shown == "if r < 0:\n        raise ValueError(r)\n\n    return math.pi * r * r"
    assert used < answer.index("def perimeter(r):\n") + len("def perimeter(r):\n") + 3


def test_python_def_opened_at_the_cursor_ends_before_the_next_def() -> None:
    """After ``def f():`` the block is its body: a line back at ``def``'s indentation ends it."""
    doc = "import math\n\ndef f(x):█\n"
    answer = "\n    y = x * 2\n    return y\n\ndef g(x):\n    return x\n"
    assert stream(doc, answer, "python")[0] == "\n    y = x * 2\n    return y"


def test_python_else_continues_the_block_the_cursor_opened() -> None:
    """``else:`` at the opener's indentation belongs to the same statement."""
    doc = "def f(x):\n    if x:█\n"
    answer = "\n        return 1\n    else:\n        return 2\n\ndef g():\n"
    assert stream(doc, answer, "python")[0] == "\n        return 1\n    else:\n        return 2"


def test_python_blank_line_between_methods_stops_at_the_next_method() -> None:
    """A whole method written at a blank line between methods stops before the method the
    suffix already has."""
    doc = "class A:\n    def a(self):\n        return 1\n\n    █\n\n    def c(self):\n"
    answer = "def b(self):\n        return 2\n\n    def c(self):\n        return 3\n"
    assert stream(doc, answer, "python")[0] == "def b(self):\n        return 2"


def test_python_tail_of_a_class_keeps_its_methods() -> None:
    """Inside a class the next method belongs to the same block: the tail of a class body
    is shown up to the end of the class."""
    doc = "class A:\n    █\n\n\nx = A()\n"
    answer = "def a(self):\n        return 1\n\n    def b(self):\n        return 2\n\n\nx = A()\n"
    shown = stream(doc, answer, "python")[0]
    assert shown == "def a(self):\n        return 1\n\n    def b(self):\n        return 2"


def test_closing_bracket_at_the_cursor_then_the_rest_of_the_parent_block() -> None:
    """``}`` at the cursor closes a nested block; the parent block's statements after it
    are part of the same suggestion, up to the parent's own end."""
    doc = "func f() {\n\tif x {\n\t\ta()\n\t█\n}\n"
    shown = stream(doc, "}\n\tb()\n\treturn\n}\n\nfunc g() {\n", "go")[0]
    assert shown == "}\n\tb()\n\treturn"


def test_python_hash_comment_brackets_do_not_count() -> None:
    """A ``)`` inside a comment or string does not close the block."""
    doc = "def f():\n    █\n"
    answer = "x = 1  # see (a\n    y = ')'\n    return x + y\n\ndef g():\n"
    assert stream(doc, answer, "python")[0] == "x = 1  # see (a\n    y = ')'\n    return x + y"


JS_DOC = """function load(items) {
  for (const item of items) {
    if (item.ready) {
      use(item);
    █
  }
  return items.length;
}
"""


def test_js_closing_brace_at_the_blocks_indentation_is_kept() -> None:
    """A removed ``}`` at the cursor's indentation is shown (it used to be dropped because
    the suffix's ``}`` matched it without indentation)."""
    answer = "}\n  }\n  return items.length;\n}\n"
    shown, used = stream(JS_DOC, answer, "javascript")
    assert shown == "}"
    assert used <= len("}\n  }\n")


def test_ts_block_ends_at_dedent() -> None:
    """Lines at the block's indentation show; the dedented ``}`` of the enclosing block
    does not."""
    doc = "export class Cache<T> {\n  get(key: string): T | undefined {\n    █\n  }\n}\n"
    answer = "const hit = this.map.get(key);\n    return hit?.value;\n  }\n\n  set(key: string) {\n"
    shown, _ = stream(doc, answer, "typescript")
    assert shown == "const hit = this.map.get(key);\n    return hit?.value;"


def test_js_function_opened_at_the_cursor_keeps_its_closing_brace() -> None:
    """``function f() {`` typed by the user: body and its own ``}``, not the next function."""
    doc = "const a = 1;\n\nfunction f(x) {█\n"
    answer = "\n  return x * a;\n}\n\nfunction g() {\n  return 2;\n}\n"
    assert stream(doc, answer, "javascript")[0] == "\n  return x * a;\n}"


def test_js_if_else_chain_is_one_block() -> None:
    """``} else {`` does not end the ``if`` block the cursor opened."""
    doc = "function f(x) {\n  if (x) {█\n}\n"
    answer = "\n    a();\n  } else {\n    b();\n  }\n  return 1;\n"
    assert stream(doc, answer, "javascript")[0] == "\n    a();\n  } else {\n    b();\n  }"


def test_js_string_with_brace_does_not_end_the_block() -> None:
    """A ``}`` inside a template string is not a closing bracket."""
    doc = "function f(x) {\n  █\n}\n"
    answer = "const s = `}`;\n  const t = '}';\n  return s + t;\n}\n\nfunction g() {}\n"
    assert (
        stream(doc, answer, "javascript")[0] == "const s = `}`;\n  const t = '}';\n  return s + t;"
    )


GO_DOC = """package store

func (s *Store) Get(key string) (string, bool) {
\ts.mu.Lock()
\tdefer s.mu.Unlock()
\t█
}

func (s *Store) Put(key, value string) {
\ts.items[key] = value
}
"""


def test_go_tab_indented_tail_ends_at_the_closing_brace() -> None:
    """Tabs: the function's ``}`` at column 0 ends the block and is not shown (the suffix
    has it)."""
    answer = (
        "v, ok := s.items[key]\n\treturn v, ok\n}\n\nfunc (s *Store) Put(key, value string) {\n"
    )
    shown, used = stream(GO_DOC, answer, "go")
    assert shown == "v, ok := s.items[key]\n\treturn v, ok"
    assert used < len(answer) - 20


def test_go_missing_closing_brace_of_if_is_shown() -> None:
    """The removed ``}`` of an ``if`` at the cursor's indentation is the whole answer."""
    doc = "func f(err error) error {\n\tif err != nil {\n\t\treturn err\n\t█\n\treturn nil\n}\n"
    assert stream(doc, "}\n\treturn nil\n}\n", "go")[0] == "}"


RUST_DOC = """impl<'a> Parser<'a> {
    pub fn next(&mut self) -> Option<&'a str> {
        let start = self.pos;
        █
    }

    pub fn peek(&self) -> Option<char> {
        self.src[self.pos..].chars().next()
    }
}
"""


def test_rust_lifetimes_do_not_hide_brackets() -> None:
    """``'a`` is a lifetime, not a string: the ``}`` after it still counts."""
    answer = (
        "while self.pos < self.src.len() && self.at(b' ') {\n"
        "            self.pos += 1;\n"
        "        }\n"
        "        Some(&self.src[start..self.pos])\n"
        "    }\n\n    pub fn peek(&self) -> Option<char> {\n"
    )
    shown, _ = stream(RUST_DOC, answer, "rust")
    assert shown == (
        "while self.pos < self.src.len() && self.at(b' ') {\n"
        "            self.pos += 1;\n"
        "        }\n"
        "        Some(&self.src[start..self.pos])"
    )


def test_rust_char_literal_bracket_is_ignored() -> None:
    """``'}'`` is a character, not a closing bracket."""
    doc = "fn f(c: char) -> bool {\n    █\n}\n"
    answer = "let close = c == '}';\n    close || c == ')'\n}\n\nfn g() {}\n"
    assert stream(doc, answer, "rust")[0] == "let close = c == '}';\n    close || c == ')'"


def test_rust_new_item_after_a_top_level_function_is_not_shown() -> None:
    """At the top level, the next item after a blank line ends the suggestion."""
    doc = "use std::io;\n\n█\n"
    answer = "fn main() {\n    run();\n}\n\nfn run() {\n    todo!()\n}\n"
    assert stream(doc, answer, "rust")[0] == "fn main() {\n    run();\n}"


def test_single_line_ends_at_the_first_newline() -> None:
    """Mid-line the decision comes with the first newline, not the end of the answer."""
    doc = "def add(a, b):\n    return (a█)\n"
    answer = " + b)\n\ndef sub(a, b):\n    return a - b\n"
    shown, used = stream(doc, answer, "python", step=1)
    assert shown == " + b"
    assert used == len(" + b)\n")


def test_stop_token_ends_the_completion() -> None:
    """A stop token ends it at once, even in the middle of a line."""
    doc = "def f():\n    █\n"
    shown, used = stream(doc, "return 1<|endoftext|>junk\n    more\n", "python", step=1)
    assert shown == "return 1"
    assert used == len("return 1<|endoftext|>")


def test_line_limit() -> None:
    """A block that never ends is cut at max_lines."""
    cutter = Cutter("def f():\n    ", "\n", multiline=True, max_lines=3)
    assert cutter.decide("a = 1\n    b = 2\n") is None
    assert cutter.decide("a = 1\n    b = 2\n    c = 3\n") == "a = 1\n    b = 2\n    c = 3"


def test_truncated_stream_drops_its_partial_last_line() -> None:
    """At max_tokens the last line may be half a statement: it is not shown."""
    cutter = Cutter("def f():\n    ", "\n", multiline=True)
    assert cutter.decide("a = 1\n    b = fo", final=True, truncated=True) == "a = 1"
    assert cutter.decide("a = 1\n    b = fo", final=True) == "a = 1\n    b = fo"


@pytest.mark.parametrize(
    ("document", "answer"),
    [
        ("def f():\n    █\n    return x\n", "return x\n"),
        ("def f():\n    ret█\n    return x\n", "urn x\n"),
        ("f(a█)\n", ")"),
    ],
)
def test_repeating_the_text_after_the_cursor_shows_nothing(document: str, answer: str) -> None:
    """A completion that is the suffix again adds nothing."""
    assert stream(document, answer, "python")[0] == ""


def test_dedented_same_text_is_not_a_repeat() -> None:
    """Only a line with the same indentation repeats the suffix: ``    }`` is not ``}``."""
    doc = "fn f() {\n    if x {\n        y();\n    █\n}\n"
    assert stream(doc, "}\n}\n", "rust")[0] == "}"


def test_dedent_is_decided_at_the_first_character_of_the_line() -> None:
    """A line that starts left of the block ends it before the rest of that line arrives."""
    cutter = Cutter("def f():\n    ", "\n", multiline=True, language_id="python")
    assert cutter.decide("return 1\n\n") is None
    assert cutter.decide("return 1\n\n  ") is None  # indentation still arriving
    assert cutter.decide("return 1\n\nd") == "return 1"


def test_a_dedent_is_checked_when_its_first_character_arrives() -> None:
    """The token that starts a dedented line triggers the check, not only line breaks."""
    cutter = Cutter("def f():\n    ", "\n", multiline=True, language_id="python")
    raw = "return 1\n\n"
    assert not cutter.needs_check(raw + "   ", "   ")  # indentation only
    assert cutter.needs_check(raw + "def", "def")
    assert not cutter.needs_check(raw + "def f", " f")  # the line had started already
    assert cutter.decide(raw + "def") == "return 1"
