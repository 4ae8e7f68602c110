"""Built-in provider templates, loaded from the YAML data files beside this module."""

from __future__ import annotations

import functools
from importlib import resources

from ruamel.yaml import YAML

from byok_ls.config.schema import Template
from byok_ls.errors import ByokError, ErrorKind


@functools.cache
def templates() -> dict[str, Template]:
    """All templates by id, in a stable display order (cloud first, then local, custom last)."""
    loader = YAML(typ="safe", pure=True)
    found: list[Template] = []
    folder = resources.files("byok_ls.config") / "templates"
    for entry in folder.iterdir():
        if entry.name.endswith(".yaml"):
            found.append(Template.model_validate(loader.load(entry.read_text("utf-8"))))
    found.sort(key=lambda t: (t.id == "custom", t.local, t.name.lower()))
    return {t.id: t for t in found}


def get_template(template_id: str, field: str = "template") -> Template:
    template = templates().get(template_id)
    if template is None:
        known = ", ".join(templates())
        raise ByokError(
            ErrorKind.INVALID_PARAMS,
            f"{field}: unknown template {template_id!r} (known: {known})",
            field=field,
        )
    return template
