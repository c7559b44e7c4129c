//! Cases and conversations: timelines with optimistic versions, lists and full-text search,
//! content-addressed attachments, messages numbered without gaps and found again by client key.

use ::cases::attachment::MediaType;
use ::cases::conversation::{Author, Conversation, ConversationChannel, Draft, Posted};
use ::cases::{Actor, Case, CaseCommand, CaseRef, CaseRules, Context, NewCase, Status};
use domain::{CaseId, Channel, Clock, FakeClock, MessageId, Reason, Role};
use jiff::SignedDuration;

use super::{sample_cardholder, sample_user};
use crate::cases::{CaseChange, CaseFilter, Guest, MessageAppend, StoredAttachment};
use crate::*;

fn conflict<T: std::fmt::Debug>(result: StoreResult<T>) -> bool {
    matches!(result, Err(StoreError::Conflict { .. }))
}

pub(super) async fn cases_and_conversations(store: &dyn Store, clock: &FakeClock) {
    let now = clock.now();
    let rules = CaseRules::default();
    let holder = sample_cardholder("cases@example.test", "Casework", now);
    store
        .insert_cardholder(&holder, Effects::none())
        .await
        .expect("cardholder");
    let agent = sample_user("case-agent@example.test", Role::Agent, now);
    store
        .insert_user(&agent, Effects::none())
        .await
        .expect("agent");

    // Open: the case, its first event and its search text in one change.
    let reference = CaseRef::generate(0x5eed_cafe);
    let (mut case, opened) = Case::open(
        NewCase {
            id: CaseId::new(),
            reference,
            cardholder: Some(holder.id),
            tier: Some(holder.tier),
            subject: "Wallet stolen in Madrid".to_owned(),
            reason: Reason::LostStolen,
            department: None,
            channel: Channel::Chat,
        },
        Actor::Cardholder(holder.id),
        now,
    )
    .expect("open");
    let change = |case: &Case, expected, events: &[::cases::CaseEvent]| {
        let next_timer = case.next_timer(&rules, now);
        (case.clone(), expected, events.to_vec(), next_timer)
    };
    let (c, v, e, t) = change(&case, 0, std::slice::from_ref(&opened));
    let opening = CaseChange {
        case: &c,
        expected_version: v,
        events: &e,
        next_timer: t,
    };
    store
        .save_cases(
            &[opening],
            Effects::none().event(NewEvent::new("case.opened", "case:x", "{}")),
        )
        .await
        .expect("insert case");
    assert!(conflict(
        store.save_cases(&[opening], Effects::none()).await
    ));
    assert_eq!(
        store.case_by_id(case.id).await.expect("by id").as_ref(),
        Some(&case)
    );
    assert_eq!(
        store
            .case_by_reference(reference)
            .await
            .expect("by ref")
            .map(|c| c.id),
        Some(case.id)
    );

    // A change decided on version 1 is saved once; the same decision again is refused.
    let context = Context {
        now: now + SignedDuration::from_mins(5),
        actor: Actor::Staff(agent.id),
        rules: &rules,
    };
    let mut events = case
        .execute(
            CaseCommand::AddNote {
                text: "Customer thinks the thief used a contactless terminal".to_owned(),
            },
            context,
        )
        .expect("note");
    events.extend(
        case.execute(CaseCommand::Assign { to: Some(agent.id) }, context)
            .expect("assign"),
    );
    let update = CaseChange {
        case: &case,
        expected_version: 1,
        events: &events,
        next_timer: case.next_timer(&rules, now),
    };
    store
        .save_cases(&[update], Effects::none())
        .await
        .expect("update");
    assert!(conflict(store.save_cases(&[update], Effects::none()).await));
    let timeline = store.case_events(case.id).await.expect("timeline");
    assert_eq!(
        timeline.iter().map(|e| e.version).collect::<Vec<_>>(),
        (1..=case.version).collect::<Vec<_>>()
    );
    assert_eq!(Case::replay(&timeline).expect("replay"), case);

    // Lists and search.
    let mine = store
        .list_cases(
            &CaseFilter {
                assignee: Some(agent.id),
                active: true,
                ..CaseFilter::default()
            },
            Page::default(),
        )
        .await
        .expect("list");
    assert_eq!(mine.iter().map(|c| c.id).collect::<Vec<_>>(), vec![case.id]);
    let resolved = store
        .list_cases(
            &CaseFilter {
                status: Some(Status::Resolved),
                ..CaseFilter::default()
            },
            Page::default(),
        )
        .await
        .expect("list resolved");
    assert!(resolved.is_empty());
    let found = store
        .search_cases("CONTACTLESS madrid", Page::default())
        .await
        .expect("search");
    assert_eq!(
        found.iter().map(|c| c.id).collect::<Vec<_>>(),
        vec![case.id]
    );
    for nothing in ["contactless tokyo", "", "\" OR *"] {
        assert!(
            store
                .search_cases(nothing, Page::default())
                .await
                .expect("search")
                .is_empty(),
            "{nothing:?}"
        );
    }

    // Conversations: messages numbered without gaps, retries found by client key.
    let mut chat = Conversation::start(
        domain::ConversationId::new(),
        ConversationChannel::Chat,
        Some(holder.id),
        Some(holder.tier),
        now,
    );
    store
        .insert_conversation(
            &chat,
            Some(&Guest {
                name: "Ada".to_owned(),
                token_hash: "f".repeat(64),
            }),
            Effects::none(),
        )
        .await
        .expect("conversation");
    let mut stored = Vec::new();
    for (i, body) in ["my card was stolen", "it had a chip", "please block it"]
        .into_iter()
        .enumerate()
    {
        let draft = Draft {
            author: Author::Cardholder,
            body: body.to_owned(),
            attachments: Vec::new(),
            client_key: Some(format!("k{i}")),
        };
        let Posted::New { message, .. } =
            chat.post(draft, MessageId::new(), None, now).expect("post")
        else {
            panic!("a new message");
        };
        store
            .append_message(&chat, &message, Effects::none())
            .await
            .expect("append");
        stored.push(message);
    }
    assert!(conflict(
        store
            .append_message(&chat, &stored[2], Effects::none())
            .await
    ));
    let after = store.messages_after(chat.id, 1, 10).await.expect("after");
    assert_eq!(after, stored[1..].to_vec());
    assert_eq!(
        store
            .message_by_client_key(chat.id, "k1")
            .await
            .expect("key"),
        Some(stored[1].clone())
    );
    let by_token = store
        .conversation_by_guest_token(&"f".repeat(64))
        .await
        .expect("guest")
        .expect("found");
    assert_eq!(by_token.conversation, chat);
    assert_eq!(by_token.guest_name.as_deref(), Some("Ada"));

    // Linking the conversation makes its messages find the case.
    assert!(
        store
            .search_cases("chip", Page::default())
            .await
            .expect("search")
            .is_empty()
    );
    chat.link_case(case.id).expect("link");
    store
        .save_conversation(&chat, Effects::none())
        .await
        .expect("save conversation");
    let via_message = store
        .search_cases("chip", Page::default())
        .await
        .expect("search");
    assert_eq!(
        via_message.iter().map(|c| c.id).collect::<Vec<_>>(),
        vec![case.id]
    );
    let messages = store
        .search_messages("block", Page::default())
        .await
        .expect("messages");
    assert_eq!(messages, vec![stored[2].clone()]);
    assert_eq!(
        store
            .conversations_of_case(case.id)
            .await
            .expect("of case")
            .len(),
        1
    );
    assert_eq!(
        store
            .conversations_of_cardholder(holder.id, Page::default())
            .await
            .expect("of cardholder")[0]
            .conversation
            .id,
        chat.id
    );

    // Attachments: stored once per content.
    let pdf = StoredAttachment {
        sha256: "a".repeat(64),
        media_type: MediaType::Pdf,
        content: b"%PDF-1.7 \x00\xff binary".to_vec(),
        created_at: now,
    };
    assert!(store.put_attachment(&pdf).await.expect("put"));
    assert!(!store.put_attachment(&pdf).await.expect("put again"));
    assert_eq!(
        store.attachment(&pdf.sha256).await.expect("get"),
        Some(pdf.clone())
    );
    assert_eq!(store.attachment(&"b".repeat(64)).await.expect("get"), None);

    // Timers: the first-response target makes the case due later, not now.
    let due_now = store.cases_due(now, 10).await.expect("due");
    assert!(due_now.is_empty());
    let later = now + SignedDuration::from_hours(24 * 60);
    let due_later = store.cases_due(later, 10).await.expect("due later");
    assert_eq!(
        due_later.iter().map(|c| c.id).collect::<Vec<_>>(),
        vec![case.id]
    );
}

/// Group commit: a batch of messages to several conversations is stored in one transaction, all
/// or none (a stale one makes the whole batch a conflict and leaves nothing behind).
pub(super) async fn messages_commit_in_groups(store: &dyn Store, clock: &FakeClock) {
    let now = clock.now();
    let mut chats = Vec::new();
    for _ in 0..3 {
        let chat = Conversation::start(
            domain::ConversationId::new(),
            ConversationChannel::Chat,
            None,
            None,
            now,
        );
        store
            .insert_conversation(&chat, None, Effects::none())
            .await
            .expect("conversation");
        chats.push(chat);
    }
    let next = |chat: &mut Conversation, body: &str| {
        let draft = Draft {
            author: Author::Cardholder,
            body: body.to_owned(),
            attachments: Vec::new(),
            client_key: None,
        };
        let Posted::New { message, .. } =
            chat.post(draft, MessageId::new(), None, now).expect("post")
        else {
            panic!("a new message");
        };
        MessageAppend {
            conversation: chat.clone(),
            message,
            effects: Effects::none(),
        }
    };
    let batch: Vec<_> = chats.iter_mut().map(|c| next(c, "first")).collect();
    store.append_messages(&batch).await.expect("group");
    for (chat, item) in chats.iter().zip(&batch) {
        let stored = store.messages_after(chat.id, 0, 10).await.expect("read");
        assert_eq!(stored, vec![item.message.clone()]);
    }

    // The second item repeats a stored sequence number: nothing of the batch is kept.
    let fresh = next(&mut chats[0], "second");
    let stale = batch[1].clone();
    let third = next(&mut chats[2], "second");
    assert!(conflict(
        store.append_messages(&[fresh, stale, third]).await
    ));
    for chat in &chats {
        assert_eq!(
            store
                .messages_after(chat.id, 0, 10)
                .await
                .expect("read")
                .len(),
            1,
            "nothing of a failed batch is stored"
        );
    }
    store.append_messages(&[]).await.expect("an empty batch");
}
