//! Seeds the server benchmark's large database: the demo clinic with more providers, a few
//! thousand patients and (by default) 100,000 bookings spread over their days, most in the
//! past and the next three months partly booked, as a clinic's database looks after a year
//! and a half of use.
//!
//! Every patient and every booking is made through the real HTTP API, in process: patients
//! sign up as the SDK does (register, TOTP, the notice), and each booking is a
//! `POST /api/bookings` by its patient with a note sealed in the "client" to the clinic key
//! and the patient's key and bound to the booking id, so the rows, the encrypted columns and
//! the access-log events are exactly what the server writes. Some bookings are cancelled by
//! their patient (`POST /api/bookings/{id}/cancel`) before they start. The server's clock is
//! a test clock that the seeder moves to each request's moment: a booking is made 1 hour to
//! 6 weeks before it starts, so the access log's events are in time order and dated as they
//! would be. The providers (staff accounts with schedules) are made with the store calls
//! the demo clinic uses (`bizing_server::demo`).
//!
//! Usage: `bench-server-seed --database sqlite://PATH --master-key-file PATH [--bookings N]
//! [--patients N] [--providers N]`. Prints one JSON line with what it made and how long it
//! took.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use axum::http::StatusCode;
use base64ct::{Base64UrlUnpadded, Encoding};
use bizing_bench_server::{Api, Flags, clinic_key, sign_up};
use bizing_core::api::{CreateBookingRequest, NOTE_FIELD, NOTE_SCHEMA_VERSION};
use bizing_core::{Context, Envelope, KdfParams, KdfProfile, KeyPair, PublicKey, SealOptions, derive_password_keys};
use bizing_server::clock::{Clock, TestClock};
use bizing_server::demo::{self, DEMO_TENANT};
use bizing_server::ratelimit::RateLimits;
use bizing_server::scheduling::day_slots;
use bizing_server::store::{NewUser, ProviderRow, ScheduleRow, Store};
use bizing_server::vault::MasterKey;
use bizing_server::{AppState, Config, app, auth};
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};
use serde_json::json;

/// What patients write in a booking's note: a few words to a long paragraph.
const NOTES: [&str; 8] = [
    "Follow-up.",
    "Blood pressure check, new medication since last month.",
    "Persistent cough for two weeks, worse at night. No fever.",
    "Annual physical. Would like to discuss cholesterol results and whether I need to fast before the blood \
     draw.",
    "Rash on both forearms since the weekend, itchy, spreading slowly. Started a new laundry detergent last week. \
     Tried hydrocortisone cream without much change.",
    "Knee pain after running, mostly going down stairs. Swelling in the evening. Would like to know if I should \
     stop training for the half marathon in May, and whether physiotherapy makes sense. Ibuprofen helps a bit.",
    "Follow-up for lower back pain after the fall in March. Ibuprofen 400 mg helps for a few hours; worse when \
     sitting for long. Would like to discuss physiotherapy options and whether an MRI is needed. Also: refill for \
     the inhaler, and the results of last month's blood test if they are in. Prefer a morning appointment.",
    "Second opinion on the thyroid ultrasound from the hospital (report attached to my portal message). Tired \
     most days, gained weight, cold hands. My mother and sister both have Hashimoto's. Currently taking \
     vitamin D and iron supplements; stopped the oral contraceptive in January. Would like to talk about which \
     blood tests make sense, and whether the nodule needs a biopsy or just another scan in six months. I work \
     night shifts twice a week, so mornings after those are difficult.",
];

const FIRST: [&str; 16] = [
    "Alex", "Sam", "Jordan", "Maria", "Wei", "Fatima", "Olusegun", "Ana", "Priya", "John", "Chloé", "Mateo", "Yuki",
    "Amara", "Lars", "Noor",
];
const LAST: [&str; 16] = [
    "Smith",
    "García",
    "Nguyen",
    "Okafor",
    "Müller",
    "Rossi",
    "Kim",
    "Haddad",
    "Kowalski",
    "Silva",
    "Dubois",
    "Ivanova",
    "Chen",
    "Mensah",
    "Johansson",
    "Patel",
];

/// Working weeks of the added providers (weekday 0 = Sunday, minutes of the day).
const WEEKS: [&[(i64, i64, i64)]; 3] = [
    &[
        (1, 540, 720),
        (1, 780, 1020),
        (2, 540, 720),
        (2, 780, 1020),
        (3, 540, 720),
        (3, 780, 1020),
        (4, 540, 720),
        (4, 780, 1020),
        (5, 540, 720),
        (5, 780, 1020),
    ],
    &[(1, 480, 960), (2, 480, 960), (3, 480, 960), (4, 480, 960)],
    &[(2, 600, 1140), (3, 600, 1140), (4, 600, 1140), (5, 600, 1140), (6, 540, 780)],
];

struct Args {
    database: String,
    master_key_file: std::path::PathBuf,
    bookings: usize,
    patients: usize,
    providers: usize,
}

fn parse_args() -> Result<Args, String> {
    const USAGE: &str = "usage: bench-server-seed --database URL --master-key-file PATH [--bookings N] \
                         [--patients N] [--providers N]";
    let known = ["--database", "--master-key-file", "--bookings", "--patients", "--providers"];
    let flags = Flags::parse(std::env::args().skip(1), &known, USAGE)?;
    Ok(Args {
        database: flags.required("--database")?,
        master_key_file: flags.required("--master-key-file")?.into(),
        bookings: flags.count("--bookings", 100_000)?,
        patients: flags.count("--patients", 3_000)?.max(1),
        providers: flags.count("--providers", 24)?,
    })
}

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("bench-server-seed: {message}");
            ExitCode::FAILURE
        }
    }
}

/// SplitMix64: the same data shape on every run (ids and keys are random all the same).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        #[allow(clippy::cast_precision_loss, reason = "53 random bits")]
        let unit = (self.next() >> 11) as f64 / (1u64 << 53) as f64;
        unit
    }

    /// Uniform in 0..n.
    fn below(&mut self, n: usize) -> usize {
        #[allow(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            clippy::cast_precision_loss,
            reason = "n is small"
        )]
        let i = (self.unit() * n as f64) as usize;
        i.min(n.saturating_sub(1))
    }
}

/// `n` hours in seconds.
fn hours(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(0) * 3600
}

/// One planned booking.
struct Planned {
    patient: usize,
    provider: String,
    service: String,
    start: i64,
    created: i64,
    /// When its patient cancels it, if they do.
    cancelled: Option<i64>,
    note: Option<&'static str>,
}

/// A request of the timeline: make booking `i` of the plan, or cancel it.
#[derive(Clone, Copy)]
enum Step {
    Create(usize),
    Cancel(usize),
}

async fn run() -> Result<(), String> {
    let args = parse_args()?;
    let began = Instant::now();
    let store = Store::open(&args.database).await.map_err(|e| format!("database {}: {e}", args.database))?;
    let master = MasterKey::load_or_create(&args.master_key_file).map_err(|e| e.to_string())?;
    let now = Timestamp::now().as_second();
    let tz = TimeZone::get("America/New_York").map_err(|e| e.to_string())?;
    let today = Timestamp::now().to_zoned(tz.clone()).date();
    let horizon = today.checked_add(90.days()).map_err(|e| e.to_string())?;

    // Which providers and services, then the plan: bookings day by day from 90 days ahead
    // backwards until there are enough, about 70% of each working day taken.
    let mut rng = Rng(0x5eed_b00c);
    let durations: [(&str, i64, f64); 3] =
        [("demo-clinic-new-patient", 60, 0.2), ("demo-clinic-follow-up", 30, 0.5), ("demo-clinic-check-in", 15, 0.3)];
    let demo_week: Vec<ScheduleRow> = (1..=5)
        .flat_map(|weekday| {
            [(540, 720), (780, 1020)].map(|(s, e)| ScheduleRow { weekday, start_minute: s, end_minute: e })
        })
        .collect();
    let mut providers: Vec<(String, Vec<ScheduleRow>)> = vec![(format!("{DEMO_TENANT}-provider-1"), demo_week)];
    for i in 0..args.providers {
        let week = WEEKS[i % WEEKS.len()]
            .iter()
            .map(|&(weekday, start_minute, end_minute)| ScheduleRow { weekday, start_minute, end_minute })
            .collect();
        providers.push((format!("{DEMO_TENANT}-provider-{}", i + 2), week));
    }
    let mut plan = Vec::with_capacity(args.bookings);
    let mut day = horizon;
    'days: while plan.len() < args.bookings {
        for (provider, week) in &providers {
            let slots: Vec<(&str, Vec<(i64, i64)>)> =
                durations.iter().map(|&(id, minutes, _)| (id, day_slots(&tz, day, week, minutes))).collect();
            let mut cursor = i64::MIN;
            loop {
                if rng.unit() < 0.3 {
                    // A gap of a quarter of an hour.
                    let next = slots.iter().flat_map(|(_, s)| s).map(|&(s, _)| s).filter(|&s| s >= cursor).min();
                    match next {
                        Some(s) => cursor = s + 15 * 60,
                        None => break,
                    }
                    continue;
                }
                let pick = rng.unit();
                let mut acc = 0.0;
                let chosen = durations
                    .iter()
                    .position(|&(_, _, p)| {
                        acc += p;
                        pick < acc
                    })
                    .unwrap_or(0);
                let (service, service_slots) = &slots[chosen];
                let Some(&(start, end)) = service_slots.iter().find(|&&(s, _)| s >= cursor) else { break };
                cursor = end;
                let lead = 3600 + hours(rng.below(42 * 24));
                // Upcoming bookings booked further ahead than that were made in the last
                // two weeks.
                let mut created = start - lead;
                if created >= now {
                    created = now - 60 - hours(rng.below(14 * 24));
                }
                let cancelled = (rng.unit() < 0.08).then(|| {
                    let until = usize::try_from(start.min(now) - created).unwrap_or(1).max(1);
                    created + i64::try_from(rng.below(until)).unwrap_or(0)
                });
                let note = (rng.unit() < 0.85).then(|| NOTES[rng.below(NOTES.len())]);
                // Some patients book often, most a few times.
                #[allow(
                    clippy::cast_possible_truncation,
                    clippy::cast_sign_loss,
                    clippy::cast_precision_loss,
                    reason = "small"
                )]
                let patient = ((rng.unit().powi(2)) * args.patients as f64) as usize;
                plan.push(Planned {
                    patient: patient.min(args.patients - 1),
                    provider: provider.clone(),
                    service: (*service).to_owned(),
                    start,
                    created,
                    cancelled: cancelled.filter(|&at| at < start && at > created),
                    note,
                });
                if plan.len() == args.bookings {
                    break 'days;
                }
            }
        }
        day = day.yesterday().map_err(|e| e.to_string())?;
    }
    let first_day = day;
    let history_start = plan.iter().map(|p| p.created).min().unwrap_or(now) - 86_400;

    // The clinic, its providers and its patients, a day before the first booking is made.
    let clock = TestClock::new(history_start);
    let limits = RateLimits { standard: 1 << 40, phi_read: 1 << 40, export: 1 << 40, guest_booking: 1 << 40 };
    // Sessions that outlive the simulated year and a half (only the seeder uses them).
    let century = 100 * 365 * 86_400;
    let config =
        Config { rate_limits: limits, session_idle_secs: century, session_absolute_secs: century, ..Config::default() };
    let state = AppState::new(store, master, Arc::new(clock.clone()), config).map_err(|e| e.to_string())?;
    demo::seed(&state, KdfProfile::InsecureFastForTests).await.map_err(|e| e.to_string())?;
    for (i, (provider, week)) in providers.iter().enumerate().skip(1) {
        add_provider(&state, provider, &format!("Dr. {} {}", FIRST[i % 16], LAST[(i * 7) % 16]), week).await?;
    }
    let api = Api(app(state));
    let clinic = clinic_key(&api, DEMO_TENANT).await?;
    let mut patients = Vec::with_capacity(args.patients);
    for i in 0..args.patients {
        let email = format!("patient-{i}@bench.example");
        let name = format!("{} {}", FIRST[i % 16], LAST[(i / 16) % 16]);
        let at = u64::try_from(clock.now()).unwrap_or(0);
        patients.push(sign_up(&api, DEMO_TENANT, &email, &name, at).await?);
        clock.advance(7);
    }
    let signed_up = began.elapsed();

    // The timeline, in time order; notes are sealed on another thread meanwhile.
    let mut steps: Vec<(i64, Step)> = plan.iter().enumerate().map(|(i, p)| (p.created, Step::Create(i))).collect();
    steps.extend(plan.iter().enumerate().filter_map(|(i, p)| p.cancelled.map(|at| (at, Step::Cancel(i)))));
    steps.sort_by_key(|&(at, step)| (at, matches!(step, Step::Cancel(_))));
    let ids: Vec<String> =
        (0..plan.len()).map(|_| auth::new_id().map_err(|e| e.to_string())).collect::<Result<_, _>>()?;
    let plan = Arc::new(plan);
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Result<Option<String>, String>>(4096);
    let sealer = {
        let (plan, ids, keys) =
            (plan.clone(), ids.clone(), patients.iter().map(|(_, k)| k.public_key().clone()).collect::<Vec<_>>());
        let order: Vec<usize> =
            steps.iter().filter_map(|&(_, s)| if let Step::Create(i) = s { Some(i) } else { None }).collect();
        let clinic = clinic.clone();
        std::thread::spawn(move || {
            for i in order {
                let p = &plan[i];
                let sealed = p.note.map(|text| seal(text, &ids[i], &clinic, &keys[p.patient])).transpose();
                if tx.blocking_send(sealed).is_err() {
                    return;
                }
            }
        })
    };
    let (mut made, mut cancelled, mut with_notes, mut note_bytes) = (0usize, 0usize, 0usize, 0usize);
    for &(at, step) in &steps {
        clock.advance(at - clock.now());
        match step {
            Step::Create(i) => {
                let p = &plan[i];
                let note = rx.recv().await.ok_or("the sealing thread stopped")??;
                if let Some(note) = &note {
                    with_notes += 1;
                    note_bytes += note.len();
                }
                let request = CreateBookingRequest {
                    id: Some(ids[i].clone()),
                    provider_id: p.provider.clone(),
                    service_id: p.service.clone(),
                    start: Timestamp::from_second(p.start).map_err(|e| e.to_string())?.to_string(),
                    note,
                };
                let body = serde_json::to_value(request).map_err(|e| e.to_string())?;
                let cookie = &patients[p.patient].0;
                api.expect(StatusCode::CREATED, "POST", "/api/bookings", Some(body), Some(cookie)).await?;
                made += 1;
            }
            Step::Cancel(i) => {
                let cookie = &patients[plan[i].patient].0;
                let path = format!("/api/bookings/{}/cancel", ids[i]);
                api.expect(StatusCode::OK, "POST", &path, None, Some(cookie)).await?;
                cancelled += 1;
            }
        }
    }
    sealer.join().map_err(|_| "the sealing thread panicked")?;
    let upcoming = plan.iter().filter(|p| p.start > now && p.cancelled.is_none()).count();
    #[allow(clippy::print_stdout, reason = "the one summary line xtask reads")]
    {
        println!(
            "{}",
            json!({
                "bookings": made,
                "cancelled": cancelled,
                "upcoming_active": upcoming,
                "with_note": with_notes,
                "mean_note_bytes": note_bytes.checked_div(with_notes).unwrap_or(0),
                "patients": args.patients,
                "providers": providers.len(),
                "first_day": first_day.to_string(),
                "last_day": horizon.to_string(),
                "access_log_events": made + cancelled,
                "sign_up_seconds": signed_up.as_secs_f64(),
                "seconds": began.elapsed().as_secs_f64(),
            })
        );
    }
    Ok(())
}

/// A note sealed to the clinic key and the patient's key, bound to booking `id`.
fn seal(text: &str, id: &str, clinic: &PublicKey, patient: &PublicKey) -> Result<String, String> {
    let context = Context::new(DEMO_TENANT, id, NOTE_FIELD, NOTE_SCHEMA_VERSION);
    let recipients = [clinic.clone(), patient.clone()];
    Ok(Envelope::seal(text.as_bytes(), &context, &recipients, SealOptions::default())
        .map_err(|e| e.to_string())?
        .to_string())
}

/// A provider as the demo clinic's is made (`bizing_server::demo`): a staff account with
/// client-made keys, the provider record and its weekly schedule.
async fn add_provider(state: &AppState, id: &str, name: &str, week: &[ScheduleRow]) -> Result<(), String> {
    let e = |e: &dyn std::fmt::Display| format!("provider {id}: {e}");
    let tenant = state.store.tenant(DEMO_TENANT).await.map_err(|x| e(&x))?.ok_or("no demo clinic")?;
    let keys = state.master.tenant_keys(DEMO_TENANT, &tenant.data_key_wrapped).map_err(|x| e(&x))?;
    let email = format!("{id}@staff.bench.example");
    let params = KdfParams::generate(KdfProfile::InsecureFastForTests).map_err(|x| e(&x))?;
    let derived = derive_password_keys(&format!("bench password of {email}"), &params).map_err(|x| e(&x))?;
    let pair = KeyPair::generate().map_err(|x| e(&x))?;
    let auth_key = Base64UrlUnpadded::decode_vec(derived.auth_key.to_base64url().as_str()).map_err(|x| e(&x))?;
    let user_id = auth::new_id().map_err(|x| e(&x))?;
    let user = NewUser {
        id: user_id.clone(),
        tenant_id: DEMO_TENANT.into(),
        role: "provider".into(),
        email_index: keys.email_index(&email),
        email_enc: keys.encrypt("users", "email_enc", &user_id, &email).map_err(|x| e(&x))?,
        name_enc: keys.encrypt("users", "name_enc", &user_id, name).map_err(|x| e(&x))?,
        auth_hash: auth::hash_auth_key(&auth_key).map_err(|x| e(&x))?,
        kdf_params: params.to_string(),
        public_key: pair.public_key().to_sec1().to_vec(),
        wrapped_private_key: pair.wrap_with_password(&derived.wrap_key).map_err(|x| e(&x))?.to_string(),
        recovery: Vec::new(),
        totp_secret_enc: None,
    };
    let now = state.clock.now();
    state.store.insert_user(&user, now).await.map_err(|x| e(&x))?;
    let row =
        ProviderRow { id: id.into(), tenant_id: DEMO_TENANT.into(), user_id, display_name: name.into(), active: true };
    state.store.insert_provider(&row).await.map_err(|x| e(&x))?;
    state.store.set_weekly_schedule(DEMO_TENANT, id, week).await.map_err(|x| e(&x))
}
