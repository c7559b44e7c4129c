//! Real headless Chromium driven over WebDriver. Runs when chromedriver is installed; with
//! `HELPLINE_BROWSER_TESTS=1` (CI) a missing chromedriver is a failure, not a skip.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use server::testkit::TestApp;

pub struct Browser {
    pub client: Client,
    driver: Child,
    _profile: tempfile::TempDir,
}

impl Browser {
    /// A fresh browser (its own profile: no shared cookies), or `None` when browser tests
    /// are not available here and not required.
    pub async fn start() -> Option<Browser> {
        let required = std::env::var("HELPLINE_BROWSER_TESTS").is_ok_and(|v| v == "1");
        let driver_path = ["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"]
            .into_iter()
            .find(|p| std::path::Path::new(p).exists());
        let Some(driver_path) = driver_path else {
            assert!(
                !required,
                "HELPLINE_BROWSER_TESTS=1 but chromedriver is not installed (apt-get install chromium chromium-driver)"
            );
            eprintln!("chromedriver not installed: skipping browser test");
            return None;
        };
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let driver = Command::new(driver_path)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let profile = tempfile::tempdir().unwrap();
        let args = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-quic",
            "--no-first-run",
            "--window-size=1280,900",
        ]
        .iter()
        .map(|a| a.to_string())
        .chain([format!("--user-data-dir={}", profile.path().display())])
        .collect::<Vec<_>>();
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".to_owned(),
            serde_json::json!({"binary": "/usr/bin/chromium", "args": args}),
        );
        let webdriver = format!("http://127.0.0.1:{port}");
        let mut last_error = String::new();
        for _ in 0..100 {
            match ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
                .capabilities(caps.clone())
                .connect(&webdriver)
                .await
            {
                Ok(client) => {
                    return Some(Browser {
                        client,
                        driver,
                        _profile: profile,
                    });
                }
                Err(err) => last_error = err.to_string(),
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("could not start Chromium through chromedriver: {last_error}");
    }

    /// Waits for an element to appear.
    pub async fn find(&self, css: &str) -> fantoccini::elements::Element {
        self.client
            .wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css}: {e}"))
    }

    /// The text of the element matching `css`, found again when a live page re-rendered it
    /// between finding and reading (a stale element).
    pub async fn text(&self, css: &str) -> String {
        for _ in 0..50 {
            if let Ok(text) = self.find(css).await.text().await {
                return text;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("{css}: the element kept going stale");
    }

    /// Fills in and submits the sign-in form on the current page with the demo password.
    pub async fn sign_in(&self, email: &str) {
        self.find("#login-form").await;
        for (field, value) in [("email", email), ("password", server::demo::DEMO_PASSWORD)] {
            self.find(&format!("input[name={field}]"))
                .await
                .send_keys(value)
                .await
                .unwrap();
        }
        self.find("#login-form button[type=submit]")
            .await
            .click()
            .await
            .unwrap();
    }

    /// Waits until a navigation has reached a URL containing `part`.
    pub async fn wait_for_url_containing(&self, part: &str) {
        for _ in 0..100 {
            if self
                .client
                .current_url()
                .await
                .is_ok_and(|u| u.as_str().contains(part))
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the browser never reached a URL containing {part:?}");
    }

    pub async fn close(mut self) {
        let _ = self.client.clone().close().await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
    }
}

#[tokio::test]
async fn staff_sign_in_in_a_real_browser_shows_the_console() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let app = TestApp::spawn().await;
    browser
        .client
        .goto(&format!("{}/console", app.url))
        .await
        .unwrap();
    // Sent to the sign-in page first.
    browser.find("#login-form").await;
    assert!(
        browser
            .client
            .current_url()
            .await
            .unwrap()
            .path()
            .ends_with("/login")
    );
    browser.sign_in("supervisor@example.com").await;
    let welcome = browser.find("#console-welcome").await.text().await.unwrap();
    assert_eq!(welcome, "Welcome, Sam Okafor");
    // The search works from the page too.
    browser
        .find("input[name=q]")
        .await
        .send_keys("tanaka")
        .await
        .unwrap();
    browser.find("form.row button").await.click().await.unwrap();
    browser.wait_for_url_containing("q=tanaka").await;
    let first = browser
        .find("table.list tbody tr td a")
        .await
        .text()
        .await
        .unwrap();
    assert!(first.contains("Tanaka"), "{first}");
    browser.close().await;
    app.stop().await;
}
