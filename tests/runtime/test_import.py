"""Import behaviour: lazy TensorFlow, a helpful ImportError without it, nothing heavy at ``import wce_lint``."""

from __future__ import annotations

import subprocess
import sys

from tests.runtime.conftest import ROOT


def run_python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "TF_CPP_MIN_LOG_LEVEL": "2"})


def test_import_without_tensorflow_says_how_to_install() -> None:
    result = run_python(
        "import sys\n"
        "sys.modules['tensorflow'] = None\n"
        "try:\n"
        "    import wce_lint.runtime\n"
        "except ImportError as error:\n"
        "    print('IMPORT-ERROR:', error)\n"
        "else:\n"
        "    print('imported')\n"
    )
    assert result.returncode == 0, result.stderr
    assert "IMPORT-ERROR:" in result.stdout, result.stdout
    assert 'pip install "wce-lint[runtime]"' in result.stdout
    assert "tensorflow" in result.stdout


def test_import_with_tensorflow_blocked_by_a_meta_path_finder() -> None:
    result = run_python(
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] == 'tensorflow':\n"
        "            raise ImportError('blocked for the test')\n"
        "        return None\n"
        "sys.meta_path.insert(0, Block())\n"
        "try:\n"
        "    from wce_lint.runtime import validate\n"
        "except ImportError as error:\n"
        "    print('IMPORT-ERROR:', error)\n"
    )
    assert 'IMPORT-ERROR: wce_lint.runtime needs tensorflow' in result.stdout, result.stdout + result.stderr
    assert 'pip install "wce-lint[runtime]"' in result.stdout


def test_imports_are_lazy() -> None:
    # `import wce_lint` pulls in neither NumPy nor TensorFlow; `import wce_lint.runtime` (what the pytest
    # plugin costs) does not import TensorFlow either; the first check does.
    result = run_python(
        "import sys\n"
        "import wce_lint\n"
        "print('after wce_lint:', 'numpy' in sys.modules, 'tensorflow' in sys.modules)\n"
        "import wce_lint.runtime, wce_lint.pytest_plugin\n"
        "print('after runtime:', 'tensorflow' in sys.modules)\n"
        "from wce_lint.runtime import validate\n"
        "print('after import validate:', 'tensorflow' in sys.modules)\n"
        "validate([1.0, 0.0], [2.0, -1.0])\n"
        "print('after validate():', 'tensorflow' in sys.modules)\n"
    )
    assert result.returncode == 0, result.stderr
    assert "after wce_lint: False False" in result.stdout
    assert "after runtime: False" in result.stdout
    assert "after import validate: False" in result.stdout
    assert "after validate(): True" in result.stdout


def test_public_api() -> None:
    import wce_lint.runtime as runtime

    for name in ("validate", "check", "WCELossError", "Finding", "compare_to_reference", "ComparisonReport",
                 "guard", "reference"):
        assert name in runtime.__all__
        assert getattr(runtime, name) is not None
    assert issubclass(runtime.WCELossError, ValueError)
    assert callable(runtime.reference.weighted_sigmoid_cross_entropy)


def test_pytest_plugin_loads_without_tensorflow() -> None:
    # The pytest11 entry point is loaded by every pytest run: an install without the runtime extra must not break it.
    result = run_python(
        "import sys\n"
        "sys.modules['tensorflow'] = None  # as if TensorFlow were not installed\n"
        "import wce_lint.pytest_plugin\n"
        "print('plugin ok', 'tensorflow' in sys.modules and sys.modules['tensorflow'] is not None)\n"
    )
    assert result.returncode == 0, result.stderr
    assert "plugin ok False" in result.stdout
