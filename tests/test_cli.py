"""The dmabuf-lab command: wiring, and staying usable when a dependency is missing."""
import subprocess
import sys
import textwrap


def test_bench_works_without_the_notebook_stack():
    """On a GPU box with only numpy/numba the bench subcommand must still parse,
    and a subcommand whose package is missing says which package it needs."""
    code = textwrap.dedent("""
        import sys
        class Block:
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in ("polars", "altair"):
                    raise ModuleNotFoundError(f"No module named '{name}'", name=name)
                return None
        sys.meta_path.insert(0, Block())
        from dmabuf_lab.cli import build_parser, main
        parser, modules = build_parser()
        assert "bench" in modules and "topology" in modules
        args = parser.parse_args(["bench", "--quick", "--no-write", "--sizes", "1000"])
        assert args.quick
        sys.exit(main(["export", "x/y", "--format", "email"]))
    """)
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 2, r.stderr
    assert "needs the Python package 'polars'" in r.stderr


def test_no_command_prints_help():
    from dmabuf_lab.cli import main
    assert main([]) == 2


def test_litmus_does_not_load_the_notebook_stack():
    """`dmabuf-lab litmus` needs neither Polars nor Altair; importing them costs a noticeable fraction of a second."""
    code = textwrap.dedent("""
        import sys
        from dmabuf_lab.cli import main
        rc = main(["litmus", "--revision", "mainline"])
        loaded = sorted(m for m in ("polars", "altair", "vl_convert") if m in sys.modules)
        print("loaded:", loaded)
        sys.exit(rc)
    """)
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert "loaded: []" in r.stdout, r.stdout[-500:]


def test_every_command_and_option_explains_itself():
    import argparse

    from dmabuf_lab.cli import SUBCOMMANDS, build_parser

    parser, modules = build_parser()
    assert set(modules) == set(SUBCOMMANDS)
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    for name, p in sub.choices.items():
        assert p.description and len(p.description) > len(SUBCOMMANDS[name][1]), f"{name}: no description"
        for action in p._actions:
            if action.help == argparse.SUPPRESS or isinstance(action, argparse._HelpAction):
                continue
            assert action.help and len(action.help) > 10, f"dmabuf-lab {name} {action.option_strings or action.dest}"
    top = parser.format_help()
    assert "where to start" in top and "dmabuf-lab ask" in top


def test_version_names_the_commit(capsys):
    import pytest

    from dmabuf_lab.cli import main
    from dmabuf_lab.version import git_commit

    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    out = capsys.readouterr().out.strip()
    assert out.startswith("dmabuf-lab ")
    commit = git_commit()
    if commit is not None:
        assert f"commit {commit}" in out
        head = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
        assert head.startswith(commit.split("-")[0])
