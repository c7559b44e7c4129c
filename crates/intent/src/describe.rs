//! Plain-English descriptions of the BANKING77 intents, for clarifying questions ("Is this
//! about a card that hasn't arrived?"). Intents not listed are described from their name.

use std::borrow::Cow;

const DESCRIPTIONS: &[(&str, &str)] = &[
    ("activate_my_card", "activating your card"),
    ("age_limit", "the minimum age for an account"),
    ("apple_pay_or_google_pay", "Apple Pay or Google Pay"),
    ("atm_support", "using cash machines"),
    ("automatic_top_up", "automatic top-ups"),
    (
        "balance_not_updated_after_bank_transfer",
        "a bank transfer missing from your balance",
    ),
    (
        "balance_not_updated_after_cheque_or_cash_deposit",
        "a cheque or cash deposit missing from your balance",
    ),
    (
        "beneficiary_not_allowed",
        "a payee you cannot send money to",
    ),
    ("cancel_transfer", "cancelling a transfer"),
    ("card_about_to_expire", "a card about to expire"),
    ("card_acceptance", "where your card is accepted"),
    ("card_arrival", "a card that hasn't arrived"),
    ("card_delivery_estimate", "when a new card will arrive"),
    ("card_linking", "linking a card to the app"),
    ("card_not_working", "a card that doesn't work"),
    ("card_payment_fee_charged", "a fee on a card payment"),
    (
        "card_payment_not_recognised",
        "a card payment you don't recognise",
    ),
    (
        "card_payment_wrong_exchange_rate",
        "the exchange rate of a card payment",
    ),
    ("card_swallowed", "a card kept by a cash machine"),
    ("cash_withdrawal_charge", "a fee on a cash withdrawal"),
    (
        "cash_withdrawal_not_recognised",
        "a cash withdrawal you don't recognise",
    ),
    ("change_pin", "changing your PIN"),
    ("compromised_card", "a card someone else may be using"),
    (
        "contactless_not_working",
        "contactless payments not working",
    ),
    ("country_support", "the countries we support"),
    ("declined_card_payment", "a declined card payment"),
    ("declined_cash_withdrawal", "a declined cash withdrawal"),
    ("declined_transfer", "a declined transfer"),
    (
        "direct_debit_payment_not_recognised",
        "a direct debit you don't recognise",
    ),
    ("disposable_card_limits", "limits on disposable cards"),
    ("edit_personal_details", "changing your personal details"),
    ("exchange_charge", "fees for exchanging currency"),
    ("exchange_rate", "exchange rates"),
    ("exchange_via_app", "exchanging currency in the app"),
    (
        "extra_charge_on_statement",
        "an extra charge on your statement",
    ),
    ("failed_transfer", "a transfer that failed"),
    ("fiat_currency_support", "the currencies we support"),
    (
        "get_disposable_virtual_card",
        "getting a disposable virtual card",
    ),
    ("get_physical_card", "getting a physical card"),
    ("getting_spare_card", "getting a spare card"),
    ("getting_virtual_card", "getting a virtual card"),
    ("lost_or_stolen_card", "a lost or stolen card"),
    ("lost_or_stolen_phone", "a lost or stolen phone"),
    ("order_physical_card", "ordering a physical card"),
    ("passcode_forgotten", "a forgotten passcode"),
    (
        "pending_card_payment",
        "a card payment that is still pending",
    ),
    (
        "pending_cash_withdrawal",
        "a cash withdrawal that is still pending",
    ),
    ("pending_top_up", "a top-up that is still pending"),
    ("pending_transfer", "a transfer that is still pending"),
    ("pin_blocked", "a blocked PIN"),
    ("receiving_money", "receiving money"),
    ("Refund_not_showing_up", "a refund that hasn't arrived"),
    ("request_refund", "asking for a refund"),
    ("reverted_card_payment?", "a card payment that was reversed"),
    (
        "supported_cards_and_currencies",
        "the cards and currencies you can top up with",
    ),
    ("terminate_account", "closing your account"),
    (
        "top_up_by_bank_transfer_charge",
        "a fee on a top-up by bank transfer",
    ),
    ("top_up_by_card_charge", "a fee on a top-up by card"),
    (
        "top_up_by_cash_or_cheque",
        "topping up with cash or a cheque",
    ),
    ("top_up_failed", "a top-up that failed"),
    ("top_up_limits", "top-up limits"),
    ("top_up_reverted", "a top-up that was reversed"),
    ("topping_up_by_card", "topping up with a card"),
    ("transaction_charged_twice", "a payment taken twice"),
    ("transfer_fee_charged", "a fee on a transfer"),
    (
        "transfer_into_account",
        "transferring money into your account",
    ),
    (
        "transfer_not_received_by_recipient",
        "a transfer the recipient hasn't received",
    ),
    ("transfer_timing", "how long transfers take"),
    (
        "unable_to_verify_identity",
        "trouble verifying your identity",
    ),
    ("verify_my_identity", "verifying your identity"),
    (
        "verify_source_of_funds",
        "proving where your money comes from",
    ),
    ("verify_top_up", "verifying a top-up"),
    (
        "virtual_card_not_working",
        "a virtual card that doesn't work",
    ),
    (
        "visa_or_mastercard",
        "whether the card is Visa or Mastercard",
    ),
    ("why_verify_identity", "why we verify your identity"),
    (
        "wrong_amount_of_cash_received",
        "getting the wrong amount of cash",
    ),
    (
        "wrong_exchange_rate_for_cash_withdrawal",
        "the exchange rate of a cash withdrawal",
    ),
];

/// A short noun phrase for an intent, to complete "Is this about …?".
pub fn describe(intent: &str) -> Cow<'static, str> {
    DESCRIPTIONS
        .iter()
        .find(|(name, _)| *name == intent)
        .map_or_else(
            || {
                Cow::Owned(
                    intent
                        .trim_end_matches('?')
                        .replace('_', " ")
                        .to_lowercase(),
                )
            },
            |(_, text)| Cow::Borrowed(*text),
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_intent_has_one_description() {
        assert_eq!(DESCRIPTIONS.len(), 77);
        let mut names: Vec<&str> = DESCRIPTIONS.iter().map(|(n, _)| *n).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), 77);
        assert_eq!(describe("card_arrival"), "a card that hasn't arrived");
        assert_eq!(describe("Some_new_intent?"), "some new intent");
    }
}
