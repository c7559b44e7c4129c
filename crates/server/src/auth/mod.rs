//! Who is calling and what they may do (product §10). Every route names its policy in its
//! signature (`Auth<Admins>`, `PageAuth<Staff>`), so no route can forget to check.

pub mod limiter;
pub mod password;
pub mod token;

use std::marker::PhantomData;
use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{Method, header};
use axum::response::{IntoResponse, Redirect, Response};
use domain::{Role, Timestamp};
use jiff::SignedDuration;
use store::{ApiToken, AuditRecord, Cardholder, PrincipalRef, Session, User};

use crate::error::ApiError;
use crate::request_id::current_request_id;
use crate::state::AppState;

pub const SESSION_COOKIE: &str = "helpline_session";
pub const CSRF_HEADER: &str = "x-csrf-token";

/// The caller, once authenticated.
#[derive(Debug, Clone)]
pub enum Actor {
    Staff(Box<User>),
    Token(Box<ApiToken>),
    Cardholder(Box<Cardholder>),
}

#[derive(Debug, Clone)]
pub struct Principal {
    pub actor: Actor,
    /// The session's CSRF token; `None` for bearer tokens, which browsers never send by themselves.
    pub csrf: Option<String>,
}

impl Principal {
    pub fn role(&self) -> Option<Role> {
        match &self.actor {
            Actor::Staff(user) => Some(user.role),
            Actor::Token(token) => Some(token.role),
            Actor::Cardholder(_) => None,
        }
    }

    /// How the audit log names this caller.
    pub fn audit_name(&self) -> String {
        match &self.actor {
            Actor::Staff(user) => format!("staff:{}", user.id),
            Actor::Token(token) => format!("token:{}", token.id),
            Actor::Cardholder(c) => format!("cardholder:{}", c.id),
        }
    }

    pub fn display_name(&self) -> String {
        match &self.actor {
            Actor::Staff(user) => user.display_name.clone(),
            Actor::Token(token) => format!("API token {}", token.name),
            Actor::Cardholder(c) => c.full_name(),
        }
    }

    pub fn staff_user(&self) -> Option<&User> {
        match &self.actor {
            Actor::Staff(user) => Some(user),
            _ => None,
        }
    }

    pub fn cardholder(&self) -> Option<&Cardholder> {
        match &self.actor {
            Actor::Cardholder(c) => Some(c),
            _ => None,
        }
    }
}

/// Who a route admits.
pub trait Policy: Send + Sync + 'static {
    const ROLES: &'static [Role];
    const CARDHOLDERS: bool = false;
    /// For error messages and the API description.
    const WHO: &'static str;
}

macro_rules! policy {
    ($name:ident, $who:literal, [$($role:ident),*], cardholders = $c:literal) => {
        #[derive(Debug)]
        pub struct $name;
        impl Policy for $name {
            const ROLES: &'static [Role] = &[$(Role::$role),*];
            const CARDHOLDERS: bool = $c;
            const WHO: &'static str = $who;
        }
    };
}

policy!(
    Staff,
    "agents, supervisors, fraud analysts and admins",
    [Agent, Supervisor, FraudAnalyst, Admin],
    cardholders = false
);
policy!(
    Supervisors,
    "supervisors and admins",
    [Supervisor, Admin],
    cardholders = false
);
policy!(
    Analysts,
    "fraud analysts, supervisors and admins",
    [FraudAnalyst, Supervisor, Admin],
    cardholders = false
);
policy!(Admins, "admins", [Admin], cardholders = false);
policy!(
    Integrations,
    "integration tokens and admins",
    [Integration, Admin],
    cardholders = false
);
policy!(
    StaffAndIntegrations,
    "agents, supervisors, fraud analysts, admins and integration tokens",
    [Agent, Supervisor, FraudAnalyst, Admin, Integration],
    cardholders = false
);
policy!(Cardholders, "signed-in cardholders", [], cardholders = true);
policy!(
    Anyone,
    "anyone signed in",
    [Agent, Supervisor, FraudAnalyst, Admin, Integration],
    cardholders = true
);

fn admits<P: Policy>(principal: &Principal) -> bool {
    match principal.role() {
        Some(role) => P::ROLES.contains(&role),
        None => P::CARDHOLDERS,
    }
}

/// Why a caller was turned away.
enum Denied {
    Unauthenticated,
    Forbidden(String),
    Fault(ApiError),
}

/// The session cookie's value, if any.
pub fn session_cookie(headers: &axum::http::HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(cookie::Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == SESSION_COOKIE)
        .map(|c| c.value().to_owned())
}

fn bearer(parts: &Parts) -> Option<&str> {
    let value = parts.headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

async fn authenticate(parts: &Parts, state: &AppState) -> Result<Option<Principal>, ApiError> {
    let now = state.clock.now();
    if let Some(secret) = bearer(parts) {
        let Some(token) = state.store.active_api_token(&token::digest(secret)).await? else {
            return Err(ApiError::unauthorized(
                "The bearer token is unknown or revoked. Create one with `helpline token create --role ROLE`.",
            ));
        };
        // One write a minute per token is enough to show it is in use.
        if token
            .last_used_at
            .is_none_or(|at| now.duration_since(at) > SignedDuration::from_mins(1))
        {
            state.store.touch_api_token(token.id, now).await?;
        }
        return Ok(Some(Principal {
            actor: Actor::Token(Box::new(token)),
            csrf: None,
        }));
    }
    let Some(secret) = session_cookie(&parts.headers) else {
        return Ok(None);
    };
    let Some(session) = state
        .store
        .live_session(&token::digest(&secret), now)
        .await?
    else {
        return Ok(None);
    };
    let actor = match session.principal {
        PrincipalRef::Staff(id) => match state.store.user_by_id(id).await? {
            Some(user) if !user.disabled => Actor::Staff(Box::new(user)),
            _ => return Ok(None),
        },
        PrincipalRef::Cardholder(id) => match state.store.cardholder_by_id(id).await? {
            Some(c) => Actor::Cardholder(Box::new(c)),
            None => return Ok(None),
        },
    };
    Ok(Some(Principal {
        actor,
        csrf: Some(session.csrf_token),
    }))
}

async fn authorize<P: Policy>(parts: &Parts, state: &AppState) -> Result<Principal, Denied> {
    let principal = authenticate(parts, state)
        .await
        .map_err(Denied::Fault)?
        .ok_or(Denied::Unauthenticated)?;
    if !admits::<P>(&principal) {
        let you = match principal.role() {
            Some(role) => format!("your role is {role}"),
            None => "you are signed in as a cardholder".to_owned(),
        };
        return Err(Denied::Forbidden(format!(
            "This is only for {}; {you}.",
            P::WHO
        )));
    }
    Ok(principal)
}

fn unsafe_method(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// An API caller admitted by policy `P`. Cookie sessions must send the CSRF token in
/// `X-CSRF-Token` on every state-changing request.
pub struct Auth<P>(pub Principal, pub PhantomData<P>);

impl<P: Policy> FromRequestParts<AppState> for Auth<P> {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let principal = authorize::<P>(parts, state)
            .await
            .map_err(|denied| match denied {
                Denied::Unauthenticated => ApiError::unauthorized(format!(
                    "Sign in or send `Authorization: Bearer <token>`; this is for {}.",
                    P::WHO
                )),
                Denied::Forbidden(msg) => ApiError::forbidden(msg),
                Denied::Fault(err) => err,
            })?;
        if let Some(expected) = &principal.csrf
            && unsafe_method(&parts.method)
        {
            let sent = parts
                .headers
                .get(CSRF_HEADER)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            if !constant_time_eq(sent, expected) {
                return Err(ApiError::forbidden(
                    "Missing or wrong X-CSRF-Token header: send the token from the page's csrf-token meta tag.",
                )
                .with_code("auth.csrf"));
            }
        }
        Ok(Auth(principal, PhantomData))
    }
}

/// A page visitor admitted by policy `P`; others are sent to the right login page.
/// Form handlers check the CSRF token from the form body with [`check_form_csrf`].
pub struct PageAuth<P>(pub Principal, pub PhantomData<P>);

impl<P: Policy> FromRequestParts<AppState> for PageAuth<P> {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        match authorize::<P>(parts, state).await {
            Ok(principal) => Ok(PageAuth(principal, PhantomData)),
            Err(Denied::Unauthenticated) => {
                let login = if P::ROLES.is_empty() {
                    "/portal/login"
                } else {
                    "/login"
                };
                let next = parts
                    .uri
                    .path_and_query()
                    .map(|p| p.as_str())
                    .unwrap_or("/");
                let target = format!("{login}?next={}", urlencode(next));
                Err(Redirect::to(&target).into_response())
            }
            Err(Denied::Forbidden(msg)) => Err(crate::ui::forbidden_page(state, parts, &msg)),
            Err(Denied::Fault(err)) => Err(err.into_response()),
        }
    }
}

/// The caller if signed in, for pages that anyone may see.
pub struct MaybePrincipal(pub Option<Principal>);

impl FromRequestParts<AppState> for MaybePrincipal {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        // A bad bearer token on a public page is ignored rather than refused.
        Ok(MaybePrincipal(
            authenticate(parts, state).await.unwrap_or(None),
        ))
    }
}

pub fn check_form_csrf(principal: &Principal, sent: &str) -> Result<(), ApiError> {
    match &principal.csrf {
        Some(expected) if constant_time_eq(sent, expected) => Ok(()),
        Some(_) => Err(ApiError::forbidden(
            "The form is out of date; reload the page and try again.",
        )
        .with_code("auth.csrf")),
        None => Ok(()),
    }
}

fn constant_time_eq(a: &str, b: &str) -> bool {
    use subtle::ConstantTimeEq;
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

pub fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Where the request came from, for the audit log.
#[derive(Debug, Clone)]
pub struct Ctx {
    pub ip: String,
    pub user_agent: String,
}

impl FromRequestParts<AppState> for Ctx {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        _state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let ip = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip().to_string())
            .unwrap_or_else(|| "unknown".to_owned());
        let user_agent = parts
            .headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .chars()
            .take(200)
            .collect();
        Ok(Ctx { ip, user_agent })
    }
}

impl Ctx {
    /// An audit row for something `who` did to `subject` now.
    pub fn audit(
        &self,
        who: &Principal,
        at: Timestamp,
        action: &str,
        subject: impl Into<String>,
        detail: serde_json::Value,
    ) -> AuditRecord {
        AuditRecord {
            at,
            actor: who.audit_name(),
            action: action.to_owned(),
            subject: subject.into(),
            ip: self.ip.clone(),
            request_id: current_request_id(),
            detail,
        }
    }
}

impl Ctx {
    /// Writes the audit row for a read of personal data at once (a change puts its row in the
    /// change's `Effects` instead, so both land in one transaction).
    pub async fn record(
        &self,
        state: &AppState,
        who: &Principal,
        action: &str,
        subject: impl Into<String>,
        detail: serde_json::Value,
    ) -> Result<(), ApiError> {
        let row = self.audit(who, state.clock.now(), action, subject, detail);
        state.store.append_audit(&[row]).await?;
        Ok(())
    }
}

/// Starts a session; returns the cookie to set.
pub async fn start_session(
    state: &AppState,
    principal: PrincipalRef,
    ctx: &Ctx,
) -> Result<cookie::Cookie<'static>, ApiError> {
    let secret = token::generate("hs_");
    let now = state.clock.now();
    let session = Session {
        token_hash: token::digest(&secret),
        principal,
        csrf_token: token::generate(""),
        created_at: now,
        expires_at: now + SignedDuration::from_hours(i64::from(state.settings.auth.session_hours)),
        ip: ctx.ip.clone(),
        user_agent: ctx.user_agent.clone(),
    };
    state.store.insert_session(&session).await?;
    Ok(session_cookie_for(
        state,
        secret,
        session.expires_at.duration_since(now),
    ))
}

pub fn session_cookie_for(
    state: &AppState,
    value: String,
    lifetime: SignedDuration,
) -> cookie::Cookie<'static> {
    cookie::Cookie::build((SESSION_COOKIE, value))
        .path("/")
        .http_only(true)
        .secure(state.settings.secure_cookies())
        .same_site(cookie::SameSite::Strict)
        .max_age(cookie::time::Duration::seconds(lifetime.as_secs()))
        .build()
}

impl ApiError {
    pub fn with_code(mut self, code: &'static str) -> Self {
        self.code = code;
        self
    }
}
