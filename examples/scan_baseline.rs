//! The baseline of `bench/run.sh`: the time polars alone needs to scan a dataset's Parquet (or CSV)
//! tables fully into memory, every column. The audit's wall time is reported as a multiple of it.
//!
//! Usage: `cargo run --release --example scan_baseline -- DIR`

use std::path::PathBuf;
use std::time::Instant;

use polars::prelude::*;

fn main() -> anyhow::Result<()> {
    let dir = PathBuf::from(std::env::args().nth(1).expect("usage: scan_baseline DIR"));
    let start = Instant::now();
    let mut rows = 0usize;
    for name in ["recs", "users", "items", "truth", "history"] {
        for ext in ["parquet", "csv"] {
            let path = dir.join(format!("{name}.{ext}"));
            if !path.exists() {
                continue;
            }
            let p = PlRefPath::new(path.to_string_lossy().as_ref());
            let lf = if ext == "parquet" {
                LazyFrame::scan_parquet(p, ScanArgsParquet::default())?
            } else {
                LazyCsvReader::new(p).with_has_header(true).finish()?
            };
            rows += lf.collect()?.height();
            break;
        }
    }
    println!("{:.3} {rows}", start.elapsed().as_secs_f64());
    Ok(())
}
