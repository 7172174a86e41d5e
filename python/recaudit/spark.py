"""recaudit on Spark DataFrames: the map of the partitioned audit runs in the executors.

``recaudit.spark.audit(recs, users, ...)`` takes Spark DataFrames (pyspark >= 4.0) and returns
the :class:`recaudit.Audit` that :func:`recaudit.audit` returns. Every number comes from the
recaudit library (the wheel, installed on the driver and on every executor); Spark moves the rows
and the partial states (docs/spark.md):

1. **Staging** (executors): each table is partitioned by ``pmod(xxhash64(cast(user as string)),
   n)`` (the user key recaudit itself uses) and written by ``mapInArrow`` tasks as one Parquet
   file per partition under a shared name (``recs/part-00003.parquet``, ``users/part-00003...``):
   the partitioned folder ``recaudit audit --data`` reads. The items table is written once.
2. **Global pass**: each partition summarised in the executors (``mapInArrow``,
   ``summarize_partition``: its catalog contribution, the history's item counts, the lists'
   counts for the γ fit, the users tables' counts and combinations, its input counts; a few
   hundred kB), the summaries collected and merged on the driver in partition order, then
   finished there into the catalog, item statistics, slice plan and input counts, whose map
   tasks' share is broadcast as bytes. The driver reads no partition.
3. **Map** (executors, ``mapInArrow``): each task reads its partition's files and writes its
   partial states (``map_partition``) as a file into the staging folder's ``_states/``.
4. **Merge and finish** (driver): the states read and merged one at a time in partition order,
   the segregation's fit
   broadcast for a second map round when the items have categories, then the finish.

The staging folder must be a path every executor and the driver read and write as a local path
(``local[*]``: any folder; a cluster: a shared mount such as ``/dbfs/...`` or NFS).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from typing import Any, Callable, Mapping, Optional, Sequence, Union

from recaudit import Audit, _command_line, _recaudit
from recaudit._recaudit import InputError

__all__ = ["audit"]

# The tables split into partitions of users (the items table is written whole).
PARTITIONED = ("recs", "users", "truth", "history")
# The column that carries each row's partition while staging (dropped before writing).
_PART = "__recaudit_partition"

# Where the last audit's tasks ran and what they returned, for tests and diagnostics: per step
# (``global``, ``map``, ``clusters``), the process ids of the Python workers that ran its tasks;
# ``global_bytes``: each partition's summary's size in bytes.
_last_run: dict = {}


def _user_column(settings: Mapping[str, Any]) -> str:
    """The user id column the audit reads: ``user_col=`` (flag), ``user=`` or
    ``columns={"user": ...}`` (settings), else ``user_id``."""
    for value in (
        settings.get("user_col"),
        settings.get("user"),
        (settings.get("columns") or {}).get("user") if isinstance(settings.get("columns"), Mapping) else None,
    ):
        if value:
            return str(value)
    return "user_id"


def _partition_name(index: int) -> str:
    return f"part-{index:05d}"


def _stage_table(df: Any, table: str, user: str, n: int, folder: str) -> set:
    """Writes ``df`` as ``folder/table/part-<i>.parquet``, partition ``i`` holding the rows of the
    users whose key ``xxhash64(cast(user as string))`` is ``i`` modulo ``n``; returns the
    partitions written (those holding rows). Runs in the executors (``mapInArrow``)."""
    from pyspark.sql import functions as F

    if user not in df.columns:
        raise InputError(
            f"<{table}: pyspark.sql.DataFrame>: no column `{user}` (the user id); its columns "
            f"are: {', '.join(df.columns)}"
        )
    target = os.path.join(folder, table)
    os.makedirs(target, exist_ok=True)
    key = F.pmod(F.xxhash64(F.col(user).cast("string")), F.lit(n))
    staged = (
        df.withColumn(_PART, key.cast("long"))
        .repartition(n, _PART)
        .sortWithinPartitions(_PART)
    )

    def write(batches: Any) -> Any:
        import uuid

        import pyarrow as pa
        import pyarrow.compute as pc
        import pyarrow.parquet as pq

        writer = None
        current = None
        temporary = None
        written: list = []

        def close() -> None:
            if writer is not None:
                writer.close()
                # Atomic: a retried or speculative task replaces the file whole.
                os.replace(temporary, os.path.join(target, _partition_name(current) + ".parquet"))
                written.append(current)

        for batch in batches:
            if batch.num_rows == 0:
                continue
            parts = batch.column(batch.schema.get_field_index(_PART))
            data = batch.drop_columns([_PART])
            # The batch is sorted by partition: cut it at each change.
            ends = pc.indices_nonzero(pc.not_equal(parts[1:], parts[:-1])).to_pylist()
            start = 0
            for end in [e + 1 for e in ends] + [batch.num_rows]:
                part = parts[start].as_py()
                if part != current:
                    close()
                    current = part
                    # A name starting with `.` is ignored by the folder's reader until renamed.
                    temporary = os.path.join(target, f".{_partition_name(part)}.{uuid.uuid4().hex}.tmp")
                    writer = pq.ParquetWriter(temporary, data.schema)
                writer.write_batch(data.slice(start, end - start))
                start = end
        close()
        yield pa.RecordBatch.from_arrays([pa.array(written, pa.int64())], names=["partition"])

    result = staged.mapInArrow(write, "partition long").toArrow()
    return set(result.column("partition").to_pylist())


def _stage(tables: Mapping[str, Any], items: Any, user: str, n: int, folder: str) -> None:
    """The partitioned folder of the tables (``recs/``, ``users/``, ``truth/``, ``history/``,
    ``items.parquet``). Errors when a table holds rows of a partition the recommendations do not,
    or has no rows in one they do (the folder's reader refuses both; give fewer partitions)."""
    written = {t: _stage_table(df, t, user, n, folder) for t, df in tables.items() if df is not None}
    recs = written["recs"]
    for table, parts in written.items():
        if parts != recs:
            missing = sorted(recs - parts)
            extra = sorted(parts - recs)
            what = (
                f"no rows in partition(s) {missing} of the recommendations"
                if missing
                else f"rows of users without recommendations in partition(s) {extra}"
            )
            raise InputError(
                f"<{table}: pyspark.sql.DataFrame>: {what}; every partition of users must hold "
                f"rows of every table: give fewer partitions (partitions=) or leave such rows out"
            )
    if items is not None:
        import pyarrow.parquet as pq

        pq.write_table(items.toArrow(), os.path.join(folder, "items.parquet"))


def _map(
    spark: Any, names: Sequence[str], task: Callable[[str], Any], binary: bool, step: str
) -> list:
    """``task(name)`` for every partition, one Spark task per partition (``mapInArrow``); the
    results (``bytes`` when ``binary``, else integers) in partition order. The process ids of
    the workers that ran the tasks go to ``_last_run[step]``."""
    import pyarrow as pa

    kind = pa.binary() if binary else pa.int64()

    def run(batches: Any) -> Any:
        for batch in batches:
            for i in batch.column(0).to_pylist():
                value = task(names[i])
                yield pa.RecordBatch.from_arrays(
                    [
                        pa.array([i], pa.int64()),
                        pa.array([value], kind),
                        pa.array([os.getpid()], pa.int64()),
                    ],
                    names=["index", "value", "pid"],
                )

    n = len(names)
    schema = "index long, value " + ("binary" if binary else "long") + ", pid long"
    table = spark.range(0, n, 1, numPartitions=n).mapInArrow(run, schema).toArrow()
    by_index = dict(zip(table.column("index").to_pylist(), table.column("value").to_pylist()))
    _last_run[step] = sorted(set(table.column("pid").to_pylist()))
    return [by_index[i] for i in range(n)]


def audit(
    recs: Any,
    users: Any,
    items: Any = None,
    truth: Any = None,
    history: Any = None,
    *,
    out: Union[str, "os.PathLike[str]", None] = None,
    partitions: Optional[int] = None,
    staging: Union[str, "os.PathLike[str]", None] = None,
    k: Optional[int] = None,
    slices: Union[str, Sequence[str], None] = None,
    policy: Union[str, "os.PathLike[str]", None] = None,
    baseline: Union[str, "os.PathLike[str]", None] = None,
    **settings: Any,
) -> Audit:
    """Audits Spark DataFrames as :func:`recaudit.audit` audits frames, the map in the executors.

    ``recs`` and ``users`` (required), ``items``, ``truth`` and ``history`` are Spark DataFrames
    with the columns docs/inputs.md names. Settings and flags are :func:`recaudit.audit`'s
    keywords (``resamples=``, ``intersect=``, ``config=``, ...), plus:

    - ``out``: a folder to write ``audit.json``, ``report.html`` and the rest into, as
      ``recaudit audit --out`` does;
    - ``partitions``: partitions of users (default: Spark's default parallelism); each must hold
      rows of every table given;
    - ``staging``: the folder the partitioned tables are written to, which the executors and
      the driver read as a local path (a shared mount on a cluster). Default: a temporary
      folder (fine in ``local`` mode), removed afterwards; a given folder is left in place.

    Returns the :class:`recaudit.Audit` of the tables, whose ``to_json()`` equals ``recaudit
    audit --data FOLDER`` of the staged folder byte for byte but for ``provenance``.
    """
    spark = recs.sparkSession
    for name in ("data", "baseline_recs") + tuple(t for t in PARTITIONED if t in settings):
        if name in settings:
            raise TypeError(f"recaudit.spark.audit() does not take `{name}`")
    given = dict(settings)
    given.update(k=k, slices=slices, policy=policy, baseline=baseline)
    args, _, document = _command_line({}, given)
    user = _user_column(given)
    n = int(partitions or spark.sparkContext.defaultParallelism or 1)
    if n < 1:
        raise ValueError(f"partitions must be at least 1, not {n}")

    own = staging is None
    folder = tempfile.mkdtemp(prefix="recaudit-spark-") if own else os.fspath(staging)
    if not own:
        os.makedirs(folder, exist_ok=True)
        for table in PARTITIONED:
            if os.path.exists(os.path.join(folder, table)):
                raise InputError(f"{folder}: already holds {table}/; give an empty staging folder")
    try:
        tables = {"recs": recs, "users": users, "truth": truth, "history": history}
        _stage(tables, items, user, n, folder)
        args += ["--data", folder]
        driver = _recaudit.spark_driver(args, json.dumps(document) if document else None)
        names = driver.partitions()
        _last_run.clear()
        # The global pass: each partition summarised in an executor, the summaries (small:
        # docs/spark.md) collected, merged in partition order and finished on the driver.
        global_settings = driver.global_task_bytes()
        summarize = _recaudit.spark_global
        summaries = _map(
            spark,
            names,
            lambda name: summarize(folder, global_settings, name),
            binary=True,
            step="global",
        )
        _last_run["global_bytes"] = [len(b) for b in summaries]
        driver.global_pass(summaries)
        del summaries
        sc = spark.sparkContext
        shipped = sc.broadcast(driver.map_task_bytes())
        map_partition = _recaudit.spark_map
        map_clusters = _recaudit.spark_clusters
        # Each task writes its partition's states into the staging folder (they can be large:
        # docs/spark.md); the driver reads and merges them one at a time.
        states = os.path.join(folder, "_states")
        os.makedirs(states, exist_ok=True)
        paths = [os.path.join(states, f"{name}.state") for name in names]
        try:
            _map(
                spark,
                names,
                lambda name: map_partition(
                    folder, shipped.value, name, os.path.join(states, f"{name}.state")
                ),
                binary=False,
                step="map",
            )
            fit = driver.merge(paths)
            clusters: list = []
            if fit is not None:
                fitted = sc.broadcast(fit)
                try:
                    clusters = _map(
                        spark,
                        names,
                        lambda name: map_clusters(folder, shipped.value, fitted.value, name),
                        binary=True,
                        step="clusters",
                    )
                finally:
                    fitted.destroy()
        finally:
            shipped.destroy()
        result = Audit(driver.finish(clusters))
    finally:
        if own:
            shutil.rmtree(folder, ignore_errors=True)
    if out is not None:
        result.write(out)
    return result
