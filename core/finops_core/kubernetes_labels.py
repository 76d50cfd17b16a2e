"""Kubernetes label syntax, as the API server enforces it.

A label value is empty, or at most 63 characters of letters, digits, ``-``, ``_`` and ``.``
that start and end with a letter or digit. A label name is such a name part, optionally after
a DNS-subdomain prefix of at most 253 characters and a ``/`` (``example.com/team``).
"""

from __future__ import annotations

import re

_NAME_PART = re.compile(r"^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$")
_PREFIX = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
MAX_PREFIX = 253

LABEL_VALUE_RULE = ("at most 63 characters: letters, digits, '-', '_' and '.', starting and ending with a letter "
                    "or digit (or empty)")


def is_label_value(value: str) -> bool:
    return value == "" or bool(_NAME_PART.match(value))


def is_label_name(name: str) -> bool:
    prefix, slash, part = name.rpartition("/")
    if slash and not (len(prefix) <= MAX_PREFIX and _PREFIX.match(prefix)):
        return False
    return bool(_NAME_PART.match(part))
