"""Each stage's usqc deps in dvc.yaml are exactly its script's import closure inside usqc/."""

import ast
from pathlib import Path

import pytest
import yaml

from tests.conftest import REPO


def imported_modules(path: Path, root: Path) -> set[str]:
    """Files (usqc/x.py) or packages (usqc/phantom) that `path` imports from usqc; any import from usqc
    runs usqc/__init__.py (it pins OpenBLAS's kernels, so it shapes the outputs)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "usqc":
            if node.module != "usqc":
                names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names if alias.name.split(".")[0] == "usqc")
    found = {"usqc/__init__.py"} if names else set()
    for name in names - {"usqc"}:
        relative = Path(*name.split("."))
        if (root / relative.with_suffix(".py")).is_file():
            found.add(relative.with_suffix(".py").as_posix())
        elif (root / relative / "__init__.py").is_file():
            found.add(relative.as_posix())
    return found


def import_closure(script: str, root: Path = REPO) -> set[str]:
    seen: set[str] = set()
    todo = [script]
    while todo:
        target = root / todo.pop()
        for source in sorted(target.glob("*.py")) if target.is_dir() else [target]:
            for dep in imported_modules(source, root) - seen:
                seen.add(dep)
                todo.append(dep)
    # a package's own modules are covered by the package folder
    return {dep for dep in seen if not any(dep.startswith(f"{p}/") for p in seen)}


STAGES = yaml.safe_load((REPO / "dvc.yaml").read_text())["stages"]


@pytest.mark.parametrize("name", sorted(STAGES))
def test_usqc_deps_are_the_script_import_closure(name):
    deps = STAGES[name]["deps"]
    script = next(d for d in deps if d.startswith("stages/"))
    listed = {d for d in deps if d.startswith("usqc")}
    closure = import_closure(script)
    assert listed == closure, f"missing: {sorted(closure - listed)}, not imported: {sorted(listed - closure)}"


def test_the_closure_sees_an_added_import_and_what_it_imports(tmp_path):
    (tmp_path / "usqc").symlink_to(REPO / "usqc")
    (tmp_path / "stages").mkdir()
    script = (REPO / "stages" / "ingest.py").read_text()
    (tmp_path / "stages" / "ingest.py").write_text(script + "\nfrom usqc import saliency  # noqa: E402\n")
    added = import_closure("stages/ingest.py", tmp_path) - import_closure("stages/ingest.py")
    assert added == {
        "usqc/saliency.py", "usqc/calibration.py", "usqc/corruptions.py", "usqc/guard.py", "usqc/models.py",
        "usqc/training.py", "usqc/backend.py", "usqc/model_input.py", "usqc/domain_distance.py",
        "usqc/temperature_scaling.py",
    }  # fmt: skip
