//! A whole audit with one CSV table fuzzed (recs, users, items, truth, history or the baseline
//! run's recs): the first byte picks the table and the settings, the rest is that file; the other
//! tables are small valid fixtures. `recaudit::audit::audit` must return Ok or an error, never
//! panic, and its result must serialise.
#![no_main]

use libfuzzer_sys::fuzz_target;
use recaudit_fuzz::audit_tables;

fuzz_target!(|data: &[u8]| audit_tables(data));
