//! `describe`'s page opened in headless Chromium (Debian's `chromium`,
//! installed by `scripts/test.sh`): the graph renders with the functions'
//! and paths' names visible, and the page logs no console errors. The
//! screenshot is kept as `target/describe-location.png`.

#[allow(dead_code)]
#[path = "../examples/location.rs"]
mod location;

use std::path::PathBuf;
use std::process::Command;

fn chromium() -> String {
    std::env::var("PHALANX_CHROMIUM").unwrap_or_else(|_| {
        let found = ["chromium", "chromium-browser"]
            .into_iter()
            .find(|c| Command::new(c).arg("--version").output().is_ok_and(|o| o.status.success()));
        found
            .unwrap_or_else(|| panic!("Chromium not found: run ./scripts/test.sh (it installs Debian's chromium) or set PHALANX_CHROMIUM"))
            .to_string()
    })
}

#[test]
fn the_page_renders_in_headless_chromium() {
    let service = location::service();
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("location.html");
    std::fs::write(&page, phalanx::describe::html(&service)).unwrap();
    let url = format!("file://{}", page.display());
    let target = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target");
    let screenshot = target.join("describe-location.png");
    let common = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--enable-logging=stderr",
        "--v=0",
        "--window-size=1200,900",
    ];
    let dom = Command::new(chromium())
        .args(common)
        .arg(format!(
            "--user-data-dir={}",
            dir.path().join("profile-dom").display()
        ))
        .arg("--dump-dom")
        .arg(&url)
        .output()
        .expect("chromium runs");
    assert!(
        dom.status.success(),
        "{}",
        String::from_utf8_lossy(&dom.stderr)
    );
    let rendered = String::from_utf8_lossy(&dom.stdout);
    let svg = &rendered[rendered.find("<svg").expect("an svg graph")
        ..rendered.find("</svg>").expect("a closed svg")];
    for name in ["λ create-item", "POST /items", "API items (dev)"] {
        assert!(svg.contains(name), "{name:?} missing from the graph");
    }
    assert!(rendered.contains("integration.response.body.location"));
    assert!(rendered.contains("AWS::ApiGateway::RestApi"));
    let log = String::from_utf8_lossy(&dom.stderr);
    assert!(!log.contains(":CONSOLE("), "console messages:\n{log}");

    let shot = Command::new(chromium())
        .args(common)
        .arg(format!(
            "--user-data-dir={}",
            dir.path().join("profile-shot").display()
        ))
        .arg(format!("--screenshot={}", screenshot.display()))
        .arg(&url)
        .output()
        .expect("chromium runs");
    assert!(
        shot.status.success(),
        "{}",
        String::from_utf8_lossy(&shot.stderr)
    );
    let png = std::fs::read(&screenshot).expect("a screenshot");
    assert!(png.starts_with(b"\x89PNG"), "not a PNG");
}
