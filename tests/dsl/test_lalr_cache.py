"""The on-disk cache of the ``.mlev`` parser's LALR(1) tables (:mod:`mlevolve.dsl.lalr_cache`).

Behaviour held: a first process builds the tables and writes them to this user's cache directory, a
later one loads them without building; a corrupt, truncated, foreign or unwritable cache is ignored,
with the same parse results and the same syntax error messages; the file's name changes with the
grammar's text, the options and Lark's version.
"""

from __future__ import annotations

import sys
from pathlib import Path

import lark
import pytest
from lark import Lark

from mlevolve.dsl import lalr_cache
from mlevolve.dsl.lalr_cache import cache_dir, cached_lark, table_path
from mlevolve.dsl.parse import _Build, parse, syntax
from tests.conftest import environment, run_child

GRAMMAR = """
start: sum
?sum: NUMBER | sum "+" NUMBER
NUMBER: /[0-9]+/
%ignore " "
"""

# A child parses each example and a few broken programs, and prints the programs (formatted) and the errors.
PROBE = """
import sys
from pathlib import Path
from mlevolve.dsl.errors import MlevError
from mlevolve.dsl.parse import parse, parse_expr
from mlevolve.dsl.printer import format_program, format_expr
for path in sorted(Path(sys.argv[1]).glob("*.mlev")):
    print(format_program(parse(path.read_text(), str(path))))
for bad in ["algorithm a\\nactivation f(x: Tensor) -> Tensor =\\n  x + * x\\n", "algorithm\\n", "algoritm a\\n",
            "algorithm a\\nactivation f(x: Tensor) -> Tensor =\\n  let y = x y\\n", "algorithm a\\ntask\\n"]:
    try:
        parse(bad, "bad.mlev")
    except MlevError as e:
        print(e)
print(format_expr(parse_expr("1 + 2 * x")))
import lark.lark
print("built" if getattr(lark.lark.Lark, "_mlev_built", False) else "loaded")
"""

# Record in the child whether a parser was built (Lark's grammar analysis ran) rather than loaded.
MARK = """
import lark.lark
_build = lark.lark.Lark._build_parser
def _marked(self, *a, **k):
    lark.lark.Lark._mlev_built = True
    return _build(self, *a, **k)
lark.lark.Lark._build_parser = _marked
"""

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _child(cache_home: Path) -> tuple[str, str]:
    """Run :data:`PROBE` in a fresh interpreter with ``XDG_CACHE_HOME=cache_home``: its output, and whether
    it built the parser or loaded it."""
    done = run_child([sys.executable, "-c", MARK + PROBE, str(EXAMPLES)], capture_output=True, text=True,
                     timeout=120, env=environment(XDG_CACHE_HOME=str(cache_home)))
    assert done.returncode == 0, done.stderr
    *lines, how = done.stdout.rstrip("\n").split("\n")
    return "\n".join(lines), how


def test_first_process_writes_the_tables_and_a_later_one_loads_them(tmp_path: Path) -> None:
    out1, how1 = _child(tmp_path)
    assert how1 == "built"
    files = list((tmp_path / "mlevolve").glob("lalr-*.pickle"))
    assert len(files) == 1 and files[0].stat().st_size > 1000
    assert not list((tmp_path / "mlevolve").glob("*.tmp"))  # the temporary file was renamed, not left
    out2, how2 = _child(tmp_path)
    assert how2 == "loaded"
    assert out2 == out1 and "error:" in out1 and "hint:" in out1  # the same programs and messages


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    """A child's output with an empty cache (it built the parser), and the name of the file it wrote."""
    home = tmp_path_factory.mktemp("fresh")
    out, how = _child(home)
    assert how == "built"
    return out, next((home / "mlevolve").glob("lalr-*.pickle")).name


@pytest.mark.parametrize("content", [b"", b"not a pickle", b"\x80\x05K\x01.", b"\x80\x05}q\x00."])
def test_a_corrupt_cache_is_rebuilt_with_the_same_results(tmp_path: Path, content: bytes,
                                                          fresh: tuple[str, str]) -> None:
    out_built, name = fresh
    bad = tmp_path / "bad" / "mlevolve" / name
    bad.parent.mkdir(parents=True)
    bad.write_bytes(content)
    out, how = _child(tmp_path / "bad")
    assert (how, out) == ("built", out_built)
    assert _child(tmp_path / "bad") == (out_built, "loaded")  # rewritten whole, then used


def test_a_truncated_cache_is_rebuilt(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    first = cached_lark(GRAMMAR)
    path = table_path(GRAMMAR, {})
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    again = cached_lark(GRAMMAR)
    assert again.parse("1 + 2 + 3") == first.parse("1 + 2 + 3")
    assert Lark.__new__(Lark)._load(path.open("rb")).parse("4+5") == first.parse("4+5")  # rewritten whole


def test_an_unwritable_cache_directory_never_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))  # <file>/mlevolve cannot be made (also as root)
    parser = cached_lark(GRAMMAR)
    assert parser.parse("1+2").children  # built, not stored
    assert not cache_dir().exists()


def test_a_read_only_cache_directory_never_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    cache_dir().mkdir()

    def refuse(*args: object, **kwargs: object) -> object:
        raise PermissionError(13, "Permission denied")  # as a read-only directory answers (root is not refused)

    monkeypatch.setattr(lalr_cache.tempfile, "mkstemp", refuse)
    assert cached_lark(GRAMMAR).parse("1+2") == Lark(GRAMMAR, parser="lalr").parse("1+2")
    assert list(cache_dir().iterdir()) == []


def test_the_cache_file_is_keyed_by_grammar_options_and_lark_version(monkeypatch: pytest.MonkeyPatch) -> None:
    base = table_path(GRAMMAR, {"start": ["start"]})
    assert table_path(GRAMMAR, {"start": ["start"], "transformer": _Build()}) == base  # an object: not in the key
    assert table_path(GRAMMAR + "\n", {"start": ["start"]}) != base
    assert table_path(GRAMMAR, {"start": ["sum"]}) != base
    assert table_path(GRAMMAR, {"start": ["start"], "maybe_placeholders": False}) != base
    monkeypatch.setattr(lark, "__version__", "0.0.1")
    assert table_path(GRAMMAR, {"start": ["start"]}) != base


def test_a_loaded_parser_keeps_the_transformer_and_options(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    source = (EXAMPLES / "mlp_digits.mlev").read_text()
    options = {"start": ["start", "expr"], "maybe_placeholders": True}
    built = cached_lark(syntax(), transformer=_Build(), **options)
    loaded = cached_lark(syntax(), transformer=_Build(), **options)
    assert loaded.source_path == "<deserialized>" and built.source_path != "<deserialized>"
    assert loaded.parse(source, start="start") == built.parse(source, start="start") == parse(source)


def test_a_lark_without_its_cache_loader_builds_with_no_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The cache rests on Lark's private loader (``Lark._load``, ``lark.lark._LOAD_ALLOWED_OPTIONS``): a release
    that lacks them builds the parser as without a cache, the same parses, and writes nothing."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setattr(lalr_cache, "_CACHEABLE", False)
    parser = cached_lark(GRAMMAR, start="start")
    assert parser.parse("1 + 2 + 3") == Lark(GRAMMAR, parser="lalr", start="start").parse("1 + 2 + 3")
    assert not (tmp_path / "mlevolve").exists()


@pytest.mark.parametrize("xdg", ["rel", "./rel", "", "~/x"])
def test_a_relative_xdg_cache_home_is_ignored(xdg: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The XDG Base Directory spec: a relative path in XDG_CACHE_HOME is invalid and ignored (it made rel/mlevolve
    in the directory a command ran in); the default ~/.cache/mlevolve is used."""
    monkeypatch.setenv("XDG_CACHE_HOME", xdg)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)
    assert cache_dir() == tmp_path / "home" / ".cache" / "mlevolve"
    assert cached_lark(GRAMMAR).parse("1+2").children
    assert sorted(p.name for p in tmp_path.iterdir()) == ["home"]  # nothing written where it ran


def test_an_absolute_xdg_cache_home_is_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir() == tmp_path / "xdg" / "mlevolve"


@pytest.mark.parametrize("shared", ["file", "folder"])
def test_tables_others_may_write_are_never_loaded(shared: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The tables are a pickle (loading one runs code): a file, or a cache folder, that the group or others may write
    is not loaded; the parser is built, the same parses."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    cached_lark(GRAMMAR, start="start")  # writes the tables, private
    path = table_path(GRAMMAR, {"start": "start"})
    assert path.is_file() and lalr_cache._private(path)
    assert lalr_cache._load(path, {}) is not None
    (path if shared == "file" else path.parent).chmod(0o666 if shared == "file" else 0o777)
    assert lalr_cache._load(path, {}) is None  # built instead
    parser = cached_lark(GRAMMAR, start="start")
    assert parser.parse("1 + 2") == Lark(GRAMMAR, parser="lalr", start="start").parse("1 + 2")
