//! Journey 6 at 3 a.m. in New York (Tuesday 6 January 2026, 08:00 UTC): New York's hub is
//! closed; London's has opened, and a Spanish speaker there answers.

use domain::Lang;
use journeys::spanish_at_night;

#[tokio::test]
async fn a_spanish_caller_at_3am_new_york_time_reaches_a_spanish_speaker_at_an_open_hub() {
    let at: jiff::Timestamp = "2026-01-06T08:00:00Z".parse().unwrap();
    assert_eq!(
        at.in_tz("America/New_York").unwrap().hour(),
        3,
        "3 a.m. in New York"
    );
    let (app, _) = crate::app_at(&at.to_string()).await;
    let mut tour = crate::tour(&app);
    let outcome = spanish_at_night::run(&mut tour)
        .await
        .unwrap_or_else(|e| panic!("{e:#}\nsteps: {:#?}", tour.steps()));
    assert!(
        !outcome.open_hubs.iter().any(|h| h == "new_york"),
        "{:?}",
        outcome.open_hubs
    );
    assert_eq!(
        (outcome.agent.as_str(), outcome.hub.as_str()),
        ("rafael@example.com", "london"),
        "Spanish prefers New York, then London"
    );

    // The call was in Spanish from the language menu on, and went to routing as Spanish.
    let row = app.store.ivr_call(&outcome.call).await.unwrap().unwrap();
    let session: server::telephony::Session = serde_json::from_str(&row.state).unwrap();
    assert_eq!(session.call.language(), Lang::Es);
    assert!(session.call.context().identity.level >= ivr::VerificationLevel::Basic);
    let events = app
        .store
        .events_for_subject(&format!("contact:{}", outcome.contact))
        .await
        .unwrap();
    let connected = events
        .iter()
        .find(|e| e.topic == "routing.connected")
        .expect("answered");
    let rafael = app
        .store
        .user_by_email("rafael@example.com")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        crate::platinum_priority::find(&connected.payload, "agent").as_str(),
        Some(rafael.id.to_string().as_str())
    );
    // Everyone the journey signed on is offline again.
    for agent in app.state.switchboard.agents().await {
        assert_eq!(
            agent.status.availability,
            routing::Availability::Offline,
            "{:?}",
            agent.profile.id
        );
    }
    app.stop().await;
}
