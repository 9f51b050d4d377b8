"""LibreOffice headless helpers for tests: forced recalculation, PDF export."""

from __future__ import annotations

import subprocess
from pathlib import Path

from .conftest import soffice

# OOXMLRecalcMode 0 = always recalculate on load, so every formula is computed by LibreOffice
# itself instead of trusting the cached values we wrote.
PROFILE_XCU = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry"
 xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load">
 <prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Formula/Load">
 <prop oor:name="ODFRecalcMode" oor:op="fuse"><value>0</value></prop></item>
</oor:items>
"""


def profile(base: Path) -> str:
    user = base / "lo-profile" / "user"
    user.mkdir(parents=True, exist_ok=True)
    (user / "registrymodifications.xcu").write_text(PROFILE_XCU)
    return (base / "lo-profile").as_uri()


def convert(path: Path, fmt: str, outdir: Path, work: Path) -> Path:
    """Convert with LibreOffice (recalculating on load); return the converted file."""
    binary = soffice()
    outdir.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(
        [binary, f"-env:UserInstallation={profile(work)}", "--headless", "--norestore",
         "--convert-to", fmt, "--outdir", str(outdir), str(path)],
        capture_output=True, text=True, timeout=180)
    target = outdir / (path.stem + "." + fmt.split(":")[0])
    assert result.returncode == 0 and target.exists(), (result.stdout, result.stderr)
    return target


def convert_all(paths: list[Path], fmt: str, outdir: Path, work: Path) -> dict[Path, Path]:
    """Convert several files in one LibreOffice start (each start costs seconds)."""
    binary = soffice()
    outdir.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(
        [binary, f"-env:UserInstallation={profile(work)}", "--headless", "--norestore",
         "--convert-to", fmt, "--outdir", str(outdir), *map(str, paths)],
        capture_output=True, text=True, timeout=600)
    targets = {p: outdir / (p.stem + "." + fmt.split(":")[0]) for p in paths}
    missing = [str(p) for p, t in targets.items() if not t.exists()]
    assert result.returncode == 0 and not missing, (missing, result.stdout, result.stderr)
    return targets
