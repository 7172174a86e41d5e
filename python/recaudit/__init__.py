"""recaudit: audit recommender-system outputs for bias, unfair exposure and filter bubbles.

The audit is recaudit's Rust library, the same code as the ``recaudit`` command; this package
hands it tables and arranges what it returns. Tables may be polars or pandas (>= 2.2) DataFrames,
pyarrow Tables (anything with ``__arrow_c_stream__``, the Arrow PyCapsule interface) or paths to
CSV/Parquet files. Frames cross to Rust through the Arrow C stream interface, without a copy
through CSV or Python objects.

>>> import recaudit
>>> a = recaudit.audit("data/recs.csv", "data/users.csv", slices=["gender"])  # doctest: +SKIP
>>> a.metrics()                                                                 # doctest: +SKIP
"""

from __future__ import annotations

import difflib
import html
import json
import os
from typing import Any, Iterable, Mapping, Optional, Sequence, Union

from recaudit import _recaudit
from recaudit._recaudit import InputError

__all__ = ["Audit", "InputError", "audit", "generate", "main"]
__version__ = "0.1.0"

TABLES = ("recs", "users", "items", "truth", "history")

# Settings given as a list that the command line takes as one flag per value.
_REPEATED = {"intersect", "reference", "bucket"}
# Keywords that belong to the command line's output, not to the audit's settings.
_NOT_SETTINGS = {"out", "quiet", "timings", "json_only"}


def _table_name(table: str, obj: Any) -> str:
    """The name a frame stands under in messages and in ``provenance``: ``<recs: polars.DataFrame>``."""
    kind = type(obj)
    return f"<{table}: {kind.__module__.split('.')[0]}.{kind.__name__}>"


def _arrow_source(obj: Any) -> Any:
    """``obj`` if it speaks the Arrow PyCapsule interface, else (an older pandas) a pyarrow Table."""
    if hasattr(obj, "__arrow_c_stream__"):
        return obj
    if type(obj).__module__.split(".")[0] == "pandas":
        import pyarrow  # pandas < 2.2 has no __arrow_c_stream__

        return pyarrow.Table.from_pandas(obj, preserve_index=False)
    raise TypeError(
        f"expected a path, or a polars/pandas DataFrame or pyarrow Table (anything with "
        f"__arrow_c_stream__); got {type(obj).__name__}"
    )


def _flag_values(key: str, value: Any) -> list[str]:
    """The command-line words for the setting ``key`` = ``value``."""
    flag = "--" + key.replace("_", "-")
    if value is None or value is False:
        return []
    if value is True:
        return [flag]
    if isinstance(value, Mapping):
        value = [f"{k}={_joined(v)}" for k, v in value.items()]
    if isinstance(value, (list, tuple)):
        if key in _REPEATED:
            words: list[str] = []
            for v in value:
                words += [flag, _joined(v)]
            return words
        return [flag, _joined(value)]
    return [flag, os.fspath(value) if isinstance(value, os.PathLike) else str(value)]


def _joined(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return ",".join(str(v) for v in value)
    return str(value)


# The long flags of `recaudit audit` (with `_` for `-`), and each settings-file key's tables
# ("" for the top level): the same lists the command line and the settings file use.
_FLAGS = frozenset(f.replace("-", "_") for f in _recaudit.audit_flags())
_SETTING_TABLES: dict[str, list[str]] = {}
for _table, _key in _recaudit.settings_keys():
    _SETTING_TABLES.setdefault(_key, []).append(_table)
del _table, _key
_SECTIONS = frozenset(t for tables in _SETTING_TABLES.values() for t in tables if t)


def _plain(value: Any) -> Any:
    """``value`` as JSON data (paths as strings, tuples as lists)."""
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _settings_document(settings: Mapping[str, Any]) -> dict[str, Any]:
    """The settings file, as data, of keywords named like its keys: ``resamples=500`` goes to
    ``[stats]``, ``user="uid"`` to ``[columns]``, ``stats={...}`` is a whole section. A
    mistyped key inside a section's dictionary is reported by recaudit with the nearest valid
    key, as in a settings file."""
    document: dict[str, Any] = {}
    for key, value in settings.items():
        # `slices` is both a section and a key of [columns]: a dictionary is the section.
        if key in _SECTIONS and (key not in _SETTING_TABLES or isinstance(value, Mapping)):
            if not isinstance(value, Mapping):
                raise TypeError(f"`{key}` is a section of the settings: give it as a dictionary")
            document.setdefault(key, {}).update(_plain(value))
            continue
        tables = _SETTING_TABLES.get(key, [""])
        if len(tables) > 1:
            shown = " and ".join(f"[{t}]" if t else "the top level" for t in tables)
            example = next(t for t in tables if t)
            raise TypeError(
                f"`{key}` is a key of {shown}: give it by section, e.g. {example}={{'{key}': ...}}"
            )
        table = tables[0]
        (document.setdefault(table, {}) if table else document)[key] = _plain(value)
    return document


def _command_line(
    tables: Mapping[str, Any], settings: Mapping[str, Any]
) -> tuple[list[str], dict[str, Any], dict[str, Any]]:
    """The ``recaudit audit`` command line, the frames it reads from memory (by name) and the
    settings given by their settings-file names (see :func:`_settings_document`)."""
    args = ["recaudit", "audit"]
    by_name: dict[str, Any] = {}
    frames: dict[str, Any] = {}
    for table, obj in tables.items():
        if obj is None:
            continue
        flag = "--" + table.replace("_", "-")
        if isinstance(obj, (str, os.PathLike)):
            args += [flag, os.fspath(obj)]
        else:
            name = _table_name(table, obj)
            frames[name] = _arrow_source(obj)
            args += [flag, name]
    for key, value in settings.items():
        if key in _NOT_SETTINGS or key in TABLES or key == "baseline_recs":
            raise TypeError(f"audit() does not take `{key}` as a setting")
        if value is None:
            continue
        # A table value (`position_weight={"kind": "rbp", ...}`) is the settings file's form.
        as_setting = key in _SETTING_TABLES and isinstance(value, Mapping)
        if key in _FLAGS and not as_setting:
            args += _flag_values(key, value)
        elif key in _SETTING_TABLES or key in _SECTIONS:
            by_name[key] = value
        else:
            near = difflib.get_close_matches(key, sorted(_FLAGS | set(_SETTING_TABLES)), n=1)
            hint = f"; did you mean `{near[0]}`?" if near else " (docs/inputs.md lists them)"
            raise TypeError(f"audit() got `{key}`, which is neither a setting nor a flag{hint}")
    return args, frames, _settings_document(by_name)


def audit(
    recs: Any,
    users: Any,
    items: Any = None,
    truth: Any = None,
    history: Any = None,
    *,
    k: Optional[int] = None,
    slices: Union[str, Sequence[str], None] = None,
    policy: Union[str, "os.PathLike[str]", None] = None,
    baseline: Union[str, "os.PathLike[str]", None] = None,
    baseline_recs: Any = None,
    **settings: Any,
) -> "Audit":
    """Audits a recommender's lists, as ``recaudit audit`` does, and returns an :class:`Audit`.

    Tables (``recs`` and ``users`` required; ``items``, ``truth`` and ``history`` optional) are
    polars or pandas DataFrames, pyarrow Tables or paths to CSV/Parquet files; docs/inputs.md
    says which columns each needs. Only the needed columns are read.

    Settings are keyword arguments with the names of the settings file's keys (docs/inputs.md),
    whatever their section: ``resamples=2000``, ``confidence=0.9``, ``alpha=0.01``,
    ``permutations=5000``, ``item_resampling=False`` (``[stats]``); ``intersections=[["gender",
    "age_band"]]``, ``min_slice_size=30`` (``[slices]``); ``min_history=5`` (``[bubble]``);
    ``user="uid"``, ``item="sku"`` (``[columns]``, the column renames); ``epsilon=1.0``
    (``[privacy]``); ``calibration_alpha=0.01``, ``head_share=0.2`` (top level). A whole section
    may be given as a dictionary: ``stats={"resamples": 500, "seed": 3}``. ``seed=7`` seeds both
    the statistics and the clustering, as the command line's ``--seed`` does.

    The command line's flags are accepted too, with ``_`` for ``-`` (they win over settings, as
    on the command line): ``k`` (cut-off), ``slices`` (users-table columns), ``policy`` (a gates
    TOML file), ``baseline`` (an earlier audit.json), ``bootstrap=2000``, ``user_col="uid"``,
    ``item_groups=["provider"]``, ``intersect=["gender,age_band"]``,
    ``reference={"gender": "F"}``, ``bucket={"age": [18, 35, 55]}``, ``data="folder/"`` (the
    tables under their standard names). ``config="audit.toml"`` reads a settings file instead of
    settings keywords (giving both is an error).

    ``baseline_recs`` is an earlier run's recommendations (a table like ``recs``): each user's
    list is compared with their baseline list by rank-biased overlap (metric ``rbo``, per slice
    group), at persistence ``rbo_persistence`` (default 0.9).

    Raises :class:`InputError` (a ``ValueError``) with the command line's message when a table,
    column, value or setting is wrong.
    """
    tables = {
        "recs": recs,
        "users": users,
        "items": items,
        "truth": truth,
        "history": history,
        "baseline_recs": baseline_recs,
    }
    given = dict(settings)
    given.update(k=k, slices=slices, policy=policy, baseline=baseline)
    args, frames, document = _command_line(tables, given)
    settings_json = json.dumps(document) if document else None
    return Audit(_recaudit.audit(args, frames, settings_json))


def generate(out: Union[str, "os.PathLike[str]"], *, preset: Optional[str] = None,
             force: bool = False, **settings: Any) -> str:
    """Writes a seeded synthetic audit case into the folder ``out`` (``recaudit generate``).

    ``preset`` names a shipped configuration (``example``, ``bench-1m``, ...); other keywords
    are the command's flags: ``users``, ``items``, ``k``, ``snapshots``, ``seed``,
    ``parquet=True``, ``plant=["popularity"]``. The same settings always write the same files.
    Returns ``out`` as a string.
    """
    args = ["recaudit", "generate", "--out", os.fspath(out)]
    args += _flag_values("preset", preset) + _flag_values("force", force)
    for key, value in settings.items():
        args += _flag_values(key, value)
    _recaudit.run(args)
    return os.fspath(out)


def main(args: Optional[Iterable[str]] = None) -> int:
    """Runs the ``recaudit`` command line (``args`` without the program name) and returns its
    exit code: 0 done, 1 a gate failed, 2 bad input or usage."""
    import sys

    words = list(sys.argv[1:] if args is None else args)
    return _recaudit.main(["recaudit", *words])


class Audit:
    """One audit's result. ``to_json()`` is the CLI's ``audit.json`` to the byte; ``metrics()`` is
    a tidy table of it; ``findings()`` the report's ranked findings; ``write()`` the whole report.
    In a notebook the cell shows the verdict and the top findings."""

    def __init__(self, handle: Any) -> None:
        self._handle = handle
        self._dict: Optional[dict] = None

    def to_json(self) -> str:
        """The text of ``audit.json``, byte for byte as ``recaudit audit`` writes it."""
        return self._handle.json()

    def to_dict(self) -> dict:
        """``audit.json`` as a dictionary (docs/output.md describes it)."""
        if self._dict is None:
            self._dict = json.loads(self.to_json())
        return self._dict

    @property
    def verdict(self) -> str:
        """The report's one-sentence verdict."""
        return self._handle.verdict()

    @property
    def passed(self) -> bool:
        """False when a gate of the policy failed (True without a policy)."""
        return not self._handle.failed()

    def findings(self, top: Optional[int] = None) -> list[dict]:
        """The report's findings, ranked (the gap the most users bear first): each with its
        ``sentence``, ``metric``, ``column``, ``worse`` and ``better`` groups, their values,
        ``difference``, ``ratio``, ``users``, ``share``, ``harm`` and ``level``. ``top`` keeps
        the first ones."""
        return json.loads(self._handle.findings(top))

    def gates(self) -> list[dict]:
        """The gates judged under ``policy`` (``audit.json``'s ``gates.rules``); empty without a
        policy."""
        block = self.to_dict().get("gates") or {}
        return list(block.get("rules", []))

    def gate_lines(self) -> list[str]:
        """The lines ``recaudit audit`` prints for the gates, one per gate and scope."""
        return list(self._handle.gate_lines())

    def metrics(self, backend: str = "polars") -> Any:
        """A tidy table, one row per metric × slice column × group (the overall row has no slice
        column): ``metric``, ``family``, ``better``, ``slice``, ``group``, ``value``, ``ci_low``,
        ``ci_high``, ``n``, ``difference``, ``ratio``, ``p_adjusted``, ``significant``,
        ``suppressed``. Groups withheld for privacy are never named: a slice column with such
        groups has one row with ``group`` empty and ``suppressed`` true, its ``n`` the number of
        groups withheld. Corpus metrics (coverage, Gini, ...) have values only.

        ``backend`` is ``"polars"`` (a polars DataFrame), ``"pandas"`` or ``"rows"`` (a list of
        dicts)."""
        rows = metric_rows(self.to_dict())
        if backend == "rows":
            return rows
        if backend == "polars":
            import polars

            return polars.from_dicts(rows, schema=_polars_schema(polars))
        if backend == "pandas":
            import pandas

            return pandas.DataFrame.from_records(rows, columns=list(_COLUMNS))
        raise ValueError(f"backend must be 'polars', 'pandas' or 'rows', not {backend!r}")

    def write(self, out: Union[str, "os.PathLike[str]"], json_only: bool = False) -> list[str]:
        """Writes ``audit.json``, ``report.html``, the charts, the CSV tables and (under a policy)
        ``gates.junit.xml`` into the folder ``out``, as ``recaudit audit --out`` does (the folder
        is replaced once everything is written). Returns the paths of the main files."""
        return [os.fspath(p) for p in self._handle.write(os.fspath(out), json_only)]

    def _repr_html_(self) -> str:
        top = self.findings(5)
        items = "".join(f"<li>{html.escape(f['sentence'])}</li>" for f in top)
        gates = ""
        lines = self.gate_lines()
        if lines:
            gates = "<p><b>Gates:</b> " + ("failed" if not self.passed else "passed") + "</p>"
            gates += "<pre>" + html.escape("\n".join(lines)) + "</pre>"
        more = len(self.findings()) - len(top)
        tail = f"<p>({more} more findings; <code>.findings()</code> lists them.)</p>" if more > 0 else ""
        return (
            "<div class='recaudit'>"
            f"<p><b>Verdict:</b> {html.escape(self.verdict)}</p>"
            f"{gates}"
            + (f"<ol>{items}</ol>" if items else "<p>No significant gap.</p>")
            + tail
            + "</div>"
        )

    def __repr__(self) -> str:
        return f"<recaudit.Audit: {self.verdict}>"


_COLUMNS = {
    "metric": "str",
    "family": "str",
    "better": "str",
    "slice": "str",
    "group": "str",
    "value": "float",
    "ci_low": "float",
    "ci_high": "float",
    "n": "int",
    "difference": "float",
    "ratio": "float",
    "p_adjusted": "float",
    "significant": "bool",
    "suppressed": "bool",
}


def _polars_schema(polars: Any) -> dict:
    kinds = {"str": polars.String, "float": polars.Float64, "int": polars.Int64, "bool": polars.Boolean}
    return {name: kinds[kind] for name, kind in _COLUMNS.items()}


def _row(**values: Any) -> dict:
    row = dict.fromkeys(_COLUMNS)
    row.update(significant=False, suppressed=False)
    row.update(values)
    return row


def metric_rows(result: Mapping[str, Any]) -> list[dict]:
    """The rows of :meth:`Audit.metrics` from an ``audit.json`` dictionary."""
    rows: list[dict] = []
    for key, m in (result.get("metrics") or {}).items():
        common = {"metric": key, "family": m.get("family"), "better": m.get("better")}
        overall = m.get("overall") or {}
        rows.append(_row(**common, **_estimate(overall)))
        for column, block in (m.get("slices") or {}).items():
            disparity = (block.get("disparity") or {}).get("groups") or {}
            for group, est in (block.get("groups") or {}).items():
                d = disparity.get(group) or {}
                rows.append(
                    _row(
                        **common,
                        slice=column,
                        group=group,
                        **_estimate(est),
                        difference=(d.get("difference") or {}).get("value"),
                        ratio=(d.get("ratio") or {}).get("value"),
                        p_adjusted=d.get("p_adjusted"),
                        significant=bool(d.get("significant")),
                    )
                )
    definitions = result.get("definitions") or {}

    def corpus_row(key: str, **values: Any) -> dict:
        d = definitions.get(key) or {}
        return _row(metric=key, family=d.get("family"), better=d.get("better"), **values)

    corpus = result.get("corpus") or {}
    for key, value in ((corpus.get("overall") or {}).get("scalars") or {}).items():
        rows.append(corpus_row(key, value=value))
    for column, groups in (corpus.get("slices") or {}).items():
        for group, block in groups.items():
            for key, value in (block.get("scalars") or {}).items():
                rows.append(corpus_row(key, slice=column, group=group, value=value))
    for column, block in (result.get("slices") or {}).items():
        withheld = (block.get("groups_too_small") or 0) + (block.get("groups_withheld") or 0)
        if withheld:
            rows.append(_row(metric=None, slice=column, n=withheld, suppressed=True))
    return rows


def _estimate(est: Mapping[str, Any]) -> dict:
    return {k: est.get(k) for k in ("value", "ci_low", "ci_high", "n")}
