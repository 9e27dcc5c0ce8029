//! Detection of protected health information (PHI) in free-text booking notes.
//!
//! [`scan`] looks for the HIPAA Safe Harbor identifiers (45 CFR 164.514(b)(2), the "18
//! identifiers") that can be recognised in free text, so that the booking widget can warn a
//! patient inline ("Please don't put your SSN here") before the note is sealed. It is a
//! warning aid, not a de-identification tool: it is tuned for few false positives on ordinary
//! notes ("at 10:30", "500 mg twice a day", "bp 140/90", "on 3/14") and accepts missing
//! unusual formats.
//!
//! The scanner is hand-written over the bytes of the text, with no regular-expression engine:
//! this code ships in a size-budgeted wasm bundle. It runs in linear time (every look-ahead
//! is bounded), never panics, and every span starts and ends on an ASCII byte, hence on a
//! `char` boundary.
//!
//! # What is flagged
//!
//! | [`PhiKind`] | How |
//! |---|---|
//! | `Ssn` | `123-45-6789` or `123 45 6789`; 9 bare digits (or dots) only after "SSN", "SS#", "social security". Invalid numbers (area 000, 666 or 9xx, group 00, serial 0000) are rejected. |
//! | `MedicalRecordNumber` | An identifier with a digit after "MRN", "medical record", "med rec", or "chart", "patient", "pt", "record" followed by "#", "number", "no", "id" or ":". |
//! | `HealthPlanOrInsuranceId` | After "member", "subscriber", "policy", "insurance", "group", "plan", "beneficiary" followed by a marker ("id", "#", "number", ":"), or after "Medicare", "Medicaid", "MBI", "HICN". |
//! | `AccountNumber` | After "account #/number/no/id/:", "acct", "routing #". |
//! | `CreditCard` | 13 to 19 digits (optionally grouped by single spaces or hyphens), starting 2 to 6, passing the Luhn check. |
//! | `PhoneNumber` | North American numbers: `(415) 555-2671`, `415-555-2671`, `415.555.2671`, `415 555 2671`, `4155552671`, with an optional `+1`/`1-` prefix and extension; area code and exchange must start with 2 to 9. Seven-digit `555-2671` only after "call", "phone", "cell", "text", ... |
//! | `FaxNumber` | A phone number after "fax" or "facsimile". |
//! | `Email` | `local@domain.tld` with an alphabetic top-level domain. |
//! | `Url` | Starting with `http://`, `https://` or `www.`. |
//! | `IpAddress` | Dotted IPv4. |
//! | `DateOfBirth` | See below. |
//! | `StreetAddress` | A house number, one to five street-name words and a suffix (St, Ave, Rd, Blvd, Ln, Dr, Ct, Way, ...), optional direction and apartment/unit/suite; or a PO box. |
//! | `ZipCode` | Five digits (optionally +4) after a state code or state name (`IL 62704`, `Illinois 62704`) or after "zip", "zip code", "postal code". |
//! | `LicenseNumber` | After "driver's license", "DL", "DLN", "passport", "state id", or "license"/"certificate" followed by a marker. |
//! | `VehicleId` | A 17-character VIN with a valid check digit, or an identifier after "VIN", "license plate", "plate". |
//! | `DeviceId` | After "serial", "S/N", "IMEI", "UDI", "device id". |
//!
//! # Dates
//!
//! HIPAA treats every element of a date except the year as an identifier, but booking notes are
//! full of appointment dates ("can we move it to 3/14?"). The rule is therefore:
//!
//! - after a birth cue ("DOB", "D.O.B.", "date of birth", "birth date", "birthday", "bday",
//!   "born", "birth:") any date is flagged, including a partial one ("birthday is 7/4", "born in
//!   March 1985"), but never a year alone ("born in 1985");
//! - without a cue, only a *full* date (day, month and four-digit year) whose year is between
//!   1900 and 2009 is flagged, in the forms `MM/DD/YYYY` (also with `-` or `.`, or day first),
//!   `YYYY-MM-DD` and `March 3, 1985` / `3 March 1985`. Such a date is too old to be an
//!   appointment and is almost always a date of birth. Recent full dates ("3/14/2025"), partial
//!   dates ("on 3/14", "Dec 5"), weekdays and years alone are not flagged.
//!
//! # Overlaps
//!
//! Findings never overlap. When two candidates do, the more specific one is kept, in this
//! order: anything found after a cue word (so "fax 415-555-2672" is a fax number and "account #
//! 4111..." an account number), SSN, payment card, URL, email, IP address, uncued date, phone,
//! VIN, street address, ZIP code. Within one rank the one found first, scanning left to
//! right, wins. A cue word that is itself part of an email address or URL (`dl0a00a@a.com`,
//! `https://example.org/mrn/12345`) is not a cue, so the address is reported whole.
//!
//! # Limitations
//!
//! - Not detected: names, cities and counties without a ZIP code, biometric identifiers and
//!   photos (HIPAA identifiers 1, 2 in part, 16 and 17); international phone formats; IPv6;
//!   identifiers with no cue word and no distinctive format; partial SSNs ("last 4 of my SSN
//!   6789"); numbers written as words; obfuscated emails ("jane at example dot com"); dates
//!   with a two-digit year unless after a birth cue; birth dates after 2009 without a cue.
//! - An old full date that is not a birth date ("migraines since 3 March 1999") is still
//!   reported as `DateOfBirth`: it is a HIPAA date element all the same.
//! - Word boundaries outside ASCII are approximated by Unicode block (see `is_word_char`), not
//!   by the full Unicode tables, to keep the wasm small.
//! - Working memory is at most five bytes per byte of text while resolving overlaps.

use core::fmt;

/// A kind of identifier that [`scan`] can find, from the HIPAA Safe Harbor list.
///
/// New kinds may be added; [`PhiKind::as_str`] names are stable.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PhiKind {
    /// A Social Security number.
    Ssn,
    /// A medical record number or patient/chart id.
    MedicalRecordNumber,
    /// A health plan beneficiary, member, policy or Medicare/Medicaid number.
    HealthPlanOrInsuranceId,
    /// A bank or billing account number.
    AccountNumber,
    /// A payment card number (Luhn-valid).
    CreditCard,
    /// A telephone number.
    PhoneNumber,
    /// A fax number.
    FaxNumber,
    /// An email address.
    Email,
    /// A date of birth (or another full date old enough to be one).
    DateOfBirth,
    /// A street address or PO box.
    StreetAddress,
    /// A ZIP code.
    ZipCode,
    /// A driver's license, passport or other license/certificate number.
    LicenseNumber,
    /// A vehicle identification number or license plate.
    VehicleId,
    /// A medical device serial number or other device identifier.
    DeviceId,
    /// An IPv4 address.
    IpAddress,
    /// A web address.
    Url,
}

impl PhiKind {
    /// Every kind, in declaration order.
    pub const ALL: &'static [PhiKind] = &[
        Self::Ssn,
        Self::MedicalRecordNumber,
        Self::HealthPlanOrInsuranceId,
        Self::AccountNumber,
        Self::CreditCard,
        Self::PhoneNumber,
        Self::FaxNumber,
        Self::Email,
        Self::DateOfBirth,
        Self::StreetAddress,
        Self::ZipCode,
        Self::LicenseNumber,
        Self::VehicleId,
        Self::DeviceId,
        Self::IpAddress,
        Self::Url,
    ];

    /// A stable lowercase name, e.g. `"ssn"` or `"date_of_birth"`, for the JS API and logs.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Ssn => "ssn",
            Self::MedicalRecordNumber => "mrn",
            Self::HealthPlanOrInsuranceId => "health_plan_id",
            Self::AccountNumber => "account_number",
            Self::CreditCard => "credit_card",
            Self::PhoneNumber => "phone",
            Self::FaxNumber => "fax",
            Self::Email => "email",
            Self::DateOfBirth => "date_of_birth",
            Self::StreetAddress => "street_address",
            Self::ZipCode => "zip_code",
            Self::LicenseNumber => "license_number",
            Self::VehicleId => "vehicle_id",
            Self::DeviceId => "device_id",
            Self::IpAddress => "ip_address",
            Self::Url => "url",
        }
    }

    /// A short human description for the UI, e.g. `"Social Security number"`.
    #[must_use]
    pub const fn description(self) -> &'static str {
        match self {
            Self::Ssn => "Social Security number",
            Self::MedicalRecordNumber => "Medical record number",
            Self::HealthPlanOrInsuranceId => "Insurance or health plan ID",
            Self::AccountNumber => "Account number",
            Self::CreditCard => "Payment card number",
            Self::PhoneNumber => "Phone number",
            Self::FaxNumber => "Fax number",
            Self::Email => "Email address",
            Self::DateOfBirth => "Date of birth",
            Self::StreetAddress => "Street address",
            Self::ZipCode => "ZIP code",
            Self::LicenseNumber => "Driver's license or other license number",
            Self::VehicleId => "Vehicle ID or license plate",
            Self::DeviceId => "Device serial number",
            Self::IpAddress => "IP address",
            Self::Url => "Web address",
        }
    }
}

impl fmt::Display for PhiKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One identifier found by [`scan`]: its kind and its byte range in the scanned text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Finding {
    /// What was found.
    pub kind: PhiKind,
    /// Byte offset of the first byte (inclusive); always a `char` boundary.
    pub start: usize,
    /// Byte offset just past the last byte (exclusive); always a `char` boundary.
    pub end: usize,
}

impl Finding {
    /// The matched text, or `None` if `text` is not the text that was scanned.
    #[must_use]
    pub fn text<'a>(&self, text: &'a str) -> Option<&'a str> {
        text.get(self.start..self.end)
    }
}

/// Finds the identifiers in `text`, sorted by start and non-overlapping.
///
/// Offsets are bytes into `text` (UTF-8), as Rust string slicing expects; a JS caller that
/// needs UTF-16 offsets converts them at the boundary.
#[must_use]
pub fn scan(text: &str) -> Vec<Finding> {
    let scanner = Scanner { text, b: text.as_bytes(), found: Vec::new() };
    resolve(&scanner.run(), text.len())
}

// Ranks for overlap resolution; higher wins. See "Overlaps" in the module docs.
const RANK_CUED: u8 = 100;
const RANK_SSN: u8 = 90;
const RANK_CARD: u8 = 80;
const RANK_URL: u8 = 75;
const RANK_EMAIL: u8 = 70;
const RANK_IP: u8 = 60;
const RANK_DATE: u8 = 50;
const RANK_PHONE: u8 = 40;
const RANK_VIN: u8 = 30;
const RANK_ADDRESS: u8 = 20;
const RANK_ZIP: u8 = 10;

/// Uncued full dates are flagged when their year is in this range (see "Dates").
const UNCUED_BIRTH_YEARS: core::ops::RangeInclusive<u16> = 1900..=2009;
/// Four-digit years accepted in dates at all.
const YEARS: core::ops::RangeInclusive<u16> = 1900..=2099;
/// Longest URL considered; bounds the work per `http` in adversarial input.
const MAX_URL: usize = 2048;
/// Bytes of filler ("is", "#", ":", "my") allowed between a cue word and its value.
const MAX_FILLER: usize = 40;

#[derive(Debug, Clone, Copy)]
struct Candidate {
    kind: PhiKind,
    start: usize,
    end: usize,
    rank: u8,
    /// Where the match began: the cue word for a cued value, else `start`.
    from: usize,
}

/// Ranks from most to least specific.
const RANKS: [u8; 11] = [
    RANK_CUED,
    RANK_SSN,
    RANK_CARD,
    RANK_URL,
    RANK_EMAIL,
    RANK_IP,
    RANK_DATE,
    RANK_PHONE,
    RANK_VIN,
    RANK_ADDRESS,
    RANK_ZIP,
];

/// Keeps the best non-overlapping candidates, sorted by start.
///
/// Each byte of the text records which candidate claimed it, so overlap checks cost the
/// length of the span and the result comes out in text order: no sorting (whose code is
/// kilobytes of wasm) and linear time.
fn resolve(cands: &[Candidate], text_len: usize) -> Vec<Finding> {
    if cands.is_empty() {
        return Vec::new();
    }
    // A cue word inside an email address or URL ("dl0a00a@a.com", "https://x.org/mrn1234") is
    // not a cue: the address wins.
    let is_address = |c: &Candidate| matches!(c.kind, PhiKind::Email | PhiKind::Url);
    let mut in_address = Vec::new();
    if cands.iter().any(is_address) && cands.iter().any(|c| c.rank == RANK_CUED) {
        in_address = vec![false; text_len];
        for c in cands.iter().filter(|c| is_address(c)) {
            if let Some(span) = in_address.get_mut(c.start..c.end) {
                span.fill(true);
            }
        }
    }
    let cue_in_address = |c: &Candidate| c.rank == RANK_CUED && in_address.get(c.from).is_some_and(|&a| a);
    // 0: free; otherwise 1 + the index of the candidate that owns the byte.
    let mut owner = vec![0u32; text_len];
    for rank in RANKS {
        for (idx, c) in cands.iter().enumerate().filter(|(_, c)| c.rank == rank && !cue_in_address(c)) {
            let (Ok(id), Some(span)) = (u32::try_from(idx + 1), owner.get_mut(c.start..c.end)) else { continue };
            if span.iter().all(|&o| o == 0) {
                span.fill(id);
            }
        }
    }
    let mut out = Vec::new();
    let mut prev = 0;
    for &o in &owner {
        if o != 0
            && o != prev
            && let Some(c) = cands.get(o as usize - 1)
        {
            out.push(Finding { kind: c.kind, start: c.start, end: c.end });
        }
        prev = o;
    }
    out
}

/// What follows a cue word.
#[derive(Clone, Copy)]
enum Value {
    /// An alphanumeric identifier with at least one digit and at least this many characters.
    Id(PhiKind, u8),
    Ssn,
    Date,
    /// A phone number (seven digits allowed), reported as this kind.
    Phone(PhiKind),
    Zip,
}

/// A cue phrase (lowercase; a space matches any run of whitespace, `-` or `_`; an apostrophe
/// is optional and may be typographic), whether it needs a marker ("#", ":", "number", "id",
/// "no") before the value, and what value it introduces.
type Cue = (&'static str, bool, Value);

const CUES: &[Cue] = &[
    ("ssn", false, Value::Ssn),
    ("ss", true, Value::Ssn),
    ("social security", false, Value::Ssn),
    ("soc sec", false, Value::Ssn),
    ("mrn", false, Value::Id(PhiKind::MedicalRecordNumber, 4)),
    ("medical record", false, Value::Id(PhiKind::MedicalRecordNumber, 4)),
    ("med rec", false, Value::Id(PhiKind::MedicalRecordNumber, 4)),
    ("record", true, Value::Id(PhiKind::MedicalRecordNumber, 4)),
    ("chart", true, Value::Id(PhiKind::MedicalRecordNumber, 4)),
    ("patient", true, Value::Id(PhiKind::MedicalRecordNumber, 4)),
    ("pt", true, Value::Id(PhiKind::MedicalRecordNumber, 4)),
    ("member", true, Value::Id(PhiKind::HealthPlanOrInsuranceId, 4)),
    ("subscriber", true, Value::Id(PhiKind::HealthPlanOrInsuranceId, 4)),
    ("policy", true, Value::Id(PhiKind::HealthPlanOrInsuranceId, 4)),
    ("insurance", true, Value::Id(PhiKind::HealthPlanOrInsuranceId, 4)),
    ("group", true, Value::Id(PhiKind::HealthPlanOrInsuranceId, 4)),
    ("plan", true, Value::Id(PhiKind::HealthPlanOrInsuranceId, 4)),
    ("beneficiary", true, Value::Id(PhiKind::HealthPlanOrInsuranceId, 4)),
    ("medicare", false, Value::Id(PhiKind::HealthPlanOrInsuranceId, 6)),
    ("medicaid", false, Value::Id(PhiKind::HealthPlanOrInsuranceId, 6)),
    ("mbi", false, Value::Id(PhiKind::HealthPlanOrInsuranceId, 6)),
    ("hicn", false, Value::Id(PhiKind::HealthPlanOrInsuranceId, 6)),
    ("account", true, Value::Id(PhiKind::AccountNumber, 4)),
    ("acct", false, Value::Id(PhiKind::AccountNumber, 4)),
    ("routing", true, Value::Id(PhiKind::AccountNumber, 4)),
    ("driver's license", false, Value::Id(PhiKind::LicenseNumber, 5)),
    ("driver's licence", false, Value::Id(PhiKind::LicenseNumber, 5)),
    ("driver license", false, Value::Id(PhiKind::LicenseNumber, 5)),
    ("driving licence", false, Value::Id(PhiKind::LicenseNumber, 5)),
    ("license", true, Value::Id(PhiKind::LicenseNumber, 5)),
    ("licence", true, Value::Id(PhiKind::LicenseNumber, 5)),
    ("certificate", true, Value::Id(PhiKind::LicenseNumber, 5)),
    ("dl", false, Value::Id(PhiKind::LicenseNumber, 5)),
    ("dln", false, Value::Id(PhiKind::LicenseNumber, 5)),
    ("passport", false, Value::Id(PhiKind::LicenseNumber, 6)),
    ("state id", false, Value::Id(PhiKind::LicenseNumber, 5)),
    ("vin", false, Value::Id(PhiKind::VehicleId, 11)),
    ("license plate", false, Value::Id(PhiKind::VehicleId, 4)),
    ("licence plate", false, Value::Id(PhiKind::VehicleId, 4)),
    ("plate", false, Value::Id(PhiKind::VehicleId, 4)),
    ("vehicle", true, Value::Id(PhiKind::VehicleId, 4)),
    ("serial", false, Value::Id(PhiKind::DeviceId, 5)),
    ("s/n", false, Value::Id(PhiKind::DeviceId, 4)),
    ("imei", false, Value::Id(PhiKind::DeviceId, 8)),
    ("udi", false, Value::Id(PhiKind::DeviceId, 6)),
    ("device", true, Value::Id(PhiKind::DeviceId, 5)),
    ("dob", false, Value::Date),
    ("d.o.b", false, Value::Date),
    ("date of birth", false, Value::Date),
    ("birth date", false, Value::Date),
    ("birthdate", false, Value::Date),
    ("birthday", false, Value::Date),
    ("bday", false, Value::Date),
    ("b-day", false, Value::Date),
    ("born", false, Value::Date),
    ("birth", true, Value::Date),
    ("phone", false, Value::Phone(PhiKind::PhoneNumber)),
    ("ph", false, Value::Phone(PhiKind::PhoneNumber)),
    ("tel", false, Value::Phone(PhiKind::PhoneNumber)),
    ("telephone", false, Value::Phone(PhiKind::PhoneNumber)),
    ("cell", false, Value::Phone(PhiKind::PhoneNumber)),
    ("mobile", false, Value::Phone(PhiKind::PhoneNumber)),
    ("call", false, Value::Phone(PhiKind::PhoneNumber)),
    ("text", false, Value::Phone(PhiKind::PhoneNumber)),
    ("reach", false, Value::Phone(PhiKind::PhoneNumber)),
    ("contact", false, Value::Phone(PhiKind::PhoneNumber)),
    ("fax", false, Value::Phone(PhiKind::FaxNumber)),
    ("facsimile", false, Value::Phone(PhiKind::FaxNumber)),
    ("zip", false, Value::Zip),
    ("zip code", false, Value::Zip),
    ("zipcode", false, Value::Zip),
    ("postal code", false, Value::Zip),
    ("postcode", false, Value::Zip),
];

/// Words between a cue and its value that say "an identifier follows".
const MARKERS: &[&str] = &["number", "num", "nbr", "no", "id", "ids"];
/// Words between a cue and its value that carry nothing.
const FILLERS: &[&str] = &["is", "was", "my", "the", "of", "on", "in", "at", "me", "am", "are", "be", "its", "it's"];

const MONTHS: &[&str] = &[
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];
const MONTH_ABBREVS: &[&str] = &["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];

/// Street suffixes: (word, is an abbreviation that may take a period).
const STREET_SUFFIXES: &[(&str, bool)] = &[
    ("street", false),
    ("st", true),
    ("avenue", false),
    ("ave", true),
    ("av", true),
    ("road", false),
    ("rd", true),
    ("boulevard", false),
    ("blvd", true),
    ("lane", false),
    ("ln", true),
    ("drive", false),
    ("dr", true),
    ("court", false),
    ("ct", true),
    ("circle", false),
    ("cir", true),
    ("way", false),
    ("place", false),
    ("pl", true),
    ("parkway", false),
    ("pkwy", true),
    ("highway", false),
    ("hwy", true),
    ("terrace", false),
    ("ter", true),
    ("trail", false),
    ("trl", true),
    ("square", false),
    ("sq", true),
    ("plaza", false),
    ("plz", true),
    ("alley", false),
    ("crescent", false),
    ("pike", false),
    ("turnpike", false),
    ("freeway", false),
    ("expressway", false),
];
const DIRECTIONS: &[&str] = &[
    "n",
    "s",
    "e",
    "w",
    "ne",
    "nw",
    "se",
    "sw",
    "north",
    "south",
    "east",
    "west",
    "northeast",
    "northwest",
    "southeast",
    "southwest",
];
const UNIT_WORDS: &[&str] =
    &["apt", "apartment", "unit", "suite", "ste", "bldg", "building", "fl", "floor", "rm", "room"];
/// Words that cannot be part of a street name: they turn "a 45 minute drive", "2 hours to drive"
/// or "room 5 with Dr" into non-addresses.
const NOT_STREET_NAME: &[&str] = &[
    "a", "an", "the", "and", "or", "nor", "but", "so", "yet", "if", "then", "than", "of", "to", "for", "from", "at",
    "in", "on", "by", "with", "without", "within", "per", "via", "off", "out", "over", "under", "into", "onto", "up",
    "down", "about", "above", "across", "after", "before", "behind", "below", "between", "beyond", "during", "near",
    "past", "since", "through", "until", "around", "my", "your", "his", "her", "its", "our", "their", "this", "that",
    "these", "those", "i", "me", "you", "he", "she", "it", "we", "they", "him", "them", "us", "is", "are", "was",
    "were", "be", "been", "am", "pm", "do", "does", "did", "have", "has", "had", "will", "would", "can", "could",
    "should", "may", "might", "must", "more", "less", "each", "every", "other", "times", "time", "x", "ago", "second",
    "seconds", "sec", "minute", "minutes", "min", "mins", "hour", "hours", "hr", "hrs", "day", "days", "week", "weeks",
    "wk", "wks", "month", "months", "year", "years", "yr", "yrs", "mile", "miles", "mi", "km", "block", "blocks", "mg",
    "mcg", "ml", "lb", "lbs", "kg", "pound", "pounds", "ft", "feet", "inch", "inches", "percent", "people", "kids",
    "children", "patients",
];
/// Postal codes of the states, DC and territories (matched in uppercase only: "IN", "OR", "ME").
const STATE_CODES: &[&str] = &[
    "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "DC", "FL", "GA", "HI", "ID", "IL", "IN", "IA", "KS", "KY", "LA",
    "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ", "NM", "NY", "NC", "ND", "OH", "OK", "OR",
    "PA", "RI", "SC", "SD", "TN", "TX", "UT", "VT", "VA", "WA", "WV", "WI", "WY", "PR", "GU", "VI", "AS", "MP",
];
const STATE_NAMES: &[&str] = &[
    "alabama",
    "alaska",
    "arizona",
    "arkansas",
    "california",
    "colorado",
    "connecticut",
    "delaware",
    "district of columbia",
    "florida",
    "georgia",
    "hawaii",
    "idaho",
    "illinois",
    "indiana",
    "iowa",
    "kansas",
    "kentucky",
    "louisiana",
    "maine",
    "maryland",
    "massachusetts",
    "michigan",
    "minnesota",
    "mississippi",
    "missouri",
    "montana",
    "nebraska",
    "nevada",
    "new hampshire",
    "new jersey",
    "new mexico",
    "new york",
    "north carolina",
    "north dakota",
    "ohio",
    "oklahoma",
    "oregon",
    "pennsylvania",
    "rhode island",
    "south carolina",
    "south dakota",
    "tennessee",
    "texas",
    "utah",
    "vermont",
    "virginia",
    "washington",
    "west virginia",
    "wisconsin",
    "wyoming",
    "puerto rico",
];
const PO_BOXES: &[&str] = &["po box", "p.o. box", "p.o.box", "p. o. box", "p o box", "post office box"];

fn in_list(word: &[u8], list: &[&str]) -> bool {
    list.iter().any(|w| w.as_bytes().eq_ignore_ascii_case(word))
}

fn month_of(word: &[u8]) -> bool {
    in_list(word, MONTHS) || in_list(word, MONTH_ABBREVS) || word.eq_ignore_ascii_case(b"sept")
}

/// Whether `c` is part of a word: ASCII letters and digits, and (approximated by block, since
/// exact Unicode tables cost kilobytes of wasm) letters of scripts that separate words with
/// spaces, from Latin-1 to Greek Extended, plus Hangul. Punctuation, symbols, emoji, CJK and
/// kana count as boundaries, so "電話415-555-2671" is still found.
fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric()
        || (matches!(c, '\u{c0}'..='\u{1fff}' | '\u{ac00}'..='\u{d7a3}') && c != '\u{d7}' && c != '\u{f7}')
}

fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t')
}

/// The value of `digits` (at most 9 of them), or `None` if any byte is not a digit.
fn number(digits: &[u8]) -> Option<u32> {
    if digits.is_empty() || digits.len() > 9 {
        return None;
    }
    digits.iter().try_fold(0u32, |acc, d| d.is_ascii_digit().then(|| acc * 10 + u32::from(d - b'0')))
}

fn luhn(digits: &[u8]) -> bool {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, d)| {
            let v = u32::from(*d);
            if i % 2 == 1 { if v * 2 > 9 { v * 2 - 9 } else { v * 2 } } else { v }
        })
        .sum();
    sum.is_multiple_of(10)
}

fn valid_ssn(area: u32, group: u32, serial: u32) -> bool {
    area != 0 && area != 666 && area < 900 && group != 0 && serial != 0
}

/// Checks the ISO 3779 / 49 CFR 565 check digit (position 9) of a 17-character VIN.
fn vin_check(vin: &[u8]) -> bool {
    const WEIGHTS: [u32; 17] = [8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2];
    if vin.len() != 17 {
        return false;
    }
    let mut sum = 0u32;
    for (c, w) in vin.iter().zip(WEIGHTS) {
        let v = match c.to_ascii_uppercase() {
            d @ b'0'..=b'9' => u32::from(d - b'0'),
            b'A' | b'J' => 1,
            b'B' | b'K' | b'S' => 2,
            b'C' | b'L' | b'T' => 3,
            b'D' | b'M' | b'U' => 4,
            b'E' | b'N' | b'V' => 5,
            b'F' | b'W' => 6,
            b'G' | b'P' | b'X' => 7,
            b'H' | b'Y' => 8,
            b'R' | b'Z' => 9,
            _ => return false, // I, O, Q and anything else
        };
        sum += v * w;
    }
    let check = match sum % 11 {
        10 => b'X',
        r => b'0' + r as u8,
    };
    vin.get(8).is_some_and(|c| c.to_ascii_uppercase() == check)
}

/// A date recognised by [`Scanner::date`].
#[derive(Debug, Clone, Copy)]
struct DateMatch {
    end: usize,
    has_day: bool,
    /// The year if written with four digits.
    year4: Option<u16>,
}

impl DateMatch {
    /// Whether the date is flagged without a birth cue (see "Dates" in the module docs).
    fn is_uncued_birth_date(self) -> bool {
        self.has_day && self.year4.is_some_and(|y| UNCUED_BIRTH_YEARS.contains(&y))
    }
}

struct Scanner<'a> {
    text: &'a str,
    b: &'a [u8],
    found: Vec<Candidate>,
}

impl Scanner<'_> {
    // ---- Byte and character helpers -------------------------------------------------------

    /// The byte at `i`, or 0 past the end (0 is neither a digit, a letter nor a separator).
    fn at(&self, i: usize) -> u8 {
        self.b.get(i).copied().unwrap_or(0)
    }

    fn digit(&self, i: usize) -> bool {
        self.at(i).is_ascii_digit()
    }

    fn slice(&self, start: usize, end: usize) -> &[u8] {
        self.b.get(start..end).unwrap_or_default()
    }

    fn prev_char(&self, i: usize) -> Option<char> {
        self.text.get(..i).and_then(|s| s.chars().next_back())
    }

    fn next_char(&self, i: usize) -> Option<char> {
        self.text.get(i..).and_then(|s| s.chars().next())
    }

    /// Whether a letter or digit (in any script) touches position `i` from the left.
    fn alnum_before(&self, i: usize) -> bool {
        self.prev_char(i).is_some_and(is_word_char)
    }

    fn alnum_after(&self, i: usize) -> bool {
        self.next_char(i).is_some_and(is_word_char)
    }

    /// Number of consecutive ASCII digits from `i` (counting stops at 20).
    fn digits_from(&self, i: usize) -> usize {
        (0..20).take_while(|&k| self.digit(i + k)).count()
    }

    /// Whether exactly `n` digits start at `i`.
    fn digits_exact(&self, i: usize, n: usize) -> bool {
        self.digits_from(i) == n
    }

    fn num(&self, i: usize, n: usize) -> u32 {
        number(self.slice(i, i + n)).unwrap_or(0)
    }

    /// End of the run of ASCII letters from `i`.
    fn letters_end(&self, i: usize) -> usize {
        let mut j = i;
        while self.at(j).is_ascii_alphabetic() && j - i < 64 {
            j += 1;
        }
        j
    }

    fn spaces_end(&self, i: usize) -> usize {
        let mut j = i;
        while is_space(self.at(j)) && j - i < 8 {
            j += 1;
        }
        j
    }

    /// A number may start at `i`: nothing alphanumeric before it, and it does not continue a
    /// number like "1.5", "3/4" or "10-12".
    fn num_left_ok(&self, i: usize) -> bool {
        if self.alnum_before(i) {
            return false;
        }
        let p = i.checked_sub(1).map_or(0, |p| self.at(p));
        !(matches!(p, b'-' | b'.' | b'/' | b':') && i >= 2 && self.digit(i - 2))
    }

    /// A number may end at `i`: nothing alphanumeric after it, and it is not continued by a
    /// separator and another digit.
    fn num_right_ok(&self, i: usize) -> bool {
        !(self.alnum_after(i) || (matches!(self.at(i), b'-' | b'.' | b'/' | b':') && self.digit(i + 1)))
    }

    /// Case-insensitive match of a cue or keyword phrase at `i`; returns its end. A space in
    /// `phrase` matches one or more spaces, tabs, newlines, `-` or `_`; an apostrophe matches
    /// `'`, `’` or nothing.
    fn phrase(&self, i: usize, phrase: &str) -> Option<usize> {
        let mut j = i;
        for &p in phrase.as_bytes() {
            match p {
                b' ' => {
                    let s = j;
                    while matches!(self.at(j), b' ' | b'\t' | b'\n' | b'\r' | b'-' | b'_') && j - s < 8 {
                        j += 1;
                    }
                    if j == s {
                        return None;
                    }
                }
                b'\'' => {
                    if self.at(j) == b'\'' {
                        j += 1;
                    } else if self.slice(j, j + 3) == "\u{2019}".as_bytes() {
                        j += 3;
                    }
                }
                _ => {
                    if !self.at(j).eq_ignore_ascii_case(&p) {
                        return None;
                    }
                    j += 1;
                }
            }
        }
        Some(j)
    }

    fn push(&mut self, kind: PhiKind, start: usize, end: usize, rank: u8) {
        // Every detector starts and ends on ASCII bytes; checked again so no input can yield a
        // span that is not a valid `str` range.
        if start < end && self.text.get(start..end).is_some() {
            self.found.push(Candidate { kind, start, end, rank, from: start });
        }
    }

    /// A value found after the cue word that starts at `cue`.
    fn push_cued(&mut self, kind: PhiKind, cue: usize, start: usize, end: usize) {
        if start < end && self.text.get(start..end).is_some() {
            self.found.push(Candidate { kind, start, end, rank: RANK_CUED, from: cue });
        }
    }

    // ---- Driver -----------------------------------------------------------------------------

    fn run(mut self) -> Vec<Candidate> {
        for i in 0..self.b.len() {
            let c = self.at(i);
            match c {
                b'@' => self.email(i),
                b'+' => {
                    if let Some(e) = self.phone(i, false) {
                        self.push(PhiKind::PhoneNumber, i, e, RANK_PHONE);
                    }
                }
                b'(' => {
                    if let Some(e) = self.phone(i, false) {
                        self.push(PhiKind::PhoneNumber, i, e, RANK_PHONE);
                    }
                }
                _ if c.is_ascii_alphanumeric() && !self.alnum_before(i) => self.word_start(i),
                _ => {}
            }
        }
        self.found
    }

    /// Everything that can start at the beginning of a word.
    fn word_start(&mut self, i: usize) {
        let c = self.at(i);
        if c.is_ascii_alphabetic() {
            self.cue(i);
            self.url(i);
            self.state_zip(i);
            self.po_box(i);
        }
        if let Some(d) = self.date(i)
            && d.is_uncued_birth_date()
            && self.num_left_ok(i)
        {
            self.push(PhiKind::DateOfBirth, i, d.end, RANK_DATE);
        }
        self.vin(i);
        if !c.is_ascii_digit() || !self.num_left_ok(i) {
            return;
        }
        if let Some(e) = self.ssn(i, false) {
            self.push(PhiKind::Ssn, i, e, RANK_SSN);
        }
        if let Some(e) = self.phone(i, false) {
            self.push(PhiKind::PhoneNumber, i, e, RANK_PHONE);
        }
        if let Some(e) = self.card(i) {
            self.push(PhiKind::CreditCard, i, e, RANK_CARD);
        }
        if let Some(e) = self.ipv4(i) {
            self.push(PhiKind::IpAddress, i, e, RANK_IP);
        }
        if let Some(e) = self.street_address(i) {
            self.push(PhiKind::StreetAddress, i, e, RANK_ADDRESS);
        }
    }

    // ---- Cues -------------------------------------------------------------------------------

    fn cue(&mut self, i: usize) {
        let first = self.at(i).to_ascii_lowercase();
        let mut best: Option<(usize, &Cue)> = None;
        for cue in CUES {
            if cue.0.as_bytes().first() != Some(&first) {
                continue;
            }
            if let Some(end) = self.phrase(i, cue.0) {
                // A cue is a whole word, though digits may follow it directly ("MRN12345").
                let glued = self.next_char(end).is_some_and(|c| is_word_char(c) && !c.is_ascii_digit());
                if !glued && best.is_none_or(|(e, _)| end > e) {
                    best = Some((end, cue));
                }
            }
        }
        let Some((end, &(_, needs_marker, value))) = best else { return };
        let Some(v) = self.skip_filler(end, needs_marker) else { return };
        match value {
            Value::Id(kind, min) => {
                if let Some(e) = self.id_token(v, usize::from(min)) {
                    self.push_cued(kind, i, v, e);
                }
            }
            Value::Ssn => {
                if let Some(e) = self.ssn(v, true) {
                    self.push_cued(PhiKind::Ssn, i, v, e);
                }
            }
            Value::Date => {
                if let Some(d) = self.date(v) {
                    self.push_cued(PhiKind::DateOfBirth, i, v, d.end);
                }
            }
            Value::Phone(kind) => {
                if let Some(e) = self.phone(v, true) {
                    self.push_cued(kind, i, v, e);
                }
            }
            Value::Zip => {
                if let Some(e) = self.zip(v) {
                    self.push_cued(PhiKind::ZipCode, i, v, e);
                }
            }
        }
    }

    /// Skips what may stand between a cue and its value ("is", "#", ": ", "number") and returns
    /// where the value should start; `None` if a marker was needed and not seen.
    fn skip_filler(&self, mut j: usize, needs_marker: bool) -> Option<usize> {
        let start = j;
        let mut marked = false;
        while j - start <= MAX_FILLER {
            let c = self.at(j);
            match c {
                b':' | b'#' | b'=' => {
                    marked = true;
                    j += 1;
                }
                b'(' if self.digit(j + 1) => break, // "(415) 555-2671"
                b' ' | b'\t' | b'\r' | b'\n' | b'-' | b'.' | b',' | b'(' | b')' | b'"' | b'\'' => j += 1,
                _ if c.is_ascii_alphabetic() => {
                    let e = self.letters_end(j);
                    if self.digit(e) {
                        break; // "ID12345" is the value itself
                    }
                    let w = self.slice(j, e);
                    if in_list(w, MARKERS) {
                        marked = true;
                    } else if !in_list(w, FILLERS) {
                        break;
                    }
                    j = e;
                }
                _ => break,
            }
        }
        (marked || !needs_marker).then_some(j)
    }

    /// One group of an identifier: letters and digits with inner hyphens. Returns (end,
    /// characters, digits, has hyphen).
    fn id_group(&self, i: usize) -> Option<(usize, usize, usize, bool)> {
        let (mut j, mut len, mut digits, mut hyphen) = (i, 0, 0, false);
        loop {
            let c = self.at(j);
            if c.is_ascii_alphanumeric() {
                len += 1;
                digits += usize::from(c.is_ascii_digit());
                if len > 32 {
                    return None;
                }
                j += 1;
            } else if c == b'-' && len > 0 && self.at(j + 1).is_ascii_alphanumeric() {
                hyphen = true;
                j += 1;
            } else {
                break;
            }
        }
        (len > 0).then_some((j, len, digits, hyphen))
    }

    /// An identifier after a cue: "A12-77431", "XGP123456789", "BCX 99812", "123 456 789".
    fn id_token(&self, i: usize, min: usize) -> Option<usize> {
        let (mut end, mut len, mut digits, hyphen) = self.id_group(i)?;
        // Space-separated groups join only when the token so far is all digits or a short
        // uppercase prefix, and the next group is at least three digits: "ABC 1234" and
        // "123 456 789", but not "12345 2pm" or "since 2019".
        let prefix = digits == 0 && len <= 4 && self.slice(i, end).iter().all(u8::is_ascii_uppercase);
        let mut joinable = !hyphen && (prefix || digits == len);
        while joinable && self.at(end) == b' ' && self.digit(end + 1) {
            let Some((e, l, d, h)) = self.id_group(end + 1) else { break };
            if h || d != l || l < 3 || len + l > 32 {
                break;
            }
            (end, len, digits) = (e, len + l, digits + d);
            joinable = true;
        }
        (digits > 0 && len >= min && !self.alnum_after(end)).then_some(end)
    }

    // ---- Numbers with a fixed shape -----------------------------------------------------------

    /// `123-45-6789` or `123 45 6789`; when `cued`, also `123.45.6789` and `123456789`.
    fn ssn(&self, i: usize, cued: bool) -> Option<usize> {
        if !self.num_left_ok(i) {
            return None;
        }
        let sep = self.at(i + 3);
        let (group, serial, end) = if self.digits_exact(i, 3) && (matches!(sep, b'-' | b' ') || (cued && sep == b'.')) {
            if !self.digits_exact(i + 4, 2) || self.at(i + 6) != sep || !self.digits_exact(i + 7, 4) {
                return None;
            }
            (i + 4, i + 7, i + 11)
        } else if cued && self.digits_exact(i, 9) {
            (i + 3, i + 5, i + 9)
        } else {
            return None;
        };
        (self.num_right_ok(end) && valid_ssn(self.num(i, 3), self.num(group, 2), self.num(serial, 4))).then_some(end)
    }

    /// A North American phone number starting at `i` (at `+`, `(` or a digit). With `cued`,
    /// seven-digit local numbers are accepted too.
    fn phone(&self, i: usize, cued: bool) -> Option<usize> {
        let end = match self.at(i) {
            b'+' => {
                if self.at(i + 1) != b'1' || self.alnum_before(i) {
                    return None;
                }
                let j = if matches!(self.at(i + 2), b' ' | b'-' | b'.') { i + 3 } else { i + 2 };
                self.nanp(j)?
            }
            b'(' => {
                if self.prev_char(i).is_some_and(|c| c.is_ascii_digit()) {
                    return None;
                }
                self.nanp(i)?
            }
            c if c.is_ascii_digit() && self.num_left_ok(i) => {
                let with_prefix = if c == b'1' && matches!(self.at(i + 1), b' ' | b'-' | b'.') {
                    self.nanp(i + 2)
                } else if c == b'1' && self.digits_exact(i, 11) {
                    self.nanp(i + 1)
                } else {
                    None
                };
                match with_prefix.or_else(|| self.nanp(i)) {
                    Some(e) => e,
                    None if cued => self.seven(i)?,
                    None => return None,
                }
            }
            _ => return None,
        };
        Some(self.extension(end))
    }

    /// Area code, exchange and line: `(415) 555-2671`, `415-555-2671`, `415.555.2671`,
    /// `415 555 2671`, `415 555-2671`, `4155552671`.
    fn nanp(&self, j: usize) -> Option<usize> {
        let (area, exchange, end) = if self.at(j) == b'(' {
            if !self.digits_exact(j + 1, 3) || self.at(j + 4) != b')' {
                return None;
            }
            let k = if matches!(self.at(j + 5), b' ' | b'-') { j + 6 } else { j + 5 };
            if !self.digits_exact(k, 3) || !matches!(self.at(k + 3), b'-' | b' ' | b'.') || !self.digits_exact(k + 4, 4)
            {
                return None;
            }
            (j + 1, k, k + 8)
        } else if self.digits_exact(j, 10) {
            (j, j + 3, j + 10)
        } else if self.digits_exact(j, 3) {
            let (s1, s2) = (self.at(j + 3), self.at(j + 7));
            let seps_ok = matches!(s1, b' ' | b'-' | b'.') && (s1 == s2 || (s1 == b' ' && s2 == b'-'));
            if !seps_ok || !self.digits_exact(j + 4, 3) || !self.digits_exact(j + 8, 4) {
                return None;
            }
            (j, j + 4, j + 12)
        } else {
            return None;
        };
        let nanp_ok = matches!(self.at(area), b'2'..=b'9') && matches!(self.at(exchange), b'2'..=b'9');
        (nanp_ok && self.num_right_ok(end)).then_some(end)
    }

    /// A local number `555-2671` or `555.2671` (only after a phone cue).
    fn seven(&self, i: usize) -> Option<usize> {
        let ok = self.digits_exact(i, 3)
            && matches!(self.at(i + 3), b'-' | b'.')
            && self.digits_exact(i + 4, 4)
            && matches!(self.at(i), b'2'..=b'9')
            && self.num_right_ok(i + 8);
        ok.then_some(i + 8)
    }

    /// Extends a phone number over an extension: `x12`, ` ext. 123`, ` x 4`.
    fn extension(&self, end: usize) -> usize {
        let mut j = self.spaces_end(end);
        if let Some(e) = self.phrase(j, "ext").or_else(|| self.phrase(j, "x")) {
            j = e;
        } else {
            return end;
        }
        if self.at(j) == b'.' {
            j += 1;
        }
        j = self.spaces_end(j);
        let n = self.digits_from(j);
        if (1..=5).contains(&n) && !self.alnum_after(j + n) { j + n } else { end }
    }

    /// 13 to 19 digits, optionally in groups of at least three separated by one space or
    /// hyphen, Luhn-valid and starting with 2 to 6.
    fn card(&self, i: usize) -> Option<usize> {
        // Not the tail of a longer grouped number.
        if let Some(p) = i.checked_sub(1)
            && matches!(self.at(p), b' ' | b'-')
            && p >= 1
            && self.digit(p - 1)
        {
            return None;
        }
        let mut digits = [0u8; 19];
        let (mut n, mut j, mut group, mut sep) = (0usize, i, 0usize, None);
        loop {
            let c = self.at(j);
            if c.is_ascii_digit() {
                *digits.get_mut(n)? = c - b'0';
                n += 1;
                group += 1;
                j += 1;
            } else if matches!(c, b' ' | b'-')
                && self.digit(j + 1)
                && group >= 3
                && sep.is_none_or(|s| s == c)
                && (3..=19 - n).contains(&self.digits_from(j + 1))
            {
                sep = Some(c);
                group = 0;
                j += 1;
            } else {
                break;
            }
        }
        let digits = digits.get(..n)?;
        let first = *digits.first()?;
        let ok = (13..=19).contains(&n)
            && (2..=6).contains(&first)
            && digits.iter().any(|&d| d != first)
            && luhn(digits)
            && self.num_right_ok(j);
        ok.then_some(j)
    }

    /// Dotted IPv4: four octets 0 to 255 without leading zeros.
    fn ipv4(&self, i: usize) -> Option<usize> {
        if i > 0 && self.at(i - 1) == b'.' {
            return None;
        }
        let mut j = i;
        for k in 0..4 {
            if k > 0 {
                if self.at(j) != b'.' {
                    return None;
                }
                j += 1;
            }
            let n = self.digits_from(j);
            if n == 0 || n > 3 || (n > 1 && self.at(j) == b'0') || self.num(j, n) > 255 {
                return None;
            }
            j += n;
        }
        (!(self.alnum_after(j) || (self.at(j) == b'.' && self.digit(j + 1)))).then_some(j)
    }

    /// Five digits, optionally `-` and four more.
    fn zip(&self, i: usize) -> Option<usize> {
        if !self.digits_exact(i, 5) || self.num(i, 5) == 0 || !self.num_left_ok(i) {
            return None;
        }
        let end = if self.at(i + 5) == b'-' && self.digits_exact(i + 6, 4) { i + 10 } else { i + 5 };
        self.num_right_ok(end).then_some(end)
    }

    // ---- Dates ------------------------------------------------------------------------------

    /// Any date at `i`: numeric (`3/14`, `03/14/1985`, `12.25.90`, `1985-03-14`), month first
    /// (`March 3`, `Mar. 3rd, 1985`, `March 1985`) or day first (`3 March 1985`, `3rd of March`).
    /// A year alone is not a date.
    fn date(&self, i: usize) -> Option<DateMatch> {
        let c = self.at(i);
        if c.is_ascii_digit() {
            if !self.num_left_ok(i) {
                return None;
            }
            self.numeric_date(i).or_else(|| self.day_month_date(i))
        } else if c.is_ascii_alphabetic() {
            self.month_first_date(i)
        } else {
            None
        }
    }

    fn numeric_date(&self, i: usize) -> Option<DateMatch> {
        let n1 = self.digits_from(i);
        let v1 = self.num(i, n1);
        let sep = self.at(i + n1);
        if !matches!(sep, b'/' | b'-' | b'.') {
            return None;
        }
        let j = i + n1 + 1;
        let n2 = self.digits_from(j);
        if !(1..=2).contains(&n2) {
            return None;
        }
        let v2 = self.num(j, n2);
        let k = j + n2;
        if n1 == 4 {
            // Year first: 1985-03-14.
            let n3 = self.digits_from(k + 1);
            let (month, day) = (v2, self.num(k + 1, n3));
            let year = u16::try_from(v1).ok()?;
            let ok = self.at(k) == sep
                && (1..=2).contains(&n3)
                && (1..=12).contains(&month)
                && (1..=31).contains(&day)
                && YEARS.contains(&year)
                && self.num_right_ok(k + 1 + n3);
            return ok.then_some(DateMatch { end: k + 1 + n3, has_day: true, year4: Some(year) });
        }
        // Month and day in either order: 3/14, 14.3.
        let valid = |a: u32, b: u32| (1..=12).contains(&a) && (1..=31).contains(&b);
        if !(1..=2).contains(&n1) || !(valid(v1, v2) || valid(v2, v1)) {
            return None;
        }
        if self.at(k) == sep && self.digit(k + 1) {
            let n3 = self.digits_from(k + 1);
            let end = k + 1 + n3;
            let year4 = match n3 {
                2 => None,
                4 => Some(u16::try_from(self.num(k + 1, 4)).ok().filter(|y| YEARS.contains(y))?),
                _ => return None,
            };
            return self.num_right_ok(end).then_some(DateMatch { end, has_day: true, year4 });
        }
        // No year: "3.14" is a decimal, not a date.
        (sep != b'.' && self.num_right_ok(k)).then_some(DateMatch { end: k, has_day: true, year4: None })
    }

    /// `3`, `3rd`; returns the end after the ordinal, if a valid day.
    fn day(&self, i: usize) -> Option<usize> {
        let n = self.digits_from(i);
        if !(1..=2).contains(&n) || !(1..=31).contains(&self.num(i, n)) {
            return None;
        }
        let mut e = i + n;
        let ord = self.slice(e, e + 2);
        if ["st", "nd", "rd", "th"].iter().any(|s| s.as_bytes().eq_ignore_ascii_case(ord)) {
            e += 2;
        }
        (!self.alnum_after(e)).then_some(e)
    }

    /// An optional `, 1985` / ` 1985` after position `e`.
    fn year_after(&self, e: usize) -> Option<(usize, u16)> {
        let j = if self.at(e) == b',' { e + 1 } else { e };
        let k = self.spaces_end(j);
        if k == e || !self.digits_exact(k, 4) || self.alnum_after(k + 4) {
            return None;
        }
        let year = u16::try_from(self.num(k, 4)).ok().filter(|y| YEARS.contains(y))?;
        Some((k + 4, year))
    }

    /// A month name at `i`; returns the end after an optional period.
    fn month(&self, i: usize) -> Option<usize> {
        let e = self.letters_end(i);
        if e == i || !month_of(self.slice(i, e)) || self.alnum_after(e) {
            return None;
        }
        Some(if self.at(e) == b'.' { e + 1 } else { e })
    }

    fn month_first_date(&self, i: usize) -> Option<DateMatch> {
        let m = self.month(i)?;
        let j = self.spaces_end(m);
        if j == m {
            return None;
        }
        if let Some(e) = self.day(j) {
            return Some(match self.year_after(e) {
                Some((end, y)) => DateMatch { end, has_day: true, year4: Some(y) },
                None => DateMatch { end: e, has_day: true, year4: None },
            });
        }
        // "March 1985"
        let year = u16::try_from(self.num(j, 4)).ok().filter(|y| YEARS.contains(y))?;
        (self.digits_exact(j, 4) && !self.alnum_after(j + 4)).then_some(DateMatch {
            end: j + 4,
            has_day: false,
            year4: Some(year),
        })
    }

    fn day_month_date(&self, i: usize) -> Option<DateMatch> {
        let d = self.day(i)?;
        let mut j = self.spaces_end(d);
        if j == d {
            return None;
        }
        if let Some(e) = self.phrase(j, "of ") {
            j = e;
        }
        let m = self.month(j)?;
        Some(match self.year_after(m) {
            Some((end, y)) => DateMatch { end, has_day: true, year4: Some(y) },
            None => DateMatch { end: m, has_day: true, year4: None },
        })
    }

    // ---- Text-shaped identifiers ------------------------------------------------------------

    fn email(&mut self, at: usize) {
        let local_char = |c: u8| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'%' | b'+' | b'-');
        let domain_char = |c: u8| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'-');
        let mut s = at;
        while s > 0 && at - s < 64 && local_char(self.at(s - 1)) {
            s -= 1;
        }
        // The local part must be all there is: not cut at 64 bytes, not glued to a letter.
        if (s > 0 && local_char(self.at(s - 1))) || self.alnum_before(s) {
            return;
        }
        let mut e = at + 1;
        while domain_char(self.at(e)) && e - at <= 253 {
            e += 1;
        }
        if domain_char(self.at(e)) || self.alnum_after(e) {
            return;
        }
        while e > at + 1 && matches!(self.at(e - 1), b'.' | b'-') {
            e -= 1;
        }
        let local = self.slice(s, at);
        let domain = self.slice(at + 1, e);
        let local_ok = !local.is_empty()
            && local.first() != Some(&b'.')
            && local.last() != Some(&b'.')
            && !local.windows(2).any(|w| w == b"..");
        let labels = || domain.split(|&c| c == b'.');
        let domain_ok = labels().count() >= 2
            && labels().all(|l| !l.is_empty() && l.len() <= 63 && l.first() != Some(&b'-') && l.last() != Some(&b'-'))
            && labels().next_back().is_some_and(|tld| tld.len() >= 2 && tld.iter().all(u8::is_ascii_alphabetic));
        if local_ok && domain_ok {
            self.push(PhiKind::Email, s, e, RANK_EMAIL);
        }
    }

    fn url(&mut self, i: usize) {
        let Some(host_start) =
            self.phrase(i, "https://").or_else(|| self.phrase(i, "http://")).or_else(|| self.phrase(i, "www."))
        else {
            return;
        };
        if i > 0 && matches!(self.at(i - 1), b'@' | b'.' | b'/' | b'-') {
            return;
        }
        let mut e = host_start;
        while e - i < MAX_URL {
            let c = self.at(e);
            if c > b' ' && c < 0x7f && !matches!(c, b'<' | b'>' | b'"' | b'`' | b'{' | b'}' | b'|' | b'\\' | b'^') {
                e += 1;
            } else if let Some(ch) = self.next_char(e).filter(|&ch| !ch.is_ascii() && is_word_char(ch)) {
                // Internationalised names and paths ("exämple.com/café"); not quotes or dashes.
                e += ch.len_utf8();
            } else {
                break;
            }
        }
        // Trailing sentence punctuation and unbalanced closing brackets are not part of it.
        while e > host_start {
            let body = self.slice(i, e);
            let count = |c: u8| body.iter().filter(|&&x| x == c).count();
            let trim = match self.at(e - 1) {
                b'.' | b',' | b';' | b':' | b'!' | b'?' | b'\'' | b'*' => true,
                b')' => count(b')') > count(b'('),
                b']' => count(b']') > count(b'['),
                _ => false,
            };
            if !trim {
                break;
            }
            e -= 1;
        }
        let host_end = (host_start..e).find(|&k| matches!(self.at(k), b'/' | b'?' | b'#' | b':')).unwrap_or(e);
        let host = self.slice(host_start, host_end);
        let host_ok = !host.is_empty()
            && host.iter().all(|&c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'-') || !c.is_ascii())
            && host.iter().any(|&c| c.is_ascii_alphanumeric() || !c.is_ascii())
            && (self.at(i).eq_ignore_ascii_case(&b'h') || host.contains(&b'.'));
        if host_ok {
            self.push(PhiKind::Url, i, e, RANK_URL);
        }
    }

    /// `IL 62704`, `Illinois, 62704`: only the ZIP code is reported.
    fn state_zip(&mut self, i: usize) {
        let code = self.slice(i, i + 2);
        let state_end = if code.iter().all(u8::is_ascii_uppercase)
            && !self.alnum_after(i + 2)
            && STATE_CODES.iter().any(|s| s.as_bytes() == code)
        {
            Some(i + 2)
        } else {
            STATE_NAMES.iter().filter_map(|s| self.phrase(i, s)).find(|&e| !self.alnum_after(e))
        };
        let Some(mut j) = state_end else { return };
        if self.at(j) == b',' {
            j += 1;
        }
        let z = self.spaces_end(j);
        if z == j {
            return;
        }
        if let Some(e) = self.zip(z) {
            self.push(PhiKind::ZipCode, z, e, RANK_ZIP);
        }
    }

    fn po_box(&mut self, i: usize) {
        let Some(e) = PO_BOXES.iter().filter_map(|p| self.phrase(i, p)).max() else { return };
        let mut j = self.spaces_end(e);
        if self.at(j) == b'#' {
            j = self.spaces_end(j + 1);
        }
        let n = self.digits_from(j);
        if j > e && (1..=8).contains(&n) && !self.alnum_after(j + n) {
            self.push(PhiKind::StreetAddress, i, j + n, RANK_ADDRESS);
        }
    }

    /// A 17-character VIN with a valid check digit.
    fn vin(&mut self, i: usize) {
        let mut e = i;
        while self.at(e).is_ascii_alphanumeric() && e - i < 18 {
            e += 1;
        }
        let vin = self.slice(i, e);
        if vin.len() == 17
            && !self.alnum_after(e)
            && vin.iter().any(u8::is_ascii_digit)
            && vin.iter().any(u8::is_ascii_alphabetic)
            && vin_check(vin)
        {
            self.push(PhiKind::VehicleId, i, e, RANK_VIN);
        }
    }

    /// A street-name word at `i`: letters (with inner `'` or `-`) or an ordinal (`5th`).
    fn street_word(&self, i: usize) -> Option<usize> {
        let c = self.at(i);
        let e = if c.is_ascii_alphabetic() {
            let mut e = self.letters_end(i);
            while matches!(self.at(e), b'\'' | b'-') && self.at(e + 1).is_ascii_alphabetic() {
                e = self.letters_end(e + 1);
            }
            e
        } else if c.is_ascii_digit() {
            let n = self.digits_from(i);
            let ord = self.slice(i + n, i + n + 2);
            if n > 3 || !["st", "nd", "rd", "th"].iter().any(|s| s.as_bytes().eq_ignore_ascii_case(ord)) {
                return None;
            }
            i + n + 2
        } else {
            return None;
        };
        (e - i <= 30 && !self.alnum_after(e)).then_some(e)
    }

    /// House number, street name, suffix, then optional direction and unit.
    fn street_address(&self, i: usize) -> Option<usize> {
        let n = self.digits_from(i);
        if n == 0 || n > 6 || self.num(i, n) == 0 {
            return None;
        }
        let mut j = i + n;
        // "12B Main St"
        if self.at(j).is_ascii_alphabetic() && is_space(self.at(j + 1)) {
            j += 1;
        }
        let mut k = self.spaces_end(j);
        if k == j {
            return None;
        }
        for words in 0..6 {
            let e = self.street_word(k)?;
            let w = self.slice(k, e);
            if words >= 1
                && let Some(&(_, abbrev)) = STREET_SUFFIXES.iter().find(|(s, _)| s.as_bytes().eq_ignore_ascii_case(w))
            {
                let end = if abbrev && self.at(e) == b'.' { e + 1 } else { e };
                return Some(self.address_tail(end));
            }
            if in_list(w, NOT_STREET_NAME) {
                return None;
            }
            // "St. James Place"
            let after = if self.at(e) == b'.' { e + 1 } else { e };
            k = self.spaces_end(after);
            if k == after {
                return None;
            }
        }
        None
    }

    /// Extends an address over a direction ("NW") and a unit ("Apt 4B", ", Suite 300", "#12").
    fn address_tail(&self, mut end: usize) -> usize {
        let d = self.spaces_end(end);
        if d > end {
            let e = self.letters_end(d);
            if e > d && in_list(self.slice(d, e), DIRECTIONS) && !self.alnum_after(e) {
                end = if self.at(e) == b'.' && e - d <= 2 { e + 1 } else { e };
            }
        }
        let mut k = if self.at(end) == b',' { end + 1 } else { end };
        k = self.spaces_end(k);
        if self.at(k) == b'#' {
            k = self.spaces_end(k + 1);
        } else {
            let e = self.letters_end(k);
            if k == end || e == k || !in_list(self.slice(k, e), UNIT_WORDS) {
                return end;
            }
            k = if self.at(e) == b'.' { e + 1 } else { e };
            k = self.spaces_end(k);
            if self.at(k) == b'#' {
                k = self.spaces_end(k + 1);
            }
        }
        match self.id_group(k) {
            Some((e, len, digits, _)) if len <= 6 && (digits > 0 || len == 1) && !self.alnum_after(e) => e,
            _ => end,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(all(target_arch = "wasm32", target_os = "unknown"))]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn kinds(text: &str) -> Vec<(PhiKind, &str)> {
        scan(text).iter().map(|f| (f.kind, f.text(text).unwrap())).collect()
    }

    #[test]
    fn names_are_unique_lowercase_and_described() {
        for (i, a) in PhiKind::ALL.iter().enumerate() {
            assert!(a.as_str().bytes().all(|c| c.is_ascii_lowercase() || c == b'_'), "{a}");
            assert!(!a.description().is_empty());
            assert_eq!(a.to_string(), a.as_str());
            for b in &PhiKind::ALL[i + 1..] {
                assert_ne!(a.as_str(), b.as_str());
            }
        }
        assert_eq!(PhiKind::ALL.len(), 16);
    }

    #[test]
    fn luhn_known_answers() {
        let digits = |s: &str| s.bytes().map(|c| c - b'0').collect::<Vec<_>>();
        assert!(luhn(&digits("4111111111111111")));
        assert!(luhn(&digits("378282246310005")));
        assert!(luhn(&digits("79927398713")));
        assert!(!luhn(&digits("4111111111111112")));
        assert!(!luhn(&digits("79927398710")));
    }

    #[test]
    fn ssn_rules() {
        assert!(valid_ssn(123, 45, 6789));
        for (a, g, s) in
            [(0, 45, 6789), (666, 45, 6789), (900, 45, 6789), (999, 45, 6789), (123, 0, 6789), (123, 45, 0)]
        {
            assert!(!valid_ssn(a, g, s));
        }
        for bad in ["000-12-3456", "666-12-3456", "912-34-5678", "123-00-4567", "123-45-0000"] {
            assert!(scan(bad).is_empty(), "{bad}");
        }
    }

    #[test]
    fn vin_check_digit() {
        // Check digits from NHTSA's VIN decoder examples.
        assert!(vin_check(b"1HGCM82633A004352"));
        assert!(vin_check(b"1M8GDM9AXKP042788"));
        assert!(!vin_check(b"1HGCM82643A004352"));
        assert!(!vin_check(b"1HGCM8263OA004352"));
    }

    #[test]
    fn dates_parse_in_each_form() {
        let s = |t: &'static str| Scanner { text: t, b: t.as_bytes(), found: Vec::new() };
        for (text, len, has_day, year4) in [
            ("03/14/1985", 10, true, Some(1985)),
            ("3-4-85", 6, true, None),
            ("1985-03-14", 10, true, Some(1985)),
            ("14.3.1985", 9, true, Some(1985)),
            ("3/14", 4, true, None),
            ("March 3, 1985", 13, true, Some(1985)),
            ("Mar. 3rd 1985", 13, true, Some(1985)),
            ("march 3", 7, true, None),
            ("March 1985", 10, false, Some(1985)),
            ("3 March 1985", 12, true, Some(1985)),
            ("3rd of March", 12, true, None),
        ] {
            let d = s(text).date(0).unwrap_or_else(|| panic!("{text}"));
            assert_eq!((d.end, d.has_day, d.year4), (len, has_day, year4), "{text}");
        }
        for text in ["1985", "13/13", "3.14", "10/325", "140/90", "March", "2019-13-01", "0/12", "May be"] {
            assert!(s(text).date(0).is_none_or(|d| d.end != text.len()), "{text}");
        }
    }

    #[test]
    fn overlaps_keep_the_higher_rank() {
        assert_eq!(kinds("fax 415-555-2672"), [(PhiKind::FaxNumber, "415-555-2672")]);
        assert_eq!(kinds("https://x.example/a@b.com"), [(PhiKind::Url, "https://x.example/a@b.com")]);
        let cands = vec![
            Candidate { kind: PhiKind::PhoneNumber, start: 0, end: 10, rank: RANK_PHONE, from: 0 },
            Candidate { kind: PhiKind::Ssn, start: 5, end: 15, rank: RANK_SSN, from: 5 },
            Candidate { kind: PhiKind::Email, start: 15, end: 20, rank: RANK_EMAIL, from: 15 },
            Candidate { kind: PhiKind::ZipCode, start: 14, end: 16, rank: RANK_ZIP, from: 14 },
        ];
        let kept = resolve(&cands, 20);
        assert_eq!(
            kept,
            [Finding { kind: PhiKind::Ssn, start: 5, end: 15 }, Finding { kind: PhiKind::Email, start: 15, end: 20 },]
        );
    }

    #[test]
    fn spans_stay_on_char_boundaries_next_to_multibyte_text() {
        for text in
            ["é123-45-6789", "“123-45-6789”", "日本 jane@example.com 日本", "https://exämple.com", "☎415-555-2671"]
        {
            for f in scan(text) {
                assert!(text.is_char_boundary(f.start) && text.is_char_boundary(f.end), "{text}");
            }
        }
        assert_eq!(kinds("“123-45-6789”"), [(PhiKind::Ssn, "123-45-6789")]);
        assert_eq!(kinds("電話415-555-2671です"), [(PhiKind::PhoneNumber, "415-555-2671")]);
        assert_eq!(kinds("Téléphone 555-2671"), []); // "phone" inside a word is not a cue
        assert!(is_word_char('é') && is_word_char('ж') && is_word_char('한') && is_word_char('7'));
        assert!(!is_word_char('×') && !is_word_char('’') && !is_word_char('日') && !is_word_char('😀'));
        assert!(scan("é123-45-6789").is_empty());
        assert_eq!(kinds("see https://exämple.com/café”."), [(PhiKind::Url, "https://exämple.com/café")]);
    }
}
