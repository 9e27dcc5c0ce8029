//! Dates and times as people read them. Booking times are shown in the clinic's time zone:
//! the API sends them as RFC 3339 with the clinic's offset, so the wall-clock part is already
//! the clinic's local time and is shown as is.

const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const WEEKDAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

/// Parts of an RFC 3339 timestamp: year, month, day, `HH:MM`, offset (`-05:00`, `Z`).
fn parts(rfc3339: &str) -> Option<(i32, usize, u32, &str, &str)> {
    let (date, rest) = rfc3339.split_once('T')?;
    let mut d = date.splitn(3, '-');
    let year: i32 = d.next()?.parse().ok()?;
    let month: usize = d.next()?.parse().ok()?;
    let day: u32 = d.next()?.parse().ok()?;
    let hhmm = rest.get(..5)?;
    let offset_at = rest.find(['Z', '+', '-'])?;
    let offset = rest.get(offset_at..)?;
    (1..=12).contains(&month).then_some((year, month, day, hhmm, offset))
}

/// Day of the week, 0 = Sunday (Sakamoto's method).
fn weekday(year: i32, month: usize, day: u32) -> usize {
    const T: [i32; 12] = [0, 3, 2, 5, 0, 3, 5, 1, 4, 6, 2, 4];
    let y = if month < 3 { year - 1 } else { year };
    let w = (y + y / 4 - y / 100 + y / 400 + T[month - 1] + i32::try_from(day).unwrap_or(0)).rem_euclid(7);
    usize::try_from(w).unwrap_or(0)
}

/// `Tue 3 Mar 2026, 14:02` from an RFC 3339 time, in the offset it carries.
#[must_use]
pub fn clinic_date_time(rfc3339: &str) -> String {
    match parts(rfc3339) {
        Some((y, m, d, hhmm, _)) => format!("{} {d} {} {y}, {hhmm}", WEEKDAYS[weekday(y, m, d)], MONTHS[m - 1]),
        None => rfc3339.to_owned(),
    }
}

/// `Fri 20 Nov 2026` from an RFC 3339 time, the date it carries (a due date).
#[must_use]
pub fn day(rfc3339: &str) -> String {
    match parts(rfc3339) {
        Some((y, m, d, _, _)) => format!("{} {d} {} {y}", WEEKDAYS[weekday(y, m, d)], MONTHS[m - 1]),
        None => rfc3339.to_owned(),
    }
}

/// `14:30` from an RFC 3339 time.
#[must_use]
pub fn clinic_time(rfc3339: &str) -> String {
    parts(rfc3339).map_or_else(|| rfc3339.to_owned(), |p| p.3.to_owned())
}

/// `UTC−05:00` (or `UTC`) for the offset of an RFC 3339 time.
#[must_use]
pub fn offset_label(rfc3339: &str) -> String {
    match parts(rfc3339).map(|p| p.4) {
        Some("Z" | "+00:00") | None => "UTC".into(),
        Some(offset) => format!("UTC{}", offset.replacen('-', "\u{2212}", 1)),
    }
}

/// Milliseconds since the epoch of an RFC 3339 time (the browser parses it).
#[must_use]
pub fn epoch_ms(rfc3339: &str) -> f64 {
    js_sys::Date::parse(rfc3339)
}

/// `3 Mar 2026, 14:02` for Unix seconds, in the browser's time zone.
#[must_use]
pub fn local_date_time(unix_seconds: u64) -> String {
    #[allow(clippy::cast_precision_loss, reason = "seconds since 1970 are far below 2^53")]
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(unix_seconds as f64 * 1000.0));
    let (y, m, d) = (date.get_full_year(), date.get_month() as usize, date.get_date());
    format!("{d} {} {y}, {:02}:{:02}", MONTHS.get(m).copied().unwrap_or("?"), date.get_hours(), date.get_minutes())
}

/// `1:05` for a countdown in milliseconds.
#[must_use]
pub fn countdown(ms: u64) -> String {
    let seconds = ms.div_ceil(1000);
    format!("{}:{:02}", seconds / 60, seconds % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clinic_times_are_shown_as_sent() {
        assert_eq!(clinic_date_time("2026-03-03T14:02:00-05:00"), "Tue 3 Mar 2026, 14:02");
        assert_eq!(clinic_date_time("2024-02-29T09:30:00Z"), "Thu 29 Feb 2024, 09:30");
        assert_eq!(clinic_time("2026-03-03T14:32:00-05:00"), "14:32");
        assert_eq!(day("2026-11-20T14:13:20Z"), "Fri 20 Nov 2026");
        assert_eq!(offset_label("2026-03-03T14:02:00-05:00"), "UTC\u{2212}05:00");
        assert_eq!(offset_label("2026-03-03T14:02:00Z"), "UTC");
        assert_eq!(clinic_date_time("garbage"), "garbage");
        assert_eq!(countdown(119_001), "2:00");
        assert_eq!(countdown(5_000), "0:05");
    }
}
