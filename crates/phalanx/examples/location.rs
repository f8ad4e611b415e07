//! The seed's custom-header example: `POST /items` returns 201 with a
//! `Location` header promoted from the response payload
//! (`method.response.header.Location` ← `integration.response.body.location`).
//!
//! ```sh
//! cargo run --example location -- serve
//! curl -i -XPOST http://127.0.0.1:3000/dev/items -H 'content-type: application/json' -d '{"name":"pen"}'
//! ```

use phalanx::{
    Api, ApiGatewayRequest, Context, ErrorResponse, Function, Method, Service, StatusCode,
};
use serde::{Deserialize, Serialize};

#[derive(Deserialize)]
struct NewItem {
    name: String,
}

/// The function's result: the body and, separately, where the item lives.
#[derive(Serialize)]
struct Created {
    id: String,
    name: String,
    location: String,
}

async fn create(
    request: ApiGatewayRequest<NewItem>,
    _ctx: Context,
) -> Result<Created, ErrorResponse> {
    let name = request.body.name.trim().to_string();
    if name.is_empty() {
        return Err(ErrorResponse::new(400, "an item needs a name"));
    }
    let id = name.to_lowercase().replace(' ', "-");
    Ok(Created {
        location: format!("/{}/items/{id}", request.context.stage),
        id,
        name,
    })
}

/// The service (also used by `tests/examples.rs`).
pub fn service() -> Service {
    let create = Function::new("create-item", create);
    let mut api = Api::new("items").stage("dev");
    api.resource("/items", &create)
        .method(Method::POST, StatusCode::CREATED)
        // Declare the header on the 201 method response, then map it from
        // the payload — the seed's snippet, step for step.
        .response_header(StatusCode::CREATED, "Location")
        .map_response_header(
            StatusCode::CREATED,
            "Location",
            "integration.response.body.location",
        );
    Service::new("items").function(create).api(api)
}

fn main() -> std::process::ExitCode {
    phalanx::main(service())
}
