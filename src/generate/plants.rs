//! The effects that can be planted into a generated case, and the groups they hit.

/// The gender that gets less accurate lists under [`Plants::worse_group`].
pub const WORSE_GENDER: &str = "F";
/// The provider group pushed down and out of lists under [`Plants::underexposed_provider`].
pub const UNDEREXPOSED_PROVIDER: &str = "indie";
/// The age band whose lists are narrow under [`Plants::narrow_group`].
pub const NARROW_AGE_BAND: &str = "55+";
/// The age band whose lists narrow snapshot by snapshot under [`Plants::narrowing_over_time`].
pub const NARROWING_AGE_BAND: &str = "18-34";
/// The region segregated into its own category cluster under [`Plants::segregated_group`].
pub const SEGREGATED_REGION: &str = "east";

/// Index of [`WORSE_GENDER`] in [`GENDERS`](super::GENDERS).
pub(super) const WORSE_GENDER_IDX: u8 = 0;
/// Index of [`UNDEREXPOSED_PROVIDER`] in [`PROVIDERS`](super::PROVIDERS).
pub(super) const INDIE_IDX: u8 = 1;
/// Index of [`NARROW_AGE_BAND`] in [`AGE_BANDS`](super::AGE_BANDS).
pub(super) const NARROW_AGE_IDX: u8 = 2;
/// Index of [`NARROWING_AGE_BAND`] in [`AGE_BANDS`](super::AGE_BANDS).
pub(super) const NARROWING_AGE_IDX: u8 = 0;
/// Index of [`SEGREGATED_REGION`] in [`REGIONS`](super::REGIONS).
pub(super) const SEGREGATED_REGION_IDX: u8 = 2;

/// Effects planted into the generated data. All off by default: then every group is drawn from the
/// same distributions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Plants {
    /// Users with gender [`WORSE_GENDER`] get much less accurate lists: a truth item joins their
    /// candidates with probability 0.03 instead of 0.11, and a truth item drawn by chance is
    /// rejected with probability 0.8.
    pub worse_group: bool,
    /// Items of provider [`UNDEREXPOSED_PROVIDER`] are pushed down and out of lists: their
    /// candidate weight is ×0.3 and their score −0.15, so their share of recommendations falls well
    /// below their catalog share.
    pub underexposed_provider: bool,
    /// Users in age band [`NARROW_AGE_BAND`] get lists drawn only from items whose categories all lie
    /// in 1–2 of their favourite categories, while their history is as broad as everyone's.
    pub narrow_group: bool,
    /// Needs `n_snapshots >= 2`. Users in age band [`NARROWING_AGE_BAND`] start like everyone and
    /// lose categories snapshot by snapshot: at snapshot t of T a share (t−1)/(T−1) of new
    /// candidates comes from single-category items of their top favourite, which also gain score and
    /// stay longer; the last snapshot's lists are one category.
    pub narrowing_over_time: bool,
    /// Users in region [`SEGREGATED_REGION`] get lists only from a cluster of categories (the last
    /// quarter of the categories, at least one), and every other user gets none from it. Items do not
    /// mix categories across the cluster boundary. Histories stay as everyone's.
    pub segregated_group: bool,
}

impl Plants {
    /// No planted effect.
    pub fn none() -> Self {
        Plants::default()
    }

    /// Whether any effect is planted.
    pub fn any(&self) -> bool {
        self.worse_group
            || self.underexposed_provider
            || self.narrow_group
            || self.narrowing_over_time
            || self.segregated_group
    }
}

#[cfg(test)]
#[path = "plants_tests.rs"]
mod tests;
