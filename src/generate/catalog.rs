//! The catalog: Zipf popularity, providers and categories of the items, and the weighted pools
//! that history, truth and recommendation draws come from.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::plants::INDIE_IDX;
use super::sampling::{domain_key, pick, Weighted, DOMAIN_ITEMS};
use super::GeneratorConfig;

/// Item providers (column `provider`).
pub const PROVIDERS: [&str; 3] = ["major", "indie", "local"];

const PROVIDER_W: [f64; 3] = [0.5, 0.3, 0.2];
const EXTRA_CATS_W: [f64; 3] = [0.6, 0.3, 0.1];

const CATEGORY_NAMES: [&str; 20] = [
    "drama", "comedy", "action", "docs", "kids", "horror", "romance", "scifi", "thriller", "music",
    "sports", "news", "crime", "fantasy", "anime", "travel", "cooking", "history", "nature",
    "tech",
];

const ZIPF_EXPONENT: f64 = 1.0;
const HISTORY_TASTE: f64 = 0.6;
const TRUTH_TASTE: f64 = 0.8;
const TRUTH_POP_EXPONENT: f64 = 0.25;
const REC_TASTE: f64 = 0.5;
const INDIE_REC_WEIGHT: f64 = 0.3;

/// Where a user's recommendations may come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Pool {
    /// The whole catalog.
    All,
    /// Items whose primary category is in the segregation cluster.
    Cluster,
    /// Items whose primary category is outside the segregation cluster.
    NonCluster,
    /// Items whose categories all lie in the first `n` of these categories.
    Narrow([u16; 2], u8),
}

/// The items and the weighted pools drawn from; built once per configuration from the catalog's
/// own random stream.
pub(super) struct Catalog {
    pub(super) n_items: usize,
    cat_names: Vec<String>,
    /// Categories of item i: `cats[i][..n_cats[i]]`, primary first.
    cats: Vec<[u16; 3]>,
    n_cats: Vec<u8>,
    pub(super) provider: Vec<u8>,
    pub(super) pop_score: Vec<f64>,
    pub(super) cat_in_cluster: Vec<bool>,
    hist_global: Weighted,
    hist_cat: Vec<Weighted>,
    truth_global: Weighted,
    truth_cat: Vec<Weighted>,
    rec_global: Weighted,
    rec_cluster: Weighted,
    rec_noncluster: Weighted,
    rec_cat: Vec<Weighted>,
    rec_pure: Vec<Weighted>,
}

impl Catalog {
    /// The catalog of `cfg` (its seed, sizes and plants).
    pub(super) fn new(cfg: &GeneratorConfig) -> Self {
        let n = cfg.n_items;
        let n_cat = cfg.n_categories;
        let mut rng = ChaCha8Rng::from_seed(domain_key(cfg.seed, DOMAIN_ITEMS));

        // Popularity rank: a random permutation of the ids.
        let mut by_rank: Vec<u32> = (0..n as u32).collect();
        for i in (1..n).rev() {
            let j = rng.gen_range(0..=i);
            by_rank.swap(i, j);
        }
        let mut rank = vec![0usize; n];
        for (r, &i) in by_rank.iter().enumerate() {
            rank[i as usize] = r;
        }
        let zipf: Vec<f64> = rank
            .iter()
            .map(|&r| 1.0 / ((r + 1) as f64).powf(ZIPF_EXPONENT))
            .collect();
        let ln_n = ((n + 1) as f64).ln();
        let pop_score: Vec<f64> = rank
            .iter()
            .map(|&r| 1.0 - ((r + 1) as f64).ln() / ln_n)
            .collect();

        // Providers along the popularity ranking: each item goes to the provider whose share of
        // the Zipf mass so far lags its target most, so shares hold by count and by mass.
        let mut provider = vec![0u8; n];
        let mut mass = [0.0f64; 3];
        let mut total = 0.0;
        for (r, &i) in by_rank.iter().enumerate() {
            let z = 1.0 / ((r + 1) as f64).powf(ZIPF_EXPONENT);
            total += z;
            let p = (0..3)
                .max_by(|&a, &b| {
                    let da = PROVIDER_W[a] * total - mass[a];
                    let db = PROVIDER_W[b] * total - mass[b];
                    da.total_cmp(&db).then(b.cmp(&a))
                })
                .unwrap_or(0);
            mass[p] += z;
            provider[i as usize] = p as u8;
        }

        // Categories: the cluster is the last quarter (at least one); with the segregation plant
        // an item's categories stay on one side of it.
        let n_cluster = (n_cat / 4).max(1);
        let cat_in_cluster: Vec<bool> = (0..n_cat).map(|c| c >= n_cat - n_cluster).collect();
        let mut cats = vec![[0u16; 3]; n];
        let mut n_cats = vec![0u8; n];
        for i in 0..n {
            let primary = rng.gen_range(0..n_cat) as u16;
            let extra = pick(&mut rng, &EXTRA_CATS_W);
            let (lo, hi) = if cfg.plants.segregated_group {
                if cat_in_cluster[primary as usize] {
                    (n_cat - n_cluster, n_cat)
                } else {
                    (0, n_cat - n_cluster)
                }
            } else {
                (0, n_cat)
            };
            let extra = extra.min(hi - lo - 1);
            cats[i][0] = primary;
            let mut m = 1;
            while m < 1 + extra {
                let c = rng.gen_range(lo..hi) as u16;
                if !cats[i][..m].contains(&c) {
                    cats[i][m] = c;
                    m += 1;
                }
            }
            n_cats[i] = m as u8;
        }

        let rec_weight: Vec<f64> = (0..n)
            .map(|i| {
                if cfg.plants.underexposed_provider && provider[i] == INDIE_IDX {
                    zipf[i] * INDIE_REC_WEIGHT
                } else {
                    zipf[i]
                }
            })
            .collect();
        let mut with_cat: Vec<Vec<u32>> = vec![Vec::new(); n_cat];
        let mut pure: Vec<Vec<u32>> = vec![Vec::new(); n_cat];
        for i in 0..n {
            for &c in &cats[i][..n_cats[i] as usize] {
                with_cat[c as usize].push(i as u32);
            }
            if n_cats[i] == 1 {
                pure[cats[i][0] as usize].push(i as u32);
            }
        }
        let all: Vec<u32> = (0..n as u32).collect();
        let (cluster, noncluster): (Vec<u32>, Vec<u32>) = all
            .iter()
            .partition(|&&i| cat_in_cluster[cats[i as usize][0] as usize]);
        let hw = |i: u32| zipf[i as usize];
        let tw = |i: u32| zipf[i as usize].powf(TRUTH_POP_EXPONENT);
        let rw = |i: u32| rec_weight[i as usize];
        Catalog {
            n_items: n,
            cat_names: (0..n_cat).map(category_name).collect(),
            hist_global: Weighted::new(all.clone(), hw),
            hist_cat: with_cat
                .iter()
                .map(|v| Weighted::new(v.clone(), hw))
                .collect(),
            truth_global: Weighted::new(all.clone(), tw),
            truth_cat: with_cat
                .iter()
                .map(|v| Weighted::new(v.clone(), tw))
                .collect(),
            rec_global: Weighted::new(all, rw),
            rec_cluster: Weighted::new(cluster, rw),
            rec_noncluster: Weighted::new(noncluster, rw),
            rec_cat: with_cat.into_iter().map(|v| Weighted::new(v, rw)).collect(),
            rec_pure: pure.into_iter().map(|v| Weighted::new(v, rw)).collect(),
            cats,
            n_cats,
            provider,
            pop_score,
            cat_in_cluster,
        }
    }

    /// The categories of `item`, primary first.
    pub(super) fn cats_of(&self, item: u32) -> &[u16] {
        &self.cats[item as usize][..self.n_cats[item as usize] as usize]
    }

    /// The `category` value of `item`: its category names joined by `|`, primary first.
    pub(super) fn category_label(&self, item: u32) -> String {
        self.cats_of(item)
            .iter()
            .map(|&c| self.cat_names[c as usize].as_str())
            .collect::<Vec<_>>()
            .join("|")
    }

    /// Whether `item` belongs to `pool`.
    pub(super) fn in_pool(&self, pool: Pool, item: u32) -> bool {
        let cats = self.cats_of(item);
        match pool {
            Pool::All => true,
            Pool::Cluster => self.cat_in_cluster[cats[0] as usize],
            Pool::NonCluster => !self.cat_in_cluster[cats[0] as usize],
            Pool::Narrow(set, n) => cats.iter().all(|c| set[..n as usize].contains(c)),
        }
    }

    /// A history draw (`truth = false`: a favourite category or the whole catalog, by
    /// popularity) or a truth draw (more taste, flatter popularity: the held-out items are what the
    /// user liked, not what the recommender pushes).
    pub(super) fn draw_taste<R: Rng>(&self, rng: &mut R, favs: &[u16], truth: bool) -> u32 {
        let (taste, global, by_cat) = if truth {
            (TRUTH_TASTE, &self.truth_global, &self.truth_cat)
        } else {
            (HISTORY_TASTE, &self.hist_global, &self.hist_cat)
        };
        if rng.gen::<f64>() < taste {
            let c = favs[rng.gen_range(0..favs.len())];
            if let Some(i) = by_cat[c as usize].sample(rng) {
                return i;
            }
        }
        global.sample(rng).expect("the catalog is not empty")
    }

    /// A recommendation candidate from `pool`; `relaxed` widens narrow pools to every item with
    /// one of their categories.
    pub(super) fn draw_rec<R: Rng>(
        &self,
        rng: &mut R,
        pool: Pool,
        favs: &[u16],
        relaxed: bool,
    ) -> u32 {
        let taste = rng.gen::<f64>() < REC_TASTE;
        let from_favs = |rng: &mut R, side: Option<bool>| -> Option<u32> {
            let n_ok = favs
                .iter()
                .filter(|&&c| side.is_none_or(|s| self.cat_in_cluster[c as usize] == s))
                .count();
            if n_ok == 0 {
                return None;
            }
            let pick = rng.gen_range(0..n_ok);
            let c = favs
                .iter()
                .filter(|&&c| side.is_none_or(|s| self.cat_in_cluster[c as usize] == s))
                .nth(pick)?;
            self.rec_cat[*c as usize].sample(rng)
        };
        let drawn = match pool {
            Pool::All => (if taste { from_favs(rng, None) } else { None })
                .or_else(|| self.rec_global.sample(rng)),
            Pool::Cluster => (if taste && !relaxed {
                from_favs(rng, Some(true))
            } else {
                None
            })
            .or_else(|| self.rec_cluster.sample(rng)),
            Pool::NonCluster => (if taste && !relaxed {
                from_favs(rng, Some(false))
            } else {
                None
            })
            .or_else(|| self.rec_noncluster.sample(rng)),
            Pool::Narrow(set, n) => {
                let c = set[rng.gen_range(0..n as usize)] as usize;
                if relaxed {
                    self.rec_cat[c].sample(rng)
                } else {
                    self.rec_pure[c]
                        .sample(rng)
                        .or_else(|| self.rec_cat[c].sample(rng))
                }
            }
        };
        drawn
            .or_else(|| self.rec_global.sample(rng))
            .expect("the catalog is not empty")
    }
}

/// The name of category `c`: `drama`, `comedy`, ... for the first 20, then `cat21`, ...
pub(super) fn category_name(c: usize) -> String {
    CATEGORY_NAMES
        .get(c)
        .map(|s| s.to_string())
        .unwrap_or_else(|| format!("cat{}", c + 1))
}
