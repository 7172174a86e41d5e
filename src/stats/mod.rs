//! Statistics: bootstrap intervals, significance tests, disparities (being written).
