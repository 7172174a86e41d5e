//! CSV encoding: rows formatted by hand into byte buffers (ids zero-padded, scores with four
//! decimals), one buffer per table and block.

use super::catalog::PROVIDERS;
use super::users::{
    BlockRows, Generator, AGE_BANDS, COUNTRY_TIERS, GENDERS, REGIONS, TENURE_BANDS,
};

impl Generator<'_> {
    pub(super) fn users_csv(&self, rows: &BlockRows) -> Vec<u8> {
        let mut buf = Vec::with_capacity(rows.users.len() * 48);
        for &(u, d) in &rows.users {
            push_id(&mut buf, b'u', u as u64 + 1, self.user_width);
            for value in [
                GENDERS[d.gender as usize],
                AGE_BANDS[d.age as usize],
                REGIONS[d.region as usize],
                COUNTRY_TIERS[d.tier as usize],
                TENURE_BANDS[d.tenure as usize],
                if d.consent { "true" } else { "false" },
            ] {
                buf.push(b',');
                buf.extend_from_slice(value.as_bytes());
            }
            buf.push(b'\n');
        }
        buf
    }

    pub(super) fn recs_csv(&self, rows: &BlockRows) -> Vec<u8> {
        let snapshots = self.cfg.n_snapshots > 1;
        let mut buf = Vec::with_capacity(rows.recs.len() * 32);
        for r in &rows.recs {
            push_id(&mut buf, b'u', r.user as u64 + 1, self.user_width);
            buf.push(b',');
            push_id(&mut buf, b'i', r.item as u64 + 1, self.item_width);
            buf.push(b',');
            push_uint(&mut buf, r.rank as u64);
            buf.push(b',');
            push_score(&mut buf, r.score_e4);
            if snapshots {
                buf.push(b',');
                push_uint(&mut buf, r.snapshot as u64);
            }
            buf.push(b'\n');
        }
        buf
    }

    pub(super) fn truth_csv(&self, rows: &BlockRows) -> Vec<u8> {
        let mut buf = Vec::with_capacity(rows.truth.len() * 20);
        for &(u, item, rel) in &rows.truth {
            push_id(&mut buf, b'u', u as u64 + 1, self.user_width);
            buf.push(b',');
            push_id(&mut buf, b'i', item as u64 + 1, self.item_width);
            buf.push(b',');
            push_uint(&mut buf, rel as u64);
            buf.push(b'\n');
        }
        buf
    }

    pub(super) fn history_csv(&self, rows: &BlockRows) -> Vec<u8> {
        let mut buf = Vec::with_capacity(rows.history.len() * 30);
        for &(u, item, ts) in &rows.history {
            push_id(&mut buf, b'u', u as u64 + 1, self.user_width);
            buf.push(b',');
            push_id(&mut buf, b'i', item as u64 + 1, self.item_width);
            buf.push(b',');
            push_uint(&mut buf, ts);
            buf.push(b'\n');
        }
        buf
    }

    // -- Parquet encoding --------------------------------------------------------------------

    /// The items table; `popularity` is the number of history users of each item.
    pub(super) fn items_csv(&self, popularity: &[u64]) -> Vec<u8> {
        let cat = &self.catalog;
        let mut buf = Vec::with_capacity(cat.n_items * 40);
        for (i, &pop) in popularity.iter().enumerate() {
            push_id(&mut buf, b'i', i as u64 + 1, self.item_width);
            buf.push(b',');
            buf.extend_from_slice(cat.category_label(i as u32).as_bytes());
            buf.push(b',');
            buf.extend_from_slice(PROVIDERS[cat.provider[i] as usize].as_bytes());
            buf.push(b',');
            push_uint(&mut buf, pop);
            buf.push(b'\n');
        }
        buf
    }
}

/// Decimal digits of `n`.
pub(super) fn digits(mut n: u64) -> usize {
    let mut d = 1;
    while n >= 10 {
        n /= 10;
        d += 1;
    }
    d
}

/// Appends `v` in decimal.
pub(super) fn push_uint(buf: &mut Vec<u8>, v: u64) {
    let mut tmp = [0u8; 20];
    let mut i = tmp.len();
    let mut v = v;
    loop {
        i -= 1;
        tmp[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    buf.extend_from_slice(&tmp[i..]);
}

/// Appends an id: `prefix` and `n` zero-padded to `width` digits.
pub(super) fn push_id(buf: &mut Vec<u8>, prefix: u8, n: u64, width: usize) {
    buf.push(prefix);
    for _ in digits(n)..width {
        buf.push(b'0');
    }
    push_uint(buf, n);
}

/// `e4 / 10^4` with exactly four decimals.
fn push_score(buf: &mut Vec<u8>, e4: u32) {
    push_uint(buf, (e4 / 10_000) as u64);
    buf.push(b'.');
    let frac = e4 % 10_000;
    for _ in digits(frac as u64)..4 {
        buf.push(b'0');
    }
    push_uint(buf, frac as u64);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formatting_helpers() {
        let mut b = Vec::new();
        push_id(&mut b, b'u', 42, 6);
        b.push(b' ');
        push_id(&mut b, b'i', 1_234_567, 5);
        b.push(b' ');
        push_score(&mut b, 8_123);
        b.push(b' ');
        push_score(&mut b, 10_005);
        b.push(b' ');
        push_uint(&mut b, 0);
        assert_eq!(
            String::from_utf8(b).unwrap(),
            "u000042 i1234567 0.8123 1.0005 0"
        );
        assert_eq!(digits(0), 1);
        assert_eq!(digits(999_999), 6);
        assert_eq!(digits(1_000_000), 7);
    }
}
