//! IVR call sessions: a call's state is found again after a restart, updates are ordered by
//! version, and the provider's final status ends the call once.

use domain::{Clock, FakeClock};
use jiff::SignedDuration;

use crate::*;

pub(super) async fn calls_survive_and_end(store: &dyn Store, clock: &FakeClock) {
    let now = clock.now();
    let active_before = store.count_active_ivr_calls().await.expect("count");
    let call = IvrCall {
        call_sid: "CAconformance0001".to_owned(),
        flow_id: "demo".to_owned(),
        state: r#"{"at":"language"}"#.to_owned(),
        version: 1,
        started_at: now,
        updated_at: now,
        ended_at: None,
        end_status: None,
    };
    assert!(
        store
            .ivr_call(&call.call_sid)
            .await
            .expect("read")
            .is_none()
    );
    store
        .insert_ivr_call(
            &call,
            Effects::none().event(NewEvent::new(
                "ivr.call_started",
                "ivr_call:CAconformance0001",
                serde_json::json!({"flow": "demo"}),
            )),
        )
        .await
        .expect("insert");
    assert_eq!(
        store.ivr_call(&call.call_sid).await.expect("read"),
        Some(call.clone())
    );
    assert_eq!(
        store
            .events_for_subject("ivr_call:CAconformance0001")
            .await
            .expect("events")
            .len(),
        1,
        "the event is written with the call"
    );
    assert!(matches!(
        store.insert_ivr_call(&call, Effects::none()).await,
        Err(StoreError::Conflict { .. })
    ));

    let later = now + SignedDuration::from_secs(5);
    let moved = IvrCall {
        state: r#"{"at":"menu"}"#.to_owned(),
        version: 2,
        updated_at: later,
        ..call.clone()
    };
    store
        .update_ivr_call(&moved, Effects::none())
        .await
        .expect("update");
    assert_eq!(
        store.ivr_call(&call.call_sid).await.expect("read"),
        Some(moved.clone())
    );
    // A second writer that read version 1 loses.
    let stale = IvrCall {
        state: r#"{"at":"stale"}"#.to_owned(),
        ..moved.clone()
    };
    assert!(matches!(
        store.update_ivr_call(&stale, Effects::none()).await,
        Err(StoreError::Conflict { .. })
    ));
    let unknown = IvrCall {
        call_sid: "CAnobody".to_owned(),
        ..moved.clone()
    };
    assert!(matches!(
        store.update_ivr_call(&unknown, Effects::none()).await,
        Err(StoreError::NotFound { .. })
    ));
    assert_eq!(
        store.count_active_ivr_calls().await.expect("count"),
        active_before + 1
    );

    let end = later + SignedDuration::from_secs(60);
    assert!(
        store
            .end_ivr_call(&call.call_sid, "completed", end, Effects::none())
            .await
            .expect("end")
    );
    assert!(
        !store
            .end_ivr_call(&call.call_sid, "completed", end, Effects::none())
            .await
            .expect("end again"),
        "a call ends once"
    );
    assert!(
        !store
            .end_ivr_call("CAnobody", "completed", end, Effects::none())
            .await
            .expect("end unknown")
    );
    let ended = store
        .ivr_call(&call.call_sid)
        .await
        .expect("read")
        .expect("kept");
    assert_eq!(ended.ended_at, Some(end));
    assert_eq!(ended.end_status.as_deref(), Some("completed"));
    assert_eq!(ended.state, moved.state);
    let after_end = IvrCall {
        version: 3,
        ..moved
    };
    assert!(
        matches!(
            store.update_ivr_call(&after_end, Effects::none()).await,
            Err(StoreError::Conflict { .. })
        ),
        "an ended call does not move on"
    );
    assert_eq!(
        store.count_active_ivr_calls().await.expect("count"),
        active_before
    );
}
