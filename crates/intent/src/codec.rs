//! The model file envelope and the little-endian primitives inside it.
//!
//! ```text
//! offset size
//!      0    8  magic "HLINTENT"
//!      8    2  format version (u16)
//!     10    1  kind: 1 lexical model, 2 embedding head
//!     11    1  reserved, 0
//!     12    8  payload length (u64)
//!     20    4  CRC-32 of the payload (u32)
//!     24    …  payload
//! ```

/// The magic bytes every model file starts with.
const MAGIC: &[u8; 8] = b"HLINTENT";
const HEADER_LEN: usize = 24;

/// What a model file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FileKind {
    Lexical = 1,
    EmbeddingHead = 2,
}

impl FileKind {
    fn name(self) -> &'static str {
        match self {
            FileKind::Lexical => "lexical model",
            FileKind::EmbeddingHead => "embedding head",
        }
    }
}

/// A model file that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ModelFileError {
    #[error(
        "not an intent model file (it does not start with \"HLINTENT\"); use a file written by `helpline intent train`"
    )]
    NotAModel,
    #[error("the file holds a {found} but a {expected} was expected")]
    WrongKind {
        expected: &'static str,
        found: &'static str,
    },
    #[error(
        "the model file has format version {found}, this build reads version {supported}; retrain it with `helpline intent train`"
    )]
    UnsupportedVersion { found: u16, supported: u16 },
    #[error(
        "the model file is truncated ({actual} bytes, {expected} expected); restore it from the repository or retrain it"
    )]
    Truncated { expected: u64, actual: u64 },
    #[error(
        "the model file is corrupt (checksum mismatch); restore it from the repository or retrain it"
    )]
    Corrupt,
    #[error("the model file is malformed ({0}); retrain it")]
    Malformed(String),
}

/// Wraps a payload in the envelope.
pub(crate) fn seal(kind: FileKind, version: u16, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER_LEN + payload.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&version.to_le_bytes());
    out.push(kind as u8);
    out.push(0);
    out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    out.extend_from_slice(&crc32fast::hash(payload).to_le_bytes());
    out.extend_from_slice(payload);
    out
}

/// Checks the envelope and returns the payload.
pub(crate) fn open(bytes: &[u8], kind: FileKind, version: u16) -> Result<&[u8], ModelFileError> {
    if bytes.len() < MAGIC.len() || &bytes[..MAGIC.len()] != MAGIC {
        return Err(ModelFileError::NotAModel);
    }
    let mut header = Reader::new(&bytes[MAGIC.len()..]);
    let truncated = |_| ModelFileError::Truncated {
        expected: HEADER_LEN as u64,
        actual: bytes.len() as u64,
    };
    let found_version = header.u16().map_err(truncated)?;
    let found_kind = header.u8().map_err(truncated)?;
    header.u8().map_err(truncated)?;
    let length = header.u64().map_err(truncated)?;
    let checksum = header.u32().map_err(truncated)?;
    if found_kind != kind as u8 {
        let found = [FileKind::Lexical, FileKind::EmbeddingHead]
            .into_iter()
            .find(|k| *k as u8 == found_kind)
            .map_or("file of unknown kind", FileKind::name);
        return Err(ModelFileError::WrongKind {
            expected: kind.name(),
            found,
        });
    }
    if found_version != version {
        return Err(ModelFileError::UnsupportedVersion {
            found: found_version,
            supported: version,
        });
    }
    let payload = &bytes[HEADER_LEN..];
    if payload.len() as u64 != length {
        return Err(ModelFileError::Truncated {
            expected: HEADER_LEN as u64 + length,
            actual: bytes.len() as u64,
        });
    }
    if crc32fast::hash(payload) != checksum {
        return Err(ModelFileError::Corrupt);
    }
    Ok(payload)
}

/// Appends little-endian values to a payload.
#[derive(Default)]
pub(crate) struct Writer {
    pub(crate) bytes: Vec<u8>,
}

impl Writer {
    pub(crate) fn u8(&mut self, v: u8) {
        self.bytes.push(v);
    }
    pub(crate) fn u32(&mut self, v: u32) {
        self.bytes.extend_from_slice(&v.to_le_bytes());
    }
    pub(crate) fn f32(&mut self, v: f32) {
        self.bytes.extend_from_slice(&v.to_le_bytes());
    }
    pub(crate) fn len(&mut self, n: usize) {
        // Every count in a model file fits in u32; the writer owns the data and checks nothing.
        self.u32(n as u32);
    }
    /// LEB128: most counts in a vocabulary are below 128 and take one byte.
    pub(crate) fn varint(&mut self, mut v: u64) {
        while v >= 0x80 {
            self.bytes.push((v as u8) | 0x80);
            v >>= 7;
        }
        self.bytes.push(v as u8);
    }
    pub(crate) fn str(&mut self, s: &str) {
        self.len(s.len());
        self.bytes.extend_from_slice(s.as_bytes());
    }
    pub(crate) fn f32s(&mut self, values: &[f32]) {
        self.len(values.len());
        for v in values {
            self.f32(*v);
        }
    }
    /// Most 8-bit weights are zero: a zero byte is followed by the length of its run of zeros
    /// (a varint), other values are stored as they are.
    pub(crate) fn i8s(&mut self, values: &[i8]) {
        self.len(values.len());
        let mut i = 0;
        while i < values.len() {
            if values[i] == 0 {
                let run = values[i..].iter().take_while(|v| **v == 0).count();
                self.bytes.push(0);
                self.varint(run as u64);
                i += run;
            } else {
                self.bytes.push(values[i].to_le_bytes()[0]);
                i += 1;
            }
        }
    }
}

/// Reads what [`Writer`] wrote; every read checks the bounds.
pub(crate) struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

/// A read past the end of the payload: a writer bug or a hand-edited file.
#[derive(Debug)]
pub(crate) struct OutOfBounds;

impl From<OutOfBounds> for ModelFileError {
    fn from(_: OutOfBounds) -> Self {
        ModelFileError::Malformed("a field runs past the end of the payload".into())
    }
}

impl<'a> Reader<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Self { bytes, pos: 0 }
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], OutOfBounds> {
        let end = self.pos.checked_add(n).ok_or(OutOfBounds)?;
        let slice = self.bytes.get(self.pos..end).ok_or(OutOfBounds)?;
        self.pos = end;
        Ok(slice)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], OutOfBounds> {
        let mut out = [0; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    pub(crate) fn u8(&mut self) -> Result<u8, OutOfBounds> {
        Ok(self.array::<1>()?[0])
    }
    pub(crate) fn u16(&mut self) -> Result<u16, OutOfBounds> {
        Ok(u16::from_le_bytes(self.array()?))
    }
    pub(crate) fn u32(&mut self) -> Result<u32, OutOfBounds> {
        Ok(u32::from_le_bytes(self.array()?))
    }
    pub(crate) fn u64(&mut self) -> Result<u64, OutOfBounds> {
        Ok(u64::from_le_bytes(self.array()?))
    }
    pub(crate) fn f32(&mut self) -> Result<f32, OutOfBounds> {
        Ok(f32::from_le_bytes(self.array()?))
    }
    pub(crate) fn len(&mut self) -> Result<usize, OutOfBounds> {
        Ok(self.u32()? as usize)
    }
    pub(crate) fn varint(&mut self) -> Result<u64, OutOfBounds> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let byte = self.u8()?;
            value |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(OutOfBounds)
    }
    pub(crate) fn str(&mut self) -> Result<&'a str, ModelFileError> {
        let n = self.len()?;
        std::str::from_utf8(self.take(n)?)
            .map_err(|_| ModelFileError::Malformed("a name is not UTF-8".into()))
    }
    pub(crate) fn f32s(&mut self) -> Result<Vec<f32>, OutOfBounds> {
        let n = self.len()?;
        let raw = self.take(n.checked_mul(4).ok_or(OutOfBounds)?)?;
        Ok(raw
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect())
    }
    pub(crate) fn i8s(&mut self) -> Result<Vec<i8>, OutOfBounds> {
        let n = self.len()?;
        // No model has a billion weights: a larger count is corruption, not a reason to allocate.
        if n > 1 << 30 {
            return Err(OutOfBounds);
        }
        let mut out = Vec::with_capacity(n);
        while out.len() < n {
            match self.u8()? {
                0 => {
                    let run = usize::try_from(self.varint()?).map_err(|_| OutOfBounds)?;
                    if run == 0 || run > n - out.len() {
                        return Err(OutOfBounds);
                    }
                    out.resize(out.len() + run, 0);
                }
                b => out.push(i8::from_le_bytes([b])),
            }
        }
        Ok(out)
    }
    pub(crate) fn bytes(&mut self, n: usize) -> Result<&'a [u8], OutOfBounds> {
        self.take(n)
    }

    /// Fails unless every byte was read: trailing bytes mean writer and reader disagree.
    pub(crate) fn finish(self) -> Result<(), ModelFileError> {
        if self.pos == self.bytes.len() {
            Ok(())
        } else {
            Err(ModelFileError::Malformed(format!(
                "{} unread bytes at the end",
                self.bytes.len() - self.pos
            )))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelope_round_trips_and_detects_damage() {
        let sealed = seal(FileKind::Lexical, 3, b"payload bytes");
        assert_eq!(
            open(&sealed, FileKind::Lexical, 3).unwrap(),
            b"payload bytes"
        );

        assert_eq!(
            open(b"PK\x03\x04", FileKind::Lexical, 3),
            Err(ModelFileError::NotAModel)
        );
        assert!(matches!(
            open(&sealed, FileKind::EmbeddingHead, 3),
            Err(ModelFileError::WrongKind {
                found: "lexical model",
                ..
            })
        ));
        assert_eq!(
            open(&sealed, FileKind::Lexical, 4),
            Err(ModelFileError::UnsupportedVersion {
                found: 3,
                supported: 4
            })
        );
        assert!(matches!(
            open(&sealed[..sealed.len() - 1], FileKind::Lexical, 3),
            Err(ModelFileError::Truncated { .. })
        ));
        assert!(matches!(
            open(&sealed[..12], FileKind::Lexical, 3),
            Err(ModelFileError::Truncated { .. })
        ));
        let mut flipped = sealed.clone();
        *flipped.last_mut().unwrap() ^= 1;
        assert_eq!(
            open(&flipped, FileKind::Lexical, 3),
            Err(ModelFileError::Corrupt)
        );
    }

    #[test]
    fn reads_are_bounds_checked() {
        let mut w = Writer::default();
        w.str("card_arrival");
        w.f32s(&[1.5, -2.0]);
        w.i8s(&[-128, 127]);
        w.i8s(&[0, 0, 0, 5, 0, -1, 0, 0]);
        w.i8s(&[]);
        for v in [0, 127, 128, 300, u64::MAX] {
            w.varint(v);
        }
        let mut r = Reader::new(&w.bytes);
        assert_eq!(r.str().unwrap(), "card_arrival");
        assert_eq!(r.f32s().unwrap(), vec![1.5, -2.0]);
        assert_eq!(r.i8s().unwrap(), vec![-128, 127]);
        assert_eq!(r.i8s().unwrap(), vec![0, 0, 0, 5, 0, -1, 0, 0]);
        assert_eq!(r.i8s().unwrap(), Vec::<i8>::new());
        for v in [0, 127, 128, 300, u64::MAX] {
            assert_eq!(r.varint().unwrap(), v);
        }
        r.finish().unwrap();

        let mut r = Reader::new(&[255, 255, 255, 255]);
        assert!(r.f32s().is_err());
    }
}
