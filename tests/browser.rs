//! The operator console and the customer widget in a real browser: headless Chromium over
//! WebDriver, against a running engine on SQLite. Every test saves screenshots under
//! `target/screenshots/` and fails on errors in the browser console.

mod common;

#[path = "browser/harness.rs"]
mod harness;

#[path = "browser/console_launch.rs"]
mod console_launch;
#[path = "browser/console_rooms.rs"]
mod console_rooms;
#[path = "browser/widget.rs"]
mod widget;

use common::{Backend, TestApp};
use harness::{Browser, DESKTOP, PHONE};

/// The console's sign-in page in both languages, at desktop and phone width, then signing in.
#[tokio::test]
async fn console_signs_in() {
    let Some(app) = TestApp::spawn(Backend::Sqlite).await else { return };
    let Some(mut browser) = Browser::start("console_signs_in", DESKTOP).await else { return };
    browser.goto(&app.url("/console?lang=ko")).await;
    browser.find_text("h1", "콘솔 로그인").await;
    browser.shot("login-ko").await;
    browser.fit(PHONE).await;
    browser.goto(&app.url("/console?lang=en")).await;
    browser.find_text("h1", "Sign in").await;
    browser.shot("login-en-phone").await;

    browser.type_into("input[name=login]", &app.admin_login).await;
    browser.type_into("input[name=password]", "wrong password").await;
    browser.click("form.login button[type=submit]").await;
    browser.find_text(".form-status", "Could not sign in").await;

    browser.type_into("input[name=password]", &app.admin_password).await;
    browser.click("form.login button[type=submit]").await;
    browser.find_text("header .tools", "Log out").await;
    browser
        .wait_js("the token kept for reloads", "return localStorage.getItem('sangdam.console.token');", vec![])
        .await;
    browser.client.refresh().await.expect("reload");
    browser.find_text("header .tools", "Log out").await;
    browser.fit(DESKTOP).await;
    browser.shot("signed-in").await;
    browser.finish().await;
    app.stop().await;
}
