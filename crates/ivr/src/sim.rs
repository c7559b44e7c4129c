//! A stand-in for the edge: one demo cardholder whose bank answers every effect, and the
//! effect loop the edge runs per request. For tests, benchmarks and offline runs of a flow.

use domain::{CardId, Currency, Department, Lang, Money, Tier, Timestamp};
use jiff::ToSpan;

use crate::call::{
    CardRef, DeliveryWindow, Effect, EffectResult, Event, Factor, FactorCheck, Output, Payment,
    Question, Reply, Shipping, VerificationLevel,
};
use crate::card_number::with_check_digit;
use crate::interpreter::CallState;
use crate::load::Flow;

/// Carries out effects until the flow answers the caller: what the edge does for each webhook.
pub fn drive(
    flow: &Flow,
    state: &mut CallState,
    mut output: Output,
    now: Timestamp,
    mut perform: impl FnMut(&Effect) -> EffectResult,
) -> Reply {
    loop {
        match output {
            Output::Reply(reply) => return reply,
            Output::Perform(request) => {
                let result = perform(&request.effect);
                output = flow.handle(state, Event::Done(result), now);
            }
        }
    }
}

/// A cardholder and the answers their bank gives.
#[derive(Debug, Clone)]
pub struct DemoBank {
    pub card: CardRef,
    /// Generated at run time with a valid check digit; never a real card.
    pub card_number: String,
    pub security_code: String,
    /// `YYYY-MM-DD`.
    pub date_of_birth: String,
    pub postcode: String,
    pub phone_on_file: String,
    pub tax_id_last4: String,
    pub tier: Tier,
    /// Failed checks after which verification is locked.
    pub lock_after: u8,
    pub failures: u8,
    /// Text fragments the stand-in classifier recognises.
    pub classifier: Vec<(&'static str, Department, f32)>,
    pub today: jiff::civil::Date,
}

impl DemoBank {
    pub fn new(tier: Tier, today: jiff::civil::Date) -> Self {
        let card_number = with_check_digit("37990000004242");
        let last4 = card_number[card_number.len() - 4..].to_owned();
        Self {
            card: CardRef {
                id: CardId(uuid::Uuid::from_u128(
                    0x0190_0000_0000_7000_8000_0000_0000_4242,
                )),
                last4,
            },
            card_number,
            security_code: "1234".into(),
            date_of_birth: "1980-02-01".into(),
            postcode: "10001".into(),
            phone_on_file: "2125550100".into(),
            tax_id_last4: "6789".into(),
            tier,
            lock_after: 5,
            failures: 0,
            classifier: vec![
                ("charged twice", Department::BillingDisputes, 0.91),
                ("transfer money", Department::PaymentsTransfers, 0.84),
                ("something odd", Department::General, 0.2),
            ],
            today,
        }
    }

    /// The keys this cardholder presses for the question the call asks now: the right answer
    /// to an identity question (a date of birth month first in English, day first otherwise,
    /// as the demo flow asks), a PIN keyed twice, or "1".
    pub fn answer(&self, state: &CallState) -> String {
        match state.question() {
            Some(Question::Factor(factor)) => match factor {
                Factor::CardNumber => self.card_number.clone(),
                Factor::SecurityCode => self.security_code.clone(),
                Factor::DateOfBirth if state.language() == Lang::En => "02011980".into(),
                Factor::DateOfBirth => "01021980".into(),
                Factor::Postcode => self.postcode.clone(),
                Factor::PhoneOnFile => self.phone_on_file.clone(),
                Factor::TaxIdLast4 => self.tax_id_last4.clone(),
            },
            Some(Question::NewPin) => "56785678".into(),
            _ => "1".into(),
        }
    }

    fn expected(&self, factor: Factor) -> &str {
        match factor {
            Factor::CardNumber => &self.card_number,
            Factor::SecurityCode => &self.security_code,
            Factor::DateOfBirth => &self.date_of_birth,
            Factor::Postcode => &self.postcode,
            Factor::PhoneOnFile => &self.phone_on_file,
            Factor::TaxIdLast4 => &self.tax_id_last4,
        }
    }

    pub fn perform(&mut self, effect: &Effect) -> EffectResult {
        match effect {
            Effect::CheckFactor { answer, passed, .. } => {
                if self.failures >= self.lock_after {
                    return EffectResult::FactorChecked(FactorCheck::Locked);
                }
                if answer.value.expose() != self.expected(answer.factor) {
                    self.failures += 1;
                    return EffectResult::FactorChecked(if self.failures >= self.lock_after {
                        FactorCheck::Locked
                    } else {
                        FactorCheck::Mismatch
                    });
                }
                let mut proven = passed.clone();
                proven.push(answer.factor);
                let level = if proven.contains(&Factor::CardNumber)
                    && proven.contains(&Factor::SecurityCode)
                {
                    VerificationLevel::Strong
                } else if proven.len() >= 2 {
                    VerificationLevel::Basic
                } else {
                    VerificationLevel::None
                };
                EffectResult::FactorChecked(FactorCheck::Passed {
                    card: Some(self.card.clone()),
                    tier: Some(self.tier),
                    level,
                })
            }
            Effect::ReportLostOrStolen { shipping, .. } => {
                let (earliest, latest) = match shipping {
                    Shipping::Standard => (3, 5),
                    Shipping::Expedited => (1, 2),
                    Shipping::Global { .. } => (1, 3),
                };
                let day = |n: i64| self.today.checked_add(n.days()).unwrap_or(self.today);
                EffectResult::LostOrStolenReported {
                    case_reference: "LS-4821-07".into(),
                    delivery: DeliveryWindow {
                        earliest: day(earliest),
                        latest: day(latest),
                    },
                }
            }
            Effect::ActivateCard { .. } => EffectResult::CardActivated,
            Effect::FetchBalance { .. } => EffectResult::Balance {
                balance: Money::new(123_456, Currency::USD),
                last_payment: Some(Payment {
                    amount: Money::new(50_000, Currency::USD),
                    date: self.today.checked_sub(12.days()).unwrap_or(self.today),
                }),
            },
            Effect::FetchRewards { .. } => EffectResult::Rewards { points: 48_250 },
            Effect::ClassifySpeech { text, .. } => {
                let text = text.to_lowercase();
                let (department, confidence) = self
                    .classifier
                    .iter()
                    .find(|(fragment, _, _)| text.contains(fragment))
                    .map_or((None, 0.1), |(_, d, c)| (Some(*d), *c));
                EffectResult::Classified {
                    department,
                    confidence,
                }
            }
            Effect::RequestCallback { .. } => EffectResult::CallbackBooked,
        }
    }
}
