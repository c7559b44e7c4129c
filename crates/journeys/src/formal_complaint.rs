//! Journey 7, formal complaint: a cardholder writes a secure message; the agent who reads it
//! records it as a formal complaint and escalates it to the supervisor; the acknowledgement and
//! final-response deadlines are tracked and shown (API and case page); the supervisor
//! acknowledges it; the cardholder reads the agent's answer in the portal. The message body is
//! sealed at rest (the tests read the database files).

use anyhow::Context;
use serde_json::{Value, json};

use crate::Tour;
use crate::people::{Person, demo_cardholder, fresh};

/// Who writes: a demo cardholder with a grievance.
const WRITER: usize = 2;

/// What the journey did, for the tests to look up in the store.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub cardholder_email: String,
    pub thread: String,
    pub case_reference: String,
    /// A word that appears only in the message body (the tests look for it at rest).
    pub body_marker: String,
    pub acknowledgement_due: String,
    pub final_response_due: String,
}

pub async fn run(t: &mut Tour) -> anyhow::Result<Outcome> {
    let holder = demo_cardholder(WRITER)?;
    let cardholder = Person::cardholder(t, &holder.email).await?;
    // A word no other message has, so that a re-run finds its own thread.
    let body_marker = fresh("ref-");
    let body = format!(
        "I was charged the annual fee twice this year and nobody has answered my calls. \
         I want this treated as a formal complaint. ({body_marker})"
    );
    let thread = cardholder
        .post(
            "/api/v1/secure-messages",
            json!({"subject": "Annual fee charged twice", "body": body}),
        )
        .await?;
    let thread_id = field(&thread, "id")?;
    let reference = field(&thread, "case_reference")?;
    t.expect(
        "The cardholder sends a secure message; a case is opened with a reply due",
        thread["reply_due"].is_string(),
        format!("case {reference}, reply due {}", thread["reply_due"]),
    )?;

    // The agent reads it, raises a formal complaint and escalates it to the supervisor.
    let agent = Person::staff(t, "agent@example.com").await?;
    let supervisor = Person::staff(t, "supervisor@example.com").await?;
    let listed = agent.get("/api/v1/secure-messages").await?;
    let read = agent
        .get(&format!("/api/v1/secure-messages/{thread_id}"))
        .await?;
    t.expect(
        "The agent finds the message in the secure inbox and reads it",
        listed
            .as_array()
            .is_some_and(|l| l.iter().any(|x| x["id"] == thread_id.as_str()))
            && read["messages"][0]["body"] == body.as_str(),
        format!("{}", read["subject"]),
    )?;
    let command = |c: Value| {
        let path = format!("/api/v1/cases/{reference}/commands");
        let person = &agent;
        async move { person.post(&path, c).await }
    };
    command(json!({"command": "raise_complaint", "summary": "Annual fee charged twice; calls unanswered"}))
        .await?;
    command(json!({"command": "escalate", "to": supervisor.id, "reason": "Formal complaint about a double annual fee"}))
        .await?;
    agent
        .post(
            &format!("/api/v1/secure-messages/{thread_id}/messages"),
            json!({"body": format!(
                "I am sorry. I have recorded this as formal complaint {reference} and passed it to \
                 my supervisor, who will write to you."
            )}),
        )
        .await?;
    t.step(
        "The agent records a formal complaint, escalates it to the supervisor and answers",
        format!(
            "complaint on {reference}, escalated to {}",
            supervisor.email
        ),
    );

    // The supervisor sees it among the escalations, with its deadlines, and acknowledges it.
    let escalated = supervisor
        .get("/api/v1/cases?escalated=true&active=true&limit=200")
        .await?;
    let summary = escalated
        .as_array()
        .into_iter()
        .flatten()
        .find(|c| c["reference"] == reference.as_str())
        .cloned()
        .unwrap_or(Value::Null);
    t.expect(
        "The supervisor finds it among escalated complaints",
        summary["complaint"] == true && summary["escalated"] == true,
        format!("{reference}: priority {}", summary["priority"]),
    )?;
    let detail = supervisor
        .get(&format!("/api/v1/cases/{reference}"))
        .await?;
    let acknowledgement = detail["sla"]["complaint_acknowledgement"]["due"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let final_response = detail["sla"]["complaint_final_response"]["due"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    t.expect(
        "The acknowledgement and final-response deadlines are tracked",
        !acknowledgement.is_empty() && !final_response.is_empty(),
        format!("acknowledge by {acknowledgement}, final response by {final_response}"),
    )?;
    let case_id = field(&thread, "case_id")?;
    let page = supervisor
        .page(&format!("/console/cases/{case_id}"))
        .await?;
    t.expect(
        "The case page shows both deadlines",
        page.contains("Complaint acknowledgement due")
            && page.contains("Complaint final response due")
            && page.contains(&acknowledgement)
            && page.contains(&final_response),
        format!("/console/cases/{case_id}"),
    )?;
    let acknowledged = supervisor
        .post(
            &format!("/api/v1/cases/{reference}/commands"),
            json!({"command": "acknowledge_complaint"}),
        )
        .await?;
    let detail = supervisor
        .get(&format!("/api/v1/cases/{reference}"))
        .await?;
    t.expect(
        "The supervisor acknowledges the complaint within its deadline",
        detail["sla"]["complaint_acknowledgement"]["done_at"].is_string()
            && detail["sla"]["complaint_acknowledgement"]["breached"] == false,
        format!(
            "acknowledged at {} (case {})",
            detail["sla"]["complaint_acknowledgement"]["done_at"], acknowledged["case"]["status"]
        ),
    )?;

    // The cardholder reads the answer in the portal.
    let thread = cardholder
        .get(&format!("/api/v1/secure-messages/{thread_id}"))
        .await?;
    let answer = thread["messages"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|m| m["author"] == "agent")
        .and_then(|m| m["body"].as_str())
        .unwrap_or_default()
        .to_owned();
    t.expect(
        "The cardholder reads the agent's answer, with the complaint's reference",
        answer.contains(&reference),
        answer.clone(),
    )?;
    Ok(Outcome {
        cardholder_email: holder.email,
        thread: thread_id,
        case_reference: reference,
        body_marker,
        acknowledgement_due: acknowledgement,
        final_response_due: final_response,
    })
}

fn field(v: &Value, name: &str) -> anyhow::Result<String> {
    v[name]
        .as_str()
        .map(str::to_owned)
        .with_context(|| format!("no {name} in {v}"))
}
