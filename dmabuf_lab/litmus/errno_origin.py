"""Where an errno verdict came from: the function that produced it and why.

:func:`errno_origin` runs one :func:`~dmabuf_lab.litmus.runner.run_once`
under a profiler hook and records every modelled kernel function that
returned a negative errno or an ``ERR_PTR``.  The first one that returned
the run's final errno is its origin; the functions that returned the same
value after it are the path it travelled up.  The reason is read from the
model's own source, not written per case:

* the ``if`` around the origin's ``return`` (or "always" when none);
* the ``if`` around the call in the caller; when that test is a local
  that a call assigned (``pin_on_map = dma_buf_pin_on_map(...)``), the
  call is named instead of the local;
* the first commit id the origin's docstring names (the change that gave it
  this behaviour) or, failing that, the commit its ``@mirrors`` pin was read at.

:func:`why_line` turns that into one line of text.
"""
from __future__ import annotations

import ast
import inspect
import re
import sys
import textwrap
from dataclasses import dataclass, field
from functools import lru_cache

from dmabuf_lab.kmodel.errno import errname
from dmabuf_lab.kmodel.err_ptr import ErrPtr
from dmabuf_lab.litmus.explain import _is_kernel_frame

_COMMIT = re.compile(r"\b[0-9a-f]{12}\b")
#: Longest condition text kept in the line.
MAX_COND = 60


@dataclass
class Return:
    """One kernel function that returned an error value."""

    function: str
    err: int
    line: int
    code: object
    caller: str = ""
    caller_line: int = 0
    caller_code: object = None


@dataclass
class Origin:
    """The errno of a run, traced back to the function that produced it."""

    err: int
    origin: Return
    path: list = field(default_factory=list)      # function names the errno travelled up through

    @property
    def name(self) -> str:
        return errname(self.err)


def _error_value(value) -> int | None:
    if isinstance(value, ErrPtr):
        return value.err
    if isinstance(value, int) and not isinstance(value, bool) and -4095 <= value < 0:
        return value
    return None


def _kernel_caller(frame):
    f = frame.f_back
    while f is not None and not _is_kernel_frame(f):
        f = f.f_back
    return f


def errno_origin(run, outcome: str):
    """Call ``run()`` under the hook; ``(verdict, Origin or None)`` for an errno ``outcome``."""
    returns: list[Return] = []

    def hook(frame, event, arg):
        if event != "return" or not _is_kernel_frame(frame):
            return
        err = _error_value(arg)
        if err is None:
            return
        caller = _kernel_caller(frame)
        returns.append(Return(frame.f_code.co_name, err, frame.f_lineno, frame.f_code,
                              caller.f_code.co_name if caller else "", caller.f_lineno if caller else 0,
                              caller.f_code if caller else None))

    old = sys.getprofile()
    sys.setprofile(hook)
    try:
        verdict = run()
    finally:
        sys.setprofile(old)
    outcome = verdict.outcome or outcome
    if not outcome.startswith("-E"):
        return verdict, None
    mine = [r for r in returns if errname(r.err) == outcome]
    if not mine:
        return verdict, None
    path = list(dict.fromkeys(r.function for r in mine))
    return verdict, Origin(mine[0].err, mine[0], path)


# -- reading the model's source ------------------------------------------------------------------

@lru_cache(maxsize=256)
def _tree(code) -> tuple:
    """``(ast of the function, first line)`` for a code object, or ``(None, 0)``."""
    try:
        lines, first = inspect.getsourcelines(code)
    except (OSError, TypeError):
        return None, 0
    try:
        return ast.parse(textwrap.dedent("".join(lines))), first
    except SyntaxError:
        return None, 0


def _enclosing_tests(tree, line: int) -> list[tuple[ast.expr, bool]]:
    """The ``if`` tests around ``line`` (relative to the function), innermost last;
    ``True`` when the line is in the test's body, ``False`` when in its ``else``."""
    out: list = []

    def visit(node):
        for child in ast.iter_child_nodes(node):
            start, end = getattr(child, "lineno", None), getattr(child, "end_lineno", None)
            if start is None or not start <= line <= end:
                continue
            if isinstance(child, ast.If) and child.test.lineno != line:
                in_body = any(s.lineno <= line <= s.end_lineno for s in child.body)
                out.append((child.test, in_body))
            visit(child)

    visit(tree)
    return out


def _assigned_call(tree, name: str) -> str | None:
    """The function whose result was assigned to local ``name``, if any."""
    for node in ast.walk(tree):
        if (isinstance(node, ast.Assign) and isinstance(node.value, ast.Call)
                and any(isinstance(t, ast.Name) and t.id == name for t in node.targets)):
            func = node.value.func
            return func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
    return None


def _cut(text: str) -> str:
    return text if len(text) <= MAX_COND else text[:MAX_COND - 3] + "..."


def condition(code, line: int) -> str | None:
    """The innermost ``if`` test around ``line`` of ``code``, as text; None when there is none."""
    tree, first = _tree(code)
    if tree is None or not line:
        return None
    tests = _enclosing_tests(tree, line - first + 1)
    if not tests:
        return None
    test, in_body = tests[-1]
    if isinstance(test, ast.Name):
        called = _assigned_call(tree, test.id)
        text = f"{called}() " + ("true" if in_body else "false") if called else test.id
        return text if called or in_body else f"not {text}"
    text = _warn_text(test) or _cut(ast.unparse(test))
    return text if in_body else f"not ({text})"


def _warn_text(test) -> str | None:
    """``WARN_ON(cond, "message")`` as ``WARN_ON: message`` (the message says which case)."""
    if not (isinstance(test, ast.Call) and isinstance(test.func, ast.Name) and test.func.id.startswith("WARN")):
        return None
    msg = [a.value for a in test.args[1:] if isinstance(a, ast.Constant) and isinstance(a.value, str)]
    return f"{test.func.id} fires ({msg[0]})" if msg else None


def commit_of(code) -> str | None:
    """The first commit id the function's docstring names (the change that gave it this
    behaviour), else the commit its ``@mirrors`` pin was read at."""
    fn = _function_of(code)
    doc = (fn.__doc__ if fn else None) or ""
    m = _COMMIT.search(doc)
    if m:
        return m.group(0)
    for decl in getattr(fn, "__twin_of__", ()) if fn else ():
        return decl.pin.commit[:12]
    return None


def _function_of(code):
    module = inspect.getmodule(code)
    fn = getattr(module, code.co_name, None) if module else None
    return fn if getattr(fn, "__code__", None) is code else None


def why_line(origin: Origin, config_notes: list[str] = ()) -> str:
    """One line: the origin, its condition and commit, the caller's condition, Kconfig flips."""
    o = origin.origin
    cond = condition(o.code, o.line)
    commit = commit_of(o.code)
    text = f"{o.function}() returns {origin.name} " + (f"when {cond}" if cond else "always")
    if commit:
        text += f" ({commit})"
    if o.caller and o.caller != o.function:
        ccond = condition(o.caller_code, o.caller_line)
        text = f"{o.caller}()" + (f": {ccond}" if ccond else "") + "; " + text
    if config_notes:
        text += "; " + "; ".join(config_notes)
    return text
