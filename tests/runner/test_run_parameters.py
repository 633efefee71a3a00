"""`run -p` values must fit the parameter cell before anything runs; a refusal leaves build/ untouched."""
from __future__ import annotations

import os

import pytest

from dmabuf_lab import cli
from dmabuf_lab.runner import build_dir
from dmabuf_lab.runner.parameters import MAX_DEPTH, ParameterError, check_params, parse_params, raw_params
from dmabuf_lab.runner.notebook_source import discover

NOTEBOOK = '''# %% [markdown]
# # Typed

# %% tags=["parameters"]
small = False
max_pages = 4096
min_time = 0.2
sizes = [1_000, 10_000]
backend = "auto"
limit: int = None
anything = list(range(3))

# %%
print(max_pages)
'''


@pytest.fixture
def notebooks(tmp_path):
    nbs = tmp_path / "notebooks"
    nbs.mkdir()
    (nbs / "09_typed.py").write_text(NOTEBOOK)
    return discover(nbs)


def _check(notebooks, *items):
    return check_params(parse_params(list(items)), notebooks, raw_params(list(items)))


@pytest.mark.parametrize("item, field_words", [
    ("max_pages=lots", ["'max_pages'", "09_typed", "an integer", "'lots'", "09_typed.py:6"]),
    ("max_pages=1.5", ["'max_pages'", "an integer", "1.5"]),
    ("max_pages=true", ["'max_pages'", "an integer"]),
    ("small=1", ["'small'", "true or false"]),
    ("min_time=NaN", ["'min_time'", "a finite number"]),
    ("min_time=fast", ["'min_time'", "a finite number"]),
    ("sizes=5", ["'sizes'", "a JSON list of integers"]),
    ('sizes=[1,"a"]', ["'sizes'", "a JSON list of integers"]),
    ("limit=big", ["'limit'", "an integer"]),
])
def test_a_value_of_the_wrong_type_names_parameter_and_type(notebooks, item, field_words):
    with pytest.raises(ParameterError) as info:
        _check(notebooks, item)
    text = str(info.value)
    assert "\n" not in text and "field '--params'" in text
    for word in field_words:
        assert word in text, (word, text)


def test_values_that_fit_pass_and_text_parameters_take_the_raw_text(notebooks):
    got = _check(notebooks, "max_pages=8", "min_time=1", "sizes=[5,6]", "backend=123", "small=True",
                 "anything={\"a\": 1}", "limit=3")
    assert got == {"max_pages": 8, "min_time": 1, "sizes": [5, 6], "backend": "123", "small": True,
                   "anything": {"a": 1}, "limit": 3}


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 20_000])
def test_deep_nesting_is_refused_without_parsing(depth):
    with pytest.raises(ParameterError, match=f"deeper than {MAX_DEPTH}"):
        parse_params(["sizes=" + "[" * depth + "]" * depth])


def test_nesting_within_the_bound_and_brackets_in_strings_parse():
    deep = "[" * MAX_DEPTH + "]" * MAX_DEPTH
    want: list = []
    for _ in range(MAX_DEPTH - 1):
        want = [want]
    assert parse_params([f"x={deep}", 'y="' + "[" * 100 + '"']) == {"x": want, "y": "[" * 100}


def _tree(build):
    """Every path under ``build`` (hidden ones too) with its bytes or link target."""
    out = {}
    for root, dirs, files in os.walk(build):
        for name in dirs + files:
            path = os.path.join(root, name)
            rel = os.path.relpath(path, build)
            if os.path.islink(path):
                out[rel] = ("link", os.readlink(path))
            elif os.path.isfile(path):
                with open(path, "rb") as fh:
                    out[rel] = ("file", fh.read(), os.stat(path).st_mtime_ns)
            else:
                out[rel] = ("dir", os.stat(path).st_mtime_ns)
    return out


@pytest.mark.parametrize("value", ["lots", "[" * 20_000 + "]" * 20_000])
def test_a_refused_value_exits_2_with_one_line_and_leaves_build_byte_identical(tmp_path, capsys, value):
    nbs = tmp_path / "notebooks"
    nbs.mkdir()
    (nbs / "09_typed.py").write_text(NOTEBOOK)
    build = tmp_path / "build"
    build.mkdir()
    staging = build_dir.stage(build, rerun=["09_typed"], full=True)
    (staging / "notebooks").mkdir()
    (staging / "notebooks" / "09_typed.ipynb").write_text("{}")
    (staging / "run-status.json").write_text("{}")
    build_dir.publish(staging, build)
    before = _tree(build)

    rc = cli.main(["run", "--notebooks-dir", str(nbs), "--out", str(build), "--no-checks",
                   "-p", f"max_pages={value}"])
    err = capsys.readouterr().err
    assert rc == 2
    assert err.count("\n") == 1 and "Traceback" not in err and "'max_pages'" in err
    assert _tree(build) == before
