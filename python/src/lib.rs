//! `recaudit._recaudit`, the native module of the Python package: the CLI's entry point, the audit
//! of frames handed over through the Arrow C stream interface (or of files), and the audit's
//! outputs. Every number comes from the recaudit library; the Python side only arranges them.
//!
//! Nothing panics across the boundary: a panic inside recaudit becomes a `RuntimeError` naming it
//! as a bug, and bad input an `InputError` (a `ValueError`) with the CLI's message.

use std::ffi::CStr;
use std::panic::{self, AssertUnwindSafe};
use std::path::PathBuf;
use std::sync::Mutex;

use clap::Parser;
use polars::prelude::{Column, DataFrame, Series};
use polars_arrow::array::StructArray;
use polars_arrow::datatypes::ArrowDataType;
use polars_arrow::ffi::{ArrowArrayStream, ArrowArrayStreamReader};
use pyo3::create_exception;
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyCapsule, PyDict};

use recaudit::cli::args::{Cli, Command};
use recaudit::cli::settings_file::settings_text_from_json;
use recaudit::cli::{json_text, prepare_audit, progress, run_audit, Audited, Prepared};
use recaudit::input::files::panic_message;
use recaudit::input::memory;
use recaudit::metrics::segregation::Fitted;
use recaudit::partial::{
    check_folder_settings, finish_audit, fit_from_bytes, fit_segregation, fit_to_bytes,
    map_partition, map_partition_clusters, read_partition, read_partition_lists,
    settings_from_bytes, settings_to_bytes, summarize_partition, GlobalSummary, Globals, Layout,
    PartialClusters, PartitionStates,
};
use recaudit::report::findings::{area_statuses, gaps, top_findings, verdict};

create_exception!(
    _recaudit,
    InputError,
    PyValueError,
    "Bad input: a table, column, value or setting recaudit cannot audit (the CLI's message)."
);

/// The name under which the Arrow C stream capsule is exported (the Arrow PyCapsule interface).
const STREAM_CAPSULE: &CStr = c"arrow_array_stream";

/// Frames registered under names that stand in for paths are process-wide: one audit of frames
/// at a time, so that two audits never see each other's tables.
static FRAME_AUDIT: Mutex<()> = Mutex::new(());

/// Runs `f`, turning a panic into a `RuntimeError` and an error into an `InputError`.
fn guarded<T>(f: impl FnOnce() -> anyhow::Result<T>) -> PyResult<T> {
    match panic::catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(t)) => Ok(t),
        Ok(Err(e)) => Err(input_error(&e)),
        Err(payload) => Err(PyRuntimeError::new_err(format!(
            "internal error: {}; this is a bug in recaudit, please report it",
            panic_message(payload.as_ref())
        ))),
    }
}

/// The CLI's message of `e` (after its `error: `), as an `InputError`.
fn input_error(e: &anyhow::Error) -> PyErr {
    InputError::new_err(recaudit::text::visible_lines(&format!("{e:#}")).to_string())
}

/// Reads the Arrow C stream of `obj` (anything with `__arrow_c_stream__`: a polars or pandas
/// DataFrame, a pyarrow Table) into a polars DataFrame. The column buffers are shared, not copied
/// (strings of a type polars stores differently are converted once).
fn frame_from_stream(obj: &Bound<'_, PyAny>, name: &str) -> PyResult<DataFrame> {
    let capsule = obj.call_method0("__arrow_c_stream__")?;
    let capsule = capsule.cast::<PyCapsule>().map_err(|_| {
        InputError::new_err(format!(
            "{name}: `__arrow_c_stream__` did not return a PyCapsule"
        ))
    })?;
    let pointer = capsule.pointer_checked(Some(STREAM_CAPSULE))?;
    // SAFETY: the capsule holds an `ArrowArrayStream` (its name says so); the stream is moved out
    // and the capsule's copy is left released (an empty stream), as the interface requires.
    let stream = unsafe {
        std::ptr::replace(
            pointer.as_ptr() as *mut ArrowArrayStream,
            ArrowArrayStream::empty(),
        )
    };
    let bad = |e: polars::prelude::PolarsError| {
        InputError::new_err(format!("{name}: cannot read the frame's Arrow stream: {e}"))
    };
    // SAFETY: `stream` is a valid Arrow C stream, owned here.
    let mut reader = unsafe { ArrowArrayStreamReader::try_new(Box::new(stream)) }.map_err(bad)?;
    let fields = match &reader.field().dtype {
        ArrowDataType::Struct(fields) => fields.clone(),
        other => {
            return Err(InputError::new_err(format!(
                "{name}: the frame's Arrow stream holds {other:?}, not a table"
            )))
        }
    };
    let mut chunks: Vec<Vec<Box<dyn polars_arrow::array::Array>>> = vec![Vec::new(); fields.len()];
    // SAFETY: the reader owns the stream; each array it yields is owned by the caller.
    while let Some(batch) = unsafe { reader.next() } {
        let batch = batch.map_err(bad)?;
        let batch = batch
            .as_any()
            .downcast_ref::<StructArray>()
            .ok_or_else(|| InputError::new_err(format!("{name}: a batch is not a table")))?;
        for (column, values) in chunks.iter_mut().zip(batch.values()) {
            column.push(values.clone());
        }
    }
    let columns = fields
        .iter()
        .zip(chunks)
        .map(|(field, arrays)| {
            let arrays = if arrays.is_empty() {
                vec![polars_arrow::array::new_empty_array(field.dtype.clone())]
            } else {
                arrays
            };
            let series = Series::try_from((field, arrays)).map_err(|e| {
                InputError::new_err(format!(
                    "{name}: column `{}`: cannot read its type {:?}: {e}",
                    field.name, field.dtype
                ))
            })?;
            Ok(Column::from(series))
        })
        .collect::<PyResult<Vec<_>>>()?;
    DataFrame::new_infer_height(columns).map_err(bad)
}

/// Where settings given as `audit()` keywords stand in messages, as a settings file would.
const SETTINGS_NAME: &str = "audit() settings";

/// The audit of the command line `args` (`recaudit audit ...`, program name first), where the
/// tables of `frames` (path → object with `__arrow_c_stream__`) are read from memory and
/// `settings` (a JSON object shaped like the settings file) stand in for a `--config` file.
#[pyfunction]
#[pyo3(signature = (args, frames, settings=None))]
fn audit(
    py: Python<'_>,
    args: Vec<String>,
    frames: &Bound<'_, PyDict>,
    settings: Option<String>,
) -> PyResult<AuditHandle> {
    let a = audit_args(&args, settings)?;
    let mut held = Vec::new();
    for (path, obj) in frames.iter() {
        let path: String = path.extract()?;
        held.push((PathBuf::from(&path), frame_from_stream(&obj, &path)?));
    }
    let audited = py.detach(move || {
        let _one_at_a_time = FRAME_AUDIT.lock().unwrap_or_else(|e| e.into_inner());
        let _registered: Vec<memory::Registered> = held
            .into_iter()
            .map(|(path, frame)| memory::register(path, frame))
            .collect();
        guarded(|| {
            let bar = progress::Bar::new(true, false);
            run_audit(&a, false, &bar)
        })
    })?;
    Ok(AuditHandle { audited })
}

/// Every key of the settings file as `(table, key)` (`table` empty at the top level).
#[pyfunction]
fn settings_keys() -> Vec<(String, String)> {
    recaudit::cli::settings_file::settings_keys()
}

/// The long flags of `recaudit audit`, without their `--`.
#[pyfunction]
fn audit_flags() -> Vec<String> {
    use clap::CommandFactory;
    Cli::command()
        .find_subcommand("audit")
        .map(|audit| {
            audit
                .get_arguments()
                .filter_map(|arg| arg.get_long().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// Runs the command line `args` (program name first) as the `recaudit` binary does and returns
/// its exit code: the console command of the wheel.
#[pyfunction]
fn main(py: Python<'_>, args: Vec<String>) -> u8 {
    py.detach(|| recaudit::cli::main_with(args))
}

/// Runs a subcommand other than `audit` (such as `generate`) from its command line `args`
/// (program name first), raising `InputError` with the CLI's message when it fails; returns the
/// exit code (0, or 1 when a gate failed).
#[pyfunction]
fn run(py: Python<'_>, args: Vec<String>) -> PyResult<u8> {
    let cli = Cli::try_parse_from(&args).map_err(|e| InputError::new_err(e.to_string()))?;
    py.detach(|| guarded(|| recaudit::cli::run(cli.command).map(|o| o.exit_code())))
}

/// One audit's result, held in Rust: its `audit.json`, findings and verdict, and the writing of
/// its report.
#[pyclass(module = "recaudit._recaudit", frozen)]
struct AuditHandle {
    audited: Audited,
}

#[pymethods]
impl AuditHandle {
    /// The text of `audit.json`, byte for byte as the CLI writes it.
    fn json(&self) -> PyResult<String> {
        guarded(|| json_text(&self.audited.result))
    }

    /// Whether a gate of the policy failed.
    fn failed(&self) -> bool {
        self.audited.failed()
    }

    /// The gate lines the CLI prints (one per gate and scope).
    fn gate_lines(&self) -> Vec<String> {
        self.audited
            .gates
            .as_ref()
            .map(|g| g.lines())
            .unwrap_or_default()
    }

    /// The report's verdict sentence.
    fn verdict(&self) -> PyResult<String> {
        guarded(|| {
            let result = &self.audited.result;
            let opts = self.audited.report_options();
            let all = gaps(result);
            let top = top_findings(&all, 3);
            let areas = area_statuses(result, &all, opts.gates.as_deref());
            Ok(verdict(result, &areas, &top))
        })
    }

    /// The report's findings, ranked, as JSON: at most `max` of them (every one when `None`).
    #[pyo3(signature = (max=None))]
    fn findings(&self, max: Option<usize>) -> PyResult<String> {
        guarded(|| {
            let all = gaps(&self.audited.result);
            let shown = top_findings(&all, max.unwrap_or(all.len()));
            let rows: Vec<serde_json::Value> = shown
                .iter()
                .map(|g| {
                    serde_json::json!({
                        "sentence": g.sentence(),
                        "metric": g.metric,
                        "label": g.label,
                        "family": g.family,
                        "column": g.column,
                        "worse": g.worse,
                        "better": g.better,
                        "reference": g.reference,
                        "worse_value": g.worse_value,
                        "better_value": g.better_value,
                        "difference": g.difference.value,
                        "ratio": g.ratio.as_ref().map(|r| r.value),
                        "users": g.users,
                        "share": g.share,
                        "harm": g.harm,
                        "level": g.level,
                    })
                })
                .collect();
            Ok(serde_json::to_string(&rows)?)
        })
    }

    /// Writes the audit, report, charts, tables and JUnit file into `out` as the CLI does;
    /// returns the paths written (`html`, `json`, `junit`).
    #[pyo3(signature = (out, json_only=false))]
    fn write(&self, py: Python<'_>, out: PathBuf, json_only: bool) -> PyResult<Vec<PathBuf>> {
        py.detach(|| {
            guarded(|| {
                let w = self.audited.write(&out, json_only)?;
                let mut paths = vec![w.json];
                if !json_only {
                    paths.push(w.html);
                }
                paths.extend(w.junit);
                Ok(paths)
            })
        })
    }
}

/// The `recaudit audit` command line `args` with `settings` (JSON) standing in for a `--config`
/// file, parsed as [`audit`] parses them.
fn audit_args(
    args: &[String],
    settings: Option<String>,
) -> PyResult<recaudit::cli::args::AuditArgs> {
    let cli = Cli::try_parse_from(args).map_err(|e| InputError::new_err(e.to_string()))?;
    let Command::Audit(mut a) = cli.command else {
        return Err(InputError::new_err("not an audit command line"));
    };
    if let Some(json) = settings {
        let text = guarded(|| settings_text_from_json(&json))?;
        a.settings_text = Some((SETTINGS_NAME.to_string(), text));
    }
    Ok(*a)
}

/// The driver of an audit whose map runs elsewhere (Spark executors, `recaudit.spark`): the
/// settings, policy and baseline checked; the global pass's summaries ([`spark_global`], one
/// per partition, run in the executors) merged in partition order and finished; then the merge
/// of the executors' states in partition order, the segregation's fit and the finish. The
/// executors run [`spark_global`], [`spark_map`] and [`spark_clusters`]; the driver reads no
/// partition.
#[pyclass(module = "recaudit._recaudit", frozen)]
struct SparkDriver {
    prepared: Prepared,
    layout: Layout,
    /// The global pass's results, once [`SparkDriver::global_pass`] ran.
    globals: std::sync::OnceLock<Globals>,
    names: Vec<String>,
    /// The merged round-1 states and the segregation's fit, once [`SparkDriver::merge`] ran.
    merged: Mutex<Option<(PartitionStates, Option<Fitted>)>>,
}

/// The map tasks' broadcast decoded, as `bytes`, cached per process: a Python worker runs many
/// tasks of one audit with the same broadcast.
static TASK_GLOBALS: Mutex<Option<(Vec<u8>, std::sync::Arc<Globals>)>> = Mutex::new(None);

fn task_globals(bytes: &[u8]) -> anyhow::Result<std::sync::Arc<Globals>> {
    let mut cached = TASK_GLOBALS.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((b, g)) = cached.as_ref() {
        if b.as_slice() == bytes {
            return Ok(g.clone());
        }
    }
    let g = std::sync::Arc::new(Globals::for_map_tasks(bytes)?);
    *cached = Some((bytes.to_vec(), g.clone()));
    Ok(g)
}

/// The driver: `args` is a `recaudit audit --data FOLDER ...` command line whose folder is
/// partitioned (`recs/part-*.parquet`, ...), `settings` the settings as JSON. Reads the folder's
/// layout (its file names), not its partitions.
#[pyfunction]
#[pyo3(signature = (args, settings=None))]
fn spark_driver(
    py: Python<'_>,
    args: Vec<String>,
    settings: Option<String>,
) -> PyResult<SparkDriver> {
    let a = audit_args(&args, settings)?;
    py.detach(move || {
        guarded(|| {
            let Some(dir) = recaudit::cli::config::partitioned_folder(&a) else {
                anyhow::bail!("the Spark driver reads a partitioned folder (--data with recs/)");
            };
            let prepared = prepare_audit(&a, false)?;
            check_folder_settings(&prepared.cfg)?;
            let layout = Layout::read(&dir)?;
            let names = layout.partitions.iter().map(|p| p.name.clone()).collect();
            Ok(SparkDriver {
                prepared,
                layout,
                globals: std::sync::OnceLock::new(),
                names,
                merged: Mutex::new(None),
            })
        })
    })
}

#[pymethods]
impl SparkDriver {
    /// The partitions' names (`part-00000`, ...), in the order their states are merged.
    fn partitions(&self) -> Vec<String> {
        self.names.clone()
    }

    /// The settings of the global pass's map tasks ([`spark_global`]), as bytes.
    fn global_task_bytes<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        let bytes = guarded(|| Ok(settings_to_bytes(&self.prepared.cfg)?))?;
        Ok(PyBytes::new(py, &bytes))
    }

    /// The global pass's merge and finish: `summaries` are [`spark_global`]'s bytes, one per
    /// partition in the order of [`SparkDriver::partitions`], merged in that order (the
    /// catalog's numbering needs it) and finished into the results the map tasks receive.
    fn global_pass(&self, py: Python<'_>, summaries: Vec<Vec<u8>>) -> PyResult<()> {
        py.detach(|| {
            guarded(|| {
                anyhow::ensure!(
                    summaries.len() == self.names.len(),
                    "{} summaries of the global pass for {} partitions",
                    summaries.len(),
                    self.names.len()
                );
                let mut merged: Option<GlobalSummary> = None;
                for (bytes, name) in summaries.iter().zip(&self.names) {
                    let s = GlobalSummary::from_bytes(bytes)
                        .map_err(|e| anyhow::anyhow!("the summary of partition {name}: {e}"))?;
                    merged = Some(match merged {
                        None => s,
                        Some(acc) => acc.merge(s)?,
                    });
                }
                let merged = merged.ok_or_else(|| anyhow::anyhow!("no partition"))?;
                let globals = merged.finish(&self.layout, &self.prepared.cfg)?;
                self.globals
                    .set(globals)
                    .map_err(|_| anyhow::anyhow!("global_pass() ran already"))
            })
        })
    }

    /// What every map task needs of the global pass, as bytes (to broadcast).
    fn map_task_bytes<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        let bytes = guarded(|| Ok(self.globals()?.map_task_bytes()?))?;
        Ok(PyBytes::new(py, &bytes))
    }

    /// Merges the map tasks' states (one file per partition, [`spark_map`]'s, in the order of
    /// [`SparkDriver::partitions`]), read one at a time, and fits the segregation; returns the
    /// fit as bytes for round 2, or `None` when there is no round 2.
    fn merge<'py>(
        &self,
        py: Python<'py>,
        states: Vec<PathBuf>,
    ) -> PyResult<Option<Bound<'py, PyBytes>>> {
        let n = self.names.len();
        let fit = py.detach(|| {
            guarded(|| {
                anyhow::ensure!(
                    states.len() == n,
                    "{} partition states for {n} partitions",
                    states.len()
                );
                let mut merged: Option<PartitionStates> = None;
                for (path, name) in states.iter().zip(&self.names) {
                    let bytes = std::fs::read(path)
                        .map_err(|e| anyhow::anyhow!("{}: cannot read: {e}", path.display()))?;
                    let s = PartitionStates::from_bytes(&bytes)
                        .map_err(|e| anyhow::anyhow!("the state of partition {name}: {e}"))?;
                    drop(bytes);
                    merged = Some(match merged {
                        None => s,
                        Some(acc) => acc.merge(s),
                    });
                }
                let merged = merged.ok_or_else(|| anyhow::anyhow!("no partition"))?;
                let fitted = fit_segregation(&merged, &self.globals()?.broadcast)?;
                let bytes = fitted.as_ref().map(fit_to_bytes).transpose()?;
                *self.merged.lock().unwrap_or_else(|e| e.into_inner()) = Some((merged, fitted));
                Ok(bytes)
            })
        })?;
        Ok(fit.map(|b| PyBytes::new(py, &b)))
    }

    /// The audit from the merged states and round 2's counts (one `bytes` per partition, in
    /// partition order; empty without round 2), completed as `recaudit audit` completes it
    /// (provenance, comparison, gates).
    fn finish(&self, py: Python<'_>, clusters: Vec<Vec<u8>>) -> PyResult<AuditHandle> {
        let audited = py.detach(|| {
            guarded(|| {
                let Some((states, fitted)) =
                    self.merged.lock().unwrap_or_else(|e| e.into_inner()).take()
                else {
                    anyhow::bail!("merge() first");
                };
                let mut merged: Option<PartialClusters> = None;
                for (bytes, name) in clusters.iter().zip(&self.names) {
                    let c = PartialClusters::from_bytes(bytes)
                        .map_err(|e| anyhow::anyhow!("the clusters of partition {name}: {e}"))?;
                    merged = Some(match merged {
                        None => c,
                        Some(acc) => acc.merge(c),
                    });
                }
                if fitted.is_some() {
                    anyhow::ensure!(
                        clusters.len() == self.names.len(),
                        "{} partitions' clusters for {} partitions",
                        clusters.len(),
                        self.names.len()
                    );
                }
                let g = self.globals()?;
                let result = finish_audit(
                    states,
                    fitted.as_ref().zip(merged.as_ref()),
                    &g.broadcast,
                    g.inputs.clone(),
                )
                .map_err(|e| anyhow::anyhow!("the audit of partitions: {e}"))?;
                self.prepared.audited(result)
            })
        })?;
        Ok(AuditHandle { audited })
    }
}

impl SparkDriver {
    /// The global pass's results: an error before [`SparkDriver::global_pass`].
    fn globals(&self) -> anyhow::Result<&Globals> {
        self.globals
            .get()
            .ok_or_else(|| anyhow::anyhow!("global_pass() first"))
    }
}

/// The layout of the staged folder `folder` and the index of its partition `name`.
fn partition_named(folder: &std::path::Path, name: &str) -> anyhow::Result<(Layout, usize)> {
    let layout = Layout::read(folder)?;
    let index = layout
        .partitions
        .iter()
        .position(|p| p.name == name)
        .ok_or_else(|| anyhow::anyhow!("{}: no partition {name}", folder.display()))?;
    Ok((layout, index))
}

/// A map task of the global pass (in an executor): partition `name` of the partitioned `folder`
/// read under the settings `settings` ([`SparkDriver::global_task_bytes`]) → its summary as
/// bytes (the catalog's part, the history's item counts, the lists' counts for the γ fit, the
/// users tables' counts and combinations, the input counts; the first partition's carries the
/// items table's attributes).
#[pyfunction]
fn spark_global<'py>(
    py: Python<'py>,
    folder: PathBuf,
    settings: Vec<u8>,
    name: String,
) -> PyResult<Bound<'py, PyBytes>> {
    let bytes = py.detach(move || {
        guarded(|| {
            let cfg = settings_from_bytes(&settings)?;
            let (layout, index) = partition_named(&folder, &name)?;
            Ok(summarize_partition(&layout, index, &cfg)?.to_bytes()?)
        })
    })?;
    Ok(PyBytes::new(py, &bytes))
}

/// A map task (round 1, in an executor): partition `name` of the partitioned `folder`, with the
/// broadcast `globals` ([`SparkDriver::map_task_bytes`]) → its states, written to the file
/// `state` (under a temporary name, then renamed: a retried task replaces it whole); returns
/// the file's size. The states cross to the driver through the shared folder, not through
/// Spark, so that the driver reads and merges them one at a time.
#[pyfunction]
fn spark_map(
    py: Python<'_>,
    folder: PathBuf,
    globals: Vec<u8>,
    name: String,
    state: PathBuf,
) -> PyResult<usize> {
    py.detach(move || {
        guarded(|| {
            let g = task_globals(&globals)?;
            let (layout, index) = partition_named(&folder, &name)?;
            let p = &layout.partitions[index];
            let part = read_partition(&layout, p, &g)?;
            let bytes = map_partition(&part, &g.broadcast).to_bytes();
            drop(part);
            write_atomically(&state, &bytes)?;
            Ok(bytes.len())
        })
    })
}

/// Writes `bytes` to `path` through a temporary file beside it, renamed once complete.
fn write_atomically(path: &std::path::Path, bytes: &[u8]) -> anyhow::Result<()> {
    use anyhow::Context;
    let dir = path.parent().unwrap_or(std::path::Path::new("."));
    std::fs::create_dir_all(dir).with_context(|| format!("{}: cannot create", dir.display()))?;
    let file = path
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temporary = dir.join(format!(".{file}.{}.tmp", std::process::id()));
    std::fs::write(&temporary, bytes)
        .with_context(|| format!("{}: cannot write", temporary.display()))?;
    std::fs::rename(&temporary, path).with_context(|| format!("{}: cannot write", path.display()))
}

/// A map task of round 2 (the segregation's clusters): partition `name` assigned to the fit
/// `fit` ([`SparkDriver::merge`]) → its counts as bytes.
#[pyfunction]
fn spark_clusters<'py>(
    py: Python<'py>,
    folder: PathBuf,
    globals: Vec<u8>,
    fit: Vec<u8>,
    name: String,
) -> PyResult<Bound<'py, PyBytes>> {
    let bytes = py.detach(move || {
        guarded(|| {
            let g = task_globals(&globals)?;
            let fitted = fit_from_bytes(&fit)?;
            let (layout, index) = partition_named(&folder, &name)?;
            let p = &layout.partitions[index];
            let part = read_partition_lists(&layout, p, &g)?;
            Ok(map_partition_clusters(&part, &fitted, &g.broadcast).to_bytes())
        })
    })?;
    Ok(PyBytes::new(py, &bytes))
}

/// The native module.
#[pymodule]
fn _recaudit(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("InputError", m.py().get_type::<InputError>())?;
    m.add_function(wrap_pyfunction!(audit, m)?)?;
    m.add_function(wrap_pyfunction!(main, m)?)?;
    m.add_function(wrap_pyfunction!(run, m)?)?;
    m.add_function(wrap_pyfunction!(settings_keys, m)?)?;
    m.add_function(wrap_pyfunction!(audit_flags, m)?)?;
    m.add_function(wrap_pyfunction!(spark_driver, m)?)?;
    m.add_function(wrap_pyfunction!(spark_global, m)?)?;
    m.add_function(wrap_pyfunction!(spark_map, m)?)?;
    m.add_function(wrap_pyfunction!(spark_clusters, m)?)?;
    m.add_class::<AuditHandle>()?;
    m.add_class::<SparkDriver>()?;
    Ok(())
}
