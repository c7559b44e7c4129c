//! Figures for `helpline bench cases` (and `cargo run --release -p cases --example bench_cases`).
//! Each figure is the mean over `iterations` runs of a realistic operation.

use std::hint::black_box;
use std::time::Instant;

use domain::{CaseId, Channel, Reason, Tier, UserId};
use jiff::civil::Date;
use jiff::{SignedDuration, Timestamp};

use crate::appointments::demo_centres;
use crate::case::{Actor, Case, CaseCommand, Context, NewCase};
use crate::redact::redact;
use crate::reference::CaseRef;
use crate::rules::CaseRules;

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Figures {
    pub iterations: u32,
    /// Generate, print and parse back one reference.
    pub reference_ns: f64,
    /// Redact one social post of about 250 bytes holding six kinds of personal data.
    pub redact_post_us: f64,
    pub redact_mb_per_s: f64,
    /// One case command (open, respond, wait, resume, resolve, close, mixed).
    pub case_command_ns: f64,
    /// SLA status of a case with several pauses.
    pub sla_status_ns: f64,
    /// All slots of the three demo centres over 60 days.
    pub slots_60_days_us: f64,
}

/// The card number in it deliberately fails the Luhn check.
const POST: &str = "@ExampleCard you charged me $89.99 twice on card 5105 1051 0510 5101!! Call me at (415) 555-0123 or email kim.lee@example.net. I'm at 88 Colin P Kelly Jr Street, San Francisco, CA 94107. My PIN is 4821, case HL-222-222-222";

fn mean_ns(iterations: u32, mut run: impl FnMut(u32)) -> f64 {
    let started = Instant::now();
    for i in 0..iterations {
        run(i);
    }
    started.elapsed().as_nanos() as f64 / f64::from(iterations.max(1))
}

/// Opens a chat case and takes it through a typical life; returns it and the commands run.
fn lifecycle(rules: &CaseRules, seed: u32) -> Option<(Case, u32)> {
    let start = Timestamp::from_second(1_770_000_000).unwrap_or(Timestamp::UNIX_EPOCH);
    let at = |minutes: i64| {
        start
            .saturating_add(SignedDuration::from_mins(minutes))
            .unwrap_or(start)
    };
    let new = NewCase {
        id: CaseId(uuid::Uuid::from_u128(u128::from(seed) + 1)),
        reference: CaseRef::generate(u64::from(seed)),
        cardholder: None,
        tier: Some(Tier::Gold),
        subject: "Card declined abroad".to_owned(),
        reason: Reason::Travel,
        department: None,
        channel: Channel::Chat,
    };
    let agent = Actor::Staff(UserId(uuid::Uuid::from_u128(7)));
    let (mut case, _) = Case::open(new, Actor::System, at(0)).ok()?;
    let commands = [
        CaseCommand::RecordAgentResponse { conversation: None },
        CaseCommand::AwaitCustomer {
            request: "Which country?".to_owned(),
        },
        CaseCommand::RecordCustomerMessage { conversation: None },
        CaseCommand::AddNote {
            text: "Travel notice set".to_owned(),
        },
        CaseCommand::AwaitCustomer {
            request: "Try again please".to_owned(),
        },
        CaseCommand::Resume,
        CaseCommand::Resolve {
            summary: "Travel notice added".to_owned(),
        },
        CaseCommand::Close,
    ];
    let mut executed = 1;
    for (i, command) in commands.into_iter().enumerate() {
        let context = Context {
            now: at(10 * (i as i64 + 1)),
            actor: agent,
            rules,
        };
        if case.execute(command, context).is_ok() {
            executed += 1;
        }
    }
    Some((case, executed))
}

pub fn run(iterations: u32) -> Figures {
    let iterations = iterations.max(1);
    let rules = CaseRules::default();
    let reference_ns = mean_ns(iterations, |i| {
        let reference = CaseRef::generate(u64::from(i).wrapping_mul(0x9E37_79B9_7F4A_7C15));
        black_box(CaseRef::parse(&reference.to_string()).ok());
    });
    let redact_ns = mean_ns(iterations, |_| {
        black_box(redact(black_box(POST)));
    });
    let mut commands = 0u64;
    let lifecycle_ns = mean_ns(iterations, |i| {
        if let Some((case, executed)) = lifecycle(&rules, i) {
            commands += u64::from(executed);
            black_box(case);
        }
    });
    let sla_status_ns = lifecycle(&rules, 1).map_or(f64::NAN, |(case, _)| {
        mean_ns(iterations, |_| {
            black_box(case.sla(&rules.sla, case.updated_at));
        })
    });
    let centres = demo_centres();
    let from = Date::new(2026, 3, 1).unwrap_or(Date::MIN);
    let to = Date::new(2026, 4, 29).unwrap_or(Date::MIN);
    let slot_iterations = (iterations / 100).max(1);
    let slots_ns = mean_ns(slot_iterations, |_| {
        for centre in &centres {
            black_box(centre.slots(from, to).ok());
        }
    });
    let per_lifecycle = commands as f64 / f64::from(iterations);
    Figures {
        iterations,
        reference_ns,
        redact_post_us: redact_ns / 1_000.0,
        redact_mb_per_s: POST.len() as f64 / redact_ns * 1_000.0,
        case_command_ns: lifecycle_ns / per_lifecycle.max(1.0),
        sla_status_ns,
        slots_60_days_us: slots_ns / 1_000.0,
    }
}
