"""Test doubles that the server process loads by name (``PYTHON_KEYRING_BACKEND``)."""
