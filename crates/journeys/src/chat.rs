//! Live chat as a signed-in person's browser page holds it: the chat WebSocket opened with
//! the session cookie (no `Origin`, as from the server's own page), JSON frames in and out.

use std::time::Duration;

use anyhow::{Context, bail};
use futures_util::{SinkExt, StreamExt};
use reqwest::cookie::CookieStore;
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message as Ws;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::people::Person;

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// One person's view of one conversation: every message received so far, in order.
pub struct Chat {
    socket: Socket,
    conversation: String,
    pub messages: Vec<Value>,
}

impl Person {
    /// Opens the chat WebSocket with this person's session and joins `conversation` from
    /// its start.
    pub async fn chat(&self, conversation: &str) -> anyhow::Result<Chat> {
        let http = reqwest::Url::parse(&self.url("/api/v1/chat/live"))?;
        let ws = http.as_str().replacen("http", "ws", 1);
        let mut request = ws
            .as_str()
            .into_client_request()
            .context("the chat WebSocket's address")?;
        if let Some(cookie) = self.jar.cookies(&http) {
            request.headers_mut().insert("cookie", cookie);
        }
        let (socket, _) = tokio_tungstenite::connect_async(request)
            .await
            .with_context(|| format!("opening the chat WebSocket at {ws}"))?;
        let mut chat = Chat {
            socket,
            conversation: conversation.to_owned(),
            messages: Vec::new(),
        };
        let join = json!({"type": "join", "conversation": conversation, "after_seq": 0});
        chat.socket.send(Ws::text(join.to_string())).await?;
        chat.until(|frame| frame["type"] == "resumed").await?;
        Ok(chat)
    }
}

impl Chat {
    /// The next JSON frame (an error after 20 s of silence); messages are also kept.
    async fn frame(&mut self) -> anyhow::Result<Value> {
        loop {
            let frame = tokio::time::timeout(Duration::from_secs(20), self.socket.next())
                .await
                .context("nothing arrived on the chat for 20 s")?
                .context("the server closed the chat")??;
            if let Ws::Text(text) = frame {
                let frame: Value = serde_json::from_str(text.as_str())?;
                if frame["type"] == "error" {
                    bail!("the chat answered an error: {frame}");
                }
                if frame["type"] == "message" {
                    self.messages.push(frame.clone());
                }
                return Ok(frame);
            }
        }
    }

    /// Reads frames until one satisfies `wanted`, and returns it.
    async fn until(&mut self, wanted: impl Fn(&Value) -> bool) -> anyhow::Result<Value> {
        loop {
            let frame = self.frame().await?;
            if wanted(&frame) {
                return Ok(frame);
            }
        }
    }

    /// Sends a message and waits until the server has stored it (its `ack`).
    pub async fn say(&mut self, client_key: &str, body: &str) -> anyhow::Result<()> {
        let frame = json!({"type": "send", "conversation": self.conversation,
                           "client_key": client_key, "body": body});
        self.socket.send(Ws::text(frame.to_string())).await?;
        self.until(|f| f["type"] == "ack" && f["client_key"] == client_key)
            .await
            .map(drop)
    }

    /// The first message (already received or still to come) by `author` (cardholder, agent
    /// or system) whose body contains `text`.
    pub async fn message_from(&mut self, author: &str, text: &str) -> anyhow::Result<Value> {
        let matches = |m: &Value| {
            m["type"] == "message"
                && m["author"] == author
                && m["body"].as_str().is_some_and(|b| b.contains(text))
        };
        if let Some(found) = self.messages.iter().find(|m| matches(m)) {
            return Ok(found.clone());
        }
        self.until(matches)
            .await
            .with_context(|| format!("waiting for the {author}'s message “{text}”"))
    }

    pub async fn leave(mut self) -> anyhow::Result<()> {
        self.socket.close(None).await.context("closing the chat")
    }
}
