//! Prepares the portal benchmark's data: a database with the demo clinic and patients made
//! through the real API (in process, as the SDK would: keys and password-derived keys made
//! client-side with the production KDF profile, TOTP confirmed, the notice acknowledged if the
//! clinic has one), each with the same number of bookings whose notes are sealed to the clinic
//! key and to that patient's key, so the bookings page has to open every one of them.
//!
//! Several identical patients rather than one: each browser round signs a different one in,
//! so no round waits for a fresh TOTP step (the server accepts each step once per user).
//!
//! Usage: `bench-portal-setup --database sqlite://PATH --master-key-file PATH --out FILE
//! [--patients N] [--bookings N]`. Writes FILE (JSON: the patients' emails, passwords, TOTP
//! secrets and the note) for `bench/portal/portal.mjs`, and prints a one-line JSON summary.
//! `bizing-server` then serves the same database and key. It shares bench/server's in-process API and sign-up (`bizing-bench-server`).

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use axum::http::StatusCode;
use base64ct::{Base64UrlUnpadded, Encoding};
use bizing_bench_server::{Api, Flags, clinic_key, decode, sign_up_with, system_now};
use bizing_core::api::{CreateBookingRequest, MAX_SLOT_DAYS, NOTE_FIELD, NOTE_SCHEMA_VERSION, SlotsResponse};
use bizing_core::{Context, Envelope, KdfProfile, KeyPair, PublicKey, SealOptions};
use bizing_server::clock::SystemClock;
use bizing_server::demo::{self, DEMO_TENANT};
use bizing_server::ratelimit::RateLimits;
use bizing_server::store::Store;
use bizing_server::vault::MasterKey;
use bizing_server::{AppState, Config, app};
use serde_json::json;

/// A patient's note of a few sentences (256 bytes), as the widget's note field invites.
const NOTE: &str = "Follow-up for lower back pain after the fall in March. Ibuprofen 400 mg helps for a few \
                    hours; worse when sitting for long. Would like to discuss physiotherapy and whether an \
                    MRI is needed. Allergic to penicillin. My daughter may come with me to translate.";

struct Args {
    database: String,
    master_key_file: PathBuf,
    out: PathBuf,
    patients: usize,
    bookings: usize,
}

fn parse_args() -> Result<Args, String> {
    const USAGE: &str =
        "usage: bench-portal-setup --database URL --master-key-file PATH --out FILE [--patients N] [--bookings N]";
    let known = ["--database", "--master-key-file", "--out", "--patients", "--bookings"];
    let flags = Flags::parse(std::env::args().skip(1), &known, USAGE)?;
    Ok(Args {
        database: flags.required("--database")?,
        master_key_file: flags.required("--master-key-file")?.into(),
        out: flags.required("--out")?.into(),
        patients: flags.count("--patients", 5)?,
        bookings: flags.count("--bookings", 200)?,
    })
}

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("bench-portal-setup: {message}");
            ExitCode::FAILURE
        }
    }
}

/// A patient who can sign in to the portal.
struct Patient {
    email: String,
    password: String,
    totp_secret: String,
    /// Unix seconds when the TOTP code confirming enrollment was made: that step is used.
    totp_confirmed_at: u64,
    cookie: String,
    keys: KeyPair,
}

/// A patient signed up as the SDK does it, with the KDF profile real accounts get (the
/// portal's password step runs it in the page).
async fn sign_up(api: &Api, number: usize) -> Result<Patient, String> {
    let email = format!("bench-patient-{number}@example.test");
    let password = format!("bench password of patient {number}");
    let name = format!("Bench Patient {number}");
    let now = system_now()?;
    let done = sign_up_with(api, DEMO_TENANT, &email, &name, &password, KdfProfile::Interactive, now).await?;
    Ok(Patient {
        email,
        password,
        totp_secret: done.totp.secret().to_base32().to_string(),
        totp_confirmed_at: done.confirmed_at,
        cookie: done.cookie,
        keys: done.keys,
    })
}

/// The note for booking `id`, sealed to the clinic key and the patient's key.
fn seal_note(id: &str, clinic: &PublicKey, patient: &KeyPair) -> Result<String, String> {
    let context = Context::new(DEMO_TENANT, id, NOTE_FIELD, NOTE_SCHEMA_VERSION);
    let recipients = [clinic.clone(), patient.public_key().clone()];
    Ok(Envelope::seal(NOTE.as_bytes(), &context, &recipients, SealOptions::default())
        .map_err(|e| e.to_string())?
        .to_string())
}

/// Free slots of `service`, 60 days at a time from tomorrow on, until there are `wanted`.
async fn free_slots(api: &Api, service: &str, wanted: usize) -> Result<Vec<(String, String)>, String> {
    let mut slots = Vec::new();
    let mut from = None::<String>;
    while slots.len() < wanted {
        let mut path = format!("/api/clinics/{DEMO_TENANT}/slots?service={service}&days={MAX_SLOT_DAYS}");
        if let Some(from) = &from {
            path.push_str(&format!("&from={from}"));
        }
        let page: SlotsResponse = decode(api.expect(StatusCode::OK, "GET", &path, None, None).await?, "slots")?;
        let last = page.slots.last().ok_or("no free slots in 60 days")?;
        // The next window starts the day after the last slot (start is RFC 3339 in UTC, and
        // the clinic's days end before midnight UTC in its time zone, so the date is safe).
        let next = day_after(&last.start)?;
        slots.extend(page.slots.into_iter().map(|s| (s.start, s.provider_id)));
        from = Some(next);
    }
    slots.truncate(wanted);
    Ok(slots)
}

async fn run() -> Result<(), String> {
    let args = parse_args()?;
    let store = Store::open(&args.database).await.map_err(|e| format!("database {}: {e}", args.database))?;
    let master = MasterKey::load_or_create(&args.master_key_file).map_err(|e| e.to_string())?;
    let limits = RateLimits { standard: 1 << 40, phi_read: 1 << 40, export: 1 << 40, guest_booking: 1 << 40 };
    let config = Config { rate_limits: limits, ..Config::default() };
    let state = AppState::new(store, master, Arc::new(SystemClock), config).map_err(|e| e.to_string())?;
    demo::seed(&state, KdfProfile::InsecureFastForTests).await.map_err(|e| e.to_string())?;
    let api = Api(app(state));

    let clinic = clinic_key(&api, DEMO_TENANT).await?;

    // The shortest service packs the most bookings into the demo provider's week.
    let services =
        api.expect(StatusCode::OK, "GET", &format!("/api/clinics/{DEMO_TENANT}/services"), None, None).await?;
    let service = services.json["services"]
        .as_array()
        .and_then(|all| all.iter().min_by_key(|s| s["durationMinutes"].as_i64().unwrap_or(i64::MAX)))
        .and_then(|s| s["id"].as_str())
        .ok_or("the demo clinic lists no services")?
        .to_owned();
    let mut slots = free_slots(&api, &service, args.patients * args.bookings).await?.into_iter();

    let mut patients = Vec::new();
    let mut envelope_bytes = 0;
    for number in 1..=args.patients {
        let patient = sign_up(&api, number).await?;
        for i in 0..args.bookings {
            let (start, provider) = slots.next().ok_or("ran out of free slots")?;
            let serial = u128::try_from(number * 1_000_000 + i).map_err(|e| e.to_string())?;
            let id = Base64UrlUnpadded::encode_string(&serial.to_be_bytes());
            let note = seal_note(&id, &clinic, &patient.keys)?;
            envelope_bytes = note.len();
            let request = CreateBookingRequest {
                id: Some(id),
                provider_id: provider,
                service_id: service.clone(),
                start,
                note: Some(note),
            };
            let body = serde_json::to_value(request).map_err(|e| e.to_string())?;
            api.expect(StatusCode::CREATED, "POST", "/api/bookings", Some(body), Some(&patient.cookie)).await?;
        }
        patients.push(json!({
            "email": patient.email,
            "password": patient.password,
            "totpSecret": patient.totp_secret,
            "totpConfirmedAt": patient.totp_confirmed_at,
        }));
    }

    let data = json!({ "tenant": DEMO_TENANT, "bookings": args.bookings, "note": NOTE, "patients": patients });
    let text = serde_json::to_string_pretty(&data).map_err(|e| e.to_string())?;
    std::fs::write(&args.out, text + "\n").map_err(|e| format!("{}: {e}", args.out.display()))?;
    #[allow(clippy::print_stdout, reason = "the one summary line xtask shows")]
    {
        println!(
            "{}",
            json!({
                "patients": args.patients,
                "bookings_each": args.bookings,
                "note_bytes": NOTE.len(),
                "envelope_bytes": envelope_bytes,
            })
        );
    }
    Ok(())
}

/// `YYYY-MM-DD` of the day after the UTC date of an RFC 3339 time.
fn day_after(rfc3339: &str) -> Result<String, String> {
    let at: jiff::Timestamp = rfc3339.parse().map_err(|e| format!("{rfc3339}: {e}"))?;
    let next = at.to_zoned(jiff::tz::TimeZone::UTC).date().tomorrow().map_err(|e| e.to_string())?;
    Ok(next.to_string())
}
