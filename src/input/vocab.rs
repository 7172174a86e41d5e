//! Dictionary encoding of string ids to dense `u32` ids, done once at load time.

use std::collections::HashMap;

/// A vocabulary: id text ↔ dense index.
#[derive(Debug, Clone, Default)]
pub struct Vocab {
    index: HashMap<String, u32>,
    ids: Vec<String>,
}

impl Vocab {
    /// Empty vocabulary.
    pub fn new() -> Self {
        Self::default()
    }

    /// Dense index of `id`, adding it when new.
    pub fn intern(&mut self, id: &str) -> u32 {
        if let Some(&i) = self.index.get(id) {
            return i;
        }
        let i = self.ids.len() as u32;
        self.index.insert(id.to_string(), i);
        self.ids.push(id.to_string());
        i
    }

    /// Dense index of `id`, `None` when unknown.
    pub fn get(&self, id: &str) -> Option<u32> {
        self.index.get(id).copied()
    }

    /// Number of ids.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Whether the vocabulary is empty.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// The ids in index order.
    pub fn into_ids(self) -> Vec<String> {
        self.ids
    }

    /// The ids in index order.
    pub fn ids(&self) -> &[String] {
        &self.ids
    }
}
