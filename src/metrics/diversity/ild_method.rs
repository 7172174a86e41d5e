//! Which intra-list diversity a dataset gets: [`IldMethod::choose`] is the one place that picks the
//! item distance from the data (cosine of feature vectors or Jaccard of category sets, [`ild`](super::ild)) and,
//! for Jaccard, the speed path that computes it ([`ild_fast`](super::ild_fast)).

use crate::data::Dataset;
use crate::metrics::categories::{has_categories, ItemCategories};
use crate::metrics::diversity::ild::ild_cosine;
use crate::metrics::diversity::ild_fast::ild_jaccard_fast;

/// How the `ild` of each list of a dataset is computed.
#[derive(Debug, Clone)]
pub enum IldMethod<'a> {
    /// [`ild_cosine`] over the items' feature vectors.
    Cosine(&'a [Vec<f64>]),
    /// [`ild_jaccard`](crate::metrics::diversity::ild::ild_jaccard) over the items' category sets, computed by
    /// [`ild_jaccard_fast`].
    Jaccard(ItemCategories<'a>),
}

impl<'a> IldMethod<'a> {
    /// The ILD of `ds`: cosine when the items table has feature vectors, else Jaccard when it has
    /// a category column; `None` (no `ild` metric) when it has neither.
    pub fn choose(ds: &'a Dataset) -> Option<Self> {
        match ds.items.features.as_deref() {
            Some(features) => Some(IldMethod::Cosine(features)),
            None => has_categories(ds)
                .then(|| IldMethod::Jaccard(ItemCategories::new(&ds.items.categories))),
        }
    }

    /// The intra-list diversity of `list`.
    #[inline]
    pub fn ild(&self, list: &[u32]) -> f64 {
        match self {
            IldMethod::Cosine(features) => ild_cosine(list, features),
            IldMethod::Jaccard(categories) => ild_jaccard_fast(list, categories),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{Csr, Items};

    fn dataset(features: Option<Vec<Vec<f64>>>, categories: bool) -> Dataset {
        let items = Items {
            ids: vec!["a".into(), "b".into()],
            category_labels: if categories { vec!["x".into()] } else { vec![] },
            categories: if categories {
                Csr::from_rows(vec![vec![0], vec![0]])
            } else {
                Csr::default()
            },
            features,
            ..Items::default()
        };
        Dataset {
            truth_propensity: None,
            items,
            ..Dataset::default()
        }
    }

    #[test]
    fn distance_follows_the_data() {
        let f = Some(vec![vec![1.0], vec![1.0]]);
        let pick = |ds: &Dataset| match IldMethod::choose(ds) {
            Some(IldMethod::Cosine(_)) => "cosine",
            Some(IldMethod::Jaccard(_)) => "jaccard",
            None => "none",
        };
        let both = dataset(f.clone(), true);
        assert_eq!(pick(&both), "cosine");
        let cats = dataset(None, true);
        assert_eq!(pick(&cats), "jaccard");
        let features = dataset(f, false);
        assert_eq!(pick(&features), "cosine");
        assert_eq!(pick(&dataset(None, false)), "none");
    }
}
