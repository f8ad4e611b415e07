//! `describe`'s page opened in headless Chromium (Debian's `chromium`,
//! installed by `scripts/test.sh`): the graph renders with the functions'
//! and paths' names visible, the access section says who may call each
//! method and how often, and the page logs no console errors. The
//! screenshots are kept as `target/describe-location.png` and
//! `target/describe-orders.png`. The `orders` example's access section is
//! snapshot-tested (`tests/snapshots/`).

#[allow(dead_code)]
#[path = "../examples/location.rs"]
mod location;
#[allow(dead_code)]
#[path = "../examples/orders.rs"]
mod orders;

use std::path::{Path, PathBuf};
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

const COMMON: [&str; 6] = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--enable-logging=stderr",
    "--v=0",
    "--window-size=1200,900",
];

/// Writes `html` as `NAME.html` in `dir`, opens it in headless Chromium
/// and answers the DOM it rendered; the page must log no console
/// messages. Its screenshot is kept as `target/describe-NAME.png`.
fn render(dir: &Path, name: &str, html: &str) -> String {
    let page = dir.join(format!("{name}.html"));
    std::fs::write(&page, html).unwrap();
    let url = format!("file://{}", page.display());
    let dom = Command::new(chromium())
        .args(COMMON)
        .arg(format!(
            "--user-data-dir={}",
            dir.join(format!("profile-dom-{name}")).display()
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
    let log = String::from_utf8_lossy(&dom.stderr);
    assert!(!log.contains(":CONSOLE("), "console messages:\n{log}");

    let target = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target");
    let screenshot = target.join(format!("describe-{name}.png"));
    let shot = Command::new(chromium())
        .args(COMMON)
        .arg(format!(
            "--user-data-dir={}",
            dir.join(format!("profile-shot-{name}")).display()
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
    String::from_utf8_lossy(&dom.stdout).into_owned()
}

/// The text from `start` (which must be there) to the first `end` after it.
fn between<'a>(text: &'a str, start: &str, end: &str) -> &'a str {
    let from = text.find(start).unwrap_or_else(|| panic!("no {start:?}"));
    let to = text[from..]
        .find(end)
        .unwrap_or_else(|| panic!("no {end:?} after {start:?}"));
    &text[from..from + to + end.len()]
}

/// The row of the table `id` whose first cell links to `method`.
fn row<'a>(dom: &'a str, id: &str, method: &str) -> &'a str {
    let table = between(dom, &format!("<table id=\"{id}\">"), "</table>");
    table
        .split("<tr")
        .find(|r| r.contains(&format!(">{method}</a></td>")))
        .unwrap_or_else(|| panic!("no row for {method} in table {id}"))
}

#[test]
fn the_page_renders_in_headless_chromium() {
    let dir = tempfile::tempdir().unwrap();
    let rendered = render(
        dir.path(),
        "location",
        &phalanx::describe::html(&location::service()),
    );
    let svg = between(&rendered, "<svg", "</svg>");
    for name in ["λ create-item", "POST /items", "API items (dev)"] {
        assert!(svg.contains(name), "{name:?} missing from the graph");
    }
    assert!(rendered.contains("integration.response.body.location"));
    assert!(rendered.contains("AWS::ApiGateway::RestApi"));
    // No authorization declared: anyone may call, at the account's limits.
    let post = row(&rendered, "access-methods", "POST /items");
    assert!(post.contains("<code>NONE</code>"), "{post}");
    assert!(post.contains("the account's limits"), "{post}");
}

/// Who may call the `orders` example's methods, and how often, as the
/// browser shows it: each method's authorizer, API key and limits in the
/// access table and in its own section, the authorizer's row, the usage
/// plan, the stage's throttling — and never an API key's value.
#[test]
fn the_access_section_renders_in_headless_chromium() {
    let dir = tempfile::tempdir().unwrap();
    let rendered = render(
        dir.path(),
        "orders",
        &phalanx::describe::html(&orders::service()),
    );
    assert!(
        !rendered.contains("partner-key-0123456789abcdef"),
        "an API key's value is on the page"
    );

    let get = row(&rendered, "access-methods", "GET /orders");
    assert!(get.contains("check-token"), "{get}");
    assert!(get.contains("<code>TOKEN</code>"), "{get}");
    let post = row(&rendered, "access-methods", "POST /orders");
    assert!(post.contains("<code>NONE</code>"), "{post}");
    assert!(post.contains("required"), "{post}");
    assert!(
        post.contains("each key of usage plan <code>partners</code>"),
        "{post}"
    );
    assert!(post.contains("5 requests/s, burst 10"), "{post}");
    assert!(post.contains("10000 requests per MONTH"), "{post}");
    assert!(post.contains("1000 requests/s, burst 2000"), "{post}");
    let mine = row(&rendered, "access-methods", "GET /orders/mine");
    assert!(mine.contains("COGNITO_USER_POOLS"), "{mine}");
    assert!(mine.contains("orders/read"), "{mine}");
    let all = row(&rendered, "access-methods", "GET /orders/all");
    assert!(all.contains("AWS_IAM"), "{all}");
    assert!(all.contains("10 requests/s, burst 20"), "{all}");

    // The method's own section says the same, in full.
    let section = between(
        &rendered,
        "<section class=\"method\" id=\"method-GET-/orders\">",
        "</section>",
    );
    assert!(section.contains("Lambda authorizer"), "{section}");
    assert!(section.contains("method.request.header.Authorization"));
    let section = between(
        &rendered,
        "<section class=\"method\" id=\"method-POST-/orders\">",
        "</section>",
    );
    assert!(section.contains("NewOrder"), "{section}");
    assert!(section.contains("<code>body</code>: checks the body"));

    let authorizers = between(&rendered, "<table id=\"authorizers\">", "</table>");
    let token = authorizers
        .split("<tr")
        .find(|r| r.contains("id=\"authorizer-check-token\""))
        .expect("check-token's row");
    for fact in [
        "<code>TOKEN</code>",
        "λ <code>check-token</code>",
        "method.request.header.Authorization",
        "^Bearer .+$",
        "cached 300 s",
        "GET /orders</a>",
    ] {
        assert!(token.contains(fact), "{fact:?} missing from {token}");
    }
    assert!(authorizers.contains("userpool/us-east-1_AbCdEfGhI"));

    let keys = between(&rendered, "<table id=\"api-keys\">", "</table>");
    assert!(keys.contains("<code>partner</code>"), "{keys}");
    let plans = between(&rendered, "<table id=\"usage-plans\">", "</table>");
    assert!(plans.contains("50 requests/s, burst 100"), "{plans}");
    assert!(plans.contains("/orders/POST"), "{plans}");
    let stage = between(&rendered, "<table id=\"stage-throttling\">", "</table>");
    assert!(stage.contains("/orders/all"), "{stage}");

    // The authorizer's function is drawn, linked to the method it guards.
    let svg = between(&rendered, "<svg", "</svg>");
    assert!(svg.contains("λ check-token"), "{svg}");
    assert!(svg.contains("class=\"edge authorizes\""), "{svg}");
}

/// The `orders` example's access section, as written.
#[test]
fn the_orders_access_section_is_stable() {
    let page = phalanx::describe::html(&orders::service());
    insta::assert_snapshot!(
        "orders_access",
        between(&page, "<section id=\"access\">", "</section>")
    );
    assert!(
        !page.contains("partner-key-0123456789abcdef"),
        "an API key's value is on the page"
    );
}

/// What the `orders` example does not declare: a REQUEST authorizer with
/// two identity sources and no cache, keys read from the authorizer, a
/// disabled key, and a method requiring a key no usage plan of its stage
/// covers (AWS refuses every call).
#[test]
fn request_authorizers_and_keys_without_a_plan_are_described() {
    use phalanx::auth::{self, ApiKey, ApiKeySource, Authorizer, RequestEvent, UsagePlan};
    use phalanx::{Api, Context, Function, Method, Service, StatusCode};

    let by_key = Authorizer::request("by-key", |e: RequestEvent, _: Context| async move {
        Ok::<_, &str>(auth::allow("caller", &e.method_arn.unwrap_or_default()))
    })
    .identity_source("method.request.header.X-Tenant,method.request.querystring.key")
    .ttl(std::time::Duration::ZERO);
    let f = Function::new("f", |e: serde_json::Value, _: Context| async move {
        Ok::<_, std::convert::Infallible>(e)
    });
    let mut api = Api::new("things")
        .api_key_source(ApiKeySource::Authorizer)
        .usage_plan(
            UsagePlan::new("retired")
                .api_key(ApiKey::new("old", "old-key-0123456789abcdef").disabled()),
        );
    api.resource("/things", &f)
        .method(Method::GET, StatusCode::OK)
        .authorizer(&by_key)
        .api_key_required();
    let page = phalanx::describe::html(&Service::new("things").function(f).api(api));
    let access = between(&page, "<section id=\"access\">", "</section>");
    for fact in [
        "<code>CUSTOM</code> <a href=\"#authorizer-by-key\"><code>by-key</code></a> (<code>REQUEST</code>)",
        "<code>method.request.header.X-Tenant</code>, <code>method.request.querystring.key</code>",
        "not cached",
        "Read from the Lambda authorizer's <code>usageIdentifierKey</code>",
        "<code>old</code> (disabled)",
        "no (refused)",
    ] {
        assert!(access.contains(fact), "{fact:?} missing from {access}");
    }
    assert!(!page.contains("old-key-0123456789abcdef"));

    // The same API without the plan: the key can come from no plan.
    let f = Function::new("f", |e: serde_json::Value, _: Context| async move {
        Ok::<_, std::convert::Infallible>(e)
    });
    let mut api = Api::new("things");
    api.resource("/things", &f)
        .method(Method::GET, StatusCode::OK)
        .api_key_required();
    let page = phalanx::describe::html(&Service::new("things").function(f).api(api));
    assert!(
        page.contains("required, but no usage plan covers the stage: refused (403)"),
        "{page}"
    );
    assert!(page.contains("no usage plan covers it, so every call is refused (403)"));
}
