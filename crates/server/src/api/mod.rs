//! The JSON API under `/api/v1`, described by the OpenAPI document at `/api/openapi.json`,
//! which is generated from the handlers' annotations.

pub mod admin;
pub mod appointments;
pub mod audit;
pub mod cardholders;
pub mod cards;
pub mod cases;
pub mod channels;
pub mod chat;
pub mod directory;
pub mod extract;
pub mod fraud;
pub mod health;
pub mod intent;
pub mod notifications;
pub mod routing;
pub mod secure_messages;
pub mod session;

use axum::extract::Request;
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{ApiError, PROBLEM_JSON};
use crate::state::AppState;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Helpline API",
        description = "Customer support for a card issuer. Errors are RFC 9457 problem details \
                       (application/problem+json) with a stable `code`. Authenticate with a session \
                       cookie (plus `X-CSRF-Token` on changes) or `Authorization: Bearer <token>`."
    ),
    components(schemas(crate::error::Problem)),
    modifiers(&Security)
)]
struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(
                crate::auth::SESSION_COOKIE,
            ))),
        );
    }
}

/// Every API route, with the OpenAPI document built from them.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(health::healthz))
        .routes(routes!(health::readyz))
        .routes(routes!(session::login))
        .routes(routes!(session::portal_login))
        .routes(routes!(session::logout))
        .routes(routes!(session::me))
        .routes(routes!(admin::list_users, admin::create_user))
        .routes(routes!(admin::list_tokens, admin::create_token))
        .routes(routes!(admin::revoke_token))
        .routes(routes!(cardholders::search))
        .routes(routes!(cardholders::get))
        .routes(routes!(notifications::list))
        .routes(routes!(audit::list))
        .routes(routes!(intent::classify))
        .routes(routes!(fraud::authorize))
        .routes(routes!(fraud::enrol_card))
        .routes(routes!(fraud::sms_reply))
        .routes(routes!(fraud::portal_answer))
        .routes(routes!(fraud::alerts))
        .routes(routes!(fraud::analyst_action))
        .routes(routes!(fraud::cardholder_decisions))
        .routes(routes!(routing::enter))
        .routes(routes!(routing::contact))
        .routes(routes!(routing::abandon))
        .routes(routes!(routing::callback))
        .routes(routes!(routing::accept))
        .routes(routes!(routing::decline))
        .routes(routes!(routing::complete))
        .routes(routes!(routing::console))
        .routes(routes!(routing::console_live))
        .routes(routes!(routing::set_presence))
        .routes(routes!(routing::wrap_up_done))
        .routes(routes!(routing::figures))
        .routes(routes!(routing::agents))
        .routes(routes!(routing::set_skills))
        .merge(cards_routes())
}

/// Cards, disputes, rewards and verification (product §2).
fn cards_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(cards::cardholder_cards))
        .routes(routes!(cards::my_cards))
        .routes(routes!(cards::get_card))
        .routes(routes!(cards::lock))
        .routes(routes!(cards::unlock))
        .routes(routes!(cards::activate))
        .routes(routes!(cards::report))
        .routes(routes!(cards::replacement))
        .routes(routes!(cards::set_alerts))
        .routes(routes!(cards::transactions, cards::record_transaction))
        .routes(routes!(cards::file_dispute))
        .routes(routes!(cards::cardholder_disputes))
        .routes(routes!(cards::dispute_document))
        .routes(routes!(cards::dispute_step))
        .routes(routes!(cards::rewards))
        .routes(routes!(cards::transfer))
        .routes(routes!(cards::verify))
        .routes(routes!(cards::verify_integration))
        .routes(routes!(cards::verify_me))
        .routes(routes!(cards::change_contact))
        .routes(routes!(directory::lookup))
        .routes(routes!(directory::check))
        .routes(routes!(directory::report, directory::reports))
        .routes(routes!(directory::moderate))
        .routes(routes!(directory::entries, directory::create_entry))
        .routes(routes!(directory::import))
        .routes(routes!(directory::update_entry, directory::delete_entry))
        .routes(routes!(cases::create, cases::list))
        .routes(routes!(cases::get))
        .routes(routes!(cases::command))
        .routes(routes!(cases::merge))
        .routes(routes!(cases::survey))
        .routes(routes!(chat::start, chat::mine))
        .routes(routes!(chat::messages))
        .routes(routes!(chat::close))
        .routes(routes!(chat::live))
        .routes(routes!(chat::upload))
        .routes(routes!(chat::download))
        .routes(routes!(appointments::centres))
        .routes(routes!(appointments::slots))
        .routes(routes!(appointments::list, appointments::create))
        .routes(routes!(appointments::get))
        .routes(routes!(appointments::reschedule))
        .routes(routes!(appointments::cancel_one))
        .merge(channel_routes())
}

/// Email, social media, secure messages, mail and fax (issue 7).
fn channel_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(channels::email_inbound))
        .routes(routes!(channels::email_reply))
        .routes(routes!(channels::social_inbound))
        .routes(routes!(channels::paper_intake))
        .routes(routes!(channels::items))
        .routes(routes!(secure_messages::create, secure_messages::list))
        .routes(routes!(secure_messages::upload))
        .routes(routes!(secure_messages::download))
        .routes(routes!(secure_messages::get))
        .routes(routes!(secure_messages::reply))
        .routes(routes!(secure_messages::record))
}

/// Middleware for `/api`: any error answer that is not already problem+json (unknown route,
/// wrong method, a layer's rejection) becomes one, so API clients see one error shape.
pub async fn problems_only(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    let status = response.status();
    let is_problem = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(PROBLEM_JSON.as_bytes()));
    if !(status.is_client_error() || status.is_server_error()) || is_problem {
        return response;
    }
    let (code, detail) = match status {
        StatusCode::NOT_FOUND => (
            "route.not_found",
            "There is no such API route; see /api/openapi.json.".to_owned(),
        ),
        StatusCode::METHOD_NOT_ALLOWED => (
            "route.method_not_allowed",
            "This route does not accept that HTTP method; see /api/openapi.json.".to_owned(),
        ),
        StatusCode::PAYLOAD_TOO_LARGE => (
            "request.too_large",
            "The body is larger than this server accepts (server.max_body_bytes).".to_owned(),
        ),
        StatusCode::REQUEST_TIMEOUT | StatusCode::SERVICE_UNAVAILABLE => (
            "server.timeout",
            "The request took too long; try again.".to_owned(),
        ),
        other => ("request.failed", format!("The request failed ({other}).")),
    };
    let mut problem = ApiError::new(status, code, detail).into_response();
    for name in [header::RETRY_AFTER, header::ALLOW] {
        if let Some(v) = response.headers().get(&name) {
            problem.headers_mut().insert(name, v.clone());
        }
    }
    problem
}
