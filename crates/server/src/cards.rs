//! Cards at the edge (product §2): load the facts, ask the `cards` crate, store the result and
//! its events in one transaction. The API, the pages, the IVR and fraud monitoring all call
//! these functions rather than re-implementing them (e.g. [`report_lost`]).

use cards::rand_core::UnwrapErr;
use cards::replacement::Destination;
use cards::{
    Actor, Answers, BusinessCalendar, Card, CardState, ContactDetails, KeyId, Keys, Loss, OnFile,
    Pan, PanLayout, PinHashParams, ReplacementOrder, ReplacementRequest, RewardsProgram,
    ShippingFees, VerificationPolicy, VerificationSession, demo_card,
};
use domain::{CardId, CardholderId, Channel, Timestamp};
use store::{
    AuditRecord, CardRecord, CardUpdate, Cardholder, Effects, NewEvent, Replacement, card_event,
};

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// The card-data keys from the secrets file (HMAC key and AES-256 data keys).
pub fn keys(state: &AppState) -> ApiResult<Keys> {
    keys_from(&state.secrets, PinHashParams::default())
}

pub fn keys_from(secrets: &crate::secrets::Secrets, pin: PinHashParams) -> ApiResult<Keys> {
    let fail = |e: &dyn std::fmt::Display| {
        ApiError::internal(&std::io::Error::other(format!("card-data keys: {e}")))
    };
    let mut data = Vec::new();
    for (id, key) in &secrets.data_keys {
        let id = KeyId::parse(id).map_err(|e| fail(&e))?;
        data.push((id, zeroize_key(*key)));
    }
    let active = KeyId::parse(&secrets.active_data_key).map_err(|e| fail(&e))?;
    Keys::new(&secrets.hmac_key, data, active, pin).map_err(|e| fail(&e))
}

fn zeroize_key(key: [u8; 32]) -> cards::secrets::KeyBytes {
    cards::secrets::KeyBytes::new(key)
}

/// The operating system's RNG, as the cards crate takes it.
pub fn rng() -> UnwrapErr<getrandom::SysRng> {
    UnwrapErr(getrandom::SysRng)
}

/// The rewards programme (earn rates and partners).
pub fn program() -> ApiResult<RewardsProgram> {
    RewardsProgram::demo().map_err(|e| ApiError::internal(&e))
}

/// Delivery windows count business days in the cardholder's own time zone.
pub fn calendar_for(holder: &Cardholder) -> BusinessCalendar {
    BusinessCalendar::named(&holder.time_zone, [])
        .unwrap_or_else(|_| BusinessCalendar::new(jiff::tz::TimeZone::UTC, []))
}

/// The address on file, as the cards crate checks it.
pub fn address_on_file(holder: &Cardholder) -> ApiResult<cards::Address> {
    to_card_address(&holder.address)
}

pub fn to_card_address(a: &store::Address) -> ApiResult<cards::Address> {
    let country = domain::Country::parse(&a.country).map_err(|e| {
        ApiError::unprocessable("address.invalid", format!("The address is not valid: {e}"))
    })?;
    cards::Address::new(cards::AddressFields {
        lines: a.lines.clone(),
        city: a.city.clone(),
        region: a.region.clone(),
        postcode: a.postcode.clone(),
        country,
    })
    .map_err(|e| {
        ApiError::unprocessable("address.invalid", format!("The address is not valid: {e}"))
    })
}

pub fn to_store_address(a: &cards::Address) -> store::Address {
    store::Address {
        lines: a.lines().to_vec(),
        city: a.city().to_owned(),
        region: a.region().to_owned(),
        postcode: a.postcode().to_owned(),
        country: a.country().code().to_owned(),
    }
}

pub fn events(events: &[cards::Event]) -> Vec<NewEvent> {
    events.iter().map(card_event).collect()
}

fn effects(evs: &[cards::Event], audit: AuditRecord) -> Effects {
    Effects {
        events: events(evs),
        audit: vec![audit],
    }
}

pub fn lifecycle_error(err: &cards::LifecycleError) -> ApiError {
    ApiError::conflict(
        err.code(),
        format!("{}.", err.to_string().trim_end_matches('.')),
    )
}

/// Loads a card or answers 404.
pub async fn load_card(state: &AppState, id: CardId) -> ApiResult<CardRecord> {
    state
        .store
        .card_by_id(id)
        .await?
        .ok_or_else(|| ApiError::not_found("card.not_found", format!("No card has id {id}.")))
}

/// The card with this number, looked up by its keyed hash (the number itself is never stored).
pub async fn card_by_number(state: &AppState, pan: &Pan) -> ApiResult<Option<CardRecord>> {
    let keys = keys(state)?;
    Ok(state.store.card_by_lookup(&keys.pan_lookup(pan)).await?)
}

/// A card-state change: lock, unlock or close.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StateChange {
    Lock,
    Unlock,
    Close,
}

/// Applies a lock, unlock or close and stores it with its events and audit row.
pub async fn change_state(
    state: &AppState,
    card_id: CardId,
    change: StateChange,
    by: Actor,
    audit: AuditRecord,
) -> ApiResult<CardRecord> {
    let record = load_card(state, card_id).await?;
    let now = state.clock.now();
    let transition = match change {
        StateChange::Lock => record.card.lock(by, now),
        StateChange::Unlock => record.card.unlock(by, now),
        StateChange::Close => record.card.close(by, now),
    }
    .map_err(|e| lifecycle_error(&e))?;
    Ok(state
        .store
        .update_card(
            &CardUpdate::state(&record, transition.card),
            effects(&transition.events, audit),
        )
        .await?)
}

/// Issued → active with a PIN (stored only as an argon2id hash).
pub async fn activate(
    state: &AppState,
    card_id: CardId,
    pin: &str,
    audit: AuditRecord,
) -> ApiResult<CardRecord> {
    let record = load_card(state, card_id).await?;
    let now = state.clock.now();
    record
        .card
        .check_activate(now)
        .map_err(|e| lifecycle_error(&e))?;
    let pin = cards::Pin::parse(pin)
        .map_err(|e| ApiError::unprocessable("card.invalid_pin", format!("{e}.")))?;
    let keys = keys(state)?;
    let card = record.card.clone();
    // argon2id takes tens of milliseconds: off the async workers.
    let activation =
        tokio::task::spawn_blocking(move || card.activate(&pin, &keys, &mut rng(), now))
            .await
            .map_err(|e| ApiError::internal(&e))?
            .map_err(|e| match e {
                cards::ActivationError::Lifecycle(e) => lifecycle_error(&e),
                other => ApiError::internal(&other),
            })?;
    Ok(state
        .store
        .update_card(
            &CardUpdate {
                card: activation.transition.card,
                pin_hash: Some(activation.pin_hash),
                alerts: None,
                version: record.version,
            },
            effects(&activation.transition.events, audit),
        )
        .await?)
}

/// What reporting a card did.
#[derive(Debug, Clone)]
pub struct Reported {
    /// The reported card, blocked from now on.
    pub card: Card,
    /// The replacement card and its order, unless the order was refused.
    pub replacement: Option<(Card, ReplacementOrder)>,
    /// Why the order was refused (the card stays blocked; order again with other options).
    pub order_refused: Option<String>,
}

impl Reported {
    /// What was done, in a sentence for a case's timeline.
    pub fn summary(&self) -> String {
        let what = match self.card.state {
            CardState::Lost { .. } => "lost",
            _ => "stolen",
        };
        let last4 = &self.card.last4;
        match (&self.replacement, &self.order_refused) {
            (Some((new, order)), _) => format!(
                "Card ending {last4} blocked and reported {what}; replacement ending {} ordered \
                 ({:?}, {}).",
                new.last4, order.shipping, order.window
            ),
            (None, Some(why)) => format!(
                "Card ending {last4} blocked and reported {what}; the replacement could not be \
                 ordered: {why}. Order one with the cardholder."
            ),
            (None, None) => format!("Card ending {last4} blocked and reported {what}."),
        }
    }
}

/// Issues a new card (new number in the issuer's range, new security code, new expiry) for the
/// same account as `old`. The number and code exist only in memory here: the store gets the
/// keyed hash, the ciphertext and the last four; the code goes to the card printer.
fn issue_replacement(keys: &Keys, old: &Card, now: Timestamp) -> ApiResult<CardRecord> {
    let seed = crate::secrets::random_bytes::<32>();
    let today = now.to_zoned_datetime(jiff::tz::TimeZone::UTC).date();
    let layout = old.layout;
    let made = demo_card(&seed, 0, layout, today)
        .map_err(|e| ApiError::internal(&std::io::Error::other(e.to_string())))?;
    let id = CardId::new();
    let card = Card::issue(
        id,
        old.account_id,
        old.cardholder_id,
        old.tier,
        &made.pan,
        made.expiry,
        now,
    );
    Ok(CardRecord {
        pan_lookup: keys.pan_lookup(&made.pan),
        pan_encrypted: keys
            .encrypt_pan(id, &made.pan, &mut rng())
            .map_err(|e| ApiError::internal(&e))?,
        security_code_hash: keys.security_code_hash(id, &made.security_code),
        pin_hash: None,
        alerts: Default::default(),
        version: 0,
        issued_at: now,
        card,
    })
}

/// Reports a card lost or stolen: it is blocked at once (`cards::can_authorize` refuses it from
/// this moment), a replacement is issued on the same account and ordered with `request`
/// (standard to the address on file when `None`), all in one transaction. If the order is
/// refused (e.g. global delivery to a home-country address), the block is committed anyway
/// and `order_refused` says why; order again with [`order_replacement`].
pub async fn report_lost(
    state: &AppState,
    card_id: CardId,
    loss: Loss,
    by: Actor,
    request: Option<ReplacementRequest>,
    audit: AuditRecord,
) -> ApiResult<Reported> {
    let record = load_card(state, card_id).await?;
    let now = state.clock.now();
    let reported = record
        .card
        .report(loss, by, now)
        .map_err(|e| lifecycle_error(&e))?;
    let request = request.unwrap_or(ReplacementRequest {
        shipping: cards::ShippingOption::Standard,
        destination: Destination::AddressOnFile,
    });
    let (new, ordered) = plan_replacement(state, &reported.card, &request, now).await?;
    // The cardholder hears from us at once (unless the fraud follow-up reported the card: its
    // own message already says a replacement is coming).
    let confirm = |order: Option<&ReplacementOrder>| {
        (by != Actor::FraudEngine).then(|| reported_notification(&reported.card, order))
    };
    match ordered {
        Ok(ordered) => {
            let mut all = reported.events.clone();
            all.extend(ordered.events.iter().cloned());
            let mut effects = effects(&all, audit);
            effects.events.extend(confirm(Some(&ordered.order)));
            state
                .store
                .save_replacement(
                    &Replacement {
                        old: CardUpdate::state(&record, ordered.old_card.clone()),
                        new: new.clone(),
                        order: ordered.order.clone(),
                    },
                    effects,
                )
                .await?;
            Ok(Reported {
                card: ordered.old_card,
                replacement: Some((new.card, ordered.order)),
                order_refused: None,
            })
        }
        Err(refused) => {
            let mut effects = effects(&reported.events, audit);
            effects.events.extend(confirm(None));
            state
                .store
                .update_card(&CardUpdate::state(&record, reported.card.clone()), effects)
                .await?;
            Ok(Reported {
                card: reported.card,
                replacement: None,
                order_refused: Some(refused.to_string()),
            })
        }
    }
}

/// "Your card is blocked" by SMS (and email), with when the replacement arrives if one was
/// ordered.
fn reported_notification(card: &Card, order: Option<&ReplacementOrder>) -> NewEvent {
    let mut args = serde_json::json!({"last4": card.last4.to_string()});
    if let Some(order) = order {
        args["window"] = serde_json::Value::String(order.window.to_string());
    }
    NewEvent::new(
        "notification.requested",
        format!("cardholder:{}", card.cardholder_id),
        serde_json::json!({
            "cardholder_id": card.cardholder_id,
            "channels": ["sms", "email"],
            "template": "card-reported",
            "args": args,
        }),
    )
}

/// Issues a new card for `old` and works out its order for the cardholder's address on file and
/// business calendar; the order may be refused (the caller decides what that means).
async fn plan_replacement(
    state: &AppState,
    old: &Card,
    request: &ReplacementRequest,
    now: Timestamp,
) -> ApiResult<(
    CardRecord,
    Result<cards::replacement::ReplacementOrdered, cards::replacement::ReplacementError>,
)> {
    let holder = state
        .store
        .cardholder_by_id(old.cardholder_id)
        .await?
        .ok_or_else(|| {
            ApiError::not_found("cardholder.not_found", "The card's cardholder is gone.")
        })?;
    let new = issue_replacement(&keys(state)?, old, now)?;
    let ordered = cards::order_replacement(
        old,
        &new.card,
        request,
        &address_on_file(&holder)?,
        &ShippingFees::default(),
        &calendar_for(&holder),
        now,
    );
    Ok((new, ordered))
}

/// Orders the replacement of a card already reported (or closed) without one.
pub async fn order_replacement(
    state: &AppState,
    card_id: CardId,
    request: ReplacementRequest,
    audit: AuditRecord,
) -> ApiResult<(Card, ReplacementOrder)> {
    let record = load_card(state, card_id).await?;
    let now = state.clock.now();
    let (new, ordered) = plan_replacement(state, &record.card, &request, now).await?;
    let ordered = ordered.map_err(|e| match e {
        cards::replacement::ReplacementError::Lifecycle(e) => lifecycle_error(&e),
        other => ApiError::unprocessable("replacement.refused", format!("{other}.")),
    })?;
    state
        .store
        .save_replacement(
            &Replacement {
                old: CardUpdate::state(&record, ordered.old_card.clone()),
                new: new.clone(),
                order: ordered.order.clone(),
            },
            effects(&ordered.events, audit),
        )
        .await?;
    Ok((new.card, ordered.order))
}

/// What identity verification checks answers against.
pub async fn on_file(state: &AppState, holder: &Cardholder) -> ApiResult<OnFile> {
    let cards = state
        .store
        .cards_for(holder.id)
        .await?
        .into_iter()
        .filter(|r| !r.card.state.is_terminal())
        .map(|r| cards::verification::CardOnFile {
            card_id: r.card.id,
            lookup: r.pan_lookup,
            security_code: r.security_code_hash,
        })
        .collect();
    Ok(OnFile {
        cards,
        date_of_birth: holder.date_of_birth.as_deref().and_then(|d| d.parse().ok()),
        postcode: holder.postcode.clone(),
        phone: holder
            .phone
            .as_deref()
            .and_then(|p| cards::PhoneNumber::parse(p).ok()),
        tax_id_last4: holder.tax_id_last4.clone(),
    })
}

/// The stored session for (cardholder, channel), or a fresh one.
pub async fn session(
    state: &AppState,
    holder: CardholderId,
    channel: Channel,
) -> ApiResult<VerificationSession> {
    Ok(state
        .store
        .verification_session(holder, channel)
        .await?
        .unwrap_or_else(|| VerificationSession::new(holder, channel)))
}

/// Checks answers; 3 failures in a row lock the channel for 30 minutes and raise the
/// `verification.locked` fraud signal (written with the session, in one transaction).
pub async fn verify(
    state: &AppState,
    holder: &Cardholder,
    channel: Channel,
    answers: &Answers,
    new_conversation: bool,
    audit: AuditRecord,
) -> ApiResult<(VerificationSession, cards::verification::Outcome)> {
    let mut current = session(state, holder.id, channel).await?;
    if new_conversation {
        current = current.new_conversation();
    }
    let on_file = on_file(state, holder).await?;
    let keys = keys(state)?;
    let attempt = current
        .attempt(
            answers,
            &on_file,
            &keys,
            &VerificationPolicy::default(),
            state.clock.now(),
        )
        .map_err(|e| ApiError::unprocessable("verification.no_answers", format!("{e}.")))?;
    state
        .store
        .save_verification_session(&attempt.session, effects(&attempt.events, audit))
        .await?;
    Ok((attempt.session, attempt.outcome))
}

/// Refuses unless the (cardholder, channel) session is verified enough for `action`; the
/// problem says what to ask for next.
pub async fn require_verified(
    state: &AppState,
    holder: CardholderId,
    channel: Channel,
    action: cards::Action,
) -> ApiResult<()> {
    let session = session(state, holder, channel).await?;
    session
        .authorize(action, state.clock.now())
        .map_err(|e| match e {
            cards::verification::AuthorizeError::Locked { .. } => ApiError::new(
                axum::http::StatusCode::FORBIDDEN,
                "verification.locked",
                format!("The cardholder cannot be served on {channel}: {e}."),
            ),
            step_up => ApiError::new(
                axum::http::StatusCode::FORBIDDEN,
                "verification.step_up_required",
                format!(
                    "Verify the cardholder on {channel} first: {step_up}. Send the answers to POST /api/v1/cardholders/{holder}/verification."
                ),
            ),
        })
}

/// The contact details as the cards crate sees them.
pub fn contact_details(holder: &Cardholder) -> ApiResult<ContactDetails> {
    let phone = holder.phone.as_deref().unwrap_or("");
    Ok(ContactDetails {
        address: address_on_file(holder)?,
        phone: cards::PhoneNumber::parse(phone).map_err(|_| {
            ApiError::unprocessable(
                "contact.no_phone",
                "The cardholder has no valid phone number on file; change the phone number first.",
            )
        })?,
        email: cards::Email::parse(&holder.email)
            .map_err(|e| ApiError::unprocessable("contact.invalid_email", format!("{e}.")))?,
    })
}

/// Is this card one the cardholder can still use (for pages)?
pub fn is_usable(card: &Card) -> bool {
    matches!(
        card.state,
        CardState::Issued { .. } | CardState::Active { .. } | CardState::Locked { .. }
    )
}

/// The layouts demo cards use by tier (Business and Centurion cards are 15 digits).
pub fn layout_for(tier: domain::Tier) -> PanLayout {
    match tier {
        domain::Tier::Centurion | domain::Tier::Business => PanLayout::Fifteen,
        _ => PanLayout::Sixteen,
    }
}
