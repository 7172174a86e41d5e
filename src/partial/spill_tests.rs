//! The k-way merge of sorted runs on hand-made runs, in memory and on disk, against
//! [`RankedRun::merge`]; damaged run files refused.

use super::*;
use crate::partial::map_ranked;

/// One metric's run of one slice column from (value, key, code) entries in any order.
fn ranked(entries: &[(f64, u64, u32)]) -> PartialRanked {
    let values: Vec<f64> = entries.iter().map(|e| e.0).collect();
    let keys: Vec<u64> = entries.iter().map(|e| e.1).collect();
    let codes: Vec<u32> = entries.iter().map(|e| e.2).collect();
    map_ranked(&keys, &[&codes], &[&values])
}

/// Every entry a source visits for metric j.
fn visited(source: &dyn RankedSource, j: usize) -> io::Result<Vec<(f64, u64, Vec<u32>)>> {
    let mut out = Vec::new();
    source.visit(j, &mut |x, k, c| out.push((x, k, c.to_vec())))?;
    Ok(out)
}

/// The entries of a run, as [`visited`] gives them.
fn entries(run: &RankedRun) -> Vec<(f64, u64, Vec<u32>)> {
    (0..run.len())
        .map(|i| {
            let c = run.columns;
            (
                run.values[i],
                run.keys[i],
                run.codes[i * c..(i + 1) * c].to_vec(),
            )
        })
        .collect()
}

/// The partitions' runs on disk, in order.
fn spilled(parts: &[PartialRanked]) -> SpilledRuns {
    let mut runs = SpilledRuns::new().unwrap();
    for p in parts {
        runs.push(p).unwrap();
    }
    runs
}

/// The runs folded with [`RankedRun::merge`] from the left, the order of `audit_folder` before
/// the runs went to disk.
fn folded(parts: &[PartialRanked]) -> PartialRanked {
    parts.iter().cloned().reduce(PartialRanked::merge).unwrap()
}

#[test]
fn the_k_way_merge_orders_as_the_merge_of_two_runs() {
    let parts = [
        // Ties of values across runs (0.5 in all three, ordered by key), -0.0 before 0.0
        // (`total_cmp`), an infinite value.
        ranked(&[
            (0.5, 9, 0),
            (0.0, 4, 1),
            (-0.0, 7, 2),
            (f64::INFINITY, 1, 0),
        ]),
        ranked(&[]),
        ranked(&[(0.5, 3, 1), (0.25, 8, 2), (0.5, 12, 0)]),
        ranked(&[(0.5, 5, 2), (-1.0, 2, 1)]),
        ranked(&[]),
    ];
    let want = folded(&parts);
    assert_eq!(
        want.runs[0].keys,
        [2, 7, 4, 8, 3, 5, 9, 12, 1],
        "the fold's order"
    );
    let on_disk = spilled(&parts);
    assert_eq!(on_disk.partitions(), 5);
    assert_eq!(on_disk.len(0), 9);
    assert_eq!(on_disk.columns(), 1);
    assert_eq!(on_disk.bytes(), 9 * 20);
    assert_eq!(visited(&on_disk, 0).unwrap(), entries(&want.runs[0]));
    // The in-memory merge of the same runs as cursors.
    let mut cursors: Vec<MemoryCursor> = parts
        .iter()
        .map(|p| MemoryCursor::new(&p.runs[0]))
        .collect();
    let mut merged = Vec::new();
    visit_merged(&mut cursors, &mut |x, k, c| merged.push((x, k, c.to_vec()))).unwrap();
    assert_eq!(merged, entries(&want.runs[0]));
    // The merged run in memory is a source of the same entries.
    assert_eq!(visited(&want, 0).unwrap(), entries(&want.runs[0]));
    // A metric beyond the runs is an error.
    assert!(visited(&on_disk, 1).is_err());
    assert!(visited(&want, 1).is_err());
}

#[test]
fn equal_values_and_keys_come_from_the_earlier_run_first() {
    // The same (value, key) in two runs (two users with one 64-bit key): the fold takes its left
    // run first, and so does the k-way merge (ties broken by run index).
    let parts = [
        ranked(&[(1.0, 5, 0), (2.0, 6, 0)]),
        ranked(&[(1.0, 5, 1), (0.5, 6, 1)]),
        ranked(&[(1.0, 5, 2)]),
    ];
    let want = folded(&parts);
    assert_eq!(want.runs[0].codes, [1, 0, 1, 2, 0]);
    assert_eq!(
        visited(&spilled(&parts), 0).unwrap(),
        entries(&want.runs[0])
    );
}

#[test]
fn one_run_empty_runs_and_no_runs() {
    let one = [ranked(&[(3.0, 1, 0), (1.0, 2, 1), (2.0, 3, 0)])];
    let on_disk = spilled(&one);
    assert_eq!(visited(&on_disk, 0).unwrap(), entries(&one[0].runs[0]));
    let empty = [ranked(&[]), ranked(&[])];
    let on_disk = spilled(&empty);
    assert_eq!(on_disk.len(0), 0);
    assert!(visited(&on_disk, 0).unwrap().is_empty());
    // No partition pushed: no metric.
    let none = SpilledRuns::new().unwrap();
    assert_eq!((none.metrics(), none.len(0)), (0, 0));
    assert!(visited(&none, 0).is_err());
}

#[test]
fn several_metrics_and_columns_and_small_buffers() {
    // Two metrics, three columns, entries of 28 bytes read through buffers smaller than two
    // records (the reader refills with a partial record left).
    let keys: Vec<u64> = (0..50).map(|i| (i * 7919) % 101).collect();
    let codes: Vec<Vec<u32>> = (0..3)
        .map(|c| (0..50).map(|i| (i * (c + 2)) % 5).collect())
        .collect();
    let codes: Vec<&[u32]> = codes.iter().map(Vec::as_slice).collect();
    let a: Vec<f64> = (0..50).map(|i| ((i * 13) % 7) as f64 / 4.0).collect();
    let b: Vec<f64> = (0..50)
        .map(|i| if i % 3 == 0 { f64::NAN } else { -(i as f64) })
        .collect();
    let parts: Vec<PartialRanked> = [0..20, 20..21, 21..50]
        .into_iter()
        .map(|r| {
            let cs: Vec<&[u32]> = codes.iter().map(|c| &c[r.clone()]).collect();
            map_ranked(&keys[r.clone()], &cs, &[&a[r.clone()], &b[r.clone()]])
        })
        .collect();
    let want = folded(&parts);
    let on_disk = spilled(&parts);
    assert_eq!(on_disk.metrics(), 2);
    for j in 0..2 {
        assert_eq!(visited(&on_disk, j).unwrap(), entries(&want.runs[j]));
        assert_eq!(on_disk.len(j), want.runs[j].len());
    }
    for buffer in [1, 29, 30, 57] {
        let mut cursors: Vec<FileCursor> = on_disk
            .sections
            .iter()
            .map(|s| FileCursor::open(&on_disk.file, s[0].clone(), 3, buffer).unwrap())
            .collect();
        let mut got = Vec::new();
        visit_merged(&mut cursors, &mut |x, k, c| got.push((x, k, c.to_vec()))).unwrap();
        assert_eq!(got, entries(&want.runs[0]), "buffer {buffer}");
    }
    // A partition with other metrics or columns is refused.
    let mut runs = spilled(&parts);
    assert!(runs.push(&ranked(&[(1.0, 1, 0)])).is_err());
}

#[test]
fn damaged_run_files_are_errors() {
    let parts = [
        ranked(&[(0.5, 9, 0), (0.0, 4, 1), (0.25, 7, 2)]),
        ranked(&[(0.5, 3, 1), (0.75, 8, 2)]),
    ];
    // Truncated: the second partition's run ends inside a record, then before its section.
    let on_disk = spilled(&parts);
    on_disk.spill_file().file().set_len(5 * 20 - 3).unwrap();
    let e = visited(&on_disk, 0).unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::UnexpectedEof, "{e}");
    on_disk.spill_file().file().set_len(3 * 20 + 10).unwrap();
    assert!(visited(&on_disk, 0).is_err());
    on_disk.spill_file().file().set_len(2 * 20).unwrap();
    assert!(visited(&on_disk, 0).is_err());
    // Out of order, and a NaN value: written as given, refused when read.
    let disorder = PartialRanked {
        runs: vec![RankedRun {
            columns: 1,
            values: vec![0.5, 0.25],
            keys: vec![1, 2],
            codes: vec![0, 0],
        }],
    };
    let e = visited(&spilled(&[disorder]), 0).unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::InvalidData, "{e}");
    let same_value = PartialRanked {
        runs: vec![RankedRun {
            columns: 1,
            values: vec![0.5, 0.5],
            keys: vec![2, 1],
            codes: vec![0, 0],
        }],
    };
    assert!(visited(&spilled(&[same_value]), 0).is_err());
    let nan = PartialRanked {
        runs: vec![RankedRun {
            columns: 1,
            values: vec![f64::NAN],
            keys: vec![1],
            codes: vec![0],
        }],
    };
    assert!(visited(&spilled(&[nan]), 0).is_err());
}

#[test]
fn keys_merge_with_their_partition_and_descending_keys_are_errors() {
    let mut file = SpillFile::new().unwrap();
    let mut sections = Vec::new();
    for keys in [&[1u64, 4, 9][..], &[], &[2, 4], &[0, 10]] {
        sections.push(
            file.append(|w| keys.iter().try_for_each(|k| w.write_all(&k.to_le_bytes())))
                .unwrap(),
        );
    }
    let mut cursors: Vec<KeyCursor> = sections
        .iter()
        .map(|s| KeyCursor::open(&file, s.clone(), 8).unwrap())
        .collect();
    let mut got = Vec::new();
    merge(&mut cursors, |c, run| {
        got.push((c.head().unwrap(), run));
        Ok(())
    })
    .unwrap();
    assert_eq!(
        got,
        [(0, 3), (1, 0), (2, 2), (4, 0), (4, 2), (9, 0), (10, 3)]
    );
    let bad = file
        .append(|w| {
            [3u64, 2]
                .iter()
                .try_for_each(|k| w.write_all(&k.to_le_bytes()))
        })
        .unwrap();
    let mut cursors = vec![KeyCursor::open(&file, bad, 8).unwrap()];
    assert!(merge(&mut cursors, |_, _| Ok(())).is_err());
}

#[test]
fn reader_buffers_shrink_with_many_runs() {
    assert_eq!(reader_buffer(1), 64 * 1024);
    assert_eq!(reader_buffer(1024), 64 * 1024);
    assert_eq!(reader_buffer(4096), 16 * 1024);
    assert_eq!(reader_buffer(1_000_000), 4 * 1024);
}
