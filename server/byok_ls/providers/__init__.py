"""Provider adapters, one module per wire format.

``adapter_for(endpoint)`` gives the adapter for a configured endpoint; ``close_all()``
closes their pooled connections.
"""

from .base import Adapter
from .registry import adapter_for, close_all, make_adapter

__all__ = ["Adapter", "adapter_for", "close_all", "make_adapter"]
