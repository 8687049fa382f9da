"""The demo server's wire faults, as a plain HTTP client sees them (the tools the other
reliability tests are built with)."""

from __future__ import annotations

import time

import httpx
import pytest

from planetrss.demo import DemoServer, DemoSite, Fault

BODY = bytes(range(256)) * 400  # 100 KB


def test_wire_faults_look_like_the_real_thing() -> None:
    faults = {
        "/truncated": Fault(200, body=BODY[:1000], content_length=len(BODY)),
        "/reset": Fault(200, body=BODY[:50_000], content_length=len(BODY), reset=True),
        "/unframed": Fault(200, {"X-Test": "1"}, BODY, framed=False),
        "/hung": Fault(200, body=b"too late", delay=2.0),
    }
    with (
        DemoServer(DemoSite(episodes=10)) as server,
        httpx.Client(base_url=server.origin, timeout=0.3) as client,
    ):
        server.fault = faults.get
        with pytest.raises(httpx.RemoteProtocolError, match=r"incomplete|without sending complete"):
            client.get("/truncated")
        with pytest.raises(httpx.ReadError, match="reset"):
            client.get("/reset")
        unframed = client.get("/unframed")
        assert unframed.content == BODY and "content-length" not in unframed.headers
        assert unframed.headers["x-test"] == "1"
        with pytest.raises(httpx.ReadTimeout):
            client.get("/hung")
        # After every fault the server still answers, on a fresh connection.
        assert client.get("/robots.txt").status_code == 200
        began = time.perf_counter()
    assert time.perf_counter() - began < 1.0  # a hung answer does not hold up stopping
    assert server.requests == 5
