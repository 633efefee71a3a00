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
