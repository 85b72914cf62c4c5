"""Files of the command line: reading inputs, checking outputs, writing them atomically.

Nothing here is public API. The rules:

- an output path may not be any input, nor another output (compared after resolving symbolic
  links, and as the same file when a hard link points to it);
- an output that is a symbolic link is written through it (the link stays, the file it points
  to is replaced), and an existing read-only output file is refused, not replaced;
- the folder of every output is checked by creating (and removing) a file in it, and the
  optional packages a file type needs are imported, before any reading or fitting;
- an output is written to a temporary file beside it and moved into place with
  :func:`os.replace`, so an error or Ctrl-C leaves the previous file as it was;
- customer ids are read as text from text files, so ``00042`` stays ``00042``; the named
  index of a Parquet file (``df.set_index("customer_id").to_parquet(...)``) is read as columns;
- a table whose header names a column twice, or whose columns have several levels, is refused
  (pandas would rename the second ``amount`` to ``amount.1`` and read the first one silently).
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import tomllib
import warnings
from collections.abc import Callable, Hashable, Iterable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from custloyalty._output import atomic_path, real_target, refuse_read_only
from custloyalty._state import unique_keys
from custloyalty.errors import CustLoyaltyWarning, ValidationError

#: table formats the CLI reads and writes, by suffix
TABLE_SUFFIXES = (".csv", ".csv.gz", ".tsv", ".parquet", ".pq")
#: significant digits of floating-point numbers in written CSV/TSV tables
FLOAT_FORMAT = "%.10g"

PARQUET_EXTRA = "Parquet files need pyarrow: pip install 'custloyalty[parquet]'"
YAML_EXTRA = (
    "YAML configs need PyYAML: pip install 'custloyalty[yaml]', or use a TOML or JSON config"
)
REPORT_EXTRA = "the HTML report needs matplotlib: pip install 'custloyalty[plot]'"


def suffix_of(path: str | Path) -> str:
    """Lower-case suffix, with ``.csv.gz`` kept whole."""
    p = Path(path)
    two = "".join(p.suffixes[-2:]).lower()
    return two if two in (".csv.gz", ".tsv.gz") else p.suffix.lower()


def reason(exc: BaseException) -> str:
    """One line saying why a file could not be read or written."""
    if isinstance(exc, pd.errors.EmptyDataError):
        return "the file is empty"
    if isinstance(exc, UnicodeDecodeError):
        return f"not a UTF-8 text file ({exc.reason} at byte {exc.start})"
    text = " ".join(str(exc).split())
    return text or type(exc).__name__


def existing(path: str, what: str) -> Path:
    """Return the path of an input file, which must exist."""
    p = Path(path)
    if p.is_dir():
        msg = f"{what} file {path} is a folder, not a file"
        raise ValidationError(msg)
    if not p.is_file():
        msg = f"{what} file not found: {path}"
        raise FileNotFoundError(msg)
    return p


# -------------------------------------------------------------------------- checks up front
def _same(a: Path, b: Path) -> bool:
    if a.resolve() == b.resolve():
        return True
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:  # pragma: no cover - a file vanishing between the two calls
        return False


def check_paths(inputs: Sequence[tuple[str, str]], outputs: Sequence[tuple[str, str]]) -> None:
    """Refuse an output that is an input or another output; check each output's folder.

    ``inputs`` and ``outputs`` are ``(flag or role, path)`` pairs. The folder check creates and
    removes a temporary file, which also works where permission bits do not tell (root, ACLs,
    read-only mounts).
    """
    seen: list[tuple[str, Path]] = []
    for flag, out in outputs:
        path = Path(out)
        for role, inp in inputs:
            if _same(path, Path(inp)):
                msg = (
                    f"refusing to write {flag} {out}: it is the {role} file, which would be "
                    "overwritten\nHint: choose another output path."
                )
                raise ValidationError(msg)
        for other_flag, other in seen:
            if _same(path, other):
                msg = f"{flag} and {other_flag} name the same file {out}"
                raise ValidationError(msg + "\nHint: give each output its own path.")
        seen.append((flag, path))
        if path.is_dir():
            msg = f"cannot write {flag} {out}: it is a folder"
            raise ValidationError(msg + "\nHint: give a file name, e.g. out/scores.csv.")
        refuse_read_only(path, f"cannot write {flag} {out}")
        folder = real_target(path).parent
        try:
            fd, probe = tempfile.mkstemp(dir=folder, prefix=".custloyalty-probe-")
        except OSError as exc:
            why = "the folder does not exist" if not folder.is_dir() else reason(exc)
            msg = f"cannot write {flag} {out}: {why}"
            raise ValidationError(msg) from exc
        os.close(fd)
        os.unlink(probe)


def check_suffix(path: str, flag: str, allowed: Sequence[str], kind: str) -> None:
    """Refuse an output whose suffix is not one we write (never a CSV named ``.xlsx``)."""
    suffix = suffix_of(path)
    if suffix not in allowed:
        shown = suffix or "no suffix"
        msg = (
            f"cannot write {flag} {path}: {shown!s} is not a {kind} format this command "
            f"writes\nHint: use one of {', '.join(allowed)}."
        )
        raise ValidationError(msg)


def check_extras(paths: Iterable[str], *, report: bool = False) -> None:
    """Import the optional packages the given files (and the report) need, before any work."""
    needs: dict[str, str] = {}
    for path in paths:
        suffix = suffix_of(path)
        if suffix in (".parquet", ".pq"):
            needs["pyarrow"] = f"{path}: {PARQUET_EXTRA}"
        elif suffix in (".yaml", ".yml"):
            needs["yaml"] = f"{path}: {YAML_EXTRA}"
    if report:
        needs["matplotlib"] = REPORT_EXTRA
    for module, text in needs.items():
        try:
            __import__(module)
        except ImportError as exc:
            msg = f"cannot run: {text}"
            raise ValidationError(msg) from exc


# -------------------------------------------------------------------------------- reading
def read_table(path: str, what: str, *, id_column: Hashable | None = None) -> pd.DataFrame:
    """Read a CSV/TSV/Parquet table; the id column of a text file is read as text."""
    p = existing(path, what)
    suffix = "".join(p.suffixes[-2:]).lower()
    sep = ","
    try:
        if suffix.endswith((".parquet", ".pq")):
            df = _index_as_columns(pd.read_parquet(p))
        elif suffix.endswith((".csv", ".csv.gz", ".txt", ".tsv", ".tsv.gz")):
            dtype = {id_column: str} if id_column is not None else None
            sep = "\t" if ".tsv" in suffix else ","
            df = pd.read_csv(p, sep=sep, dtype=dtype)
            other = _other_separator(df, sep)
            if other is not None:  # e.g. a spreadsheet's semicolon-separated export
                df = pd.read_csv(p, sep=other, dtype=dtype)
                sep = other
        else:
            msg = f"cannot read {what} file {path}: use .csv, .csv.gz, .tsv or .parquet"
            raise ValidationError(msg)
    except ImportError as exc:
        msg = f"cannot read {what} file {path}: {PARQUET_EXTRA}"
        raise ValidationError(msg) from exc
    except ValidationError:
        raise
    except (OSError, ValueError) as exc:  # parser errors, bad encodings, corrupt Parquet
        msg = f"cannot read {what} file {path}: {reason(exc)}"
        raise ValidationError(msg) from exc
    if len(df) == 0:
        msg = f"cannot read {what} file {path}: it has no rows"
        raise ValidationError(msg)
    if isinstance(df.columns, pd.MultiIndex):
        msg = (
            f"cannot read {what} file {path}: its columns have {df.columns.nlevels} levels "
            f"(e.g. {df.columns[0]!r})\nHint: write the table with one level of column names."
        )
        raise ValidationError(msg)
    if suffix.endswith((".parquet", ".pq")):
        twice = sorted({str(c) for c in df.columns[df.columns.duplicated()]})
        if twice:
            msg = (
                f"cannot read {what} file {path}: it has more than one column named {twice!r}"
                "\nHint: rename or remove the repeated columns."
            )
            raise ValidationError(msg)
    else:
        _no_repeated_header(p, what, path, sep=sep)
    return df


def _index_as_columns(df: pd.DataFrame) -> pd.DataFrame:
    """Move the named index levels pandas stored in a Parquet file back into the columns.

    ``df.set_index("customer_id").to_parquet(...)`` keeps the ids as the index: a file's
    columns are its data, so they are columns again (a level whose name is also a column is
    dropped, as the column holds it).
    """
    names = [n for n in df.index.names if n is not None]
    if not names:
        return df
    keep = [n for n in names if n not in df.columns]
    drop = [n for n in names if n in df.columns]
    out = df.reset_index(level=drop, drop=True) if drop else df
    return out.reset_index(level=keep) if keep else out.reset_index(drop=True)


def _no_repeated_header(p: Path, what: str, path: str, *, sep: str) -> None:
    """Refuse a text table whose header names a column twice (pandas renames the second)."""
    header = pd.read_csv(p, sep=sep, header=None, nrows=1, dtype=str).iloc[0]
    names = [str(v) for v in header if isinstance(v, str)]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        msg = (
            f"cannot read {what} file {path}: its header names the columns {twice!r} more "
            "than once (only the first would be read)\nHint: rename or remove the repeated "
            "columns."
        )
        raise ValidationError(msg)


def _other_separator(df: pd.DataFrame, sep: str) -> str | None:
    """Return the separator of a file read as one column whose header holds another one."""
    if df.shape[1] != 1:
        return None
    header = str(df.columns[0])
    for other in (";", "\t", "|", ","):
        if other != sep and other in header:
            return other
    return None


def same_id_type(tables: Sequence[tuple[pd.DataFrame | None, Hashable]]) -> None:
    """Give every id column text type when one of them is text (ids from CSV and Parquet).

    Whole-number float ids (a Parquet column of ids with a gap, say) become ``"42"``, not
    ``"42.0"``, so they match the same ids read as text from a CSV file.

    The frames are the CLI's own, just read from files, so they are changed in place.
    """
    present = [(df, col) for df, col in tables if df is not None and col in df.columns]

    def text(s: pd.Series) -> bool:
        return s.dtype == object or isinstance(s.dtype, pd.StringDtype)

    if any(text(df[col]) for df, col in present):
        for df, col in present:
            if not text(df[col]):
                ids = df[col]
                whole = ids
                if pd.api.types.is_float_dtype(ids.dtype):
                    values = ids.dropna().to_numpy(dtype="float64")
                    if (values == values.round()).all() and (abs(values) < 2**53).all():
                        whole = ids.astype("Int64")  # 42.0 (a Parquet float id) reads 42, as text
                df[col] = whole.astype(str).where(ids.notna(), None)


def _yaml_error(exc: Exception) -> str:
    problem = getattr(exc, "problem", None)
    mark = getattr(exc, "problem_mark", None)
    if problem and mark is not None:
        return f"{problem} (line {mark.line + 1}, column {mark.column + 1})"
    return reason(exc)


#: Floats as YAML 1.2 writes them. PyYAML follows YAML 1.1, whose floats need a dot: it reads
#: ``5e1`` and ``1e-3`` as text, so ``thresholds: [5e1]`` was refused as "not a number".
_YAML12_FLOAT = re.compile(
    r"""^(?:[-+]?[0-9][0-9_]*(?:\.[0-9_]*)?(?:[eE][-+]?[0-9]+)
    |[-+]?\.[0-9_]+(?:[eE][-+]?[0-9]+))$""",
    re.X,
)


def _unique_keys_loader(yaml: Any) -> Any:
    """Return a ``yaml.SafeLoader`` that refuses a key given twice in one mapping.

    It also reads YAML 1.2 floats in exponent notation without a dot (``5e1``, ``1e-3``) as
    numbers, which YAML 1.1 reads as text.
    """

    class Loader(yaml.SafeLoader):  # type: ignore[misc]
        def construct_mapping(self, node: Any, deep: bool = False) -> Any:
            keys = [self.construct_object(k, deep=deep) for k, _ in node.value]
            twice = sorted({str(k) for k in keys if keys.count(k) > 1})
            if twice:
                msg = f"the key {twice[0]!r} is given twice"
                raise ValueError(msg)
            return super().construct_mapping(node, deep=deep)

    # per class: SafeLoader's own resolvers are copied, not changed
    Loader.add_implicit_resolver("tag:yaml.org,2002:float", _YAML12_FLOAT, list("-+0123456789."))
    return Loader


def read_config(path: str) -> dict[str, Any]:
    """Read the scorecard settings of a TOML, JSON or YAML file (``[scorecard]`` or top level).

    A leading UTF-8 byte-order mark (Windows editors write one) is skipped; a JSON key given
    twice is refused (TOML refuses it by itself); with a ``[scorecard]`` section, any other
    top-level key or section is refused, since it would be silently ignored; an empty file
    gives the default settings, with a warning.
    """
    p = existing(path, "config")
    try:
        text = p.read_text(encoding="utf-8-sig")
    except (OSError, ValueError) as exc:
        msg = f"cannot read config file {path}: {reason(exc)}"
        raise ValidationError(msg) from exc
    suffix = p.suffix.lower()
    kind = suffix.lstrip(".").upper() if suffix in (".toml", ".yaml", ".yml") else "JSON"
    try:
        if not text.strip():
            data: Any = {}  # an empty file: the defaults (warned below), whatever the format
        elif suffix == ".toml":
            data = tomllib.loads(text)
        elif suffix in (".yaml", ".yml"):
            try:
                import yaml  # type: ignore[import-untyped]
            except ImportError as exc:
                msg = f"cannot read config file {path}: {YAML_EXTRA}"
                raise ValidationError(msg) from exc
            try:
                data = yaml.load(text, Loader=_unique_keys_loader(yaml))  # a SafeLoader
            except yaml.YAMLError as exc:
                msg = f"cannot read config file {path}: not valid YAML: {_yaml_error(exc)}"
                raise ValidationError(msg) from exc
        else:
            data = json.loads(text, object_pairs_hook=unique_keys)
    except (tomllib.TOMLDecodeError, json.JSONDecodeError) as exc:
        msg = f"cannot read config file {path}: not valid {kind}: {reason(exc)}"
        if kind == "JSON" and suffix != ".json":  # JSON for want of a known suffix
            msg += "\nHint: name a TOML config .toml and a YAML one .yaml; others are read as JSON."
        raise ValidationError(msg) from exc
    except ValidationError:
        raise
    except ValueError as exc:  # a key given twice (JSON, YAML)
        msg = (
            f"cannot read config file {path}: {exc}\nHint: keep one value per key; the "
            "file would otherwise be read as if only the last one were there."
        )
        raise ValidationError(msg) from exc
    if not isinstance(data, dict):
        msg = f"config file {path} must hold a table/mapping at the top level"
        raise ValidationError(msg)
    if not data:
        warnings.warn(
            f"config file {path} holds no setting; the default scorecard is used",
            CustLoyaltyWarning,
            stacklevel=2,
        )
    section = data.get("scorecard", data)
    if not isinstance(section, dict):
        msg = f"config file {path}: 'scorecard' must be a table/mapping of settings"
        raise ValidationError(msg)
    if data and not section:  # an empty [scorecard] section, as good as an empty file
        warnings.warn(
            f"config file {path}: its 'scorecard' section holds no setting; the default "
            "scorecard is used",
            CustLoyaltyWarning,
            stacklevel=2,
        )
    others = sorted(str(k) for k in data if k != "scorecard") if "scorecard" in data else []
    if others:
        msg = (
            f"config file {path}: {others!r} lie outside the 'scorecard' section and would "
            "be ignored\nHint: move them under [scorecard] (e.g. [scorecard.tiers]), or "
            "remove the [scorecard] header to give every setting at the top level."
        )
        raise ValidationError(msg)
    return dict(section)


def read_state(path: str) -> dict[str, Any]:
    """Read a fitted scorecard written by ``--save-state`` (BOM skipped, repeated keys refused)."""
    p = existing(path, "state")
    try:
        # a byte-order mark (an editor's) is skipped; a key given twice is refused, not last-wins
        data = json.loads(p.read_text(encoding="utf-8-sig"), object_pairs_hook=unique_keys)
    except json.JSONDecodeError as exc:
        msg = f"cannot read state file {path}: not valid JSON: {reason(exc)}"
        raise ValidationError(msg) from exc
    except (OSError, ValueError) as exc:
        msg = f"cannot read state file {path}: {reason(exc)}"
        raise ValidationError(msg) from exc
    if not isinstance(data, dict) or not isinstance(data.get("config"), dict):
        msg = f"cannot read state file {path}: not a scorecard written by --save-state"
        raise ValidationError(msg)
    if not data.get("fitted"):
        msg = f"state file {path} holds no fitted scorecard; write one with --save-state"
        raise ValidationError(msg)
    return data


# -------------------------------------------------------------------------------- writing
def write_output(
    path: str, flag: str, write: Callable[[Path], object], *, extra: str = PARQUET_EXTRA
) -> None:
    """Write an output through ``write(temporary_path)``, atomically, with our errors.

    ``extra`` is the advice given when the writer lacks an optional package.
    """
    try:
        with atomic_path(path) as tmp:
            write(tmp)
    except ImportError as exc:
        msg = f"cannot write {flag} {path}: {extra}"
        raise ValidationError(msg) from exc
    except OSError as exc:
        msg = f"cannot write {flag} {path}: {reason(exc)}"
        raise ValidationError(msg) from exc


def write_table(table: pd.DataFrame, path: str, flag: str = "output file") -> None:
    """Write a table as CSV/TSV (floats with 10 significant digits) or Parquet."""
    suffix = suffix_of(path)
    out = table.copy()
    for col in out.columns[[isinstance(t, pd.CategoricalDtype) for t in out.dtypes]]:
        out[col] = out[col].astype("string")  # a customer without a tier stays missing

    def write(tmp: Path) -> None:
        if suffix in (".parquet", ".pq"):
            out.to_parquet(tmp)
        else:
            sep = "\t" if suffix.startswith(".tsv") else ","
            out.to_csv(tmp, sep=sep, float_format=FLOAT_FORMAT)

    write_output(path, flag, write)


def write_text(text: str, path: str, flag: str) -> None:
    """Write a text file (the fitted state) atomically."""
    write_output(path, flag, lambda tmp: tmp.write_text(text, encoding="utf-8"))
