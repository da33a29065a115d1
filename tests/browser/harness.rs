//! A headless Chromium driven over WebDriver (Debian's `chromium` and `chromium-driver`): each test
//! gets its own ChromeDriver and browser, waits for what a user would see, saves screenshots under
//! `target/screenshots/`, and fails on errors in the browser's console.
//!
//! Without ChromeDriver the tests are skipped locally, and fail when `CI` is set.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::LazyLock;
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::key::Key;
use fantoccini::wd::{Capabilities, WebDriverCompatibleCommand};
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

/// How long a wait for the page gives up after.
const PATIENCE: Duration = Duration::from_secs(15);

/// One browser at a time: two cores run one Chromium well and two badly.
static ONE_AT_A_TIME: LazyLock<tokio::sync::Mutex<()>> = LazyLock::new(|| tokio::sync::Mutex::new(()));

/// Phone and desktop widths the pages must work at.
pub const PHONE: (u32, u32) = (375, 740);
pub const DESKTOP: (u32, u32) = (1280, 900);

fn find_program(env: &str, candidates: &[&str]) -> Option<PathBuf> {
    if let Some(path) = std::env::var_os(env) {
        return Some(PathBuf::from(path));
    }
    let dirs: Vec<PathBuf> = std::env::var_os("PATH").map(|p| std::env::split_paths(&p).collect()).unwrap_or_default();
    candidates.iter().flat_map(|name| dirs.iter().map(move |d| d.join(name))).find(|p| p.is_file())
}

/// A running browser for one test.
pub struct Browser {
    pub client: Client,
    driver: Child,
    test: String,
    shots: u32,
    _turn: tokio::sync::MutexGuard<'static, ()>,
}

impl Browser {
    /// Starts ChromeDriver and a headless Chromium with a window of `size`; `None` (with a note)
    /// when ChromeDriver is not installed and `CI` is not set.
    pub async fn start(test: &str, size: (u32, u32)) -> Option<Browser> {
        let Some(driver_path) = find_program("CHROMEDRIVER", &["chromedriver"]) else {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI is set but chromedriver is not installed (apt-get install chromium chromium-driver)"
            );
            eprintln!("skipping {test}: chromedriver is not installed");
            return None;
        };
        let turn = ONE_AT_A_TIME.lock().await;
        let port = TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free port").port();
        let driver = Command::new(&driver_path)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let webdriver = format!("http://127.0.0.1:{port}");
        let mut caps = Capabilities::new();
        caps.insert("browserName".into(), json!("chrome"));
        let mut options = json!({
            "args": [
                "--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--hide-scrollbars", "--force-device-scale-factor=1", "--disable-search-engine-choice-screen",
                format!("--window-size={},{}", size.0, size.1),
            ],
        });
        if let Some(chromium) = find_program("CHROMIUM", &["chromium", "chromium-browser", "google-chrome"]) {
            options["binary"] = json!(chromium);
        }
        caps.insert("goog:chromeOptions".into(), options);
        caps.insert("goog:loggingPrefs".into(), json!({ "browser": "ALL" }));
        let started = Instant::now();
        let client = loop {
            let connector = hyper_util::client::legacy::connect::HttpConnector::new();
            match ClientBuilder::new(connector).capabilities(caps.clone()).connect(&webdriver).await {
                Ok(client) => break client,
                Err(e) if started.elapsed() < PATIENCE => {
                    let _ = e;
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                Err(e) => panic!("no browser session from chromedriver: {e}"),
            }
        };
        // The window size includes the browser's frame; set the page's viewport exactly.
        let mut browser = Browser { client, driver, test: test.to_owned(), shots: 0, _turn: turn };
        browser.fit(size).await;
        Some(browser)
    }

    /// Makes the page's viewport `size` (the window is a little larger than what it shows).
    pub async fn fit(&mut self, size: (u32, u32)) {
        let inner = self.js("return [window.innerWidth, window.innerHeight];", vec![]).await;
        let (w, h) = (inner[0].as_u64().unwrap_or(0) as u32, inner[1].as_u64().unwrap_or(0) as u32);
        if (w, h) != size && w > 0 {
            let (ow, oh) = self.client.get_window_size().await.expect("window size");
            let width = ow as u32 + size.0 - w;
            let height = oh as u32 + size.1 - h;
            self.client.set_window_size(width, height).await.expect("resize");
        }
    }

    pub async fn goto(&self, url: &str) {
        self.client.goto(url).await.unwrap_or_else(|e| panic!("open {url}: {e}"));
    }

    /// Runs `script` in the page (its `arguments` are `args`) and returns what it returns.
    pub async fn js(&self, script: &str, args: Vec<Value>) -> Value {
        self.client.execute(script, args).await.unwrap_or_else(|e| panic!("script failed: {e}\n{script}"))
    }

    /// The first element matching `css`, waiting for it to appear.
    pub async fn find(&self, css: &str) -> Element {
        let started = Instant::now();
        loop {
            if let Ok(el) = self.client.find(Locator::Css(css)).await {
                return el;
            }
            if started.elapsed() > PATIENCE {
                self.fail(&format!("nothing matches `{css}`")).await;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The first element matching `css` whose text contains `needle`, waiting for it.
    pub async fn find_text(&self, css: &str, needle: &str) -> Element {
        let started = Instant::now();
        loop {
            if let Ok(all) = self.client.find_all(Locator::Css(css)).await {
                for el in all {
                    if el.text().await.is_ok_and(|t| t.contains(needle)) {
                        return el;
                    }
                }
            }
            if started.elapsed() > PATIENCE {
                self.fail(&format!("no `{css}` shows \"{needle}\"")).await;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits until `script` (run in the page) returns something truthy, and returns it.
    pub async fn wait_js(&self, what: &str, script: &str, args: Vec<Value>) -> Value {
        let started = Instant::now();
        loop {
            let v = self.js(script, args.clone()).await;
            let truthy = !matches!(&v, Value::Null | Value::Bool(false))
                && v != json!(0)
                && v != json!("")
                && v.as_array().is_none_or(|a| !a.is_empty());
            if truthy {
                return v;
            }
            if started.elapsed() > PATIENCE {
                self.fail(&format!("waited in vain for {what}")).await;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub async fn click(&self, css: &str) {
        self.find(css).await.click().await.unwrap_or_else(|e| panic!("click `{css}`: {e}"));
    }

    /// Presses `key` on whatever has the focus, as a keyboard would.
    pub async fn key(&self, key: Key) {
        let focused = self.client.active_element().await.unwrap_or_else(|e| panic!("the focused element: {e}"));
        focused.send_keys(&key.to_string()).await.unwrap_or_else(|e| panic!("press {key:?}: {e}"));
    }

    /// Presses Tab until the focus is on an element matching `css`; fails after `max` presses, so
    /// an element that the keyboard cannot reach fails the test.
    pub async fn tab_to(&self, css: &str, max: usize) {
        let focused = "return !!document.activeElement && document.activeElement.matches(arguments[0]);";
        for _ in 0..=max {
            if self.js(focused, vec![json!(css)]).await == json!(true) {
                return;
            }
            self.key(Key::Tab).await;
        }
        self.fail(&format!("{max} presses of Tab never reached `{css}`")).await;
    }

    /// Types `text` into the field matching `css` (after clearing it).
    pub async fn type_into(&self, css: &str, text: &str) {
        let el = self.find(css).await;
        el.clear().await.unwrap_or_else(|e| panic!("clear `{css}`: {e}"));
        el.send_keys(text).await.unwrap_or_else(|e| panic!("type into `{css}`: {e}"));
    }

    /// Saves a screenshot as `target/screenshots/<test>-<n>-<label>.png`.
    pub async fn shot(&mut self, label: &str) -> PathBuf {
        self.shots += 1;
        let png = self.client.screenshot().await.expect("screenshot");
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
        std::fs::create_dir_all(&dir).expect("screenshot folder");
        let path = dir.join(format!("{}-{:02}-{label}.png", self.test, self.shots));
        std::fs::write(&path, png).expect("screenshot written");
        path
    }

    /// The browser console's errors since the last call: script errors, failed loads other than
    /// the API's own 4xx answers (which the pages show to the user as messages).
    pub async fn console_errors(&self) -> Vec<String> {
        let log = self.client.issue_cmd(BrowserLog).await.unwrap_or_else(|e| panic!("browser log: {e}"));
        log.as_array()
            .into_iter()
            .flatten()
            .filter(|entry| entry["level"] == "SEVERE")
            .filter_map(|entry| entry["message"].as_str().map(str::to_owned))
            .filter(|m| !m.contains("the server responded with a status of 4"))
            .collect()
    }

    /// Saves a screenshot of the failure and panics with what was missing.
    async fn fail(&self, what: &str) -> ! {
        let png = self.client.screenshot().await.ok();
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
        if let Some(png) = png {
            let _ = std::fs::create_dir_all(&dir);
            let _ = std::fs::write(dir.join(format!("{}-FAILED.png", self.test)), png);
        }
        let errors = self.console_errors().await;
        panic!("{}: {what} (console errors: {errors:?}; see target/screenshots/{}-FAILED.png)", self.test, self.test);
    }

    /// Checks the console stayed clean, then closes the browser.
    pub async fn finish(mut self) {
        let errors = self.console_errors().await;
        let _ = self.client.clone().close().await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        assert!(errors.is_empty(), "{}: errors in the browser console: {errors:#?}", self.test);
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
    }
}

/// ChromeDriver's log endpoint (`POST /session/{id}/se/log`), for the browser console.
#[derive(Debug)]
struct BrowserLog;

impl WebDriverCompatibleCommand for BrowserLog {
    fn endpoint(&self, base: &url::Url, session: Option<&str>) -> Result<url::Url, url::ParseError> {
        base.join(&format!("session/{}/se/log", session.unwrap_or_default()))
    }

    fn method_and_body(&self, _url: &url::Url) -> (http::Method, Option<String>) {
        (http::Method::POST, Some(json!({ "type": "browser" }).to_string()))
    }
}
