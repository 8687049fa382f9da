"""Ctrl-C, as a terminal sends it: SIGINT to the whole foreground process group.

The build (or demo) prints one line, exits 130, leaves no temporary file and no process
behind; the parse workers, whatever they were doing (even starting their interpreter),
leave the signal to their parent and print nothing.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.reliability.conftest import processes_with

# Seconds after the demo site is up: the first ones land while the build starts its
# parse workers (their interpreters starting, importing), the later ones mid-crawl.
# (The first few milliseconds of any Python process, before a line of ours runs, are
# out of any program's hands.)
DELAYS = [0.0, 0.02, 0.05, 0.1, 0.2, 0.4, 0.7, 1.2]


def _wait_until_gone(token: str, timeout: float = 10.0) -> list[int]:
    deadline = time.monotonic() + timeout
    while (left := processes_with(token)) and time.monotonic() < deadline:
        time.sleep(0.05)
    return left


@pytest.mark.parametrize("delay", DELAYS)
def test_ctrl_c_during_demo_prints_one_line_and_exits_130(tmp_path: Path, delay: float) -> None:
    token = f"planetrss-interrupt-test-{uuid.uuid4()}"
    env = {
        **os.environ,
        "PLANETRSS_TEST_TOKEN": token,
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "PLANETRSS_CACHE_DIR": str(tmp_path / "cache"),
    }
    out = tmp_path / "out"
    out.mkdir()
    command = [sys.executable, "-m", "planetrss", "demo", "--port", "0", "--latency", "0.05"]
    command += ["--episodes", "400", "--output", str(out / "demo.xml")]
    # A session of its own, like a shell's job: the signal goes to its whole group.
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        assert first.startswith("demo site: "), first
        time.sleep(delay)
        os.killpg(process.pid, signal.SIGINT)
        stdout, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    if process.returncode == 0:
        pytest.skip(f"the demo finished before the signal at {delay} s")  # a very fast machine
    assert process.returncode == 130, stderr
    assert stderr.splitlines()[-1:] == ["planetrss: interrupted"], stderr
    assert "Traceback" not in stderr and "Fatal Python error" not in stderr, stderr
    assert [line for line in stderr.splitlines() if line.strip()] == ["planetrss: interrupted"]
    assert "Traceback" not in stdout
    assert _wait_until_gone(token) == [], "processes left behind"
    assert sorted(p.name for p in out.iterdir()) in ([], ["demo.xml"])  # no temporary file
