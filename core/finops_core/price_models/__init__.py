"""The pricing models the kinds table names in ``price: {model: ...}``, one module per service group.

Importing this package registers every model in :data:`finops_core.quote.MODELS`.
"""

from . import compute, containers, databases, fixed, network, services

__all__ = ["compute", "containers", "databases", "fixed", "network", "services"]
