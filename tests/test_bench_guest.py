"""User code is a guest: every failure of a user's model or learner is one line naming the user's file and line.

Each case writes a small user file and runs ``symhard bench`` in a subprocess: exit status 2, one
line on stderr starting ``symhard: error:`` (beside the ``[bench]`` progress lines), the user's
file and the line of the failure in it, no traceback, nothing written.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

_NET = """
import math
import sys
import torch
from torch import nn

class Net(nn.Module):
    def __init__(self, n):
        super().__init__()
        self.w = nn.Linear(1, 4)

    def forward(self, x):
        {forward}

def make_model(info):
    {factory}
"""

_LEARN = """
import sys
import torch

def learn(sample, budget):
    {learn}
"""

CASES = {
    # name: (kind, source, text expected in the message, text of the line the message names)
    "factory-raises": ("model", _NET.format(forward="return x.sum(1)", factory="raise ValueError('no width for this task')  # HERE"),
                       "your model raised ValueError while building the model (make_model)", "# HERE"),
    "factory-exits": ("model", _NET.format(forward="return x.sum(1)", factory="sys.exit(3)  # HERE"),
                      "your model called sys.exit(3) while building the model", "# HERE"),
    "factory-returns-int": ("model", _NET.format(forward="return x.sum(1)", factory="return 7"),
                            "make_model must return a torch.nn.Module, got int", "def make_model"),
    "forward-raises": ("model", _NET.format(forward="raise RuntimeError('shape mismatch in my layer')  # HERE",
                                            factory="return Net(info.input_shapes[0][0])"),
                       "your model raised RuntimeError while running its forward", "# HERE"),
    "wrong-shape": ("model", _NET.format(forward="return self.w(x[..., None]).sum(1).repeat(1, 3)",
                                         factory="return Net(info.input_shapes[0][0])"),
                    "the model must return shape [B] or [B, 1] with B = 4, got (4, 12)", "def forward"),
    "wrong-type": ("model", _NET.format(forward="return [0.0] * x.shape[0]", factory="return Net(info.input_shapes[0][0])"),
                   "the model must return a tensor of shape [B] or [B, 1], got list", "def forward"),
    "nan-output": ("model", _NET.format(forward="return self.w(x[..., None]).sum((1, 2)) * math.nan",
                                        factory="return Net(info.input_shapes[0][0])"),
                   "the model returned NaN or inf on 64 task inputs before training", "def make_model"),
    "learner-raises": ("learner", _LEARN.format(learn="raise KeyError('budget')  # HERE"),
                       "your learner raised KeyError while learning", "# HERE"),
    "learner-exits": ("learner", _LEARN.format(learn="sys.exit('done')  # HERE"), "your learner called sys.exit('done')", "# HERE"),
    "learner-returns-no-callable": ("learner", _LEARN.format(learn="return 3"),
                                    "the learner must return a callable predict(*inputs) -> [B], got int", "def learn"),
    "predict-raises": ("learner", _LEARN.format(learn="return lambda x: x.nonexistent()  # HERE"),
                       "your learner raised AttributeError while running predict", "# HERE"),
    "predict-nan": ("learner", _LEARN.format(learn="return lambda x: torch.full((x.shape[0],), float('nan'))"),
                    "the learner returned NaN or inf on 64 task inputs before training", "def learn"),
    "predict-text": ("learner", _LEARN.format(learn="return lambda x: 'zero'"),
                     "predict must return a tensor or array of numbers [B], got str", "def learn"),
    "import-raises": ("model", "import torch\nraise ImportError('needs my_private_lib')  # HERE\n",
                      "importing model file", "# HERE"),
    "import-exits": ("model", "import sys\nsys.exit(1)  # HERE\n", "called sys.exit(1)", "# HERE"),
}


def _line_of(source: str, marker: str) -> int:
    """The line of ``source`` that contains ``marker``: where the failure is, or the definition the message names."""
    lines = [i for i, line in enumerate(source.splitlines(), 1) if marker in line]
    assert len(lines) == 1, marker
    return lines[0]


def _argv(case: str, folder: Path) -> tuple[list[str], Path, str]:
    kind, source, _, _ = CASES[case]
    folder.mkdir(parents=True, exist_ok=True)
    user = folder / "user_code.py"
    user.write_text(textwrap.dedent(source))
    fn = "make_model" if kind == "model" else "learn"
    argv = ["bench", f"--{kind}", f"{user}:{fn}", "--family", "boolean", "--sweep", "n=4", "--budget-samples", "100",
            "--budget-steps", "2", "--seeds", "1", "--batch-size", "16", "--n-test", "16", "--out", str(folder / "out")]
    return argv, user, textwrap.dedent(source)


_DRIVER = """
import contextlib, io, json, sys
from symhard.cli import main
out = {}
for case, argv in json.loads(sys.argv[1]).items():
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        try:
            main(argv)
            code = 0
        except SystemExit as exc:
            code = exc.code
    out[case] = [code, err.getvalue()]
print(json.dumps(out))
"""

_ENV = {**os.environ, "PYTHONPATH": str(REPO / "src"), "OMP_NUM_THREADS": "1"}


@pytest.fixture(scope="module")
def driven(tmp_path_factory):
    """Every case through ``symhard.cli.main`` in one subprocess (one torch import for all of them)."""
    root = tmp_path_factory.mktemp("guest")
    argvs = {case: _argv(case, root / case)[0] for case in CASES}
    proc = subprocess.run([sys.executable, "-c", _DRIVER, json.dumps(argvs)], capture_output=True, text=True,
                          env=_ENV, timeout=300, cwd=root)
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
    return root, json.loads(proc.stdout)


def _check(case: str, code: int, stderr: str, user: Path, source: str) -> None:
    _, _, expected, marker = CASES[case]
    lines = [line for line in stderr.splitlines() if not line.startswith("[bench] ")]  # progress lines
    assert code == 2, stderr
    assert "Traceback" not in stderr
    assert len(lines) == 1 and lines[0].startswith("symhard: error:"), stderr
    assert expected in lines[0], lines[0]
    assert f"{user}:{_line_of(source, marker)}" in lines[0], lines[0]
    assert not (user.parent / "out").exists()  # the failed run wrote nothing


@pytest.mark.parametrize("case", sorted(CASES))
def test_user_code_failure_is_one_line_naming_file_and_line(case, driven):
    root, results = driven
    code, stderr = results[case]
    _check(case, code, stderr, root / case / "user_code.py", textwrap.dedent(CASES[case][1]))


@pytest.mark.slow
@pytest.mark.parametrize("case", ["forward-raises", "learner-exits"])
def test_user_code_failure_through_the_symhard_command(case, tmp_path):
    """The same through the ``symhard`` command in its own process: status 2, one line, no traceback."""
    argv, user, source = _argv(case, tmp_path)
    proc = subprocess.run([sys.executable, "-m", "symhard", *argv], capture_output=True, text=True, env=_ENV,
                          timeout=120, cwd=tmp_path)
    _check(case, proc.returncode, proc.stderr, user, source)
