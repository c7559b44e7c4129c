//! Reading and writing the CSV files of the `intent` commands (RFC 4180 quoting, UTF-8, a header
//! line naming the columns). Errors name the line so that the CLI can point at it.

use std::io::{Read, Write};

use domain::Department;

/// A CSV file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum CsvError {
    #[error(
        "the CSV has no `{column}` column (its header line has: {found}); the first line must name the columns, e.g. `{example}`"
    )]
    MissingColumn {
        column: &'static str,
        found: String,
        example: &'static str,
    },
    #[error("line {line} is not valid UTF-8; save the file as UTF-8")]
    NotUtf8 { line: u64 },
    #[error("line {line}: {message}")]
    Malformed { line: u64, message: String },
    #[error("line {line}: the `{column}` field is empty")]
    EmptyField { line: u64, column: &'static str },
    #[error("line {line}: unknown department {value:?}; expected one of: {expected}")]
    UnknownDepartment {
        line: u64,
        value: String,
        expected: String,
    },
    #[error("the CSV has a header line but no rows")]
    NoRows,
    #[error("could not read or write the CSV: {0}")]
    Io(#[from] std::io::Error),
}

/// A `text` field and the line it starts on (for error messages about that row).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextRow {
    pub line: u64,
    pub text: String,
}

/// Reads BANKING77-style training data: columns `text` and `category` (others ignored), as
/// `(text, intent)` pairs in file order.
pub fn read_labelled(reader: impl Read) -> Result<Vec<(String, String)>, CsvError> {
    let rows = read_columns(reader, ["text", "category"], "text,category")?;
    rows.into_iter()
        .map(|(line, [text, category])| {
            if category.trim().is_empty() {
                return Err(CsvError::EmptyField {
                    line,
                    column: "category",
                });
            }
            Ok((text, category.trim().to_owned()))
        })
        .collect()
}

/// Reads the intent → department map (`intent,department`).
pub fn read_departments(reader: impl Read) -> Result<Vec<(String, Department)>, CsvError> {
    let rows = read_columns(reader, ["intent", "department"], "intent,department")?;
    rows.into_iter()
        .map(|(line, [intent, department])| {
            if intent.trim().is_empty() {
                return Err(CsvError::EmptyField {
                    line,
                    column: "intent",
                });
            }
            let department =
                department
                    .parse::<Department>()
                    .map_err(|e| CsvError::UnknownDepartment {
                        line,
                        value: e.value,
                        expected: e.expected,
                    })?;
            Ok((intent.trim().to_owned(), department))
        })
        .collect()
}

/// Reads the `text` column of any CSV (other columns ignored), in file order, with line numbers.
/// Texts are not validated here: the caller turns each into a [`crate::Query`] and reports the
/// line of any that is refused.
pub fn read_texts(reader: impl Read) -> Result<Vec<TextRow>, CsvError> {
    Ok(read_columns(reader, ["text"], "text")?
        .into_iter()
        .map(|(line, [text])| TextRow { line, text })
        .collect())
}

/// One output row of `helpline intent classify --input … --output …`.
#[derive(Debug, Clone, Copy)]
pub struct ClassifiedRow<'a> {
    pub text: &'a str,
    pub intent: &'a str,
    pub department: Department,
    pub confidence: f32,
}

/// Writes `text,intent,department,confidence` with a header line, one row per input, in order.
pub fn write_classified<'a>(
    writer: impl Write,
    rows: impl IntoIterator<Item = ClassifiedRow<'a>>,
) -> Result<(), CsvError> {
    let mut out = csv::Writer::from_writer(writer);
    let io = |e: csv::Error| CsvError::Io(std::io::Error::other(e));
    out.write_record(["text", "intent", "department", "confidence"])
        .map_err(io)?;
    for row in rows {
        let confidence = format!("{:.4}", row.confidence);
        out.write_record([row.text, row.intent, row.department.as_str(), &confidence])
            .map_err(io)?;
    }
    out.flush()?;
    Ok(())
}

/// The named columns of every row, with the line each row starts on.
fn read_columns<const N: usize>(
    reader: impl Read,
    columns: [&'static str; N],
    example: &'static str,
) -> Result<Vec<(u64, [String; N])>, CsvError> {
    let mut csv = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .from_reader(reader);
    let header = csv.byte_headers().map_err(csv_error)?.clone();
    let header: Vec<String> = header
        .iter()
        .map(|name| {
            String::from_utf8_lossy(name)
                .trim_start_matches('\u{feff}')
                .trim()
                .to_ascii_lowercase()
        })
        .collect();
    let mut positions = [0; N];
    for (slot, column) in positions.iter_mut().zip(columns) {
        *slot = header
            .iter()
            .position(|h| h == column)
            .ok_or_else(|| CsvError::MissingColumn {
                column,
                found: header.join(", "),
                example,
            })?;
    }
    let mut rows = Vec::new();
    let mut record = csv::ByteRecord::new();
    loop {
        match csv.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => return Err(csv_error(e)),
        }
        let line = record.position().map_or(0, csv::Position::line);
        let mut fields: [String; N] = std::array::from_fn(|_| String::new());
        for (field, position) in fields.iter_mut().zip(positions) {
            let raw = record.get(position).unwrap_or_default();
            *field = std::str::from_utf8(raw)
                .map_err(|_| CsvError::NotUtf8 { line })?
                .to_owned();
        }
        rows.push((line, fields));
    }
    if rows.is_empty() {
        return Err(CsvError::NoRows);
    }
    Ok(rows)
}

fn csv_error(e: csv::Error) -> CsvError {
    let line = e.position().map_or(0, csv::Position::line);
    match e.into_kind() {
        csv::ErrorKind::Io(io) => CsvError::Io(io),
        csv::ErrorKind::Utf8 { .. } => CsvError::NotUtf8 { line },
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => CsvError::Malformed {
            line,
            message: format!("{len} fields where the header line has {expected_len}"),
        },
        other => CsvError::Malformed {
            line,
            message: format!("{other:?}"),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_quoted_fields_and_ignores_other_columns() {
        let data = "id,text,category\n1,\"Hi, my card, it \"\"broke\"\"\",card_not_working\n2,\"two\nlines\",card_arrival\n3,plain,x\n";
        let rows = read_labelled(data.as_bytes()).unwrap();
        assert_eq!(
            rows[0],
            (
                "Hi, my card, it \"broke\"".into(),
                "card_not_working".into()
            )
        );
        assert_eq!(rows[1].0, "two\nlines");
        let texts = read_texts(data.as_bytes()).unwrap();
        // The third record starts on line 5 because the second spans two lines.
        assert_eq!(texts.iter().map(|t| t.line).collect::<Vec<_>>(), [2, 3, 5]);
    }

    #[test]
    fn a_byte_order_mark_and_header_case_are_accepted() {
        let rows = read_texts("\u{feff}Text\nhello\n".as_bytes()).unwrap();
        assert_eq!(
            rows,
            [TextRow {
                line: 2,
                text: "hello".into()
            }]
        );
    }

    #[test]
    fn errors_name_the_problem_and_the_line() {
        let err = read_texts("message,category\nhi,x\n".as_bytes()).unwrap_err();
        assert!(
            err.to_string()
                .contains("no `text` column (its header line has: message, category)"),
            "{err}"
        );

        let err = read_labelled("text\nhi\n".as_bytes()).unwrap_err();
        assert!(err.to_string().contains("no `category` column"), "{err}");

        let mut bad = b"text,category\nfine,a\n".to_vec();
        bad.extend_from_slice(b"caf\xe9,b\n");
        let err = read_labelled(bad.as_slice()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "line 3 is not valid UTF-8; save the file as UTF-8"
        );

        let err = read_labelled("text,category\na,b\nc\n".as_bytes()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "line 3: 1 fields where the header line has 2"
        );

        let err = read_labelled("text,category\na,\n".as_bytes()).unwrap_err();
        assert_eq!(err.to_string(), "line 2: the `category` field is empty");

        let err = read_departments("intent,department\nx,marketing\n".as_bytes()).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("line 2: unknown department \"marketing\""),
            "{err}"
        );

        assert!(matches!(
            read_texts("text\n".as_bytes()),
            Err(CsvError::NoRows)
        ));
    }

    #[test]
    fn classified_rows_are_written_in_order_with_quoting() {
        let mut out = Vec::new();
        let rows = [
            ClassifiedRow {
                text: "lost it, help",
                intent: "lost_or_stolen_card",
                department: Department::LostOrStolen,
                confidence: 0.98766,
            },
            ClassifiedRow {
                text: "pin",
                intent: "change_pin",
                department: Department::CardServices,
                confidence: 0.5,
            },
        ];
        write_classified(&mut out, rows).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "text,intent,department,confidence\n\"lost it, help\",lost_or_stolen_card,lost_or_stolen,0.9877\npin,change_pin,card_services,0.5000\n"
        );
    }
}
