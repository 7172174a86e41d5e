//! The settings file (`--config`): bytes → UTF-8 → the TOML parser the CLI uses → validation; valid
//! settings then load the fixture tables with their column names, k and bands.
#![no_main]

use libfuzzer_sys::fuzz_target;
use recaudit_fuzz::settings;

fuzz_target!(|data: &[u8]| settings(data));
