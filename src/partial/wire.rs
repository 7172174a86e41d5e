//! The partial state on the wire: a versioned little-endian binary format, so that a
//! [`PartialAudit`] can cross process and machine boundaries (docs/scaling.md, "Serialisation").
//!
//! Layout (every integer little-endian; f64 as its IEEE-754 bits, so values round-trip exactly,
//! NaN included; strings as a u32 byte length and UTF-8):
//!
//! ```text
//! magic "RAUDPART", u32 version (= 3)
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
//!           u32 M or 0, that many × (u64 n, f64 mean, f64 M2)
//! ```
//!
//! A user key is [`crate::data::id_key`] of the user's id (XXH64 with seed 42, Spark SQL's
//! `xxhash64`); version 1 wrote dense user ids (u32) there instead, version 2 no smallest key per
//! cell. Only the buckets a partition touched are written (those with users), so a partition of n
//! users writes at most min(n, units) buckets per group. Size per partition: about
//! 40 + 8·settings + Σ_groups [8 + min(n_g, units)·(4 + 8(2M + 1)) + rows_g·(8 + 8M) + 24M]
//! + cells·(4C + 32) bytes (measured sizes: docs/scaling.md).

use std::fmt;

use crate::metrics::registry;
use crate::stats::StatsConfig;

use super::corpus::{CorpusSet, PartialCorpus};
use super::segregation::{PartialClusters, PartialFitSample, SampleUser};
use super::size_matched::{PartialSizeMatched, SampledColumn, SampledGroup};
use super::state::{CellUsers, GroupState, Moments, PartialAudit, PartialSettings, Rows};
use super::subgroups::{PartialSubgroups, ProfileMetric};
use crate::metrics::segregation::ClusterSums;

/// The magic bytes that open a serialised partial state.
pub const MAGIC: &[u8; 8] = b"RAUDPART";
/// The format version written; [`PartialAudit::from_bytes`] reads only this one.
pub const VERSION: u32 = 3;
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
        let mut w = Writer(Vec::new());
        w.0.extend_from_slice(MAGIC);
        w.u32(VERSION);
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
        w.u64(mo.n);
        w.f64(mo.mean);
        w.f64(mo.m2);
    }
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
        .map(|_| {
            Ok(Moments {
                n: r.u64()?,
                mean: r.f64()?,
                m2: r.f64()?,
            })
        })
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
        let mut w = Writer(Vec::new());
        w.0.extend_from_slice(CORPUS_MAGIC);
        w.u32(VERSION);
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
        let mut w = Writer(Vec::new());
        w.0.extend_from_slice(SUBGROUPS_MAGIC);
        w.u32(VERSION);
        w.u32(self.n_published as u32);
        w.u32(self.n_searched as u32);
        w.u32(self.n_metrics as u32);
        w.len(self.profiles.len());
        for (codes, metrics) in &self.profiles {
            codes.iter().for_each(|&c| w.u32(c));
            for p in metrics {
                w.u64(p.moments.n);
                w.f64(p.moments.mean);
                w.f64(p.moments.m2);
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
        let n = r.len(4 * width + 32 * n_metrics)?;
        let mut profiles = std::collections::BTreeMap::new();
        for _ in 0..n {
            let codes = (0..width).map(|_| r.u32()).collect::<Result<Vec<_>, _>>()?;
            let mut metrics = Vec::with_capacity(n_metrics);
            for _ in 0..n_metrics {
                metrics.push(ProfileMetric {
                    moments: Moments {
                        n: r.u64()?,
                        mean: r.f64()?,
                        m2: r.f64()?,
                    },
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
        let mut w = Writer(Vec::new());
        w.0.extend_from_slice(FIT_SAMPLE_MAGIC);
        w.u32(VERSION);
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
    /// share sums, u32 columns, per column u64 cells (groups × k) and that many u64 counts.
    /// Size: 8k (1 + categories) + 8k × Σ groups bytes plus the header, whatever the users.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut w = Writer(Vec::new());
        w.0.extend_from_slice(CLUSTERS_MAGIC);
        w.u32(VERSION);
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
        read_end(&r)?;
        Ok(PartialClusters {
            n_users,
            sums: ClusterSums { sizes, sums },
            tables,
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
        let mut w = Writer(Vec::new());
        w.0.extend_from_slice(SIZE_MATCHED_MAGIC);
        w.u32(VERSION);
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
