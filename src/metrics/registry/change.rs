//! Change between a baseline run and the audited (candidate) run, user by user.

use super::{Family, Kind, MetricDef};
use crate::metrics::Better;

/// Rank-biased overlap of each user's baseline and candidate lists.
pub static RBO: MetricDef = MetricDef {
    key: "rbo",
    family: Family::Change,
    kind: Kind::PerUser,
    better: Better::Neutral,
    label: "List overlap with baseline (RBO)",
    unit: "share 0–1",
    percent: false,
    meaning: "How much of each user's list stayed the same between the baseline run (--baseline-recs) and this one, the top ranks weighted most: 1 means the same list in the same order, 0 means no item in common. Lower values mean the group's lists changed more; neither direction is better by itself.",
    formula: "RBO_ext(L_u^base, L_u; p) = (1 − p)/p · [Σ_{d=1}^{l} (X_d/d) p^d + Σ_{d=s+1}^{l} X_s (d − s)/(s d) p^d] + [(X_l − X_s)/l + X_s/s] p^l, X_d = |top d of one ∩ top d of the other|, s ≤ l the list lengths, persistence p = `rbo_persistence` (0.9); undefined for a user without a baseline list",
    source: "Webber, Moffat & Zobel 2010, \"A similarity measure for indefinite rankings\" (ACM TOIS 28(4)), eq. 32 (extrapolated RBO); agrees with the PyPI `rbo` package's rbo_ext",
};
