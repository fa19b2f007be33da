"""kerasish._malloc: glibc allocator tuning at import, and its opt-out."""
import os
import platform
import subprocess
import sys

import pytest

pytestmark = pytest.mark.skipif(platform.system() != "Linux" or platform.libc_ver()[0] != "glibc",
                                reason="the tuning applies to glibc only")


def applied(env_extra):
    code = "import kerasish._malloc as m; print(m.applied)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={**os.environ, **env_extra}, check=True)
    return out.stdout.strip()


def test_thresholds_are_set_at_import():
    assert applied({"KERASISH_NO_MALLOPT": "0"}) == "True"


def test_opt_out_with_environment_variable():
    assert applied({"KERASISH_NO_MALLOPT": "1"}) == "False"
