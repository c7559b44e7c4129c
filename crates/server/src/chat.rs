//! Live chat (product §3): one room per conversation on this server. A message is numbered and
//! stored (with its conversation) before the sender gets its `ack` and before anyone else sees
//! it; readers follow a room from the last sequence number they saw, so a dropped connection
//! loses nothing and sees nothing twice. Typing indicators are passed on, never stored; receipts
//! are stored as watermarks.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use cases::Message;
use cases::attachment::AttachmentRef;
use cases::conversation::{Author, Conversation, Delivery, Draft, Posted, Side};
use domain::{ConversationId, MessageId};
use serde::Serialize;
use store::cases::MessageAppend;
use store::{Effects, NewEvent, Store, StoreError};
use tokio::sync::{broadcast, mpsc, oneshot};
use tokio_util::sync::CancellationToken;

use crate::error::ApiError;

/// Messages replayed per store read when a reader catches up.
const REPLAY_BATCH: u32 = 200;

/// What a room tells its readers: a stored message (with its number) or a passing signal.
#[derive(Debug, Clone)]
pub enum Frame {
    Message { seq: u64, text: Arc<str> },
    Signal(Arc<str>),
}

struct Room {
    conversation: tokio::sync::Mutex<Option<Conversation>>,
    frames: broadcast::Sender<Frame>,
}

/// Every live conversation on this server.
pub struct ChatHub {
    store: Arc<dyn Store>,
    clock: Arc<dyn domain::Clock>,
    rooms: Mutex<HashMap<ConversationId, Arc<Room>>>,
    /// Messages waiting for the group-commit writer ([`ChatHub::run_writer`]).
    queue: mpsc::Sender<Pending>,
    queued: Mutex<Option<mpsc::Receiver<Pending>>>,
    /// Whether the writer takes the queue; when not, messages are written one by one.
    writing: AtomicBool,
}

/// A message waiting to be stored, and who waits for the outcome.
struct Pending {
    append: MessageAppend,
    done: oneshot::Sender<Result<(), StoreError>>,
}

/// The most messages stored in one transaction.
const GROUP_COMMIT: usize = 256;

/// A message as clients see it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MessageView {
    #[serde(rename = "type")]
    pub kind: &'static str,
    #[schema(value_type = String, format = Uuid)]
    pub conversation: ConversationId,
    pub seq: u64,
    #[schema(value_type = String, format = Uuid)]
    pub id: MessageId,
    /// cardholder, agent or system.
    pub author: &'static str,
    #[schema(value_type = Option<String>, format = Uuid)]
    pub agent_id: Option<domain::UserId>,
    pub body: String,
    #[schema(value_type = Vec<Object>)]
    pub attachments: Vec<AttachmentRef>,
    pub client_key: Option<String>,
    #[schema(value_type = String)]
    pub sent_at: jiff::Timestamp,
}

impl MessageView {
    pub fn of(m: &Message) -> Self {
        let (author, agent_id) = match m.author {
            Author::Cardholder => ("cardholder", None),
            Author::Agent(id) => ("agent", Some(id)),
            Author::System => ("system", None),
        };
        MessageView {
            kind: "message",
            conversation: m.conversation,
            seq: m.seq,
            id: m.id,
            author,
            agent_id,
            body: m.body.clone(),
            attachments: m.attachments.clone(),
            client_key: m.client_key.clone(),
            sent_at: m.sent_at,
        }
    }

    fn text(m: &Message) -> Arc<str> {
        serde_json::to_string(&MessageView::of(m))
            .unwrap_or_default()
            .into()
    }
}

fn side_name(side: Side) -> &'static str {
    match side {
        Side::Cardholder => "cardholder",
        Side::Issuer => "issuer",
    }
}

impl ChatHub {
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn domain::Clock>) -> Self {
        let (queue, queued) = mpsc::channel(4 * GROUP_COMMIT);
        Self {
            store,
            clock,
            rooms: Mutex::new(HashMap::new()),
            queue,
            queued: Mutex::new(Some(queued)),
            writing: AtomicBool::new(false),
        }
    }

    /// Stores queued messages, as many per transaction as are waiting (group commit), until
    /// `stop`; then stores what is still queued. Run it after the server has drained.
    pub async fn run_writer(self: Arc<Self>, stop: CancellationToken) {
        let Some(mut queued) = self.queued.lock().unwrap_or_else(|p| p.into_inner()).take() else {
            return;
        };
        self.writing.store(true, Ordering::SeqCst);
        let mut batch = Vec::with_capacity(GROUP_COMMIT);
        loop {
            let taken = tokio::select! {
                () = stop.cancelled() => break,
                taken = queued.recv_many(&mut batch, GROUP_COMMIT) => taken,
            };
            if taken == 0 {
                break;
            }
            self.commit(std::mem::take(&mut batch)).await;
        }
        self.writing.store(false, Ordering::SeqCst);
        queued.close();
        while let Ok(next) = queued.try_recv() {
            batch.push(next);
        }
        if !batch.is_empty() {
            self.commit(batch).await;
        }
    }

    /// One transaction for the batch; if it fails, each message alone, so that one stale
    /// conversation does not fail the others.
    async fn commit(&self, batch: Vec<Pending>) {
        let (appends, waiting): (Vec<MessageAppend>, Vec<_>) =
            batch.into_iter().map(|p| (p.append, p.done)).unzip();
        match self.store.append_messages(&appends).await {
            Ok(()) => {
                for done in waiting {
                    let _ = done.send(Ok(()));
                }
            }
            Err(err) if appends.len() == 1 => {
                if let Some(done) = waiting.into_iter().next() {
                    let _ = done.send(Err(err));
                }
            }
            Err(_) => {
                for (append, done) in appends.into_iter().zip(waiting) {
                    let _ = done.send(self.append_one(append).await);
                }
            }
        }
    }

    /// Stores one message: through the group-commit writer when it runs, else directly.
    async fn append(&self, append: MessageAppend) -> Result<(), StoreError> {
        if !self.writing.load(Ordering::SeqCst) {
            return self.append_one(append).await;
        }
        let (done, outcome) = oneshot::channel();
        match self.queue.send(Pending { append, done }).await {
            // Only a writer that died mid-batch drops the answer: not stored.
            Ok(()) => outcome
                .await
                .unwrap_or(Err(StoreError::Interrupted("chat message".to_owned()))),
            // The writer has stopped: write it here.
            Err(mpsc::error::SendError(Pending { append, .. })) => self.append_one(append).await,
        }
    }

    async fn append_one(&self, append: MessageAppend) -> Result<(), StoreError> {
        self.store
            .append_message(&append.conversation, &append.message, append.effects)
            .await
    }

    fn room(&self, id: ConversationId) -> Arc<Room> {
        let mut rooms = self.rooms.lock().unwrap_or_else(|p| p.into_inner());
        rooms
            .entry(id)
            .or_insert_with(|| {
                Arc::new(Room {
                    conversation: tokio::sync::Mutex::new(None),
                    frames: broadcast::channel(64).0,
                })
            })
            .clone()
    }

    /// Forgets rooms nobody follows (their state is in the store).
    pub fn tidy(&self) {
        let mut rooms = self.rooms.lock().unwrap_or_else(|p| p.into_inner());
        rooms.retain(|_, room| room.frames.receiver_count() > 0);
    }

    async fn loaded<'a>(
        &self,
        id: ConversationId,
        slot: &'a mut Option<Conversation>,
    ) -> Result<&'a mut Conversation, ApiError> {
        if slot.is_none() {
            let stored = self.store.conversation(id).await?.ok_or_else(|| {
                ApiError::not_found(
                    "chat.not_found",
                    format!("There is no conversation {id}; start one first."),
                )
            })?;
            *slot = Some(stored.conversation);
        }
        slot.as_mut().ok_or_else(|| {
            ApiError::not_found("chat.not_found", format!("There is no conversation {id}."))
        })
    }

    /// Numbers and stores a message, then tells the room. A retry with a stored `client_key`
    /// returns the stored message and stores nothing.
    pub async fn post(&self, id: ConversationId, draft: Draft) -> Result<Message, ApiError> {
        let room = self.room(id);
        let mut slot = room.conversation.lock().await;
        for attempt in 0..3 {
            let conversation = self.loaded(id, &mut slot).await?;
            let mut next = conversation.clone();
            let now = self.clock.now();
            let posted = next
                .post(draft.clone(), MessageId::new(), None, now)
                .map_err(|e| ApiError::unprocessable("chat.refused", e.to_string()))?;
            let Posted::New { message, event } = posted else {
                return Err(ApiError::unprocessable(
                    "chat.refused",
                    "the message could not be numbered",
                ));
            };
            // Only the first message and agents' messages go on the outbox (to notify and to
            // count); every message is in the store before anyone hears of it.
            let effects = if message.seq == 1 || matches!(message.author, Author::Agent(_)) {
                Effects::none().event(NewEvent::new(
                    "conversation.message_posted",
                    format!("conversation:{id}"),
                    &event,
                ))
            } else {
                Effects::none()
            };
            let append = MessageAppend {
                conversation: next.clone(),
                message: message.clone(),
                effects,
            };
            match self.append(append).await {
                Ok(()) => {
                    *conversation = next;
                    let _ = room.frames.send(Frame::Message {
                        seq: message.seq,
                        text: MessageView::text(&message),
                    });
                    return Ok(message);
                }
                Err(StoreError::Conflict { .. }) => {
                    // A retry of a stored message, or another writer moved the conversation.
                    if let Some(key) = &draft.client_key
                        && let Some(existing) = self.store.message_by_client_key(id, key).await?
                    {
                        return Ok(existing);
                    }
                    *slot = None;
                    if attempt == 2 {
                        return Err(ApiError::conflict(
                            "chat.busy",
                            "The conversation changed while posting; send again.",
                        ));
                    }
                }
                Err(err) => return Err(err.into()),
            }
        }
        Err(ApiError::conflict(
            "chat.busy",
            "The conversation changed while posting; send again.",
        ))
    }

    /// Stores a receipt watermark and tells the room when it moved.
    pub async fn receipt(
        &self,
        id: ConversationId,
        reader: Side,
        delivery: Delivery,
        up_to: u64,
    ) -> Result<(), ApiError> {
        let room = self.room(id);
        let mut slot = room.conversation.lock().await;
        let conversation = self.loaded(id, &mut slot).await?;
        let mut next = conversation.clone();
        let Some(_advanced) = next
            .acknowledge(reader, delivery, up_to)
            .map_err(|e| ApiError::unprocessable("chat.receipt", e.to_string()))?
        else {
            return Ok(());
        };
        if let Err(err) = self.store.save_conversation(&next, Effects::none()).await {
            *slot = None;
            return Err(err.into());
        }
        *conversation = next;
        let text = serde_json::json!({
            "type": "receipt",
            "conversation": id,
            "reader": side_name(reader),
            "delivery": delivery,
            "up_to": up_to,
        });
        let _ = room.frames.send(Frame::Signal(text.to_string().into()));
        Ok(())
    }

    /// Someone is typing (not stored).
    pub fn typing(&self, id: ConversationId, side: Side) {
        let text =
            serde_json::json!({"type": "typing", "conversation": id, "side": side_name(side)});
        let _ = self
            .room(id)
            .frames
            .send(Frame::Signal(text.to_string().into()));
    }

    /// Changes a conversation (link, close) under its room's lock.
    pub async fn update(
        &self,
        id: ConversationId,
        change: impl FnOnce(&mut Conversation) -> Option<NewEvent>,
    ) -> Result<Conversation, ApiError> {
        let room = self.room(id);
        let mut slot = room.conversation.lock().await;
        let conversation = self.loaded(id, &mut slot).await?;
        let mut next = conversation.clone();
        let Some(event) = change(&mut next) else {
            return Ok(next);
        };
        if let Err(err) = self
            .store
            .save_conversation(&next, Effects::none().event(event))
            .await
        {
            *slot = None;
            return Err(err.into());
        }
        *conversation = next.clone();
        let text = serde_json::json!({
            "type": "conversation",
            "conversation": id,
            "status": next.status,
            "case": next.case,
        });
        let _ = room.frames.send(Frame::Signal(text.to_string().into()));
        Ok(next)
    }

    /// Follows a room for one reader from `after_seq`: first what it missed (from the store),
    /// then live frames, in order, without gaps or repeats. Ends when `out` closes or `stop`.
    pub fn follow(
        self: &Arc<Self>,
        id: ConversationId,
        after_seq: u64,
        out: mpsc::Sender<Arc<str>>,
        stop: CancellationToken,
    ) {
        let hub = self.clone();
        let mut frames = self.room(id).frames.subscribe();
        tokio::spawn(async move {
            let mut seen = after_seq;
            let catch_up = |seen: u64| {
                let hub = hub.clone();
                let out = out.clone();
                async move { hub.replay(id, seen, &out).await }
            };
            seen = match catch_up(seen).await {
                Ok(s) => s,
                Err(()) => return,
            };
            let resumed =
                serde_json::json!({"type": "resumed", "conversation": id, "last_seq": seen});
            if out.send(resumed.to_string().into()).await.is_err() {
                return;
            }
            loop {
                let frame = tokio::select! {
                    () = stop.cancelled() => return,
                    frame = frames.recv() => frame,
                };
                match frame {
                    Ok(Frame::Message { seq, .. }) if seq <= seen => {}
                    Ok(Frame::Message { seq, text }) if seq == seen + 1 => {
                        if out.send(text).await.is_err() {
                            return;
                        }
                        seen = seq;
                    }
                    Ok(Frame::Message { .. }) | Err(broadcast::error::RecvError::Lagged(_)) => {
                        seen = match catch_up(seen).await {
                            Ok(s) => s,
                            Err(()) => return,
                        };
                    }
                    Ok(Frame::Signal(text)) => {
                        if out.send(text).await.is_err() {
                            return;
                        }
                    }
                    Err(broadcast::error::RecvError::Closed) => return,
                }
            }
        });
    }

    /// Sends the stored messages after `seen`; returns the last one sent.
    async fn replay(
        &self,
        id: ConversationId,
        mut seen: u64,
        out: &mpsc::Sender<Arc<str>>,
    ) -> Result<u64, ()> {
        loop {
            let batch = match self.store.messages_after(id, seen, REPLAY_BATCH).await {
                Ok(batch) => batch,
                Err(err) => {
                    tracing::warn!(conversation = %id, error = %err, "chat replay failed");
                    return Err(());
                }
            };
            let mut sent = 0;
            for message in &batch {
                if message.seq != seen + 1 {
                    break;
                }
                out.send(MessageView::text(message)).await.map_err(drop)?;
                seen = message.seq;
                sent += 1;
            }
            if sent < REPLAY_BATCH as usize {
                return Ok(seen);
            }
        }
    }
}
