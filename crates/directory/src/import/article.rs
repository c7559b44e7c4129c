//! Listings read out of a free-text article: headed lists ("Canada Toll-Free Numbers" /
//! "General Customer Service:" / "1-800-…"), labelled lines ("Fraud Department: … call …"),
//! prose, and markdown tables.
//!
//! How a number found in the text is placed:
//! - service: the words just before it in its sentence ("the fraud reporting line at …"), else
//!   the line's label ("Roadside Assistance: …"), else the rest of its sentence, else the last
//!   heading, else the general line;
//! - country: a country in the parenthesis after it ("(U.S.)"), else in the words before it
//!   ("For countries not listed above" means worldwide), else the line's label, else the last
//!   heading that named a place, else the number's own country; collect lines are worldwide;
//!   a heading that names a region ("Europe") places its numbers nowhere, and they are rejected;
//! - languages and "24/7" come from the number's line and the lines after it, until a heading;
//! - national numbers are read in the country they are listed for, else in the last country a
//!   heading named.
//!
//! Numbers with fewer than ten digits need a `+` or a line of their own (so that a postcode such
//! as 79998-1540 is not a number); fax numbers are skipped.

use domain::{Country, Lang, Tier};

use super::words::{self, Place};
use super::{Import, Rejected, excerpt, merge};
use crate::entry::{Coverage, Entry, Provenance, ServiceLine, Status};
use crate::hours::Hours;
use crate::phone::{E164, is_separator};

/// Reads the listings of an article. Every entry is [`Status::ThirdParty`].
pub fn import_article(provenance: &Provenance, text: &str) -> Import {
    let mut reader = Reader {
        provenance,
        listings: Vec::new(),
        place: None,
        service: None,
        tiers: Vec::new(),
        last_country: None,
        block: Vec::new(),
        table: None,
    };
    for (index, line) in text.lines().enumerate() {
        reader.line(index as u64 + 1, line);
    }
    reader.finish()
}

/// A number found in the text, with what the text says about it.
struct Listing {
    line: u64,
    text: String,
    written: String,
    place: Option<Place>,
    service: ServiceLine,
    tiers: Vec<Tier>,
    toll_free: bool,
    collect: bool,
    languages: Vec<Lang>,
    always_open: bool,
    notes: Vec<String>,
    read_in: Option<Country>,
}

struct Reader<'p> {
    provenance: &'p Provenance,
    listings: Vec<Listing>,
    /// What the last headings said.
    place: Option<Place>,
    service: Option<ServiceLine>,
    tiers: Vec<Tier>,
    /// The last country a heading or table row named: national numbers are read in it.
    last_country: Option<Country>,
    /// Listings from the last number lines, which the following lines may describe.
    block: Vec<usize>,
    table: Option<Table>,
}

/// Which columns of a markdown table hold what.
struct Table {
    country: Option<usize>,
    number: Option<usize>,
    languages: Option<usize>,
    hours: Option<usize>,
    service: ServiceLine,
}

/// A number's place in a line (byte offsets).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Span {
    start: usize,
    end: usize,
    digits: usize,
}

impl Reader<'_> {
    fn line(&mut self, number: u64, raw: &str) {
        let line = raw
            .trim()
            .replace("U.S.A.", "USA")
            .replace("U.S.", "US")
            .replace("U.K.", "UK");
        if line.is_empty() {
            return;
        }
        if line.starts_with('|') {
            self.table_row(number, &line);
            return;
        }
        self.table = None;
        let spans = number_spans(&line);
        if !spans.is_empty() {
            self.number_line(number, &line, &spans);
        } else if !(self.block.is_empty() || line.ends_with(':')) && self.describe_block(&line) {
            // A line about the numbers just listed ("Mandarin and English support").
        } else if is_heading(&line) {
            self.heading(&line);
        }
    }

    fn heading(&mut self, line: &str) {
        match words::place_in(line) {
            Some(place) => {
                if let Place::Country(country) = place {
                    self.last_country = Some(country);
                }
                self.place = Some(place);
            }
            // "General Customer Service:" refines the section it is in.
            None if line.ends_with(':') => {}
            None => self.place = None,
        }
        self.service = words::service_in(line);
        self.tiers = words::tiers_in(line);
        self.block.clear();
    }

    /// Applies languages and "24/7" named in `line` to the last listed numbers; whether it did.
    fn describe_block(&mut self, line: &str) -> bool {
        let languages = words::languages_in(line);
        let always_open = words::says_always_open(line);
        for &index in &self.block {
            let listing = &mut self.listings[index];
            listing.always_open |= always_open;
            super::union(&mut listing.languages, &languages);
        }
        always_open || !languages.is_empty()
    }

    fn number_line(&mut self, number: u64, line: &str, spans: &[Span]) {
        let first = spans[0].start;
        let (label, body) = match line[..first].find(':') {
            Some(colon) if colon <= 60 => (Some(line[..colon].trim()), colon + 1),
            _ => (None, 0),
        };
        self.block.clear();
        if label.is_some_and(words::says_fax) {
            return;
        }
        let sentences = sentence_bounds(line, body);
        let mut clause_start = body;
        for (i, span) in spans.iter().enumerate() {
            let (sentence_start, sentence_end) = sentences
                .iter()
                .copied()
                .find(|&(s, e)| s <= span.start && span.start < e)
                .unwrap_or((body, line.len()));
            let paren = parenthesis_after(line, span.end, spans.get(i + 1));
            let after_start = paren.map_or(span.end, |(_, end)| end);
            let before = &line[clause_start.max(sentence_start)..span.start];
            let after = &line[after_start.min(sentence_end)..sentence_end];
            clause_start = after_start;
            let written = &line[span.start..span.end];
            let standalone =
                line[body..span.start].trim().is_empty() && line[after_start..].trim().is_empty();
            if words::says_fax(before)
                || (span.digits < 10 && !written.starts_with('+') && !standalone)
            {
                continue;
            }
            let paren_text = paren.map(|(text, _)| text);
            // "1-800-AXP-EARN (1-800-297-3276)": the second number restates the first.
            let restated = (i > 0 && before.trim_matches([' ', '(']).is_empty())
                .then(|| self.block.last().map(|&at| &self.listings[at]))
                .flatten()
                .map(|previous| (previous.service, previous.place.clone()));
            let service = restated
                .as_ref()
                .map(|(service, _)| *service)
                .or_else(|| words::service_in(before))
                .or_else(|| label.and_then(words::service_in))
                .or_else(|| words::service_in(after))
                .or(self.service)
                .unwrap_or(ServiceLine::General);
            let place = if let Some((_, place)) = restated {
                place
            } else if service == ServiceLine::InternationalCollect {
                Some(Place::Global)
            } else {
                paren_text
                    .and_then(words::country_in)
                    .map(Place::Country)
                    .or_else(|| words::place_in(before).filter(|p| !matches!(p, Place::Region(_))))
                    .or_else(|| label.and_then(words::place_in))
                    .or_else(|| self.place.clone())
            };
            let mut tiers = words::tiers_in(before);
            super::union(&mut tiers, &label.map(words::tiers_in).unwrap_or_default());
            super::union(&mut tiers, &self.tiers);
            let mut notes = Vec::new();
            if let Some(label) =
                label.filter(|l| words::service_in(l).is_none() && words::place_in(l).is_none())
            {
                notes.push(label.to_owned());
            }
            // "(U.S.)" places the number; it is not a note.
            let only_a_country =
                |text: &str| !text.contains(' ') && words::country_in(text).is_some();
            notes.extend(paren_text.filter(|t| !only_a_country(t)).map(str::to_owned));
            let read_in = match place {
                Some(Place::Country(country)) => Some(country),
                _ => self.last_country,
            };
            self.block.push(self.listings.len());
            self.listings.push(Listing {
                line: number,
                text: excerpt(line),
                written: written.to_owned(),
                place,
                service,
                tiers,
                toll_free: paren_text.is_some_and(words::says_toll_free),
                collect: service == ServiceLine::InternationalCollect
                    || paren_text.is_some_and(words::says_collect),
                languages: Vec::new(),
                always_open: false,
                notes,
                read_in,
            });
        }
        self.describe_block(line);
    }

    fn table_row(&mut self, number: u64, line: &str) {
        let cells: Vec<&str> = line.trim_matches('|').split('|').map(str::trim).collect();
        if cells
            .iter()
            .all(|c| c.chars().all(|ch| matches!(ch, '-' | ':' | ' ')))
        {
            return;
        }
        let Some(table) = &self.table else {
            self.table = Some(Table::from_header(&cells));
            self.block.clear();
            return;
        };
        let cell =
            |column: Option<usize>| column.and_then(|at| cells.get(at)).copied().unwrap_or("");
        let Some(number_cell) = table.number.map(|at| cell(Some(at))) else {
            return;
        };
        let place = words::place_in(cell(table.country));
        let read_in = match place {
            Some(Place::Country(country)) => Some(country),
            _ => self.last_country,
        };
        let hours = cell(table.hours);
        let listing = Listing {
            line: number,
            text: excerpt(line),
            written: number_cell.to_owned(),
            place,
            service: table.service,
            tiers: Vec::new(),
            toll_free: false,
            collect: table.service == ServiceLine::InternationalCollect,
            languages: words::languages_in(cell(table.languages)),
            always_open: words::says_always_open(hours),
            notes: if hours.is_empty() || words::says_always_open(hours) {
                Vec::new()
            } else {
                vec![format!("hours: {hours}")]
            },
            read_in,
        };
        self.listings.push(listing);
    }

    fn finish(self) -> Import {
        let mut entries = Vec::new();
        let mut rejected = Vec::new();
        for listing in self.listings {
            match entry(self.provenance, listing) {
                Ok(entry) => entries.push(entry),
                Err(reason) => rejected.push(reason),
            }
        }
        Import {
            entries: merge(entries),
            rejected,
        }
    }
}

fn entry(provenance: &Provenance, listing: Listing) -> Result<Entry, Rejected> {
    let reject = |reason: String| Rejected {
        source: provenance.source.clone(),
        line: listing.line,
        number: listing.written.clone(),
        text: listing.text.clone(),
        reason,
    };
    let number =
        E164::parse(&listing.written, listing.read_in).map_err(|e| reject(e.to_string()))?;
    let coverage = match &listing.place {
        Some(Place::Country(country)) => Coverage::Country(*country),
        Some(Place::Global) => Coverage::Global,
        Some(Place::Region(region)) => {
            return Err(reject(format!(
                "listed for {region}, which is not one country; list it per country"
            )));
        }
        None => number.region().map(Coverage::Country).ok_or_else(|| {
            reject("the text names no country for it and the number belongs to none".to_owned())
        })?,
    };
    Ok(Entry {
        coverage,
        service: listing.service,
        tiers: listing.tiers,
        toll_free: listing.toll_free || number.is_toll_free(),
        number,
        collect: listing.collect,
        languages: listing.languages,
        hours: listing.always_open.then_some(Hours::Always),
        notes: listing.notes.join("; "),
        provenance: provenance.clone(),
        status: Status::ThirdParty,
    })
}

impl Table {
    fn from_header(cells: &[&str]) -> Table {
        let find = |words: &[&str]| {
            cells.iter().position(|cell| {
                let cell = cell.to_lowercase();
                words.iter().any(|w| cell.contains(w))
            })
        };
        let number = find(&["number", "phone", "telephone"]);
        Table {
            country: find(&["country", "region"]),
            number,
            languages: find(&["language"]),
            hours: find(&["hour", "availab"]),
            service: find(&["service", "department", "line"])
                .filter(|&at| Some(at) != number)
                .or(number)
                .and_then(|at| words::service_in(cells[at]))
                .unwrap_or(ServiceLine::General),
        }
    }
}

/// A short line that does not end a sentence: a heading ("Canada Toll-Free Numbers", "Japan:",
/// "2. How do I report a lost or stolen card?").
fn is_heading(line: &str) -> bool {
    line.chars().count() <= 100
        && !line.ends_with('.')
        && line
            .chars()
            .next()
            .is_some_and(|c| c.is_uppercase() || c.is_ascii_digit())
}

/// The sentences of `line` from byte `from`, as (start, end) byte ranges.
fn sentence_bounds(line: &str, from: usize) -> Vec<(usize, usize)> {
    let mut bounds = Vec::new();
    let mut start = from;
    let mut chars = line[from..].char_indices().peekable();
    while let Some((offset, ch)) = chars.next() {
        let ends = matches!(ch, '.' | '?' | '!')
            && chars.peek().is_none_or(|(_, next)| next.is_whitespace());
        if ends {
            let end = from + offset + ch.len_utf8();
            bounds.push((start, end));
            start = end;
        }
    }
    if start < line.len() {
        bounds.push((start, line.len()));
    }
    bounds
}

/// The text of a parenthesis right after a number (`(toll-free)`), and where it ends; not when it
/// holds the next number (`1-800-AXP-EARN (1-800-297-3276)`).
fn parenthesis_after<'l>(
    line: &'l str,
    from: usize,
    next: Option<&Span>,
) -> Option<(&'l str, usize)> {
    let rest = &line[from..];
    let open = from + rest.len() - rest.trim_start().len();
    if !line[open..].starts_with('(') {
        return None;
    }
    let close = open + line[open..].find(')')?;
    if next.is_some_and(|n| n.start <= close) {
        return None;
    }
    Some((line[open + 1..close].trim(), close + 1))
}

/// Phone numbers in a line: runs of digits and separators (with keypad-letter groups after a
/// dash, as in 1-800-AXP-EARN) holding 7 to 18 digits.
fn number_spans(line: &str) -> Vec<Span> {
    let chars: Vec<(usize, char)> = line.char_indices().collect();
    let byte_at = |i: usize| chars.get(i).map_or(line.len(), |&(at, _)| at);
    let mut spans = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let ch = chars[i].1;
        let after_word = i > 0 && chars[i - 1].1.is_alphanumeric();
        let next_is_digit = chars.get(i + 1).is_some_and(|(_, c)| c.is_ascii_digit());
        let starts =
            !after_word && (ch.is_ascii_digit() || ((ch == '+' || ch == '(') && next_is_digit));
        if !starts {
            i += 1;
            continue;
        }
        let mut k = if ch.is_ascii_digit() { i } else { i + 1 };
        let (mut digits, mut end) = (0, k);
        while k < chars.len() {
            let c = chars[k].1;
            if c.is_ascii_digit() {
                digits += 1;
                k += 1;
                end = k;
            } else if c == '(' && digits >= 7 {
                break; // "(1-800-297-3276)" after a complete number is another number
            } else if c == '.' && chars.get(k + 1).is_none_or(|(_, n)| n.is_whitespace()) {
                break; // the end of a sentence
            } else if is_separator(c)
                && !(c.is_whitespace() && chars.get(k + 1).is_some_and(|(_, n)| n.is_whitespace()))
            {
                k += 1;
            } else if c.is_ascii_uppercase() && digits >= 3 && k > 0 && chars[k - 1].1 == '-' {
                let group = chars[k..]
                    .iter()
                    .take_while(|(_, l)| l.is_ascii_uppercase())
                    .count();
                let followed_by_word = chars
                    .get(k + group)
                    .is_some_and(|(_, n)| n.is_alphanumeric());
                if group < 2 || followed_by_word {
                    break;
                }
                digits += group;
                k += group;
                end = k;
            } else {
                break;
            }
        }
        if (7..=18).contains(&digits) {
            spans.push(Span {
                start: byte_at(i),
                end: byte_at(end),
                digits,
            });
        }
        i = end.max(i + 1);
    }
    spans
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(line: &str) -> Vec<&str> {
        number_spans(line)
            .iter()
            .map(|s| &line[s.start..s.end])
            .collect()
    }

    #[test]
    fn numbers_are_found_in_running_text() {
        assert_eq!(
            found("1-800-528-4800 (same number, but priority access)"),
            ["1-800-528-4800"]
        );
        assert_eq!(
            found("try 1-800-AXP-EARN (1-800-297-3276) or the number on the back"),
            ["1-800-AXP-EARN", "(1-800-297-3276"]
        );
        assert_eq!(
            found("followed by +1-602-785-5000 (American Express Global"),
            ["+1-602-785-5000"]
        );
        assert_eq!(
            found("| Japan | 0120-099-818 | Japanese, English | 24/7 |"),
            ["0120-099-818"]
        );
        assert_eq!(
            found("you can call 1-800-528-4800 or 1-855-693-2213."),
            ["1-800-528-4800", "1-855-693-2213"]
        );
        assert_eq!(
            found("Founded in 1850, open 24/7, P.O. Box 981540"),
            Vec::<&str>::new()
        );
        assert_eq!(found("El Paso, TX 79998-1540"), ["79998-1540"]);
    }

    #[test]
    fn sentences_split_at_full_stops_followed_by_space() {
        let line = "A number. Another one is 1.800.555.0100! Last";
        let bounds = sentence_bounds(line, 0);
        let parts: Vec<&str> = bounds.iter().map(|&(s, e)| line[s..e].trim()).collect();
        assert_eq!(
            parts,
            ["A number.", "Another one is 1.800.555.0100!", "Last"]
        );
    }
}
