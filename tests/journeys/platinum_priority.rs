//! Journey 5 on a fake clock: Monday 16:00 in New York, when New York is the open hub for
//! English. Also run on PostgreSQL (see the module docs of `main.rs`).

use journeys::platinum_priority::{self, PREMIUM_TARGET_SECS};
use serde_json::Value;

#[tokio::test]
async fn platinum_is_answered_first_by_the_relationship_manager_within_the_target() {
    let (app, _) = crate::app_at("2026-01-05T21:00:00Z").await;
    let mut tour = crate::tour(&app);
    let outcome = platinum_priority::run(&mut tour)
        .await
        .unwrap_or_else(|e| panic!("{e:#}\nsteps: {:#?}", tour.steps()));

    // The manager is the Platinum cardholder's relationship manager on file.
    let email = journeys::people::demo_cardholder(outcome.callers[2])
        .unwrap()
        .email;
    let holder = app
        .store
        .cardholder_by_email(&email)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        holder.relationship_manager.map(|m| m.to_string()),
        Some(outcome.manager.clone())
    );
    assert_eq!(holder.tier, domain::Tier::Platinum);
    assert_eq!(outcome.platinum_cardholder_id, holder.id.to_string());
    // The verified call entered routing with the cardholder and their manager.
    let entered = app
        .store
        .audit_for_subject(
            &format!("contact:{}", outcome.platinum_contact),
            store::Page::default(),
        )
        .await
        .unwrap()
        .into_iter()
        .find(|a| a.record.action == "routing.contact.enter")
        .expect("audited");
    assert_eq!(
        entered.record.detail["relationship_manager"].as_str(),
        Some(outcome.manager.as_str()),
        "{:?}",
        entered.record
    );

    // Routing recorded both answers by the manager, the Platinum one first and within target.
    let connected = |contact: &str| {
        let store = app.store.clone();
        let contact = contact.to_owned();
        async move {
            store
                .events_for_subject(&format!("contact:{contact}"))
                .await
                .unwrap()
                .into_iter()
                .find(|e| e.topic == "routing.connected")
                .unwrap_or_else(|| panic!("{contact} was never connected"))
        }
    };
    let platinum = connected(&outcome.platinum_contact).await;
    let green = connected(&outcome.green_contact).await;
    assert!(
        platinum.id < green.id,
        "the Platinum caller was answered first"
    );
    for event in [&platinum, &green] {
        assert_eq!(
            find(&event.payload, "agent").as_str(),
            Some(outcome.manager.as_str()),
            "{}",
            event.payload
        );
    }
    let waited = find(&platinum.payload, "waited_secs").as_f64().unwrap();
    assert!(
        waited <= PREMIUM_TARGET_SECS as f64,
        "waited {waited} s: {}",
        platinum.payload
    );
    assert!(outcome.platinum_wait_secs <= PREMIUM_TARGET_SECS);

    // The calls were verified by the IVR and handed to routing; the Green one as standard.
    for (sid, tier) in [
        (&outcome.platinum_call, domain::Tier::Platinum),
        (&outcome.green_call, domain::Tier::Green),
    ] {
        let row = app.store.ivr_call(sid).await.unwrap().expect("stored call");
        let session: server::telephony::Session = serde_json::from_str(&row.state).unwrap();
        let context = session.call.context();
        assert!(
            context.identity.level >= ivr::VerificationLevel::Basic,
            "{sid}"
        );
        assert_eq!(context.identity.tier, Some(tier), "{sid}");
        assert!(session.contact.is_some(), "{sid} handed to routing");
        assert!(row.ended_at.is_some(), "{sid} ended");
    }

    // Nobody is left waiting or signed on.
    let manager = app
        .state
        .switchboard
        .agents()
        .await
        .into_iter()
        .find(|a| a.profile.id.0.to_string() == outcome.manager)
        .unwrap();
    assert_eq!(manager.status.availability, routing::Availability::Offline);
    assert!(manager.status.connected.is_empty() && manager.status.offered.is_empty());
    app.stop().await;
}

/// The first value of `key` anywhere in `value`.
pub fn find<'a>(value: &'a Value, key: &str) -> &'a Value {
    fn search<'a>(value: &'a Value, key: &str) -> Option<&'a Value> {
        match value {
            Value::Object(map) => map
                .get(key)
                .or_else(|| map.values().find_map(|v| search(v, key))),
            Value::Array(items) => items.iter().find_map(|v| search(v, key)),
            _ => None,
        }
    }
    search(value, key).unwrap_or(&Value::Null)
}
