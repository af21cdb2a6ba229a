//! Age cells: kube-apiserver's `duration.HumanDuration` and the timestamp parsing around it.

use std::time::{Duration, SystemTime};

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// The cell kube-apiserver prints for a missing or zero timestamp.
pub(crate) const UNKNOWN: &str = "<unknown>";

/// Parses an RFC 3339 timestamp (`metav1.Time` or `metav1.MicroTime`) into a `SystemTime`.
pub(crate) fn parse_timestamp(text: &str) -> Option<SystemTime> {
    let parsed = OffsetDateTime::parse(text, &Rfc3339).ok()?;
    let nanos = parsed.unix_timestamp_nanos();
    let magnitude = Duration::from_nanos(u64::try_from(nanos.unsigned_abs()).ok()?);
    if nanos >= 0 {
        SystemTime::UNIX_EPOCH.checked_add(magnitude)
    } else {
        SystemTime::UNIX_EPOCH.checked_sub(magnitude)
    }
}

/// The age of `timestamp` at `now`, as kube-apiserver's printers show it
/// (`translateTimestampSince`): `<unknown>` when the timestamp is missing or malformed.
pub(crate) fn age_since(timestamp: Option<&str>, now: SystemTime) -> String {
    match timestamp.and_then(parse_timestamp) {
        Some(then) => human_duration_between(then, now),
        None => UNKNOWN.to_owned(),
    }
}

/// `HumanDuration(now - then)`, also when `then` lies in the future.
fn human_duration_between(then: SystemTime, now: SystemTime) -> String {
    match now.duration_since(then) {
        Ok(elapsed) => human_duration(i128::from(elapsed.as_secs())),
        Err(ahead) => {
            // Go truncates toward zero: -1.5s is -1 second.
            let seconds = i128::from(ahead.duration().as_secs());
            human_duration(-seconds)
        }
    }
}

/// k8s.io/apimachinery/pkg/util/duration.HumanDuration on whole seconds: about two
/// significant figures ("45s", "5m30s", "3h", "4d2h", "2y10d").
pub(crate) fn human_duration(seconds: i128) -> String {
    if seconds < -1 {
        return "<invalid>".to_owned();
    }
    if seconds < 0 {
        return "0s".to_owned();
    }
    if seconds < 60 * 2 {
        return format!("{seconds}s");
    }
    let minutes = seconds / 60;
    if minutes < 10 {
        let rest = seconds % 60;
        return if rest == 0 {
            format!("{minutes}m")
        } else {
            format!("{minutes}m{rest}s")
        };
    }
    if minutes < 60 * 3 {
        return format!("{minutes}m");
    }
    let hours = seconds / 3600;
    if hours < 8 {
        let rest = minutes % 60;
        return if rest == 0 {
            format!("{hours}h")
        } else {
            format!("{hours}h{rest}m")
        };
    }
    if hours < 48 {
        return format!("{hours}h");
    }
    let days = hours / 24;
    if hours < 24 * 8 {
        let rest = hours % 24;
        return if rest == 0 {
            format!("{days}d")
        } else {
            format!("{days}d{rest}h")
        };
    }
    if hours < 24 * 365 * 2 {
        return format!("{days}d");
    }
    let years = days / 365;
    if hours < 24 * 365 * 8 {
        let rest = days % 365;
        return if rest == 0 {
            format!("{years}y")
        } else {
            format!("{years}y{rest}d")
        };
    }
    format!("{years}y")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_duration_follows_apimachinery() {
        let cases: &[(i128, &str)] = &[
            (-5, "<invalid>"),
            (-1, "0s"),
            (0, "0s"),
            (45, "45s"),
            (119, "119s"),
            (120, "2m"),
            (330, "5m30s"),
            (599, "9m59s"),
            (600, "10m"),
            (179 * 60 + 59, "179m"),
            (3 * 3600, "3h"),
            (3 * 3600 + 2 * 60, "3h2m"),
            (8 * 3600, "8h"),
            (47 * 3600 + 59 * 60, "47h"),
            (48 * 3600, "2d"),
            (4 * 86400 + 2 * 3600, "4d2h"),
            (8 * 86400, "8d"),
            (729 * 86400, "729d"),
            (730 * 86400, "2y"),
            (740 * 86400, "2y10d"),
            (8 * 365 * 86400, "8y"),
            (9 * 365 * 86400 + 86400, "9y"),
        ];
        for (seconds, expected) in cases {
            assert_eq!(human_duration(*seconds), *expected, "for {seconds}s");
        }
    }

    #[test]
    fn age_is_measured_from_the_creation_timestamp() {
        let now = parse_timestamp("2026-01-01T01:05:30Z").expect("valid timestamp");
        assert_eq!(age_since(Some("2026-01-01T01:00:00Z"), now), "5m30s");
        assert_eq!(age_since(Some("2025-12-22T01:05:30Z"), now), "10d");
        assert_eq!(age_since(Some("2026-01-01T01:05:31.500000Z"), now), "0s");
        assert_eq!(age_since(Some("2026-01-01T01:06:30Z"), now), "<invalid>");
        assert_eq!(age_since(None, now), "<unknown>");
        assert_eq!(age_since(Some("yesterday"), now), "<unknown>");
    }
}
