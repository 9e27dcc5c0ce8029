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

/// A calendar date (proleptic Gregorian), for the staff schedule's day and week.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Date {
    /// Days since 1970-01-01.
    days: i64,
}

impl Date {
    /// The date `YYYY-MM-DD` names, if it is one.
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        let mut parts = text.splitn(3, '-');
        let year: i64 = parts.next()?.parse().ok()?;
        let month: i64 = parts.next()?.parse().ok()?;
        let day: i64 = parts.next()?.parse().ok()?;
        let date = Self::from_civil(year, month, day)?;
        (date.civil() == (year, month, day)).then_some(date)
    }

    /// Today, on this device's calendar.
    #[must_use]
    pub fn today() -> Self {
        let now = js_sys::Date::new_0();
        Self::from_civil(i64::from(now.get_full_year()), i64::from(now.get_month()) + 1, i64::from(now.get_date()))
            .unwrap_or(Self { days: 0 })
    }

    fn from_civil(year: i64, month: i64, day: i64) -> Option<Self> {
        if !(1..=12).contains(&month) || !(1..=31).contains(&day) || !(1..=9999).contains(&year) {
            return None;
        }
        // Howard Hinnant's days_from_civil.
        let y = if month <= 2 { year - 1 } else { year };
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let doy = (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + day - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        Some(Self { days: era * 146_097 + doe - 719_468 })
    }

    fn civil(self) -> (i64, i64, i64) {
        let z = self.days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = doy - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        (yoe + era * 400 + i64::from(month <= 2), month, day)
    }

    /// `n` days later (earlier for negative `n`).
    #[must_use]
    pub fn plus_days(self, n: i64) -> Self {
        Self { days: self.days + n }
    }

    /// The Monday of this date's week.
    #[must_use]
    pub fn monday(self) -> Self {
        // 1970-01-01 was a Thursday (3 days after a Monday).
        Self { days: self.days - (self.days + 3).rem_euclid(7) }
    }

    /// `YYYY-MM-DD`.
    #[must_use]
    pub fn iso(self) -> String {
        let (y, m, d) = self.civil();
        format!("{y:04}-{m:02}-{d:02}")
    }

    /// `Tue 3 Mar 2026`.
    #[must_use]
    pub fn label(self) -> String {
        let (y, m, d) = self.civil();
        let weekday = usize::try_from((self.days + 4).rem_euclid(7)).unwrap_or(0);
        let month = usize::try_from(m - 1).unwrap_or(0);
        format!("{} {d} {} {y}", WEEKDAYS[weekday], MONTHS[month])
    }
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

    #[test]
    fn calendar_dates() {
        let d = Date::parse("2026-03-03").unwrap();
        assert_eq!(d.iso(), "2026-03-03");
        assert_eq!(d.label(), "Tue 3 Mar 2026");
        assert_eq!(d.monday().iso(), "2026-03-02");
        assert_eq!(d.plus_days(-3).iso(), "2026-02-28");
        assert_eq!(Date::parse("2024-02-28").unwrap().plus_days(1).iso(), "2024-02-29");
        assert_eq!(Date::parse("1970-01-01").unwrap().label(), "Thu 1 Jan 1970");
        assert_eq!(Date::parse("2026-03-08").unwrap().monday().iso(), "2026-03-02");
        assert_eq!(Date::parse("2026-03-09").unwrap().monday().iso(), "2026-03-09");
        assert_eq!(Date::parse("2026-02-30"), None);
        assert_eq!(Date::parse("2026-13-01"), None);
        assert_eq!(Date::parse("garbage"), None);
    }
}
