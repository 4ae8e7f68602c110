"""Agent mode: the tool loop that lets a model read, search and (with the user's consent)
change the workspace. Knows nothing of LSP; ``lsp/agent.py`` connects it to the editor."""
