"""Time building an inline-completion prompt for a large file against one tokenization.

Builds a 10,000-line Python file, puts the cursor in the middle, and prints the median time
of split + cut_context + template at n_ctx 8192 next to the median time of tokenizing the
final prompt once, with their ratio. Run: ``.venv/bin/python benchmarks/bench_prompt.py``.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "server"))
sys.path.insert(0, str(ROOT))

from benchmarks.figures import emit  # noqa: E402
from byok_ls.completion.document import split_at  # noqa: E402
from byok_ls.completion.fim import template_for  # noqa: E402
from byok_ls.completion.tokens import get_counter  # noqa: E402
from byok_ls.completion.window import cut_context  # noqa: E402

TOKENIZER = ROOT / "tests" / "data" / "tokenizers" / "code-bpe" / "tokenizer.json"
N_CTX = 8192
MAX_OUTPUT = 256
RUNS = 20


def make_file(n_lines: int = 10_000) -> str:
    """Plausible Python: classes of methods with bodies, comments and strings."""
    out: list[str] = []
    i = 0
    while len(out) < n_lines:
        out += [
            f"class Handler{i}(BaseHandler):",
            f'    """Handle request kind {i} and keep its state."""',
            "",
            f"    def process_{i}(self, request: Request, *, retries: int = {i % 7}) -> Response:",
            "        # Validate before touching shared state.",
            f"        if request.size > self.limits[{i % 13}]:",
            f'            raise ValueError(f"request {{request.id}} too large for {i}")',
            "        total = sum(item.weight * self.factor for item in request.items)",
            f"        return Response(status=200, body={{'total': total, 'kind': {i}}})",
            "",
        ]
        i += 1
    return "\n".join(out[:n_lines]) + "\n"


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    text = make_file()
    counter = get_counter(str(TOKENIZER))
    template = template_for("template:starcoder")
    line, character = 5_003, 12
    overhead = counter.count(template.build("", ""))
    budget = N_CTX - MAX_OUTPUT - overhead

    def build() -> str:
        prefix, suffix = split_at(text, line, character)
        window = cut_context(prefix, suffix, counter, budget)
        return template.build(window.prefix, window.suffix)

    prompt = build()
    # Interleaved so that load from other processes affects both figures alike.
    build_times, count_times = [], []
    for _ in range(RUNS):
        build_times.append(timed(build))
        count_times.append(timed(lambda: counter.count(prompt)))
    build_s, count_s = statistics.median(build_times), statistics.median(count_times)
    print(
        f"file: {text.count(chr(10))} lines, {len(text)} chars; prompt: {len(prompt)} chars, "
        f"{counter.count(prompt)} tokens (budget {budget} + template {overhead})"
    )
    print(
        f"build prompt (split + cut_context + template), median of {RUNS}: {build_s * 1000:.2f} ms"
    )
    print(f"tokenize final prompt once, median of {RUNS}: {count_s * 1000:.2f} ms")
    print(f"ratio: {build_s / count_s:.2f}x")
    emit(
        "completion",
        "prompt building, 10,000-line file, n_ctx 8192",
        build_s * 1000,
        "ms",
        count_s * 1000,
        "one tokenization of the final prompt",
    )


if __name__ == "__main__":
    main()
