//! The SIP edge of Helpline's IVR as pure code (no sockets): SIP messages ([`message`]), SDP
//! offer/answer ([`sdp`]), RTP packets and RFC 4733 telephone-events ([`rtp`]) and G.711 audio
//! ([`g711`]). The server's UDP user agent (`server::sip`) wraps these; nothing here panics on
//! bytes from the network (see the fuzz-style proptests and `fuzz/`).

pub mod g711;
pub mod message;
pub mod rtp;
pub mod sdp;

pub use message::{Message, Method, ParseError, StartLine};
