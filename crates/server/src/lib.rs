//! Helpline's HTTP edge. Start reading at [`launch`] and [`app`].
//!
//! Handlers are thin: authenticate (`auth`), parse at the edge (`api::extract`), decide in a
//! domain crate, store the change with its events and audit rows in one transaction (`store`),
//! answer. The outbox dispatcher (`outbox`) delivers events after commit.

pub mod api;
pub mod auth;
pub mod cards;
pub mod casework;
pub mod channels;
pub mod chat;
pub mod config;
pub mod demo;
pub mod directory;
pub mod error;
pub mod fraud;
pub mod fraud_call;
pub mod fraud_followup;
pub mod i18n;
pub mod intent;
pub mod metrics;
pub mod notify;
pub mod outbox;
pub mod request_id;
pub mod sealed;
pub mod secrets;
pub mod sip;
pub mod state;
pub mod switchboard;
pub mod telephony;
pub mod ui;

#[cfg(feature = "testing")]
pub mod testkit;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use domain::Clock;
use store::Store;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;

use crate::config::Settings;
use crate::error::ApiError;
use crate::outbox::{Dispatcher, EventHandler, LogHandler};
use crate::secrets::Secrets;
use crate::state::{AppState, Inner};

/// Everything a server needs, assembled by the binary (or a test).
pub struct Parts {
    pub settings: Settings,
    pub store: Arc<dyn Store>,
    pub clock: Arc<dyn Clock>,
    pub secrets: Secrets,
    pub demo: bool,
}

pub fn build_state(parts: Parts) -> anyhow::Result<AppState> {
    let i18n = i18n::I18n::load()?;
    let login_limiter =
        auth::limiter::LoginLimiter::per_minute(parts.settings.auth.login_attempts_per_minute);
    let metrics = Arc::new(metrics::Metrics::new());
    let switchboard = Arc::new(switchboard::Switchboard::new(
        parts.store.clone(),
        parts.clock.clone(),
        switchboard::RoutingGauges::register(metrics.clone()),
    )?);
    let directory = Arc::new(directory::DirectoryIndex::new(parts.store.clone()));
    let (intent, _) = crate::intent::load_best(&parts.settings.data_dir)?;
    let chat = Arc::new(chat::ChatHub::new(parts.store.clone(), parts.clock.clone()));
    let fraud = Arc::new(fraud::FraudMonitor::new(
        parts.store.clone(),
        parts.clock.clone(),
        parts.settings.fraud.clone(),
        fraud::WriterMetrics::register(&metrics),
    )?);
    let telephony = Arc::new(telephony::Telephony::new(&parts.settings, &parts.secrets)?);
    Ok(AppState::new(Inner {
        directory,
        chat,
        fraud,
        telephony,
        store: parts.store,
        clock: parts.clock,
        secrets: parts.secrets,
        i18n,
        metrics,
        switchboard,
        intent: Arc::new(intent),
        login_limiter,
        demo: parts.demo,
        settings: parts.settings,
    }))
}

/// The whole HTTP application. Layers, outermost first: panics become 500 problems; API bodies
/// are read whole and API errors become problem+json; requests time out; bodies are size-limited;
/// then per route: request id and tracing span, metrics.
pub fn app(state: AppState) -> Router {
    let (api, openapi) = api::router().split_for_parts();
    let openapi_json = Arc::new(openapi.to_pretty_json().unwrap_or_default());
    let settings = &state.settings;
    Router::new()
        .merge(api)
        .route(
            "/api/openapi.json",
            get(move || {
                let doc = openapi_json.clone();
                async move {
                    (
                        [(header::CONTENT_TYPE, "application/json")],
                        doc.as_ref().clone(),
                    )
                }
            }),
        )
        .route("/metrics", get(metrics::handler))
        .merge(telephony::router())
        .merge(ui::router().layer(middleware::from_fn(ui::remember_lang)))
        .fallback(fallback)
        .layer(middleware::from_fn_with_state(
            state.clone(),
            metrics::layer,
        ))
        .layer(middleware::from_fn(request_id::layer))
        .layer(DefaultBodyLimit::max(settings.server.max_body_bytes))
        .layer(RequestBodyLimitLayer::new(
            settings.server.max_body_bytes.saturating_mul(4),
        ))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            Duration::from_secs(settings.server.request_timeout_seconds),
        ))
        .layer(middleware::from_fn_with_state(state.clone(), api_problems))
        .layer(CatchPanicLayer::custom(
            |_panic: Box<dyn std::any::Any + Send>| {
                tracing::error!("a request handler panicked");
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "server.internal",
                    "The server failed to handle this request.",
                )
                .into_response()
            },
        ))
        .with_state(state)
}

/// Unknown paths: a problem for API clients, a page for people.
async fn fallback(state: State<AppState>, request: Request) -> Response {
    if request.uri().path().starts_with("/api/") {
        ApiError::not_found(
            "route.not_found",
            "There is no such API route; see /api/openapi.json.",
        )
        .into_response()
    } else {
        ui::not_found(state, request.headers().clone()).await
    }
}

/// Under `/api/`: the body is read in full before anything answers (so a client still sending
/// never has its connection cut by an early refusal), and whatever error a layer produced is
/// answered as problem+json.
async fn api_problems(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if !request.uri().path().starts_with("/api/") {
        return next.run(request).await;
    }
    let limit = state.settings.server.max_body_bytes;
    let (parts, body) = request.into_parts();
    let bytes = match read_body(body, limit).await {
        Ok(bytes) => bytes,
        Err(status) => {
            let detail = if status == StatusCode::PAYLOAD_TOO_LARGE {
                format!(
                    "The body is larger than this server accepts ({limit} bytes, server.max_body_bytes)."
                )
            } else {
                "The request body could not be read.".to_owned()
            };
            let code = if status == StatusCode::PAYLOAD_TOO_LARGE {
                "request.too_large"
            } else {
                "request.unreadable"
            };
            return ApiError::new(status, code, detail).into_response();
        }
    };
    api::problems_only(
        Request::from_parts(parts, axum::body::Body::from(bytes)),
        next,
    )
    .await
}

/// Reads a body of at most `limit` bytes. A larger one is still read (and discarded) up to four
/// times the limit, so that the client gets the 413 instead of a broken connection.
async fn read_body(body: axum::body::Body, limit: usize) -> Result<axum::body::Bytes, StatusCode> {
    use http_body_util::BodyExt;
    let mut body = body;
    let mut kept = Vec::new();
    let mut seen = 0usize;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|_| StatusCode::BAD_REQUEST)?;
        if let Ok(data) = frame.into_data() {
            seen += data.len();
            if seen > limit.saturating_mul(4) {
                return Err(StatusCode::PAYLOAD_TOO_LARGE);
            }
            if seen <= limit {
                kept.extend_from_slice(&data);
            }
        }
    }
    if seen > limit {
        Err(StatusCode::PAYLOAD_TOO_LARGE)
    } else {
        Ok(kept.into())
    }
}

/// Serves until `shutdown` is cancelled, then finishes in-flight requests and stops the
/// background workers.
pub async fn launch(
    state: AppState,
    listener: TcpListener,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    state.switchboard.load().await?;
    if state.demo {
        demo::cards::seed(&state).await?;
    }
    state.directory.load().await?;
    state.fraud.load().await?;
    let workers = CancellationToken::new();
    let handlers: Vec<Arc<dyn EventHandler>> = vec![
        Arc::new(LogHandler),
        Arc::new(fraud_followup::FraudFollowUp {
            state: state.clone(),
        }),
        Arc::new(notify::Notifier::new(state.clone())?),
    ];
    let dispatcher = Dispatcher {
        store: state.store.clone(),
        clock: state.clock.clone(),
        handlers,
        metrics: state.metrics.clone(),
        poll: Duration::from_secs(1),
    };
    let dispatch = tokio::spawn(dispatcher.run(workers.clone()));
    let housekeeping = tokio::spawn(housekeep(state.clone(), workers.clone()));
    let routing_timers = tokio::spawn(state.switchboard.clone().run_timers(workers.clone()));
    let case_timers = tokio::spawn(casework::run_timers(state.clone(), workers.clone()));
    // The group-commit writers stop only after the server has finished its requests (drained).
    let writers_stop = CancellationToken::new();
    let fraud_writer = tokio::spawn(state.fraud.clone().run_writer(writers_stop.clone()));
    let chat_writer = tokio::spawn(state.chat.clone().run_writer(writers_stop.clone()));
    let fraud_timers = tokio::spawn(state.fraud.clone().run_timers(workers.clone()));
    let fraud = state.fraud.clone();
    let service = app(state).into_make_service_with_connect_info::<SocketAddr>();
    let served = axum::serve(listener, service)
        .with_graceful_shutdown(shutdown.cancelled_owned())
        .await;
    writers_stop.cancel();
    let _ = tokio::join!(fraud_writer, chat_writer);
    workers.cancel();
    let _ = tokio::join!(
        dispatch,
        housekeeping,
        routing_timers,
        case_timers,
        fraud_timers
    );
    if let Err(err) = fraud.snapshot().await {
        tracing::warn!(error = %err, "could not save the fraud snapshot at shutdown");
    }
    served.map_err(Into::into)
}

/// Periodic tidying: expired sessions, idle rate-limiter keys.
async fn housekeep(state: AppState, stop: CancellationToken) {
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(Duration::from_secs(600)) => {}
        }
        if let Err(err) = state.store.delete_expired_sessions(state.clock.now()).await {
            tracing::warn!(error = %err, "could not delete expired sessions");
        }
        state.login_limiter.tidy();
        state.chat.tidy();
    }
}
