"""Train the small byte-level BPE ``code-bpe/tokenizer.json`` used by the completion tests.

Run from the project root: ``.venv/bin/python tests/data/tokenizers/make_tokenizer.py``.
The corpus is the project's own Python sources plus a fixed list of standard-library modules
of the running interpreter, so no download is needed and the output is committed. The exact
vocabulary depends on those sources; tests only rely on it being a real BPE tokenizer.
"""

from __future__ import annotations

import sysconfig
from collections.abc import Iterator
from pathlib import Path

from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

ROOT = Path(__file__).resolve().parents[3]
OUT = Path(__file__).resolve().parent / "code-bpe" / "tokenizer.json"
VOCAB_SIZE = 4096
# Special tokens of the FIM families, so a counted prompt treats each marker as one token.
SPECIAL_TOKENS = [
    "<|endoftext|>",
    "<fim_prefix>",
    "<fim_suffix>",
    "<fim_middle>",
    "<file_sep>",
    "<|fim_prefix|>",
    "<|fim_suffix|>",
    "<|fim_middle|>",
]
STDLIB_MODULES = [
    "argparse.py",
    "ast.py",
    "asyncio/base_events.py",
    "asyncio/tasks.py",
    "collections/__init__.py",
    "configparser.py",
    "csv.py",
    "dataclasses.py",
    "difflib.py",
    "email/message.py",
    "enum.py",
    "functools.py",
    "inspect.py",
    "json/decoder.py",
    "json/encoder.py",
    "logging/__init__.py",
    "pathlib.py",
    "pprint.py",
    "shutil.py",
    "string.py",
    "subprocess.py",
    "tempfile.py",
    "textwrap.py",
    "threading.py",
    "typing.py",
    "unittest/case.py",
    "urllib/parse.py",
    "zipfile.py",
]


def corpus_files() -> list[Path]:
    own = sorted(p for d in ("server", "tests", "benchmarks") for p in (ROOT / d).rglob("*.py"))
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    return own + [stdlib / name for name in STDLIB_MODULES if (stdlib / name).is_file()]


def lines() -> Iterator[str]:
    for path in corpus_files():
        yield path.read_text(encoding="utf-8", errors="replace")


def main() -> None:
    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=VOCAB_SIZE,
        min_frequency=2,
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(lines(), trainer=trainer)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    tokenizer.save(str(OUT), pretty=False)
    print(f"{OUT}: vocab {tokenizer.get_vocab_size()}, {OUT.stat().st_size} bytes")


if __name__ == "__main__":
    main()
