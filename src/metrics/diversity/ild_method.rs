//! Which intra-list diversity a dataset gets: [`IldMethod::choose`] is the one place that picks the
//! item distance (cosine of feature vectors or Jaccard of category sets, [`ild`](super::ild)) and,
//! for Jaccard, the speed path that computes it ([`ild_fast`](super::ild_fast)).

use crate::data::Dataset;
use crate::metrics::categories::{has_categories, ItemCategories};
use crate::metrics::diversity::ild::ild_cosine;
use crate::metrics::diversity::ild_fast::ild_jaccard_fast;

/// Which item distance intra-list diversity uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum IldDistance {
    /// Cosine distance when the items table has feature vectors, else category Jaccard distance.
    #[default]
    Auto,
    /// 1 − Jaccard similarity of the category sets.
    Jaccard,
    /// 1 − cosine similarity of the feature vectors.
    Cosine,
}

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
    /// The ILD of `ds` for the distance `distance`:
    /// - `Auto`: cosine when the items table has feature vectors, else Jaccard when it has a
    ///   category column;
    /// - `Cosine`: cosine when there are feature vectors;
    /// - `Jaccard`: Jaccard when there is a category column.
    ///
    /// `None` (no `ild` metric) when the dataset lacks what the distance needs.
    pub fn choose(ds: &'a Dataset, distance: IldDistance) -> Option<Self> {
        let features = ds.items.features.as_deref();
        let cosine = match distance {
            IldDistance::Auto => features.is_some(),
            IldDistance::Jaccard => false,
            IldDistance::Cosine => true,
        };
        if cosine {
            features.map(IldMethod::Cosine)
        } else {
            has_categories(ds)
                .then(|| IldMethod::Jaccard(ItemCategories::new(&ds.items.categories)))
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
            items,
            ..Dataset::default()
        }
    }

    #[test]
    fn distance_follows_the_setting_and_the_data() {
        let f = Some(vec![vec![1.0], vec![1.0]]);
        let pick = |ds: &Dataset, d| match IldMethod::choose(ds, d) {
            Some(IldMethod::Cosine(_)) => "cosine",
            Some(IldMethod::Jaccard(_)) => "jaccard",
            None => "none",
        };
        let both = dataset(f.clone(), true);
        assert_eq!(pick(&both, IldDistance::Auto), "cosine");
        assert_eq!(pick(&both, IldDistance::Jaccard), "jaccard");
        assert_eq!(pick(&both, IldDistance::Cosine), "cosine");
        let cats = dataset(None, true);
        assert_eq!(pick(&cats, IldDistance::Auto), "jaccard");
        assert_eq!(pick(&cats, IldDistance::Cosine), "none");
        let features = dataset(f, false);
        assert_eq!(pick(&features, IldDistance::Jaccard), "none");
        assert_eq!(pick(&dataset(None, false), IldDistance::Auto), "none");
    }
}
