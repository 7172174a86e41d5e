//! recaudit: audit the outputs of recommender systems for bias, unfair exposure and filter bubbles.
//!
//! Data flows one way: [`input`] reads and encodes the tables into a [`data::Dataset`]; the
//! [`metrics`] kernels turn it into per-user values and corpus values; [`slices`] groups users;
//! [`stats`] attaches intervals and disparities; [`audit`] assembles an [`result::AuditResult`],
//! which [`report`] renders and [`gate`] judges. Labels from the data are written out through
//! [`text::visible`], which shows control, bidi and invisible characters as escapes.
#![warn(missing_docs)]

pub mod audit;
pub mod cli;
pub mod data;
pub mod error;
pub mod gate;
pub mod generate;
pub mod input;
pub mod metrics;
pub mod report;
pub mod result;
pub mod slices;
pub mod stats;
pub mod text;
