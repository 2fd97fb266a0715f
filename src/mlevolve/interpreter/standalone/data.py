"""Data helpers shared by the task loaders: scikit-learn's datasets (imported on first use), the
60/20/20 split, standardisation, the two-spirals generator and the reader of a user's CSV/NPZ file.

The reader (:func:`read_table`) is the one owner of the rules for a user's CSV/NPZ file: the library
(:mod:`mlevolve.interpreter.tasks`) calls it and turns its :class:`TaskError` into an error at the same
``FILE:LINE:COLUMN``, and an exported script embeds it, where a bad file is that :class:`TaskError`.
"""

import csv
import io
import math
import shlex
import zipfile
import zlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from mlevolve.interpreter.standalone.common import COMMA, NUMBER, comma_fix
from mlevolve.interpreter.standalone.spec import TaskError, package, parse_spec, split_spec, task_hint
from mlevolve.interpreter.standalone.spelling import BINARY, closest, did_you_mean

MAX_CLASSES = 20  # an integer-valued target with at most this many distinct values is a classification
PROBLEMS = ("", "classification", "regression")  # a data file's option problem= ("": detected from the target)


def datasets() -> Any:
    """``sklearn.datasets``, imported on first use: naming or checking a task stays light (no scikit-learn)."""
    return package("sklearn.datasets")


def _sk_seed(rng: np.random.Generator) -> int:
    return int(rng.integers(2**31 - 1))


def _spirals(rng: np.random.Generator, n: int = 1000, turns: float = 2.0, noise: float = 0.03) -> tuple[Any, Any]:
    """Two interleaved spirals r = t, angle = 2π·turns·t (+π for class 1), plus Gaussian noise."""
    y = np.arange(n, dtype=np.int64) % 2
    t = rng.uniform(0.05, 1.0, n)
    angle = 2 * np.pi * turns * t + np.pi * y
    x = np.stack([t * np.cos(angle), t * np.sin(angle)], axis=1) + rng.normal(0.0, noise, (n, 2))
    return x, y


def check_varies(name: str, y: Any, rows: str = "every row", hint: str = "") -> None:
    """A :class:`TaskError` (``hint``: another) unless the regression target ``y`` (float64) varies: its standard
    deviation is at least 1e-12 of its largest magnitude (below, it is one number to float64 precision: 5 ± 1e-15)."""
    spread = float(np.std(y / np.max(np.abs(y)))) if np.any(y) else 0.0
    if spread < 1e-12:
        near = f", to within {float(np.ptp(y)):.2g} (a spread below 1e-12 of its magnitude)" if spread else ""
        raise TaskError(f"{name}: the target is {float(y[0]):g} on {rows}{near}",
                        hint or "a regression needs a target that varies: its error has no scale and R² no meaning")


def _split(y: Any, n: int, rng: np.random.Generator, name: str = "data",
           measured: bool = False) -> tuple[Any, Any, Any]:
    """Indices (int64) of a 60/20/20 split, stratified by ``y`` (class ids) when given; a
    :class:`TaskError` naming ``name`` when a part would be empty (4 rows, or 4 per class: problem=regression hinted
    only where it would split, ``measured`` classes that are numbers in 4 rows or more)."""
    groups = [np.flatnonzero(y == c) for c in np.unique(y)] if y is not None else [np.arange(n)]
    parts: tuple[list[Any], list[Any], list[Any]] = ([], [], [])
    for group in groups:
        group = rng.permutation(group)
        a = round(0.6 * len(group))
        for part, chunk in zip(parts, np.split(group, [a, a + round(0.2 * len(group))]), strict=True):
            part.append(chunk)
    train, val, test = (rng.permutation(np.concatenate(p)).astype(np.int64) for p in parts)
    if min(len(train), len(val), len(test)) == 0:
        per = f" in {len(groups):,} classes" if y is not None else ""
        other = (", or state problem=regression for a measured target" if n >= 4 else
                 " (4 rows as a measured target, problem=regression)") if measured else ""
        raise TaskError(f"{name}: too few rows ({n:,}{per}) to split into train/validation/test", "give at least 4 rows"
                        + (f" per class{other}" if y is not None else ""))
    return train, val, test


def _standardise(train: Any, *others: Any) -> list[Any]:
    """``train`` and ``others`` (rows x columns, float64) standardised with the train mean/std, as float32."""
    return [_scaled(a, scaling) for scaling in [_scaling(train)] for a in (train, *others)]


def _scaling(train: Any) -> tuple[Any, Any, Any]:
    """(scale, mean, std) of each column of ``train`` for :func:`_scaled`: a column is divided first by its train
    max-abs, so numbers up to float64's limit give no overflow in the variance; one whose train values are all equal
    is only centred.  An exported learner's module copies it and _scaled (qa106), to standardise as the run does."""
    scale = np.max(np.abs(train), axis=0) if len(train) else np.ones(train.shape[1:])
    scale = np.where(scale > 0, scale, 1.0)
    with np.errstate(over="ignore", invalid="ignore"):
        mean, std = (train / scale).mean(axis=0), (train / scale).std(axis=0)
        return scale, mean, np.where(std < 1e-12, 1.0, std)


def _scaled(a: Any, scaling: tuple[Any, Any, Any]) -> Any:
    """``a`` standardised with ``scaling`` (scale, mean, std) as (a / scale - mean) / std, float32 as tasks store it"""
    with np.errstate(over="ignore", invalid="ignore"):
        return ((a / scaling[0] - scaling[1]) / scaling[2]).astype(np.float32)


def _check_standardised(parts: list[Any], name: str, what: str, columns: Sequence[str] = (),
                        rows: Sequence[Any] = (), places: Sequence[tuple[str, str]] = ()) -> list[Any]:
    """``parts`` unchanged, or :class:`TaskError` naming ``name`` and the column (by its name in ``columns``, else
    ``what`` and its place, 1-based) of a value beyond float32 (a val/test value ~1e38 train deviations away); with
    ``rows`` (each part's rows in the file) and their ``places`` (:func:`read_table`'s), at the first such row."""
    found = [(int(rows[k][b[0]]) if rows else 0, k, b) for k, part in enumerate(parts)
             for b in np.argwhere(~np.isfinite(part))[:None if rows else 1]]
    if found:
        row, k, b = min(found, key=lambda f: f[0]) if rows else found[0]
        column = int(b[-1]) + 1 if parts[k].ndim > 1 else 1
        which = f"column {columns[column - 1]!r}" if columns else f"{what} {column}"
        where, at = places[row] if rows else ("", f"{name}: ")
        raise TaskError(f"{at}{which}: a value is too far from the train values to standardise (beyond float32 range "
                        "in train standard deviations)", "rescale the column or drop the outlying row", where)
    return parts


# A cell that is no value (pandas' default missing-value markers and other spreadsheets'), as the library reads them.
MISSING = frozenset({"", "na", "n/a", "nan", "-nan", "+nan", "null", "none", "nil", "missing", "?", ".",
                     "#n/a", "#n/a n/a", "#na", "<na>", "-1.#ind", "1.#ind", "-1.#qnan", "1.#qnan"})
MISSING_HINT = "mlevolve does not impute: fill the cell in or drop its row"


def _number(cell: str) -> float | None:
    """The number a cell holds, ASCII decimal only (``float`` also takes ``1_000`` and other scripts' digits)."""
    return float(cell) if NUMBER.fullmatch(cell.strip()) else None


def cell_fault(cell: str, most: float = math.inf) -> tuple[str, str] | None:
    """Why a cell is not a finite number up to ``most`` in magnitude (message, hint), or None (the scripts' too)."""
    text = cell.strip()
    if text.casefold() in MISSING:
        return (f"'{text}' is a missing value" if text else "the cell is empty (a missing value)"), MISSING_HINT
    value = _number(text)
    if value is None and (fix := comma_fix(text)):  # a spreadsheet's comma locale: numbers, not a column of text
        return f"'{text}' is not a number: {COMMA}", f"write {fix}; {COMMA_HINT}"
    if value is None:
        return f"'{text}' is not a number", "every cell must hold a number, except a target of class labels"
    if not math.isfinite(value):
        return f"'{text}' is not a finite number", "every number must be finite"
    return None if abs(value) <= most else (f"'{text}' is beyond {most:.0e} in magnitude", BEYOND)


COMMA_HINT = "save the file with '.' as the decimal point and no digit grouping (a spreadsheet's English number format)"
TEXT = "drop the column from the file: every column but the target is a feature of numbers (text is a target of " \
    "class labels, or a learner's group=)"  # a column of text (names, ids), not a typo
BEYOND = "a formula is fitted in the data's own units (its error would overflow): divide the column by a power of 10"
UNREADABLE = "a data file is a UTF-8 .csv with a header row, or an .npz written by numpy.savez(path, X=..., y=...)"


BUILT_IN = "a script for a built-in task: mlevolve export PROGRAM.mlev --task TASK -o S.py"


def file_spec(spec: str, defaults: dict[str, Any], kind: str) -> tuple[str, Any]:
    """parse_spec of a data file's spec; a name no file has (`nguyen1:n_train=5`) refused first, as read_table does"""
    if spec.strip()[:1] not in "'\"" and not Path(name := split_spec(spec)[0]).suffix and not Path(name).exists():
        raise TaskError(*not_a_file(name, BUILT_IN))  # its options are a built-in task's, not a data file's
    return parse_spec(spec, defaults, kind=kind)


def not_a_file(path: str, builtin: str) -> tuple[str, str]:
    """The words for data file ``path`` that is no file, the library's and a script's (``builtin``: a name's)."""
    file, here = Path(path), f"a relative path is read from the current folder ({Path.cwd()}): cd to where it starts"
    hint = UNREADABLE if file.is_dir() else builtin if not file.suffix else UNREADABLE if file.is_absolute() else \
        here + ", or give its full path"  # a folder (named as any, "t/" or "t.csv/"), a name, a path
    mended = task_hint(path, ()).rstrip("; ")  # "data.csv,target=y"
    return f"{path} is a folder, not a file" if file.is_dir() else f"no such file: {path}", mended or hint


def read_table(path: str, target: str, problem: str, most: float = math.inf, labels: str = "",
               weight: str = "", params: Sequence[str] = ()) -> tuple[Any, ...]:
    """Features (float64, file order without the target), targets, feature names, labels, rows' places of a CSV with a
    header row (target column ``target``) or an .npz file (arrays ``X`` and ``y``, features ``x0, x1, ...``).
    Targets are float64 numbers, or text class labels (stripped; with ``problem`` "classification", numbers among
    them written canonically: ``1`` and ``1.0`` are one class); every number at most ``most`` in magnitude.  A CSV
    column ``labels`` (a learner's ``group=``) may hold text: each cell is its label's place in the labels returned
    (numbers written canonically; empty without it); a CSV column ``weight`` (a formula's, no ``params``) weights.
    The one reader of users' files, the library's (tasks.py) and a script's: each mistake a :class:`TaskError` at its
    place, the first in file order."""
    file, suffix = Path(path), Path(path).suffix.lower()
    if not file.is_file():
        raise TaskError(*not_a_file(path, BUILT_IN))
    if suffix not in (".csv", ".npz"):
        raise TaskError(f"unsupported data file: {path}", "use a .csv (with a header row) or an .npz (X and y)")
    for option, given in (("target", target), ("weight", weight)):
        if given and suffix == ".npz":
            raise TaskError(f"option {option}= applies to CSV files, not {path}", "an .npz file holds arrays X and y")
    x, cells, places, *names = (_read_npz if suffix == ".npz" else _read_csv)(file, target, problem, most, labels,
                                                                              weight, params)
    rows = [(where, at) for _, _, where, at in places]  # each row's place: where a feature's bad value is told
    numbers = [_number(cell) for cell in cells]
    if not (text := [i for i, v in enumerate(numbers) if v is None]):
        return x, np.array(numbers, dtype=np.float64), *names, rows
    if problem == "classification":
        return (x, np.array([c.strip() if v is None else repr(v) for c, v in zip(cells, numbers, strict=True)]),
                *names, rows)
    if len(text) < len(cells):  # numbers and text: a typo, unless the problem says every cell is a label
        odd = text[0] if 2 * len(text) <= len(cells) else next(i for i, v in enumerate(numbers) if v is not None)
        raise TaskError(f"{places[odd][1]}: '{cells[odd].strip()}' is {'not a number' if odd in text else 'a number'}"
                        f", unlike most of the column ({len(cells) - len(text):,} numbers, {len(text):,} text)",
                        "fix the cell" + ", or add :problem=classification to read every cell as a class label" * (
                            len({c.strip() for c in cells}) <= MAX_CLASSES),  # where classes, by detection's rule
                        places[odd][0])
    return x, np.array([c.strip() for c in cells]), *names, rows


def header_error(path: object, message: str, hint: str, column: str = "", **about: str) -> Exception:
    """A mistake in a data file's header, at its place as every other data error is: ``FILE:LINE:COL`` of ``column``
    (the offending name: an extra, misspelled or misused column) in a CSV's header row, else ``FILE:LINE`` (a column
    missing; an option's by the file alone); an .npz file's by its path: the TaskError to raise (an Exception, as a
    script defines TaskError below it), ``about``: its option= or param= (the formula's).  The header is read again."""
    file, place = Path(str(path)), ""
    try:  # its first row with a cell, as _read_csv takes it (a file gone since: no place)
        text = file.read_bytes().removeprefix(b"\xef\xbb\xbf").decode() if file.suffix.lower() == ".csv" else ""
    except (OSError, UnicodeDecodeError):
        text = ""
    if text:
        reader, start = csv.reader(io.StringIO(text, newline="")), 0
        for row in reader:
            if any(cell.strip() for cell in row):
                at = [cell.strip() for cell in row].index(column) + 1 if column in map(str.strip, row) else 0
                place = f"{path}:{start + 1}" + f":{at}" * bool(at) if at or not about.get("option") else ""
                break
            start = reader.line_num
    return TaskError(*([message, hint, place] if place else [f"{path}: {message}", hint]), **about)


def check_group(name: str, group: str, target: str, features: list[str], key: str = "group",
                why: str = "the rows are grouped into tasks by a feature column", params: Sequence[str] = ()) -> None:
    """Refuse (TaskError, at the header's place: :func:`header_error`) a learner's ``group=`` (a formula's
    ``weight=``: ``key``) naming none of ``features`` but the formula's parameters ``params`` (a parameter's column is
    its input, no weight)"""
    if group not in (free := [f for f in features if f not in params]):
        what = "the target" if group == target else "a parameter of the formula" if group in params else "no column"
        raise header_error(name, f"{key}={group} is {what}; {why}", f"{did_you_mean(group, free)}{key}= names one "
                           "of: " + ", ".join(free) if free else f"no column is left for it: add each row's {key} as a "
                           "column", group if what != "no column" else closest(group, free) or "", option=key)


def weight_fault(cell: str) -> tuple[str, str] | None:
    """Why a cell of a weight column is no weight (message, hint), or None: a finite number of at least 0, of any
    magnitude (only the weights' ratios count: the formula's reader divides them by a power of two, exactly)."""
    fault = cell_fault(cell) or ((f"'{cell.strip()}' is negative", "") if float(cell) < 0 else None)
    return fault and (fault[0], MISSING_HINT if fault[1] == MISSING_HINT else "a weight is a finite number of at "
                      "least 0 (0 leaves its row out), as scikit-learn's sample_weight")


def _text(cell: str) -> bool:
    """Whether a cell is text: no number, nor one written with a comma (:func:`~common.comma_fix`), nor missing."""
    return (fault := cell_fault(cell)) is not None and fault[0].endswith("is not a number")


def _target_fault(cell: str, problem: str, most: float) -> tuple[str, str] | None:
    """Why a target cell is bad (message, hint), or None: text is a class label unless the problem is a regression."""
    if (fault := cell_fault(cell, most)) is None or (fault[0].endswith("is not a number") and problem != "regression") \
            or (problem == "classification" and COMMA in fault[0]):  # "1,5" a label where labels are asked for
        return None
    return fault if problem != "regression" or not fault[0].endswith("is not a number") else (
        fault[0], "a regression needs a number in every target cell (a formula's target, or problem=regression)")


def target_hint(file: object, header: Sequence[str], form: Callable[[str], str] = shlex.quote,
                params: Sequence[str] = ()) -> str:
    """The hint of a CSV task naming no target, as ``form(spec)`` writes a spec there (a shell word; ``task "..."``):
    the ``header``'s last column and every one, or a header line to add where it holds numbers (a target is named,
    never numbered; the features named as a formula's ``params`` where as many), or the template where it is empty."""
    if header and all(NUMBER.fullmatch(h) for h in header):
        names = [*(params if len(params) == len(header) - 1 and "y" not in params else
                   (f"x{i}" for i in range(1, len(header)))), "y"]
        return (f"the file has no header line (its first row holds numbers) and a target is named, not numbered: add "
                f"the columns' names as its first line ({','.join(names)}), then write {form(f'{file}:target=y')}")
    return f"write {form(f'{file}:target={header[-1]}')}, or target= another of its columns: {', '.join(header)}" \
        if header else f"write {form(f'{file}:target=COLUMN')}, COLUMN the name of its target's column"


def _read_csv(file: Path, target: str, problem: str, most: float, labels: str, weight: str,
              params: Sequence[str]) -> tuple[Any, ...]:
    """Features, target cells, each one's place (location, name), feature names and labels of a CSV file."""
    try:  # a byte-order mark (as some editors write) dropped; blank lines skipped, above the header too
        if (nul := (data := file.read_bytes()).find(b"\0")) >= 0:  # as a .mlev file with one is: not read as text
            raise TaskError(BINARY.format(nul), UNREADABLE, str(file))
        data = data.removeprefix(b"\xef\xbb\xbf")
        reader, rows, start = csv.reader(io.StringIO(data.decode(), newline="")), [], 0
        for row in reader:  # (the line a row starts on, the line it ends on, its cells)
            rows += [(start + 1, reader.line_num, row)] if any(cell.strip() for cell in row) else []
            start = reader.line_num
    except UnicodeDecodeError as err:  # at its line and column (in characters), as the .mlev reader says it
        lines = data[:err.start].decode().replace("\r\n", "\n").replace("\r", "\n").split("\n")  # as csv reads them
        raise TaskError(f"not UTF-8 text (byte 0x{data[err.start]:02x})", "save it as UTF-8 (a spreadsheet's "
                        "'CSV UTF-8')", f"{file}:{len(lines)}:{len(lines[-1]) + 1}") from None
    except (OSError, csv.Error) as err:
        raise TaskError(f"cannot read {file}: {err}", UNREADABLE) from None
    if not rows:
        raise TaskError(f"{file}: empty file, expected a header row of column names",
                        "write the column names on the first line, then one row per example")
    line, header, rows = rows[0][0], [h.strip() for h in rows[0][2]], rows[1:]
    if not target:  # the hint from the header read: a column to name, or no header to name one from
        raise TaskError(f"{file}: which column is the target?", target_hint(file, header, params=params))
    for j, h in enumerate(header):  # the first name in the header that is empty or given before
        if not h or header.index(h) != j:
            raise TaskError(f"column name '{h}' appears twice: columns {header.index(h) + 1} and {j + 1}" if h else
                            f"column {j + 1} has no name", "give every column its own name (a comma at the end of the "
                            "header makes an unnamed column)", f"{file}:{line}:{j + 1}")
    # The header rule: the first non-blank row names the columns unless every cell of it is a number: then it is data
    # (no header), and a target= naming one of its cells is refused at FILE:LINE (the row was silently lost before).
    bare = all(NUMBER.fullmatch(h) for h in header)
    if bare and target in header and not any(name not in header for name in params):
        raise header_error(file, f"target={target} names a cell of its first row, which holds numbers, not the "
                           "columns' names (a row of data: the file has no header)",
                           "write the column names on the first line")
    if gone := next((name for name in (target, *[*params] * bare) if name not in header), ""):  # the line's own
        sep = next((f"by '{s}'" if s == ";" else "by tabs" for s in ";\t" if len(header) == 1 and s in header[0]), "")
        raise header_error(file, f"no column named '{gone}'" + f"; its cells seem separated {sep}" * bool(sep)
                           + "; its first row holds numbers, not the columns' names" * bare, "save the file with "
                           "commas between cells" if sep else "write the column names on the first line" if bare else
                           did_you_mean(gone, header) + "columns: " + ", ".join(header),  # mistake: at FILE:LINE
                           "" if sep or bare else closest(gone, header) or "", option="target" * (not sep and not bare))
    if not rows:
        raise TaskError(f"{file}: empty dataset, the file has a header but no data rows",
                        "add one row per example below the header")
    if len(header) < 2:
        raise header_error(file, f"no feature columns besides the target '{target}'",
                           "every column but the target is a feature: add at least one", option="target")
    if labels:  # before any cell: a text label is no number
        check_group(str(file), labels, target, [h for h in header if h != target])
    if weight:
        check_group(str(file), weight, target, [h for h in header if h != target], "weight", "each row's weight is a "
                    "column of the file, and not a feature", params)
    t, x, codes = header.index(target), np.empty((len(rows), len(header) - 1)), dict[str, int]()
    g, k = header.index(labels) if labels else -1, header.index(weight) if weight else -1
    for i, (line, end, row) in enumerate(rows):
        if i == len(rows) - 1 and end > line and (j := next((j for j, c in enumerate(row) if "\n" in c), -1)) >= 0:
            raise TaskError(f"a quote opened here is not closed before the end of the file (line {end})",
                            "close it (a quote inside a quoted cell is written twice)", f"{file}:{line}:{j + 1}")
        if len(row) != len(header):
            raise TaskError(f"row has {len(row):,} cells, the header has {len(header):,}",
                            "give every row one cell per column (a comma inside a cell needs quotes)", f"{file}:{line}")
        for j, cell in enumerate(row):  # the first bad cell in file order, target or feature
            if j == g and cell.strip().casefold() not in MISSING:  # a label, text or a number
                label = cell.strip() if (v := _number(cell)) is None else f"{v:.15g}"  # 1000001 and 1000002 apart
                x[i, j if j < t else j - 1] = codes.setdefault(label, len(codes))
            elif fault := _target_fault(cell, problem, most) if j == t else weight_fault(cell) if j == k else \
                    cell_fault(cell, most):
                name = f"target column '{target}'" if j == t else f"weight column '{weight}'" if j == k else \
                    f"column '{header[j]}'"
                n = j != t and _text(cell) and sum(_text((r[j:] or ["0"])[0]) for *_, r in rows)
                if n > 1 and 2 * n > len(rows):
                    fault = (f"text, not numbers ('{cell.strip()}' and {n - 1:,} more of {len(rows):,} cells)", TEXT)
                raise TaskError(f"{name}: {fault[0]}", fault[1], f"{file}:{line}:{j + 1}")
            elif j != t:
                x[i, j if j < t else j - 1] = float(cell)
    places = [(f"{file}:{line}:{t + 1}", f"target column '{target}'", f"{file}:{line}", "") for line, _, _ in rows]
    return x, [row[t] for _, _, row in rows], places, [h for j, h in enumerate(header) if j != t], list(codes)


def _read_npz(file: Path, _: str, problem: str, most: float, *__: Any) -> tuple[Any, ...]:
    """``X`` (rows x features, finite numbers) and the cells of ``y`` (numbers or text), as :func:`_read_csv`."""
    try:  # np.load gives an array for a .npy file and unpickles others: only a ZIP archive (an .npz) is read
        with file.open("rb") as handle:
            if (head := handle.read(4)) not in (b"PK\x03\x04", b"PK\x05\x06"):
                what = "one array (numpy.save)" if head == b"\x93NUM" else "empty" if not head else "not a ZIP file"
                raise TaskError(f"{file}: not an NPZ archive: it is {what}", UNREADABLE)
            with np.load(file, allow_pickle=False) as archive:
                arrays, names = {key: archive[key] for key in ("X", "y") if key in archive.files}, archive.files
    except (OSError, ValueError, EOFError, RuntimeError, NotImplementedError, zipfile.BadZipFile, zlib.error) as err:
        why = "an array holds Python objects (dtype object), which are never unpickled" if "pickle" in str(err) else err
        raise TaskError(f"cannot read {file}: {why}", UNREADABLE) from None
    for key in ("X", "y"):
        if key not in arrays:
            raise TaskError(f"{file}: no array named '{key}'", "save the features as X and the target as y "
                            "(numpy.savez(file, X=X, y=y)); arrays in the file: " + (", ".join(names) or "none"))
        if not isinstance(arrays[key], np.ndarray):
            raise TaskError(f"{file}: member '{key}' is not a NumPy array (not in .npy format)", UNREADABLE)
    x, y = arrays["X"][:, None] if arrays["X"].ndim == 1 else arrays["X"], arrays["y"]
    y = y[:, 0] if y.ndim == 2 and y.shape[1] == 1 else y
    if x.ndim != 2 or y.ndim != 1:  # shapes as the message's own "rows x features": 40 x 2, not (40, 2)
        raise TaskError(f"{file}: X must be 2-D (rows x features) and y 1-D (or one column); X is " + ", y is ".join(
            " x ".join(f"{n:,}" for n in a.shape) or "one number" for a in (x, y)), "save it as numpy.savez(file, "
                        "X=X.reshape(len(y), -1), y=y)")
    if len(x) != len(y):
        raise TaskError(f"{file}: X has {len(x):,} rows but y has {len(y):,}", "X and y need one row per example")
    if len(y) == 0 or x.shape[1] == 0:
        raise TaskError(f"{file}: empty dataset: X is {len(x):,} x {x.shape[1]:,}", "save at least a row and a feature")
    if x.dtype.kind not in "biuf":
        raise TaskError(f"{file}: X must be numeric, got dtype {x.dtype}",
                        "convert the features to numbers (X.astype(float)) before numpy.savez")
    if len(bad := np.argwhere(~(np.isfinite(x := x.astype(np.float64)) & (np.abs(x) <= most)))):
        (r, c), missing, big = bad[0], bool(np.isnan(x[tuple(bad[0])])), bool(np.isfinite(x[tuple(bad[0])]))
        raise TaskError(f"X row {r + 1}, column {c + 1} is {x[r, c]:g}, " + ("a missing value" if missing else
                        f"beyond {most:.0e} in magnitude" if big else "not a finite number"),
                        MISSING_HINT if missing else BEYOND if big else "every number must be finite", str(file))
    if y.dtype.kind not in "biufUS":
        raise TaskError(f"{file}: y must hold numbers or strings, got dtype {y.dtype}",
                        "save y as numbers (y.astype(float)) or as text labels (y.astype(str))")
    cells = [str(v) for v in (y.astype(np.float64) if y.dtype.kind in "biuf" else y.astype(str)).tolist()]
    for i, cell in enumerate(cells):
        if fault := _target_fault(cell, problem, most):
            raise TaskError(f"y row {i + 1}: {fault[0]}", fault[1], str(file))
    return x, cells, [(str(file), f"y row {i + 1}", str(file), f"X row {i + 1}, ") for i in range(len(cells))], \
        [f"x{j}" for j in range(len(x[0]))], []


def _detect(y: Any, forced: str, name: str = "data") -> str:
    """Stated, or detected: text labels and at most ``MAX_CLASSES`` distinct integers are classes.  A
    :class:`TaskError` naming ``name`` when classification is stated for measurements: more than
    ``MAX_CLASSES`` distinct numbers, not all whole."""
    if forced == "regression":
        return "regression"
    if (forced == "classification" and y.dtype.kind in "biuf" and not np.all(y == np.round(y))
            and len(np.unique(y)) > MAX_CLASSES):
        raise TaskError(f"{name}: problem=classification, but the target holds numbers that are not whole "
                        f"({len(np.unique(y)):,} distinct in {len(y):,} rows), not class labels",
                        "use problem=regression, or give class labels")
    if forced == "classification" or y.dtype.kind not in "biuf":
        return "classification"
    yf = y.astype(np.float64)
    if np.all(yf == np.round(yf)) and len(np.unique(yf)) <= MAX_CLASSES:
        if len(np.unique(yf)) == 1:  # one number: no reading learns from it, so name both (and too few rows)
            few = len(y) < 4
            raise TaskError(f"{name}: " + (f"too few rows ({len(y):,}), and " * few) + f"the target is {yf[0]:g} on "
                            f"every row{f' ({len(y):,} rows)' * (not few)}: read as classes, one class; read as a "
                            "measurement (:problem=regression), no variation", "give at least 4 rows (a 60/20/20 "
                            "train/validation/test split), with a target that varies" if few else "give a target that "
                            f"varies (whole numbers with at most {MAX_CLASSES} values are read as classes: a classifier"
                            " needs two or more, a regression a spread)")
        return "classification"
    return "regression"
