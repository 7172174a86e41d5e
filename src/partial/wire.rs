//! The partial state on the wire: a versioned little-endian binary format, so that a
//! [`PartialAudit`] can cross process and machine boundaries (docs/scaling.md, "Serialisation").
//!
//! Layout (every integer little-endian; f64 as its IEEE-754 bits, so values round-trip exactly,
//! NaN included; strings as a u32 byte length and UTF-8):
//!
//! ```text
//! magic "RAUDPART", u32 version (= 5)
//! settings: u64 seed, u64 resamples, f64 confidence, f64 alpha, u64 permutations,
//!           u64 permutation_max_n, u64 bootstrap_units, u8 item_resampling, f64 four_fifths,
//!           u64 keep_rows, u64 min_size
//! metrics:  u32 M, M × string key (resolved in the metric registry when read)
//! columns:  u32 C, C × u64 groups
//! u64 users
//! cells:    u64 count, count × (C × u32 code, u128 defined mask, u64 users, u64 smallest key)
//! groups:   the overall group, then column by column, group by group, each:
//!           u64 n, u8 keep (values kept whatever their number)
//!           u8 has_rows [u64 rows, rows × u64 user key, rows × M × f64 values]
//!           u32 units (0 when no bucket), u32 touched, touched × (u32 bucket, (2M + 1) × f64)
//!           u32 M or 0, that many × (u64 n, f64 sum, f64 sum's compensation, f64 M2)
//! ```
//!
//! A user key is [`crate::data::id_key`] of the user's id (XXH64 with seed 42, Spark SQL's
//! `xxhash64`); version 1 wrote dense user ids (u32) there instead, version 2 no smallest key per
//! cell, version 3 no clustered users per combination in the cluster counts (`RAUDCLUS`),
//! version 4 a mean instead of a compensated sum in the moments. Only the buckets a partition
//! touched are written (those with users), so a partition of n
//! users writes at most min(n, units) buckets per group. Size per partition: about
//! 40 + 8·settings + Σ_groups [8 + min(n_g, units)·(4 + 8(2M + 1)) + rows_g·(8 + 8M) + 32M]
//! + cells·(4C + 32) bytes (measured sizes: docs/scaling.md).

use std::collections::BTreeMap;
use std::fmt;

use crate::metrics::registry;
use crate::stats::compensated::CompensatedSum;
use crate::stats::StatsConfig;

use super::corpus::{CorpusSet, PartialCorpus};
use super::driver::PartitionStates;
use super::exposure_shares::{BucketCell, CellSet, PartialExposureShares, ShareSets, UserCells};
use super::over_time::{OverTimeSettings, OwedSums, PartialOverTime, SetSums};
use super::propensity::PartialShown;
use super::ranked::{PartialRanked, RankedRun};
use super::segregation::{PartialClusters, PartialFitSample, SampleUser};
use super::size_matched::{PartialSizeMatched, SampledColumn, SampledGroup};
use super::state::{CellUsers, GroupState, Moments, PartialAudit, PartialSettings, Rows};
use super::subgroups::{PartialSubgroups, ProfileMetric};
use crate::metrics::bubble::{SnapshotSums, TrendSums};
use crate::metrics::segregation::ClusterSums;

/// The magic bytes that open a serialised partial state.
pub const MAGIC: &[u8; 8] = b"RAUDPART";
/// The format version written; [`PartialAudit::from_bytes`] reads only this one.
pub const VERSION: u32 = 5;
/// The most bootstrap units per group a state may declare (a corrupt count would otherwise
/// allocate without bound).
const MAX_UNITS: usize = 1 << 24;

/// Why bytes are not a partial state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WireError(pub String);

impl fmt::Display for WireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "not a recaudit partial state: {}", self.0)
    }
}

impl std::error::Error for WireError {}

struct Writer(Vec<u8>);

impl Writer {
    /// A writer that has written a format's magic bytes and the version.
    fn header(magic: &[u8; 8]) -> Writer {
        let mut w = Writer(magic.to_vec());
        w.u32(VERSION);
        w
    }
}

impl Writer {
    fn u8(&mut self, x: u8) {
        self.0.push(x);
    }
    fn u32(&mut self, x: u32) {
        self.0.extend_from_slice(&x.to_le_bytes());
    }
    fn u64(&mut self, x: u64) {
        self.0.extend_from_slice(&x.to_le_bytes());
    }
    fn u128(&mut self, x: u128) {
        self.0.extend_from_slice(&x.to_le_bytes());
    }
    fn f64(&mut self, x: f64) {
        self.u64(x.to_bits());
    }
    fn len(&mut self, n: usize) {
        self.u64(n as u64);
    }
    fn str(&mut self, s: &str) {
        self.u32(s.len() as u32);
        self.0.extend_from_slice(s.as_bytes());
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8], WireError> {
        let end = self
            .at
            .checked_add(n)
            .filter(|&e| e <= self.bytes.len())
            .ok_or_else(|| WireError(format!("truncated at byte {}", self.at)))?;
        let out = &self.bytes[self.at..end];
        self.at = end;
        Ok(out)
    }
    fn array<const N: usize>(&mut self) -> Result<[u8; N], WireError> {
        Ok(self.take(N)?.try_into().expect("N bytes"))
    }
    fn u8(&mut self) -> Result<u8, WireError> {
        Ok(self.take(1)?[0])
    }
    fn u32(&mut self) -> Result<u32, WireError> {
        Ok(u32::from_le_bytes(self.array()?))
    }
    fn u64(&mut self) -> Result<u64, WireError> {
        Ok(u64::from_le_bytes(self.array()?))
    }
    fn u128(&mut self) -> Result<u128, WireError> {
        Ok(u128::from_le_bytes(self.array()?))
    }
    fn f64(&mut self) -> Result<f64, WireError> {
        Ok(f64::from_bits(self.u64()?))
    }
    /// A count of items of at least `item_bytes` bytes each, checked against the bytes left.
    fn len(&mut self, item_bytes: usize) -> Result<usize, WireError> {
        let n = self.u64()?;
        let left = (self.bytes.len() - self.at) as u64;
        if n.saturating_mul(item_bytes.max(1) as u64) > left {
            return Err(WireError(format!("a count of {n} exceeds the bytes left")));
        }
        Ok(n as usize)
    }
    fn str(&mut self) -> Result<String, WireError> {
        let n = self.u32()? as usize;
        String::from_utf8(self.take(n)?.to_vec())
            .map_err(|_| WireError("a string is not UTF-8".into()))
    }
}

impl PartialAudit {
    /// The state in the format of the [module documentation](self).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut w = Writer::header(MAGIC);
        let s = &self.settings;
        let st = &s.stats;
        w.u64(st.seed);
        w.len(st.resamples);
        w.f64(st.confidence);
        w.f64(st.alpha);
        w.len(st.permutations);
        w.len(st.permutation_max_n);
        w.len(st.bootstrap_units);
        w.u8(u8::from(st.item_resampling));
        w.f64(st.four_fifths);
        w.len(s.keep_rows);
        w.len(s.min_size);
        w.u32(self.defs.len() as u32);
        for d in &self.defs {
            w.str(d.key);
        }
        w.u32(self.n_groups.len() as u32);
        for &n in &self.n_groups {
            w.len(n);
        }
        w.u64(self.n_users);
        w.len(self.cells.len());
        for ((codes, mask), users) in &self.cells {
            for &c in codes {
                w.u32(c);
            }
            w.u128(*mask);
            w.u64(users.n);
            w.u64(users.first_key);
        }
        let m = self.defs.len();
        let units = st.bootstrap_units;
        for g in std::iter::once(&self.overall).chain(self.columns.iter().flatten()) {
            write_group(&mut w, g, m, units);
        }
        w.0
    }

    /// Reads a state written by [`to_bytes`](Self::to_bytes) (the same format version).
    pub fn from_bytes(bytes: &[u8]) -> Result<PartialAudit, WireError> {
        let mut r = Reader { bytes, at: 0 };
        if r.take(8)? != MAGIC {
            return Err(WireError("wrong magic bytes".into()));
        }
        let version = r.u32()?;
        if version != VERSION {
            return Err(WireError(format!(
                "format version {version}, this build reads version {VERSION}"
            )));
        }
        let stats = StatsConfig {
            seed: r.u64()?,
            resamples: r.u64()? as usize,
            confidence: r.f64()?,
            alpha: r.f64()?,
            permutations: r.u64()? as usize,
            permutation_max_n: r.u64()? as usize,
            bootstrap_units: r.u64()? as usize,
            item_resampling: r.u8()? != 0,
            four_fifths: r.f64()?,
        };
        let settings = PartialSettings {
            stats,
            keep_rows: r.u64()? as usize,
            min_size: r.u64()? as usize,
        };
        let m = r.u32()? as usize;
        let mut defs = Vec::with_capacity(m.min(128));
        for _ in 0..m {
            let key = r.str()?;
            defs.push(
                registry::definition(&key)
                    .ok_or_else(|| WireError(format!("unknown metric `{key}`")))?,
            );
        }
        let n_cols = r.u32()? as usize;
        let mut n_groups = Vec::with_capacity(n_cols.min(1 << 10));
        for _ in 0..n_cols {
            // A group takes at least 22 bytes (n, the flags, the bucket and moment counts).
            n_groups.push(r.len(22)?);
        }
        if stats.bootstrap_units > MAX_UNITS {
            return Err(WireError(format!(
                "{} bootstrap units (at most {MAX_UNITS})",
                stats.bootstrap_units
            )));
        }
        let mut state = PartialAudit::empty(defs, n_groups, settings);
        state.n_users = r.u64()?;
        let n_cells = r.len(4 * n_cols + 32)?;
        for _ in 0..n_cells {
            let codes = (0..n_cols)
                .map(|_| r.u32())
                .collect::<Result<Vec<_>, _>>()?;
            let mask = r.u128()?;
            let users = CellUsers {
                n: r.u64()?,
                first_key: r.u64()?,
            };
            if state.cells.insert((codes, mask), users).is_some() {
                return Err(WireError("a cell written twice".into()));
            }
        }
        let units = stats.bootstrap_units;
        state.overall = read_group(&mut r, m, units)?;
        for col in &mut state.columns {
            for g in col.iter_mut() {
                *g = read_group(&mut r, m, units)?;
            }
        }
        if r.at != bytes.len() {
            return Err(WireError(format!("{} bytes left over", bytes.len() - r.at)));
        }
        Ok(state)
    }
}

fn write_group(w: &mut Writer, g: &GroupState, m: usize, units: usize) {
    w.u64(g.n);
    w.u8(u8::from(g.keep));
    match &g.rows {
        Some(rows) => {
            w.u8(1);
            w.len(rows.keys.len());
            for &k in &rows.keys {
                w.u64(k);
            }
            for &x in &rows.values {
                w.f64(x);
            }
        }
        None => w.u8(0),
    }
    let slots = 2 * m + 1;
    if g.buckets.is_empty() {
        w.u32(0);
        w.u32(0);
    } else {
        w.u32(units as u32);
        // A bucket is touched when it holds a user (its count slot is positive).
        let touched: Vec<usize> = (0..units)
            .filter(|&k| g.buckets[2 * m * units + k] > 0.0)
            .collect();
        w.u32(touched.len() as u32);
        for k in touched {
            w.u32(k as u32);
            for j in 0..slots {
                w.f64(g.buckets[j * units + k]);
            }
        }
    }
    w.u32(g.moments.len() as u32);
    for mo in &g.moments {
        write_moments(w, mo);
    }
}

/// Bytes of [`write_moments`].
const MOMENTS_BYTES: usize = 32;

/// n, the sum's running sum and compensation, M2 (the mean is sum / n).
fn write_moments(w: &mut Writer, mo: &Moments) {
    let (sum, compensation) = mo.sum.parts();
    w.u64(mo.n);
    w.f64(sum);
    w.f64(compensation);
    w.f64(mo.m2);
}

fn read_moments(r: &mut Reader) -> Result<Moments, WireError> {
    let n = r.u64()?;
    let sum = CompensatedSum::from_parts((r.f64()?, r.f64()?));
    Ok(Moments::of_sum(n, sum, r.f64()?))
}

fn read_group(r: &mut Reader, m: usize, units: usize) -> Result<GroupState, WireError> {
    let n = r.u64()?;
    let keep = r.u8()? != 0;
    let rows = match r.u8()? {
        0 => None,
        1 => {
            let len = r.len(8 + 8 * m)?;
            let keys = (0..len).map(|_| r.u64()).collect::<Result<Vec<_>, _>>()?;
            let values = (0..len * m)
                .map(|_| r.f64())
                .collect::<Result<Vec<_>, _>>()?;
            Some(Rows { keys, values })
        }
        x => return Err(WireError(format!("row flag {x}"))),
    };
    let slots = 2 * m + 1;
    let written_units = r.u32()? as usize;
    let touched = r.u32()? as usize;
    let mut buckets = Vec::new();
    if touched > written_units {
        return Err(WireError(format!(
            "{touched} touched buckets of {written_units}"
        )));
    }
    if written_units != 0 {
        if written_units != units {
            return Err(WireError(format!(
                "{written_units} buckets per group, the settings say {units}"
            )));
        }
        buckets = vec![0.0; slots * units];
        for _ in 0..touched {
            let k = r.u32()? as usize;
            if k >= units {
                return Err(WireError(format!("bucket {k} of {units}")));
            }
            for j in 0..slots {
                buckets[j * units + k] = r.f64()?;
            }
        }
    }
    // One per metric, or none in the state of no user.
    let n_moments = r.u32()? as usize;
    if n_moments != 0 && n_moments != m {
        return Err(WireError(format!("{n_moments} moments for {m} metrics")));
    }
    let moments = (0..n_moments)
        .map(|_| read_moments(r))
        .collect::<Result<Vec<_>, WireError>>()?;
    Ok(GroupState {
        n,
        keep,
        rows,
        buckets,
        moments,
    })
}

/// The magic bytes that open serialised corpus masses ([`PartialCorpus`]).
pub const CORPUS_MAGIC: &[u8; 8] = b"RAUDCORP";

impl PartialCorpus {
    /// The corpus masses in a format like [`PartialAudit::to_bytes`]'s: magic `RAUDCORP`, u32
    /// version, u32 C, C × u64 groups, then every set (overall, then column by column): u64
    /// non-empty lists, u64 items (0 for the set of no user), items × u32 counts, items × f64
    /// exposure, u8 + items × u32 interactions, u8 + items × f64 relevance, u8 + 2 × (f64 Σ, u64
    /// count) of `gap_r` and `gap_p`. Size: about 24 bytes per item and set.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut w = Writer::header(CORPUS_MAGIC);
        w.u32(self.columns.len() as u32);
        for col in &self.columns {
            w.len(col.len());
        }
        for set in std::iter::once(&self.overall).chain(self.columns.iter().flatten()) {
            w.u64(set.n_lists);
            w.len(set.counts.len());
            set.counts.iter().for_each(|&c| w.u32(c));
            set.exposure.iter().for_each(|&x| w.f64(x));
            match &set.interactions {
                Some(m) => {
                    w.u8(1);
                    m.iter().for_each(|&c| w.u32(c));
                }
                None => w.u8(0),
            }
            match &set.relevance {
                Some(m) => {
                    w.u8(1);
                    m.iter().for_each(|&x| w.f64(x));
                }
                None => w.u8(0),
            }
            match &set.gap {
                Some(g) => {
                    w.u8(1);
                    for &(sum, n) in g {
                        w.f64(sum);
                        w.u64(n);
                    }
                }
                None => w.u8(0),
            }
        }
        w.0
    }

    /// Reads masses written by [`to_bytes`](Self::to_bytes).
    pub fn from_bytes(bytes: &[u8]) -> Result<PartialCorpus, WireError> {
        let mut r = Reader { bytes, at: 0 };
        if r.take(8)? != CORPUS_MAGIC {
            return Err(WireError("wrong magic bytes".into()));
        }
        let version = r.u32()?;
        if version != VERSION {
            return Err(WireError(format!(
                "format version {version}, this build reads version {VERSION}"
            )));
        }
        let n_cols = r.u32()? as usize;
        let mut n_groups = Vec::with_capacity(n_cols.min(1 << 10));
        for _ in 0..n_cols {
            n_groups.push(r.len(1)?);
        }
        let read_set = |r: &mut Reader| -> Result<CorpusSet, WireError> {
            let n_lists = r.u64()?;
            let n = r.len(12)?;
            let counts = (0..n).map(|_| r.u32()).collect::<Result<Vec<_>, _>>()?;
            let exposure = (0..n).map(|_| r.f64()).collect::<Result<Vec<_>, _>>()?;
            let interactions = match r.u8()? {
                0 => None,
                _ => Some((0..n).map(|_| r.u32()).collect::<Result<Vec<_>, _>>()?),
            };
            let relevance = match r.u8()? {
                0 => None,
                _ => Some((0..n).map(|_| r.f64()).collect::<Result<Vec<_>, _>>()?),
            };
            let gap = match r.u8()? {
                0 => None,
                _ => Some([(r.f64()?, r.u64()?), (r.f64()?, r.u64()?)]),
            };
            Ok(CorpusSet {
                n_lists,
                counts,
                exposure,
                interactions,
                relevance,
                gap,
            })
        };
        let overall = read_set(&mut r)?;
        let mut columns = Vec::with_capacity(n_cols);
        for &n in &n_groups {
            columns.push(
                (0..n)
                    .map(|_| read_set(&mut r))
                    .collect::<Result<Vec<_>, _>>()?,
            );
        }
        if r.at != bytes.len() {
            return Err(WireError(format!("{} bytes left over", bytes.len() - r.at)));
        }
        Ok(PartialCorpus { overall, columns })
    }
}

/// The magic bytes that open a serialised subgroup-search state ([`PartialSubgroups`]).
pub const SUBGROUPS_MAGIC: &[u8; 8] = b"RAUDSUBG";

impl PartialSubgroups {
    /// The state in a format like [`PartialAudit::to_bytes`]'s: magic `RAUDSUBG`, u32 version,
    /// u32 published columns P, u32 searched columns S, u32 metrics M, u64 profiles, then per
    /// profile (in ascending order of its codes): (P + S) × u32 code, M × (u64 n, f64 mean, f64
    /// M2, u64 first key). Size: 4 (P + S) + 32 M bytes per profile.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut w = Writer::header(SUBGROUPS_MAGIC);
        w.u32(self.n_published as u32);
        w.u32(self.n_searched as u32);
        w.u32(self.n_metrics as u32);
        w.len(self.profiles.len());
        for (codes, metrics) in &self.profiles {
            codes.iter().for_each(|&c| w.u32(c));
            for p in metrics {
                write_moments(&mut w, &p.moments);
                w.u64(p.first);
            }
        }
        w.0
    }

    /// Reads a state written by [`to_bytes`](Self::to_bytes).
    pub fn from_bytes(bytes: &[u8]) -> Result<PartialSubgroups, WireError> {
        let mut r = Reader { bytes, at: 0 };
        if r.take(8)? != SUBGROUPS_MAGIC {
            return Err(WireError("wrong magic bytes".into()));
        }
        let version = r.u32()?;
        if version != VERSION {
            return Err(WireError(format!(
                "format version {version}, this build reads version {VERSION}"
            )));
        }
        let n_published = r.u32()? as usize;
        let n_searched = r.u32()? as usize;
        let n_metrics = r.u32()? as usize;
        let width = n_published + n_searched;
        let n = r.len(4 * width + (MOMENTS_BYTES + 8) * n_metrics)?;
        let mut profiles = std::collections::BTreeMap::new();
        for _ in 0..n {
            let codes = (0..width).map(|_| r.u32()).collect::<Result<Vec<_>, _>>()?;
            let mut metrics = Vec::with_capacity(n_metrics);
            for _ in 0..n_metrics {
                metrics.push(ProfileMetric {
                    moments: read_moments(&mut r)?,
                    first: r.u64()?,
                });
            }
            if profiles.insert(codes, metrics).is_some() {
                return Err(WireError("a profile is written twice".into()));
            }
        }
        if r.at != bytes.len() {
            return Err(WireError(format!("{} bytes left over", bytes.len() - r.at)));
        }
        Ok(PartialSubgroups {
            n_published,
            n_searched,
            n_metrics,
            profiles,
        })
    }
}

/// The magic bytes that open a serialised fit-sample state ([`PartialFitSample`]).
pub const FIT_SAMPLE_MAGIC: &[u8; 8] = b"RAUDFITS";

impl PartialFitSample {
    /// The state in a format like [`PartialAudit::to_bytes`]'s: magic `RAUDFITS`, u32 version,
    /// u64 users, then per user (in ascending (hash, key) order): u64 hash, u64 key, u32 entries,
    /// entries × (u32 category, f64 share). Size: about 20 + 12 × categories in the list bytes
    /// per user, at most [`FIT_SAMPLE`](crate::metrics::segregation::FIT_SAMPLE) users.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut w = Writer::header(FIT_SAMPLE_MAGIC);
        w.len(self.users.len());
        for s in &self.users {
            w.u64(s.hash);
            w.u64(s.key);
            w.u32(s.distribution.len() as u32);
            for &(c, p) in &s.distribution {
                w.u32(c);
                w.f64(p);
            }
        }
        w.0
    }

    /// Reads a state written by [`to_bytes`](Self::to_bytes).
    pub fn from_bytes(bytes: &[u8]) -> Result<PartialFitSample, WireError> {
        let mut r = Reader { bytes, at: 0 };
        read_header(&mut r, FIT_SAMPLE_MAGIC)?;
        let n = r.len(20)?;
        let mut users = Vec::with_capacity(n);
        for _ in 0..n {
            let (hash, key) = (r.u64()?, r.u64()?);
            let entries = r.u32()? as usize;
            if entries.saturating_mul(12) > bytes.len() - r.at {
                return Err(WireError(format!(
                    "a count of {entries} exceeds the bytes left"
                )));
            }
            let distribution = (0..entries)
                .map(|_| Ok((r.u32()?, r.f64()?)))
                .collect::<Result<Vec<_>, WireError>>()?;
            users.push(SampleUser {
                hash,
                key,
                distribution,
            });
        }
        if users
            .windows(2)
            .any(|w| (w[0].hash, w[0].key) >= (w[1].hash, w[1].key))
        {
            return Err(WireError(
                "the users are not in ascending (hash, key) order".into(),
            ));
        }
        read_end(&r)?;
        Ok(PartialFitSample { users })
    }
}

/// The magic bytes that open a serialised cluster-count state ([`PartialClusters`]).
pub const CLUSTERS_MAGIC: &[u8; 8] = b"RAUDCLUS";

impl PartialClusters {
    /// The state in a format like [`PartialAudit::to_bytes`]'s: magic `RAUDCLUS`, u32 version,
    /// u64 users, u32 clusters k, u32 categories, k × u64 cluster sizes, k × categories × f64
    /// share sums, u32 columns, per column u64 cells (groups × k) and that many u64 counts, u64
    /// combinations, each columns × u32 codes, u64 users and u64 smallest key. Size:
    /// 8k (1 + categories) + 8k × Σ groups + (4 · columns + 16) × combinations bytes plus the
    /// header, whatever the users (combinations ≤ Π (groups + 1)).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut w = Writer::header(CLUSTERS_MAGIC);
        w.u64(self.n_users);
        let k = self.sums.sizes.len();
        w.u32(k as u32);
        w.u32(self.sums.sums.len().checked_div(k).unwrap_or(0) as u32);
        self.sums.sizes.iter().for_each(|&n| w.u64(n));
        self.sums.sums.iter().for_each(|&x| w.f64(x));
        w.u32(self.tables.len() as u32);
        for table in &self.tables {
            w.len(table.len());
            table.iter().for_each(|&n| w.u64(n));
        }
        w.len(self.clustered.len());
        for (codes, users) in &self.clustered {
            codes.iter().for_each(|&c| w.u32(c));
            w.u64(users.n);
            w.u64(users.first_key);
        }
        w.0
    }

    /// Reads a state written by [`to_bytes`](Self::to_bytes).
    pub fn from_bytes(bytes: &[u8]) -> Result<PartialClusters, WireError> {
        let mut r = Reader { bytes, at: 0 };
        read_header(&mut r, CLUSTERS_MAGIC)?;
        let n_users = r.u64()?;
        let k = r.u32()? as usize;
        let n_cat = r.u32()? as usize;
        if k.saturating_mul(n_cat.saturating_add(1)).saturating_mul(8) > bytes.len() - r.at {
            return Err(WireError(format!(
                "{k} clusters over {n_cat} categories exceed the bytes left"
            )));
        }
        let sizes = (0..k).map(|_| r.u64()).collect::<Result<Vec<_>, _>>()?;
        let sums = (0..k * n_cat)
            .map(|_| r.f64())
            .collect::<Result<Vec<_>, _>>()?;
        let n_columns = r.u32()? as usize;
        let mut tables = Vec::new();
        for _ in 0..n_columns {
            let cells = r.len(8)?;
            if k == 0 || cells % k != 0 {
                return Err(WireError(format!(
                    "a table of {cells} cells is not groups × {k} clusters"
                )));
            }
            tables.push((0..cells).map(|_| r.u64()).collect::<Result<Vec<_>, _>>()?);
        }
        let n_combinations = r.len(4 * n_columns + 16)?;
        let mut clustered = BTreeMap::new();
        for _ in 0..n_combinations {
            let codes = (0..n_columns)
                .map(|_| r.u32())
                .collect::<Result<Vec<_>, _>>()?;
            let users = CellUsers {
                n: r.u64()?,
                first_key: r.u64()?,
            };
            if clustered.insert(codes, users).is_some() {
                return Err(WireError("a combination written twice".into()));
            }
        }
        read_end(&r)?;
        Ok(PartialClusters {
            n_users,
            sums: ClusterSums { sizes, sums },
            tables,
            clustered,
        })
    }
}

/// Checks the magic bytes and the version.
fn read_header(r: &mut Reader<'_>, magic: &[u8; 8]) -> Result<(), WireError> {
    if r.take(8)? != magic {
        return Err(WireError("wrong magic bytes".into()));
    }
    let version = r.u32()?;
    if version != VERSION {
        return Err(WireError(format!(
            "format version {version}, this build reads version {VERSION}"
        )));
    }
    Ok(())
}

/// Refuses bytes after the state.
fn read_end(r: &Reader<'_>) -> Result<(), WireError> {
    if r.at != r.bytes.len() {
        return Err(WireError(format!(
            "{} bytes left over",
            r.bytes.len() - r.at
        )));
    }
    Ok(())
}

/// The magic bytes that open a serialised size-matched state ([`PartialSizeMatched`]).
pub const SIZE_MATCHED_MAGIC: &[u8; 8] = b"RAUDSIZE";

impl PartialSizeMatched {
    /// The state in a format like [`PartialAudit::to_bytes`]'s: magic `RAUDSIZE`, u32 version,
    /// u64 seed, u32 columns C, then per column u8 compared (0 or 1) and, when compared, u64
    /// n_users, u64 subsamples, u32 groups, per group: u32 subsamples D, D × (u64 users, users ×
    /// (u64 hash, u64 key)) in ascending (hash, key), u64 lists L, L × (u64 key, u32 length,
    /// length × u32 item) in ascending key. Size per compared group: at most 16 × subsamples ×
    /// n_users bytes plus 12 + 4k bytes per distinct user kept.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut w = Writer::header(SIZE_MATCHED_MAGIC);
        w.u64(self.seed);
        w.u32(self.columns.len() as u32);
        for column in &self.columns {
            let Some(col) = column else {
                w.u8(0);
                continue;
            };
            w.u8(1);
            w.len(col.n_users);
            w.len(col.subsamples);
            w.u32(col.groups.len() as u32);
            for g in &col.groups {
                w.u32(g.subsamples.len() as u32);
                for s in &g.subsamples {
                    w.len(s.len());
                    for &(hash, key) in s {
                        w.u64(hash);
                        w.u64(key);
                    }
                }
                w.len(g.lists.len());
                for (&key, list) in &g.lists {
                    w.u64(key);
                    w.u32(list.len() as u32);
                    list.iter().for_each(|&i| w.u32(i));
                }
            }
        }
        w.0
    }

    /// Reads a state written by [`to_bytes`](Self::to_bytes): refuses subsamples longer than
    /// `n_users` or out of order, lists out of order, and a kept user without a list.
    pub fn from_bytes(bytes: &[u8]) -> Result<PartialSizeMatched, WireError> {
        let mut r = Reader { bytes, at: 0 };
        read_header(&mut r, SIZE_MATCHED_MAGIC)?;
        let seed = r.u64()?;
        let n_columns = r.u32()? as usize;
        if n_columns > bytes.len() - r.at {
            return Err(WireError(format!(
                "{n_columns} columns exceed the bytes left"
            )));
        }
        let mut columns = Vec::with_capacity(n_columns);
        for _ in 0..n_columns {
            match r.u8()? {
                0 => columns.push(None),
                1 => columns.push(Some(read_sampled_column(&mut r)?)),
                x => return Err(WireError(format!("column flag {x}"))),
            }
        }
        read_end(&r)?;
        Ok(PartialSizeMatched { seed, columns })
    }
}

fn read_sampled_column(r: &mut Reader<'_>) -> Result<SampledColumn, WireError> {
    let n_users = r.u64()? as usize;
    let subsamples = r.u64()? as usize;
    let n_groups = r.u32()? as usize;
    // A group takes at least 12 bytes (its subsample and list counts).
    if n_groups.saturating_mul(12) > r.bytes.len() - r.at {
        return Err(WireError(format!(
            "{n_groups} groups exceed the bytes left"
        )));
    }
    let mut groups = Vec::with_capacity(n_groups);
    for _ in 0..n_groups {
        let n_subsamples = r.u32()? as usize;
        if n_subsamples.saturating_mul(8) > r.bytes.len() - r.at {
            return Err(WireError(format!(
                "{n_subsamples} subsamples exceed the bytes left"
            )));
        }
        let mut group = SampledGroup::default();
        for _ in 0..n_subsamples {
            let n = r.len(16)?;
            if n > n_users {
                return Err(WireError(format!(
                    "a subsample of {n} users, more than {n_users}"
                )));
            }
            let kept = (0..n)
                .map(|_| Ok((r.u64()?, r.u64()?)))
                .collect::<Result<Vec<_>, WireError>>()?;
            if kept.windows(2).any(|w| w[0] >= w[1]) {
                return Err(WireError(
                    "a subsample is not in ascending (hash, key) order".into(),
                ));
            }
            group.subsamples.push(kept);
        }
        let n_lists = r.len(12)?;
        let mut last = None;
        for _ in 0..n_lists {
            let key = r.u64()?;
            let len = r.u32()? as usize;
            if len.saturating_mul(4) > r.bytes.len() - r.at {
                return Err(WireError(format!(
                    "a list of {len} items exceeds the bytes left"
                )));
            }
            let list = (0..len).map(|_| r.u32()).collect::<Result<Vec<_>, _>>()?;
            if last.is_some_and(|l| l >= key) {
                return Err(WireError("the lists are not in ascending key order".into()));
            }
            last = Some(key);
            group.lists.insert(key, list);
        }
        if let Some((_, key)) = group
            .subsamples
            .iter()
            .flatten()
            .find(|(_, k)| !group.lists.contains_key(k))
        {
            return Err(WireError(format!("kept user {key:#018x} has no list")));
        }
        groups.push(group);
    }
    Ok(SampledColumn {
        n_users,
        subsamples,
        groups,
    })
}

/// The magic bytes that open a serialised exposure-share state ([`PartialExposureShares`]).
pub const EXPOSURE_SHARES_MAGIC: &[u8; 8] = b"RAUDEXPO";

/// The statistics settings, as [`PartialAudit::to_bytes`] writes them.
fn write_stats(w: &mut Writer, st: &StatsConfig) {
    w.u64(st.seed);
    w.len(st.resamples);
    w.f64(st.confidence);
    w.f64(st.alpha);
    w.len(st.permutations);
    w.len(st.permutation_max_n);
    w.len(st.bootstrap_units);
    w.u8(u8::from(st.item_resampling));
    w.f64(st.four_fifths);
}

/// The statistics settings written by [`write_stats`].
fn read_stats(r: &mut Reader<'_>) -> Result<StatsConfig, WireError> {
    Ok(StatsConfig {
        seed: r.u64()?,
        resamples: r.u64()? as usize,
        confidence: r.f64()?,
        alpha: r.f64()?,
        permutations: r.u64()? as usize,
        permutation_max_n: r.u64()? as usize,
        bootstrap_units: r.u64()? as usize,
        item_resampling: r.u8()? != 0,
        four_fifths: r.f64()?,
    })
}

impl PartialExposureShares {
    /// The state in a format like [`PartialAudit::to_bytes`]'s: magic `RAUDEXPO`, u32 version,
    /// the statistics settings (as `RAUDPART`), u64 columns N (item groups + the total), u64 user
    /// units K (`u64::MAX`: every user its own unit), u8 mode (1 two-way, 0 users only), u32
    /// families F (the overall population, then each slice column), F × u32 sets, then set by
    /// set:
    ///
    /// - two-way: u64 users, u8 has_users [u64 U, U × (u64 key, u32 cells C, C × (u32 item unit,
    ///   sums))], u64 buckets B, B × (u32 user bucket, u32 item unit, u64 first key, u32 first
    ///   term, sums) in ascending (bucket, item unit); a cell's N sums sparse: u32 z, z × (u32
    ///   column, f64) for the sums whose bits are not zero, in ascending column;
    /// - users only: the group as in `RAUDPART` with N metrics (n, rows of N masses, touched
    ///   buckets of 2N + 1 sums; no moments).
    ///
    /// Size per two-way set: 17 + 12 per kept user and 8 + 12z per user cell, or 24 + 12z per
    /// bucket cell (at most K × M cells; z = 1 + the groups of the cell's items, a few); users
    /// only: as a `RAUDPART` group of N metrics.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut w = Writer::header(EXPOSURE_SHARES_MAGIC);
        write_stats(&mut w, &self.stats);
        w.len(self.n_cols);
        w.u64(if self.user_units == usize::MAX {
            u64::MAX
        } else {
            self.user_units as u64
        });
        match &self.sets {
            ShareSets::TwoWay(families) => {
                w.u8(1);
                w.u32(families.len() as u32);
                for f in families {
                    w.u32(f.len() as u32);
                }
                for set in families.iter().flatten() {
                    write_cell_set(&mut w, set, self.n_cols);
                }
            }
            ShareSets::UserOnly(families) => {
                w.u8(0);
                w.u32(families.len() as u32);
                for f in families {
                    w.u32(f.len() as u32);
                }
                for g in families.iter().flatten() {
                    write_group(&mut w, g, self.n_cols, self.stats.bootstrap_units);
                }
            }
        }
        w.0
    }

    /// Reads a state written by [`to_bytes`](Self::to_bytes): refuses cells of another width,
    /// buckets out of order, and more bootstrap units than a state may declare.
    pub fn from_bytes(bytes: &[u8]) -> Result<PartialExposureShares, WireError> {
        let mut r = Reader { bytes, at: 0 };
        read_header(&mut r, EXPOSURE_SHARES_MAGIC)?;
        let stats = read_stats(&mut r)?;
        if stats.bootstrap_units > MAX_UNITS {
            return Err(WireError(format!(
                "{} bootstrap units (at most {MAX_UNITS})",
                stats.bootstrap_units
            )));
        }
        // A column is at least one f64 of a cell, and there is the total.
        let n_cols = r.u64()?;
        if n_cols == 0 || n_cols > (bytes.len() / 8) as u64 {
            return Err(WireError(format!("{n_cols} columns")));
        }
        let n_cols = n_cols as usize;
        let user_units = match r.u64()? {
            u64::MAX => usize::MAX,
            k => k as usize,
        };
        let mode = r.u8()?;
        let n_families = r.u32()? as usize;
        if n_families.saturating_mul(4) > bytes.len() - r.at {
            return Err(WireError(format!(
                "{n_families} families exceed the bytes left"
            )));
        }
        let shape = (0..n_families)
            .map(|_| r.u32().map(|n| n as usize))
            .collect::<Result<Vec<_>, _>>()?;
        // A set takes at least 8 bytes.
        if shape.iter().sum::<usize>().saturating_mul(8) > bytes.len() - r.at {
            return Err(WireError("more sets than bytes left".into()));
        }
        let sets = match mode {
            1 => ShareSets::TwoWay(
                shape
                    .iter()
                    .map(|&n| (0..n).map(|_| read_cell_set(&mut r, n_cols)).collect())
                    .collect::<Result<_, _>>()?,
            ),
            0 => ShareSets::UserOnly(
                shape
                    .iter()
                    .map(|&n| {
                        (0..n)
                            .map(|_| read_group(&mut r, n_cols, stats.bootstrap_units))
                            .collect()
                    })
                    .collect::<Result<_, _>>()?,
            ),
            x => return Err(WireError(format!("mode {x}"))),
        };
        read_end(&r)?;
        Ok(PartialExposureShares {
            stats,
            n_cols,
            user_units,
            sets,
        })
    }
}

/// A cell's column sums, sparse: u32 count z of the sums whose bits are not zero, then z × (u32
/// column, f64 sum) in ascending column (an item is in few groups: most sums are +0).
fn write_sums(w: &mut Writer, sums: &[f64]) {
    let nonzero = || sums.iter().enumerate().filter(|(_, x)| x.to_bits() != 0);
    w.u32(nonzero().count() as u32);
    for (j, &x) in nonzero() {
        w.u32(j as u32);
        w.f64(x);
    }
}

/// The `n_cols` sums written by [`write_sums`].
fn read_sums(r: &mut Reader<'_>, n_cols: usize) -> Result<Vec<f64>, WireError> {
    let z = r.u32()? as usize;
    if z > n_cols {
        return Err(WireError(format!("{z} sums of {n_cols} columns")));
    }
    let mut sums = vec![0.0; n_cols];
    let mut last = None;
    for _ in 0..z {
        let j = r.u32()? as usize;
        if j >= n_cols || last.is_some_and(|l| l >= j) {
            return Err(WireError(format!("column {j} out of order or of range")));
        }
        last = Some(j);
        sums[j] = r.f64()?;
    }
    Ok(sums)
}

fn write_cell_set(w: &mut Writer, set: &CellSet, n_cols: usize) {
    w.u64(set.n);
    match &set.users {
        Some(users) => {
            w.u8(1);
            w.len(users.len());
            for u in users {
                w.u64(u.key);
                w.u32(u.item_unit.len() as u32);
                for (m, sums) in u.item_unit.iter().zip(u.values.chunks_exact(n_cols)) {
                    w.u32(*m);
                    write_sums(w, sums);
                }
            }
        }
        None => w.u8(0),
    }
    w.len(set.buckets.len());
    for (&(k, m), cell) in &set.buckets {
        w.u32(k);
        w.u32(m);
        w.u64(cell.first.0);
        w.u32(cell.first.1);
        write_sums(w, &cell.values);
    }
}

fn read_cell_set(r: &mut Reader<'_>, n_cols: usize) -> Result<CellSet, WireError> {
    let n = r.u64()?;
    let f64s = |r: &mut Reader<'_>| read_sums(r, n_cols);
    let users = match r.u8()? {
        0 => None,
        1 => {
            let len = r.len(12)?;
            let mut users = Vec::with_capacity(len);
            for _ in 0..len {
                let key = r.u64()?;
                let cells = r.u32()? as usize;
                if cells.saturating_mul(8) > r.bytes.len() - r.at {
                    return Err(WireError(format!("{cells} cells exceed the bytes left")));
                }
                let mut u = UserCells {
                    key,
                    item_unit: Vec::with_capacity(cells),
                    values: Vec::with_capacity(cells * n_cols),
                };
                for _ in 0..cells {
                    u.item_unit.push(r.u32()?);
                    u.values.extend(f64s(r)?);
                }
                users.push(u);
            }
            Some(users)
        }
        x => return Err(WireError(format!("user flag {x}"))),
    };
    let n_buckets = r.len(24)?;
    let mut buckets = std::collections::BTreeMap::new();
    let mut last = None;
    for _ in 0..n_buckets {
        let cell = (r.u32()?, r.u32()?);
        if last.is_some_and(|l| l >= cell) {
            return Err(WireError(
                "bucket cells not in ascending (bucket, item unit) order".into(),
            ));
        }
        last = Some(cell);
        let first = (r.u64()?, r.u32()?);
        let values = f64s(r)?;
        buckets.insert(cell, BucketCell { first, values });
    }
    Ok(CellSet { n, users, buckets })
}

/// The magic bytes that open serialised sorted runs ([`PartialRanked`]).
pub const RANKED_MAGIC: &[u8; 8] = b"RAUDRANK";

impl PartialRanked {
    /// The runs in a format like [`PartialAudit::to_bytes`]'s: magic `RAUDRANK`, u32 version,
    /// u32 metrics M, u32 slice columns C, then per metric u64 entries E, E × f64 value, E × u64
    /// user key, E × C × u32 codes, in the run's order. Size: 16 + 4C bytes per user and metric
    /// with a defined value.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut w = Writer::header(RANKED_MAGIC);
        w.u32(self.runs.len() as u32);
        w.u32(self.runs.first().map_or(0, |r| r.columns) as u32);
        for run in &self.runs {
            w.len(run.len());
            run.values.iter().for_each(|&x| w.f64(x));
            run.keys.iter().for_each(|&k| w.u64(k));
            run.codes.iter().for_each(|&c| w.u32(c));
        }
        w.0
    }

    /// Reads runs written by [`to_bytes`](Self::to_bytes): refuses runs out of (value, key)
    /// order and NaN values.
    pub fn from_bytes(bytes: &[u8]) -> Result<PartialRanked, WireError> {
        let mut r = Reader { bytes, at: 0 };
        read_header(&mut r, RANKED_MAGIC)?;
        let n_metrics = r.u32()? as usize;
        let columns = r.u32()? as usize;
        if n_metrics.saturating_mul(8) > bytes.len() - r.at {
            return Err(WireError(format!(
                "{n_metrics} metrics exceed the bytes left"
            )));
        }
        let mut runs = Vec::with_capacity(n_metrics);
        for _ in 0..n_metrics {
            let n = r.len(16usize.saturating_add(columns.saturating_mul(4)))?;
            let values = (0..n).map(|_| r.f64()).collect::<Result<Vec<_>, _>>()?;
            let keys = (0..n).map(|_| r.u64()).collect::<Result<Vec<_>, _>>()?;
            let codes = (0..n * columns)
                .map(|_| r.u32())
                .collect::<Result<Vec<_>, _>>()?;
            let ordered = (1..n).all(|i| {
                let order = values[i - 1].total_cmp(&values[i]);
                order.then(keys[i - 1].cmp(&keys[i])).is_lt()
            });
            if !ordered || values.iter().any(|x| x.is_nan()) {
                return Err(WireError(
                    "a run is not in ascending (value, key) order of defined values".into(),
                ));
            }
            runs.push(RankedRun {
                columns,
                values,
                keys,
                codes,
            });
        }
        read_end(&r)?;
        Ok(PartialRanked { runs })
    }
}

/// The magic bytes that open serialised list counts ([`PartialShown`]).
pub const SHOWN_MAGIC: &[u8; 8] = b"RAUDSHOW";

impl PartialShown {
    /// The counts in a format like [`PartialAudit::to_bytes`]'s: magic `RAUDSHOW`, u32 version,
    /// u64 items, one u64 count per item: 8 bytes per item of the catalog.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut w = Writer::header(SHOWN_MAGIC);
        w.len(self.shown.len());
        self.shown.iter().for_each(|&n| w.u64(n));
        w.0
    }

    /// Reads counts written by [`to_bytes`](Self::to_bytes).
    pub fn from_bytes(bytes: &[u8]) -> Result<PartialShown, WireError> {
        let mut r = Reader { bytes, at: 0 };
        read_header(&mut r, SHOWN_MAGIC)?;
        let n = r.len(8)?;
        let shown = (0..n).map(|_| r.u64()).collect::<Result<Vec<_>, _>>()?;
        read_end(&r)?;
        Ok(PartialShown { shown })
    }
}

/// The magic bytes that open a serialised over-time state ([`PartialOverTime`]).
pub const OVER_TIME_MAGIC: &[u8; 8] = b"RAUDTIME";
/// The largest catalog an over-time state may declare (a corrupt count would otherwise allocate
/// without bound: every set with lists holds a u32 per item).
const MAX_ITEMS: usize = 1 << 28;

impl PartialOverTime {
    /// The state in a format like [`PartialAudit::to_bytes`]'s: magic `RAUDTIME`, u32 version,
    /// settings (f64 slope threshold, f64 overlap threshold, u32 W, W × f64 position weights at
    /// ranks 1..=W), u64 catalog size, u32 snapshots T, T × string label; u32 sets S, per set
    /// (every user, then every published group in plan order): u64 users with a slope, f64 Σ slope,
    /// u64 falling, u64 rising, u64 users with an overlap, f64 Σ overlap, u64 frozen, then per
    /// snapshot u64 non-empty lists, f64 Σ entropy, u64 items shown N, N × (u32 item, u32 lists)
    /// in ascending item; u8 truth (0 or 1), when 1: u32 item-group columns, per column string
    /// name, u32 groups G, G × string label, T × (G × f64 exposure, G × f64 merit). Size: 56
    /// bytes per set, 24 + 8 per item shown per set and snapshot, 16 per item group and snapshot.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut w = Writer::header(OVER_TIME_MAGIC);
        w.f64(self.settings.slope_threshold);
        w.f64(self.settings.overlap_threshold);
        w.u32(self.settings.weights.len() as u32);
        self.settings.weights.iter().for_each(|&x| w.f64(x));
        w.len(self.n_items);
        w.u32(self.snapshots.len() as u32);
        self.snapshots.iter().for_each(|l| w.str(l));
        w.u32(self.sets.len() as u32);
        for set in &self.sets {
            let t = &set.trend;
            w.u64(t.n_slopes);
            w.f64(t.slope_sum);
            w.u64(t.n_falling);
            w.u64(t.n_rising);
            w.u64(t.n_overlaps);
            w.f64(t.overlap_sum);
            w.u64(t.n_frozen);
            for s in &set.snapshots {
                w.u64(s.n_lists);
                w.f64(s.entropy_sum);
                w.len(s.counts.iter().filter(|&&c| c > 0).count());
                for (i, &c) in s.counts.iter().enumerate().filter(|(_, &c)| c > 0) {
                    w.u32(i as u32);
                    w.u32(c);
                }
            }
        }
        match &self.owed {
            None => w.u8(0),
            Some(columns) => {
                w.u8(1);
                w.u32(columns.len() as u32);
                for o in columns {
                    w.str(&o.name);
                    w.u32(o.labels.len() as u32);
                    o.labels.iter().for_each(|l| w.str(l));
                    for (e, m) in o.exposure.iter().zip(&o.merit) {
                        e.iter().for_each(|&x| w.f64(x));
                        m.iter().for_each(|&x| w.f64(x));
                    }
                }
            }
        }
        w.0
    }

    /// Reads a state written by [`to_bytes`](Self::to_bytes): refuses item counts out of order,
    /// beyond the catalog or above the lists, sets whose lists hold no item (or items without a
    /// list), and flag counts above their users.
    pub fn from_bytes(bytes: &[u8]) -> Result<PartialOverTime, WireError> {
        let mut r = Reader { bytes, at: 0 };
        read_header(&mut r, OVER_TIME_MAGIC)?;
        let slope_threshold = r.f64()?;
        let overlap_threshold = r.f64()?;
        let n_weights = r.u32()? as usize;
        let left = |r: &Reader<'_>| r.bytes.len() - r.at;
        if n_weights.saturating_mul(8) > left(&r) {
            return Err(WireError(format!(
                "{n_weights} weights exceed the bytes left"
            )));
        }
        let weights = (0..n_weights).map(|_| r.f64()).collect::<Result<_, _>>()?;
        let n_items = r.u64()?;
        if n_items > MAX_ITEMS as u64 {
            return Err(WireError(format!("a catalog of {n_items} items")));
        }
        let n_items = n_items as usize;
        let n_snapshots = r.u32()? as usize;
        if n_snapshots.saturating_mul(4) > left(&r) {
            return Err(WireError(format!(
                "{n_snapshots} snapshots exceed the bytes left"
            )));
        }
        let snapshots = (0..n_snapshots)
            .map(|_| r.str())
            .collect::<Result<Vec<_>, _>>()?;
        let n_sets = r.u32()? as usize;
        if n_sets.saturating_mul(56 + 24 * n_snapshots) > left(&r) {
            return Err(WireError(format!("{n_sets} sets exceed the bytes left")));
        }
        let mut sets = Vec::with_capacity(n_sets);
        for _ in 0..n_sets {
            let trend = TrendSums {
                n_slopes: r.u64()?,
                slope_sum: r.f64()?,
                n_falling: r.u64()?,
                n_rising: r.u64()?,
                n_overlaps: r.u64()?,
                overlap_sum: r.f64()?,
                n_frozen: r.u64()?,
            };
            if trend.n_falling.saturating_add(trend.n_rising) > trend.n_slopes
                || trend.n_frozen > trend.n_overlaps
            {
                return Err(WireError("more users flagged than counted".into()));
            }
            let mut per_snapshot = Vec::with_capacity(n_snapshots);
            for _ in 0..n_snapshots {
                let n_lists = r.u64()?;
                let entropy_sum = r.f64()?;
                let shown = r.len(8)?;
                if (n_lists == 0) != (shown == 0) {
                    return Err(WireError(format!("{n_lists} lists showing {shown} items")));
                }
                let mut counts = if n_lists > 0 {
                    vec![0u32; n_items]
                } else {
                    Vec::new()
                };
                let mut last = None;
                for _ in 0..shown {
                    let (item, c) = (r.u32()?, r.u32()?);
                    if last.is_some_and(|l| l >= item) || item as usize >= n_items {
                        return Err(WireError(format!(
                            "item {item} out of order or beyond the catalog of {n_items}"
                        )));
                    }
                    if c == 0 || u64::from(c) > n_lists {
                        return Err(WireError(format!("item {item} in {c} of {n_lists} lists")));
                    }
                    last = Some(item);
                    counts[item as usize] = c;
                }
                per_snapshot.push(SnapshotSums {
                    n_lists,
                    counts,
                    entropy_sum,
                });
            }
            sets.push(SetSums {
                trend,
                snapshots: per_snapshot,
            });
        }
        let owed = match r.u8()? {
            0 => None,
            1 => {
                let n_columns = r.u32()? as usize;
                if n_columns.saturating_mul(8) > left(&r) {
                    return Err(WireError(format!(
                        "{n_columns} item-group columns exceed the bytes left"
                    )));
                }
                let mut columns = Vec::with_capacity(n_columns);
                for _ in 0..n_columns {
                    let name = r.str()?;
                    let n_groups = r.u32()? as usize;
                    if n_groups.saturating_mul(4) > left(&r) {
                        return Err(WireError(format!(
                            "{n_groups} item groups exceed the bytes left"
                        )));
                    }
                    let labels = (0..n_groups)
                        .map(|_| r.str())
                        .collect::<Result<Vec<_>, _>>()?;
                    if n_groups.saturating_mul(16 * n_snapshots) > left(&r) {
                        return Err(WireError(format!(
                            "the sums of {n_groups} item groups exceed the bytes left"
                        )));
                    }
                    let (mut exposure, mut merit) = (Vec::new(), Vec::new());
                    for _ in 0..n_snapshots {
                        exposure.push((0..n_groups).map(|_| r.f64()).collect::<Result<_, _>>()?);
                        merit.push((0..n_groups).map(|_| r.f64()).collect::<Result<_, _>>()?);
                    }
                    columns.push(OwedSums {
                        name,
                        labels,
                        exposure,
                        merit,
                    });
                }
                Some(columns)
            }
            x => return Err(WireError(format!("truth flag {x}"))),
        };
        read_end(&r)?;
        Ok(PartialOverTime {
            settings: OverTimeSettings {
                slope_threshold,
                overlap_threshold,
                weights,
            },
            n_items,
            snapshots,
            sets,
            owed,
        })
    }
}

/// The magic bytes that open a serialised partition's states ([`PartitionStates`]).
pub const STATES_MAGIC: &[u8; 8] = b"RAUDSTAT";

impl PartitionStates {
    /// Every family's state of a partition as one message: magic `RAUDSTAT`, u32 version, then
    /// eight u64-length-prefixed states in this order, each in its own format: `RAUDPART`,
    /// `RAUDRANK`, `RAUDCORP`, `RAUDSUBG`, `RAUDSIZE`, `RAUDEXPO`, `RAUDTIME`,
    /// `RAUDFITS`. What a map task sends to the driver.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut w = Writer::header(STATES_MAGIC);
        for part in [
            self.audit.to_bytes(),
            self.ranked.to_bytes(),
            self.corpus.to_bytes(),
            self.subgroups.to_bytes(),
            self.size_matched.to_bytes(),
            self.exposure_shares.to_bytes(),
            self.over_time.to_bytes(),
            self.fit_sample.to_bytes(),
        ] {
            w.len(part.len());
            w.0.extend_from_slice(&part);
        }
        w.0
    }

    /// Reads states written by [`to_bytes`](Self::to_bytes).
    pub fn from_bytes(bytes: &[u8]) -> Result<PartitionStates, WireError> {
        let mut r = Reader { bytes, at: 0 };
        read_header(&mut r, STATES_MAGIC)?;
        let states = PartitionStates {
            audit: PartialAudit::from_bytes(message(&mut r)?)?,
            ranked: PartialRanked::from_bytes(message(&mut r)?)?,
            corpus: PartialCorpus::from_bytes(message(&mut r)?)?,
            subgroups: PartialSubgroups::from_bytes(message(&mut r)?)?,
            size_matched: PartialSizeMatched::from_bytes(message(&mut r)?)?,
            exposure_shares: PartialExposureShares::from_bytes(message(&mut r)?)?,
            over_time: PartialOverTime::from_bytes(message(&mut r)?)?,
            fit_sample: PartialFitSample::from_bytes(message(&mut r)?)?,
        };
        read_end(&r)?;
        Ok(states)
    }
}

/// A u64-length-prefixed message inside a container.
fn message<'a>(r: &mut Reader<'a>) -> Result<&'a [u8], WireError> {
    let n = r.len(1)?;
    let start = r.at;
    r.take(n)?;
    Ok(&r.bytes[start..start + n])
}
