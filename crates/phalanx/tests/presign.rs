//! The presign example against a local S3: moto's standalone server (from
//! PyPI, started by `scripts/test.sh`, its URL in `PHALANX_MOTO_ENDPOINT`),
//! reached through the real AWS SDK for Rust. The test puts an object, asks
//! the API for a URL, and downloads the object through it.

#[allow(dead_code)]
#[path = "../examples/presign.rs"]
mod presign;

use http_body_util::{BodyExt, Empty};
use phalanx::gateway::GatewayRequest;
use serde_json::Value;

fn moto() -> String {
    std::env::var("PHALANX_MOTO_ENDPOINT").unwrap_or_else(|_| {
        panic!(
            "PHALANX_MOTO_ENDPOINT is not set: run ./scripts/test.sh, which starts moto's S3 server"
        )
    })
}

async fn get(url: &str) -> (u16, Vec<u8>) {
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build_http::<Empty<bytes::Bytes>>();
    let response = client
        .get(url.parse().unwrap())
        .await
        .expect("the URL answers");
    let status = response.status().as_u16();
    let body = response
        .into_body()
        .collect()
        .await
        .unwrap()
        .to_bytes()
        .to_vec();
    (status, body)
}

#[tokio::test]
async fn the_url_downloads_the_object() {
    let endpoint = moto();
    let bucket = "phalanx-presign-example";
    // SAFETY: this test binary has one test, so no other thread reads the
    // environment while it is set; the SDK reads it below.
    unsafe {
        std::env::set_var("AWS_ENDPOINT_URL", &endpoint);
        std::env::set_var("AWS_ACCESS_KEY_ID", "testing");
        std::env::set_var("AWS_SECRET_ACCESS_KEY", "testing");
        std::env::set_var("AWS_REGION", "us-east-1");
        std::env::set_var("PRESIGN_BUCKET", bucket);
    }
    let config = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&config)
            .force_path_style(true)
            .build(),
    );
    let _ = s3.create_bucket().bucket(bucket).send().await;
    let content = "hello from a presigned URL — ünïcode";
    s3.put_object()
        .bucket(bucket)
        .key("docs/hello.txt")
        .body(content.as_bytes().to_vec().into())
        .send()
        .await
        .expect("put_object");

    let gateway = presign::service().gateway(None).unwrap();
    let ask = |query: &str| GatewayRequest {
        method: "GET".into(),
        path: "/dev/info".into(),
        query: Some(query.to_string()),
        ..GatewayRequest::default()
    };
    let reply = gateway
        .handle(ask(&format!(
            "bucketName={bucket}&keyName=docs%2Fhello.txt"
        )))
        .await;
    assert_eq!(
        reply.status,
        200,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    let answer: Value = serde_json::from_slice(&reply.body).unwrap();
    let url = answer["url"].as_str().expect("a URL");
    assert!(url.starts_with(&endpoint), "{url}");
    assert!(url.contains("X-Amz-Expires=300"), "{url}");
    let (status, body) = get(url).await;
    assert_eq!(status, 200);
    assert_eq!(String::from_utf8(body).unwrap(), content);

    // The request validator requires both parameters.
    let reply = gateway.handle(ask(&format!("bucketName={bucket}"))).await;
    assert_eq!(reply.status, 400);
    assert_eq!(
        String::from_utf8_lossy(&reply.body),
        r#"{"message":"Missing required request parameters: [keyName]"}"#
    );
    // Other buckets are refused, as the function's IAM privilege would.
    let reply = gateway.handle(ask("bucketName=other&keyName=x")).await;
    assert_eq!(reply.status, 403);

    // The exported role grants exactly s3:GetObject on that bucket.
    let template = phalanx::export::cloudformation(&presign::service());
    let policies = &template["Resources"]["PresignRole"]["Properties"]["Policies"];
    assert_eq!(
        policies[0]["PolicyDocument"]["Statement"],
        serde_json::json!([{"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": [format!("arn:aws:s3:::{bucket}/*")]}])
    );
}
