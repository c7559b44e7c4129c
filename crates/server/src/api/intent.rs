//! Intent classification (product §7): text → BANKING77 intent → department, with the route the
//! routing policy and the lost/stolen-and-fraud safety net decide. The message text is never
//! logged.

use axum::extract::State;
use intent::{Route, SafetyNet, SuggestError, Suggestion};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::extract::ApiJson;
use crate::auth::{Auth, StaffAndIntegrations};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClassifyRequest {
    /// A chat message, an IVR speech transcript, or an email subject and first lines: 1 to 2,000
    /// characters after trimming.
    #[schema(example = "i think someone used my card i dont know this payment")]
    pub text: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ScoredIntentView {
    #[schema(example = "card_payment_not_recognised")]
    pub intent: String,
    #[schema(example = "lost_or_stolen")]
    pub department: String,
    pub confidence: f32,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ClarifyOptionView {
    pub intent: String,
    pub department: String,
    pub confidence: f32,
    /// Completes "Is this about …?" (English).
    pub description: String,
}

/// What to do with the message.
#[derive(Debug, Serialize, ToSchema)]
pub struct RouteView {
    /// `department` (send to `department`), `clarify` (ask which of `options`) or `person` (hand
    /// to a person; `department` is the best guess).
    #[schema(example = "department")]
    pub decision: &'static str,
    pub department: String,
    /// Set when the lost/stolen-and-fraud safety net chose the department: `phrase` (the text
    /// says so) or `model` (enough probability for that team).
    pub safety_net: Option<&'static str>,
    pub options: Vec<ClarifyOptionView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ClassifyResponse {
    /// The most probable intent (BANKING77 label).
    pub intent: String,
    /// The department of that intent.
    pub department: String,
    /// Calibrated probability that `intent` is right.
    pub confidence: f32,
    /// The next most probable intents.
    pub alternatives: Vec<ScoredIntentView>,
    pub route: RouteView,
    /// `lexical` or `embedding`.
    pub model: &'static str,
}

impl From<Suggestion> for ClassifyResponse {
    fn from(s: Suggestion) -> Self {
        let c = s.classification;
        let route = match s.route {
            Route::Department {
                department,
                safety_net,
                ..
            } => RouteView {
                decision: "department",
                department: department.to_string(),
                safety_net: safety_net.map(|net| match net {
                    SafetyNet::Phrase { .. } => "phrase",
                    SafetyNet::Model { .. } => "model",
                }),
                options: Vec::new(),
            },
            Route::Clarify { options } => RouteView {
                decision: "clarify",
                department: c.department.to_string(),
                safety_net: None,
                options: options
                    .into_iter()
                    .map(|o| ClarifyOptionView {
                        intent: o.intent,
                        department: o.department.to_string(),
                        confidence: o.confidence,
                        description: o.description,
                    })
                    .collect(),
            },
            Route::Person { best_guess, .. } => RouteView {
                decision: "person",
                department: best_guess.to_string(),
                safety_net: None,
                options: Vec::new(),
            },
        };
        Self {
            intent: c.intent,
            department: c.department.to_string(),
            confidence: c.confidence,
            alternatives: c
                .alternatives
                .into_iter()
                .map(|a| ScoredIntentView {
                    intent: a.intent,
                    department: a.department.to_string(),
                    confidence: a.confidence,
                })
                .collect(),
            route,
            model: c.model.as_str(),
        }
    }
}

/// Suggests the intent and department of a customer's message.
#[utoipa::path(post, path = "/api/v1/intent/classify", tag = "intent", request_body = ClassifyRequest, responses(
    (status = 200, body = ClassifyResponse),
    (status = 400, description = "Empty or too long text", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 422, body = crate::error::Problem, content_type = "application/problem+json"),
), security(("bearer" = []), ("session" = [])))]
pub async fn classify(
    State(state): State<AppState>,
    Auth(..): Auth<StaffAndIntegrations>,
    ApiJson(request): ApiJson<ClassifyRequest>,
) -> ApiResult<axum::Json<ClassifyResponse>> {
    let suggestion = crate::intent::suggest(&state.intent, &request.text)
        .await
        .map_err(|e| match e {
            SuggestError::Input(input) => {
                ApiError::bad_request("intent.invalid_text", input.to_string())
            }
            SuggestError::Classify(cause) => ApiError::internal(&cause),
        })?;
    Ok(axum::Json(suggestion.into()))
}
