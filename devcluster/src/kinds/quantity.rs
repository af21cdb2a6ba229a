//! `resource.Quantity` (apimachinery `pkg/api/resource`): enough to compare two quantities and
//! to print one as its `String()` does, in canonical form (`2048Mi` is `2Gi`, `0.5` is `500m`).
//! Values are held exactly in nano-units; the rare quantities that do not fit, or have more
//! than nine decimal places, round up to the next nano-unit, as Go's parser rounds up.

use std::cmp::Ordering;

const NANO: i128 = 1_000_000_000;
const BINARY: &[(&str, u32)] = &[
    ("Ki", 1),
    ("Mi", 2),
    ("Gi", 3),
    ("Ti", 4),
    ("Pi", 5),
    ("Ei", 6),
];
const DECIMAL: &[(&str, i32)] = &[
    ("n", -9),
    ("u", -6),
    ("m", -3),
    ("", 0),
    ("k", 3),
    ("M", 6),
    ("G", 9),
    ("T", 12),
    ("P", 15),
    ("E", 18),
];

/// How a quantity was written, which is how it is printed again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    /// `Ki`, `Mi`, ...
    BinarySi,
    /// `m`, `k`, `M`, ... or no suffix.
    DecimalSi,
    /// `1e3`, `5E-3`.
    DecimalExponent,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Quantity {
    nanos: i128,
    format: Format,
}

impl Quantity {
    /// `resource.ParseQuantity`: None for what Go would refuse (or a value out of range).
    pub(super) fn parse(text: &str) -> Option<Quantity> {
        let (negative, rest) = match text.as_bytes().first()? {
            b'-' => (true, &text[1..]),
            b'+' => (false, &text[1..]),
            _ => (false, text),
        };
        let number_len = rest
            .find(|c: char| !c.is_ascii_digit() && c != '.')
            .unwrap_or(rest.len());
        let (number, suffix) = rest.split_at(number_len);
        let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
        if (whole.is_empty() && fraction.is_empty()) || fraction.contains('.') {
            return None;
        }
        let (format, multiplier) = suffix_multiplier(suffix)?;
        let digits = format!("{whole}{fraction}");
        let mantissa: i128 = digits.parse().ok()?;
        // value = mantissa × 10^-len(fraction) × multiplier, in nano-units.
        let scaled = mantissa
            .checked_mul(multiplier.numerator)?
            .checked_mul(NANO)?;
        let divisor = 10i128
            .checked_pow(u32::try_from(fraction.len()).ok()?)?
            .checked_mul(multiplier.denominator)?;
        let nanos = scaled.div_euclid(divisor) + i128::from(scaled.rem_euclid(divisor) != 0);
        Some(Quantity {
            nanos: if negative { -nanos } else { nanos },
            format,
        })
    }

    /// `Quantity.Cmp`: by value, whatever the format (`1Gi` is `1073741824`).
    pub(super) fn cmp_value(&self, other: &Quantity) -> Ordering {
        self.nanos.cmp(&other.nanos)
    }

    /// `Quantity.String()`: the canonical form, in the format it was written in.
    pub(super) fn canonical(&self) -> String {
        if self.nanos == 0 {
            return "0".into();
        }
        let small = self.nanos.abs() < 1024 * NANO;
        let whole = self.nanos % NANO == 0;
        if self.format == Format::BinarySi && !small && whole {
            let (mut amount, mut power) = (self.nanos / NANO, 0);
            while amount % 1024 == 0 && power < 6 {
                amount /= 1024;
                power += 1;
            }
            let suffix = BINARY
                .iter()
                .find(|(_, p)| *p == power)
                .map_or("", |(s, _)| s);
            return format!("{amount}{suffix}");
        }
        // AsCanonicalBytes: strip factors of ten, then lower the exponent to a multiple of 3.
        let (mut amount, mut exponent) = (self.nanos, -9i32);
        while amount % 10 == 0 {
            amount /= 10;
            exponent += 1;
        }
        let spare = exponent.rem_euclid(3);
        amount *= 10i128.pow(spare.unsigned_abs());
        exponent -= spare;
        let suffix = match self.format {
            Format::DecimalExponent if exponent == 0 => String::new(),
            Format::DecimalExponent => format!("e{exponent}"),
            _ => DECIMAL
                .iter()
                .find(|(_, e)| *e == exponent)
                .map_or_else(|| format!("e{exponent}"), |(s, _)| (*s).to_string()),
        };
        format!("{amount}{suffix}")
    }
}

struct Ratio {
    numerator: i128,
    denominator: i128,
}

fn suffix_multiplier(suffix: &str) -> Option<(Format, Ratio)> {
    let ratio = |exponent: i32| {
        let power = 10i128.pow(exponent.unsigned_abs());
        if exponent >= 0 {
            Ratio {
                numerator: power,
                denominator: 1,
            }
        } else {
            Ratio {
                numerator: 1,
                denominator: power,
            }
        }
    };
    if let Some((_, power)) = BINARY.iter().find(|(s, _)| *s == suffix) {
        let numerator = 1024i128.pow(*power);
        return Some((
            Format::BinarySi,
            Ratio {
                numerator,
                denominator: 1,
            },
        ));
    }
    if let Some((_, exponent)) = DECIMAL.iter().find(|(s, _)| *s == suffix) {
        return Some((Format::DecimalSi, ratio(*exponent)));
    }
    let exponent = suffix
        .strip_prefix('e')
        .or_else(|| suffix.strip_prefix('E'))?;
    let exponent: i32 = exponent.parse().ok().filter(|e: &i32| e.abs() <= 27)?;
    Some((Format::DecimalExponent, ratio(exponent)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canonical(text: &str) -> String {
        Quantity::parse(text)
            .map(|q| q.canonical())
            .unwrap_or_default()
    }

    /// Canonical forms as Go's `resource.MustParse(x).String()` prints them.
    #[test]
    fn canonical_forms_are_gos() {
        for (text, want) in [
            ("2Gi", "2Gi"),
            ("2048Mi", "2Gi"),
            ("1536Mi", "1536Mi"),
            ("1.5Gi", "1536Mi"),
            ("512", "512"),
            ("1000", "1k"),
            ("1500m", "1500m"),
            ("0.5", "500m"),
            ("1.5", "1500m"),
            ("100M", "100M"),
            ("1e3", "1e3"),
            ("0", "0"),
            ("500Ki", "500Ki"),
            ("0.5Ki", "512"),
            ("128974848", "128974848"),
            ("129e6", "129e6"),
            ("-1Gi", "-1Gi"),
        ] {
            assert_eq!(canonical(text), want, "{text}");
        }
        assert_eq!(Quantity::parse("1Gx"), None);
        assert_eq!(Quantity::parse(""), None);
        assert_eq!(Quantity::parse("."), None);
    }

    #[test]
    fn quantities_compare_by_value() {
        let q = |t: &str| Quantity::parse(t).expect("valid");
        assert_eq!(q("2Gi").cmp_value(&q("1Gi")), Ordering::Greater);
        assert_eq!(q("1G").cmp_value(&q("1Gi")), Ordering::Less);
        assert_eq!(q("1024Mi").cmp_value(&q("1Gi")), Ordering::Equal);
        assert_eq!(q("1e3").cmp_value(&q("1k")), Ordering::Equal);
        assert_eq!(q("100m").cmp_value(&q("1")), Ordering::Less);
    }
}
