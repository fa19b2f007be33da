"""Static check of kerasish's source: every `xp.<name>(...)` call names a CuPy function with CuPy's keywords.

The 'fake' device catches what the tests run; this scan also covers branches no test reaches.
An array module is recognised as a variable called `xp` or a `get_array_module(...)` call.
"""
import ast
import pathlib

from fake_device import CUPY_API, check_cupy_call

SOURCE = pathlib.Path(__file__).resolve().parents[2] / "kerasish"
# Reached only on a real 'cuda' device (backend.py), where CuPy itself provides them.
CUDA_ONLY = {"cuda"}


def _chain(node):
    """['xp', 'lib', 'stride_tricks', 'as_strided'] for `xp.lib.stride_tricks.as_strided`, else None."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name) and node.id == "xp":
        return ["xp"] + parts[::-1]
    if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", None)) == "get_array_module":
        return ["xp"] + parts[::-1]
    return None


def _array_module_uses():
    for path in sorted(SOURCE.rglob("*.py")):
        tree = ast.parse(path.read_text(), str(path))
        called = {id(node.func) for node in ast.walk(tree) if isinstance(node, ast.Call)}
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Load):
                chain = _chain(node)
                # the longest chain only: skip `xp.lib` when `xp.lib.stride_tricks.as_strided` is there
                if chain and not _is_prefix_of_parent(node, tree):
                    call = _call_of(node, tree) if id(node) in called else None
                    yield f"{path.relative_to(SOURCE.parent)}:{node.lineno}", chain[1:], call


def _parents(tree):
    if not hasattr(tree, "_parent_map"):
        tree._parent_map = {id(c): p for p in ast.walk(tree) for c in ast.iter_child_nodes(p)}
    return tree._parent_map


def _is_prefix_of_parent(node, tree):
    parent = _parents(tree).get(id(node))
    return isinstance(parent, ast.Attribute) and parent.value is node


def _call_of(node, tree):
    return _parents(tree).get(id(node))


def test_the_scan_finds_the_array_module_calls():
    uses = list(_array_module_uses())
    names = {".".join(chain) for _, chain, _ in uses}
    assert len(uses) > 100 and {"take_along_axis", "lib.stride_tricks.as_strided", "add"} <= names


def _problem(chain, call):
    """Why CuPy would refuse `xp.<chain>(...)`, or None. `chain` is the path after the array module."""
    if chain[0] in CUDA_ONLY or chain[0] == "random":
        return None  # 'random': devices draw through backend._CupyGenerator, checked in tests/core/test_backend.py
    kwargs = {k.arg: None for k in call.keywords if k.arg} if call is not None else {}
    args = () if call is None or any(isinstance(a, ast.Starred) for a in call.args) else tuple(call.args)
    if len(chain) == 2 and chain[1] in CUPY_API["ufunc"]:  # a ufunc method: xp.add.at(...)
        checks = [("module", chain[0], (), {}), ("ufunc", chain[1], args, kwargs)]
    else:
        space = ".".join(chain[:-1]) or "module"
        if space not in CUPY_API:
            return f"cupy.{space} is not recorded in tests/fixtures/cupy_api.json"
        checks = [(space, chain[-1], args, kwargs)]
    try:
        for check in checks:
            check_cupy_call(*check)
    except (AttributeError, TypeError) as exc:
        return str(exc)
    return None


def test_every_array_module_call_exists_in_cupy_with_its_keywords():
    problems = [f"{where}: {problem}" for where, chain, call in _array_module_uses()
                if (problem := _problem(chain, call))]
    assert not problems, "\n".join(problems)


def test_the_check_refuses_what_cupy_lacks():
    call = ast.parse("xp.sum(a, where=m)").body[0].value
    assert "no keyword argument 'where'" in _problem(["sum"], call)
    assert "errstate does not exist" in _problem(["errstate"], None)
    assert _problem(["add", "at"], ast.parse("xp.add.at(a, i, v)").body[0].value) is None
