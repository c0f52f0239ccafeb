"""The top-level command: version, help, and one-line usage errors with exit status 2."""

from __future__ import annotations

import pytest

import symhard
from symhard.cli import main


def test_version(capsys):
    main(["--version"])  # returns normally: exit status 0
    assert capsys.readouterr().out.strip() == f"symhard {symhard.__version__}"


@pytest.mark.parametrize("argv, fragment", [
    (["--bogus"], "No such option: --bogus"),
    (["check", "no-such-family"], "No such command"),
    (["families", "--json", "extra"], "unexpected extra argument"),
    (["reproduce", "--executor", "slurm"], "'slurm' is not one of 'serial', 'process', 'ray'"),
    (["reproduce", "--device", "tpu"], "'tpu' is not one of 'auto', 'cpu', 'cuda'"),
    (["reproduce", "--repair", "--force", "--out", "/nonexistent/x"], "--repair and --force exclude each other"),
    (["reproduce", "--address", "auto", "--out", "/nonexistent/x"], "--address only applies to --executor ray"),
    (["separate", "--group", "cyclic:8", "--k", "9"], "k == 9 exceeds the number of coordinates n == 8"),
    (["separate", "--steps", "0"], "steps == 0, must be >= 1"),
])
def test_usage_errors_are_one_line_exit_2(argv, fragment, capsys):
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith("symhard: error:")
    assert fragment.lower() in err.lower()


def test_every_registered_family_has_a_check_command(capsys):
    from symhard.families.base import all_families

    main(["check", "--help"])
    help_text = capsys.readouterr().out
    for name in all_families():
        assert name in help_text
