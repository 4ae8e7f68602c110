"""Tokenizer loading: specs, the download cache, offline errors, real counts."""

from __future__ import annotations

import http.server
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from byok_ls.completion import tokens
from byok_ls.completion.tokens import EstimateCounter, get_counter, resolve
from byok_ls.errors import ByokError, ErrorKind

# Kept before the autouse fixture replaces ``tokens.download`` with a network guard.
_real_download = tokens.download


class RecordingFetcher:
    """Copies the shipped tokenizer.json in place of a download and records each call."""

    def __init__(self, source: Path) -> None:
        self.source = source
        self.calls: list[tuple[str, Path]] = []

    def __call__(self, url: str, dest: Path) -> None:
        self.calls.append((url, dest))
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(self.source, dest)


def failing_fetcher(url: str, dest: Path) -> None:
    raise OSError("Name or service not known")


def test_no_spec_gives_a_labelled_estimate() -> None:
    """Without a tokenizer the counter says its numbers are estimates."""
    counter = get_counter(None)
    assert isinstance(counter, EstimateCounter)
    assert counter.estimated is True
    assert counter.count("") == 0
    assert counter.count("x" * 35) == 10
    assert counter.count("中文") > counter.count("ab")  # non-ASCII costs more


def test_file_path_loads_real_tokenizer(tokenizer_path: Path) -> None:
    """An absolute path loads exactly, with real BPE counts."""
    counter = get_counter(str(tokenizer_path))
    assert counter.estimated is False
    assert counter.count("") == 0
    assert 0 < counter.count("def add(a, b):\n    return a + b\n") < 20
    # Byte-level BPE: unknown scripts fall back to bytes, so they cost more than letters.
    assert counter.count("中文中文") > counter.count("return")
    # The FIM markers are single added tokens.
    assert counter.count("<fim_prefix>") == 1
    assert counter.count_batch(["return", "", "x = 1\n"]) == [
        counter.count("return"),
        0,
        counter.count("x = 1\n"),
    ]


def test_counter_is_loaded_once_and_shared(tokenizer_path: Path) -> None:
    """The same spec gives the same counter object."""
    assert get_counter(str(tokenizer_path)) is get_counter(str(tokenizer_path))


def test_tilde_path_is_expanded(
    tokenizer_path: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """``~/...`` means the user's home directory."""
    home = tmp_path / "home"
    (home / "tok").mkdir(parents=True)
    shutil.copyfile(tokenizer_path, home / "tok" / "tokenizer.json")
    monkeypatch.setenv("HOME", str(home))
    assert get_counter("~/tok/tokenizer.json").estimated is False


def test_hf_spec_downloads_once_into_the_cache(tokenizer_path: Path, tmp_path: Path) -> None:
    """hf://org/repo fetches tokenizer.json once, into <cache>/tokenizers/org/repo/."""
    fetch = RecordingFetcher(tokenizer_path)
    counter = get_counter("hf://bigcode/starcoder2-3b", fetcher=fetch)
    assert counter.count("return x") > 0
    expected = tmp_path / "cache" / "tokenizers" / "bigcode" / "starcoder2-3b" / "tokenizer.json"
    assert fetch.calls == [
        ("https://huggingface.co/bigcode/starcoder2-3b/resolve/main/tokenizer.json", expected)
    ]
    get_counter("hf://bigcode/starcoder2-3b", fetcher=fetch)
    tokens.clear_counters()  # a restarted server finds the file on disk
    get_counter("hf://bigcode/starcoder2-3b", fetcher=fetch)
    assert len(fetch.calls) == 1


def test_cached_file_never_touches_the_network(tokenizer_path: Path) -> None:
    """With the file in the cache, the (guarded) default downloader is never called."""
    dest, _ = resolve("hf://Qwen/Qwen2.5-Coder-1.5B")
    dest.parent.mkdir(parents=True)
    shutil.copyfile(tokenizer_path, dest)
    assert get_counter("hf://Qwen/Qwen2.5-Coder-1.5B").estimated is False


def test_patched_module_downloader_is_used(
    tokenizer_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without an explicit fetcher, ``tokens.download`` is looked up at call time."""
    fetch = RecordingFetcher(tokenizer_path)
    monkeypatch.setattr(tokens, "download", fetch)
    get_counter("hf://org/repo")
    assert len(fetch.calls) == 1


def test_concurrent_first_use_downloads_once(tokenizer_path: Path) -> None:
    """Threads asking for the same new spec share one download."""
    fetch = RecordingFetcher(tokenizer_path)
    results: list[object] = []
    threads = [
        threading.Thread(target=lambda: results.append(get_counter("hf://a/b", fetcher=fetch)))
        for _ in range(8)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(fetch.calls) == 1
    assert all(r is results[0] for r in results)


def test_https_url_is_cached_by_hash(tokenizer_path: Path, tmp_path: Path) -> None:
    """An https URL is fetched as given and stored under a hash of the URL."""
    fetch = RecordingFetcher(tokenizer_path)
    url = "https://example.com/models/x/tokenizer.json"
    get_counter(url, fetcher=fetch)
    ((called_url, dest),) = fetch.calls
    assert called_url == url
    assert dest.parent.parent == tmp_path / "cache" / "tokenizers" / "url"
    assert resolve("https://example.com/other.json")[0] != dest


def test_download_failure_is_a_clear_error(tmp_path: Path) -> None:
    """Offline and uncached: the error names the spec, the URL and where to put the file."""
    with pytest.raises(ByokError) as info:
        get_counter("hf://bigcode/starcoder2-3b", fetcher=failing_fetcher)
    err = info.value
    assert err.kind is ErrorKind.UNREACHABLE
    assert err.field == "tokenizer"
    assert "hf://bigcode/starcoder2-3b" in err.message
    assert str(tmp_path / "cache" / "tokenizers" / "bigcode" / "starcoder2-3b") in err.message
    assert "Name or service not known" in err.message
    # Failures are not cached: a later attempt retries.
    with pytest.raises(ByokError):
        get_counter("hf://bigcode/starcoder2-3b", fetcher=failing_fetcher)


def test_hf_hub_offline_skips_the_network(
    monkeypatch: pytest.MonkeyPatch, tokenizer_path: Path
) -> None:
    """HF_HUB_OFFLINE=1 means: use the cache or fail, never download."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    fetch = RecordingFetcher(tokenizer_path)
    with pytest.raises(ByokError) as info:
        get_counter("hf://org/repo", fetcher=fetch)
    assert "HF_HUB_OFFLINE" in info.value.message
    assert fetch.calls == []


@pytest.mark.parametrize(
    "spec",
    [
        "hf://justone",
        "hf://a/b/c",
        "relative/tokenizer.json",
        "http://example.com/tokenizer.json",
        "hf://../x",
    ],
)
def test_bad_specs_are_invalid_params(spec: str) -> None:
    """Malformed specs are rejected before any I/O."""
    with pytest.raises(ByokError) as info:
        get_counter(spec)
    assert info.value.kind is ErrorKind.INVALID_PARAMS
    assert info.value.field == "tokenizer"


def test_missing_file_is_not_found(tmp_path: Path) -> None:
    """A path that does not exist is reported as such."""
    with pytest.raises(ByokError) as info:
        get_counter(str(tmp_path / "nope.json"))
    assert info.value.kind is ErrorKind.NOT_FOUND


def test_corrupt_file_is_config_invalid(tmp_path: Path) -> None:
    """A file that is not a tokenizer.json says so and names the file."""
    bad = tmp_path / "tokenizer.json"
    bad.write_text("{not json")
    with pytest.raises(ByokError) as info:
        get_counter(str(bad))
    assert info.value.kind is ErrorKind.CONFIG_INVALID
    assert str(bad) in info.value.message


class _Handler(http.server.BaseHTTPRequestHandler):
    body = b""

    def do_GET(self) -> None:
        if self.path == "/tokenizer.json":
            self.send_response(200)
            self.send_header("Content-Length", str(len(self.body)))
            self.end_headers()
            self.wfile.write(self.body)
        else:
            self.send_response(404)
            self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def local_server(tokenizer_path: Path) -> Iterator[str]:
    """A loopback HTTP server that serves the shipped tokenizer.json."""
    _Handler.body = tokenizer_path.read_bytes()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_default_download_writes_the_file(
    local_server: str, tmp_path: Path, tokenizer_path: Path
) -> None:
    """The real downloader stores the body at the destination."""
    dest = tmp_path / "dl" / "tokenizer.json"
    _real_download(f"{local_server}/tokenizer.json", dest)
    assert dest.read_bytes() == tokenizer_path.read_bytes()
    assert [p.name for p in dest.parent.iterdir()] == ["tokenizer.json"]


def test_default_download_failure_leaves_no_file(local_server: str, tmp_path: Path) -> None:
    """An HTTP error raises and leaves neither the file nor a partial one behind."""
    dest = tmp_path / "dl" / "tokenizer.json"
    with pytest.raises(Exception, match="404"):
        _real_download(f"{local_server}/missing", dest)
    assert not dest.exists()
    assert list(dest.parent.iterdir()) == []
