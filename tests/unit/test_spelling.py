"""Messages name settings the way the front end that shows them spells them."""

from __future__ import annotations

from byok_ls.spelling import spell


def test_cli_flags_replace_wire_and_file_names() -> None:
    message = "Cannot save the API key: set the provider's apiKeyEnv, or pass apiKey."
    assert spell(message, "cli") == (
        "Cannot save the API key: set the provider's --key-env, or pass --key."
    )
    assert spell("model.nCtx: must be greater than 0", "cli") == "--n-ctx: must be greater than 0"
    assert spell("base_url: not a valid URL", "cli") == "--base-url: not a valid URL"


def test_file_and_wire_spellings() -> None:
    assert spell("set allowInsecureHttp: true", "file") == "set allow_insecure_http: true"
    assert spell("api_key_env is unset", "lsp") == "apiKeyEnv is unset"
    # Words that merely contain a field name stay as they are.
    assert spell("myapiKeyEnvironment", "cli") == "myapiKeyEnvironment"
