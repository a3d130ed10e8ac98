"""Outputs appear whole or not at all, also when a stage is killed."""

import os
import signal
import subprocess
import sys

from usqc.outputs import atomic_outputs

KILLABLE = """
import sys, time
from pathlib import Path
from usqc import stage
from usqc.outputs import atomic_outputs

def main():
    with atomic_outputs(sys.argv[1]) as (temp,):
        Path(temp).write_text("half")
        print("writing", flush=True)
        time.sleep(60)

stage.run(main)
"""


def test_sigterm_removes_the_temporary_output_and_exits_143(tmp_path):
    final = tmp_path / "out" / "metrics.json"
    script = tmp_path / "killable.py"
    script.write_text(KILLABLE)
    child = subprocess.Popen([sys.executable, str(script), str(final)], stdout=subprocess.PIPE, text=True)
    assert child.stdout.readline().strip() == "writing"
    assert list((tmp_path / "out").glob(".tmp*"))
    child.send_signal(signal.SIGTERM)
    assert child.wait(timeout=30) == 143
    assert not (tmp_path / "out").exists()  # neither the temporary nor the folder it created


def test_a_sigkilled_runs_temporary_is_removed_by_the_next_run_and_a_live_ones_kept(tmp_path):
    final = tmp_path / "model.keras"
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    left = tmp_path / f".tmp{dead.pid}.model.keras"
    left.mkdir()
    (left / "weights").write_text("partial")
    running = tmp_path / f".tmp{os.getppid()}.model.keras"  # a writer that is still alive
    running.write_text("in progress")
    with atomic_outputs(final) as (temp,):
        temp.write_text("whole")
    assert final.read_text() == "whole"
    assert not left.exists() and running.exists()
