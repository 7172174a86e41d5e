//! CSV input tables: the first byte picks the table (recs, users, items, truth, history), the rest
//! is that file; the other tables are small valid fixtures. `recaudit::input::load` must return Ok
//! or an error naming the fuzzed file.
#![no_main]

use libfuzzer_sys::fuzz_target;
use recaudit_fuzz::{load_tables, Format};

fuzz_target!(|data: &[u8]| load_tables("csv_tables", Format::Csv, data));
