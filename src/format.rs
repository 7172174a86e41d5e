//! Numbers as people read them, in one place for the report, the terminal, the gate lines and
//! JUnit: plain numbers, percentages, ratios, p-values and estimates with their intervals.
//! Undefined values are shown as `–` (report) or `—` (terminal columns).

use crate::stats::Estimate;

/// `x` rounded to `digits` significant digits, and the decimals that show exactly those digits
/// (none from `10^(digits-1)` up: whole numbers are never rounded to tens).
fn round_significant(x: f64, digits: i32) -> (f64, usize) {
    if x == 0.0 {
        return (0.0, 0);
    }
    let scale = |v: f64| digits - 1 - v.abs().log10().floor() as i32;
    if scale(x) <= 0 {
        return (x.round(), 0);
    }
    let rounded = {
        let f = 10f64.powi(scale(x));
        (x * f).round() / f
    };
    // Rounding may carry into a new digit (0.09996 → 0.1000): count the digits again.
    (rounded, scale(rounded).clamp(0, 12) as usize)
}

/// The one number format of the report and the terminal's sentences: 3 significant digits
/// (`0.149`, `0.0534`, `34.4`, `123`), whole numbers from 100 up (`12346`); `–` when not finite.
pub fn fmt_num(x: f64) -> String {
    if !x.is_finite() {
        return "–".into();
    }
    let (r, decimals) = round_significant(x, 3);
    let s = format!("{r:.decimals$}");
    // Never print "-0".
    if s.starts_with('-') && s[1..].chars().all(|c| c == '0' || c == '.') {
        s[1..].to_string()
    } else {
        s
    }
}

/// A ratio (`0.812`, `1.25`, `2.63`): [`fmt_num`].
pub fn fmt_ratio(x: f64) -> String {
    fmt_num(x)
}

/// [`fmt_num`] without trailing zeros (`0.4`, `10`, `1.25`): for axis ticks and thresholds.
pub fn fmt_short(x: f64) -> String {
    let s = fmt_num(x);
    if s.contains('.') && !s.contains('e') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// A share as a percentage with 3 significant digits (`41.2%`, `5.03%`, `0.110%`, `100%`).
pub fn fmt_pct(x: f64) -> String {
    if !x.is_finite() {
        return "–".into();
    }
    format!("{}%", fmt_num(x * 100.0))
}

/// A difference of two shares in percentage points, 3 significant digits (`98.0 points`).
pub fn fmt_points(x: f64) -> String {
    if !x.is_finite() {
        return "–".into();
    }
    format!("{} points", fmt_num(x * 100.0))
}

/// A share as a whole percentage (`95%`), for confidence levels, thresholds and chart labels.
pub fn fmt_whole_pct(x: f64) -> String {
    format!("{:.0}%", x * 100.0)
}

/// An axis tick: a whole percentage, or one decimal when not whole (`20%`, `12.5%`), when
/// `percent`; else [`fmt_short`].
pub fn fmt_tick(x: f64, percent: bool) -> String {
    if percent {
        let p = x * 100.0;
        if (p - p.round()).abs() < 1e-6 {
            format!("{}%", p.round() as i64)
        } else {
            format!("{p:.1}%")
        }
    } else {
        fmt_short(x)
    }
}

/// A value in the metric's display unit (percentage or plain number).
pub fn fmt_value(x: f64, percent: bool) -> String {
    if percent {
        fmt_pct(x)
    } else {
        fmt_num(x)
    }
}

/// `value [low, high]`, or just the value when the interval is undefined.
pub fn fmt_estimate(e: &Estimate, percent: bool) -> String {
    match e.value {
        None => "undefined".into(),
        Some(v) => match (e.ci_low, e.ci_high) {
            (Some(lo), Some(hi)) => format!(
                "{} [{}, {}]",
                fmt_value(v, percent),
                fmt_value(lo, percent),
                fmt_value(hi, percent)
            ),
            _ => fmt_value(v, percent),
        },
    }
}

/// A p-value: `< 0.001`, or two significant digits (`0.012`, `0.34`, `1.0`).
pub fn fmt_p(p: f64) -> String {
    if p < 0.001 {
        "< 0.001".into()
    } else if !p.is_finite() {
        "–".into()
    } else {
        let (r, decimals) = round_significant(p, 2);
        format!("{r:.decimals$}")
    }
}

/// `0.812 [0.741, 0.880]`, or `0.812` without an interval, `—` when undefined.
pub fn fmt_fixed_estimate(e: &Estimate) -> String {
    match (e.value, e.ci_low, e.ci_high) {
        (None, _, _) => "—".into(),
        (Some(v), Some(lo), Some(hi)) => {
            format!("{} [{}, {}]", fmt_fixed(v), fmt_fixed(lo), fmt_fixed(hi))
        }
        (Some(v), _, _) => fmt_fixed(v),
    }
}

/// A number with 3 decimals for aligned terminal columns (2 significant digits below 0.01, scientific below 10⁻⁴ and from
/// 10⁶), with a true minus sign.
pub fn fmt_fixed(x: f64) -> String {
    let a = x.abs();
    let s = if a != 0.0 && a < 1e-4 {
        format!("{x:.1e}")
    } else if a != 0.0 && a < 0.01 {
        let decimals = (-a.log10()).floor() as usize + 2;
        format!("{x:.decimals$}")
    } else if a >= 1e6 {
        format!("{x:.3e}")
    } else {
        format!("{x:.3}")
    };
    s.replace('-', "−")
}

/// [`fmt_fixed`] with a `+` on positive numbers, for changes.
pub fn fmt_fixed_signed(x: f64) -> String {
    if x > 0.0 {
        format!("+{}", fmt_fixed(x))
    } else {
        fmt_fixed(x)
    }
}

/// A threshold as written in the policy, with a true minus sign.
pub fn fmt_threshold(t: f64) -> String {
    format!("{t}").replace('-', "−")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_formatted_for_people() {
        assert_eq!(fmt_num(0.14865), "0.149");
        assert_eq!(fmt_num(0.053412), "0.0534");
        assert_eq!(fmt_num(34.412), "34.4");
        assert_eq!(fmt_num(123.45), "123");
        assert_eq!(fmt_num(12345.6), "12346");
        assert_eq!(fmt_num(0.099_96), "0.100");
        assert_eq!(fmt_num(9.9996), "10.0");
        assert_eq!(fmt_ratio(0.3721), "0.372");
        assert_eq!(fmt_ratio(1.25), "1.25");
        assert_eq!(fmt_num(0.0004321), "0.000432");
        assert_eq!(fmt_num(-0.0), "0");
        assert_eq!(fmt_num(-0.00001), "-0.0000100");
        assert_eq!(fmt_num(f64::NAN), "–");
        assert_eq!(fmt_pct(0.412), "41.2%");
        assert_eq!(fmt_pct(0.0503), "5.03%");
        assert_eq!(fmt_pct(0.0011), "0.110%");
        assert_eq!(fmt_pct(1.0), "100%");
        assert_eq!(fmt_pct(-0.0), "0%");
        assert_eq!(fmt_points(-0.9804), "-98.0 points");
        assert_eq!(fmt_p(0.0001), "< 0.001");
        assert_eq!(fmt_p(0.0324), "0.032");
        assert_eq!(fmt_p(0.012), "0.012");
        assert_eq!(fmt_p(0.3449), "0.34");
        assert_eq!(fmt_p(0.0996), "0.10");
        assert_eq!(fmt_p(1.0), "1.0");
        assert_eq!(fmt_estimate(&Estimate::point(Some(0.5), 3), false), "0.500");
        assert_eq!(fmt_estimate(&Estimate::default(), true), "undefined");
    }

    #[test]
    fn terminal_columns_have_three_decimals_and_a_true_minus() {
        assert_eq!(fmt_fixed(0.3), "0.300");
        assert_eq!(fmt_fixed(-0.25), "−0.250");
        assert_eq!(fmt_fixed(0.00123), "0.0012");
        assert_eq!(fmt_fixed(0.00001234), "1.2e−5");
        assert_eq!(fmt_fixed(2.5e6), "2.500e6");
        assert_eq!(fmt_fixed_signed(0.1), "+0.100");
        assert_eq!(
            fmt_fixed_estimate(&Estimate {
                value: Some(0.812),
                ci_low: Some(0.741),
                ci_high: Some(0.88),
                n: 10,
            }),
            "0.812 [0.741, 0.880]"
        );
        assert_eq!(fmt_fixed_estimate(&Estimate::default()), "—");
        assert_eq!(fmt_threshold(-0.05), "−0.05");
    }
}
