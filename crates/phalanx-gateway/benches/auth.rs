//! What authorization adds to a request, in process: the same MOCK method
//! answered with `AuthorizationType` `NONE`, `AWS_IAM` (a request signed by
//! the AWS SDK's signer, its SigV4 signature recomputed with `aws-sigv4`)
//! and `COGNITO_USER_POOLS` (an RS256 ID token verified against a JWKS).
//! The differences are the checks' cost. Results are in
//! `docs/PERFORMANCE.md`.
//!
//! `cargo bench -p phalanx-gateway --bench auth`

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use criterion::{Criterion, criterion_group, criterion_main};
use phalanx_gateway::invoke::InProcess;
use phalanx_gateway::model::RestApi;
use phalanx_gateway::pipeline::authorize::LocalAuth;
use phalanx_gateway::{Gateway, GatewayRequest};
use serde_json::json;
use std::time::{SystemTime, UNIX_EPOCH};

const POOL: &str = "us-east-1_Bench";
const KEY_ID: &str = "AKIDBENCH";
const SECRET: &str = "bench-secret";

fn api(auth: &str) -> RestApi {
    serde_json::from_value(json!({
        "Name": "bench",
        "Methods": [{
            "ResourcePath": "/items/{id}",
            "HttpMethod": "POST",
            "AuthorizationType": auth,
            "Authorizer": "Pool",
            "MethodResponses": [{"StatusCode": "200"}],
            "Integration": {
                "Type": "MOCK",
                "RequestTemplates": {"application/json": "{\"statusCode\": 200}"},
                "IntegrationResponses": [{"StatusCode": "200",
                    "ResponseTemplates": {"application/json": "{\"ok\": true}"}}]
            }
        }],
        "Authorizers": [{"Name": "Pool", "Type": "COGNITO_USER_POOLS",
            "ProviderARNs": [format!("arn:aws:cognito-idp:us-east-1:123456789012:userpool/{POOL}")]}]
    }))
    .expect("bench API")
}

fn base_request() -> GatewayRequest {
    GatewayRequest {
        method: "POST".into(),
        path: "/dev/items/42".into(),
        query: Some("verbose=1".into()),
        headers: vec![
            ("Host".into(), "abc.execute-api.localhost:3000".into()),
            ("Content-Type".into(), "application/json".into()),
            ("User-Agent".into(), "bench".into()),
        ],
        body: bytes::Bytes::from_static(br#"{"name": "pen", "count": 3}"#),
        ..Default::default()
    }
}

/// The request, signed as the SDK signs it (host, content-type,
/// x-amz-date).
fn signed() -> GatewayRequest {
    use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
    let mut request = base_request();
    let identity =
        aws_credential_types::Credentials::new(KEY_ID, SECRET, None, None, "bench").into();
    let params = aws_sigv4::sign::v4::SigningParams::builder()
        .identity(&identity)
        .region("us-east-1")
        .name("execute-api")
        .time(SystemTime::now())
        .settings(SigningSettings::default())
        .build()
        .unwrap()
        .into();
    let uri = format!(
        "http://abc.execute-api.localhost:3000{}?verbose=1",
        request.path
    );
    let signable = SignableRequest::new(
        "POST",
        uri,
        request
            .headers
            .iter()
            .filter(|(k, _)| k != "User-Agent")
            .map(|(k, v)| (k.as_str(), v.as_str())),
        SignableBody::Bytes(&request.body),
    )
    .unwrap();
    let (instructions, _) = sign(signable, &params).unwrap().into_parts();
    let added: Vec<(String, String)> = instructions
        .headers()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    request.headers.extend(added);
    request
}

/// The request with an ID token from a key made now.
fn with_token() -> (GatewayRequest, String) {
    use rsa::Generate;
    use rsa::pkcs1::EncodeRsaPrivateKey;
    use rsa::traits::PublicKeyParts;
    let key = rsa::PrivateKey::generate();
    let der = key.to_pkcs1_der().unwrap().as_bytes().to_vec();
    let jwks = json!({"keys": [{"kty": "RSA", "alg": "RS256", "kid": "b",
        "n": URL_SAFE_NO_PAD.encode(key.n_bytes()), "e": URL_SAFE_NO_PAD.encode(key.e_bytes())}]});
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let claims = json!({"sub": "u", "token_use": "id", "exp": now + 3600, "iat": now,
        "iss": format!("https://cognito-idp.us-east-1.amazonaws.com/{POOL}"),
        "email": "a@example.com", "cognito:username": "a"});
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
    header.kid = Some("b".into());
    let token = jsonwebtoken::encode(
        &header,
        &claims,
        &jsonwebtoken::EncodingKey::from_rsa_der(&der),
    )
    .unwrap();
    let mut request = base_request();
    request.headers.push(("Authorization".into(), token));
    (request, jwks.to_string())
}

fn auth(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (token_request, jwks) = with_token();
    let local = LocalAuth::new("us-east-1")
        .with_access_key(KEY_ID, SECRET, None)
        .with_jwks(POOL, &jwks)
        .unwrap();
    let cases = [
        ("none", "NONE", base_request()),
        ("aws_iam", "AWS_IAM", signed()),
        ("cognito", "COGNITO_USER_POOLS", token_request),
    ];
    for (name, kind, request) in cases {
        let gateway = Gateway::build(&api(kind), "dev", InProcess::new())
            .unwrap()
            .with_auth(local.clone());
        let reply = rt.block_on(gateway.handle(request.clone()));
        assert_eq!(reply.status, 200, "{name}: {:?}", reply.body);
        c.bench_function(&format!("request/{name}"), |b| {
            b.iter(|| rt.block_on(gateway.handle(request.clone())))
        });
    }
}

criterion_group!(benches, auth);
criterion_main!(benches);
