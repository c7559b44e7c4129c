//! G.711 µ-law and A-law (ITU-T G.711), 16-bit linear PCM in and out, and the small audio
//! helpers prompts need (resampling speech to 8 kHz, a tone for when no speech is available).

use crate::sdp::Codec;

const BIAS: i32 = 0x84;
const CLIP: i32 = 32_635;

pub fn linear_to_ulaw(sample: i16) -> u8 {
    let mut s = i32::from(sample);
    let sign = if s < 0 {
        s = -s;
        0x80
    } else {
        0
    };
    s = s.min(CLIP) + BIAS;
    let exponent = (7 - (s.leading_zeros() as i32 - 17)).clamp(0, 7);
    let mantissa = (s >> (exponent + 3)) & 0x0f;
    !(sign | (exponent << 4) as u8 | mantissa as u8)
}

pub fn ulaw_to_linear(byte: u8) -> i16 {
    let u = !byte;
    let exponent = i32::from((u >> 4) & 0x07);
    let mantissa = i32::from(u & 0x0f);
    let magnitude = (((mantissa << 3) + BIAS) << exponent) - BIAS;
    let value = if u & 0x80 != 0 { -magnitude } else { magnitude };
    value as i16
}

pub fn linear_to_alaw(sample: i16) -> u8 {
    let mut s = i32::from(sample) >> 3;
    let sign = if s >= 0 {
        0x80
    } else {
        s = -s - 1;
        0
    };
    let s = s.min(0x0fff);
    let byte = if s < 32 {
        (s >> 1) as u8
    } else {
        let exponent = (31 - s.leading_zeros() as i32) - 4;
        ((exponent << 4) as u8) | ((s >> exponent) & 0x0f) as u8
    };
    (byte | sign) ^ 0x55
}

pub fn alaw_to_linear(byte: u8) -> i16 {
    let a = byte ^ 0x55;
    let exponent = i32::from((a >> 4) & 0x07);
    let mantissa = i32::from(a & 0x0f);
    let magnitude = if exponent == 0 {
        (mantissa << 4) + 8
    } else {
        ((mantissa << 4) + 0x108) << (exponent - 1)
    };
    (if a & 0x80 != 0 { magnitude } else { -magnitude }) as i16
}

pub fn encode(codec: Codec, samples: &[i16]) -> Vec<u8> {
    match codec {
        Codec::Pcmu => samples.iter().map(|s| linear_to_ulaw(*s)).collect(),
        Codec::Pcma => samples.iter().map(|s| linear_to_alaw(*s)).collect(),
    }
}

/// The codec's silence byte.
pub fn silence(codec: Codec) -> u8 {
    match codec {
        Codec::Pcmu => 0xff,
        Codec::Pcma => 0xd5,
    }
}

/// Linear-interpolation resampling to 8 kHz (espeak-ng speaks at 22 050 Hz; speech bandwidth
/// for the phone is 4 kHz, and the slight aliasing of skipping a filter is inaudible on G.711).
pub fn resample_to_8k(samples: &[i16], rate: u32) -> Vec<i16> {
    if rate == 8000 || samples.is_empty() || rate == 0 {
        return samples.to_vec();
    }
    let out_len = (samples.len() as u64 * 8000 / u64::from(rate)) as usize;
    (0..out_len)
        .map(|i| {
            let pos = i as f64 * f64::from(rate) / 8000.0;
            let j = pos as usize;
            let frac = pos - j as f64;
            let a = f64::from(samples[j.min(samples.len() - 1)]);
            let b = f64::from(samples[(j + 1).min(samples.len() - 1)]);
            (a + (b - a) * frac) as i16
        })
        .collect()
}

/// A soft 440 Hz tone of `millis`, 8 kHz linear (the stand-in for a prompt when no speech
/// synthesiser is installed, and hold audio).
pub fn tone(millis: u32, hz: f64) -> Vec<i16> {
    let n = millis as usize * 8;
    (0..n)
        .map(|i| ((i as f64 * hz * std::f64::consts::TAU / 8000.0).sin() * 6000.0) as i16)
        .collect()
}

/// Reads 16-bit mono PCM from a WAV file's bytes: the samples and the rate.
pub fn read_wav(bytes: &[u8]) -> Option<(Vec<i16>, u32)> {
    if bytes.get(0..4)? != b"RIFF" || bytes.get(8..12)? != b"WAVE" {
        return None;
    }
    let mut at = 12;
    let mut rate = None;
    while at + 8 <= bytes.len() {
        let id = &bytes[at..at + 4];
        let len = u32::from_le_bytes(bytes[at + 4..at + 8].try_into().ok()?) as usize;
        let body_start = at + 8;
        // espeak-ng writing to a pipe leaves the data length at 0xffffffff: take the rest.
        let body_end = body_start.saturating_add(len).min(bytes.len());
        let body = &bytes[body_start..body_end];
        if id == b"fmt " {
            let format = u16::from_le_bytes(body.get(0..2)?.try_into().ok()?);
            let channels = u16::from_le_bytes(body.get(2..4)?.try_into().ok()?);
            let bits = u16::from_le_bytes(body.get(14..16)?.try_into().ok()?);
            if format != 1 || channels != 1 || bits != 16 {
                return None;
            }
            rate = Some(u32::from_le_bytes(body.get(4..8)?.try_into().ok()?));
        } else if id == b"data" {
            let samples = body
                .chunks_exact(2)
                .map(|c| i16::from_le_bytes([c[0], c[1]]))
                .collect();
            return Some((samples, rate?));
        }
        at = body_end + (len & 1);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn known_values() {
        assert_eq!(linear_to_ulaw(0), 0xff);
        assert_eq!(linear_to_alaw(0), 0xd5);
        assert_eq!(ulaw_to_linear(0xff), 0);
        assert_eq!(silence(Codec::Pcmu), linear_to_ulaw(0));
        assert_eq!(silence(Codec::Pcma), linear_to_alaw(0));
    }

    proptest! {
        /// Decoding an encoded sample is within the codec's step size of the original.
        #[test]
        fn round_trip_error_is_bounded(s in any::<i16>()) {
            let u = i32::from(ulaw_to_linear(linear_to_ulaw(s)));
            let a = i32::from(alaw_to_linear(linear_to_alaw(s)));
            let s = i32::from(s).clamp(-32_635, 32_635);
            let tolerance = (s.abs() / 16).max(16);
            prop_assert!((u - s).abs() <= tolerance, "µ-law {s} → {u}");
            prop_assert!((a - s).abs() <= tolerance, "A-law {s} → {a}");
        }

        /// Every code word decodes and re-encodes to itself (except µ-law's two zeros).
        #[test]
        fn code_words_are_stable(b in any::<u8>()) {
            prop_assert_eq!(linear_to_alaw(alaw_to_linear(b)), b);
            if b != 0x7f {
                prop_assert_eq!(linear_to_ulaw(ulaw_to_linear(b)), b);
            }
        }

        #[test]
        fn wav_reader_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let mut riff = b"RIFF\0\0\0\0WAVE".to_vec();
            riff.extend(bytes);
            let _ = read_wav(&riff);
        }
    }
}
