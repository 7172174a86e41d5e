//! Ordered labels of a text column read over several chunks: the snapshot and sample columns of
//! the recommendations, and text timestamps of the history.

use super::table::InputTable;
use super::vocab::Vocab;
use crate::error::Result;

/// Ordered labels of a column read over several chunks (snapshot, sample, text timestamps).
#[derive(Default)]
pub(super) struct LabelColumn {
    vocab: Vocab,
    codes: Vec<u32>,
}

impl LabelColumn {
    /// Adds the labels of column `name` of the chunk `t` (every row needs one).
    pub(super) fn push_chunk(&mut self, t: &InputTable, name: &str) -> Result<()> {
        for v in t.strings(name, true)?.iter() {
            self.codes.push(self.vocab.intern(v.unwrap()));
        }
        Ok(())
    }

    /// Labels in order (numeric order when every label is a number, else text order), with the
    /// codes remapped to that order.
    pub(super) fn finish(self) -> (Vec<u32>, Vec<String>) {
        let ids = self.vocab.into_ids();
        let mut order: Vec<usize> = (0..ids.len()).collect();
        let numeric: Option<Vec<f64>> = ids.iter().map(|v| v.trim().parse::<f64>().ok()).collect();
        match numeric {
            Some(num) => order.sort_by(|&a, &b| num[a].total_cmp(&num[b])),
            None => order.sort_by(|&a, &b| ids[a].cmp(&ids[b])),
        }
        let mut rank = vec![0u32; ids.len()];
        for (r, &i) in order.iter().enumerate() {
            rank[i] = r as u32;
        }
        let codes = self.codes.into_iter().map(|c| rank[c as usize]).collect();
        (codes, order.into_iter().map(|i| ids[i].clone()).collect())
    }
}
