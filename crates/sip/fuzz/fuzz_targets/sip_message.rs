#![no_main]
//! Any datagram: the SIP parser, the SDP of whatever parses, and RTP/RFC 4733 never panic.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(message) = sip::Message::parse(data) {
        let _ = message.cseq();
        let _ = message.response(400, "Bad Request", Some("t")).to_bytes();
        if let Ok(offer) = sip::sdp::Offer::parse(&message.body) {
            let _ = offer.negotiate();
        }
    }
    let _ = sip::sdp::Offer::parse(data).map(|o| o.negotiate());
    if let Some(packet) = sip::rtp::Packet::parse(data) {
        sip::rtp::DigitDetector::default().packet(&packet, packet.payload_type);
    }
});
