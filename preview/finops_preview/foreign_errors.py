"""Errors from other services (boto3, Cost Explorer, an endpoint such as moto) in one short line.

An AWS error carries a code and a message; an endpoint that is not AWS (a proxy, a local server
without the operation) may answer with an HTML page, which botocore pastes into its message
(``... (reached max retries: 2): <!doctype html>``). The user gets the code and message, or,
for a page, that a page came where an API answer was expected -- never the page itself.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

_HTML = re.compile(r"<\s*(?:!doctype\s+html|html|head|body)\b", re.IGNORECASE)
_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)
_LIMIT = 160


def _one_line(text: str, limit: int = _LIMIT) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def summarise_error(exc: BaseException) -> str:
    """``ExceptionType: what went wrong`` in at most about 200 characters, HTML bodies summarised."""
    name = type(exc).__name__
    response = getattr(exc, "response", None)
    error = response.get("Error") if isinstance(response, Mapping) else None
    meta = response.get("ResponseMetadata") if isinstance(response, Mapping) else None
    status = meta.get("HTTPStatusCode") if isinstance(meta, Mapping) else None
    text = str(exc)
    match = _HTML.search(text)
    if match:
        title = _TITLE.search(text)
        before = text[: match.start()].rstrip(" :")
        page = f"an HTML page{f' ({_one_line(title.group(1), 60)})' if title else ''}"
        status_text = f", HTTP {status}" if status else ""
        return (f"{name}: {_one_line(before, 120)}: {page}{status_text} where an AWS API answer was expected "
                "(is AWS_ENDPOINT_URL right? does the endpoint serve this operation?)")
    if isinstance(error, Mapping) and error.get("Code"):
        return f"{name}: {error['Code']}: {_one_line(str(error.get('Message') or ''))}".rstrip(": ")
    return f"{name}: {_one_line(text)}"
