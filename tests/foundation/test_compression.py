"""Lighter pages: responses above a kilobyte are gzipped; vendored scripts come pre-compressed
from committed .gz twins, cached for a year because their names carry their version."""

from __future__ import annotations

import gzip

import pytest
from fastapi.testclient import TestClient
from starlette.datastructures import Headers

from app.core.static import FOREVER, accepts_gzip
from app.main import STATIC_DIR

VENDORED = sorted(
    path for path in (STATIC_DIR / "vendor").iterdir() if path.suffix in (".js", ".css")
)


@pytest.mark.parametrize("path", VENDORED, ids=lambda path: path.name)
def test_each_vendored_file_has_an_up_to_date_gzip_twin(path) -> None:  # type: ignore[no-untyped-def]
    twin = path.with_name(path.name + ".gz")
    assert twin.is_file(), f"{twin.name} is missing: run `make vendor-gzip`"
    assert gzip.decompress(twin.read_bytes()) == path.read_bytes(), "run `make vendor-gzip`"


def test_no_gzip_twin_is_left_without_its_file() -> None:
    for twin in (STATIC_DIR / "vendor").glob("*.gz"):
        assert twin.with_suffix("").is_file(), twin.name


def test_vendored_script_is_sent_compressed_and_cached_for_a_year(client: TestClient) -> None:
    name = next(path.name for path in VENDORED if path.name.startswith("htmx-"))
    zipped = client.get(f"/static/vendor/{name}", headers={"Accept-Encoding": "gzip, br"})
    assert zipped.status_code == 200
    assert zipped.headers["content-encoding"] == "gzip"
    assert zipped.headers["content-type"].startswith(("text/javascript", "application/javascript"))
    assert (
        int(zipped.headers["content-length"])
        == (STATIC_DIR / "vendor" / (name + ".gz")).stat().st_size
    )
    assert zipped.content == (STATIC_DIR / "vendor" / name).read_bytes()  # httpx unzips
    assert zipped.headers["cache-control"] == FOREVER
    assert zipped.headers["vary"] == "Accept-Encoding"
    plain = client.get(f"/static/vendor/{name}", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers
    assert plain.content == zipped.content and plain.headers["cache-control"] == FOREVER
    again = client.get(
        f"/static/vendor/{name}",
        headers={"Accept-Encoding": "gzip", "If-None-Match": zipped.headers["etag"]},
    )
    assert again.status_code == 304


def test_own_static_files_without_a_version_keep_a_short_cache(client: TestClient) -> None:
    response = client.get("/static/app.css", headers={"Accept-Encoding": "gzip"})
    assert response.headers["cache-control"] == "public, max-age=3600"
    assert response.headers["content-encoding"] == "gzip"  # compressed on the fly, > 1 kB


def test_pages_above_a_kilobyte_are_gzipped(client: TestClient) -> None:
    page = client.get("/sign-in", headers={"Accept-Encoding": "gzip"})
    assert page.status_code == 200 and len(page.content) > 1000
    assert page.headers["content-encoding"] == "gzip"
    small = client.get("/api/v1/no-such-thing", headers={"Accept-Encoding": "gzip"})
    assert len(small.content) < 500 and "content-encoding" not in small.headers


def test_pages_that_echo_a_query_or_a_form_are_not_compressed(client: TestClient) -> None:
    # BREACH: text an attacker puts in a page must not share a compressed body with the token.
    echoed = client.get("/sign-in?next=/my-day", headers={"Accept-Encoding": "gzip"})
    assert echoed.status_code == 200 and len(echoed.content) > 1000
    assert 'name="csrftoken"' in echoed.text
    assert "content-encoding" not in echoed.headers
    posted = client.post(
        "/sign-in",
        data={"email": "nobody@example.no", "password": "x" * 40},
        headers={"Accept-Encoding": "gzip"},
    )
    assert "content-encoding" not in posted.headers
    api = client.get("/api/openapi.json?x=1", headers={"Accept-Encoding": "gzip"})
    assert api.headers["content-encoding"] == "gzip"


@pytest.mark.parametrize(
    ("header", "takes"),
    [
        ("gzip", True),
        ("gzip;q=0", False),
        ("br, *", True),
        ("identity", False),
        ("", False),
        ("deflate, gzip;q=0.5", True),
        ("gzip;q=nonsense", False),
    ],
)
def test_accepts_gzip_reads_the_header(header: str, takes: bool) -> None:
    assert accepts_gzip(Headers({"accept-encoding": header})) is takes
