//! THE duration parser (`--timeout`): kubectl's / kpt's syntax, Go's limits. Used as clap's
//! `value_parser`, so a duration is parsed once, when the command line is. Go's own
//! `time.ParseDuration` ([`parse_go`]), for the runner's duration flags the lint checks, is
//! here too: the one module that reads durations.
//!
//! Accepted: plain seconds (`90`), or one or more `<number><unit>` parts with the units
//! `ms`, `s`, `m`, `h` (`30s`, `5m`, `1h30m`, `1.5h`, `250ms`). Go's durations end at 2^63 ns
//! (about 292 years); a longer one is refused as Go refuses it (it would also overflow a
//! deadline).

use std::time::Duration;

const EXAMPLES: &str = "use e.g. 30s, 5m, 1h30m";

/// Parse a duration; zero is allowed (`setup --timeout 0`: give up on the first poll).
pub fn parse(s: &str) -> Result<Duration, String> {
    let bad = || format!("not a duration; {EXAMPLES}");
    let too_long = || format!("longer than the longest duration (about 292 years); {EXAMPLES}");
    let s = s.trim();
    if s.is_empty() {
        return Err(bad());
    }
    let max = Duration::from_nanos(i64::MAX as u64);
    if let Ok(n) = s.parse::<u64>() {
        let d = Duration::from_secs(n);
        return if d > max { Err(too_long()) } else { Ok(d) };
    }
    let mut total = Duration::ZERO;
    let mut rest = s;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(bad)?;
        if digits == 0 {
            return Err(bad());
        }
        let n: f64 = rest[..digits].parse().map_err(|_| bad())?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let unit = &rest[..unit_len];
        rest = &rest[unit_len..];
        let secs = match unit {
            "ms" => n / 1000.0,
            "s" => n,
            "m" => n * 60.0,
            "h" => n * 3600.0,
            _ => return Err(bad()),
        };
        total = Duration::try_from_secs_f64(secs)
            .ok()
            .and_then(|d| total.checked_add(d))
            .filter(|t| *t <= max)
            .ok_or_else(too_long)?;
    }
    Ok(total)
}

/// Go's `time.ParseDuration`, in nanoseconds (for the runner's own duration flags, which
/// `runner::flags` checks as Go's flag package would): a sequence of decimal numbers with units
/// (`ns`, `us`, `µs`, `ms`, `s`, `m`, `h`), optional sign; `0` alone is allowed.
pub fn parse_go(s: &str) -> Option<f64> {
    let mut rest = s;
    let mut neg = false;
    if let Some(r) = rest.strip_prefix('-') {
        neg = true;
        rest = r;
    } else if let Some(r) = rest.strip_prefix('+') {
        rest = r;
    }
    if rest == "0" {
        return Some(0.0);
    }
    if rest.is_empty() {
        return None;
    }
    let mut total = 0f64;
    while !rest.is_empty() {
        let num_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let num = &rest[..num_len];
        if num.is_empty() || num == "." || num.matches('.').count() > 1 {
            return None;
        }
        let value: f64 = num.parse().ok()?;
        rest = &rest[num_len..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let unit = &rest[..unit_len];
        let nanos = match unit {
            "ns" => 1.0,
            "us" | "µs" | "μs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            _ => return None,
        };
        total += value * nanos;
        rest = &rest[unit_len..];
    }
    Some(if neg { -total } else { total })
}

/// Parse a duration that must be longer than zero (`run --timeout`: zero would kill every
/// function at once).
pub fn parse_positive(s: &str) -> Result<Duration, String> {
    let d = parse(s)?;
    if d.is_zero() {
        return Err(format!("must be longer than zero; {EXAMPLES}"));
    }
    Ok(d)
}

/// A duration as Go prints one (`1s`, `1m30s`, `1h0m0s`, `250ms`), for messages.
pub fn display(d: Duration) -> String {
    if d < Duration::from_secs(1) {
        return format!("{}ms", d.as_millis());
    }
    let secs = d.as_secs();
    let (h, m) = (secs / 3600, secs % 3600 / 60);
    let mut s = format!(
        "{}",
        (secs % 60) as f64 + f64::from(d.subsec_millis()) / 1000.0
    );
    s.push('s');
    match (h, m) {
        (0, 0) => s,
        (0, m) => format!("{m}m{s}"),
        (h, m) => format!("{h}h{m}m{s}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepted_forms() {
        assert_eq!(parse("5m").unwrap(), Duration::from_secs(300));
        assert_eq!(parse("1m30s").unwrap(), Duration::from_secs(90));
        assert_eq!(parse("1h30m").unwrap(), Duration::from_secs(5400));
        assert_eq!(parse("1.5h").unwrap(), Duration::from_secs(5400));
        assert_eq!(parse("250ms").unwrap(), Duration::from_millis(250));
        assert_eq!(parse("45").unwrap(), Duration::from_secs(45));
        assert_eq!(parse(" 2s ").unwrap(), Duration::from_secs(2));
        assert_eq!(parse("1h").unwrap(), Duration::from_secs(3600));
        assert_eq!(parse("0").unwrap(), Duration::ZERO);
        assert_eq!(parse("0s").unwrap(), Duration::ZERO);
    }

    #[test]
    fn refused_forms() {
        for s in ["", "soon", "5x", "m", "5m3", "1 s", "-1s", "1us", "1.2.3s"] {
            let e = parse(s).unwrap_err();
            assert!(e.starts_with("not a duration"), "{s:?}: {e}");
        }
        // Go's limit: 2^63 ns = 2562047h47m16.854775807s.
        assert!(parse("2562047h").is_ok());
        let e = parse("2562048h").unwrap_err();
        assert!(e.contains("longer than the longest duration"), "{e}");
        let e = parse("99999999999999999999999h").unwrap_err();
        assert!(e.contains("longer than the longest duration"), "{e}");
        let e = parse("9223372037").unwrap_err();
        assert!(e.contains("longer than the longest duration"), "{e}");
    }

    #[test]
    fn go_durations() {
        assert_eq!(parse_go("30m"), Some(1800e9));
        assert_eq!(parse_go("1.5h"), Some(5400e9));
        assert_eq!(parse_go("0"), Some(0.0));
        assert_eq!(parse_go("10"), None);
        assert_eq!(parse_go(""), None);
        assert_eq!(parse_go("1x"), None);
    }

    #[test]
    fn shown_as_go_does() {
        assert_eq!(display(Duration::from_secs(1)), "1s");
        assert_eq!(display(Duration::from_secs(90)), "1m30s");
        assert_eq!(display(Duration::from_secs(3600)), "1h0m0s");
        assert_eq!(display(Duration::from_millis(1500)), "1.5s");
        assert_eq!(display(Duration::from_millis(250)), "250ms");
    }

    #[test]
    fn positive() {
        assert_eq!(parse_positive("2").unwrap(), Duration::from_secs(2));
        for z in ["0", "0s", "0m0s", "0.0h"] {
            let e = parse_positive(z).unwrap_err();
            assert!(e.contains("must be longer than zero"), "{z}: {e}");
        }
        assert!(
            parse_positive("5x")
                .unwrap_err()
                .starts_with("not a duration")
        );
    }
}
