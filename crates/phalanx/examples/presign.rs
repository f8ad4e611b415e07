//! The seed's second example: `GET /info?bucketName=…&keyName=…` returns an
//! expiring presigned S3 URL for the object. The function's IAM privilege
//! is `s3:GetObject` on one bucket (`PRESIGN_BUCKET`, default
//! `phalanx-presign-example`), and it refuses other buckets.
//!
//! ```sh
//! AWS_ENDPOINT_URL=http://127.0.0.1:5000 cargo run --example presign -- serve   # e.g. against moto
//! curl 'http://127.0.0.1:3000/dev/info?bucketName=phalanx-presign-example&keyName=hello.txt'
//! ```

use aws_sdk_s3::presigning::PresigningConfig;
use phalanx::{
    Api, ApiGatewayRequest, Context, ErrorResponse, Function, Method, Privilege, Service,
    StatusCode,
};
use serde_json::{Value, json};
use std::time::Duration;
use tokio::sync::OnceCell;

/// How long a URL stays valid.
const EXPIRES_IN: Duration = Duration::from_secs(300);

fn bucket() -> String {
    std::env::var("PRESIGN_BUCKET").unwrap_or_else(|_| "phalanx-presign-example".to_string())
}

/// One S3 client per process (credentials and endpoint from the
/// environment, as in Lambda; path-style addressing so local S3 emulators
/// work).
async fn s3() -> &'static aws_sdk_s3::Client {
    static CLIENT: OnceCell<aws_sdk_s3::Client> = OnceCell::const_new();
    CLIENT
        .get_or_init(|| async {
            let config = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
            let s3 = aws_sdk_s3::config::Builder::from(&config)
                .force_path_style(true)
                .build();
            aws_sdk_s3::Client::from_conf(s3)
        })
        .await
}

async fn presign(request: ApiGatewayRequest<Value>, _ctx: Context) -> Result<Value, ErrorResponse> {
    let param = |name: &str| {
        request
            .query_params
            .get(name)
            .filter(|v| !v.is_empty())
            .cloned()
            .ok_or_else(|| {
                ErrorResponse::new(400, format!("the query parameter {name} is required"))
            })
    };
    let (bucket_name, key) = (param("bucketName")?, param("keyName")?);
    if bucket_name != bucket() {
        return Err(ErrorResponse::new(
            403,
            format!("this function may only read s3://{}", bucket()),
        ));
    }
    let config = PresigningConfig::expires_in(EXPIRES_IN)
        .map_err(|e| ErrorResponse::new(500, format!("presigning: {e}")))?;
    let presigned = s3()
        .await
        .get_object()
        .bucket(&bucket_name)
        .key(&key)
        .presigned(config)
        .await
        .map_err(|e| ErrorResponse::new(500, format!("presigning: {e}")))?;
    Ok(json!({"url": presigned.uri(), "expiresIn": EXPIRES_IN.as_secs()}))
}

/// The service (also used by `tests/presign.rs`).
pub fn service() -> Service {
    let presign = Function::new("presign", presign)
        .description("returns an expiring URL for one object")
        .timeout(Duration::from_secs(10))
        .privilege(Privilege::new(
            ["s3:GetObject"],
            [format!("arn:aws:s3:::{}/*", bucket())],
        ));
    let mut api = Api::new("presign")
        .stage("dev")
        .request_validator("parameters", false, true);
    api.resource("/info", &presign)
        .method(Method::GET, StatusCode::OK)
        .request_parameter("method.request.querystring.bucketName", true)
        .request_parameter("method.request.querystring.keyName", true)
        .request_validator("parameters");
    Service::new("presign").function(presign).api(api)
}

fn main() -> std::process::ExitCode {
    phalanx::main(service())
}
