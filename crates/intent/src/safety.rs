//! The lost/stolen-and-fraud safety net's phrase rules.
//!
//! They read words, not punctuation (IVR transcripts have none), tolerate one typo in long
//! trigger words ("stollen", "recongise", "unathorized"), and look for three things: a lost or
//! stolen card, phone or wallet; fraud or someone else using the card; a transaction the customer
//! says they did not make or do not recognise. Typed text is split into clauses at sentence
//! punctuation first, so that "… as well as some where you didn't. Do you …" is not read as
//! "didn't do".

use serde::{Deserialize, Serialize};

use crate::text::normalise;

/// Why a message must go to the lost/stolen-and-fraud team whatever the model says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SafetySignal {
    /// A card, phone or wallet lost or stolen, or a request to freeze the card.
    LostOrStolen,
    /// Fraud, a compromised card, or someone else using the card or account.
    Compromised,
    /// A payment, withdrawal or direct debit the customer did not make or does not recognise.
    UnrecognisedTransaction,
}

impl SafetySignal {
    pub const fn as_str(self) -> &'static str {
        match self {
            SafetySignal::LostOrStolen => "lost_or_stolen",
            SafetySignal::Compromised => "compromised",
            SafetySignal::UnrecognisedTransaction => "unrecognised_transaction",
        }
    }
}

const STEAL: &[&str] = &[
    "stolen",
    "stollen",
    "stolem",
    "stoeln",
    "stolne",
    "stole",
    "steal",
    "stealing",
    "theft",
    "thief",
    "thieves",
    "robbed",
    "robbery",
    "mugged",
    "mugging",
    "pickpocketed",
    "pickpocket",
    "burgled",
    "snatched",
    "nicked",
];
const FRAUD: &[&str] = &[
    "fraud",
    "fraudulent",
    "fraudster",
    "fraudsters",
    "scam",
    "scammed",
    "scammer",
    "hacked",
    "hacker",
    "compromised",
    "skimmed",
    "skimming",
    "cloned",
    "phishing",
    "breach",
    "unauthorised",
    "unauthorized",
];
const LOSE: &[&str] = &["lost", "lose", "losing", "misplaced", "misplace", "missing"];
/// Things whose loss matters: the card and what holds it or the app.
const BELONGING: &[&str] = &[
    "card",
    "cards",
    "crad",
    "wallet",
    "purse",
    "phone",
    "mobile",
    "cellphone",
    "smartphone",
    "iphone",
    "handbag",
    "bag",
];
/// Belongings that are "left", "gone" or "forgotten" rather than lost (a card left in an ATM is
/// swallowed, not lost).
const CARRIER: &[&str] = &[
    "phone",
    "mobile",
    "cellphone",
    "smartphone",
    "iphone",
    "device",
    "wallet",
    "purse",
    "handbag",
    "bag",
];
const GONE: &[&str] = &["gone", "taken", "left", "forgot", "forgotten", "without"];
/// Words that make a message about a found card or a card in the post, not a lost one.
const NOT_LOST: &[&str] = &[
    "found",
    "reactivate",
    "reactivation",
    "relink",
    "link",
    "located",
];
const IN_TRANSIT: &[&str] = &[
    "mail", "post", "delivery", "transit", "shipping", "shipment", "atm", "machine",
];
const TRANSACTION: &[&str] = &[
    "payment",
    "payments",
    "pay",
    "paid",
    "charge",
    "charges",
    "charged",
    "transaction",
    "transactions",
    "withdrawal",
    "withdrawals",
    "withdrawl",
    "withdrawls",
    "withdrawn",
    "withdraw",
    "debit",
    "debits",
    "purchase",
    "purchases",
    "purchased",
    "bought",
    "cash",
    "money",
    "funds",
    "spent",
    "spending",
    "activity",
    "transfer",
    "transfers",
    "amount",
];
/// Money words too general to name one transaction ("where this money came from" is a
/// source-of-funds question).
const GENERAL_MONEY: &[&str] = &["money", "funds", "cash"];
/// Duplicates are billing questions even when "I did not make it twice".
const DUPLICATE: &[&str] = &["twice", "duplicate", "double"];
const NEGATION: &[&str] = &[
    "not", "dont", "didnt", "cant", "cannot", "couldnt", "never", "havent", "hasnt", "hadnt",
    "doesnt", "wasnt",
];
/// Negations that say the customer did not do something (not "can't make a payment").
const DID_NOT: &[&str] = &["not", "didnt", "never", "havent", "hadnt"];
/// "not" counts only after these ("did not", "have not"), not in "was not approved".
const BEFORE_NOT: &[&str] = &["did", "have", "had", "do", "never"];
const ADVERB: &[&str] = &[
    "even",
    "actually",
    "ever",
    "really",
    "personally",
    "myself",
    "never",
    "just",
];
const RECOGNISE: &[&str] = &[
    "recognise",
    "recognize",
    "recognised",
    "recognized",
    "recognising",
    "recognizing",
    "remember",
    "recall",
    "recollect",
    "authorise",
    "authorize",
    "authorised",
    "authorized",
    "approve",
    "approved",
    "familiar",
    "know",
];
/// "don't know" is about a transaction only when an object follows ("don't know this payment"),
/// not in "don't know what to do".
const KNOW_OBJECT: &[&str] = &[
    "this", "that", "these", "those", "the", "a", "an", "any", "anything", "who", "whom", "whose",
    "them", "it",
];
const ACT: &[&str] = &[
    "make",
    "made",
    "making",
    "do",
    "did",
    "done",
    "buy",
    "bought",
    "order",
    "ordered",
    "withdraw",
    "withdrew",
    "withdrawn",
    "spend",
    "spent",
    "purchase",
    "purchased",
    "set",
    "authorise",
    "authorize",
    "authorised",
    "authorized",
    "initiate",
    "initiated",
    "request",
    "requested",
    "submitted",
    "signed",
    "agreed",
];
const STRANGE: &[&str] = &[
    "unrecognised",
    "unrecognized",
    "unknown",
    "unfamiliar",
    "strange",
    "weird",
    "odd",
    "suspicious",
    "unusual",
    "mysterious",
    "unexplained",
    "unidentified",
    "random",
    "fraudulent",
    "unauthorised",
    "unauthorized",
    "questionable",
    "fishy",
    "dodgy",
    "shady",
];
const SOMEONE: &[&str] = &["someone", "somebody"];
const USE: &[&str] = &[
    "used",
    "using",
    "use",
    "uses",
    "has",
    "have",
    "took",
    "taken",
    "copied",
    "cloned",
    "access",
    "accessed",
    "withdrew",
    "made",
    "spent",
    "stole",
    "utilizing",
    "utilising",
    "utilised",
    "utilized",
];
/// Auxiliaries between "someone" and the verb ("someone else has been using").
const AUXILIARY: &[&str] = &[
    "else", "is", "has", "have", "had", "might", "may", "must", "could", "been",
];
/// "Can someone …" is a request for help, not an accusation.
const MODAL: &[&str] = &["can", "could", "will", "would", "should", "does", "may"];
const ACCOUNT_THINGS: &[&str] = &["account", "details", "info", "information"];
const PERMISSION: &[&str] = &[
    "permission",
    "consent",
    "authorisation",
    "authorization",
    "approval",
    "knowledge",
    "authority",
    "agreement",
];
/// Words after a trailing "I didn't" that end the thought ("… but I didn't!").
const AFTER_DENIAL: &[&str] = &[
    "but", "and", "what", "help", "please", "so", "even", "though",
];

/// Whether `text` triggers the safety net, and why.
pub fn safety_signal(text: &str) -> Option<SafetySignal> {
    let clauses: Vec<Vec<String>> = text
        .split(['.', '!', '?', ';', '\n'])
        .map(|part| {
            normalise(part)
                .split(' ')
                .filter(|w| !w.is_empty())
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .filter(|words: &Vec<String>| !words.is_empty())
        .collect();
    let all_words = || clauses.iter().flatten().map(String::as_str);
    let message = Message {
        mentions_transaction: all_words().any(|w| TRANSACTION.contains(&w)),
        about_found_card: all_words().any(|w| NOT_LOST.contains(&w)),
    };
    clauses.iter().find_map(|clause| {
        let words: Vec<&str> = clause.iter().map(String::as_str).collect();
        (0..words.len()).find_map(|i| message.signal_at(&words, i))
    })
}

/// What the rules need to know about the whole message.
struct Message {
    mentions_transaction: bool,
    about_found_card: bool,
}

impl Message {
    /// The signal of a rule that matches at word `i` of a clause.
    fn signal_at(&self, w: &[&str], i: usize) -> Option<SafetySignal> {
        use SafetySignal::*;
        let word = w[i];
        let before = |k: usize| i.checked_sub(k).map(|j| w[j]);
        let window = |from: usize, to: usize| &w[from.min(w.len())..to.min(w.len())];
        let near = |radius_before: usize, radius_after: usize, set: &[&str]| {
            any_in(
                window(i.saturating_sub(radius_before), i + radius_after + 1),
                set,
            )
        };

        if fuzzy_in(word, STEAL) && !matches!(before(1), Some("atm" | "machine")) {
            return Some(LostOrStolen);
        }
        if fuzzy_in(word, FRAUD) {
            return Some(Compromised);
        }
        // "without my permission", "no consent"
        if matches!(word, "without" | "no")
            && matches!(w.get(i + 1), Some(&("my" | "your" | "the" | "any")))
            && w.get(i + 2).is_some_and(|x| PERMISSION.contains(x))
        {
            return Some(Compromised);
        }
        if matches!(word, "freeze" | "freezing")
            && !matches!(before(1), Some("cant" | "cannot"))
            && any_in(window(i + 1, i + 4), &["card", "cards", "account"])
        {
            return Some(LostOrStolen);
        }
        if GONE.contains(&word) && near(4, 3, CARRIER) {
            return Some(LostOrStolen);
        }
        // "I no longer have my phone"
        if word == "longer"
            && before(1) == Some("no")
            && w.get(i + 1) == Some(&"have")
            && any_in(window(i + 2, i + 5), BELONGING)
        {
            return Some(LostOrStolen);
        }
        if fuzzy_in(word, LOSE)
            && !self.about_found_card
            && near(4, 4, BELONGING)
            && !any_in(w, IN_TRANSIT)
            && !(before(1) == Some("i") && matches!(before(2), Some("thought" | "think")))
        {
            return Some(LostOrStolen);
        }
        if matches!(word, "find" | "locate")
            && negated(w, i, &["cant", "cannot", "couldnt", "not"])
            && any_in(window(i + 1, i + 4), BELONGING)
            && !any_in(
                window(i + 1, i + 5),
                &["pin", "number", "details", "code", "virtual"],
            )
        {
            return Some(LostOrStolen);
        }
        // "I don't know where my card is"
        if word == "where"
            && before(1) == Some("know")
            && before(2).is_some_and(|x| NEGATION.contains(&x))
            && any_in(window(i + 1, i + 5), BELONGING)
        {
            return Some(LostOrStolen);
        }
        if SOMEONE.contains(&word) && !before(1).is_some_and(|x| MODAL.contains(&x)) {
            let mut verb = i + 1;
            while verb < w.len() && verb - i <= 3 && AUXILIARY.contains(&w[verb]) {
                verb += 1;
            }
            // The verb is the first word after the auxiliaries, or an auxiliary that is itself
            // the verb ("somebody has my card details").
            let used_something = (i + 1..=verb).any(|v| {
                let object = window(v + 1, v + 4);
                w.get(v).is_some_and(|x| USE.contains(x))
                    && (any_in(object, BELONGING)
                        || any_in(object, TRANSACTION)
                        || any_in(object, ACCOUNT_THINGS))
            });
            if used_something {
                return Some(Compromised);
            }
            if w.get(i + 1) == Some(&"else")
                && !matches!(before(1), Some("to" | "for" | "from"))
                && !before(2).is_some_and(|x| MODAL.contains(&x))
                && (any_in(w, BELONGING) || w.contains(&"account"))
            {
                return Some(Compromised);
            }
        }
        // "someone besides me", "someone other than me"
        if w.get(i + 1) == Some(&"me")
            && (word == "besides" || (word == "than" && before(1) == Some("other")))
        {
            return Some(Compromised);
        }

        if !self.mentions_transaction || any_in(w, DUPLICATE) {
            return None;
        }
        if fuzzy_in(word, RECOGNISE) && negated(w, i, NEGATION) {
            let know_without_object =
                word == "know" && !w.get(i + 1).is_some_and(|x| KNOW_OBJECT.contains(x));
            if !know_without_object {
                return Some(UnrecognisedTransaction);
            }
        }
        if ACT.contains(&word) && negated(w, i, DID_NOT) {
            return Some(UnrecognisedTransaction);
        }
        if fuzzy_in(word, STRANGE) && near(3, 3, TRANSACTION) {
            return Some(UnrecognisedTransaction);
        }
        // "… it says I withdrew cash but I didn't"
        let denial_ends = w.get(i + 1).is_none_or(|x| AFTER_DENIAL.contains(x));
        let i_did_not = (word == "didnt" && before(1) == Some("i"))
            || (word == "not" && before(1) == Some("did") && before(2) == Some("i"));
        if denial_ends && i_did_not {
            return Some(UnrecognisedTransaction);
        }
        // "what is this charge", "whats this withdrawal"
        if matches!(word, "this" | "these")
            && (before(1) == Some("whats")
                || (matches!(before(1), Some("is" | "are")) && before(2) == Some("what")))
            && any_in(window(i + 1, i + 4), TRANSACTION)
        {
            return Some(UnrecognisedTransaction);
        }
        // "where did this payment come from"
        if word == "where"
            && (i + 1..(i + 4).min(w.len())).any(|k| {
                matches!(w[k], "this" | "these" | "that" | "those")
                    && window(k + 1, k + 3)
                        .iter()
                        .any(|x| TRANSACTION.contains(x) && !GENERAL_MONEY.contains(x))
            })
            && any_in(window(i + 2, i + 9), &["from", "come", "came", "coming"])
        {
            return Some(UnrecognisedTransaction);
        }
        // "it was not me", "withdrawals that aren't mine"
        if matches!(word, "me" | "mine")
            && matches!(
                before(1),
                Some("not" | "wasnt" | "arent" | "isnt" | "werent")
            )
        {
            return Some(UnrecognisedTransaction);
        }
        None
    }
}

/// Whether word `i` is negated: a negation right before it, perhaps with adverbs between
/// ("did not even make"). A bare "not" counts only after "did", "have", …
fn negated(w: &[&str], i: usize, negations: &[&str]) -> bool {
    let mut j = i;
    while j > 0 && i - j < 2 && ADVERB.contains(&w[j - 1]) {
        j -= 1;
    }
    let Some(negation) = j.checked_sub(1) else {
        return false;
    };
    if !negations.contains(&w[negation]) {
        return false;
    }
    w[negation] != "not"
        || negation
            .checked_sub(1)
            .is_some_and(|k| BEFORE_NOT.contains(&w[k]))
}

fn any_in(words: &[&str], set: &[&str]) -> bool {
    words.iter().any(|w| set.contains(w))
}

/// In the set, or one typo away from one of its long words (seven letters or more: shorter
/// words have too many real neighbours, "cloned"/"closed", "stole"/"store").
fn fuzzy_in(word: &str, set: &[&str]) -> bool {
    set.contains(&word)
        || (word.len() >= 6 && set.iter().any(|s| s.len() >= 7 && within_one_edit(word, s)))
}

/// Levenshtein distance ≤ 1, or one swap of adjacent letters.
fn within_one_edit(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() == b.len() {
        let differ: Vec<usize> = (0..a.len()).filter(|&i| a[i] != b[i]).collect();
        return match differ.as_slice() {
            [] | [_] => true,
            [x, y] => *y == x + 1 && a[*x] == b[*y] && a[*y] == b[*x],
            _ => false,
        };
    }
    let (short, long) = if a.len() < b.len() { (a, b) } else { (b, a) };
    if long.len() - short.len() != 1 {
        return false;
    }
    let prefix = short.iter().zip(long).take_while(|(x, y)| x == y).count();
    short[prefix..] == long[prefix + 1..]
}

#[cfg(test)]
mod tests {
    use super::*;
    use SafetySignal::*;

    #[test]
    fn one_edit_means_one_typo() {
        assert!(within_one_edit("recongize", "recognize"));
        assert!(within_one_edit("unathorized", "unauthorized"));
        assert!(within_one_edit("uknown", "unknown"));
        assert!(within_one_edit("recognise", "recognize"));
        assert!(!within_one_edit("change", "charged"));
        assert!(!within_one_edit("recgonzie", "recognize"));
        assert!(
            !fuzzy_in("closed", FRAUD),
            "six-letter words must match exactly"
        );
        assert!(!fuzzy_in("store", STEAL));
    }

    #[test]
    fn typed_and_transcribed_messages_trigger() {
        let cases = [
            ("i lost my card in tokyo", LostOrStolen),
            ("I think my card was stollen yesterday", LostOrStolen),
            ("my wallet got stolen on the train", LostOrStolen),
            ("my bag was snatched with my cards in it", LostOrStolen),
            ("i cant find my card anywhere", LostOrStolen),
            ("i dont know where my card is", LostOrStolen),
            ("left my phone at the hotel cant use the app", LostOrStolen),
            ("i no longer have my phone", LostOrStolen),
            ("please freeze my card right now", LostOrStolen),
            ("someone used my card i dont know this payment", Compromised),
            ("somebody has my card details", Compromised),
            ("my card was used without my permission", Compromised),
            ("i think this is fraud", Compromised),
            (
                "there is an unathorized purchase on my account",
                Compromised,
            ),
            ("i dont recongise this payment", UnrecognisedTransaction),
            (
                "there is a direct debit i did not set up",
                UnrecognisedTransaction,
            ),
            (
                "the app says i withdrew cash but i didnt",
                UnrecognisedTransaction,
            ),
            ("I have a charge I did not make.", UnrecognisedTransaction),
            (
                "what is this withdrawal on my statement",
                UnrecognisedTransaction,
            ),
            (
                "there is a strange payment in my app",
                UnrecognisedTransaction,
            ),
            ("this cash withdrawal was not me", UnrecognisedTransaction),
        ];
        for (text, expected) in cases {
            assert_eq!(safety_signal(text), Some(expected), "{text}");
        }
    }

    #[test]
    fn ordinary_requests_do_not_trigger() {
        let cases = [
            "hi i want to dispute a charge",
            "why cant i make a payment with my card",
            "I don't know how to make a payment",
            "I don't know why my payment was declined",
            "I found my lost card, can I reactivate it?",
            "Has my card been lost in the post?",
            "the atm kept my card",
            "I went to the store and my card was declined.",
            "can someone help me use my card abroad",
            "I was charged twice for a purchase I did not make twice",
            "my transfer was not approved",
            "I can't find my card PIN",
            "what is the exchange rate for dollars",
            "The ATM at the station is closed",
            "There are fees on some payments but not others, as well as some where you didn't. Do you have a list?",
        ];
        for text in cases {
            assert_eq!(safety_signal(text), None, "{text}");
        }
    }
}
