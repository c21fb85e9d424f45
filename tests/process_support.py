"""Child processes released together: for tests where several processes contend."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Sequence
from typing import Any


def run_together(commands: Sequence[Sequence[str]], *, timeout: float = 120.0) -> list[Any]:
    """Start every command; once each has printed ``ready``, send each one line on stdin
    (the release), then return the JSON each printed last. Every one must exit 0."""
    children = [
        subprocess.Popen(list(argv), stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        for argv in commands
    ]
    try:
        for child in children:
            assert child.stdout is not None
            assert child.stdout.readline() == "ready\n"
        # All ready: released together, so that they do contend.
        for child in children:
            assert child.stdin is not None
            child.stdin.write("go\n")
            child.stdin.flush()
        outputs = [child.communicate(timeout=timeout)[0] for child in children]
    finally:
        for child in children:
            if child.poll() is None:
                child.kill()
                child.wait()
    assert [child.returncode for child in children] == [0] * len(children)
    return [json.loads(output.strip().splitlines()[-1]) for output in outputs]
