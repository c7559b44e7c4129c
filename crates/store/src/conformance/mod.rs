//! The conformance suite: one story of checks that every backend must pass unchanged.
//! `store`'s own tests run it on SQLite (file and memory) and, when `HELPLINE_TEST_PG_URL` is set,
//! on a fresh PostgreSQL database. Each area's checks live in their own module; `run_all` calls
//! them in turn.

mod appointments;
pub mod cards;
mod cases;
mod channels;
mod directory;
mod fraud;
mod ivr;
mod notifications;
mod routing;

use std::sync::Arc;

use domain::{CardholderId, Clock, Country, FakeClock, Lang, Role, Tier, Timestamp, UserId};
use jiff::SignedDuration;
use sqlx::Connection;

use crate::*;

/// Runs every check against `store`, whose clock must be `clock`.
pub async fn run_all(store: Arc<dyn Store>, clock: Arc<FakeClock>) {
    store.ping().await.expect("ping");
    users(&*store, &clock).await;
    cardholders(&*store, &clock).await;
    sessions(&*store, &clock).await;
    tokens(&*store, &clock).await;
    audit(&*store, &clock).await;
    outbox_is_written_with_its_change(&*store, &clock).await;
    outbox_leases_and_retries(&*store, &clock).await;
    idempotency(&*store, &clock).await;
    // Each area's checks, one line each:
    routing::rows_rebuild_the_engine(&*store, &clock).await;
    fraud::decisions_batches_and_alerts(&*store, &clock).await;
    ivr::calls_survive_and_end(&*store, &clock).await;
    cards::cards_store(&*store, &clock).await;
    directory::entries_and_scam_reports(&*store, &clock).await;
    cases::cases_and_conversations(&*store, &clock).await;
    cases::messages_commit_in_groups(&*store, &clock).await;
    appointments::seats_are_unique_and_changes_retire_reminders(store.clone(), &clock).await;
    channels::items_and_sealed_attachments(&*store, &clock).await;
    notifications::each_channel_is_sent_once(&*store, &clock).await;
}

pub fn sample_user(email: &str, role: Role, at: Timestamp) -> User {
    User {
        id: UserId::new(),
        email: email.to_owned(),
        display_name: format!("Test {role}"),
        role,
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2g".to_owned(),
        language: Lang::En,
        disabled: false,
        created_at: at,
    }
}

pub fn sample_cardholder(email: &str, family: &str, at: Timestamp) -> Cardholder {
    Cardholder {
        id: CardholderId::new(),
        given_name: "Ada".to_owned(),
        family_name: family.to_owned(),
        email: email.to_owned(),
        phone: Some("+12025550143".to_owned()),
        language: Lang::Es,
        country: Country::parse("US").expect("US"),
        time_zone: "America/New_York".to_owned(),
        tier: Tier::Platinum,
        date_of_birth: Some("1980-02-29".to_owned()),
        postcode: Some("10001".to_owned()),
        tax_id_last4: Some("6789".to_owned()),
        address: Address {
            lines: vec!["1 Example Plaza".to_owned()],
            city: "New York".to_owned(),
            region: "NY".to_owned(),
            postcode: "10001".to_owned(),
            country: "US".to_owned(),
        },
        password_hash: None,
        relationship_manager: None,
        created_at: at,
    }
}

fn audit_record(at: Timestamp, action: &str, subject: &str) -> AuditRecord {
    AuditRecord {
        at,
        actor: "system".to_owned(),
        action: action.to_owned(),
        subject: subject.to_owned(),
        ip: "127.0.0.1".to_owned(),
        request_id: "req-1".to_owned(),
        detail: serde_json::json!({"why": "conformance"}),
    }
}

async fn users(store: &dyn Store, clock: &FakeClock) {
    let alice = sample_user("Alice@Example.test", Role::Supervisor, clock.now());
    store
        .insert_user(&alice, Effects::none())
        .await
        .expect("insert user");
    let found = store
        .user_by_email("alice@example.TEST")
        .await
        .expect("by email")
        .expect("found");
    assert_eq!(found.id, alice.id);
    assert_eq!(
        found.email, "alice@example.test",
        "emails are stored lower-case"
    );
    assert_eq!(found.role, Role::Supervisor);
    assert_eq!(found.created_at, alice.created_at);
    assert_eq!(
        store.user_by_id(alice.id).await.expect("by id"),
        Some(found)
    );
    let twin = sample_user("alice@example.test", Role::Agent, clock.now());
    let err = store
        .insert_user(&twin, Effects::none())
        .await
        .expect_err("duplicate email");
    assert!(matches!(err, StoreError::Conflict { .. }), "{err:?}");
    assert!(
        store
            .user_by_id(UserId::new())
            .await
            .expect("unknown")
            .is_none()
    );
    let listed = store.list_users(Page::default()).await.expect("list");
    assert!(listed.iter().any(|u| u.id == alice.id));
}

async fn cardholders(store: &dyn Store, clock: &FakeClock) {
    let zoe = sample_cardholder("zoe@example.test", "Zwicky", clock.now());
    let bob = sample_cardholder("bob@example.test", "Baker_100%", clock.now());
    store
        .insert_cardholder(&zoe, Effects::none())
        .await
        .expect("insert");
    store
        .insert_cardholder(&bob, Effects::none())
        .await
        .expect("insert");
    let back = store
        .cardholder_by_id(zoe.id)
        .await
        .expect("by id")
        .expect("found");
    assert_eq!(back, zoe);
    assert_eq!(
        store
            .cardholder_by_email("ZOE@example.test")
            .await
            .expect("by email"),
        Some(zoe.clone())
    );
    let hits = store
        .search_cardholders("zwick", Page::default())
        .await
        .expect("search");
    assert_eq!(hits.iter().map(|c| c.id).collect::<Vec<_>>(), vec![zoe.id]);
    let wildcard = store
        .search_cardholders("k_r", Page::default())
        .await
        .expect("search");
    assert!(
        wildcard.is_empty(),
        "LIKE wildcards in the query are literal"
    );
    let percent = store
        .search_cardholders("100%", Page::default())
        .await
        .expect("search");
    assert_eq!(percent.len(), 1);
    assert!(store.count_cardholders().await.expect("count") >= 2);
    let err = store
        .insert_cardholder(&zoe, Effects::none())
        .await
        .expect_err("duplicate");
    assert!(matches!(err, StoreError::Conflict { .. }), "{err:?}");
}

async fn sessions(store: &dyn Store, clock: &FakeClock) {
    let now = clock.now();
    let session = Session {
        token_hash: "hash-of-session-1".to_owned(),
        principal: PrincipalRef::Cardholder(CardholderId::new()),
        csrf_token: "csrf".to_owned(),
        created_at: now,
        expires_at: now + SignedDuration::from_hours(1),
        ip: "127.0.0.1".to_owned(),
        user_agent: "test".to_owned(),
    };
    store
        .insert_session(&session)
        .await
        .expect("insert session");
    assert_eq!(
        store
            .live_session("hash-of-session-1", now)
            .await
            .expect("get"),
        Some(session.clone())
    );
    let later = now + SignedDuration::from_hours(2);
    assert_eq!(
        store
            .live_session("hash-of-session-1", later)
            .await
            .expect("get"),
        None
    );
    assert_eq!(
        store.delete_expired_sessions(later).await.expect("expire"),
        1
    );
    store.insert_session(&session).await.expect("insert again");
    store
        .delete_session("hash-of-session-1")
        .await
        .expect("delete");
    assert_eq!(
        store
            .live_session("hash-of-session-1", now)
            .await
            .expect("get"),
        None
    );
}

async fn tokens(store: &dyn Store, clock: &FakeClock) {
    let token = ApiToken {
        id: uuid::Uuid::now_v7(),
        name: "processor".to_owned(),
        token_hash: "hash-of-token-1".to_owned(),
        role: Role::Integration,
        created_by: None,
        created_at: clock.now(),
        last_used_at: None,
        revoked_at: None,
    };
    let subject = format!("api_token:{}", token.id);
    let effects = Effects::none().audit(audit_record(clock.now(), "api_token.create", &subject));
    store
        .insert_api_token(&token, effects)
        .await
        .expect("insert token");
    assert_eq!(
        store
            .active_api_token("hash-of-token-1")
            .await
            .expect("get"),
        Some(token.clone())
    );
    let used = clock.now() + SignedDuration::from_secs(5);
    store.touch_api_token(token.id, used).await.expect("touch");
    let touched = store
        .active_api_token("hash-of-token-1")
        .await
        .expect("get")
        .expect("found");
    assert_eq!(touched.last_used_at, Some(used));
    store
        .revoke_api_token(token.id, used, Effects::none())
        .await
        .expect("revoke");
    assert_eq!(
        store
            .active_api_token("hash-of-token-1")
            .await
            .expect("get"),
        None
    );
    let again = store
        .revoke_api_token(token.id, used, Effects::none())
        .await
        .expect_err("twice");
    assert!(matches!(again, StoreError::NotFound { .. }), "{again:?}");
    assert!(
        store
            .list_api_tokens()
            .await
            .expect("list")
            .iter()
            .any(|t| t.id == token.id)
    );
    let audit = store
        .audit_for_subject(&subject, Page::default())
        .await
        .expect("audit");
    assert_eq!(audit.len(), 1, "the audit row was written with the token");
}

async fn audit(store: &dyn Store, clock: &FakeClock) {
    let subject = format!("cardholder:{}", CardholderId::new());
    let first = audit_record(clock.now(), "cardholder.view", &subject);
    let second = audit_record(
        clock.now() + SignedDuration::from_secs(1),
        "cardholder.update",
        &subject,
    );
    store
        .append_audit(&[first.clone(), second.clone()])
        .await
        .expect("append");
    let rows = store
        .audit_for_subject(&subject, Page::default())
        .await
        .expect("list");
    assert_eq!(
        rows.iter().map(|r| r.record.clone()).collect::<Vec<_>>(),
        vec![second, first]
    );
    let recent = store
        .recent_audit(Page {
            limit: 1,
            offset: 0,
        })
        .await
        .expect("recent");
    assert_eq!(recent.len(), 1);
}

async fn outbox_is_written_with_its_change(store: &dyn Store, clock: &FakeClock) {
    let user = sample_user("outbox@example.test", Role::Agent, clock.now());
    let subject = format!("user:{}", user.id);
    let event = NewEvent::new(
        "user.created",
        subject.clone(),
        serde_json::json!({"email": user.email}),
    );
    store
        .insert_user(&user, Effects::none().event(event.clone()))
        .await
        .expect("insert");
    let events = store.events_for_subject(&subject).await.expect("events");
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].topic, "user.created");
    assert_eq!(events[0].payload["email"], "outbox@example.test");
    // A change that fails leaves no event behind.
    let twin = sample_user("outbox@example.test", Role::Agent, clock.now());
    let twin_subject = format!("user:{}", twin.id);
    let failing = Effects::none().event(NewEvent::new("user.created", twin_subject.clone(), 1));
    store
        .insert_user(&twin, failing)
        .await
        .expect_err("duplicate");
    assert!(
        store
            .events_for_subject(&twin_subject)
            .await
            .expect("events")
            .is_empty()
    );
}

async fn outbox_leases_and_retries(store: &dyn Store, clock: &FakeClock) {
    // Drain whatever earlier checks left.
    let lease = SignedDuration::from_secs(30);
    for e in store
        .claim_due_events(clock.now(), lease, 1000)
        .await
        .expect("drain")
    {
        store
            .mark_event_delivered(e.id, clock.now())
            .await
            .expect("deliver");
    }
    let user = sample_user("lease@example.test", Role::Agent, clock.now());
    let subject = format!("user:{}", user.id);
    let effects = Effects::none()
        .event(NewEvent::new("test.one", subject.clone(), 1))
        .event(NewEvent::new("test.two", subject.clone(), 2));
    store.insert_user(&user, effects).await.expect("insert");
    assert_eq!(store.undelivered_event_count().await.expect("count"), 2);

    let claimed = store
        .claim_due_events(clock.now(), lease, 10)
        .await
        .expect("claim");
    assert_eq!(
        claimed.iter().map(|e| e.topic.as_str()).collect::<Vec<_>>(),
        ["test.one", "test.two"]
    );
    assert!(
        store
            .claim_due_events(clock.now(), lease, 10)
            .await
            .expect("claim")
            .is_empty(),
        "leased events are not handed out twice"
    );
    store
        .mark_event_delivered(claimed[0].id, clock.now())
        .await
        .expect("deliver");
    let retry_at = clock.now() + SignedDuration::from_secs(5);
    store
        .mark_event_failed(claimed[1].id, "provider down", retry_at)
        .await
        .expect("fail");
    clock.advance(SignedDuration::from_secs(6));
    let again = store
        .claim_due_events(clock.now(), lease, 10)
        .await
        .expect("claim");
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].id, claimed[1].id);
    assert_eq!(again[0].attempts, 1);
    assert_eq!(again[0].last_error.as_deref(), Some("provider down"));
    // A dispatcher that dies holding a lease loses nothing: the event comes back after the lease.
    clock.advance(SignedDuration::from_secs(31));
    let back = store
        .claim_due_events(clock.now(), lease, 10)
        .await
        .expect("claim");
    assert_eq!(back.len(), 1);
    store
        .mark_event_delivered(back[0].id, clock.now())
        .await
        .expect("deliver");
    assert_eq!(store.undelivered_event_count().await.expect("count"), 0);
    let recent = store
        .recent_events("test.", Page::default())
        .await
        .expect("recent");
    assert_eq!(recent.len(), 2);
    assert!(recent.iter().all(|e| e.delivered_at.is_some()));
}

async fn idempotency(store: &dyn Store, clock: &FakeClock) {
    assert!(
        store
            .idempotent_response("cards.lock", "k1")
            .await
            .expect("get")
            .is_none()
    );
    let response = IdempotentResponse {
        request_hash: "abc".to_owned(),
        status: 201,
        response: serde_json::json!({"ok": true}),
    };
    store
        .save_idempotent_response("cards.lock", "k1", &response, clock.now())
        .await
        .expect("save");
    assert_eq!(
        store
            .idempotent_response("cards.lock", "k1")
            .await
            .expect("get"),
        Some(response.clone())
    );
    let err = store
        .save_idempotent_response("cards.lock", "k1", &response, clock.now())
        .await
        .expect_err("same key twice");
    assert!(matches!(err, StoreError::Conflict { .. }), "{err:?}");
    store
        .save_idempotent_response("cards.unlock", "k1", &response, clock.now())
        .await
        .expect("other scope");
}

/// A PostgreSQL database made for one test and dropped afterwards.
pub struct ScratchPostgres {
    admin_url: String,
    name: String,
    pub url: String,
}

impl ScratchPostgres {
    /// Creates a fresh database on the server that `admin_url` points at.
    pub async fn create(admin_url: &str) -> ScratchPostgres {
        sqlx::any::install_default_drivers();
        let name = format!("helpline_test_{}", uuid::Uuid::now_v7().simple());
        let mut admin = sqlx::AnyConnection::connect(admin_url)
            .await
            .expect("connect to PostgreSQL");
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut admin)
            .await
            .expect("create scratch database");
        let base = admin_url
            .rsplit_once('/')
            .map(|(b, _)| b)
            .unwrap_or(admin_url);
        let url = format!("{base}/{name}");
        ScratchPostgres {
            admin_url: admin_url.to_owned(),
            name,
            url,
        }
    }

    pub async fn drop_database(self) {
        if let Ok(mut admin) = sqlx::AnyConnection::connect(&self.admin_url).await {
            let sql = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name);
            let _ = sqlx::query(sqlx::AssertSqlSafe(sql))
                .execute(&mut admin)
                .await;
        }
    }
}

/// A clock fixed at a known instant, for stores under test.
pub fn test_clock() -> Arc<FakeClock> {
    Arc::new(FakeClock::new(
        "2026-03-01T12:00:00Z".parse().expect("instant"),
    ))
}

/// The clock as the store wants it.
pub fn as_clock(clock: &Arc<FakeClock>) -> Arc<dyn Clock> {
    clock.clone()
}
