//! The closed vocabularies every part of Helpline shares.

/// A value that is not one of a vocabulary's names.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {kind} {value:?}; expected one of: {expected}")]
pub struct ParseError {
    pub kind: &'static str,
    pub value: String,
    pub expected: String,
}

/// An enum whose variants are written as fixed snake_case names.
macro_rules! named_enum {
    ($(#[$doc:meta])* $name:ident, $kind:literal { $($(#[$vdoc:meta])* $variant:ident = $text:literal),* $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        pub enum $name {
            $($(#[$vdoc])* #[serde(rename = $text)] $variant),*
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),*];

            pub const fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),*
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = ParseError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                let wanted = s.trim();
                Self::ALL
                    .iter()
                    .copied()
                    .find(|v| v.as_str().eq_ignore_ascii_case(wanted))
                    .ok_or_else(|| ParseError {
                        kind: $kind,
                        value: s.to_owned(),
                        expected: Self::ALL.iter().map(|v| v.as_str()).collect::<Vec<_>>().join(", "),
                    })
            }
        }
    };
}

named_enum!(
    /// A card product tier.
    Tier, "tier" {
        Green = "green",
        Gold = "gold",
        Platinum = "platinum",
        Centurion = "centurion",
        Business = "business",
        /// A card issued with a partner brand (airline, hotel, retailer).
        CoBrand = "co_brand",
    }
);

impl Tier {
    /// Premium tiers get priority queues, the 30-second answer target and relationship managers.
    pub const fn is_premium(self) -> bool {
        matches!(self, Tier::Platinum | Tier::Centurion)
    }
}

named_enum!(
    /// A support team. The first seven are the departments of
    /// `shared/data/banking77/departments.csv`; rewards and business serve lines of their own.
    Department, "department" {
        /// The lost/stolen-and-fraud team.
        LostOrStolen = "lost_or_stolen",
        BillingDisputes = "billing_disputes",
        CardServices = "card_services",
        PaymentsTransfers = "payments_transfers",
        AccountManagement = "account_management",
        TravelAndInternational = "travel_and_international",
        Rewards = "rewards",
        Business = "business",
        General = "general",
    }
);

named_enum!(
    /// Why a cardholder came: the reasons the seeds list and the directory's service lines.
    Reason, "reason" {
        General = "general",
        LostStolen = "lost_stolen",
        Fraud = "fraud",
        /// Billing questions and disputes.
        Billing = "billing",
        /// Account management: personal details, payment methods, benefits.
        Account = "account",
        Activation = "activation",
        Travel = "travel",
        Rewards = "rewards",
        Business = "business",
        Roadside = "roadside",
    }
);

impl Reason {
    /// The team that handles this reason.
    pub const fn department(self) -> Department {
        match self {
            Reason::LostStolen | Reason::Fraud => Department::LostOrStolen,
            Reason::Billing => Department::BillingDisputes,
            Reason::Account => Department::AccountManagement,
            Reason::Activation => Department::CardServices,
            Reason::Travel | Reason::Roadside => Department::TravelAndInternational,
            Reason::Rewards => Department::Rewards,
            Reason::Business => Department::Business,
            Reason::General => Department::General,
        }
    }

    /// The reason to record for a contact sent to `department` (e.g. by the intent model).
    pub const fn for_department(department: Department) -> Reason {
        match department {
            Department::LostOrStolen => Reason::LostStolen,
            Department::BillingDisputes | Department::PaymentsTransfers => Reason::Billing,
            Department::CardServices => Reason::Activation,
            Department::AccountManagement => Reason::Account,
            Department::TravelAndInternational => Reason::Travel,
            Department::Rewards => Reason::Rewards,
            Department::Business => Reason::Business,
            Department::General => Reason::General,
        }
    }

    /// Lost cards and fraud are answered before everything else.
    pub const fn is_urgent(self) -> bool {
        matches!(self, Reason::LostStolen | Reason::Fraud)
    }
}

named_enum!(
    /// How a contact reached the issuer.
    Channel, "channel" {
        Phone = "phone",
        Chat = "chat",
        InApp = "in_app",
        SecureMessage = "secure_message",
        Email = "email",
        Social = "social",
        Mail = "mail",
        Fax = "fax",
        Appointment = "appointment",
    }
);

named_enum!(
    /// What a staff login or API token may do (product §10).
    Role, "role" {
        Agent = "agent",
        Supervisor = "supervisor",
        FraudAnalyst = "fraud_analyst",
        Admin = "admin",
        /// A system integration (card processor, telephony, messaging) using an API token.
        Integration = "integration",
    }
);

impl Role {
    /// Roles that may act in the agent console (supervisors and admins can do what agents do).
    pub const fn is_staff_console(self) -> bool {
        matches!(
            self,
            Role::Agent | Role::Supervisor | Role::FraudAnalyst | Role::Admin
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_unknown_names_say_what_is_expected() {
        for t in Tier::ALL {
            assert_eq!(t.as_str().parse::<Tier>().unwrap(), *t);
            assert_eq!(
                serde_json::to_string(t).unwrap(),
                format!("\"{}\"", t.as_str())
            );
        }
        assert_eq!("Platinum".parse::<Tier>().unwrap(), Tier::Platinum);
        let err = "diamond".parse::<Tier>().unwrap_err().to_string();
        assert!(err.contains("unknown tier \"diamond\""), "{err}");
        assert!(err.contains("centurion"), "{err}");
    }

    #[test]
    fn urgent_reasons_go_to_the_lost_and_fraud_team() {
        for r in Reason::ALL {
            assert_eq!(
                r.is_urgent(),
                r.department() == Department::LostOrStolen,
                "{r}"
            );
        }
    }

    #[test]
    fn a_department_s_reason_is_handled_by_that_department_or_its_neighbour() {
        for &d in Department::ALL {
            let back = Reason::for_department(d).department();
            let expected = match d {
                // Payments questions are billing's: there is no payments reason of its own.
                Department::PaymentsTransfers => Department::BillingDisputes,
                other => other,
            };
            assert_eq!(back, expected, "{d}");
        }
        assert!(Reason::for_department(Department::LostOrStolen).is_urgent());
    }
}
