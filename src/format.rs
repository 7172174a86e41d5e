//! Numbers as people read them, in one place for the report, the terminal, the gate lines and
//! JUnit: plain numbers, percentages, ratios, p-values and estimates with their intervals.
//! Undefined values are shown as `–` (report) or `—` (terminal columns).

use crate::stats::Estimate;

/// A number for people: 3 significant decimals below 10, fewer above; `–` when not finite.
pub fn fmt_num(x: f64) -> String {
    if !x.is_finite() {
        return "–".into();
    }
    let a = x.abs();
    let decimals = if a == 0.0 || a >= 1000.0 {
        0
    } else if a >= 100.0 {
        1
    } else if a >= 10.0 {
        2
    } else if a >= 0.01 {
        3
    } else {
        ((-a.log10()).ceil() as usize + 2).min(8)
    };
    let s = format!("{:.*}", decimals, x);
    // Never print "-0.000".
    if s.starts_with('-') && s[1..].chars().all(|c| c == '0' || c == '.') {
        s[1..].to_string()
    } else {
        s
    }
}

/// A ratio with two decimals (`0.81`, `1.25`).
pub fn fmt_ratio(x: f64) -> String {
    if x.is_finite() {
        format!("{x:.2}")
    } else {
        "–".into()
    }
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

/// A share as a percentage with one decimal.
pub fn fmt_pct(x: f64) -> String {
    if !x.is_finite() {
        return "–".into();
    }
    let s = format!("{:.1}%", x * 100.0);
    if s == "-0.0%" {
        "0.0%".into()
    } else {
        s
    }
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

/// A p-value: `< 0.001` or three decimals.
pub fn fmt_p(p: f64) -> String {
    if p < 0.001 {
        "< 0.001".into()
    } else {
        format!("{p:.3}")
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
        assert_eq!(fmt_num(34.412), "34.41");
        assert_eq!(fmt_num(123.45), "123.5");
        assert_eq!(fmt_num(12345.6), "12346");
        assert_eq!(fmt_num(0.0004321), "0.000432");
        assert_eq!(fmt_num(-0.0), "0");
        assert_eq!(fmt_num(-0.00001), "-0.0000100");
        assert_eq!(fmt_num(f64::NAN), "–");
        assert_eq!(fmt_pct(0.412), "41.2%");
        assert_eq!(fmt_p(0.0001), "< 0.001");
        assert_eq!(fmt_p(0.0324), "0.032");
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
