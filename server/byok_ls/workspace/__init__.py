"""The user's workspace: its folders, which paths are inside them, which files are never read."""

from byok_ls.workspace.exclusion import clear_ignore_cache, is_excluded, is_secret_file
from byok_ls.workspace.folders import Workspace, uri_to_path

__all__ = ["Workspace", "clear_ignore_cache", "is_excluded", "is_secret_file", "uri_to_path"]
