//! CORS: the preflight `OPTIONS` method the API Gateway console's "Enable
//! CORS" creates (a MOCK integration with the Access-Control-* headers as
//! literal response parameters), and the allowed origin on every response.

use phalanx::api::Cors;
use phalanx::gateway::GatewayRequest;
use phalanx::{Api, Context, ErrorResponse, Function, Method, Service, StatusCode};
use serde_json::Value;

fn service() -> Service {
    let f = Function::new("f", |_: Value, _: Context| async move {
        Err::<Value, _>(ErrorResponse::new(404, "nothing here"))
    });
    let g = Function::new("g", |v: Value, _: Context| async move {
        Ok::<_, ErrorResponse>(v)
    });
    let mut api = Api::new("cors").cors(
        Cors::default()
            .allow_origin("https://example.com")
            .max_age(600),
    );
    api.resource("/things", &f)
        .method(Method::GET, StatusCode::OK);
    api.resource("/things", &g)
        .method(Method::POST, StatusCode::OK);
    Service::new("cors").function(f).function(g).api(api)
}

fn request(method: &str) -> GatewayRequest {
    GatewayRequest {
        method: method.into(),
        path: "/dev/things".into(),
        headers: vec![("origin".into(), "https://example.com".into())],
        ..GatewayRequest::default()
    }
}

#[tokio::test]
async fn preflight_and_allowed_origin() {
    let gateway = service().gateway(None).unwrap_or_else(|e| panic!("{e}"));
    let reply = gateway.handle(request("OPTIONS")).await;
    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.header("Access-Control-Allow-Origin"),
        Some("https://example.com")
    );
    assert_eq!(
        reply.header("Access-Control-Allow-Methods"),
        Some("GET,POST,OPTIONS")
    );
    assert_eq!(
        reply.header("Access-Control-Allow-Headers"),
        Some("Content-Type,X-Amz-Date,Authorization,X-Api-Key,X-Amz-Security-Token")
    );
    assert_eq!(reply.header("Access-Control-Max-Age"), Some("600"));
    assert!(reply.body.is_empty());

    // Error responses carry the origin too, so browsers can read them.
    let reply = gateway.handle(request("GET")).await;
    assert_eq!(reply.status, 404);
    assert_eq!(
        reply.header("Access-Control-Allow-Origin"),
        Some("https://example.com")
    );
}

#[test]
fn the_export_has_one_preflight_per_path() {
    let template = phalanx::export::cloudformation(&service());
    let resources = template["Resources"].as_object().unwrap();
    let options: Vec<&String> = resources
        .iter()
        .filter(|(_, r)| r["Properties"]["HttpMethod"] == "OPTIONS")
        .map(|(id, _)| id)
        .collect();
    assert_eq!(options, ["MethodThingsOptions"]);
}
