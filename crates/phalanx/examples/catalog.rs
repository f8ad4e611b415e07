//! A product catalog: two functions behind six methods — a service of the
//! size most real ones are, whose CloudFormation template (about 90 KB)
//! is past the 51,200 bytes CloudFormation takes inline, so `provision`
//! hands it over through S3 (`TemplateURL`).
//!
//! ```sh
//! cargo run --example catalog -- serve
//! curl http://127.0.0.1:3000/v1/products/pen
//! curl -i -XPOST http://127.0.0.1:3000/v1/products/pen/reviews -H 'content-type: application/json' -d '{"stars": 5}'
//! ```

use phalanx::{
    Api, ApiGatewayRequest, Context, ErrorResponse, Function, Method, Service, StatusCode,
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// The catalog's products: `(id, name, category, price in cents)`.
const PRODUCTS: [(&str, &str, &str, u32); 3] = [
    ("pen", "Fountain pen", "writing", 2_400),
    ("ink", "Blue ink", "writing", 800),
    ("pad", "Paper pad", "paper", 350),
];

fn product(id: &str) -> Option<Value> {
    PRODUCTS
        .iter()
        .find(|p| p.0 == id)
        .map(|(id, name, category, price)| {
            json!({"id": id, "name": name, "category": category, "priceCents": price})
        })
}

/// Reads: the product list (`?category=` filters), one product, the
/// categories.
async fn products(request: ApiGatewayRequest<Value>, _: Context) -> Result<Value, ErrorResponse> {
    match request.context.resource_path.as_str() {
        "/products" => {
            let category = request.query_params.get("category");
            let list: Vec<Value> = PRODUCTS
                .iter()
                .filter(|p| category.is_none_or(|c| c == p.2))
                .filter_map(|p| product(p.0))
                .collect();
            Ok(json!({"products": list}))
        }
        "/products/{id}" => {
            let id = request.path_params.get("id").map_or("", String::as_str);
            product(id).ok_or_else(|| ErrorResponse::new(404, format!("no product `{id}`")))
        }
        "/categories" => {
            let mut categories: Vec<&str> = PRODUCTS.iter().map(|p| p.2).collect();
            categories.dedup();
            Ok(json!({"categories": categories}))
        }
        other => Err(ErrorResponse::new(404, format!("no route {other}"))),
    }
}

#[derive(Deserialize)]
struct NewReview {
    stars: u8,
    #[serde(default)]
    text: String,
}

#[derive(Serialize)]
struct Review {
    id: String,
    product: String,
    stars: u8,
    text: String,
    location: String,
}

/// Reviews: a posted review is checked and answered with where it lives
/// (a real service would store it); listing and deleting are accepted
/// for a known product.
async fn reviews(request: ApiGatewayRequest<Value>, _: Context) -> Result<Value, ErrorResponse> {
    let id = request.path_params.get("id").cloned().unwrap_or_default();
    if product(&id).is_none() {
        return Err(ErrorResponse::new(404, format!("no product `{id}`")));
    }
    match request.method.as_str() {
        "POST" => {
            let review: NewReview = serde_json::from_value(request.body).map_err(|e| {
                ErrorResponse::new(400, format!("a review is {{stars, text}}: {e}"))
            })?;
            if !(1..=5).contains(&review.stars) {
                return Err(ErrorResponse::new(422, "stars are 1 to 5"));
            }
            let review_id = format!("{id}-{}", review.stars);
            serde_json::to_value(Review {
                location: format!(
                    "/{}/products/{id}/reviews/{review_id}",
                    request.context.stage
                ),
                id: review_id,
                product: id,
                stars: review.stars,
                text: review.text,
            })
            .map_err(|e| ErrorResponse::new(500, e.to_string()))
        }
        "DELETE" => Ok(json!({"deleted": request.path_params.get("reviewId")})),
        _ => Ok(json!({"product": id, "reviews": []})),
    }
}

/// The service (also used by `tests/deploy.rs`).
pub fn service() -> Service {
    let products = Function::new("products", products).description("the catalog's reads");
    let reviews = Function::new("reviews", reviews).description("product reviews");
    let mut api = Api::new("catalog").stage("v1");
    api.resource("/products", &products)
        .method(Method::GET, StatusCode::OK)
        .request_parameter("method.request.querystring.category", false);
    api.resource("/products/{id}", &products)
        .method(Method::GET, StatusCode::OK);
    api.resource("/categories", &products)
        .method(Method::GET, StatusCode::OK);
    api.resource("/products/{id}/reviews", &reviews)
        .method(Method::GET, StatusCode::OK);
    api.resource("/products/{id}/reviews", &reviews)
        .method(Method::POST, StatusCode::CREATED)
        .response_header(StatusCode::CREATED, "Location")
        .map_response_header(
            StatusCode::CREATED,
            "Location",
            "integration.response.body.location",
        );
    api.resource("/products/{id}/reviews/{reviewId}", &reviews)
        .method(Method::DELETE, StatusCode::OK);
    Service::new("catalog")
        .function(products)
        .function(reviews)
        .api(api)
}

fn main() -> std::process::ExitCode {
    phalanx::main(service())
}
