//! The two "printable character" rules kpt's output follows, each exactly:
//!
//! - Go's `strconv.IsPrint` (what `%q` / `strconv.Quote` leave unescaped in kpt's
//!   `[RUNNING]`/`[PASS]`/`[FAIL]` lines): `unicode.IsPrint`, i.e. general categories L, M,
//!   N, P, S and U+0020, in the Unicode version of the Go that built kpt 1.0.0-beta.56
//!   (go1.23.6: Unicode 15.0.0). The table is generated from that version's
//!   UnicodeData.txt by `scripts/gen-go-print.py`; a test checks it against the file.
//! - go-yaml v3's `is_printable` (`yamlprivateh.go`, what its emitter writes unescaped), a
//!   byte rule that is not Unicode's: LF, U+0020..U+007E, U+00A0..U+D7FF and U+E000..U+FFFD
//!   but U+FEFF; nothing outside the Basic Multilingual Plane.

#[path = "go_print_table.rs"]
mod table;

/// Go's `strconv.IsPrint` (= `unicode.IsPrint`), Unicode 15.0.0.
pub fn is_print(c: char) -> bool {
    let u = c as u32;
    table::PRINT
        .binary_search_by(|(lo, hi)| {
            if *hi < u {
                std::cmp::Ordering::Less
            } else if *lo > u {
                std::cmp::Ordering::Greater
            } else {
                std::cmp::Ordering::Equal
            }
        })
        .is_ok()
}

/// The ranges behind [`is_print`] (for the test that compares them with UnicodeData.txt).
pub fn print_ranges() -> &'static [(u32, u32)] {
    table::PRINT
}

/// go-yaml v3's `is_printable`.
pub fn yaml_is_printable(c: char) -> bool {
    matches!(c as u32, 0x0A | 0x20..=0x7E | 0xA0..=0xD7FF | 0xE000..=0xFFFD) && c != '\u{feff}'
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_is_print_unicode_15() {
        // Categories from Unicode 15.0.0 (Go's rule: L, M, N, P, S and the ASCII space).
        for c in [
            ' ',
            'a',
            '~',
            '\u{a1}',
            'é',
            '\u{301}',
            '☺',
            '\u{1f600}',
            '\u{fffd}',
            // New in 15.0 (So, Lo): Go 1.23 prints them.
            '\u{1fae8}',
            '\u{31350}',
            '\u{323af}',
        ] {
            assert!(is_print(c), "{c:?} U+{:04X}", c as u32);
        }
        for c in [
            '\0',
            '\t',
            '\u{7f}',
            '\u{85}',
            '\u{a0}',
            '\u{ad}',
            '\u{3000}',
            '\u{2028}',
            '\u{200b}',
            '\u{feff}',
            '\u{e000}',
            '\u{10ffff}',
            '\u{fdd0}',
            '\u{fffe}',
            '\u{e0001}',
            '\u{600}',
            // Unassigned in 15.0 (assigned in 15.1 / 16.0 / never).
            '\u{2ffc}',
            '\u{2ebf0}',
            '\u{1fae9}',
            '\u{378}',
        ] {
            assert!(!is_print(c), "{c:?} U+{:04X}", c as u32);
        }
    }

    #[test]
    fn go_yaml_is_printable() {
        for c in [
            '\n', ' ', '~', '\u{a0}', '\u{d7ff}', '\u{e000}', '\u{fffd}', '\u{2028}',
        ] {
            assert!(yaml_is_printable(c), "{c:?}");
        }
        for c in [
            '\t',
            '\r',
            '\u{7f}',
            '\u{85}',
            '\u{9f}',
            '\u{feff}',
            '\u{fffe}',
            '\u{10000}',
            '\u{1f600}',
        ] {
            assert!(!yaml_is_printable(c), "{c:?}");
        }
    }
}
