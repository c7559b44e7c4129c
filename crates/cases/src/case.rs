//! The case: its lifecycle, and the timeline events every change produces.
//!
//! A case changes only through [`Case::execute`] (or [`merge`]): the command is checked against
//! the current state, turned into timeline events, and the events are applied. The same events
//! replayed with [`Case::replay`] rebuild the same case, so the store may keep either the
//! snapshot, the events, or (best) both in one transaction.
//!
//! Lifecycle: `new → open → waiting_on_customer → open … → resolved → closed`, with
//! reopen from `resolved`, and from `closed` within [`CaseRules::reopen_window`].

use std::fmt;

use domain::{CardholderId, CaseId, Channel, ConversationId, Department, Reason, Tier, UserId};
use jiff::{SignedDuration, Timestamp};

use crate::attachment::AttachmentRef;
use crate::calendar::add;
use crate::reference::CaseRef;
use crate::rules::CaseRules;
use crate::sla::{ClockInput, ClockStatus, ClockTrack, SlaTable};

const SUBJECT_MAX: usize = 200;
const NOTE_MAX: usize = 10_000;
const SUMMARY_MAX: usize = 2_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    New,
    Open,
    WaitingOnCustomer,
    Resolved,
    Closed,
}

impl Status {
    pub const fn as_str(self) -> &'static str {
        match self {
            Status::New => "new",
            Status::Open => "open",
            Status::WaitingOnCustomer => "waiting_on_customer",
            Status::Resolved => "resolved",
            Status::Closed => "closed",
        }
    }

    /// New, open or waiting: someone still has to do something.
    pub const fn is_active(self) -> bool {
        matches!(self, Status::New | Status::Open | Status::WaitingOnCustomer)
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How a closed case ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Closure {
    /// Resolved, then closed.
    Completed,
    /// Merged into another case, which carries on.
    Duplicate {
        survivor: CaseId,
        survivor_reference: CaseRef,
    },
}

/// Who caused an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Actor {
    Staff(UserId),
    Cardholder(CardholderId),
    /// Timers, channel adapters, automations.
    System,
}

/// Ordered: `Normal < High < Urgent < Critical`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    Normal,
    /// Premium tiers, formal complaints, escalations.
    High,
    /// Lost or stolen cards and fraud.
    Urgent,
    /// Lost, stolen or fraud for a premium cardholder.
    Critical,
}

impl Priority {
    /// Fraud and lost cards first; premium tiers, complaints and escalations next.
    pub fn derive(reason: Reason, tier: Option<Tier>, complaint: bool, escalated: bool) -> Self {
        let premium = tier.is_some_and(Tier::is_premium);
        match (reason.is_urgent(), premium) {
            (true, true) => Priority::Critical,
            (true, false) => Priority::Urgent,
            (false, _) if premium || complaint || escalated => Priority::High,
            (false, _) => Priority::Normal,
        }
    }

    pub const fn as_str(self) -> &'static str {
        match self {
            Priority::Normal => "normal",
            Priority::High => "high",
            Priority::Urgent => "urgent",
            Priority::Critical => "critical",
        }
    }
}

impl fmt::Display for Priority {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The clocks a case is measured against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SlaClock {
    FirstResponse,
    Resolution,
    ComplaintAcknowledgement,
    ComplaintFinalResponse,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Escalation {
    pub at: Timestamp,
    pub by: Actor,
    /// The supervisor asked to take it; `None` means the supervisors' queue.
    pub to: Option<UserId>,
    pub reason: String,
    pub closed_at: Option<Timestamp>,
    pub outcome: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Complaint {
    pub raised_at: Timestamp,
    pub summary: String,
    pub acknowledge_by: Timestamp,
    pub final_response_by: Timestamp,
    pub acknowledged_at: Option<Timestamp>,
    pub final_response_at: Option<Timestamp>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FollowUpState {
    Pending,
    /// The reminder went out; still to be done.
    Reminded,
    Completed,
    Cancelled,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FollowUp {
    /// 1, 2, 3… within the case.
    pub number: u32,
    pub due: Timestamp,
    pub note: String,
    pub state: FollowUpState,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct Survey {
    pub offered_at: Option<Timestamp>,
    pub answer: Option<SurveyAnswer>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SurveyAnswer {
    /// 1 (very unsatisfied) to 5 (very satisfied).
    pub score: u8,
    pub comment: String,
    pub at: Timestamp,
}

/// What the edge knows when a case is opened.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct NewCase {
    pub id: CaseId,
    /// From [`CaseRef::generate`] with fresh randomness.
    pub reference: CaseRef,
    pub cardholder: Option<CardholderId>,
    pub tier: Option<Tier>,
    pub subject: String,
    pub reason: Reason,
    /// Defaults to the reason's department.
    pub department: Option<Department>,
    pub channel: Channel,
}

/// The current state of a case (the snapshot the store keeps and lists from).
/// Change it only through [`Case::execute`] and [`merge`].
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Case {
    pub id: CaseId,
    pub reference: CaseRef,
    /// Number of events applied; the next event gets `version + 1` (optimistic concurrency).
    pub version: u64,
    pub cardholder: Option<CardholderId>,
    pub tier: Option<Tier>,
    pub subject: String,
    pub status: Status,
    pub closure: Option<Closure>,
    pub department: Department,
    pub reason: Reason,
    pub channel: Channel,
    pub priority: Priority,
    /// Set by a person; the priority never goes below it.
    pub priority_floor: Option<Priority>,
    pub assignee: Option<UserId>,
    pub escalations: Vec<Escalation>,
    pub complaint: Option<Complaint>,
    pub follow_ups: Vec<FollowUp>,
    pub survey: Survey,
    pub conversations: Vec<ConversationId>,
    pub attachments: Vec<AttachmentRef>,
    pub merged_from: Vec<CaseId>,
    pub sla_breaches: Vec<SlaClock>,
    pub first_response_clock: ClockTrack,
    pub resolution_clock: ClockTrack,
    pub opened_at: Timestamp,
    pub first_response_at: Option<Timestamp>,
    pub resolved_at: Option<Timestamp>,
    pub closed_at: Option<Timestamp>,
    pub reopened: u32,
    pub updated_at: Timestamp,
}

/// One entry of a case's timeline (and of the outbox).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CaseEvent {
    pub case: CaseId,
    /// 1 for `opened`, then +1 per event; unique per case.
    pub version: u64,
    pub at: Timestamp,
    pub actor: Actor,
    #[serde(flatten)]
    pub kind: CaseEventKind,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum CaseEventKind {
    Opened {
        reference: CaseRef,
        cardholder: Option<CardholderId>,
        tier: Option<Tier>,
        subject: String,
        reason: Reason,
        department: Department,
        channel: Channel,
        priority: Priority,
    },
    ConversationLinked {
        conversation: ConversationId,
    },
    /// new → open.
    Accepted,
    AgentResponded {
        conversation: Option<ConversationId>,
    },
    CustomerResponded {
        conversation: Option<ConversationId>,
    },
    /// → waiting_on_customer: the SLA clocks pause.
    AwaitingCustomer {
        request: String,
    },
    /// waiting_on_customer → open: the clocks run again.
    Resumed,
    Resolved {
        summary: String,
    },
    Closed {
        closure: Closure,
    },
    Reopened {
        reason: String,
    },
    Assigned {
        from: Option<UserId>,
        to: Option<UserId>,
    },
    Transferred {
        from: Department,
        to: Department,
    },
    Reclassified {
        from: Reason,
        to: Reason,
    },
    CardholderIdentified {
        cardholder: CardholderId,
        tier: Option<Tier>,
    },
    PriorityFloorSet {
        floor: Option<Priority>,
    },
    PriorityChanged {
        from: Priority,
        to: Priority,
    },
    /// Internal: never shown to the cardholder.
    NoteAdded {
        text: String,
    },
    AttachmentAdded {
        attachment: AttachmentRef,
    },
    Escalated {
        to: Option<UserId>,
        reason: String,
    },
    EscalationClosed {
        outcome: String,
    },
    ComplaintRaised {
        summary: String,
        acknowledge_by: Timestamp,
        final_response_by: Timestamp,
    },
    ComplaintAcknowledged,
    ComplaintFinalResponse {
        summary: String,
    },
    FollowUpScheduled {
        number: u32,
        due: Timestamp,
        note: String,
    },
    /// The follow-up's reminder fired (send it to the assignee).
    FollowUpDue {
        number: u32,
    },
    FollowUpCompleted {
        number: u32,
    },
    FollowUpCancelled {
        number: u32,
    },
    /// Send the satisfaction survey (once per case, on its first resolution).
    SurveyOffered,
    SurveyAnswered {
        score: u8,
        comment: String,
    },
    /// A target was missed (tell the supervisors).
    SlaBreached {
        clock: SlaClock,
        due: Timestamp,
    },
    /// This case was a duplicate; it is closed and `survivor` carries on.
    MergedInto {
        survivor: CaseId,
        survivor_reference: CaseRef,
    },
    /// A duplicate was merged into this case, bringing what must not be lost.
    MergedFrom {
        duplicate: CaseId,
        duplicate_reference: CaseRef,
        conversations: Vec<ConversationId>,
        attachments: Vec<AttachmentRef>,
        complaint: Option<Complaint>,
        follow_ups: Vec<FollowUp>,
    },
}

impl CaseEventKind {
    /// The event's type name, as stored and sent on the outbox (`opened`, `sla_breached`…).
    pub fn name(&self) -> &'static str {
        match self {
            CaseEventKind::Opened { .. } => "opened",
            CaseEventKind::ConversationLinked { .. } => "conversation_linked",
            CaseEventKind::Accepted => "accepted",
            CaseEventKind::AgentResponded { .. } => "agent_responded",
            CaseEventKind::CustomerResponded { .. } => "customer_responded",
            CaseEventKind::AwaitingCustomer { .. } => "awaiting_customer",
            CaseEventKind::Resumed => "resumed",
            CaseEventKind::Resolved { .. } => "resolved",
            CaseEventKind::Closed { .. } => "closed",
            CaseEventKind::Reopened { .. } => "reopened",
            CaseEventKind::Assigned { .. } => "assigned",
            CaseEventKind::Transferred { .. } => "transferred",
            CaseEventKind::Reclassified { .. } => "reclassified",
            CaseEventKind::CardholderIdentified { .. } => "cardholder_identified",
            CaseEventKind::PriorityFloorSet { .. } => "priority_floor_set",
            CaseEventKind::PriorityChanged { .. } => "priority_changed",
            CaseEventKind::NoteAdded { .. } => "note_added",
            CaseEventKind::AttachmentAdded { .. } => "attachment_added",
            CaseEventKind::Escalated { .. } => "escalated",
            CaseEventKind::EscalationClosed { .. } => "escalation_closed",
            CaseEventKind::ComplaintRaised { .. } => "complaint_raised",
            CaseEventKind::ComplaintAcknowledged => "complaint_acknowledged",
            CaseEventKind::ComplaintFinalResponse { .. } => "complaint_final_response",
            CaseEventKind::FollowUpScheduled { .. } => "follow_up_scheduled",
            CaseEventKind::FollowUpDue { .. } => "follow_up_due",
            CaseEventKind::FollowUpCompleted { .. } => "follow_up_completed",
            CaseEventKind::FollowUpCancelled { .. } => "follow_up_cancelled",
            CaseEventKind::SurveyOffered => "survey_offered",
            CaseEventKind::SurveyAnswered { .. } => "survey_answered",
            CaseEventKind::SlaBreached { .. } => "sla_breached",
            CaseEventKind::MergedInto { .. } => "merged_into",
            CaseEventKind::MergedFrom { .. } => "merged_from",
        }
    }

    /// Whether the cardholder's own view of the timeline shows this event (notes, assignment,
    /// escalation, priority and SLA matters are internal).
    pub fn visible_to_cardholder(&self) -> bool {
        matches!(
            self,
            CaseEventKind::Opened { .. }
                | CaseEventKind::AwaitingCustomer { .. }
                | CaseEventKind::Resolved { .. }
                | CaseEventKind::Closed { .. }
                | CaseEventKind::Reopened { .. }
                | CaseEventKind::AttachmentAdded { .. }
                | CaseEventKind::ComplaintRaised { .. }
                | CaseEventKind::ComplaintAcknowledged
                | CaseEventKind::ComplaintFinalResponse { .. }
                | CaseEventKind::SurveyOffered
                | CaseEventKind::MergedInto { .. }
        )
    }

    /// Events the outbox turns into a notification to the cardholder (acknowledgement,
    /// "we need something from you", resolution, complaint letters, survey, merge notice).
    pub fn notifies_cardholder(&self) -> bool {
        matches!(
            self,
            CaseEventKind::Opened { .. }
                | CaseEventKind::AwaitingCustomer { .. }
                | CaseEventKind::Resolved { .. }
                | CaseEventKind::Reopened { .. }
                | CaseEventKind::ComplaintRaised { .. }
                | CaseEventKind::ComplaintAcknowledged
                | CaseEventKind::ComplaintFinalResponse { .. }
                | CaseEventKind::SurveyOffered
                | CaseEventKind::MergedInto { .. }
        )
    }

    /// Events the outbox sends to staff: the new assignee, the supervisor, the owner of a
    /// follow-up, the supervisors on a breach.
    pub fn notifies_staff(&self) -> bool {
        matches!(
            self,
            CaseEventKind::Assigned { .. }
                | CaseEventKind::Escalated { .. }
                | CaseEventKind::FollowUpDue { .. }
                | CaseEventKind::SlaBreached { .. }
                | CaseEventKind::ComplaintRaised { .. }
                | CaseEventKind::CustomerResponded { .. }
        )
    }
}

/// A change someone (or a timer) asks for.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "command", rename_all = "snake_case")]
pub enum CaseCommand {
    LinkConversation {
        conversation: ConversationId,
    },
    Accept,
    /// An agent wrote to the cardholder (first response; moves a new case to open).
    RecordAgentResponse {
        conversation: Option<ConversationId>,
    },
    /// The cardholder wrote (resumes a waiting case, reopens a resolved one).
    RecordCustomerMessage {
        conversation: Option<ConversationId>,
    },
    AwaitCustomer {
        request: String,
    },
    Resume,
    Resolve {
        summary: String,
    },
    Close,
    Reopen {
        reason: String,
    },
    Assign {
        to: Option<UserId>,
    },
    Transfer {
        to: Department,
    },
    Reclassify {
        to: Reason,
    },
    IdentifyCardholder {
        cardholder: CardholderId,
        tier: Option<Tier>,
    },
    SetPriorityFloor {
        floor: Option<Priority>,
    },
    AddNote {
        text: String,
    },
    AddAttachment {
        attachment: AttachmentRef,
    },
    Escalate {
        to: Option<UserId>,
        reason: String,
    },
    CloseEscalation {
        outcome: String,
    },
    RaiseComplaint {
        summary: String,
    },
    AcknowledgeComplaint,
    SendComplaintFinalResponse {
        summary: String,
    },
    ScheduleFollowUp {
        due: Timestamp,
        note: String,
    },
    FireFollowUpReminder {
        number: u32,
    },
    CompleteFollowUp {
        number: u32,
    },
    CancelFollowUp {
        number: u32,
    },
    AnswerSurvey {
        score: u8,
        comment: String,
    },
    RecordSlaBreach {
        clock: SlaClock,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CaseError {
    #[error("cannot {action} case {reference} while it is {status}: {why}")]
    IllegalTransition {
        action: &'static str,
        reference: CaseRef,
        status: Status,
        why: &'static str,
    },
    #[error("case {reference} was merged into {survivor}; work on {survivor} instead")]
    MergedInto {
        reference: CaseRef,
        survivor: CaseRef,
    },
    #[error(
        "case {reference} closed at {closed_at}, more than {window:#} ago, so it can no longer be reopened; open a new case that refers to it"
    )]
    ReopenWindowPassed {
        reference: CaseRef,
        closed_at: Timestamp,
        window: SignedDuration,
    },
    #[error("{field} is empty; write a few words")]
    Empty { field: &'static str },
    #[error("{field} is {length} characters long; the limit is {max}")]
    TooLong {
        field: &'static str,
        length: usize,
        max: usize,
    },
    #[error("case {reference} is already escalated (since {since}); close that escalation first")]
    AlreadyEscalated {
        reference: CaseRef,
        since: Timestamp,
    },
    #[error("case {reference} has no open escalation to close")]
    NotEscalated { reference: CaseRef },
    #[error("case {reference} already has a formal complaint, raised at {raised_at}")]
    ComplaintExists {
        reference: CaseRef,
        raised_at: Timestamp,
    },
    #[error("case {reference} has no formal complaint; raise one first")]
    NoComplaint { reference: CaseRef },
    #[error("the complaint on case {reference} was already {what} at {at}")]
    ComplaintStepDone {
        reference: CaseRef,
        what: &'static str,
        at: Timestamp,
    },
    #[error(
        "cannot resolve case {reference}: its formal complaint still needs a final response (due {due}); send it first"
    )]
    ComplaintUnanswered { reference: CaseRef, due: Timestamp },
    #[error("case {reference} has no follow-up #{number}")]
    UnknownFollowUp { reference: CaseRef, number: u32 },
    #[error("follow-up #{number} of case {reference} is already {state:?}")]
    FollowUpFinished {
        reference: CaseRef,
        number: u32,
        state: FollowUpState,
    },
    #[error("follow-up #{number} of case {reference} is not due until {due}")]
    FollowUpNotDue {
        reference: CaseRef,
        number: u32,
        due: Timestamp,
    },
    #[error("a follow-up must be due in the future; {due} is not after {now}")]
    FollowUpInPast { due: Timestamp, now: Timestamp },
    #[error("survey score {score} is out of range; use 1 (very unsatisfied) to 5 (very satisfied)")]
    BadScore { score: u8 },
    #[error("no survey was offered for case {reference}; it is offered when the case is resolved")]
    SurveyNotOffered { reference: CaseRef },
    #[error(
        "the survey for case {reference} was already answered at {at}; a case takes one answer"
    )]
    SurveyAnswered { reference: CaseRef, at: Timestamp },
    #[error("the {clock:?} target of case {reference} is not breached at {now}")]
    NotBreached {
        reference: CaseRef,
        clock: SlaClock,
        now: Timestamp,
    },
    #[error("case {reference} belongs to another cardholder; a case is for one cardholder only")]
    CardholderMismatch { reference: CaseRef },
    #[error("cannot merge case {reference} into itself")]
    MergeIntoItself { reference: CaseRef },
    #[error(
        "cannot merge {duplicate} into {survivor}: they belong to different cardholders, and merging would show one person's case to another"
    )]
    MergeAcrossCardholders {
        duplicate: CaseRef,
        survivor: CaseRef,
    },
    #[error("a case history must start with `opened`; it starts with `{found}`")]
    HistoryWithoutOpening { found: &'static str },
}

/// When and by whom a command is executed, and the settings that apply.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    pub now: Timestamp,
    pub actor: Actor,
    pub rules: &'a CaseRules,
}

/// Where a case stands against its targets at `now`; `None` where no target applies.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CaseSla {
    pub first_response: Option<ClockStatus>,
    pub resolution: Option<ClockStatus>,
    pub complaint_acknowledgement: Option<DeadlineStatus>,
    pub complaint_final_response: Option<DeadlineStatus>,
}

/// A fixed deadline (complaints count calendar time; nothing pauses them).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DeadlineStatus {
    pub due: Timestamp,
    pub done_at: Option<Timestamp>,
    pub breached: bool,
}

impl DeadlineStatus {
    fn new(due: Timestamp, done_at: Option<Timestamp>, now: Timestamp) -> Self {
        Self {
            due,
            done_at,
            breached: done_at.unwrap_or(now) > due,
        }
    }
}

impl CaseSla {
    /// The breached clocks with the instant each target was due.
    pub fn breaches(&self) -> Vec<(SlaClock, Timestamp)> {
        let clock = |c: &Option<ClockStatus>| c.as_ref().filter(|s| s.breached).and_then(|s| s.due);
        let deadline =
            |d: &Option<DeadlineStatus>| d.as_ref().filter(|s| s.breached).map(|s| s.due);
        [
            (SlaClock::FirstResponse, clock(&self.first_response)),
            (SlaClock::Resolution, clock(&self.resolution)),
            (
                SlaClock::ComplaintAcknowledgement,
                deadline(&self.complaint_acknowledgement),
            ),
            (
                SlaClock::ComplaintFinalResponse,
                deadline(&self.complaint_final_response),
            ),
        ]
        .into_iter()
        .filter_map(|(c, due)| due.map(|d| (c, d)))
        .collect()
    }

    /// The earliest future instant at which a target will be missed if nothing happens.
    pub fn next_due(&self, now: Timestamp) -> Option<Timestamp> {
        let clocks = [&self.first_response, &self.resolution]
            .into_iter()
            .flatten()
            .filter_map(|s| s.due);
        let deadlines = [
            &self.complaint_acknowledgement,
            &self.complaint_final_response,
        ]
        .into_iter()
        .flatten()
        .filter(|d| d.done_at.is_none())
        .map(|d| d.due);
        clocks.chain(deadlines).filter(|d| *d >= now).min()
    }
}

fn checked_text(field: &'static str, value: &str, max: usize) -> Result<String, CaseError> {
    let trimmed = value.trim();
    let length = trimmed.chars().count();
    if length == 0 {
        Err(CaseError::Empty { field })
    } else if length > max {
        Err(CaseError::TooLong { field, length, max })
    } else {
        Ok(trimmed.to_owned())
    }
}

/// A subject for a case opened from free text (an offline chat, a social mention): the first
/// line, cut at a word boundary to at most 80 characters.
pub fn subject_from_text(text: &str) -> String {
    const MAX: usize = 80;
    let first_line = text.trim().lines().next().unwrap_or_default().trim();
    if first_line.chars().count() <= MAX {
        return first_line.to_owned();
    }
    let cut: String = first_line.chars().take(MAX - 1).collect();
    let at_word = cut.rsplit_once(' ').map_or(cut.as_str(), |(head, _)| head);
    format!("{}…", at_word.trim_end())
}

impl Case {
    /// Opens a case: status `new`, SLA clocks running from `now`.
    pub fn open(
        new: NewCase,
        actor: Actor,
        now: Timestamp,
    ) -> Result<(Case, CaseEvent), CaseError> {
        let subject = checked_text("the subject", &new.subject, SUBJECT_MAX)?;
        let kind = CaseEventKind::Opened {
            reference: new.reference,
            cardholder: new.cardholder,
            tier: new.tier,
            subject,
            reason: new.reason,
            department: new.department.unwrap_or(new.reason.department()),
            channel: new.channel,
            priority: Priority::derive(new.reason, new.tier, false, false),
        };
        let event = CaseEvent {
            case: new.id,
            version: 1,
            at: now,
            actor,
            kind,
        };
        let case = Case::replay(std::slice::from_ref(&event))?;
        Ok((case, event))
    }

    /// Rebuilds a case from its whole timeline.
    pub fn replay(events: &[CaseEvent]) -> Result<Case, CaseError> {
        let Some((first, rest)) = events.split_first() else {
            return Err(CaseError::HistoryWithoutOpening { found: "nothing" });
        };
        let CaseEventKind::Opened {
            reference,
            cardholder,
            tier,
            subject,
            reason,
            department,
            channel,
            priority,
        } = &first.kind
        else {
            return Err(CaseError::HistoryWithoutOpening {
                found: first.kind.name(),
            });
        };
        let mut case = Case {
            id: first.case,
            reference: *reference,
            version: first.version,
            cardholder: *cardholder,
            tier: *tier,
            subject: subject.clone(),
            status: Status::New,
            closure: None,
            department: *department,
            reason: *reason,
            channel: *channel,
            priority: *priority,
            priority_floor: None,
            assignee: None,
            escalations: Vec::new(),
            complaint: None,
            follow_ups: Vec::new(),
            survey: Survey::default(),
            conversations: Vec::new(),
            attachments: Vec::new(),
            merged_from: Vec::new(),
            sla_breaches: Vec::new(),
            first_response_clock: ClockTrack::from_inputs([(first.at, ClockInput::Run)]),
            resolution_clock: ClockTrack::from_inputs([(first.at, ClockInput::Run)]),
            opened_at: first.at,
            first_response_at: None,
            resolved_at: None,
            closed_at: None,
            reopened: 0,
            updated_at: first.at,
        };
        for event in rest {
            case.apply(event);
        }
        Ok(case)
    }

    /// Checks `command`, records it as events and applies them. The events are returned for the
    /// store (timeline + outbox, in the same transaction as the new snapshot). An idempotent
    /// repeat (assigning the same person, a reminder already sent) returns no events.
    pub fn execute(
        &mut self,
        command: CaseCommand,
        context: Context<'_>,
    ) -> Result<Vec<CaseEvent>, CaseError> {
        let kinds = self.decide(command, &context)?;
        Ok(self.record(kinds, &context))
    }

    /// Applies `kinds` as events at `context.now` (never earlier than the last event), then adds
    /// a `priority_changed` event if they moved the derived priority.
    fn record(&mut self, kinds: Vec<CaseEventKind>, context: &Context<'_>) -> Vec<CaseEvent> {
        let at = context.now.max(self.updated_at);
        let mut events = Vec::with_capacity(kinds.len() + 1);
        for kind in kinds {
            let event = self.next_event(at, context.actor, kind);
            self.apply(&event);
            events.push(event);
        }
        let wanted = self.derived_priority();
        if !events.is_empty() && wanted != self.priority {
            let kind = CaseEventKind::PriorityChanged {
                from: self.priority,
                to: wanted,
            };
            let event = self.next_event(at, context.actor, kind);
            self.apply(&event);
            events.push(event);
        }
        events
    }

    fn next_event(&self, at: Timestamp, actor: Actor, kind: CaseEventKind) -> CaseEvent {
        CaseEvent {
            case: self.id,
            version: self.version + 1,
            at,
            actor,
            kind,
        }
    }

    fn derived_priority(&self) -> Priority {
        let complaint_open = self
            .complaint
            .as_ref()
            .is_some_and(|c| c.final_response_at.is_none());
        let derived = Priority::derive(
            self.reason,
            self.tier,
            complaint_open,
            self.open_escalation().is_some(),
        );
        derived.max(self.priority_floor.unwrap_or(Priority::Normal))
    }

    pub fn open_escalation(&self) -> Option<&Escalation> {
        self.escalations.last().filter(|e| e.closed_at.is_none())
    }

    fn illegal(&self, action: &'static str, why: &'static str) -> CaseError {
        CaseError::IllegalTransition {
            action,
            reference: self.reference,
            status: self.status,
            why,
        }
    }

    /// Refuses any change to a case that was merged away.
    fn not_merged(&self) -> Result<(), CaseError> {
        match self.closure {
            Some(Closure::Duplicate {
                survivor_reference, ..
            }) => Err(CaseError::MergedInto {
                reference: self.reference,
                survivor: survivor_reference,
            }),
            _ => Ok(()),
        }
    }

    /// Refuses changes that need a case still in progress (not closed).
    fn not_closed(&self, action: &'static str) -> Result<(), CaseError> {
        self.not_merged()?;
        if self.status == Status::Closed {
            return Err(self.illegal(action, "a closed case must be reopened first"));
        }
        Ok(())
    }

    /// Whether a resolved or closed case may be reopened at `now`.
    fn check_reopen(&self, now: Timestamp, rules: &CaseRules) -> Result<(), CaseError> {
        self.not_merged()?;
        match (self.status, self.closed_at) {
            (Status::Resolved, _) => Ok(()),
            (Status::Closed, Some(closed_at)) => {
                if now.duration_since(closed_at) <= rules.reopen_window {
                    Ok(())
                } else {
                    Err(CaseError::ReopenWindowPassed {
                        reference: self.reference,
                        closed_at,
                        window: rules.reopen_window,
                    })
                }
            }
            _ => Err(self.illegal("reopen", "only a resolved or closed case can be reopened")),
        }
    }

    fn follow_up(&self, number: u32) -> Result<&FollowUp, CaseError> {
        self.follow_ups
            .iter()
            .find(|f| f.number == number)
            .ok_or(CaseError::UnknownFollowUp {
                reference: self.reference,
                number,
            })
    }

    fn unfinished_follow_up(&self, number: u32) -> Result<&FollowUp, CaseError> {
        let follow_up = self.follow_up(number)?;
        match follow_up.state {
            FollowUpState::Pending | FollowUpState::Reminded => Ok(follow_up),
            state => Err(CaseError::FollowUpFinished {
                reference: self.reference,
                number,
                state,
            }),
        }
    }

    fn complaint_or_error(&self) -> Result<&Complaint, CaseError> {
        self.complaint.as_ref().ok_or(CaseError::NoComplaint {
            reference: self.reference,
        })
    }

    fn decide(
        &self,
        command: CaseCommand,
        context: &Context<'_>,
    ) -> Result<Vec<CaseEventKind>, CaseError> {
        use CaseEventKind as E;
        let now = context.now;
        let rules = context.rules;
        Ok(match command {
            CaseCommand::LinkConversation { conversation } => {
                self.not_merged()?;
                if self.conversations.contains(&conversation) {
                    vec![]
                } else {
                    vec![E::ConversationLinked { conversation }]
                }
            }
            CaseCommand::Accept => match self.status {
                Status::New => vec![E::Accepted],
                _ => return Err(self.illegal("accept", "only a new case is accepted")),
            },
            CaseCommand::RecordAgentResponse { conversation } => {
                self.not_merged()?;
                let mut kinds = vec![E::AgentResponded { conversation }];
                if self.status == Status::New {
                    kinds.push(E::Accepted);
                }
                kinds
            }
            CaseCommand::RecordCustomerMessage { conversation } => {
                self.not_merged()?;
                let responded = E::CustomerResponded { conversation };
                match self.status {
                    Status::New | Status::Open => vec![responded],
                    Status::WaitingOnCustomer => vec![responded, E::Resumed],
                    Status::Resolved | Status::Closed => {
                        self.check_reopen(now, rules)?;
                        let reason = "the cardholder wrote again".to_owned();
                        vec![responded, E::Reopened { reason }]
                    }
                }
            }
            CaseCommand::AwaitCustomer { request } => {
                let request = checked_text("the request to the cardholder", &request, SUMMARY_MAX)?;
                match self.status {
                    Status::New | Status::Open => vec![E::AwaitingCustomer { request }],
                    Status::WaitingOnCustomer => {
                        return Err(self.illegal("wait on the customer for", "it already waits"));
                    }
                    Status::Resolved | Status::Closed => {
                        return Err(self.illegal(
                            "wait on the customer for",
                            "reopen it first if more is needed from the cardholder",
                        ));
                    }
                }
            }
            CaseCommand::Resume => match self.status {
                Status::WaitingOnCustomer => vec![E::Resumed],
                _ => {
                    return Err(
                        self.illegal("resume", "only a case waiting on the customer is resumed")
                    );
                }
            },
            CaseCommand::Resolve { summary } => {
                self.not_merged()?;
                let summary = checked_text("the resolution summary", &summary, SUMMARY_MAX)?;
                if !self.status.is_active() {
                    return Err(self.illegal("resolve", "it is already resolved or closed"));
                }
                if let Some(complaint) = &self.complaint
                    && complaint.final_response_at.is_none()
                {
                    return Err(CaseError::ComplaintUnanswered {
                        reference: self.reference,
                        due: complaint.final_response_by,
                    });
                }
                let mut kinds = vec![E::Resolved { summary }];
                if self.survey.offered_at.is_none() {
                    kinds.push(E::SurveyOffered);
                }
                kinds
            }
            CaseCommand::Close => {
                self.not_merged()?;
                match self.status {
                    Status::Resolved => vec![E::Closed {
                        closure: Closure::Completed,
                    }],
                    Status::Closed => return Err(self.illegal("close", "it is already closed")),
                    _ => {
                        return Err(
                            self.illegal("close", "a case is closed only after it is resolved")
                        );
                    }
                }
            }
            CaseCommand::Reopen { reason } => {
                let reason = checked_text("the reason to reopen", &reason, SUMMARY_MAX)?;
                self.check_reopen(now, rules)?;
                vec![E::Reopened { reason }]
            }
            CaseCommand::Assign { to } => {
                self.not_closed("assign")?;
                if self.assignee == to {
                    vec![]
                } else {
                    vec![E::Assigned {
                        from: self.assignee,
                        to,
                    }]
                }
            }
            CaseCommand::Transfer { to } => {
                self.not_closed("transfer")?;
                if self.department == to {
                    vec![]
                } else {
                    vec![E::Transferred {
                        from: self.department,
                        to,
                    }]
                }
            }
            CaseCommand::Reclassify { to } => {
                self.not_closed("reclassify")?;
                if self.reason == to {
                    vec![]
                } else {
                    vec![E::Reclassified {
                        from: self.reason,
                        to,
                    }]
                }
            }
            CaseCommand::IdentifyCardholder { cardholder, tier } => {
                self.not_merged()?;
                match self.cardholder {
                    Some(known) if known != cardholder => {
                        return Err(CaseError::CardholderMismatch {
                            reference: self.reference,
                        });
                    }
                    Some(_) if self.tier == tier => vec![],
                    _ => vec![E::CardholderIdentified { cardholder, tier }],
                }
            }
            CaseCommand::SetPriorityFloor { floor } => {
                self.not_closed("reprioritise")?;
                if self.priority_floor == floor {
                    vec![]
                } else {
                    vec![E::PriorityFloorSet { floor }]
                }
            }
            CaseCommand::AddNote { text } => {
                vec![E::NoteAdded {
                    text: checked_text("the note", &text, NOTE_MAX)?,
                }]
            }
            CaseCommand::AddAttachment { attachment } => {
                self.not_merged()?;
                if self
                    .attachments
                    .iter()
                    .any(|a| a.sha256 == attachment.sha256)
                {
                    vec![]
                } else {
                    vec![E::AttachmentAdded { attachment }]
                }
            }
            CaseCommand::Escalate { to, reason } => {
                let reason = checked_text("the reason to escalate", &reason, SUMMARY_MAX)?;
                self.not_merged()?;
                if !self.status.is_active() {
                    return Err(self.illegal("escalate", "reopen it first"));
                }
                if let Some(open) = self.open_escalation() {
                    return Err(CaseError::AlreadyEscalated {
                        reference: self.reference,
                        since: open.at,
                    });
                }
                vec![E::Escalated { to, reason }]
            }
            CaseCommand::CloseEscalation { outcome } => {
                let outcome = checked_text("the escalation outcome", &outcome, SUMMARY_MAX)?;
                if self.open_escalation().is_none() {
                    return Err(CaseError::NotEscalated {
                        reference: self.reference,
                    });
                }
                vec![E::EscalationClosed { outcome }]
            }
            CaseCommand::RaiseComplaint { summary } => {
                let summary = checked_text("the complaint", &summary, SUMMARY_MAX)?;
                if let Some(existing) = &self.complaint {
                    return Err(CaseError::ComplaintExists {
                        reference: self.reference,
                        raised_at: existing.raised_at,
                    });
                }
                let mut kinds = Vec::new();
                if !self.status.is_active() {
                    self.check_reopen(now, rules)?;
                    kinds.push(E::Reopened {
                        reason: "formal complaint".to_owned(),
                    });
                }
                let calendar = &rules.complaint.calendar;
                kinds.push(E::ComplaintRaised {
                    summary,
                    acknowledge_by: calendar
                        .end_of_business_days_after(now, rules.complaint.acknowledge_business_days),
                    final_response_by: calendar
                        .calendar_days_after(now, rules.complaint.final_response_days),
                });
                kinds
            }
            CaseCommand::AcknowledgeComplaint => {
                let complaint = self.complaint_or_error()?;
                if let Some(at) = complaint.acknowledged_at {
                    return Err(CaseError::ComplaintStepDone {
                        reference: self.reference,
                        what: "acknowledged",
                        at,
                    });
                }
                vec![E::ComplaintAcknowledged]
            }
            CaseCommand::SendComplaintFinalResponse { summary } => {
                let summary = checked_text("the final response", &summary, SUMMARY_MAX)?;
                let complaint = self.complaint_or_error()?;
                if let Some(at) = complaint.final_response_at {
                    return Err(CaseError::ComplaintStepDone {
                        reference: self.reference,
                        what: "given its final response",
                        at,
                    });
                }
                let mut kinds = Vec::new();
                if complaint.acknowledged_at.is_none() {
                    kinds.push(E::ComplaintAcknowledged);
                }
                kinds.push(E::ComplaintFinalResponse { summary });
                kinds
            }
            CaseCommand::ScheduleFollowUp { due, note } => {
                let note = checked_text("the follow-up note", &note, SUMMARY_MAX)?;
                self.not_closed("schedule a follow-up on")?;
                if due <= now {
                    return Err(CaseError::FollowUpInPast { due, now });
                }
                let number = self.follow_ups.iter().map(|f| f.number).max().unwrap_or(0) + 1;
                vec![E::FollowUpScheduled { number, due, note }]
            }
            CaseCommand::FireFollowUpReminder { number } => {
                let follow_up = self.follow_up(number)?;
                match follow_up.state {
                    FollowUpState::Pending if follow_up.due <= now => {
                        vec![E::FollowUpDue { number }]
                    }
                    FollowUpState::Pending => {
                        return Err(CaseError::FollowUpNotDue {
                            reference: self.reference,
                            number,
                            due: follow_up.due,
                        });
                    }
                    _ => vec![],
                }
            }
            CaseCommand::CompleteFollowUp { number } => {
                self.unfinished_follow_up(number)?;
                vec![E::FollowUpCompleted { number }]
            }
            CaseCommand::CancelFollowUp { number } => {
                self.unfinished_follow_up(number)?;
                vec![E::FollowUpCancelled { number }]
            }
            CaseCommand::AnswerSurvey { score, comment } => {
                if !(1..=5).contains(&score) {
                    return Err(CaseError::BadScore { score });
                }
                if self.survey.offered_at.is_none() {
                    return Err(CaseError::SurveyNotOffered {
                        reference: self.reference,
                    });
                }
                if let Some(answer) = &self.survey.answer {
                    return Err(CaseError::SurveyAnswered {
                        reference: self.reference,
                        at: answer.at,
                    });
                }
                let comment = comment.trim();
                let length = comment.chars().count();
                if length > SUMMARY_MAX {
                    return Err(CaseError::TooLong {
                        field: "the survey comment",
                        length,
                        max: SUMMARY_MAX,
                    });
                }
                vec![E::SurveyAnswered {
                    score,
                    comment: comment.to_owned(),
                }]
            }
            CaseCommand::RecordSlaBreach { clock } => {
                if self.sla_breaches.contains(&clock) {
                    vec![]
                } else {
                    let breach = self
                        .sla(&rules.sla, now)
                        .breaches()
                        .into_iter()
                        .find(|b| b.0 == clock);
                    match breach {
                        Some((clock, due)) => vec![E::SlaBreached { clock, due }],
                        None => {
                            return Err(CaseError::NotBreached {
                                reference: self.reference,
                                clock,
                                now,
                            });
                        }
                    }
                }
            }
        })
    }

    /// Applies one event (from [`Case::execute`] or a stored timeline).
    pub fn apply(&mut self, event: &CaseEvent) {
        use CaseEventKind as E;
        let at = event.at;
        self.version = event.version;
        self.updated_at = self.updated_at.max(at);
        match &event.kind {
            E::Opened { .. } => {}
            E::ConversationLinked { conversation } => {
                if !self.conversations.contains(conversation) {
                    self.conversations.push(*conversation);
                }
            }
            E::Accepted => self.status = Status::Open,
            E::AgentResponded { .. } => {
                if self.first_response_at.is_none() {
                    self.first_response_at = Some(at);
                    self.first_response_clock.feed(at, ClockInput::Stop);
                }
            }
            E::CustomerResponded { .. } => {}
            E::AwaitingCustomer { .. } => {
                self.status = Status::WaitingOnCustomer;
                self.feed_clocks(at, ClockInput::Pause);
            }
            E::Resumed => {
                self.status = Status::Open;
                self.feed_clocks(at, ClockInput::Run);
            }
            E::Resolved { .. } => {
                self.status = Status::Resolved;
                self.resolved_at = Some(at);
                self.feed_clocks(at, ClockInput::Stop);
            }
            E::Closed { closure } => {
                self.status = Status::Closed;
                self.closure = Some(*closure);
                self.closed_at = Some(at);
                self.feed_clocks(at, ClockInput::Stop);
            }
            E::Reopened { .. } => {
                self.status = Status::Open;
                self.closure = None;
                self.resolved_at = None;
                self.closed_at = None;
                self.reopened += 1;
                self.feed_clocks(at, ClockInput::Run);
            }
            E::Assigned { to, .. } => self.assignee = *to,
            E::Transferred { to, .. } => self.department = *to,
            E::Reclassified { to, .. } => self.reason = *to,
            E::CardholderIdentified { cardholder, tier } => {
                self.cardholder = Some(*cardholder);
                self.tier = *tier;
            }
            E::PriorityFloorSet { floor } => self.priority_floor = *floor,
            E::PriorityChanged { to, .. } => self.priority = *to,
            E::NoteAdded { .. } => {}
            E::AttachmentAdded { attachment } => self.attachments.push(attachment.clone()),
            E::Escalated { to, reason } => self.escalations.push(Escalation {
                at,
                by: event.actor,
                to: *to,
                reason: reason.clone(),
                closed_at: None,
                outcome: None,
            }),
            E::EscalationClosed { outcome } => {
                if let Some(open) = self.escalations.last_mut() {
                    open.closed_at = Some(at);
                    open.outcome = Some(outcome.clone());
                }
            }
            E::ComplaintRaised {
                summary,
                acknowledge_by,
                final_response_by,
            } => {
                self.complaint = Some(Complaint {
                    raised_at: at,
                    summary: summary.clone(),
                    acknowledge_by: *acknowledge_by,
                    final_response_by: *final_response_by,
                    acknowledged_at: None,
                    final_response_at: None,
                });
            }
            E::ComplaintAcknowledged => {
                if let Some(c) = &mut self.complaint {
                    c.acknowledged_at = Some(at);
                }
            }
            E::ComplaintFinalResponse { .. } => {
                if let Some(c) = &mut self.complaint {
                    c.final_response_at = Some(at);
                }
            }
            E::FollowUpScheduled { number, due, note } => self.follow_ups.push(FollowUp {
                number: *number,
                due: *due,
                note: note.clone(),
                state: FollowUpState::Pending,
            }),
            E::FollowUpDue { number } => self.set_follow_up(*number, FollowUpState::Reminded),
            E::FollowUpCompleted { number } => {
                self.set_follow_up(*number, FollowUpState::Completed);
            }
            E::FollowUpCancelled { number } => {
                self.set_follow_up(*number, FollowUpState::Cancelled);
            }
            E::SurveyOffered => self.survey.offered_at = Some(at),
            E::SurveyAnswered { score, comment } => {
                self.survey.answer = Some(SurveyAnswer {
                    score: *score,
                    comment: comment.clone(),
                    at,
                });
            }
            E::SlaBreached { clock, .. } => self.sla_breaches.push(*clock),
            E::MergedInto { .. } => {}
            E::MergedFrom {
                duplicate,
                conversations,
                attachments,
                complaint,
                follow_ups,
                ..
            } => {
                self.merged_from.push(*duplicate);
                for conversation in conversations {
                    if !self.conversations.contains(conversation) {
                        self.conversations.push(*conversation);
                    }
                }
                for attachment in attachments {
                    if !self
                        .attachments
                        .iter()
                        .any(|a| a.sha256 == attachment.sha256)
                    {
                        self.attachments.push(attachment.clone());
                    }
                }
                // Keep the complaint with the earliest deadlines: the regulator counts from
                // the first time the cardholder complained.
                if let Some(theirs) = complaint
                    && self
                        .complaint
                        .as_ref()
                        .is_none_or(|ours| theirs.raised_at < ours.raised_at)
                {
                    self.complaint = Some(theirs.clone());
                }
                let last = self.follow_ups.iter().map(|f| f.number).max().unwrap_or(0);
                for (number, follow_up) in (last + 1..).zip(follow_ups) {
                    self.follow_ups.push(FollowUp {
                        number,
                        ..follow_up.clone()
                    });
                }
            }
        }
    }

    fn feed_clocks(&mut self, at: Timestamp, input: ClockInput) {
        if self.first_response_at.is_none() {
            self.first_response_clock.feed(at, input);
        }
        self.resolution_clock.feed(at, input);
    }

    fn set_follow_up(&mut self, number: u32, state: FollowUpState) {
        if let Some(f) = self.follow_ups.iter_mut().find(|f| f.number == number) {
            f.state = state;
        }
    }

    /// Where the case stands against its targets at `now`.
    pub fn sla(&self, table: &SlaTable, now: Timestamp) -> CaseSla {
        let targets = table.targets(self.channel, self.tier);
        CaseSla {
            first_response: targets
                .first_response
                .map(|t| self.first_response_clock.status(t, now)),
            resolution: targets
                .resolution
                .map(|t| self.resolution_clock.status(t, now)),
            complaint_acknowledgement: self
                .complaint
                .as_ref()
                .map(|c| DeadlineStatus::new(c.acknowledge_by, c.acknowledged_at, now)),
            complaint_final_response: self
                .complaint
                .as_ref()
                .map(|c| DeadlineStatus::new(c.final_response_by, c.final_response_at, now)),
        }
    }

    /// The commands timers should run now (as [`Actor::System`]): follow-up reminders,
    /// auto-close of resolved cases, SLA breach records.
    pub fn due_timers(&self, rules: &CaseRules, now: Timestamp) -> Vec<CaseCommand> {
        let mut commands = Vec::new();
        if self.status != Status::Closed {
            commands.extend(
                self.follow_ups
                    .iter()
                    .filter(|f| f.state == FollowUpState::Pending && f.due <= now)
                    .map(|f| CaseCommand::FireFollowUpReminder { number: f.number }),
            );
        }
        if let Some(close_at) = self.auto_close_at(rules)
            && close_at <= now
        {
            commands.push(CaseCommand::Close);
        }
        commands.extend(
            self.sla(&rules.sla, now)
                .breaches()
                .into_iter()
                .filter(|(clock, _)| !self.sla_breaches.contains(clock))
                .map(|(clock, _)| CaseCommand::RecordSlaBreach { clock }),
        );
        commands
    }

    /// When [`Case::due_timers`] will next have something to do (the edge stores it in an
    /// indexed column and polls for `next_timer <= now`).
    pub fn next_timer(&self, rules: &CaseRules, now: Timestamp) -> Option<Timestamp> {
        let follow_ups = self
            .follow_ups
            .iter()
            .filter(|f| f.state == FollowUpState::Pending && self.status != Status::Closed)
            .map(|f| f.due);
        let sla = self.sla(&rules.sla, now);
        let unrecorded_breach = sla
            .breaches()
            .into_iter()
            .filter(|(clock, _)| !self.sla_breaches.contains(clock))
            .map(|_| now);
        // A target is missed just after its due instant.
        let next_breach = sla
            .next_due(now)
            .map(|due| add(due, SignedDuration::from_nanos(1)));
        follow_ups
            .chain(self.auto_close_at(rules))
            .chain(unrecorded_breach)
            .chain(next_breach)
            .min()
    }

    fn auto_close_at(&self, rules: &CaseRules) -> Option<Timestamp> {
        match (self.status, self.resolved_at) {
            (Status::Resolved, Some(resolved)) => Some(add(resolved, rules.auto_close_after)),
            _ => None,
        }
    }
}

/// The events of a merge, to store for each case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Merged {
    pub duplicate: Vec<CaseEvent>,
    pub survivor: Vec<CaseEvent>,
}

/// Merges `duplicate` into `survivor`: the duplicate is closed as a duplicate pointing at the
/// survivor; the survivor takes over its conversations, attachments, pending follow-ups and any
/// formal complaint (keeping the earliest deadlines). Show the combined timeline with
/// [`combined_timeline`].
pub fn merge(
    duplicate: &mut Case,
    survivor: &mut Case,
    context: Context<'_>,
) -> Result<Merged, CaseError> {
    if duplicate.id == survivor.id {
        return Err(CaseError::MergeIntoItself {
            reference: duplicate.reference,
        });
    }
    duplicate.not_closed("merge")?;
    survivor.not_closed("merge into")?;
    if let (Some(a), Some(b)) = (duplicate.cardholder, survivor.cardholder)
        && a != b
    {
        return Err(CaseError::MergeAcrossCardholders {
            duplicate: duplicate.reference,
            survivor: survivor.reference,
        });
    }
    let carried_follow_ups = duplicate
        .follow_ups
        .iter()
        .filter(|f| matches!(f.state, FollowUpState::Pending | FollowUpState::Reminded))
        .cloned()
        .collect();
    let mut survivor_kinds = Vec::new();
    if !survivor.status.is_active() {
        survivor_kinds.push(CaseEventKind::Reopened {
            reason: format!("merged with {}", duplicate.reference),
        });
    }
    survivor_kinds.push(CaseEventKind::MergedFrom {
        duplicate: duplicate.id,
        duplicate_reference: duplicate.reference,
        conversations: duplicate.conversations.clone(),
        attachments: duplicate.attachments.clone(),
        complaint: duplicate.complaint.clone(),
        follow_ups: carried_follow_ups,
    });
    let duplicate_kinds = vec![
        CaseEventKind::MergedInto {
            survivor: survivor.id,
            survivor_reference: survivor.reference,
        },
        CaseEventKind::Closed {
            closure: Closure::Duplicate {
                survivor: survivor.id,
                survivor_reference: survivor.reference,
            },
        },
    ];
    Ok(Merged {
        duplicate: duplicate.record(duplicate_kinds, &context),
        survivor: survivor.record(survivor_kinds, &context),
    })
}

/// The survivor's timeline with the timelines of the cases merged into it, in time order
/// (each event keeps its own `case`, so a page can say which case it came from).
pub fn combined_timeline<'a>(timelines: &[&'a [CaseEvent]]) -> Vec<&'a CaseEvent> {
    let mut all: Vec<&CaseEvent> = timelines.iter().flat_map(|t| t.iter()).collect();
    all.sort_by_key(|e| (e.at, e.case, e.version));
    all
}

#[cfg(test)]
mod tests;
