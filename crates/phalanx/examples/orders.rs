//! Who may call what, declared in Rust: a Lambda TOKEN authorizer written
//! as a Rust function (the same binary serves it in AWS), a Cognito user
//! pool with scopes, IAM authorization, API keys in a usage plan with a
//! throttle, a quota and a per-method throttle, and a request model
//! derived from the handler's body type (a body that does not match is
//! answered 400 before any function runs).
//!
//! ```sh
//! cargo run --example orders -- serve
//! curl -i -XPOST http://127.0.0.1:3000/dev/orders -H 'content-type: application/json' \
//!      -H 'x-api-key: partner-key-0123456789abcdef' -d '{"item":"pen","quantity":2}'
//! cargo run --example orders -- export --yaml
//! ```

use phalanx::auth::{self, ApiKey, Authorizer, QuotaPeriod, TokenEvent, UsagePlan};
use phalanx::{
    Api, ApiGatewayRequest, Context, ErrorResponse, Function, JsonSchema, Method, Service,
    StatusCode,
};
use serde::{Deserialize, Serialize};

/// An order's body: `item` and a `quantity` from 1 to 100.
#[derive(Deserialize, JsonSchema)]
#[schemars(crate = "phalanx::schemars")]
pub struct NewOrder {
    /// What is ordered.
    pub item: String,
    /// How many.
    #[schemars(range(min = 1, max = 100))]
    pub quantity: u32,
}

#[derive(Serialize)]
struct Order {
    item: String,
    quantity: u32,
}

async fn create(
    request: ApiGatewayRequest<NewOrder>,
    _ctx: Context,
) -> Result<Order, ErrorResponse> {
    Ok(Order {
        item: request.body.item,
        quantity: request.body.quantity,
    })
}

async fn list(
    _request: ApiGatewayRequest<serde_json::Value>,
    _ctx: Context,
) -> Result<Vec<Order>, ErrorResponse> {
    Ok(Vec::new())
}

/// The token is `Bearer NAME`; `Bearer nobody` is denied (403), anything
/// else unauthorized (401).
async fn check_token(
    event: TokenEvent,
    _ctx: Context,
) -> Result<auth::AuthorizerResponse, &'static str> {
    let arn = event.method_arn.unwrap_or_default();
    match event
        .authorization_token
        .as_deref()
        .and_then(|t| t.strip_prefix("Bearer "))
    {
        Some("nobody") => Ok(auth::deny("nobody", &arn)),
        Some(user) if !user.is_empty() => {
            let mut answer = auth::allow(user, &arn);
            answer.context = serde_json::json!({"user": user});
            Ok(answer)
        }
        _ => Err("Unauthorized"),
    }
}

/// The service: orders behind an API key, a token authorizer, a Cognito
/// pool and IAM.
pub fn service() -> Service {
    let orders = Function::new("orders", create);
    let listing = Function::new("listing", list);
    let token = Authorizer::token("check-token", check_token)
        .validation_expression("^Bearer .+$")
        .ttl(std::time::Duration::from_secs(300));
    let users = Authorizer::cognito(
        "users",
        ["arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_AbCdEfGhI"],
    );
    let mut api = Api::new("orders")
        .stage("dev")
        .stage_throttle(1000.0, 2000)
        .method_throttle("/orders/all", Method::GET, 10.0, 20)
        .usage_plan(
            UsagePlan::new("partners")
                .throttle(50.0, 100)
                .quota(10_000, QuotaPeriod::Month)
                .method_throttle("/orders", Method::POST, 5.0, 10)
                .api_key(ApiKey::new("partner", "partner-key-0123456789abcdef")),
        );
    api.resource("/orders", &orders)
        .method(Method::POST, StatusCode::CREATED)
        .request_body::<NewOrder>()
        .api_key_required();
    api.resource("/orders", &listing)
        .method(Method::GET, StatusCode::OK)
        .authorizer(&token);
    api.resource("/orders/mine", &listing)
        .method(Method::GET, StatusCode::OK)
        .authorizer(&users)
        .authorization_scopes(["orders/read"]);
    api.resource("/orders/all", &listing)
        .method(Method::GET, StatusCode::OK)
        .iam_auth();
    Service::new("orders")
        .function(orders)
        .function(listing)
        .api(api)
}

fn main() -> std::process::ExitCode {
    phalanx::main(service())
}
