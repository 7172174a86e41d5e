//! End-to-end tests: they run the `recaudit` binary on files and check its exit code, messages
//! and the numbers in its JSON.

mod audit_json;
mod baseline_lists;
mod conformance;
mod differential_privacy;
mod docs;
mod errors;
mod example;
mod fuzz_regressions;
mod gate;
mod generate;
mod hostile_input;
mod hostile_labels;
mod hostile_settings;
mod partitioned;
mod planted;
mod privacy;
mod report;
mod row_order;
mod subgroups;
mod unbiased;
mod util;
