"""Data files of the core: rules, instance catalogue, resource kinds, prices, type lists."""

from pathlib import Path

DATA_DIR = Path(__file__).parent
