"""custloyalty.models and its checks import without matplotlib."""

from __future__ import annotations

import subprocess
import sys


def test_models_import_does_not_load_matplotlib() -> None:
    code = (
        "import sys, custloyalty.models\n"
        "from custloyalty.models import BetaGeo, GammaGamma, ShiftedBetaGeo, clv\n"
        "print('matplotlib' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_plotting_module_import_is_lazy() -> None:
    code = "import sys, custloyalty.plotting\nprint('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
