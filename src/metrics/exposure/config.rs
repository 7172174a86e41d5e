//! Settings of the exposure family.

use crate::metrics::PositionWeight;

/// Settings of the exposure family.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ExposureConfig {
    /// Position weight of exposure shares, the exposure Gini, expected exposure (default `log`).
    pub weight: PositionWeight,
}

impl Default for ExposureConfig {
    fn default() -> Self {
        ExposureConfig {
            weight: PositionWeight::Log,
        }
    }
}
