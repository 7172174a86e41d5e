//! Each user's rows: demographics, favourite categories, history, truth and the recommendation
//! lists of every snapshot, all drawn from the user's own random stream so that a user's rows do not
//! depend on which block or thread generates them.

use anyhow::Result;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::catalog::{Catalog, Pool};
use super::csv::{digits, push_id};
use super::plants::{
    INDIE_IDX, NARROWING_AGE_IDX, NARROW_AGE_IDX, SEGREGATED_REGION_IDX, WORSE_GENDER_IDX,
};
use super::sampling::{domain_key, draw_distinct, pick, scan_free, DOMAIN_USERS, MAX_ATTEMPTS};
use super::writers::{EncodedBlock, EncodedRows};
use super::{GeneratorConfig, OutputFormat};

/// Gender values (column `gender`); `X` is a small group (~4%).
pub const GENDERS: [&str; 3] = ["F", "M", "X"];
/// Age bands (column `age_band`).
pub const AGE_BANDS: [&str; 3] = ["18-34", "35-54", "55+"];
/// Regions (column `region`).
pub const REGIONS: [&str; 5] = ["north", "south", "east", "west", "central"];
/// Country tiers (column `country_tier`).
pub const COUNTRY_TIERS: [&str; 3] = ["tier1", "tier2", "tier3"];
/// Tenure bands (column `tenure_band`).
pub const TENURE_BANDS: [&str; 3] = ["new", "regular", "loyal"];

const GENDER_W: [f64; 3] = [0.48, 0.48, 0.04];
const AGE_W: [f64; 3] = [0.40, 0.38, 0.22];
const REGION_W: [f64; 5] = [0.2; 5];
const TIER_W: [f64; 3] = [0.5, 0.3, 0.2];
const TENURE_W: [f64; 3] = [0.30, 0.45, 0.25];
const N_FAVS_W: [f64; 3] = [0.4, 0.4, 0.2];
const RELEVANCE_W: [f64; 3] = [0.5, 0.3, 0.2];

const CONSENT_FALSE: f64 = 0.03;
const TRUTH_INCLUDE: f64 = 0.11;
const WORSE_TRUTH_INCLUDE: f64 = 0.03;
const WORSE_TRUTH_REJECT: f64 = 0.8;
const INDIE_SCORE_PENALTY: f64 = 0.15;
const TRUTH_SCORE_BONUS: f64 = 0.15;
const NARROWING_SCORE_BONUS: f64 = 0.3;
const KEEP_PROB: f64 = 0.7;
const NARROWING_KEEP_PROB: f64 = 0.9;
const BASE_TIMESTAMP: u64 = 1_700_000_000;

/// Draws of a candidate from the user's own pool before the pool is relaxed.
const POOL_ATTEMPTS: usize = 128;

/// The demographic columns of a user, as indices into [`GENDERS`], [`AGE_BANDS`], ...
#[derive(Debug, Clone, Copy)]
pub(super) struct Demo {
    pub(super) gender: u8,
    pub(super) age: u8,
    pub(super) region: u8,
    pub(super) tier: u8,
    pub(super) tenure: u8,
    pub(super) consent: bool,
}

/// One row of the recommendations table; the score is in units of 10^-4.
pub(super) struct RecRow {
    pub(super) user: u32,
    pub(super) item: u32,
    pub(super) rank: u32,
    pub(super) snapshot: u32,
    pub(super) score_e4: u32,
}

/// The rows of one block of users.
#[derive(Default)]
pub(super) struct BlockRows {
    pub(super) users: Vec<(u32, Demo)>,
    pub(super) recs: Vec<RecRow>,
    pub(super) truth: Vec<(u32, u32, u8)>,
    pub(super) history: Vec<(u32, u32, u64)>,
}

/// Buffers reused from one user to the next.
#[derive(Default)]
struct Scratch {
    favs: Vec<u16>,
    history: Vec<u32>,
    truth: Vec<u32>,
    prev: Vec<u32>,
    cands: Vec<u32>,
    scored: Vec<(f64, u32)>,
}

/// Per-user recommendation context.
struct RecCtx {
    pool: Pool,
    /// The segregation side (`All` without that plant): fallbacks stay inside it.
    side: Pool,
    /// The pool that takes over snapshot by snapshot (narrowing plant).
    narrowing: Option<Pool>,
    worse: bool,
}

/// Generates the rows of any block of users of one configuration.
pub(super) struct Generator<'a> {
    pub(super) cfg: &'a GeneratorConfig,
    pub(super) catalog: Catalog,
    user_key: [u8; 32],
    /// Digits of the user ids (at least 6).
    pub(super) user_width: usize,
    /// Digits of the item ids (at least 5).
    pub(super) item_width: usize,
}

impl<'a> Generator<'a> {
    /// The generator of `cfg`, with its catalog built.
    pub(super) fn new(cfg: &'a GeneratorConfig) -> Self {
        Generator {
            cfg,
            catalog: Catalog::new(cfg),
            user_key: domain_key(cfg.seed, DOMAIN_USERS),
            user_width: digits(cfg.n_users as u64).max(6),
            item_width: digits(cfg.n_items as u64).max(5),
        }
    }

    /// The encoded rows of users `start..end`.
    pub(super) fn block(&self, start: usize, end: usize) -> Result<EncodedBlock> {
        let rows = self.block_rows(start, end);
        let history_items = rows.history.iter().map(|h| h.1).collect();
        Ok(EncodedBlock {
            tables: self.encode(&rows)?,
            history_items,
        })
    }

    /// The rows of users `start..end`, in order.
    pub(super) fn block_rows(&self, start: usize, end: usize) -> BlockRows {
        let cfg = self.cfg;
        let n = end - start;
        let mut rows = BlockRows {
            users: Vec::with_capacity(n),
            recs: Vec::with_capacity(n * cfg.k * cfg.n_snapshots),
            truth: Vec::with_capacity(n * cfg.truth_per_user),
            history: Vec::with_capacity(n * cfg.history_per_user),
        };
        let mut scratch = Scratch::default();
        for u in start..end {
            self.user(u as u32, &mut scratch, &mut rows);
        }
        rows
    }

    /// The users, recs, truth and history tables of `rows`, encoded in the output format.
    pub(super) fn encode(&self, rows: &BlockRows) -> Result<[EncodedRows; 4]> {
        Ok(match self.cfg.format {
            OutputFormat::Csv => [
                EncodedRows::Csv(self.users_csv(rows)),
                EncodedRows::Csv(self.recs_csv(rows)),
                EncodedRows::Csv(self.truth_csv(rows)),
                EncodedRows::Csv(self.history_csv(rows)),
            ],
            OutputFormat::Parquet => [
                EncodedRows::Frame(self.users_frame(rows)?),
                EncodedRows::Frame(self.recs_frame(rows)?),
                EncodedRows::Frame(self.truth_frame(rows)?),
                EncodedRows::Frame(self.history_frame(rows)?),
            ],
        })
    }

    /// The id of user `u` as written in the tables (`u` and the 1-based number, zero-padded).
    pub(super) fn user_id(&self, u: u32, buf: &mut Vec<u8>) {
        buf.clear();
        push_id(buf, b'u', u as u64 + 1, self.user_width);
    }

    /// Generates every row of user `u` from the user's own random stream.
    fn user(&self, u: u32, sc: &mut Scratch, rows: &mut BlockRows) {
        let cfg = self.cfg;
        let cat = &self.catalog;
        let n_cat = cfg.n_categories;
        let mut rng = ChaCha8Rng::from_seed(self.user_key);
        rng.set_stream(u as u64);

        let demo = Demo {
            gender: pick(&mut rng, &GENDER_W) as u8,
            age: pick(&mut rng, &AGE_W) as u8,
            region: pick(&mut rng, &REGION_W) as u8,
            tier: pick(&mut rng, &TIER_W) as u8,
            tenure: pick(&mut rng, &TENURE_W) as u8,
            consent: rng.gen::<f64>() >= CONSENT_FALSE,
        };
        rows.users.push((u, demo));

        let n_favs = (pick(&mut rng, &N_FAVS_W) + 1).min(n_cat);
        sc.favs.clear();
        while sc.favs.len() < n_favs {
            let c = rng.gen_range(0..n_cat) as u16;
            if !sc.favs.contains(&c) {
                sc.favs.push(c);
            }
        }

        // History, then truth (disjoint from the history).
        sc.history.clear();
        let mut ts = BASE_TIMESTAMP + rng.gen_range(0..30 * 86_400);
        for _ in 0..cfg.history_per_user {
            let item = draw_distinct(&mut rng, cat.n_items, &[&sc.history], |r| {
                cat.draw_taste(r, &sc.favs, false)
            });
            sc.history.push(item);
            rows.history.push((u, item, ts));
            ts += rng.gen_range(60..2 * 86_400);
        }
        sc.truth.clear();
        for _ in 0..cfg.truth_per_user {
            let item = draw_distinct(&mut rng, cat.n_items, &[&sc.history, &sc.truth], |r| {
                cat.draw_taste(r, &sc.favs, true)
            });
            sc.truth.push(item);
            rows.truth
                .push((u, item, pick(&mut rng, &RELEVANCE_W) as u8 + 1));
        }

        // Where this user's lists come from.
        let plants = cfg.plants;
        let side = if plants.segregated_group {
            if demo.region == SEGREGATED_REGION_IDX {
                Pool::Cluster
            } else {
                Pool::NonCluster
            }
        } else {
            Pool::All
        };
        let narrow_pool = |rng: &mut ChaCha8Rng, max_cats: usize| -> Pool {
            let ok = |c: u16| match side {
                Pool::Cluster => cat.cat_in_cluster[c as usize],
                Pool::NonCluster => !cat.cat_in_cluster[c as usize],
                _ => true,
            };
            let mut set = [0u16; 2];
            let mut m = 0;
            for &c in sc.favs.iter().filter(|&&c| ok(c)) {
                if m < max_cats {
                    set[m] = c;
                    m += 1;
                }
            }
            if m == 0 {
                let allowed: Vec<u16> = (0..n_cat as u16).filter(|&c| ok(c)).collect();
                set[0] = allowed[rng.gen_range(0..allowed.len())];
                m = 1;
            }
            Pool::Narrow(set, m as u8)
        };
        let pool = if plants.narrow_group && demo.age == NARROW_AGE_IDX {
            let max_cats = if rng.gen::<f64>() < 0.5 { 1 } else { 2 };
            narrow_pool(&mut rng, max_cats)
        } else {
            side
        };
        let narrowing =
            (plants.narrowing_over_time && cfg.n_snapshots >= 2 && demo.age == NARROWING_AGE_IDX)
                .then(|| narrow_pool(&mut rng, 1));
        let ctx = RecCtx {
            pool,
            side,
            narrowing,
            worse: plants.worse_group && demo.gender == WORSE_GENDER_IDX,
        };
        let include = if ctx.worse {
            WORSE_TRUTH_INCLUDE
        } else {
            TRUTH_INCLUDE
        };

        let n_cands = cfg.k + cfg.k.div_ceil(2);
        sc.prev.clear();
        for t in 0..cfg.n_snapshots {
            let s = match ctx.narrowing {
                Some(_) => t as f64 / (cfg.n_snapshots - 1) as f64,
                None => 0.0,
            };
            let in_narrowing = |item: u32| ctx.narrowing.is_some_and(|p| cat.in_pool(p, item));
            sc.cands.clear();
            for &item in &sc.prev {
                let keep = if in_narrowing(item) {
                    NARROWING_KEEP_PROB
                } else {
                    KEEP_PROB * (1.0 - s)
                };
                if rng.gen::<f64>() < keep {
                    sc.cands.push(item);
                }
            }
            for &item in &sc.truth {
                let allowed = cat.in_pool(ctx.pool, item) && (s < 1.0 || in_narrowing(item));
                if allowed && rng.gen::<f64>() < include && !sc.cands.contains(&item) {
                    sc.cands.push(item);
                }
            }
            while sc.cands.len() < n_cands {
                let item = self.draw_candidate(&mut rng, &ctx, s, sc);
                sc.cands.push(item);
            }

            sc.scored.clear();
            for &item in &sc.cands {
                let cats = cat.cats_of(item);
                let taste =
                    cats.iter().filter(|c| sc.favs.contains(c)).count() as f64 / cats.len() as f64;
                let mut score = 0.25
                    + 0.45 * cat.pop_score[item as usize]
                    + 0.2 * taste
                    + 0.2 * rng.gen::<f64>();
                if sc.truth.contains(&item) {
                    score += TRUTH_SCORE_BONUS;
                }
                if plants.underexposed_provider && cat.provider[item as usize] == INDIE_IDX {
                    score -= INDIE_SCORE_PENALTY;
                }
                if s > 0.0 && in_narrowing(item) {
                    score += NARROWING_SCORE_BONUS * s;
                }
                sc.scored.push((score, item));
            }
            sc.scored
                .sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
            sc.scored.truncate(cfg.k);

            sc.prev.clear();
            let mut last = u32::MAX;
            for (r, &(score, item)) in sc.scored.iter().enumerate() {
                let mut e4 = (score * 1e4).round().max(1.0) as u32;
                if e4 >= last {
                    e4 = last.saturating_sub(1);
                }
                last = e4;
                rows.recs.push(RecRow {
                    user: u,
                    item,
                    rank: r as u32 + 1,
                    snapshot: t as u32 + 1,
                    score_e4: e4,
                });
                sc.prev.push(item);
            }
        }
    }

    /// A new candidate: not in the history, not already a candidate; from the user's pool, then
    /// a relaxed pool, then a scan (inside the segregation side when possible), so it always
    /// terminates.
    fn draw_candidate(&self, rng: &mut ChaCha8Rng, ctx: &RecCtx, s: f64, sc: &Scratch) -> u32 {
        let cat = &self.catalog;
        for attempt in 0..MAX_ATTEMPTS {
            let pool = match ctx.narrowing {
                Some(p) if s > 0.0 && rng.gen::<f64>() < s => p,
                _ => ctx.pool,
            };
            let item = cat.draw_rec(rng, pool, &sc.favs, attempt >= POOL_ATTEMPTS);
            if sc.history.contains(&item) || sc.cands.contains(&item) {
                continue;
            }
            if ctx.worse && sc.truth.contains(&item) && rng.gen::<f64>() < WORSE_TRUTH_REJECT {
                continue;
            }
            return item;
        }
        let taken = [&sc.history, &sc.cands];
        scan_free(rng, cat.n_items, &taken, |i| cat.in_pool(ctx.side, i))
            .or_else(|| scan_free(rng, cat.n_items, &taken, |_| true))
            .expect("validate() guarantees enough items")
    }
}
