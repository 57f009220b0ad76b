"""Architecture: the core never imports textual or click; import-linter contracts hold."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[1]


def test_core_modules_do_not_load_the_ui():
    # click itself arrives through sqlite-utils, so the direct imports are checked by import-linter below.
    code = ("import sys, hz_timeline.models, hz_timeline.importers.dates, hz_timeline.importers.events,"
            " hz_timeline.store, hz_timeline.store.importing, hz_timeline.export;"
            " bad = [m for m in ('textual', 'hz_timeline.tui', 'hz_timeline.cli') if m in sys.modules];"
            " print(bad); sys.exit(1 if bad else 0)")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert p.returncode == 0, p.stdout + p.stderr


def test_import_linter_contracts_are_kept():
    exe = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    assert exe, "import-linter is a test dependency"
    p = subprocess.run([exe], cwd=ROOT, capture_output=True, text=True)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "KEPT" in p.stdout and "BROKEN" not in p.stdout
