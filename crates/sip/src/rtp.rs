//! RTP packets (RFC 3550) and RFC 4733 telephone-events, with the de-duplication real phones
//! need: every packet of one key press carries the press's start timestamp and the end packet is
//! sent three times, so a press is identified by SSRC + RTP timestamp, never by sequence number.

use std::collections::VecDeque;

/// Samples per 20 ms packet at 8 kHz.
pub const SAMPLES_PER_PACKET: usize = 160;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Packet<'a> {
    pub marker: bool,
    pub payload_type: u8,
    pub sequence: u16,
    pub timestamp: u32,
    pub ssrc: u32,
    pub payload: &'a [u8],
}

impl<'a> Packet<'a> {
    /// Reads an RTP packet (version 2), skipping CSRCs, the extension and padding.
    pub fn parse(bytes: &'a [u8]) -> Option<Packet<'a>> {
        if bytes.len() < 12 || bytes[0] >> 6 != 2 {
            return None;
        }
        let padding = bytes[0] & 0x20 != 0;
        let extension = bytes[0] & 0x10 != 0;
        let csrcs = usize::from(bytes[0] & 0x0f);
        let mut start = 12 + 4 * csrcs;
        if extension {
            let ext = bytes.get(start..start + 4)?;
            start += 4 + 4 * usize::from(u16::from_be_bytes([ext[2], ext[3]]));
        }
        let mut end = bytes.len();
        if padding {
            let pad = usize::from(*bytes.last()?);
            end = end.checked_sub(pad)?;
        }
        let payload = bytes.get(start..end)?;
        Some(Packet {
            marker: bytes[1] & 0x80 != 0,
            payload_type: bytes[1] & 0x7f,
            sequence: u16::from_be_bytes([bytes[2], bytes[3]]),
            timestamp: u32::from_be_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]),
            ssrc: u32::from_be_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]),
            payload,
        })
    }

    pub fn write(&self, out: &mut Vec<u8>) {
        out.clear();
        out.push(0x80);
        out.push(u8::from(self.marker) << 7 | (self.payload_type & 0x7f));
        out.extend_from_slice(&self.sequence.to_be_bytes());
        out.extend_from_slice(&self.timestamp.to_be_bytes());
        out.extend_from_slice(&self.ssrc.to_be_bytes());
        out.extend_from_slice(self.payload);
    }
}

/// The sender side of one stream: sequence numbers and timestamps that advance by one packet.
#[derive(Debug, Clone)]
pub struct Sender {
    pub ssrc: u32,
    pub payload_type: u8,
    sequence: u16,
    timestamp: u32,
    /// The next packet starts a talk spurt (marker bit).
    spurt: bool,
}

impl Sender {
    /// Random-looking starting points come from the caller (`seed`), as RFC 3550 asks.
    pub fn new(ssrc: u32, payload_type: u8, seed: u32) -> Sender {
        Sender {
            ssrc,
            payload_type,
            sequence: seed as u16,
            timestamp: seed.rotate_left(16),
            spurt: true,
        }
    }

    /// The next 20 ms packet carrying `payload` (160 G.711 bytes).
    pub fn next(&mut self, payload: &[u8], out: &mut Vec<u8>) {
        Packet {
            marker: std::mem::take(&mut self.spurt),
            payload_type: self.payload_type,
            sequence: self.sequence,
            timestamp: self.timestamp,
            ssrc: self.ssrc,
            payload,
        }
        .write(out);
        self.sequence = self.sequence.wrapping_add(1);
        self.timestamp = self
            .timestamp
            .wrapping_add(u32::try_from(payload.len()).unwrap_or(0));
    }
}

/// One RFC 4733 event payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TelephoneEvent {
    pub event: u8,
    pub end: bool,
    pub volume: u8,
    pub duration: u16,
}

impl TelephoneEvent {
    pub fn parse(payload: &[u8]) -> Option<TelephoneEvent> {
        let [event, flags, d0, d1, ..] = *payload else {
            return None;
        };
        Some(TelephoneEvent {
            event,
            end: flags & 0x80 != 0,
            volume: flags & 0x3f,
            duration: u16::from_be_bytes([d0, d1]),
        })
    }

    /// The key of a DTMF event (0–9, `*`, `#`, A–D); other events are not keys.
    pub fn key(self) -> Option<char> {
        Some(match self.event {
            0..=9 => char::from(b'0' + self.event),
            10 => '*',
            11 => '#',
            12..=15 => char::from(b'A' + self.event - 12),
            _ => return None,
        })
    }

    pub fn to_bytes(self) -> [u8; 4] {
        let d = self.duration.to_be_bytes();
        [
            self.event,
            u8::from(self.end) << 7 | (self.volume & 0x3f),
            d[0],
            d[1],
        ]
    }
}

/// Turns a stream of telephone-event packets into key presses, each press once.
#[derive(Debug, Default)]
pub struct DigitDetector {
    /// Recent presses by (SSRC, timestamp); a handful is enough to outlast retransmissions.
    seen: VecDeque<(u32, u32)>,
}

impl DigitDetector {
    const REMEMBER: usize = 32;

    /// The key, the first time a press is seen (start, update or end packet alike, so a press
    /// whose start packets were lost still counts).
    pub fn packet(&mut self, packet: &Packet<'_>, telephone_event: u8) -> Option<char> {
        if packet.payload_type != telephone_event {
            return None;
        }
        let key = TelephoneEvent::parse(packet.payload)?.key()?;
        let id = (packet.ssrc, packet.timestamp);
        if self.seen.contains(&id) {
            return None;
        }
        if self.seen.len() == Self::REMEMBER {
            self.seen.pop_front();
        }
        self.seen.push_back(id);
        Some(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn event_packet(ssrc: u32, seq: u16, ts: u32, event: u8, end: bool, duration: u16) -> Vec<u8> {
        let payload = TelephoneEvent {
            event,
            end,
            volume: 10,
            duration,
        }
        .to_bytes();
        let mut out = Vec::new();
        Packet {
            marker: duration == 160,
            payload_type: 101,
            sequence: seq,
            timestamp: ts,
            ssrc,
            payload: &payload,
        }
        .write(&mut out);
        out
    }

    #[test]
    fn one_press_is_one_key_and_the_same_key_twice_is_two() {
        let mut detector = DigitDetector::default();
        let mut keys = String::new();
        let mut seq = 0;
        for (ts, event) in [(1000u32, 5u8), (2000, 5), (3000, 11)] {
            for d in [160u16, 320, 480] {
                seq += 1;
                let bytes = event_packet(7, seq, ts, event, false, d);
                keys.extend(detector.packet(&Packet::parse(&bytes).unwrap(), 101));
            }
            for _ in 0..3 {
                seq += 1;
                let bytes = event_packet(7, seq, ts, event, true, 640);
                keys.extend(detector.packet(&Packet::parse(&bytes).unwrap(), 101));
            }
        }
        assert_eq!(keys, "55#");
        // Another payload type is audio, not a key.
        let bytes = event_packet(7, 99, 9000, 1, true, 640);
        assert_eq!(detector.packet(&Packet::parse(&bytes).unwrap(), 96), None);
    }

    #[test]
    fn sender_advances_by_one_packet() {
        let mut sender = Sender::new(42, 0, 0x0102_0304);
        let mut out = Vec::new();
        sender.next(&[0xff; 160], &mut out);
        let first = Packet::parse(&out).unwrap();
        assert!(first.marker);
        let (seq, ts) = (first.sequence, first.timestamp);
        sender.next(&[0xff; 160], &mut out);
        let second = Packet::parse(&out).unwrap();
        assert!(!second.marker);
        assert_eq!(second.sequence, seq.wrapping_add(1));
        assert_eq!(second.timestamp, ts.wrapping_add(160));
        assert_eq!(second.ssrc, 42);
        assert_eq!(second.payload.len(), 160);
    }

    proptest! {
        #[test]
        fn never_panics_on_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
            if let Some(p) = Packet::parse(&bytes) {
                let _ = TelephoneEvent::parse(p.payload).map(TelephoneEvent::key);
                DigitDetector::default().packet(&p, p.payload_type);
            }
        }

        /// Any press sequence, each press sent as RFC 4733 does (updates, end ×3, shuffled a
        /// little by the network), comes out as exactly the keys pressed.
        #[test]
        fn presses_come_out_once_each(
            events in proptest::collection::vec(0u8..16, 0..20),
            ssrc in any::<u32>(),
            base in any::<u32>(),
            swap in any::<bool>(),
        ) {
            let mut detector = DigitDetector::default();
            let mut got = String::new();
            let mut seq = 0u16;
            for (i, event) in events.iter().enumerate() {
                let ts = base.wrapping_add(u32::try_from(i).unwrap() * 1600);
                let mut packets = Vec::new();
                for d in [160u16, 320] {
                    seq = seq.wrapping_add(1);
                    packets.push(event_packet(ssrc, seq, ts, *event, false, d));
                }
                for _ in 0..3 {
                    seq = seq.wrapping_add(1);
                    packets.push(event_packet(ssrc, seq, ts, *event, true, 480));
                }
                if swap { packets.swap(0, 1); }
                for p in &packets {
                    got.extend(detector.packet(&Packet::parse(p).unwrap(), 101));
                }
            }
            let want: String = events.iter().map(|e| TelephoneEvent { event: *e, end: true, volume: 0, duration: 0 }.key().unwrap()).collect();
            prop_assert_eq!(got, want);
        }
    }
}
