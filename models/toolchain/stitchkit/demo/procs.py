"""Run independent training jobs as parallel child processes (one thread each), logs to files."""
from __future__ import annotations

import os
import subprocess
import sys
from typing import List, Sequence


class ChildJobs:
    """``python -m <args>`` per job, all started at once, each writing its own log file.

    Children inherit the environment (PYTHONPATH) and the niceness of this process. :meth:`wait` raises if
    any child failed; leaving the ``with`` block early terminates children still running.
    """

    def __init__(self, jobs: Sequence[Sequence[str]], logs: Sequence[str]):
        self.jobs, self.logs = [list(j) for j in jobs], list(logs)
        self.procs: List[subprocess.Popen] = []
        self._handles = []

    def start(self) -> "ChildJobs":
        for args, log in zip(self.jobs, self.logs):
            os.makedirs(os.path.dirname(log) or ".", exist_ok=True)
            handle = open(log, "a")
            self._handles.append(handle)
            self.procs.append(subprocess.Popen([sys.executable, "-m", *args], stdout=handle, stderr=subprocess.STDOUT))
        return self

    def wait(self) -> None:
        codes = [p.wait() for p in self.procs]
        self._close()
        failed = [(" ".join(a), log) for a, log, c in zip(self.jobs, self.logs, codes) if c != 0]
        if failed:
            raise RuntimeError("child jobs failed: " + "; ".join(f"{a} (see {log})" for a, log in failed))

    def _close(self) -> None:
        for h in self._handles:
            h.close()
        self._handles = []

    def __enter__(self) -> "ChildJobs":
        return self.start()

    def __exit__(self, *exc) -> None:
        for p in self.procs:
            if p.poll() is None:
                p.terminate()
                p.wait()
        self._close()


def run_parallel(jobs: Sequence[Sequence[str]], logs: Sequence[str]) -> None:
    """Start every job, wait for all; raise if any fails."""
    with ChildJobs(jobs, logs) as children:
        children.wait()
