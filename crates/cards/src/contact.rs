//! Address and contact changes. Each one tells the *old* contact, so that a takeover of the
//! account through a changed phone or email cannot go unnoticed.

use std::fmt;

use domain::{CardholderId, Timestamp};

use crate::events::Event;
use crate::replacement::Address;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ContactError {
    #[error(
        "{0:?} is not an international phone number; write it as + and 8 to 15 digits with the country code (e.g. +44 20 7946 0000)"
    )]
    BadPhone(String),
    #[error("{0:?} is not an email address like name@example.com")]
    BadEmail(String),
    #[error("the new {0} is the same as the one on file; nothing to change")]
    Unchanged(ContactField),
}

/// A phone number in E.164 form (`+442079460000`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PhoneNumber(String);

impl PhoneNumber {
    /// Accepts `+` then 8 to 15 digits, with spaces, dots, dashes or brackets between them.
    pub fn parse(text: &str) -> Result<Self, ContactError> {
        let bad = || ContactError::BadPhone(text.to_owned());
        let rest = text.trim().strip_prefix('+').ok_or_else(bad)?;
        let mut digits = String::from("+");
        for c in rest.chars() {
            match c {
                '0'..='9' => digits.push(c),
                ' ' | '.' | '-' | '(' | ')' => {}
                _ => return Err(bad()),
            }
        }
        if !(9..=16).contains(&digits.len()) || digits.starts_with("+0") {
            return Err(bad());
        }
        Ok(Self(digits))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The digits without the `+`.
    pub(crate) fn digits(&self) -> &str {
        &self.0[1..]
    }
}

impl fmt::Display for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for PhoneNumber {
    type Error = ContactError;
    fn try_from(text: String) -> Result<Self, Self::Error> {
        PhoneNumber::parse(&text)
    }
}

impl From<PhoneNumber> for String {
    fn from(phone: PhoneNumber) -> Self {
        phone.0
    }
}

/// An email address, lower-cased in its domain part.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

impl Email {
    pub fn parse(text: &str) -> Result<Self, ContactError> {
        let bad = || ContactError::BadEmail(text.to_owned());
        let trimmed = text.trim();
        let (local, domain) = trimmed.rsplit_once('@').ok_or_else(bad)?;
        let ok = !local.is_empty()
            && trimmed.len() <= 254
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !trimmed.chars().any(|c| c.is_whitespace() || c.is_control())
            && !domain.contains('@');
        if !ok {
            return Err(bad());
        }
        Ok(Self(format!("{local}@{}", domain.to_lowercase())))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for Email {
    type Error = ContactError;
    fn try_from(text: String) -> Result<Self, Self::Error> {
        Email::parse(&text)
    }
}

impl From<Email> for String {
    fn from(email: Email) -> Self {
        email.0
    }
}

/// How to reach a cardholder.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ContactDetails {
    pub address: Address,
    pub phone: PhoneNumber,
    pub email: Email,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContactField {
    Address,
    Phone,
    Email,
}

impl fmt::Display for ContactField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ContactField::Address => "address",
            ContactField::Phone => "phone number",
            ContactField::Email => "email address",
        })
    }
}

/// One change, as asked for.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "field", content = "value", rename_all = "snake_case")]
pub enum ContactChange {
    Address(Address),
    Phone(PhoneNumber),
    Email(Email),
}

impl ContactChange {
    pub fn field(&self) -> ContactField {
        match self {
            ContactChange::Address(_) => ContactField::Address,
            ContactChange::Phone(_) => ContactField::Phone,
            ContactChange::Email(_) => ContactField::Email,
        }
    }
}

/// Where a change notice goes.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "by", content = "to", rename_all = "snake_case")]
pub enum NoticeTarget {
    Letter(Address),
    Sms(PhoneNumber),
    Email(Email),
}

/// Applies `change`. The notice goes to the old value of the changed field and to the other
/// contacts on file (never only to the new value, which an attacker may control). The edge
/// must require strong verification before calling this (see [`crate::Action::is_risky`]).
pub fn change_contact(
    cardholder_id: CardholderId,
    current: &ContactDetails,
    change: ContactChange,
    now: Timestamp,
) -> Result<(ContactDetails, Vec<Event>), ContactError> {
    let field = change.field();
    let mut updated = current.clone();
    let (unchanged, old_contact) = match change {
        ContactChange::Address(address) => (
            address == current.address,
            NoticeTarget::Letter(std::mem::replace(&mut updated.address, address)),
        ),
        ContactChange::Phone(phone) => (
            phone == current.phone,
            NoticeTarget::Sms(std::mem::replace(&mut updated.phone, phone)),
        ),
        ContactChange::Email(email) => (
            email == current.email,
            NoticeTarget::Email(std::mem::replace(&mut updated.email, email)),
        ),
    };
    if unchanged {
        return Err(ContactError::Unchanged(field));
    }
    let mut notify = vec![old_contact];
    if field != ContactField::Phone {
        notify.push(NoticeTarget::Sms(current.phone.clone()));
    }
    if field != ContactField::Email {
        notify.push(NoticeTarget::Email(current.email.clone()));
    }
    let event = Event::ContactChanged {
        cardholder_id,
        field,
        notify,
        at: now,
    };
    Ok((updated, vec![event]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::card::tests::ts;
    use crate::replacement::tests::address;

    fn details() -> ContactDetails {
        ContactDetails {
            address: address("US"),
            phone: PhoneNumber::parse("+1 (555) 010-0000").unwrap(),
            email: Email::parse("pat@Example.COM").unwrap(),
        }
    }

    #[test]
    fn phones_and_emails_are_normalised() {
        assert_eq!(details().phone.as_str(), "+15550100000");
        assert_eq!(details().email.as_str(), "pat@example.com");
        for bad in ["5550100000", "+1 555", "+0 555 010 0000", "+1 555 010 000x"] {
            assert!(PhoneNumber::parse(bad).is_err(), "{bad}");
        }
        for bad in [
            "pat",
            "pat@",
            "@example.com",
            "pat@example",
            "p t@example.com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_phone_change_notifies_the_old_phone_and_the_email() {
        let holder = CardholderId::new();
        let now = ts("2026-03-02T10:00:00Z");
        let new_phone = PhoneNumber::parse("+44 20 7946 0000").unwrap();
        let (updated, events) = change_contact(
            holder,
            &details(),
            ContactChange::Phone(new_phone.clone()),
            now,
        )
        .unwrap();
        assert_eq!(updated.phone, new_phone);
        let [Event::ContactChanged { notify, field, .. }] = &events[..] else {
            panic!("{events:?}");
        };
        assert_eq!(*field, ContactField::Phone);
        assert_eq!(
            notify,
            &vec![
                NoticeTarget::Sms(details().phone),
                NoticeTarget::Email(details().email)
            ]
        );
    }

    #[test]
    fn an_address_change_writes_to_the_old_address_too() {
        let (updated, events) = change_contact(
            CardholderId::new(),
            &details(),
            ContactChange::Address(address("CA")),
            ts("2026-03-02T10:00:00Z"),
        )
        .unwrap();
        assert_eq!(updated.address.country().code(), "CA");
        let [Event::ContactChanged { notify, .. }] = &events[..] else {
            panic!("{events:?}");
        };
        assert_eq!(notify.len(), 3);
        assert_eq!(notify[0], NoticeTarget::Letter(address("US")));
    }

    #[test]
    fn no_op_changes_are_refused() {
        let err = change_contact(
            CardholderId::new(),
            &details(),
            ContactChange::Email(Email::parse("pat@example.com").unwrap()),
            ts("2026-03-02T10:00:00Z"),
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "the new email address is the same as the one on file; nothing to change"
        );
    }
}
