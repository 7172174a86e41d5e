//! The global pass's results and the segregation's fit as bytes, for map tasks that run in other
//! processes than the driver (Spark executors: docs/spark.md); and the global pass's own map
//! tasks' settings and summaries ([`GlobalSummary`]).
//!
//! A map task reads its partition with [`read_partition`](super::read_partition) and maps it with
//! [`map_partition`](super::super::map_partition); both read of [`Globals`] only the
//! [`Broadcast`], the catalog, the plan's combinations and the lists' labels. Those are shipped;
//! the input counts and the propensity model ([`AuditInputs`]) stay on the driver, which
//! finishes. The format: 8 magic bytes, a little-endian u32 version, then the payload encoded by
//! [bincode](https://docs.rs/bincode) (serde, standard configuration: f64 as their IEEE-754 bits,
//! so every number crosses exactly). The settings inside are the settings' JSON (as
//! `audit.json` echoes them, which the settings parse back), since their serde form skips
//! default fields, which a format without field names cannot do.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::data::Categorical;
use crate::error::{Error, Result};
use crate::input::vocab::Vocab;
use crate::input::InputSummary;
use crate::metrics::segregation::Fitted;
use crate::result::PropensityModel;
use crate::settings::AuditConfig;

use super::super::{AuditInputs, Broadcast, ItemStats, PartialSettings, SlicePlan};
use super::global::{GlobalSummary, Globals};

/// The magic bytes of a map task's share of the global pass.
const GLOBALS_MAGIC: &[u8; 8] = b"RAUDGLOB";
/// The magic bytes of a segregation fit.
const FIT_MAGIC: &[u8; 8] = b"RAUDFITD";
/// The magic bytes of a partition's (or several's) summary for the global pass.
const SUMMARY_MAGIC: &[u8; 8] = b"RAUDGSUM";
/// The magic bytes of the settings of the global pass's map tasks.
const SETTINGS_MAGIC: &[u8; 8] = b"RAUDCONF";
/// The format's version.
const VERSION: u32 = 1;

/// What crosses to a map task, borrowed from the driver's [`Globals`].
#[derive(Serialize)]
struct ShippedRef<'a> {
    settings: String,
    paths: String,
    items: &'a ItemStats,
    plan: &'a SlicePlan,
    columns: &'a [Categorical],
    to_plan: &'a BTreeMap<Vec<u32>, Vec<u32>>,
    labels: &'a [Vec<String>; 2],
}

/// What a map task receives (the same fields, owned).
#[derive(Deserialize)]
struct Shipped {
    settings: String,
    paths: String,
    items: ItemStats,
    plan: SlicePlan,
    columns: Vec<Categorical>,
    to_plan: BTreeMap<Vec<u32>, Vec<u32>>,
    labels: [Vec<String>; 2],
}

fn config() -> bincode::config::Configuration {
    bincode::config::standard()
}

/// `magic`, the version, then `value` (`what`, for the error) in bincode.
fn encode<T: Serialize>(magic: &[u8; 8], what: &str, value: &T) -> Result<Vec<u8>> {
    let mut out = magic.to_vec();
    out.extend_from_slice(&VERSION.to_le_bytes());
    bincode::serde::encode_into_std_write(value, &mut out, config())
        .map_err(|e| Error::Config(format!("cannot encode {what}: {e}")))?;
    Ok(out)
}

/// The value of [`encode`]'s bytes: errors on other magic bytes, another version, bytes bincode
/// cannot read, and trailing bytes.
fn decode<T: serde::de::DeserializeOwned>(magic: &[u8; 8], what: &str, bytes: &[u8]) -> Result<T> {
    decode_payload(what, payload(magic, what, bytes)?)
}

/// What follows the magic bytes and the version in `bytes`: errors on other magic bytes,
/// another version or fewer bytes.
fn payload<'a>(magic: &[u8; 8], what: &str, bytes: &'a [u8]) -> Result<&'a [u8]> {
    let bad = |m: String| Error::Config(format!("{what}: {m}"));
    let Some(rest) = bytes.strip_prefix(magic.as_slice()) else {
        return Err(bad(format!(
            "not recaudit's bytes (expected the magic {})",
            String::from_utf8_lossy(magic)
        )));
    };
    let (version, payload) = rest
        .split_first_chunk::<4>()
        .ok_or_else(|| bad("truncated".into()))?;
    let version = u32::from_le_bytes(*version);
    if version != VERSION {
        return Err(bad(format!(
            "format version {version}, this recaudit reads version {VERSION}: the driver and \
             the executors must run the same recaudit"
        )));
    }
    Ok(payload)
}

/// The value of bincode's bytes `payload`: errors on bytes bincode cannot read, and trailing
/// bytes.
fn decode_payload<T: serde::de::DeserializeOwned>(what: &str, payload: &[u8]) -> Result<T> {
    let bad = |m: String| Error::Config(format!("{what}: {m}"));
    let (value, read) = bincode::serde::decode_from_slice(payload, config())
        .map_err(|e| bad(format!("cannot decode: {e}")))?;
    if read != payload.len() {
        return Err(bad(format!("{} trailing bytes", payload.len() - read)));
    }
    Ok(value)
}

impl Globals {
    /// What a map task needs of the global pass, as bytes ([`Globals::for_map_tasks`] reads
    /// them): the settings, the item statistics (the catalog with its attributes), the slice
    /// plan, the chosen users-table columns' labels, the plan's combinations and the lists'
    /// labels. Not the input counts or the propensity model: the driver keeps those.
    pub fn map_task_bytes(&self) -> Result<Vec<u8>> {
        let b = &self.broadcast;
        let json = |what: &str, e: serde_json::Error| {
            Error::Config(format!("cannot encode the {what}: {e}"))
        };
        let settings = serde_json::to_string(&b.cfg).map_err(|e| json("settings", e))?;
        let paths = serde_json::to_string(&b.cfg.paths).map_err(|e| json("paths", e))?;
        encode(
            GLOBALS_MAGIC,
            "the map tasks' broadcast",
            &ShippedRef {
                settings,
                paths,
                items: &b.items,
                plan: &b.plan,
                columns: &b.columns,
                to_plan: &self.to_plan,
                labels: &self.labels,
            },
        )
    }

    /// The [`Globals`] of a map task from [`Globals::map_task_bytes`]: enough for
    /// [`read_partition`](super::read_partition), [`map_partition`](super::super::map_partition)
    /// and [`map_partition_clusters`](super::super::map_partition_clusters). Its `inputs` are
    /// empty (the driver's are not shipped) and must not be finished from.
    pub fn for_map_tasks(bytes: &[u8]) -> Result<Globals> {
        let s: Shipped = decode(GLOBALS_MAGIC, "the map tasks' broadcast", bytes)?;
        let json = |what: &str, e: serde_json::Error| {
            Error::Config(format!("the map tasks' broadcast: its {what}: {e}"))
        };
        let mut cfg: AuditConfig =
            serde_json::from_str(&s.settings).map_err(|e| json("settings", e))?;
        // Not read from a settings document (`skip_deserializing`): shipped on their own.
        cfg.paths = serde_json::from_str(&s.paths).map_err(|e| json("paths", e))?;
        let mut catalog = Vocab::new();
        for id in &s.items.items.ids {
            catalog.intern(id);
        }
        let settings = PartialSettings::new(cfg.stats, cfg.slices.min_slice_size);
        Ok(Globals {
            broadcast: Broadcast {
                cfg,
                items: s.items,
                plan: s.plan,
                columns: s.columns,
                settings,
            },
            inputs: AuditInputs {
                input: InputSummary::default(),
                skipped_slice_columns: Vec::new(),
                truth: false,
                truth_propensities: false,
                propensity: (
                    PropensityModel {
                        source: String::new(),
                        gamma: None,
                        fitted: false,
                    },
                    Vec::new(),
                ),
            },
            catalog,
            to_plan: s.to_plan,
            labels: s.labels,
        })
    }
}

/// The segregation's fit as bytes, for the map tasks of round 2 ([`fit_from_bytes`] reads them).
pub fn fit_to_bytes(fitted: &Fitted) -> Result<Vec<u8>> {
    encode(FIT_MAGIC, "the segregation's fit", fitted)
}

/// The segregation's fit from [`fit_to_bytes`].
pub fn fit_from_bytes(bytes: &[u8]) -> Result<Fitted> {
    decode(FIT_MAGIC, "the segregation's fit", bytes)
}

/// The seed of the summary's checksum.
const CHECKSUM_SEED: u64 = 0x7265_6361_7564_6974;

impl GlobalSummary {
    /// The summary as bytes ([`GlobalSummary::from_bytes`] reads them): magic `RAUDGSUM`, the
    /// version, then the XXH64 of the payload (8 bytes, little-endian) and the payload, bincode.
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        let mut bytes = encode(SUMMARY_MAGIC, "the global pass's summary", self)?;
        let sum = xxhash_rust::xxh64::xxh64(&bytes[12..], CHECKSUM_SEED);
        bytes.splice(12..12, sum.to_le_bytes());
        Ok(bytes)
    }

    /// The summary of [`GlobalSummary::to_bytes`]'s bytes: errors on other bytes (another kind,
    /// another version, a checksum that does not match, truncated or trailing bytes, lists and
    /// counts that do not fit together).
    pub fn from_bytes(bytes: &[u8]) -> Result<GlobalSummary> {
        let what = "the global pass's summary";
        let bad = |m: &str| Error::Config(format!("{what}: {m}"));
        let (sum, payload) = payload(SUMMARY_MAGIC, what, bytes)?
            .split_first_chunk::<8>()
            .ok_or_else(|| bad("truncated"))?;
        if xxhash_rust::xxh64::xxh64(payload, CHECKSUM_SEED) != u64::from_le_bytes(*sum) {
            return Err(bad("corrupt bytes (the checksum differs)"));
        }
        let s: GlobalSummary = decode_payload(what, payload)?;
        let checked = match s.partitions.is_empty() {
            true => Err("no partition".to_string()),
            false => s.catalog.check().and_then(|()| s.users.check()),
        };
        checked.map_err(|m| bad(&format!("inconsistent bytes: {m}")))?;
        Ok(s)
    }
}

/// The audit's settings as bytes for the global pass's map tasks ([`settings_from_bytes`]
/// reads them): the settings' JSON (as `audit.json` echoes them). The table paths are not
/// shipped: a task reads its partition's files from the folder's layout.
pub fn settings_to_bytes(cfg: &AuditConfig) -> Result<Vec<u8>> {
    let json = serde_json::to_string(cfg)
        .map_err(|e| Error::Config(format!("cannot encode the settings: {e}")))?;
    encode(SETTINGS_MAGIC, "the settings", &json)
}

/// The settings of [`settings_to_bytes`]'s bytes (without table paths).
pub fn settings_from_bytes(bytes: &[u8]) -> Result<AuditConfig> {
    let json: String = decode(SETTINGS_MAGIC, "the global pass's settings", bytes)?;
    serde_json::from_str(&json)
        .map_err(|e| Error::Config(format!("the global pass's settings: {e}")))
}
