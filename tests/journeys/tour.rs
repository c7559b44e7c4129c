//! `helpline demo tour` against a running demo server: every journey, each step printed, and
//! a clear refusal of a journey that does not exist.

use server::testkit::TestApp;

async fn tour(app: &TestApp, args: &[&str]) -> std::process::Output {
    tokio::process::Command::new(env!("CARGO_BIN_EXE_helpline"))
        .arg("--data-dir")
        .arg(app.data_dir.path())
        .env_remove("HELPLINE_DATABASE_URL")
        .args(["demo", "tour", "--url", &app.url])
        .args(args)
        .output()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_tour_runs_every_journey_against_a_demo_server() {
    let app = TestApp::spawn().await;
    // The token comes from the data directory's secrets file, as for `serve --demo`.
    let out = tour(&app, &[]).await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for journey in journeys::all() {
        let header = format!("\n{}. {}\n", journey.number, journey.title);
        assert!(stdout.contains(&header), "{header:?} in {stdout}");
    }
    assert!(stdout.contains("   ✓ Calls it: "), "{stdout}");
    assert!(stdout.contains("journeys passed."), "{stdout}");

    let out = tour(&app, &["--journey", "99"]).await;
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("there is no journey 99"));
    app.stop().await;
}
