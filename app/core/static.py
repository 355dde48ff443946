"""Static files served light: a pre-compressed ``<name>.gz`` twin to clients that take gzip,
and a year's caching for files whose name carries their version (they never change in place).

The twins of the vendored scripts are made by ``make vendor`` (``gzip -9 -n``) and committed;
a test checks that each one still holds its file.
"""

from __future__ import annotations

import os
import re
from mimetypes import guess_type

from starlette.datastructures import Headers
from starlette.responses import FileResponse
from starlette.staticfiles import NotModifiedResponse, StaticFiles
from starlette.types import Scope

# A version (htmx-2.0.11.min.js) or a content hash (app.3f9a1c2b.css) in the file name.
VERSIONED = re.compile(r"[-.](\d+\.\d+\.\d+|[0-9a-f]{8,})[-.]")
FOREVER = "public, max-age=31536000, immutable"


def accepts_gzip(headers: Headers) -> bool:
    """Whether the client takes gzip (by name or as *, unless with q=0)."""
    for part in headers.get("accept-encoding", "").lower().split(","):
        name, _, params = part.strip().partition(";")
        if name.strip() in ("gzip", "*"):
            quality = params.strip()
            if not quality.startswith("q="):
                return True
            try:
                return float(quality[2:]) > 0
            except ValueError:
                return False
    return False


class CompressedStaticFiles(StaticFiles):
    """StaticFiles that prefers a file's gzip twin and caches versioned files for a year."""

    def file_response(
        self,
        full_path: str | os.PathLike[str],
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> FileResponse | NotModifiedResponse:
        """Serve the gzip twin when there is one and the client takes it."""
        path = os.fspath(full_path)
        twin = path + ".gz"
        headers = Headers(scope=scope)
        has_twin = not path.endswith(".gz") and os.path.isfile(twin)
        if has_twin and accepts_gzip(headers):
            response = FileResponse(
                twin,
                status_code=status_code,
                stat_result=os.stat(twin),
                media_type=guess_type(path)[0] or "text/plain",
                headers={"Content-Encoding": "gzip"},
            )
        else:
            response = FileResponse(path, status_code=status_code, stat_result=stat_result)
        if has_twin:
            response.headers["Vary"] = "Accept-Encoding"
        if VERSIONED.search(os.path.basename(path)):
            response.headers["Cache-Control"] = FOREVER
        if self.is_not_modified(response.headers, headers):
            return NotModifiedResponse(response.headers)
        return response
