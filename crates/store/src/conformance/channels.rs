//! Channels: items are unique per channel and external id (a redelivery is a conflict), a reply
//! finds its conversation by any of the ids it names, lists are newest first, sealed attachments
//! are stored once per digest, and secure-message bodies never reach the search index.

use ::cases::attachment::MediaType;
use ::cases::conversation::{Author, Conversation, ConversationChannel, Draft, Posted};
use domain::{Clock, ConversationId, FakeClock, MessageId};
use jiff::SignedDuration;

use crate::channels::{ChannelItem, SealedAttachment};
use crate::*;

fn item(
    channel: &str,
    external: Option<&str>,
    conversation: Option<ConversationId>,
    clock: &FakeClock,
) -> ChannelItem {
    ChannelItem {
        id: uuid::Uuid::now_v7(),
        channel: channel.to_owned(),
        external_id: external.map(str::to_owned),
        disposition: "threaded".to_owned(),
        conversation,
        received_at: clock.now(),
        detail: serde_json::json!({"from": "someone@example.test"}),
    }
}

pub(super) async fn items_and_sealed_attachments(store: &dyn Store, clock: &FakeClock) {
    let now = clock.now();
    let conversation = Conversation::start(
        ConversationId::new(),
        ConversationChannel::Email,
        None,
        None,
        now,
    );
    store
        .insert_conversation(&conversation, None, Effects::none())
        .await
        .expect("conversation");
    let first = item(
        "email",
        Some("a1@mail.example"),
        Some(conversation.id),
        clock,
    );
    store
        .record_channel_item(
            &first,
            Effects::none().event(NewEvent::new(
                "channel.email.received",
                "channel:email",
                serde_json::json!({}),
            )),
        )
        .await
        .expect("first item");
    // The same Message-ID again is a redelivery; on another channel it is a different item.
    let again = item("email", Some("a1@mail.example"), None, clock);
    assert!(matches!(
        store.record_channel_item(&again, Effects::none()).await,
        Err(StoreError::Conflict { .. })
    ));
    store
        .record_channel_item(
            &item("social", Some("a1@mail.example"), None, clock),
            Effects::none(),
        )
        .await
        .expect("same id on another channel");
    // Items without an external id never collide.
    for _ in 0..2 {
        store
            .record_channel_item(&item("fax", None, None, clock), Effects::none())
            .await
            .expect("fax without id");
    }
    clock.advance(SignedDuration::from_secs(1));
    let later = item(
        "email",
        Some("b2@mail.example"),
        Some(conversation.id),
        clock,
    );
    store
        .record_channel_item(&later, Effects::none())
        .await
        .expect("later item");

    // A reply names several ids: the first one known, in the order given, wins.
    let found = store
        .channel_item_by_external_id(
            &["email", "email_out"],
            &[
                "unknown@x".to_owned(),
                "b2@mail.example".to_owned(),
                "a1@mail.example".to_owned(),
            ],
        )
        .await
        .expect("lookup")
        .expect("found");
    assert_eq!(found, later);
    assert!(
        store
            .channel_item_by_external_id(&["email"], &["nobody@x".to_owned()])
            .await
            .expect("lookup")
            .is_none()
    );
    let emails = store
        .recent_channel_items("email", Page::default())
        .await
        .expect("list");
    assert_eq!(emails.len(), 2);
    assert_eq!(emails[0].id, later.id, "newest first");
    assert_eq!(emails[1].detail["from"], "someone@example.test");
    let all = store
        .recent_channel_items("", Page::default())
        .await
        .expect("all");
    assert_eq!(all.len(), 5);

    // Sealed attachments: stored once per clear digest, read back byte for byte.
    let sealed = SealedAttachment {
        sha256: "ab".repeat(32),
        key_id: "k1".to_owned(),
        media_type: MediaType::Pdf,
        size: 9,
        content: vec![0, 1, 2, 255, 254, 7],
        created_at: now,
    };
    assert!(store.put_sealed_attachment(&sealed).await.expect("put"));
    assert!(
        !store
            .put_sealed_attachment(&sealed)
            .await
            .expect("put again")
    );
    assert_eq!(
        store.sealed_attachment(&sealed.sha256).await.expect("get"),
        Some(sealed.clone())
    );
    assert_eq!(
        store
            .sealed_attachment(&"cd".repeat(32))
            .await
            .expect("get"),
        None
    );

    // A secure message's (sealed) body is stored but never indexed for search.
    let mut secure = Conversation::start(
        ConversationId::new(),
        ConversationChannel::SecureMessage,
        None,
        None,
        now,
    );
    store
        .insert_conversation(&secure, None, Effects::none())
        .await
        .expect("secure conversation");
    let Ok(Posted::New { message, .. }) = secure.post(
        Draft {
            author: Author::Cardholder,
            body: "sealedmarkerword".to_owned(),
            attachments: Vec::new(),
            client_key: None,
        },
        MessageId::new(),
        None,
        now,
    ) else {
        panic!("post");
    };
    store
        .append_message(&secure, &message, Effects::none())
        .await
        .expect("append");
    assert!(
        store
            .search_messages("sealedmarkerword", Page::default())
            .await
            .expect("search")
            .is_empty()
    );
    assert_eq!(
        store.messages_after(secure.id, 0, 10).await.expect("read")[0].body,
        "sealedmarkerword"
    );
}
