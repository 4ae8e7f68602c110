"""ConfigStore: atomic saves, comment-preserving merges, broken files, lost updates."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from byok_ls.config.schema import Config, Model, Provider
from byok_ls.config.store import ConfigStore
from byok_ls.errors import ByokError, ErrorKind
from tests.hostile_yaml import HOSTILE


def add_provider(pid: str) -> Callable[[Config], None]:
    def change(config: Config) -> None:
        config.providers.append(
            Provider(id=pid, template="custom", name=pid, base_url="http://127.0.0.1:1/v1")
        )

    return change


def test_missing_file_is_an_empty_config_and_first_save_creates_it(tmp_path: Path) -> None:
    store = ConfigStore(tmp_path)
    assert store.config.providers == [] and store.problem is None
    store.mutate(add_provider("a"))
    text = (tmp_path / "config.yaml").read_text()
    assert "API keys are never stored here" in text
    assert ConfigStore(tmp_path).config.providers[0].id == "a"
    assert ConfigStore(tmp_path).config.revision == 1


def test_comments_and_order_survive_a_save(tmp_path: Path) -> None:
    (tmp_path / "config.yaml").write_text(
        "# my providers\n"
        "version: 1\n"
        "providers:\n"
        "  - id: local   # the GPU box\n"
        "    name: Local\n"
        "    template: custom\n"
        "    base_url: http://127.0.0.1:8000/v1\n"
    )
    store = ConfigStore(tmp_path)
    store.mutate(lambda c: setattr(c.providers[0], "name", "Renamed"))
    text = (tmp_path / "config.yaml").read_text()
    assert text.startswith("# my providers\n")
    assert "# the GPU box" in text
    assert text.index("name: Renamed") < text.index("template: custom")
    assert (tmp_path / "config.yaml.bak").read_text().count("name: Local") == 1


def test_broken_file_keeps_last_good_and_is_never_overwritten(tmp_path: Path) -> None:
    store = ConfigStore(tmp_path)
    store.mutate(add_provider("a"))
    path = tmp_path / "config.yaml"
    path.write_text(
        "version: 1\nproviders:\n  - id: BAD ID\n    name: x\n    template: custom\n    base_url: http://h\n"
    )
    assert store.reload_if_changed()
    assert store.problem is not None
    assert store.problem.line == 3
    assert store.problem.field == "providers[0].id"
    assert [p.id for p in store.config.providers] == ["a"]
    with pytest.raises(ByokError) as info:
        store.mutate(add_provider("b"))
    assert info.value.kind is ErrorKind.CONFIG_INVALID
    assert "BAD ID" in path.read_text()


def test_camel_case_keys_are_not_accepted_in_the_file(tmp_path: Path) -> None:
    (tmp_path / "config.yaml").write_text(
        "providers:\n  - id: a\n    name: a\n    template: custom\n    baseUrl: http://h\n"
    )
    store = ConfigStore(tmp_path)
    assert store.problem is not None
    assert store.problem.field == "providers[0].base_url"
    assert store.problem.line == 2


def test_rejected_change_leaves_the_file_alone(tmp_path: Path) -> None:
    store = ConfigStore(tmp_path)
    store.mutate(add_provider("a"))
    before = (tmp_path / "config.yaml").read_bytes()

    def bad(config: Config) -> None:
        config.providers[0].models.append(Model(name="m", task="chat"))
        config.providers[0].models.append(Model(name="m", task="chat"))

    with pytest.raises(ByokError) as info:
        store.mutate(bad)
    assert info.value.kind is ErrorKind.INVALID_PARAMS
    assert "duplicate chat model" in info.value.message
    assert (tmp_path / "config.yaml").read_bytes() == before


def _writer(directory: str, prefix: str, count: int) -> None:
    store = ConfigStore(Path(directory))
    for i in range(count):
        store.mutate(add_provider(f"{prefix}{i}"))


def test_two_processes_lose_no_update(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_writer, args=(str(tmp_path), p, 15)) for p in ("x", "y")]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(60)
        assert proc.exitcode == 0
    ids = {p.id for p in ConfigStore(tmp_path).config.providers}
    assert ids == {f"{p}{i}" for p in ("x", "y") for i in range(15)}


def test_saved_file_is_private(tmp_path: Path) -> None:
    store = ConfigStore(tmp_path)
    store.mutate(add_provider("a"))
    assert os.stat(tmp_path / "config.yaml").st_mode & 0o077 == 0


def test_a_symlinked_config_is_written_through_to_its_target(tmp_path: Path) -> None:
    dotfiles, config = tmp_path / "dotfiles", tmp_path / "editor-config"
    dotfiles.mkdir()
    config.mkdir()
    target = dotfiles / "byok.yaml"
    target.write_text("# kept in my dotfiles\nversion: 1\n")
    (config / "config.yaml").symlink_to(target)
    ConfigStore(config).mutate(add_provider("a"))
    assert (config / "config.yaml").is_symlink()
    assert os.readlink(config / "config.yaml") == str(target)
    assert "id: a" in target.read_text() and "# kept in my dotfiles" in target.read_text()
    assert [p.id for p in ConfigStore(config).config.providers] == ["a"]
    assert [p.name for p in dotfiles.iterdir()] == ["byok.yaml"]  # no temp file left there


@pytest.mark.parametrize("shape", sorted(HOSTILE))
def test_hostile_yaml_is_reported_as_broken_and_the_last_good_config_kept(
    tmp_path: Path, shape: str
) -> None:
    build, says = HOSTILE[shape]
    store = ConfigStore(tmp_path)
    store.mutate(add_provider("good"))
    (tmp_path / "config.yaml").write_text(build())
    assert store.load() is True
    assert store.problem is not None and says in store.problem.message, store.problem
    assert [p.id for p in store.config.providers] == ["good"]
    # Saving refuses to touch the broken file, with the same report.
    with pytest.raises(ByokError) as info:
        store.mutate(add_provider("other"))
    assert info.value.kind is ErrorKind.CONFIG_INVALID and says in info.value.message
    # And a fresh start reports it the same way.
    fresh = ConfigStore(tmp_path)
    assert fresh.problem is not None and says in fresh.problem.message
    assert fresh.config.providers == []


def test_a_value_yaml_would_fold_is_refused_before_it_is_saved(tmp_path: Path) -> None:
    store = ConfigStore(tmp_path)
    store.mutate(add_provider("a"))
    before = (tmp_path / "config.yaml").read_bytes()

    def folded_tokenizer(config: Config) -> None:
        config.providers[0].models.append(Model(name="m", tokenizer="/models/a\u0085b.json"))

    with pytest.raises(ByokError) as info:
        store.mutate(folded_tokenizer)
    assert info.value.kind is ErrorKind.INVALID_PARAMS
    assert info.value.field == "providers[0].models[0].tokenizer", info.value.message
    assert (tmp_path / "config.yaml").read_bytes() == before
    assert ConfigStore(tmp_path).config.providers[0].models == []
