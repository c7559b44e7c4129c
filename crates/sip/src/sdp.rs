//! SDP offer/answer (RFC 3264) for one audio stream: G.711 µ-law or A-law, plus RFC 4733
//! telephone-events with the payload type the offer chose.

use std::net::IpAddr;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Codec {
    /// G.711 µ-law, static payload type 0.
    Pcmu,
    /// G.711 A-law, static payload type 8.
    Pcma,
}

impl Codec {
    pub fn payload_type(self) -> u8 {
        match self {
            Codec::Pcmu => 0,
            Codec::Pcma => 8,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Codec::Pcmu => "PCMU",
            Codec::Pcma => "PCMA",
        }
    }
}

/// What a caller's offer says about its audio.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Offer {
    /// Where to send our RTP (session or media `c=` line).
    pub addr: IpAddr,
    pub port: u16,
    /// Payload types in the caller's order of preference.
    pub formats: Vec<u8>,
    /// `a=rtpmap` entries: payload type → encoding name (upper case) and clock rate.
    pub rtpmap: Vec<(u8, String, u32)>,
    /// `a=sendonly` / `recvonly` / `inactive`, if any.
    pub direction: Option<String>,
}

/// What we agreed to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Negotiated {
    pub codec: Codec,
    /// The telephone-event payload type of the offer, when it has one at 8 kHz.
    pub telephone_event: Option<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SdpError {
    #[error("the SDP is not UTF-8")]
    NotUtf8,
    #[error("the SDP has no audio stream")]
    NoAudio,
    #[error("the SDP has no usable connection address")]
    NoAddress,
    #[error("malformed SDP line: {0:?}")]
    Line(String),
    #[error("the offer has neither PCMU nor PCMA")]
    NoCodec,
}

impl Offer {
    /// Reads the first audio `m=` section of an SDP body.
    pub fn parse(body: &[u8]) -> Result<Offer, SdpError> {
        let text = std::str::from_utf8(body).map_err(|_| SdpError::NotUtf8)?;
        let mut session_addr = None;
        let mut media_addr = None;
        let mut audio: Option<(u16, Vec<u8>)> = None;
        let mut in_audio = false;
        let mut seen_audio = false;
        let mut rtpmap = Vec::new();
        let mut direction = None;
        for line in text.lines() {
            let line = line.trim_end_matches('\r');
            if line.is_empty() {
                continue;
            }
            let bad = || SdpError::Line(line.chars().take(100).collect());
            let (kind, value) = line.split_once('=').ok_or_else(bad)?;
            match kind {
                "m" => {
                    in_audio = false;
                    let mut parts = value.split_whitespace();
                    if parts.next() == Some("audio") && !seen_audio {
                        seen_audio = true;
                        in_audio = true;
                        let port = parts.next().ok_or_else(bad)?;
                        // `port/count`: one stream is all we use.
                        let port: u16 = port
                            .split('/')
                            .next()
                            .and_then(|p| p.parse().ok())
                            .ok_or_else(bad)?;
                        let _proto = parts.next().ok_or_else(bad)?;
                        let formats = parts.filter_map(|f| f.parse().ok()).collect();
                        audio = Some((port, formats));
                    }
                }
                "c" => {
                    let mut parts = value.split_whitespace();
                    let (Some("IN"), Some(_), Some(addr)) =
                        (parts.next(), parts.next(), parts.next())
                    else {
                        return Err(bad());
                    };
                    // Multicast `addr/ttl`: keep the address.
                    let addr = addr.split('/').next().unwrap_or("").parse().ok();
                    if audio.is_none() && !seen_audio {
                        session_addr = addr;
                    } else if in_audio {
                        media_addr = addr;
                    }
                }
                "a" if in_audio => {
                    if let Some(map) = value.strip_prefix("rtpmap:") {
                        let (pt, enc) = map.split_once(' ').ok_or_else(bad)?;
                        let pt: u8 = pt.trim().parse().map_err(|_| bad())?;
                        let mut enc = enc.trim().split('/');
                        let name = enc.next().unwrap_or("").to_ascii_uppercase();
                        let rate = enc.next().and_then(|r| r.parse().ok()).unwrap_or(0);
                        rtpmap.push((pt, name, rate));
                    } else if ["sendonly", "recvonly", "inactive", "sendrecv"].contains(&value) {
                        direction = Some(value.to_owned());
                    }
                }
                _ => {}
            }
        }
        let (port, formats) = audio.ok_or(SdpError::NoAudio)?;
        let addr = media_addr.or(session_addr).ok_or(SdpError::NoAddress)?;
        Ok(Offer {
            addr,
            port,
            formats,
            rtpmap,
            direction,
        })
    }

    /// The first of PCMU/PCMA in the caller's order, and its telephone-event type (dynamic
    /// payload types other than telephone-event/8000 are ignored).
    pub fn negotiate(&self) -> Result<Negotiated, SdpError> {
        let codec = self
            .formats
            .iter()
            .find_map(|pt| match (*pt, self.name_of(*pt)) {
                (0, _) => Some(Codec::Pcmu),
                (8, _) => Some(Codec::Pcma),
                (_, Some(("PCMU", 8000))) => Some(Codec::Pcmu),
                (_, Some(("PCMA", 8000))) => Some(Codec::Pcma),
                _ => None,
            })
            .ok_or(SdpError::NoCodec)?;
        let telephone_event = self
            .formats
            .iter()
            .copied()
            .find(|pt| matches!(self.name_of(*pt), Some(("TELEPHONE-EVENT", 8000))));
        Ok(Negotiated {
            codec,
            telephone_event,
        })
    }

    fn name_of(&self, pt: u8) -> Option<(&str, u32)> {
        self.rtpmap
            .iter()
            .find(|(p, _, _)| *p == pt)
            .map(|(_, n, r)| (n.as_str(), *r))
    }
}

/// Our answer: one audio stream at `addr:port`, the agreed codec and telephone-event type.
pub fn answer(addr: IpAddr, port: u16, session_id: u64, agreed: &Negotiated) -> String {
    let ip = match addr {
        IpAddr::V4(_) => "IP4",
        IpAddr::V6(_) => "IP6",
    };
    let pt = agreed.codec.payload_type();
    let mut formats = pt.to_string();
    let mut attrs = format!("a=rtpmap:{pt} {}/8000\r\n", agreed.codec.name());
    if let Some(te) = agreed.telephone_event {
        formats.push_str(&format!(" {te}"));
        attrs.push_str(&format!(
            "a=rtpmap:{te} telephone-event/8000\r\na=fmtp:{te} 0-15\r\n"
        ));
    }
    format!(
        "v=0\r\no=helpline {session_id} {session_id} IN {ip} {addr}\r\ns=Helpline IVR\r\nc=IN {ip} {addr}\r\nt=0 0\r\nm=audio {port} RTP/AVP {formats}\r\n{attrs}a=ptime:20\r\na=sendrecv\r\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const SIPP: &str = "v=0\r\no=user1 53655765 2353687637 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 6000 RTP/AVP 8 0 96\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:96 telephone-event/8000\r\na=fmtp:96 0-15\r\n";

    #[test]
    fn takes_the_codec_and_event_type_from_the_offer() {
        let offer = Offer::parse(SIPP.as_bytes()).unwrap();
        assert_eq!(offer.port, 6000);
        assert_eq!(offer.addr.to_string(), "127.0.0.1");
        let agreed = offer.negotiate().unwrap();
        assert_eq!(agreed.codec, Codec::Pcma);
        assert_eq!(agreed.telephone_event, Some(96));
        let answer = answer(offer.addr, 7000, 1, &agreed);
        assert!(answer.contains("m=audio 7000 RTP/AVP 8 96\r\n"), "{answer}");
        let back = Offer::parse(answer.as_bytes())
            .unwrap()
            .negotiate()
            .unwrap();
        assert_eq!(back, agreed);
    }

    #[test]
    fn other_dynamic_types_are_ignored_and_no_g711_is_refused() {
        let opus = "v=0\r\nc=IN IP4 10.0.0.1\r\nm=audio 4000 RTP/AVP 111 101\r\na=rtpmap:111 opus/48000/2\r\na=rtpmap:101 telephone-event/8000\r\n";
        let offer = Offer::parse(opus.as_bytes()).unwrap();
        assert_eq!(offer.negotiate(), Err(SdpError::NoCodec));
        let media_c = "v=0\r\nm=audio 4000 RTP/AVP 97 0 101\r\nc=IN IP4 10.0.0.2\r\na=rtpmap:97 iLBC/8000\r\na=rtpmap:101 telephone-event/8000\r\n";
        let offer = Offer::parse(media_c.as_bytes()).unwrap();
        assert_eq!(offer.addr.to_string(), "10.0.0.2");
        assert_eq!(
            offer.negotiate().unwrap(),
            Negotiated {
                codec: Codec::Pcmu,
                telephone_event: Some(101)
            }
        );
        assert_eq!(Offer::parse(b"v=0\r\n"), Err(SdpError::NoAudio));
    }

    proptest! {
        #[test]
        fn never_panics_on_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..1024)) {
            if let Ok(offer) = Offer::parse(&bytes) {
                let _ = offer.negotiate();
            }
        }

        #[test]
        fn never_panics_on_sdp_like_lines(lines in proptest::collection::vec("[vocmta]=[ -~]{0,40}", 0..20)) {
            if let Ok(offer) = Offer::parse(lines.join("\r\n").as_bytes()) {
                let _ = offer.negotiate();
            }
        }

        /// Any offer with G.711 in it negotiates, and the answer reads back as what was agreed.
        #[test]
        fn answers_read_back(
            port in 1u16..,
            mut formats in proptest::collection::vec(prop_oneof![Just(0u8), Just(8u8), 96u8..128], 1..6),
            te in proptest::option::of(96u8..128),
        ) {
            formats.push(0);
            let mut sdp = format!("v=0\r\nc=IN IP4 127.0.0.1\r\nm=audio {port} RTP/AVP {}", formats.iter().map(ToString::to_string).collect::<Vec<_>>().join(" "));
            if let Some(te) = te { sdp.push_str(&format!(" {te}\r\na=rtpmap:{te} telephone-event/8000")); }
            sdp.push_str("\r\n");
            let agreed = Offer::parse(sdp.as_bytes()).unwrap().negotiate().unwrap();
            let back = Offer::parse(answer("127.0.0.1".parse().unwrap(), port, 7, &agreed).as_bytes()).unwrap();
            prop_assert_eq!(back.port, port);
            prop_assert_eq!(back.negotiate().unwrap(), agreed);
        }
    }
}
