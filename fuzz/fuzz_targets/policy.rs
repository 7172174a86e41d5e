//! The policy file (`--policy`): bytes → UTF-8 → `Policy::parse`; a valid policy is then checked
//! against and evaluated on an audit of the fixture tables (with itself as the baseline).
#![no_main]

use libfuzzer_sys::fuzz_target;
use recaudit_fuzz::policy;

fuzz_target!(|data: &[u8]| policy(data));
