//! Typed access to the columns of an [`InputTable`]: text, ids, numbers and booleans, each with
//! errors that name the file, column and row; and [`finite`], the one check that a number read
//! from a file is finite.

use polars::prelude::*;

use super::table::{read_error, InputTable};
use crate::error::{shown, Error, Result};

impl InputTable {
    fn series(&self, name: &str) -> Result<&Series> {
        self.frame
            .column(name)
            .map(|c| c.as_materialized_series())
            .map_err(|_| Error::MissingColumn {
                path: self.path.clone(),
                table: self.table,
                column: name.to_string(),
                purpose: "expected by recaudit".into(),
                available: self
                    .frame
                    .get_column_names()
                    .iter()
                    .map(|c| c.to_string())
                    .collect::<Vec<_>>()
                    .join(", "),
            })
    }

    /// A column as text (numbers are formatted), erroring on an empty value when `required`.
    /// A column of nested values (lists, structs) or of a type without a text form is an error
    /// naming the column.
    pub fn strings(&self, name: &str, required: bool) -> Result<StringChunked> {
        let s = self.series(name)?;
        if s.dtype().is_nested() {
            return Err(self.error(format!(
                "column `{}` holds nested values ({}); expected one plain value (text or a \
                 number) per row",
                shown(name),
                s.dtype()
            )));
        }
        let s = s.cast(&DataType::String).map_err(|_| {
            if let Some(e) = self.first_non_utf8(name, s) {
                return e;
            }
            self.error(format!(
                "column `{}` has the type {}, which recaudit cannot read as text; expected text \
                 or numbers",
                shown(name),
                s.dtype()
            ))
        })?;
        let ca = s.str().expect("cast to String").clone();
        if required && ca.null_count() > 0 {
            let row = ca.iter().position(|v| v.is_none()).unwrap_or(0);
            return Err(self.row_error(name, row, "empty value; every row needs one".into()));
        }
        Ok(ca)
    }

    /// The error naming the first value of the binary column `s` (column `name`) that is not
    /// UTF-8 text, the reason its cast to text failed; `None` for any other column.
    fn first_non_utf8(&self, name: &str, s: &Series) -> Option<Error> {
        let (row, bytes, e) = s.binary().ok()?.iter().enumerate().find_map(|(row, v)| {
            let v = v?;
            std::str::from_utf8(v).err().map(|e| (row, v, e))
        })?;
        Some(self.row_error(
            name,
            row,
            format!(
                "the value is not UTF-8 text (byte 0x{:02X} at its byte {}); the column holds \
                 binary values, which recaudit reads only when they are UTF-8 text",
                bytes[e.valid_up_to()],
                e.valid_up_to() + 1
            ),
        ))
    }

    /// An id column as text: [`strings`](Self::strings) with every value required, and an error
    /// for a column of decimal numbers (docs/inputs.md: ids are strings or integers; `7.0` would never
    /// match the `7` of another table).
    pub fn ids(&self, name: &str) -> Result<StringChunked> {
        let dtype = self.series(name)?.dtype();
        if dtype.is_float() {
            return Err(self.error(format!(
                "column `{}` holds decimal numbers ({dtype}); ids must be text or integers (`7.0` \
                 would not match the `7` of another table): store them as integers or text",
                shown(name)
            )));
        }
        self.strings(name, true)
    }

    /// Whether column `name` exists and has a numeric type (integers or floats; not booleans,
    /// which are read as text where they are accepted, as consent is).
    pub fn is_numeric(&self, name: &str) -> bool {
        self.series(name)
            .is_ok_and(|s| s.dtype().is_primitive_numeric())
    }

    /// Errors when column `name` has a type that does not hold numbers although it reads as
    /// some (a boolean would be 1 or 0, a date a count of days): booleans, dates, times and
    /// durations. The error names the column, its type and `expected` ("numbers",
    /// "integers ≥ 1"). Text is left to [`numbers`](Self::numbers), which parses it.
    pub fn check_number_type(&self, name: &str, expected: &str) -> Result<()> {
        let dtype = self.series(name)?.dtype();
        let type_name = match dtype {
            DataType::Boolean => "boolean".to_string(),
            d if d.is_temporal() => d.to_string(),
            _ => return Ok(()),
        };
        Err(self.error(format!(
            "column `{}` has the type {type_name}; expected {expected}",
            shown(name)
        )))
    }

    /// A column of a numeric type as `f64`, without copying it into a `Vec`; `None` when the
    /// column holds text (then use [`numbers`](Self::numbers), which parses it). A column of
    /// another type that does not hold numbers is an error ([`check_number_type`](Self::check_number_type)).
    pub fn numeric(&self, name: &str) -> Result<Option<Float64Chunked>> {
        if !self.is_numeric(name) {
            self.check_number_type(name, "numbers")?;
            return Ok(None);
        }
        let f = self
            .series(name)?
            .cast(&DataType::Float64)
            .map_err(|e| read_error(&self.path, self.table, e))?;
        Ok(Some(f.f64().expect("cast to f64").clone()))
    }

    /// Whether `keep(value)` holds for every value of a column of 32- or 64-bit numbers without
    /// empty values, read in place, each as the `f64` that [`numeric`](Self::numeric) gives
    /// (`x as f64`); stops at the first `false`. `None` for any other column (text, other types,
    /// empty values): use [`numeric`](Self::numeric) or [`numbers`](Self::numbers). Unlike them
    /// it copies nothing (a cast of the history's 20M timestamps at 10M rows is a 160 MB
    /// column).
    pub fn all_numbers(
        &self,
        name: &str,
        mut keep: impl FnMut(f64) -> bool,
    ) -> Result<Option<bool>> {
        let s = self.series(name)?;
        if s.null_count() > 0 {
            return Ok(None);
        }
        fn all<T: NumericNative>(
            ca: &ChunkedArray<T::PolarsType>,
            mut keep: impl FnMut(T) -> bool,
        ) -> bool
        where
            T::PolarsType: PolarsNumericType<Native = T>,
        {
            ca.downcast_iter()
                .all(|a| a.values().iter().all(|&x| keep(x)))
        }
        let all = match s.dtype() {
            DataType::Float64 => all(s.f64().expect("f64"), keep),
            DataType::Float32 => all(s.f32().expect("f32"), |x: f32| keep(f64::from(x))),
            DataType::Int64 => all(s.i64().expect("i64"), |x: i64| keep(x as f64)),
            DataType::Int32 => all(s.i32().expect("i32"), |x: i32| keep(f64::from(x))),
            DataType::UInt64 => all(s.u64().expect("u64"), |x: u64| keep(x as f64)),
            DataType::UInt32 => all(s.u32().expect("u32"), |x: u32| keep(f64::from(x))),
            _ => return Ok(None),
        };
        Ok(Some(all))
    }

    /// Calls `each(row, value)` for every row of a numeric column in order (`None`: empty), as
    /// [`numbers`](Self::numbers) would give them, without collecting them first; stops at the
    /// first error, and errors at the first value that is not finite (NaN or infinite).
    pub fn each_number(
        &self,
        name: &str,
        mut each: impl FnMut(usize, Option<f64>) -> Result<()>,
    ) -> Result<()> {
        // In place when the column allows it (32/64-bit numbers, no empty value): the same values
        // (`x as f64`) without a cast copy of the column.
        let (mut row, mut failed) = (0, None);
        let in_place = self.all_numbers(name, |x| {
            let done = self
                .finite_at(name, row, x, None)
                .and_then(|x| each(row, Some(x)));
            match done {
                Ok(()) => {
                    row += 1;
                    true
                }
                Err(e) => {
                    failed = Some(e);
                    false
                }
            }
        })?;
        if let Some(e) = failed {
            return Err(e);
        }
        if in_place.is_some() {
            return Ok(());
        }
        match self.numeric(name)? {
            Some(x) => x.iter().enumerate().try_for_each(|(row, v)| {
                let v = v.map(|x| self.finite_at(name, row, x, None)).transpose()?;
                each(row, v)
            }),
            None => self
                .numbers(name)?
                .into_iter()
                .enumerate()
                .try_for_each(|(row, v)| each(row, v)),
        }
    }

    /// A numeric column, erroring (with the row) on a value that is not a number or not finite
    /// (NaN, infinite, or beyond the range of a 64-bit float such as `1e400`). Empty values are
    /// `None`.
    pub fn numbers(&self, name: &str) -> Result<Vec<Option<f64>>> {
        if let Some(x) = self.numeric(name)? {
            return x
                .iter()
                .enumerate()
                .map(|(row, v)| v.map(|x| self.finite_at(name, row, x, None)).transpose())
                .collect();
        }
        let text = self.strings(name, false)?;
        text.iter()
            .enumerate()
            .map(|(row, v)| match v.map(str::trim) {
                None | Some("") => Ok(None),
                Some(t) => match t.parse::<f64>() {
                    Ok(x) => self.finite_at(name, row, x, Some(t)).map(Some),
                    Err(_) => Err(self.row_error(
                        name,
                        row,
                        format!("`{}` is not a number; expected a number", shown(t)),
                    )),
                },
            })
            .collect()
    }

    /// Whether column `name` holds numbers: it has a numeric type, or every value that is not
    /// empty reads as one (`NaN` and `inf` included: [`numbers`](Self::numbers) reports them).
    pub fn holds_numbers(&self, name: &str) -> Result<bool> {
        if self.is_numeric(name) {
            return Ok(true);
        }
        Ok(self
            .strings(name, false)?
            .iter()
            .flatten()
            .map(str::trim)
            .all(|t| t.is_empty() || t.parse::<f64>().is_ok()))
    }

    /// A boolean column, empty values `None`. Accepted (case-insensitive, spaces around them
    /// ignored): true/false, yes/no, y/n, 1/0, t/f; in Parquet also booleans and the integers
    /// 0 and 1.
    pub fn booleans(&self, name: &str) -> Result<Vec<Option<bool>>> {
        let text = self.strings(name, false)?;
        text.iter()
            .enumerate()
            .map(|(row, v)| {
                let t = v.map(str::trim).unwrap_or_default();
                match t.to_ascii_lowercase().as_str() {
                    "" => Ok(None),
                    "true" | "t" | "yes" | "y" | "1" => Ok(Some(true)),
                    "false" | "f" | "no" | "n" | "0" => Ok(Some(false)),
                    _ => Err(self.row_error(
                        name,
                        row,
                        format!(
                            "`{}` is not a boolean; expected true/false, yes/no, y/n, 1/0 or t/f",
                            shown(t)
                        ),
                    )),
                }
            })
            .collect()
    }

    /// `x`, read from row `row` of column `name` (from the text `text` when the column holds
    /// text), when it is finite; else the error naming the row ([`finite`]).
    fn finite_at(&self, name: &str, row: usize, x: f64, text: Option<&str>) -> Result<f64> {
        finite_or_reason(x, text).map_err(|message| self.row_error(name, row, message))
    }
}

/// `x`, read from a file (from the text `text` when the column holds text), when it is finite;
/// else why it is not accepted as a number: it is NaN, infinite, or too large for a 64-bit float.
pub(super) fn finite_or_reason(x: f64, text: Option<&str>) -> std::result::Result<f64, String> {
    if x.is_finite() {
        return Ok(x);
    }
    let spelled_out = |t: &str| {
        let t = t.trim().trim_start_matches(['+', '-']).to_ascii_lowercase();
        t == "inf" || t == "infinity"
    };
    let sign = if x > 0.0 { "+" } else { "-" };
    Err(match text {
        Some(t) if x.is_infinite() && !spelled_out(t) => format!(
            "`{}` is too large for a 64-bit float (it would be {sign}infinity); expected a finite \
             number",
            shown(t)
        ),
        Some(t) if x.is_nan() => format!(
            "`{}` is NaN (not a number); expected a finite number",
            shown(t)
        ),
        Some(t) => format!("`{}` is infinite; expected a finite number", shown(t)),
        None if x.is_nan() => "the value is NaN (not a number); expected a finite number".into(),
        None => format!("the value is {sign}infinity; expected a finite number"),
    })
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    #[test]
    fn all_numbers_and_each_number_read_the_values_numeric_gives() {
        let big = (1i64 << 53) + 1; // not an f64: rounds to 2^53, as the cast does
        let frame = df!(
            "i64" => [3i64, big, -7],
            "i32" => [3i32, 4, -7],
            "u32" => [3u32, 4, 7],
            "f64" => [0.5f64, -1.25, 1e300],
            "f32" => [0.5f32, -1.25, 3.0],
            "text" => ["1", "2", "3"],
            "empty" => [Some(1i64), None, Some(3)],
        )
        .unwrap();
        let t = InputTable {
            path: PathBuf::from("t.csv"),
            table: "test",
            frame,
            row_offset: 0,
        };
        for name in ["i64", "i32", "u32", "f64", "f32"] {
            let mut seen = Vec::new();
            let all = t.all_numbers(name, |x| {
                seen.push(x);
                true
            });
            let want: Vec<f64> = t
                .numeric(name)
                .unwrap()
                .unwrap()
                .into_no_null_iter()
                .collect();
            assert_eq!((all.unwrap(), seen), (Some(true), want), "{name}");
        }
        // Stops at the first false.
        let mut calls = 0;
        let all = t.all_numbers("i64", |x| {
            calls += 1;
            x < 0.0
        });
        assert_eq!((all.unwrap(), calls), (Some(false), 1));
        // each_number reads the first columns in place and the others through `numbers`: the
        // same values either way, and it stops at the first error.
        for name in ["i64", "i32", "u32", "f64", "f32", "text", "empty"] {
            let mut seen = Vec::new();
            t.each_number(name, |row, x| {
                seen.push((row, x));
                Ok(())
            })
            .unwrap();
            let want: Vec<(usize, Option<f64>)> =
                t.numbers(name).unwrap().into_iter().enumerate().collect();
            assert_eq!(seen, want, "{name}");
        }
        let mut calls = 0;
        let stopped = t.each_number("i64", |row, _| {
            calls += 1;
            if row == 1 {
                Err(t.row_error("i64", row, "stop".into()))
            } else {
                Ok(())
            }
        });
        assert!(stopped.is_err());
        assert_eq!(calls, 2);
        // Text and empty values are left to `numbers`.
        assert_eq!(t.all_numbers("text", |_| true).unwrap(), None);
        assert_eq!(t.all_numbers("empty", |_| true).unwrap(), None);
        assert!(t.all_numbers("absent", |_| true).is_err());
    }
}
