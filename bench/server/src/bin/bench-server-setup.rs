//! Prepares the server benchmark's data: a database with the demo clinic and two patients
//! made through the real API (in process, as the SDK would: keys and password-derived keys
//! made client-side, TOTP confirmed, the notice acknowledged), a note sealed to the clinic
//! key and the patient's key, free slots for the booking-creation run, and bookings for the
//! listing run. Writes `bench-data.lua`, which the wrk scripts in `bench/wrk/` load.
//!
//! Usage: `bench-server-setup --database sqlite://PATH --master-key-file PATH --out DIR
//! [--slots N] [--listed N]`. `bizing-server` then serves the same database and key.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use axum::http::StatusCode;
use base64ct::{Base64UrlUnpadded, Encoding};
use bizing_bench_server::{Api, Flags, clinic_key, decode, sign_up, system_now};
use bizing_core::api::{CreateBookingRequest, MAX_SLOT_DAYS, NOTE_FIELD, NOTE_SCHEMA_VERSION, SlotsResponse};
use bizing_core::{Context, Envelope, KdfProfile, KeyPair, PublicKey, SealOptions};
use bizing_server::clock::SystemClock;
use bizing_server::demo::{self, DEMO_TENANT};
use bizing_server::ratelimit::RateLimits;
use bizing_server::store::Store;
use bizing_server::vault::MasterKey;
use bizing_server::{AppState, Config, app};

/// About a kilobyte of note, as in the envelope benchmarks.
const NOTE: &str = "Follow-up for lower back pain after the fall in March. Ibuprofen 400 mg helps for a few \
                    hours; worse when sitting for long. Would like to discuss physiotherapy options and \
                    whether an MRI is needed. Also: refill for the inhaler, and the results of last month's \
                    blood test if they are in. Prefer a morning appointment; parking at the clinic is \
                    difficult after ten. Please note I am allergic to penicillin. My daughter may come with \
                    me to help translate. Thank you for fitting me in so quickly.";

struct Args {
    database: String,
    master_key_file: PathBuf,
    out: PathBuf,
    slots: usize,
    listed: usize,
}

fn parse_args() -> Result<Args, String> {
    const USAGE: &str =
        "usage: bench-server-setup --database URL --master-key-file PATH --out DIR [--slots N] [--listed N]";
    let known = ["--database", "--master-key-file", "--out", "--slots", "--listed"];
    let flags = Flags::parse(std::env::args().skip(1), &known, USAGE)?;
    Ok(Args {
        database: flags.required("--database")?,
        master_key_file: flags.required("--master-key-file")?.into(),
        out: flags.required("--out")?.into(),
        slots: flags.count("--slots", 40_000)?,
        listed: flags.count("--listed", 20)?,
    })
}

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("bench-server-setup: {message}");
            ExitCode::FAILURE
        }
    }
}

/// A note for booking `id`, sealed to the clinic key and the patient's key.
fn seal_note(id: &str, clinic: &PublicKey, patient: &KeyPair) -> Result<String, String> {
    let context = Context::new(DEMO_TENANT, id, NOTE_FIELD, NOTE_SCHEMA_VERSION);
    let recipients = [clinic.clone(), patient.public_key().clone()];
    Ok(Envelope::seal(NOTE.as_bytes(), &context, &recipients, SealOptions::default())
        .map_err(|e| e.to_string())?
        .to_string())
}

fn lua_string(s: &str) -> String {
    format!("{s:?}")
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

    let creator_email = "bench-creator@example.test";
    let (creator, creator_keys) =
        sign_up(&api, DEMO_TENANT, creator_email, &format!("Bench Patient {creator_email}"), system_now()?).await?;
    let lister_email = "bench-lister@example.test";
    let (lister, lister_keys) =
        sign_up(&api, DEMO_TENANT, lister_email, &format!("Bench Patient {lister_email}"), system_now()?).await?;
    let clinic = clinic_key(&api, DEMO_TENANT).await?;

    // Free slots of the shortest service, 60 days at a time, from tomorrow on.
    let services =
        api.expect(StatusCode::OK, "GET", &format!("/api/clinics/{DEMO_TENANT}/services"), None, None).await?;
    let service = services.json["services"]
        .as_array()
        .and_then(|all| all.iter().min_by_key(|s| s["durationMinutes"].as_i64().unwrap_or(i64::MAX)))
        .and_then(|s| s["id"].as_str())
        .ok_or("the demo clinic lists no services")?
        .to_owned();
    let mut slots = Vec::new();
    let mut from = None::<String>;
    while slots.len() < args.slots + args.listed {
        let mut path = format!("/api/clinics/{DEMO_TENANT}/slots?service={service}&days={MAX_SLOT_DAYS}");
        if let Some(from) = &from {
            path.push_str(&format!("&from={from}"));
        }
        let page: SlotsResponse = decode(api.expect(StatusCode::OK, "GET", &path, None, None).await?, "slots")?;
        let last = page.slots.last().ok_or("no free slots in 60 days")?;
        // The next window starts the day after the last slot (start is RFC 3339 in UTC, and
        // the clinic's days end before midnight UTC in its time zone, so the date is safe).
        let last_day = jiff_day_after(&last.start)?;
        slots.extend(page.slots.into_iter().map(|s| (s.start, s.provider_id)));
        from = Some(last_day);
    }

    // The listing patient's bookings, with notes.
    for (i, (start, provider)) in slots.drain(..args.listed).enumerate() {
        let id = Base64UrlUnpadded::encode_string(&(u128::try_from(i).map_err(|e| e.to_string())? + 1).to_be_bytes());
        let request = CreateBookingRequest {
            id: Some(id.clone()),
            provider_id: provider,
            service_id: service.clone(),
            start,
            note: Some(seal_note(&id, &clinic, &lister_keys)?),
        };
        let body = serde_json::to_value(request).map_err(|e| e.to_string())?;
        api.expect(StatusCode::CREATED, "POST", "/api/bookings", Some(body), Some(&lister)).await?;
    }

    // One sealed note the creation run sends with every booking (the server cannot tell).
    let note = seal_note("BenchT0N0000000000000A", &clinic, &creator_keys)?;
    // Lua allows at most 65,536 constants in one function, so the slots come in parts, each
    // a function of its own.
    let mut lua = String::from(
        "-- Written by bench-server-setup; loaded by bench/wrk/*.lua.\n\
         local slots = {}\n\
         local function add(part)\n  for i = 1, #part do slots[#slots + 1] = part[i] end\nend\n",
    );
    let wanted: Vec<_> = slots.iter().take(args.slots).collect();
    for part in wanted.chunks(20_000) {
        lua.push_str("add((function() return {\n");
        for (start, provider) in part {
            lua.push_str(&format!("  {{ {}, {} }},\n", lua_string(start), lua_string(provider)));
        }
        lua.push_str("} end)())\n");
    }
    lua.push_str("return {\n");
    lua.push_str(&format!("  creator_cookie = {},\n", lua_string(&creator)));
    lua.push_str(&format!("  lister_cookie = {},\n", lua_string(&lister)));
    lua.push_str(&format!("  service = {},\n", lua_string(&service)));
    lua.push_str(&format!("  note = {},\n", lua_string(&note)));
    lua.push_str(&format!("  listed = {},\n", args.listed));
    lua.push_str("  slots = slots,\n}\n");
    std::fs::create_dir_all(&args.out).map_err(|e| format!("{}: {e}", args.out.display()))?;
    let file = args.out.join("bench-data.lua");
    std::fs::write(&file, lua).map_err(|e| format!("{}: {e}", file.display()))?;
    #[allow(clippy::print_stdout, reason = "the one summary line xtask shows")]
    {
        println!(
            "{{\"slots\": {}, \"listed\": {}, \"note_bytes\": {}}}",
            args.slots.min(slots.len()),
            args.listed,
            note.len()
        );
    }
    Ok(())
}

/// `YYYY-MM-DD` of the day after the UTC date of an RFC 3339 time.
fn jiff_day_after(rfc3339: &str) -> Result<String, String> {
    let at: jiff::Timestamp = rfc3339.parse().map_err(|e| format!("{rfc3339}: {e}"))?;
    let next = at.to_zoned(jiff::tz::TimeZone::UTC).date().tomorrow().map_err(|e| e.to_string())?;
    Ok(next.to_string())
}
