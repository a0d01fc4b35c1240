"""The byte-level pre-check decides which files are parsed: it must let every file a rule can fire on
through (the fixtures prove that for each rule), and keep out ordinary code that only shares a word."""

from __future__ import annotations

from pathlib import Path

import pytest

from wce_lint.engine import lint_source, needs_parse, needs_parse_at
from wce_lint.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
CODES = Settings(preview=True).codes()


@pytest.mark.parametrize(
    "source",
    [
        # The words of hand-written losses are common outside ML code (random.py, statistics …).
        "def betavariate(alpha, beta):\n    return gamma(alpha) / gamma(beta)  # as numpy does\n",
        # "focal" in an Ubuntu release name; numpy named in a comment only.
        "RELEASES = {'20.04': 'Focal Fossa'}\n# numpy-like output\n",
        # A framework word after `from` in prose, not an import.
        "'''The cross_entropy helpers, adapted from the\nnumpy docs.'''\n",
        # A relative import of a module whose name starts like a framework's.
        "from .torch_utils import binary_cross_entropy\n",
    ],
)
def test_ordinary_code_is_not_parsed(source: str) -> None:
    assert not needs_parse(source.encode(), CODES)


@pytest.mark.parametrize(
    "imports",
    [
        "import torch",
        "import os, numpy as np",
        "from tensorflow import keras",
        "import tensorflow.keras.losses as L",
        "x = 1; import jax.numpy as jnp",
        "from torchvision.ops import sigmoid_focal_loss",
        "import tf_keras as keras",
        "    from keras import losses  # inside a function",
        "from tensorflow.keras.losses import (",
    ],
)
def test_a_file_importing_a_framework_is_parsed(imports: str) -> None:
    source = f"{imports}\nloss = focal_loss(y, p, gamma=2.0)\n"
    assert needs_parse(source.encode(), CODES)


def test_every_fixture_with_an_expected_finding_passes_the_pre_check() -> None:
    fixtures = [path for path in sorted((ROOT / "fixtures").rglob("*.py")) if "# expect: WCE" in path.read_text()]
    assert len(fixtures) > 40
    for path in fixtures:
        if "# expect: WCE000" not in path.read_text():
            # a module of a project fixture may pass only through what it imports from the project
            assert needs_parse_at(path.read_bytes(), str(path), CODES), path


def test_a_file_that_names_no_loss_passes_when_it_imports_a_project_module_that_does(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'p'\n")
    (tmp_path / "losses.py").write_text(
        "import torch.nn.functional as F\n\ndef bce(s, y):\n    return F.binary_cross_entropy_with_logits(s, y)\n")
    (tmp_path / "models.py").write_text(
        "from torch import nn\n\nD = nn.Sequential(nn.Linear(3, 1), nn.Sigmoid())\n")
    (tmp_path / "plain.py").write_text("import os\n\ndef helper(x):\n    return x\n")
    caller = b"import torch\nfrom losses import bce\nfrom models import D\n\nloss = bce(D(torch.zeros(3)), torch.ones(3))\n"
    other = b"import torch\nfrom plain import helper\n\nout = helper(torch.zeros(3))\n"
    assert not needs_parse(caller, CODES)
    assert needs_parse_at(caller, str(tmp_path / "train.py"), CODES)
    assert not needs_parse_at(other, str(tmp_path / "other.py"), CODES)
    (tmp_path / "train.py").write_bytes(caller)
    result = lint_source(caller, str(tmp_path / "train.py"), Settings())
    assert [d.code for d in result.diagnostics] == ["WCE101"]


def test_a_file_the_pre_check_skips_still_gets_its_encoding_checked() -> None:
    result = lint_source(b"x = '\xff'\n", "bad.py", Settings(), may_parse=False)
    assert [d.code for d in result.diagnostics] == ["WCE000"]
    assert not result.parsed
