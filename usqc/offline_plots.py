"""`dvc plots show` without a network.

DVC's default page loads vega, vega-lite and vega-embed from a CDN, so on an offline machine it is
blank. Here the same page is rendered through an HTML template that inlines those libraries, as
bundled by the `vl-convert-python` package, and every vega plot is also written as a PNG (drawn by
the same package, no browser needed) for readers without JavaScript.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import vl_convert

from usqc.errors import UsqcError

# DVC fills {plot_divs}; with no {scripts} placeholder its CDN <script> tags have nowhere to go.
_PAGE = """<!DOCTYPE html>
<html>
<head>
  <meta charset="utf-8">
  <title>usqc plots (offline)</title>
  <script type="text/javascript">
{bundle}
  </script>
  <style>body {{ font-family: sans-serif; }} table {{ border-spacing: 15px; }}</style>
</head>
<body>
  {{plot_divs}}
</body>
</html>
"""


def vega_lite_version() -> str:
    """The newest Vega-Lite 5.x that vl-convert ships: DVC's templates are written for v5."""
    versions = [v for v in vl_convert.get_vegalite_versions() if v.startswith("5.")]
    return max(versions, key=lambda v: tuple(int(part) for part in v.split(".")))


def page_template() -> str:
    """A DVC HTML template with vega, vega-lite and vega-embed inlined."""
    bundle = vl_convert.javascript_bundle(vl_version=vega_lite_version()).replace("</script", "<\\/script")
    return _PAGE.format(bundle=bundle)


def slug(plot_id: str) -> str:
    """A file name for a plot id (a title or a path)."""
    return re.sub(r"[^A-Za-z0-9]+", "_", plot_id).strip("_").lower()[:80] or "plot"


def vega_specs(shown: dict) -> dict[str, dict]:
    """plot id -> Vega-Lite spec (data inlined) from `dvc plots show --json` output."""
    specs = {}
    for plot_id, entries in shown.get("data", {}).items():
        for entry in entries:
            if entry.get("type") == "vega":
                specs[plot_id] = entry["content"]
    return specs


def _dvc(repo: Path, *args: str) -> str:
    result = subprocess.run([sys.executable, "-m", "dvc", *args], cwd=repo, capture_output=True, text=True)
    if result.returncode != 0:
        reason = (result.stderr.strip().splitlines() or ["no message"])[-1]
        raise UsqcError(f"dvc {' '.join(args[:2])} failed in {repo} ({reason}); run dvc repro first")
    return result.stdout


def render(repo: Path, out: Path, png: bool = True) -> list[Path]:
    """Write out/index.html (offline vega) and, with `png`, out/png/<plot>.png for every vega plot.

    Returns the files written.
    """
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        template = Path(tmp) / "offline.html"
        template.write_text(page_template())
        _dvc(repo, "plots", "show", "--html-template", str(template), "-o", str(out.resolve()))
    written = [out / "index.html"]
    if png:
        (out / "png").mkdir(exist_ok=True)
        for plot_id, spec in vega_specs(json.loads(_dvc(repo, "plots", "show", "--json"))).items():
            path = out / "png" / f"{slug(plot_id)}.png"
            path.write_bytes(vl_convert.vegalite_to_png(spec, scale=1.5))
            written.append(path)
    return written
