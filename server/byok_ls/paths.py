"""Where byok-ls keeps its files: configuration, data (usage) and cache (tokenizers).

Each folder can be moved with an environment variable (tests point them at a temp dir);
otherwise the platform's user folders are used.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "byok-ls"
CONFIG_FILE = "config.yaml"
USAGE_FILE = "usage.sqlite3"


def _folder(env: str, default: str) -> Path:
    override = os.environ.get(env)
    return Path(override).expanduser() if override else Path(default)


def file_signature(path: Path) -> tuple[int, int, int] | None:
    """(mtime, size, inode) of a file, None when it is missing: how the config file is
    watched for edits."""
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    except OSError as exc:
        # Unreadable (e.g. the config folder was replaced by a file): loading reports it.
        return (-1, -1, -(exc.errno or 1))
    return (st.st_mtime_ns, st.st_size, st.st_ino)


def config_dir() -> Path:
    """``$BYOK_LS_CONFIG_DIR``, else the user config folder (``config.yaml``, keys file)."""
    return _folder("BYOK_LS_CONFIG_DIR", platformdirs.user_config_dir(APP_NAME, appauthor=False))


def data_dir() -> Path:
    """``$BYOK_LS_DATA_DIR``, else the user data folder (the usage database)."""
    return _folder("BYOK_LS_DATA_DIR", platformdirs.user_data_dir(APP_NAME, appauthor=False))


def cache_dir() -> Path:
    """``$BYOK_LS_CACHE_DIR``, else the user cache folder (downloaded tokenizers)."""
    return _folder("BYOK_LS_CACHE_DIR", platformdirs.user_cache_dir(APP_NAME, appauthor=False))


def usage_db() -> Path:
    return data_dir() / USAGE_FILE


def tokenizers_dir() -> Path:
    return cache_dir() / "tokenizers"
