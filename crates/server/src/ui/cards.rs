//! Card pages: the portal's cards page (lock/unlock, report lost, activate, disputes, rewards)
//! and the cards panel of the agent's customer view. Forms post to small handlers that call the
//! same code as the API (with the form's one-time key as the Idempotency-Key).

use askama::Template;
use axum::Form;
use axum::extract::{Multipart, Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use domain::{AccountId, CardId, CardholderId, Timestamp};
use serde::Deserialize;

use super::{Base, error_page, page_lang, query_param, render};
use crate::api::cards as api;
use crate::auth::{Cardholders, Ctx, PageAuth, Principal, check_form_csrf};
use crate::cards as svc;
use crate::error::ApiError;
use crate::i18n::Tr;
use crate::state::AppState;

pub struct TxRow {
    pub reference: String,
    pub date: String,
    pub merchant: String,
    pub amount: String,
    pub status: String,
}

pub struct CardRow {
    pub id: String,
    pub number: String,
    pub expiry: String,
    pub status: String,
    pub status_label: String,
    pub can_lock: bool,
    pub can_unlock: bool,
    pub can_activate: bool,
    pub can_report: bool,
    pub transactions: Vec<TxRow>,
}

pub struct AccountRow {
    pub id: String,
    pub product: String,
    pub tier: String,
    pub balance: i64,
    pub cards: Vec<CardRow>,
}

pub struct DisputeRow {
    pub id: String,
    pub transaction: String,
    pub amount: String,
    pub status: String,
    pub fraud: bool,
    pub decision_due: String,
    pub documents: Vec<(u32, String)>,
}

pub struct VerificationRow {
    pub channel: String,
    pub level: String,
    pub failures: u8,
    pub locked_until: Option<String>,
}

/// Everything the two pages show about a cardholder's cards.
pub struct CardsPanel {
    pub accounts: Vec<AccountRow>,
    pub disputes: Vec<DisputeRow>,
    pub verification: Vec<VerificationRow>,
    pub partners: Vec<(String, String)>,
}

fn day(at: Timestamp, tz: &str) -> String {
    let zone = jiff::tz::TimeZone::get(tz).unwrap_or(jiff::tz::TimeZone::UTC);
    at.to_zoned_datetime(zone).date().to_string()
}

/// Loads the panel (no audit: the caller's page is audited).
pub async fn panel(
    state: &AppState,
    tr: &Tr<'_>,
    holder: CardholderId,
    tz: &str,
) -> Result<CardsPanel, ApiError> {
    let now = state.clock.now();
    let overview = api::overview(state, holder).await?;
    let mut accounts = Vec::new();
    for account in overview.accounts {
        let mut cards = Vec::new();
        for card in account.cards {
            let record = svc::load_card(state, card.id).await?;
            let txs = state
                .store
                .transactions_for_card(card.id, None, None, 10)
                .await?;
            cards.push(CardRow {
                id: card.id.to_string(),
                number: card.number,
                expiry: card.expiry,
                status_label: tr.t(&format!("cards-status-{}", card.status)),
                can_lock: card.status == "active",
                can_unlock: card.status == "locked",
                can_activate: card.status == "issued",
                can_report: svc::is_usable(&record.card),
                status: card.status,
                transactions: txs
                    .iter()
                    .map(|t| TxRow {
                        reference: t.reference.0.clone(),
                        date: day(t.at, tz),
                        merchant: t.merchant.clone(),
                        amount: t.amount.to_string(),
                        status: api::TransactionView::from(t).status,
                    })
                    .collect(),
            });
        }
        accounts.push(AccountRow {
            id: account.id.to_string(),
            product: account.product,
            tier: account.tier,
            balance: account.rewards_balance,
            cards,
        });
    }
    let disputes = state
        .store
        .disputes_for(holder)
        .await?
        .iter()
        .map(|d| {
            let view = api::DisputeView::new(d, now);
            DisputeRow {
                id: view.id.to_string(),
                transaction: view.transaction,
                amount: d.amount.to_string(),
                status: tr.t(&format!("cards-dispute-{}", view.status)),
                fraud: view.fraud,
                decision_due: day(view.deadlines.decision, tz),
                documents: view
                    .documents
                    .iter()
                    .enumerate()
                    .map(|(n, doc)| (n as u32, doc.name.clone()))
                    .collect(),
            }
        })
        .collect();
    let verification = overview
        .verification
        .into_iter()
        .map(|v| VerificationRow {
            channel: v.channel,
            level: tr.t(&format!("cards-level-{}", v.level)),
            failures: v.failures,
            locked_until: v.locked_until,
        })
        .collect();
    let partners = svc::program()?
        .partners
        .into_iter()
        .map(|p| (p.id.clone(), p.to_string()))
        .collect();
    Ok(CardsPanel {
        accounts,
        disputes,
        verification,
        partners,
    })
}

#[derive(Template)]
#[template(path = "cards/portal.html")]
struct PortalCardsPage<'a> {
    base: Base<'a>,
    panel: CardsPanel,
    done: Option<String>,
    /// A fresh one-time key for this page's forms (a double submit replays, never repeats).
    key: String,
}

fn me(who: &Principal) -> Option<(CardholderId, String)> {
    who.cardholder().map(|c| (c.id, c.time_zone.clone()))
}

pub async fn portal_page(
    State(state): State<AppState>,
    PageAuth(who, ..): PageAuth<Cardholders>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    let lang = page_lang(&state, &headers, q.as_deref(), Some(&who));
    let base = Base::new(&state, lang, "cards-portal-title", Some(&who));
    let Some((id, tz)) = me(&who) else {
        return StatusCode::FORBIDDEN.into_response();
    };
    let panel = match panel(&state, &base.tr, id, &tz).await {
        Ok(p) => p,
        Err(e) => return e.into_response(),
    };
    let done = q
        .as_deref()
        .and_then(|q| query_param(q, "done"))
        .filter(|d| d.chars().all(|c| c.is_ascii_lowercase() || c == '-'))
        .map(|d| base.tr.t(&format!("cards-done-{d}")));
    render(&PortalCardsPage {
        base,
        panel,
        done,
        key: uuid::Uuid::now_v7().to_string(),
    })
}

#[derive(Debug, Deserialize)]
pub struct CardForm {
    pub csrf: String,
    pub key: String,
    #[serde(default)]
    pub pin: String,
    #[serde(default)]
    pub loss: String,
    #[serde(default)]
    pub shipping: String,
}

fn failed(state: &AppState, who: &Principal, headers: &HeaderMap, err: ApiError) -> Response {
    let lang = page_lang(state, headers, None, Some(who));
    error_page(state, lang, err.status, Some(who), err.detail)
}

/// Lock, unlock, activate or report from the portal's forms.
pub async fn portal_card_action(
    State(state): State<AppState>,
    PageAuth(who, ..): PageAuth<Cardholders>,
    ctx: Ctx,
    headers: HeaderMap,
    Path((id, action)): Path<(String, String)>,
    Form(form): Form<CardForm>,
) -> Response {
    let result = async {
        check_form_csrf(&who, &form.csrf)?;
        let id: CardId = id
            .parse()
            .map_err(|_| ApiError::not_found("card.not_found", "No such card."))?;
        let card = svc::load_card(&state, id).await?;
        let Some((me, _)) = me(&who) else {
            return Err(ApiError::forbidden("Sign in as a cardholder."));
        };
        if card.card.cardholder_id != me {
            return Err(ApiError::not_found("card.not_found", "No such card."));
        }
        let subject = format!("card:{id}");
        let audit = |name: &str| {
            ctx.audit(
                &who,
                state.clock.now(),
                name,
                subject.clone(),
                serde_json::json!({"via": "portal"}),
            )
        };
        let by = cards::Actor::Cardholder;
        let done = match action.as_str() {
            "lock" => {
                api::once(
                    &state,
                    &who,
                    &form.key,
                    &format!("card.lock:{id}"),
                    serde_json::json!({}),
                    async {
                        svc::change_state(
                            &state,
                            id,
                            svc::StateChange::Lock,
                            by,
                            audit("card.lock"),
                        )
                        .await?;
                        Ok((StatusCode::OK, ()))
                    },
                )
                .await?;
                "locked"
            }
            "unlock" => {
                api::once(
                    &state,
                    &who,
                    &form.key,
                    &format!("card.unlock:{id}"),
                    serde_json::json!({}),
                    async {
                        svc::change_state(
                            &state,
                            id,
                            svc::StateChange::Unlock,
                            by,
                            audit("card.unlock"),
                        )
                        .await?;
                        Ok((StatusCode::OK, ()))
                    },
                )
                .await?;
                "unlocked"
            }
            "activate" => {
                svc::activate(&state, id, &form.pin, audit("card.activate")).await?;
                "activated"
            }
            "report" => {
                let loss = if form.loss == "stolen" {
                    cards::Loss::Stolen
                } else {
                    cards::Loss::Lost
                };
                let shipping = if form.shipping == "expedited" {
                    cards::ShippingOption::Expedited
                } else {
                    cards::ShippingOption::Standard
                };
                let request = cards::ReplacementRequest {
                    shipping,
                    destination: cards::replacement::Destination::AddressOnFile,
                };
                api::once(
                    &state,
                    &who,
                    &form.key,
                    &format!("card.report:{id}"),
                    serde_json::json!({"loss": form.loss, "shipping": form.shipping}),
                    async {
                        svc::report_lost(&state, id, loss, by, Some(request), audit("card.report"))
                            .await?;
                        Ok((StatusCode::CREATED, ()))
                    },
                )
                .await?;
                "reported"
            }
            _ => {
                return Err(ApiError::not_found(
                    "route.not_found",
                    "No such card action.",
                ));
            }
        };
        Ok(done)
    }
    .await;
    match result {
        Ok(done) => Redirect::to(&format!("/portal/cards?done={done}")).into_response(),
        Err(err) => failed(&state, &who, &headers, err),
    }
}

/// Files a dispute from the portal's form (multipart, with documents).
pub async fn portal_dispute(
    State(state): State<AppState>,
    PageAuth(who, ..): PageAuth<Cardholders>,
    ctx: Ctx,
    headers: HeaderMap,
    Path(id): Path<String>,
    form: Multipart,
) -> Response {
    let result = async {
        let id: CardId = id
            .parse()
            .map_err(|_| ApiError::not_found("card.not_found", "No such card."))?;
        let (fields, uploads) = api::read_dispute_form(form).await?;
        check_form_csrf(&who, fields.get("csrf").map_or("", String::as_str))?;
        let key = fields.get("key").cloned().unwrap_or_default();
        let response =
            api::file_dispute_with(&state, &who, &ctx, &key, id, None, fields, uploads).await?;
        Ok::<_, ApiError>(response)
    }
    .await;
    match result {
        Ok(_) => Redirect::to("/portal/cards?done=disputed").into_response(),
        Err(err) => failed(&state, &who, &headers, err),
    }
}

#[derive(Debug, Deserialize)]
pub struct TransferForm {
    pub csrf: String,
    pub key: String,
    pub partner: String,
    pub member_number: String,
    pub points: String,
    pub date_of_birth: String,
    pub postcode: String,
    pub tax_id_last4: String,
}

/// A rewards transfer from the portal: the step-up answers come with the form.
pub async fn portal_transfer(
    State(state): State<AppState>,
    PageAuth(who, ..): PageAuth<Cardholders>,
    ctx: Ctx,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<TransferForm>,
) -> Response {
    let result = async {
        check_form_csrf(&who, &form.csrf)?;
        let id: AccountId = id
            .parse()
            .map_err(|_| ApiError::not_found("account.not_found", "No such account."))?;
        let holder = who
            .cardholder()
            .cloned()
            .ok_or_else(|| ApiError::forbidden("Sign in as a cardholder."))?;
        let account = state
            .store
            .card_account(id)
            .await?
            .filter(|a| a.cardholder_id == holder.id)
            .ok_or_else(|| ApiError::not_found("account.not_found", "No such account."))?;
        let points: i64 = form.points.trim().parse().map_err(|_| {
            ApiError::unprocessable(
                "rewards.refused",
                "Write the points as a whole number, e.g. 1000.",
            )
        })?;
        let body = api::TransferRequest {
            partner: form.partner.clone(),
            member_number: form.member_number.clone(),
            points,
        };
        let request = serde_json::to_value(&body).unwrap_or_default();
        api::once(
            &state,
            &who,
            &form.key,
            &format!("rewards.transfer:{id}"),
            request,
            async {
                let answers = api::VerifyRequest {
                    date_of_birth: Some(form.date_of_birth.clone()),
                    postcode: Some(form.postcode.clone()),
                    tax_id_last4: Some(form.tax_id_last4.clone()),
                    ..Default::default()
                };
                let row = ctx.audit(
                    &who,
                    state.clock.now(),
                    "verification.attempt",
                    format!("cardholder:{}", holder.id),
                    serde_json::json!({"channel": "in_app", "via": "portal"}),
                );
                svc::verify(
                    &state,
                    &holder,
                    domain::Channel::InApp,
                    &api::answers(&answers)?,
                    false,
                    row,
                )
                .await?;
                svc::require_verified(
                    &state,
                    holder.id,
                    domain::Channel::InApp,
                    cards::Action::TransferRewards,
                )
                .await?;
                api::transfer_points(&state, &who, &ctx, &account, &form.key, &body).await
            },
        )
        .await?;
        Ok::<_, ApiError>(())
    }
    .await;
    match result {
        Ok(()) => Redirect::to("/portal/cards?done=transferred").into_response(),
        Err(err) => failed(&state, &who, &headers, err),
    }
}

#[derive(Template)]
#[template(path = "cards/staff_panel.html")]
pub struct StaffPanel<'a> {
    pub tr: Tr<'a>,
    pub panel: CardsPanel,
}

/// The cards panel of the agent's customer view, rendered to HTML.
pub async fn staff_panel(state: &AppState, tr: Tr<'_>, holder: &store::Cardholder) -> String {
    match panel(state, &tr, holder.id, &holder.time_zone).await {
        Ok(panel) => StaffPanel { tr, panel }.render().unwrap_or_default(),
        Err(e) => {
            tracing::warn!(error = %e, "could not load the cards panel");
            String::new()
        }
    }
}
