"""Importing usqc pins OpenBLAS to its Haswell kernels on x86-64 CPUs with AVX2, before numpy loads it:
an AVX-512 kernel rounds the guard's float64 algebra differently, and a .keras file hashed otherwise."""

import ast
import json
import os
import platform
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

PROBE = (
    "import usqc, numpy, json; from threadpoolctl import threadpool_info; "
    "print(json.dumps([i.get('architecture') for i in threadpool_info() if i.get('internal_api') == 'openblas']))"
)


def openblas_kernels(env: dict) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=REPO, env={**env, "PYTHONPATH": str(REPO)}, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def has_avx2() -> bool:
    cpuinfo = Path("/proc/cpuinfo")
    return platform.machine() == "x86_64" and cpuinfo.is_file() and " avx2" in cpuinfo.read_text()


@pytest.mark.skipif(not has_avx2(), reason="the pin applies to x86-64 CPUs with AVX2")
def test_importing_usqc_first_pins_openblas_to_the_haswell_kernels():
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_CORETYPE"}
    kernels = openblas_kernels(env)
    assert kernels and set(kernels) == {"Haswell"}, kernels


@pytest.mark.skipif(not has_avx2(), reason="the pin applies to x86-64 CPUs with AVX2")
def test_a_core_type_the_user_set_is_kept():
    assert set(openblas_kernels({**os.environ, "OPENBLAS_CORETYPE": "Sandybridge"})) == {"Sandybridge"}


@pytest.mark.parametrize("script", sorted((REPO / "stages").glob("*.py")), ids=lambda p: p.name)
def test_every_stage_imports_usqc_before_anything_else(script):
    imports = [n for n in ast.parse(script.read_text()).body if isinstance(n, ast.Import | ast.ImportFrom)]
    first = imports[0]
    assert isinstance(first, ast.Import) and [a.name for a in first.names] == ["usqc"], script.name
