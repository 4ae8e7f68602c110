"""Load, validate and save ``config.yaml``.

Saves are atomic (temp file, fsync, rename) and keep the previous file as ``config.yaml.bak``.
Every change runs under a cross-process lock and is applied to the file as it is on disk at
that moment, so two servers writing at once lose no update. The user's comments and key
order survive because changes are merged into the round-trip YAML document instead of
dumping a fresh one. A broken file is never overwritten: the last good config stays in use
and the problem (file, line, field) is reported.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from filelock import FileLock, Timeout
from pydantic import BaseModel, ValidationError
from pydantic.alias_generators import to_snake
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from byok_ls.atomic import replace_atomically
from byok_ls.config.guard import MAX_CONFIG_BYTES, ShapeProblem, check_shape
from byok_ls.config.schema import Config
from byok_ls.errors import ByokError, ErrorKind
from byok_ls.paths import CONFIG_FILE, config_dir, file_signature
from byok_ls.validation import clean_msg, format_loc, invalid_from

T = TypeVar("T")

__all__ = ["ConfigStore"]


@dataclass(frozen=True)
class ConfigProblem:
    file: str
    line: int | None  # 1-based
    field: str | None
    message: str

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        what = f"{self.field}: {self.message}" if self.field else self.message
        return f"{where}: {what}"

    def to_data(self) -> dict[str, Any]:
        return {"file": self.file, "line": self.line, "field": self.field, "message": self.message}


def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 100
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def _plain(node: Any) -> Any:
    """The round-trip document as plain dicts/lists (what pydantic validates)."""
    if isinstance(node, dict):
        return {str(k): _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    return node


def _line_of(doc: Any, loc: tuple[int | str, ...]) -> int | None:
    node, line = doc, None
    for part in loc:
        try:
            if isinstance(node, CommentedMap):
                key = to_snake(part) if isinstance(part, str) else part
                if key not in node:
                    break
                line = node.lc.key(key)[0] + 1
                node = node[key]
            elif isinstance(node, CommentedSeq) and isinstance(part, int):
                line = node.lc.item(part)[0] + 1
                node = node[part]
            else:
                break
        except (KeyError, IndexError, AttributeError, TypeError):
            break
    return line


def _item_key(item: Any) -> Any:
    if isinstance(item, dict):
        if "id" in item:
            return ("id", item["id"])
        if "name" in item:
            return ("model", item["name"], item.get("task", "chat"))
    return None


#: Written even when they hold their default, because they make an entry readable.
ALWAYS_WRITTEN = frozenset({"version", "task", "enabled"})


def _merge(node: Any, full: Any, slim: Any) -> Any:
    """Write ``full`` into the round-trip ``node``, keeping comments and order.

    Keys the file already has are updated from ``full``; keys it lacks are added only when
    ``slim`` (the same data without default values) has them, so entries the server adds
    stay short while the user's explicit settings are kept.
    """
    if isinstance(full, dict) and isinstance(node, dict):
        slim = slim if isinstance(slim, dict) else {}
        for key in [k for k in node if k not in full]:
            del node[key]
        for key, sub in full.items():
            if key in node:
                node[key] = _merge(node[key], sub, slim.get(key))
            elif key in slim or key in ALWAYS_WRITTEN:
                node[key] = _fresh(sub, slim.get(key, sub))
        return node
    if isinstance(full, list) and isinstance(node, list):
        slim = slim if isinstance(slim, list) and len(slim) == len(full) else full
        old = {_item_key(item): item for item in node if _item_key(item) is not None}
        merged = []
        for item, thin in zip(full, slim, strict=True):
            key = _item_key(item)
            merged.append(
                _merge(old[key], item, thin)
                if key is not None and key in old
                else _fresh(item, thin)
            )
        del node[:]
        node.extend(merged)
        return node
    return full


def _keep_containers(node: Any) -> None:
    """Mark every list and nested object as set, at any depth: an entry appended to a list
    does not mark the list, and ``exclude_unset`` must never drop data, only defaults."""
    if isinstance(node, BaseModel):
        for name in type(node).model_fields:
            value = getattr(node, name)
            if isinstance(value, BaseModel | list):
                node.model_fields_set.add(name)
                _keep_containers(value)
    elif isinstance(node, list):
        for item in node:
            _keep_containers(item)


def _chosen(node: Any) -> Any:
    """The values someone set on purpose (``model_fields_set``), at any depth, as JSON."""
    if isinstance(node, BaseModel):
        out: dict[str, Any] = {}
        for name in type(node).model_fields:
            value = getattr(node, name)
            if isinstance(value, BaseModel | list):
                inner = _chosen(value)
                if inner:
                    out[name] = inner
            elif name in node.model_fields_set and value is not None:
                out[name] = node.model_dump(mode="json", include={name})[name]
        return out
    if isinstance(node, list):
        return [_chosen(item) for item in node]
    return node


def _union(changed: Any, chosen: Any) -> Any:
    """What a new entry writes: values that differ from their default, and values someone
    set on purpose (a user who typed ``--n-ctx 8192`` finds it in the file)."""
    if isinstance(changed, dict) and isinstance(chosen, dict):
        keys = [*changed, *(k for k in chosen if k not in changed)]
        return {
            k: _union(changed.get(k), chosen.get(k)) if k in changed else chosen[k] for k in keys
        }
    if isinstance(changed, list) and isinstance(chosen, list) and len(changed) == len(chosen):
        return [_union(a, b) for a, b in zip(changed, chosen, strict=True)]
    return changed if changed is not None else chosen


def _fresh(full: Any, slim: Any) -> Any:
    """A new entry: its non-default values, plus the keys that are always written."""
    if isinstance(full, dict):
        slim = slim if isinstance(slim, dict) else {}
        return {
            k: _fresh(v, slim.get(k, v))
            for k, v in full.items()
            if k in slim or k in ALWAYS_WRITTEN
        }
    if isinstance(full, list):
        slim = slim if isinstance(slim, list) and len(slim) == len(full) else full
        return [_fresh(a, b) for a, b in zip(full, slim, strict=True)]
    return full


class ConfigStore:
    def __init__(self, directory: Path | None = None, *, lock_timeout_s: float = 30.0) -> None:
        self.directory = directory or config_dir()
        self.path = self.directory / CONFIG_FILE
        self.backup_path = self.directory / (CONFIG_FILE + ".bak")
        self._file_lock = FileLock(
            str(self.directory / ".config.yaml.lock"), timeout=lock_timeout_s
        )
        self._thread_lock = threading.Lock()
        self._config = Config()
        self._problem: ConfigProblem | None = None
        self._signature: tuple[int, int, int] | None = None
        #: The round-trip document as last read or written, reused while the file is
        #: unchanged: parsing YAML with comments is the slow part of a save.
        self._doc: tuple[tuple[int, int, int] | None, Any] | None = None
        #: Bumped whenever the usable config or the problem changes, whoever caused it.
        self.generation = 0
        self.load()

    # ---- reading -----------------------------------------------------------------------

    @property
    def config(self) -> Config:
        """The last good configuration (never a broken one)."""
        return self._config

    @property
    def problem(self) -> ConfigProblem | None:
        """What is wrong with the file on disk, if anything."""
        return self._problem

    @property
    def signature(self) -> tuple[int, int, int] | None:
        """The file's (mtime, size, inode) when the usable state was last read."""
        return self._signature

    def _stat(self) -> tuple[int, int, int] | None:
        return file_signature(self.path)

    def _read(self) -> tuple[Any, Config]:
        """Parse the file on disk; raise ConfigProblem-carrying ByokError when it is broken."""
        try:
            with self.path.open("rb") as handle:
                raw = handle.read(MAX_CONFIG_BYTES + 1)
            text = raw.decode("utf-8")
        except FileNotFoundError:
            return CommentedMap(), Config()
        except (OSError, UnicodeDecodeError) as exc:
            raise self._error(
                ConfigProblem(str(self.path), None, None, f"cannot read: {exc}")
            ) from exc
        if len(raw) > MAX_CONFIG_BYTES:
            limit = f"{MAX_CONFIG_BYTES // 1024 // 1024} MiB"
            raise self._error(
                ConfigProblem(str(self.path), None, None, f"larger than the {limit} limit")
            )
        try:
            check_shape(text)
            doc = _yaml().load(text)
        except ShapeProblem as exc:
            problem = ConfigProblem(str(self.path), exc.line, None, exc.message)
            raise self._error(problem) from None
        except RecursionError as exc:
            problem = ConfigProblem(str(self.path), None, None, "nested too deeply")
            raise self._error(problem) from exc
        except MarkedYAMLError as exc:
            mark = exc.problem_mark
            line = mark.line + 1 if mark is not None else None
            msg = f"not valid YAML: {exc.problem or exc}"
            raise self._error(ConfigProblem(str(self.path), line, None, msg)) from exc
        except YAMLError as exc:
            raise self._error(
                ConfigProblem(str(self.path), None, None, f"not valid YAML: {exc}")
            ) from exc
        if doc is None:
            doc = CommentedMap()
        if not isinstance(doc, CommentedMap):
            problem = ConfigProblem(str(self.path), 1, None, "the top level must be a mapping")
            raise self._error(problem)
        try:
            config = Config.model_validate(_plain(doc), by_alias=False, by_name=True)
        except ValidationError as exc:
            first = exc.errors()[0]
            loc = tuple(first["loc"])
            problem = ConfigProblem(
                str(self.path),
                _line_of(doc, loc),
                format_loc(loc, snake=True) or None,
                clean_msg(first["msg"]),
            )
            raise self._error(problem) from exc
        return doc, config

    @staticmethod
    def _error(problem: ConfigProblem) -> ByokError:
        return ByokError(
            ErrorKind.CONFIG_INVALID,
            f"The configuration file is broken and was left untouched: {problem}. "
            "Fix the file (the last good configuration stays in use meanwhile).",
            field=problem.field,
            extra={"problem": problem.to_data()},
        )

    def load(self) -> bool:
        """(Re)read the file. Returns True when the usable config or the problem changed."""
        signature = self._stat()
        before = (self._config, self._problem)
        try:
            _, config = self._read()
        except ByokError as exc:
            self._problem = ConfigProblem(**exc.extra["problem"])
        else:
            self._config, self._problem = config, None
        self._signature = signature
        changed = (self._config, self._problem) != before
        if changed:
            self.generation += 1
        return changed

    def reload_if_changed(self) -> bool:
        """Cheap check for edits by hand or by another process (one stat call)."""
        if self._stat() == self._signature:
            return False
        # A save in progress holds the lock and re-reads the file itself under the file
        # lock. Waiting for it here would stall the caller (often the event loop) for as
        # long as another process holds the file lock (up to lock_timeout_s).
        if not self._thread_lock.acquire(blocking=False):
            return False
        try:
            return self.load()
        finally:
            self._thread_lock.release()

    # ---- writing -----------------------------------------------------------------------

    def mutate(self, change: Callable[[Config], T]) -> T:
        """Apply ``change`` to the config as it is on disk now, and save atomically.

        ``change`` edits the Config it is given and may raise ByokError to abort.
        """
        with self._thread_lock:
            try:
                with self._file_lock:
                    doc, current = self._read_for_write()
                    draft = current.model_copy(deep=True)
                    result = change(draft)
                    draft.revision = current.revision + 1
                    _keep_containers(draft)
                    try:
                        # Validated from what was set, so the result still knows what the
                        # user chose (model_fields_set), for this save and the next ones.
                        checked = Config.model_validate(draft.model_dump(exclude_unset=True))
                    except ValidationError as exc:
                        raise invalid_from(exc) from exc
                    full = checked.model_dump(mode="json", exclude_none=True)
                    slim = _union(
                        checked.model_dump(mode="json", exclude_none=True, exclude_defaults=True),
                        _chosen(checked),
                    )
                    self._doc = None  # a failed write must not leave a half-merged cache
                    data = _render(self.path, _merge(doc, full, slim))
                    _check_reads_back(data, checked)
                    self._write(data)
                    self._config, self._problem = checked, None
                    self._signature = self._stat()
                    self._doc = (self._signature, doc)
                    self.generation += 1
            except Timeout as exc:
                raise ByokError(
                    ErrorKind.CONFLICT,
                    "Another byok-ls process holds the configuration lock "
                    f"({self._file_lock.lock_file}); try again in a moment.",
                ) from exc
            except OSError as exc:
                raise ByokError(
                    ErrorKind.CONFIG_UNWRITABLE,
                    f"Cannot save the configuration in {self.directory} "
                    f"({exc.strerror or exc}): check that it is a folder you can write to. "
                    "Nothing was changed.",
                ) from exc
            except ByokError as exc:
                if exc.kind is ErrorKind.CONFIG_INVALID:
                    self._problem = ConfigProblem(**exc.extra["problem"])
                raise
        return result

    def _read_for_write(self) -> tuple[Any, Config]:
        if self._doc is not None and self._doc[0] is not None and self._doc[0] == self._stat():
            return self._doc[1], self._config
        return self._read()

    def _write(self, data: bytes) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        if self.path.exists():
            replace_atomically(self.backup_path, self.path.read_bytes())
        # A symlinked config.yaml (dotfiles) is written through to its target, in the
        # target's folder: replacing the link itself would cut the dotfile off.
        replace_atomically(self.path.resolve(), data)


def _render(path: Path, doc: Any) -> bytes:
    if not path.exists() and isinstance(doc, CommentedMap) and not doc.ca.comment:
        doc.yaml_set_start_comment("byok-ls configuration. API keys are never stored here.")
    buffer = io.StringIO()
    _yaml().dump(doc, buffer)
    return buffer.getvalue().encode("utf-8")


def _first_difference(saved: Any, read: Any, loc: tuple[int | str, ...] = ()) -> str:
    if isinstance(saved, dict) and isinstance(read, dict):
        for key in saved:
            if saved[key] != read.get(key):
                return _first_difference(saved[key], read.get(key), (*loc, key))
    if isinstance(saved, list) and isinstance(read, list) and len(saved) == len(read):
        for i, (a, b) in enumerate(zip(saved, read, strict=True)):
            if a != b:
                return _first_difference(a, b, (*loc, i))
    return format_loc(loc) or "config"


def _check_reads_back(data: bytes, saved: Config) -> None:
    """Refuse to save what would read back different (YAML folds some characters)."""
    try:
        read = Config.model_validate(
            _plain(YAML(typ="safe", pure=True).load(data)), by_alias=False, by_name=True
        )
    except (YAMLError, ValidationError) as exc:
        raise ByokError(
            ErrorKind.INVALID_PARAMS,
            f"config: the change cannot be saved as YAML that reads back the same ({exc})",
        ) from exc
    if read != saved:
        field = _first_difference(saved.model_dump(), read.model_dump())
        raise ByokError(
            ErrorKind.INVALID_PARAMS,
            f"{field}: cannot be saved as it is (it would read back differently from "
            "config.yaml); remove line breaks and control characters",
            field=field,
        )
