"""Monthly cost estimates from a dated on-demand price catalogue (no pulumi imports)."""

from .estimate import Estimate, estimate_resource
from .prices import PriceCatalogue, load_prices

__all__ = ["Estimate", "PriceCatalogue", "estimate_resource", "load_prices"]
