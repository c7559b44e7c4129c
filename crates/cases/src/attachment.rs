//! Attachments: the type is decided by the content (never by the name or the declared type),
//! the size is limited, and the store keeps them content-addressed by SHA-256.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MediaType {
    Pdf,
    Png,
    Jpeg,
    Tiff,
    Webp,
    Heic,
}

impl MediaType {
    pub const fn mime(self) -> &'static str {
        match self {
            MediaType::Pdf => "application/pdf",
            MediaType::Png => "image/png",
            MediaType::Jpeg => "image/jpeg",
            MediaType::Tiff => "image/tiff",
            MediaType::Webp => "image/webp",
            MediaType::Heic => "image/heic",
        }
    }

    /// Recognises a file from its first bytes (16 are enough).
    pub fn sniff(head: &[u8]) -> Option<MediaType> {
        match head {
            [b'%', b'P', b'D', b'F', b'-', ..] => Some(MediaType::Pdf),
            [0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, ..] => Some(MediaType::Png),
            [0xFF, 0xD8, 0xFF, ..] => Some(MediaType::Jpeg),
            [b'I', b'I', 0x2A, 0x00, ..] | [b'M', b'M', 0x00, 0x2A, ..] => Some(MediaType::Tiff),
            [
                b'R',
                b'I',
                b'F',
                b'F',
                _,
                _,
                _,
                _,
                b'W',
                b'E',
                b'B',
                b'P',
                ..,
            ] => Some(MediaType::Webp),
            [_, _, _, _, b'f', b't', b'y', b'p', brand @ ..]
                if [&b"heic"[..], b"heix", b"mif1", b"heim", b"heis"]
                    .iter()
                    .any(|b| brand.starts_with(b)) =>
            {
                Some(MediaType::Heic)
            }
            _ => None,
        }
    }
}

impl fmt::Display for MediaType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.mime())
    }
}

/// What one intake point accepts.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttachmentPolicy {
    pub max_bytes: u64,
    pub allowed: Vec<MediaType>,
}

impl AttachmentPolicy {
    /// Chat and secure-message uploads: documents and phone photos up to 10 MiB.
    pub fn messages() -> Self {
        Self {
            max_bytes: 10 * 1024 * 1024,
            allowed: vec![
                MediaType::Pdf,
                MediaType::Png,
                MediaType::Jpeg,
                MediaType::Webp,
                MediaType::Heic,
            ],
        }
    }

    /// Scanned letters and faxes: PDF, TIFF, JPEG, PNG up to 25 MiB.
    pub fn mail_and_fax() -> Self {
        Self {
            max_bytes: 25 * 1024 * 1024,
            allowed: vec![
                MediaType::Pdf,
                MediaType::Tiff,
                MediaType::Jpeg,
                MediaType::Png,
            ],
        }
    }

    /// Checks an upload given its first bytes and its total size.
    pub fn check(&self, head: &[u8], size: u64) -> Result<MediaType, AttachmentError> {
        if size == 0 {
            return Err(AttachmentError::Empty);
        }
        if size > self.max_bytes {
            return Err(AttachmentError::TooLarge {
                size,
                max: self.max_bytes,
            });
        }
        let allowed = || {
            self.allowed
                .iter()
                .map(|m| m.mime())
                .collect::<Vec<_>>()
                .join(", ")
        };
        match MediaType::sniff(head) {
            Some(media) if self.allowed.contains(&media) => Ok(media),
            Some(media) => Err(AttachmentError::NotAllowed {
                found: media.mime(),
                allowed: allowed(),
            }),
            None => Err(AttachmentError::Unrecognised { allowed: allowed() }),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AttachmentError {
    #[error("the file is empty; attach the document itself")]
    Empty,
    #[error(
        "the file is {size} bytes; the limit is {max} bytes, so send a smaller scan or split it"
    )]
    TooLarge { size: u64, max: u64 },
    #[error("the file is {found}, which is not accepted here; accepted: {allowed}")]
    NotAllowed {
        found: &'static str,
        allowed: String,
    },
    #[error(
        "the file's content is not a type accepted here (whatever its name says); accepted: {allowed}"
    )]
    Unrecognised { allowed: String },
    #[error("{0:?} is not a SHA-256 digest (64 lowercase hex characters)")]
    BadDigest(String),
}

/// An attachment as a case or message refers to it; the bytes live in the content store.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AttachmentRef {
    /// Lowercase hex SHA-256 of the content: the storage key.
    pub sha256: String,
    pub file_name: String,
    pub media_type: MediaType,
    pub size: u64,
}

impl AttachmentRef {
    pub fn new(
        sha256: &str,
        file_name: &str,
        media_type: MediaType,
        size: u64,
    ) -> Result<Self, AttachmentError> {
        let digest = sha256.trim().to_ascii_lowercase();
        if digest.len() != 64 || !digest.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(AttachmentError::BadDigest(sha256.to_owned()));
        }
        Ok(Self {
            sha256: digest,
            file_name: clean_file_name(file_name, media_type),
            media_type,
            size,
        })
    }
}

/// A file name safe to show and to put in a download header: no directories, no control or
/// quoting characters, at most 100 characters, never empty.
pub fn clean_file_name(name: &str, media_type: MediaType) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = base
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '"' | '<' | '>' | '|' | '*' | '?' | ':'))
        .take(100)
        .collect();
    let cleaned = cleaned.trim().trim_start_matches('.').to_owned();
    if cleaned.is_empty() {
        let extension = media_type.mime().rsplit('/').next().unwrap_or("bin");
        format!("attachment.{extension}")
    } else {
        cleaned
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_decides_the_type() {
        let cases: &[(&[u8], Option<MediaType>)] = &[
            (b"%PDF-1.7\n%\xE2\xE3", Some(MediaType::Pdf)),
            (b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", Some(MediaType::Png)),
            (b"\xFF\xD8\xFF\xE0\0\x10JFIF", Some(MediaType::Jpeg)),
            (b"II*\0\x08\0\0\0", Some(MediaType::Tiff)),
            (b"MM\0*\0\0\0\x08", Some(MediaType::Tiff)),
            (b"RIFF\x24\0\0\0WEBPVP8 ", Some(MediaType::Webp)),
            (b"\0\0\0\x18ftypheic\0\0\0\0", Some(MediaType::Heic)),
            (b"\0\0\0\x18ftypisom\0\0\0\0", None),
            (b"MZ\x90\0", None),
            (b"<html>", None),
            (b"", None),
        ];
        for (head, expected) in cases {
            assert_eq!(MediaType::sniff(head), *expected, "{head:?}");
        }
    }

    #[test]
    fn policies_check_type_and_size() {
        let fax = AttachmentPolicy::mail_and_fax();
        assert_eq!(fax.check(b"II*\0", 1000), Ok(MediaType::Tiff));
        let err = fax.check(b"RIFF\0\0\0\0WEBP", 1000).unwrap_err();
        assert!(err.to_string().contains("image/webp"), "{err}");
        let err = fax.check(b"MZ", 1000).unwrap_err();
        assert!(err.to_string().contains("whatever its name says"), "{err}");
        let err = fax.check(b"%PDF-", 26 * 1024 * 1024).unwrap_err();
        assert!(matches!(err, AttachmentError::TooLarge { .. }));
        assert_eq!(fax.check(b"%PDF-", 0), Err(AttachmentError::Empty));
        assert!(AttachmentPolicy::messages().check(b"II*\0", 10).is_err());
    }

    #[test]
    fn file_names_are_made_safe() {
        assert_eq!(
            clean_file_name("C:\\Users\\me\\statement.pdf", MediaType::Pdf),
            "statement.pdf"
        );
        assert_eq!(
            clean_file_name("../../etc/passwd", MediaType::Pdf),
            "passwd"
        );
        assert_eq!(clean_file_name("a\"b\n.png", MediaType::Png), "ab.png");
        assert_eq!(clean_file_name("...", MediaType::Jpeg), "attachment.jpeg");
        let digest = "AB".repeat(32);
        let attachment = AttachmentRef::new(&digest, "scan.tif", MediaType::Tiff, 5).unwrap();
        assert_eq!(attachment.sha256, "ab".repeat(32));
        assert!(AttachmentRef::new("xyz", "a", MediaType::Pdf, 1).is_err());
    }
}
