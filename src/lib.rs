//! recaudit: audit the outputs of recommender systems for bias, unfair exposure and filter bubbles.
//!
//! Data flows one way: [`input`] reads and encodes the tables into a [`data::Dataset`]; the
//! [`metrics`] turn it into per-user values and corpus values, each metric defined once in the
//! [`metrics::registry`]; [`slices`] groups users and decides what may be published; [`stats`]
//! attaches intervals and disparities; [`audit`] runs these steps under the [`settings`] and
//! assembles an [`result::AuditResult`], which [`report`] renders and [`gate`] judges. Numbers are
//! written for people by [`format`](mod@format); labels from the data through [`text::visible`], which shows
//! control, bidi and invisible characters as escapes.
#![warn(missing_docs)]

pub mod allocator;
pub mod audit;
pub mod cli;
pub mod data;
pub mod error;
pub mod format;
pub mod gate;
pub mod generate;
pub mod input;
pub mod metrics;
pub mod partial;
pub mod privacy;
pub mod provenance;
pub mod report;
pub mod result;
pub mod settings;
pub mod slices;
pub mod stats;
pub mod tables;
pub mod text;
