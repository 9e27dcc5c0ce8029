//! PHI detection in booking notes through the public API: a table of notes that must be
//! flagged (kind and exact span), a table of ordinary notes that must not be, and properties
//! over arbitrary text (no panics, valid spans) and embedded identifiers.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

use bizing_core::phi::{Finding, PhiKind, scan};
use proptest::prelude::*;

#[cfg(all(target_arch = "wasm32", target_os = "unknown"))]
use wasm_bindgen_test::wasm_bindgen_test as test;

use PhiKind::*;

/// Notes that must be flagged: every expected finding, in order, as (kind, exact matched text).
/// Synthetic values: 555 exchanges, documentation domains, test card numbers, the NHTSA
/// example VIN.
const POSITIVE: &[(&str, &[(PhiKind, &str)])] = &[
    // Social Security numbers
    ("My SSN is 123-45-6789, please keep it on file", &[(Ssn, "123-45-6789")]),
    ("ssn 078 05 1120", &[(Ssn, "078 05 1120")]),
    ("Social security number: 219099999", &[(Ssn, "219099999")]),
    ("SS# 536-90-4399 for the billing office", &[(Ssn, "536-90-4399")]),
    ("ssn: 123.45.6789", &[(Ssn, "123.45.6789")]),
    ("in case you need it 401-23-5567", &[(Ssn, "401-23-5567")]),
    // Medical record numbers
    ("MRN 00482913", &[(MedicalRecordNumber, "00482913")]),
    ("My medical record number is A12-77431", &[(MedicalRecordNumber, "A12-77431")]),
    ("chart #883921 at the downtown clinic", &[(MedicalRecordNumber, "883921")]),
    ("Patient ID: PT-20931", &[(MedicalRecordNumber, "PT-20931")]),
    ("mrn#5521903 from St. Mary's", &[(MedicalRecordNumber, "5521903")]),
    // Phone and fax
    ("Call me at (415) 555-2671 after work", &[(PhoneNumber, "(415) 555-2671")]),
    ("my cell is 415-555-2671", &[(PhoneNumber, "415-555-2671")]),
    ("reach me on 415.555.2671", &[(PhoneNumber, "415.555.2671")]),
    ("+1 415 555 2671 is best", &[(PhoneNumber, "+1 415 555 2671")]),
    ("1-800-555-0199 is the office line", &[(PhoneNumber, "1-800-555-0199")]),
    ("text me at 555-2671", &[(PhoneNumber, "555-2671")]),
    ("work number 4155552671 ext. 204", &[(PhoneNumber, "4155552671 ext. 204")]),
    ("Fax: 415-555-2672", &[(FaxNumber, "415-555-2672")]),
    ("fax number (212) 555-0147 for the referral", &[(FaxNumber, "(212) 555-0147")]),
    ("Téléphone : 415 555 2671", &[(PhoneNumber, "415 555 2671")]),
    // Email and web
    ("Email me at jane.doe+appt@example.com.", &[(Email, "jane.doe+appt@example.com")]),
    ("contact: j_smith@mail.clinic-health.org", &[(Email, "j_smith@mail.clinic-health.org")]),
    // A cue word inside an address is not a cue (found by the property test below).
    ("write to dl0a00a@a.com please", &[(Email, "dl0a00a@a.com")]),
    ("mrn12345@records.example.org", &[(Email, "mrn12345@records.example.org")]),
    ("https://example.org/mrn12345 has it", &[(Url, "https://example.org/mrn12345")]),
    (
        "see https://portal.example.com/records?id=8812 for my notes",
        &[(Url, "https://portal.example.com/records?id=8812")],
    ),
    ("(my blog: www.myhealthblog.net/about)", &[(Url, "www.myhealthblog.net/about")]),
    ("I log in from 192.168.10.24 usually", &[(IpAddress, "192.168.10.24")]),
    // Dates of birth
    ("DOB 03/14/1985", &[(DateOfBirth, "03/14/1985")]),
    ("date of birth: 1979-11-02", &[(DateOfBirth, "1979-11-02")]),
    ("I was born on March 3, 1985 in Ohio", &[(DateOfBirth, "March 3, 1985")]),
    ("birthday is 7/4, in case that matters", &[(DateOfBirth, "7/4")]),
    ("born 12.25.1990", &[(DateOfBirth, "12.25.1990")]),
    ("D.O.B.: 4 July 1962", &[(DateOfBirth, "4 July 1962")]),
    ("Patient born in Feb 1950", &[(DateOfBirth, "Feb 1950")]),
    ("For my father (06/21/1951), knee pain", &[(DateOfBirth, "06/21/1951")]),
    ("Patient: Mary (1952-08-30) needs a ride", &[(DateOfBirth, "1952-08-30")]),
    ("bday 5-9-07", &[(DateOfBirth, "5-9-07")]),
    // Addresses and ZIP codes
    (
        "Lives at 1600 Pennsylvania Ave NW, Washington, DC 20500",
        &[(StreetAddress, "1600 Pennsylvania Ave NW"), (ZipCode, "20500")],
    ),
    ("123 Main St Apt 4B", &[(StreetAddress, "123 Main St Apt 4B")]),
    ("Send it to 42 Wallaby Way, Sydney", &[(StreetAddress, "42 Wallaby Way")]),
    ("address: 350 5th Avenue, Suite 3300", &[(StreetAddress, "350 5th Avenue, Suite 3300")]),
    ("I'm at 77 Sunset Blvd. #12", &[(StreetAddress, "77 Sunset Blvd. #12")]),
    ("mail to PO Box 5521 please", &[(StreetAddress, "PO Box 5521")]),
    ("pick me up at 18 old mill road", &[(StreetAddress, "18 old mill road")]),
    ("zip 94110", &[(ZipCode, "94110")]),
    ("Springfield, IL 62704", &[(ZipCode, "62704")]),
    ("Her zip code is 10027-1234", &[(ZipCode, "10027-1234")]),
    (
        "my address is 9 Elm Court, Apt. 3, Boston, MA 02115",
        &[(StreetAddress, "9 Elm Court, Apt. 3"), (ZipCode, "02115")],
    ),
    // Health plan, account, card
    ("Member ID: XGP123456789", &[(HealthPlanOrInsuranceId, "XGP123456789")]),
    ("insurance # 884-221-907", &[(HealthPlanOrInsuranceId, "884-221-907")]),
    ("Medicare 1EG4-TE5-MK73", &[(HealthPlanOrInsuranceId, "1EG4-TE5-MK73")]),
    ("medicaid id 12345678", &[(HealthPlanOrInsuranceId, "12345678")]),
    ("policy number is BCX 99812", &[(HealthPlanOrInsuranceId, "BCX 99812")]),
    ("card 4111 1111 1111 1111 for the copay", &[(CreditCard, "4111 1111 1111 1111")]),
    ("pay with 5555555555554444", &[(CreditCard, "5555555555554444")]),
    ("amex 3782-822463-10005 exp 04/27", &[(CreditCard, "3782-822463-10005")]),
    ("account # 00293847", &[(AccountNumber, "00293847")]),
    // Licenses, vehicles, devices
    ("driver's license D1234567", &[(LicenseNumber, "D1234567")]),
    ("driver\u{2019}s license number: K77-204-913", &[(LicenseNumber, "K77-204-913")]),
    ("DL: S530-4620-8812", &[(LicenseNumber, "S530-4620-8812")]),
    ("VIN 1HGCM82633A004352", &[(VehicleId, "1HGCM82633A004352")]),
    ("the car is 1HGCM82633A004352 if parking asks", &[(VehicleId, "1HGCM82633A004352")]),
    ("license plate 7ABC123", &[(VehicleId, "7ABC123")]),
    ("pacemaker serial number PJN203771", &[(DeviceId, "PJN203771")]),
    ("IMEI 490154203237518", &[(DeviceId, "490154203237518")]),
    // Several in one note
    (
        "Jane, DOB 2/3/1970, phone 212-555-0147, email jane@example.org",
        &[(DateOfBirth, "2/3/1970"), (PhoneNumber, "212-555-0147"), (Email, "jane@example.org")],
    ),
    (
        "SSN 123-45-6789 and MRN 99812\nfax 415-555-2672",
        &[(Ssn, "123-45-6789"), (MedicalRecordNumber, "99812"), (FaxNumber, "415-555-2672")],
    ),
];

/// Ordinary booking notes, full of numbers that are not identifiers: none must be flagged.
const NEGATIVE: &[&str] = &[
    "Can I come in at 10:30 instead?",
    "Running late, be there by 2pm",
    "I've had this pain for 3 weeks",
    "Taking ibuprofen 500 mg twice a day",
    "On hydrocodone 10/325 mg as needed",
    "My bp was 140/90 this morning",
    "Can we do Tuesday on 3/14?",
    "Next Monday the 12th works better",
    "I'm 45 and this is my first visit",
    "Please move me to 3/14/2025 at 9:15",
    "My $120 copay was already paid",
    "Weight 182 lbs, height 5'10\"",
    "Temp was 101.5 F last night",
    "I exercise 2-3 times a week",
    "Follow-up for M54.5 low back pain",
    "Dr. Smith referred me, room 12 Dr. Patel's office",
    "Symptoms since 2019, worse since March",
    "The booking app (v2.3.1) crashed twice",
    "Room 204 please, second floor",
    "I need 2 forms signed",
    "Pain is about 7/10 today",
    "It's about a 45 minute drive for me, so mornings are better",
    "Booking #48213 was cancelled by mistake",
    "My insurance is Blue Cross PPO",
    "I'm on Medicare since 2019",
    "Per your policy, 24 hours notice for cancellations",
    "Call me after 5 if possible",
    "A1C was 6.5 last time",
    "Vitamin D 2000 IU daily",
    "20/20 vision but headaches",
    "Kids are 4 and 7, can they come along?",
    "Can we book 2 sessions, 50 min each?",
    "Parking at the 5th Street garage?",
    "Last visit was in 2021",
    "Between 8 and 12 works",
    "Our group of 3 will arrive at 11:45",
    "I walk 10,000 steps a day",
    "Blood sugar 110 mg/dL fasting",
    "I've lost 15 pounds since January 2024",
    "My patient portal login isn't working",
    "Appt on Dec 5 at 3:30pm",
    "On 2024-06-01 I had a fall",
    "Chart says I'm due for a tetanus shot",
    "Need a note for work for 3 days, ICD Z00.00",
    "Call the front desk at ext 204",
    "My son is 8 months old",
    "Sleep is about 6-7 hours a night",
    "Heart rate 72 bpm, O2 98%",
    "Member since 2015, love the clinic",
    "Coming from about 30 miles away",
    "Cost was $1,250.00 last year",
    "Take exit 12 off Highway 101 and turn left",
    "See you at 9 am, Suite 300",
    "Ref 2024-113 from the front desk",
    "Phone died, text instead please",
    "Fax machine at my office is broken",
    "I was born in 1985 and never had this before",
    "My birthday party is next week so earlier is better",
    "Took 2 Advil and 1 Tylenol at 8:00",
    "Knee surgery in March 2018, PT 3x/week since",
    "Can I bring my 2 kids? Ages 6 and 9",
    "Eye pressure 18/21, last checked 1/2024",
    "1 of 3 visits left on my plan",
    "Hoping for 4:15 or 4:45, thanks!",
    "Dosage changed from 25 to 50 mcg on 2/1",
];

fn found(text: &str) -> Vec<(PhiKind, &str)> {
    scan(text).iter().map(|f| (f.kind, f.text(text).unwrap())).collect()
}

#[test]
fn positive_examples_are_flagged_with_kind_and_span() {
    assert!(POSITIVE.len() >= 40);
    let mut failures = Vec::new();
    for (text, expected) in POSITIVE {
        let got = found(text);
        if got != *expected {
            failures.push(format!("{text:?}\n  expected {expected:?}\n  got      {got:?}"));
        }
    }
    assert!(failures.is_empty(), "{} failures:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn ordinary_booking_notes_are_not_flagged() {
    assert!(NEGATIVE.len() >= 40);
    let failures: Vec<String> = NEGATIVE
        .iter()
        .filter_map(|text| Some(format!("{text:?}: {:?}", found(text))).filter(|_| !scan(text).is_empty()))
        .collect();
    assert!(failures.is_empty(), "{} false positives:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn every_kind_is_exercised_by_the_table() {
    for kind in PhiKind::ALL {
        assert!(POSITIVE.iter().any(|(_, e)| e.iter().any(|(k, _)| k == kind)), "{kind} has no positive example");
    }
}

#[test]
fn invalid_ssns_and_birth_dates_without_cues_are_not_flagged() {
    for text in ["000-12-3456", "666-12-3456", "912-34-5678", "123-00-4567", "123-45-0000", "ssn 123456780000"] {
        assert_eq!(found(text), [], "{text}");
    }
    // Recent and partial dates are appointment dates; the same dates after a birth cue are not.
    assert_eq!(found("see you 4/2/2026"), []);
    assert_eq!(found("DOB 4/2/2016"), [(DateOfBirth, "4/2/2016")]);
    assert_eq!(found("on 3/14"), []);
    assert_eq!(found("born on 3/14"), [(DateOfBirth, "3/14")]);
    // A year alone is not an identifier under HIPAA.
    assert_eq!(found("DOB 1985"), []);
}

#[test]
fn empty_and_edge_inputs() {
    for text in
        ["", " ", "@", "@@", "a@b", "a@b.c", "+", "+1", "(", "(555)", "http://", "www.", "ssn", "ssn:", "1", "12345"]
    {
        assert_eq!(found(text), [], "{text:?}");
    }
}

fn check_spans(text: &str, findings: &[Finding]) -> Result<(), TestCaseError> {
    let mut prev_end = 0;
    for f in findings {
        prop_assert!(f.start < f.end, "empty span {:?}", f);
        prop_assert!(f.end <= text.len());
        prop_assert!(text.is_char_boundary(f.start) && text.is_char_boundary(f.end), "{:?} in {:?}", f, text);
        prop_assert!(f.start >= prev_end, "unsorted or overlapping {:?}", findings);
        prop_assert!(f.text(text).is_some());
        prev_end = f.end;
    }
    Ok(())
}

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(64),
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Filler with no ASCII letters or digits, so it cannot form a cue word or extend a number;
/// multibyte characters exercise the boundary checks.
const FILLER: &str = "[ .,!?;()\u{e9}\u{df}\u{65e5}\u{672c}\u{1f600}\u{2019}\u{201c}\u{201d}]{0,30}";

/// Text made of fragments that trigger every detector, to reach deep into the scanners.
fn phi_soup() -> impl Strategy<Value = String> {
    let fragments = prop::sample::select(vec![
        "ssn",
        "SSN:",
        "MRN#",
        "dob",
        "born",
        "fax",
        "call",
        "zip",
        "IL",
        "member id",
        "Medicare",
        "acct",
        "VIN",
        "driver's license",
        "serial",
        "plate",
        "http://",
        "https://",
        "www.",
        "@",
        ".",
        "-",
        "/",
        "(",
        ")",
        "+1",
        " ",
        " ",
        "\n",
        "#",
        ":",
        ",",
        "123",
        "45",
        "6789",
        "555",
        "2671",
        "415",
        "1985",
        "03",
        "14",
        "4111",
        "1111",
        "192.168",
        "0",
        "9",
        "Main",
        "St",
        "Apt",
        "4B",
        "March",
        "3rd",
        "example.com",
        "jane",
        "é",
        "日本",
        "😀",
        "’",
        "x",
        "ext",
        "PO Box",
        "1HGCM82633A004352",
        "Ave",
        "NW",
        "of",
        "is",
    ]);
    prop::collection::vec(fragments, 0..40).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn arbitrary_text_never_panics_and_spans_are_valid(text in any::<String>()) {
        check_spans(&text, &scan(&text))?;
    }

    #[test]
    fn identifier_soup_never_panics_and_spans_are_valid(text in phi_soup()) {
        check_spans(&text, &scan(&text))?;
    }

    #[test]
    fn printable_ascii_never_panics_and_spans_are_valid(text in "[ -~\n]{0,300}") {
        check_spans(&text, &scan(&text))?;
    }

    #[test]
    fn embedded_ssn_is_found_at_its_span(
        before in FILLER,
        after in FILLER,
        area in (1u32..900).prop_filter("666 is never issued", |a| *a != 666),
        group in 1u32..100,
        serial in 1u32..10000,
        sep in prop::sample::select(vec!['-', ' ']),
    ) {
        let ssn = format!("{area:03}{sep}{group:02}{sep}{serial:04}");
        let text = format!("{before} {ssn} {after}");
        let start = before.len() + 1;
        let findings = scan(&text);
        check_spans(&text, &findings)?;
        prop_assert_eq!(findings, vec![Finding { kind: Ssn, start, end: start + ssn.len() }], "{:?}", text);
    }

    #[test]
    fn embedded_email_is_found_at_its_span(
        before in FILLER,
        after in FILLER,
        local in "[a-z0-9]{1,10}([._+-][a-z0-9]{1,8})?",
        domain in "[a-z0-9]{1,12}(-[a-z0-9]{1,5})?\\.(com|org|net|io|health)",
    ) {
        let email = format!("{local}@{domain}");
        let text = format!("{before} {email} {after}");
        let start = before.len() + 1;
        let findings = scan(&text);
        check_spans(&text, &findings)?;
        prop_assert_eq!(findings, vec![Finding { kind: Email, start, end: start + email.len() }], "{:?}", text);
    }

    #[test]
    fn invalid_ssn_areas_are_never_flagged(
        area in prop::sample::select(vec![0u32, 666, 900, 950, 999]),
        group in 0u32..100,
        serial in 0u32..10000,
    ) {
        let text = format!("ssn {area:03}-{group:02}-{serial:04}");
        prop_assert_eq!(found(&text), vec![]);
    }
}
