//! Parquet encoding: the rows of a block as polars data frames (ids as strings, as in the CSV).

use anyhow::Result;
use polars::prelude::{Column, DataFrame, IntoColumn, StringChunkedBuilder};

use super::catalog::PROVIDERS;
use super::csv::push_id;
use super::users::{
    BlockRows, Demo, Generator, AGE_BANDS, COUNTRY_TIERS, GENDERS, REGIONS, TENURE_BANDS,
};

impl Generator<'_> {
    /// A string column of ids: `prefix` and the 1-based id, zero-padded to the id width.
    fn id_column(&self, name: &str, prefix: u8, ids: impl ExactSizeIterator<Item = u32>) -> Column {
        let width = if prefix == b'u' {
            self.user_width
        } else {
            self.item_width
        };
        let mut builder = StringChunkedBuilder::new(name.into(), ids.len());
        let mut buf = Vec::with_capacity(16);
        for id in ids {
            buf.clear();
            push_id(&mut buf, prefix, id as u64 + 1, width);
            builder.append_value(std::str::from_utf8(&buf).expect("ids are ASCII"));
        }
        builder.finish().into_column()
    }

    pub(super) fn users_frame(&self, rows: &BlockRows) -> Result<DataFrame> {
        let n = rows.users.len();
        let text = |name: &str, values: &[&str], f: fn(&Demo) -> u8| -> Column {
            let mut b = StringChunkedBuilder::new(name.into(), n);
            for (_, d) in &rows.users {
                b.append_value(values[f(d) as usize]);
            }
            b.finish().into_column()
        };
        let columns = vec![
            self.id_column("user_id", b'u', rows.users.iter().map(|r| r.0)),
            text("gender", &GENDERS, |d| d.gender),
            text("age_band", &AGE_BANDS, |d| d.age),
            text("region", &REGIONS, |d| d.region),
            text("country_tier", &COUNTRY_TIERS, |d| d.tier),
            text("tenure_band", &TENURE_BANDS, |d| d.tenure),
            Column::new(
                "consent".into(),
                rows.users
                    .iter()
                    .map(|r| r.1.consent)
                    .collect::<Vec<bool>>(),
            ),
        ];
        Ok(DataFrame::new(n, columns)?)
    }

    pub(super) fn recs_frame(&self, rows: &BlockRows) -> Result<DataFrame> {
        let r = &rows.recs;
        let mut columns = vec![
            self.id_column("user_id", b'u', r.iter().map(|x| x.user)),
            self.id_column("item_id", b'i', r.iter().map(|x| x.item)),
            Column::new(
                "rank".into(),
                r.iter().map(|x| x.rank as i32).collect::<Vec<i32>>(),
            ),
            Column::new(
                "score".into(),
                r.iter()
                    .map(|x| x.score_e4 as f64 / 1e4)
                    .collect::<Vec<f64>>(),
            ),
        ];
        if self.cfg.n_snapshots > 1 {
            columns.push(Column::new(
                "snapshot".into(),
                r.iter().map(|x| x.snapshot as i32).collect::<Vec<i32>>(),
            ));
        }
        Ok(DataFrame::new(r.len(), columns)?)
    }

    pub(super) fn truth_frame(&self, rows: &BlockRows) -> Result<DataFrame> {
        let t = &rows.truth;
        let columns = vec![
            self.id_column("user_id", b'u', t.iter().map(|x| x.0)),
            self.id_column("item_id", b'i', t.iter().map(|x| x.1)),
            Column::new(
                "relevance".into(),
                t.iter().map(|x| x.2 as i32).collect::<Vec<i32>>(),
            ),
        ];
        Ok(DataFrame::new(t.len(), columns)?)
    }

    pub(super) fn history_frame(&self, rows: &BlockRows) -> Result<DataFrame> {
        let h = &rows.history;
        let columns = vec![
            self.id_column("user_id", b'u', h.iter().map(|x| x.0)),
            self.id_column("item_id", b'i', h.iter().map(|x| x.1)),
            Column::new(
                "timestamp".into(),
                h.iter().map(|x| x.2 as i64).collect::<Vec<i64>>(),
            ),
        ];
        Ok(DataFrame::new(h.len(), columns)?)
    }

    /// The items table; `popularity` is the number of history users of each item.
    pub(super) fn items_frame(&self, popularity: &[u64]) -> Result<DataFrame> {
        let cat = &self.catalog;
        let n = cat.n_items;
        let mut cats = StringChunkedBuilder::new("category".into(), n);
        let mut providers = StringChunkedBuilder::new("provider".into(), n);
        for i in 0..n {
            cats.append_value(cat.category_label(i as u32));
            providers.append_value(PROVIDERS[cat.provider[i] as usize]);
        }
        let columns = vec![
            self.id_column("item_id", b'i', 0..n as u32),
            cats.finish().into_column(),
            providers.finish().into_column(),
            Column::new(
                "popularity".into(),
                popularity.iter().map(|&p| p as i64).collect::<Vec<i64>>(),
            ),
        ];
        Ok(DataFrame::new(n, columns)?)
    }
}
