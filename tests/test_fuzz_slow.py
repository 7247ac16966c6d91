"""The long fuzz runs: every atheris target in fuzz/targets.py for TIDINGS_FUZZ_SECONDS (default 600) each.

Outside the default test run (`slow` marker). Run them all with

    .venv/bin/python -m pytest -m slow tests/test_fuzz_slow.py

A target fails on a crash (an exception the parser does not document, or a failed check), a hang (one input
over 10 s) or memory over 2 GB; the crashing input is saved under the work directory's crashes/ and the
libFuzzer log is printed. Skipped when atheris is not installed.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from fuzz.targets import TARGETS

ROOT = Path(__file__).resolve().parents[1]
SECONDS = int(os.environ.get("TIDINGS_FUZZ_SECONDS", "600"))

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("target", list(TARGETS))
def test_fuzz_target(target: str, tmp_path: Path) -> None:
    pytest.importorskip("atheris")
    work = Path(os.environ.get("TIDINGS_FUZZ_DIR", tmp_path))
    log = work / f"{target}.log"
    work.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as out:
        # nice: the runs are long and the machine is shared; the budget covers start-up (spaCy, a database).
        code = subprocess.call(["nice", "-n", "19", sys.executable, "-m", "fuzz.targets", target,
                                "--seconds", str(SECONDS), "--work", str(work)],
                               cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, timeout=SECONDS + 600)
    text = log.read_text(errors="replace")
    done = re.search(r"Done (\d+) runs in (\d+) second", text)
    assert code == 0 and done, f"{target} failed (exit {code}); crash input under {work}/crashes\n{text[-6000:]}"
    print(f"{target}: {done.group(1)} executions in {done.group(2)} s")
