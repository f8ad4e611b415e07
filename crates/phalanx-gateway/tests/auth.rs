//! `AWS_IAM` (SigV4) and `COGNITO_USER_POOLS` methods, through
//! `Gateway::handle` with a `LocalAuth`. Sources are named per test; see
//! `src/pipeline/authorize/{iam,cognito}.rs` for the full list.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use bytes::Bytes;
use phalanx_gateway::invoke::InProcess;
use phalanx_gateway::model::RestApi;
use phalanx_gateway::pipeline::authorize::LocalAuth;
use phalanx_gateway::{Gateway, GatewayReply, GatewayRequest};
use serde_json::{Value, json};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

const REGION: &str = "eu-west-1";
const POOL: &str = "eu-west-1_TestPool1";
const KEY_ID: &str = "AKIDEXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

/// A MOCK method whose response shows what authorization put in
/// `$context`, and a proxy method that returns its event.
fn api(auth: &str, extra: Value) -> RestApi {
    let template = r#"{"email": "$context.authorizer.claims.email", "exp": "$context.authorizer.claims.exp", "groups": "$context.authorizer.claims['cognito:groups']", "accessKey": "$context.identity.accessKey", "accountId": "$context.identity.accountId", "caller": "$context.identity.caller", "user": "$context.identity.user", "userArn": "$context.identity.userArn"}"#;
    let mut mock = json!({
        "ResourcePath": "/mock",
        "HttpMethod": "ANY",
        "AuthorizationType": auth,
        "MethodResponses": [{"StatusCode": "200"}],
        "Integration": {
            "Type": "MOCK",
            "RequestTemplates": {"application/json": "{\"statusCode\": 200}"},
            "IntegrationResponses": [{"StatusCode": "200", "ResponseTemplates": {"application/json": template}}]
        }
    });
    let mut proxy = json!({
        "ResourcePath": "/proxy/{id}",
        "HttpMethod": "ANY",
        "AuthorizationType": auth,
        "Integration": {"Type": "AWS_PROXY", "IntegrationHttpMethod": "POST", "Function": "Echo"}
    });
    for m in [&mut mock, &mut proxy] {
        if let (Some(m), Some(extra)) = (m.as_object_mut(), extra.as_object()) {
            m.extend(extra.clone());
        }
    }
    serde_json::from_value(json!({
        "Name": "auth",
        "Methods": [mock, proxy],
        "Functions": {"Echo": {"FunctionName": "Echo"}},
        "Authorizers": [{
            "Name": "Pool",
            "Type": "COGNITO_USER_POOLS",
            "ProviderARNs": [format!("arn:aws:cognito-idp:{REGION}:123456789012:userpool/{POOL}")]
        }]
    }))
    .expect("test API")
}

fn gateway(api: &RestApi, auth: LocalAuth) -> Gateway {
    let mut functions = InProcess::new();
    functions.register("Echo", |event: Bytes| async move {
        Ok(Bytes::from(
            json!({"statusCode": 200, "body": String::from_utf8_lossy(&event)}).to_string(),
        ))
    });
    Gateway::build(api, "dev", functions)
        .expect("builds")
        .with_auth(auth)
}

fn body(reply: &GatewayReply) -> Value {
    serde_json::from_slice(&reply.body).unwrap_or(Value::Null)
}

async fn send(gw: &Gateway, request: GatewayRequest) -> GatewayReply {
    gw.handle(request).await
}

// ---------------------------------------------------------------- Cognito

/// An RSA key made for this test run, its JWKS entry under `kid`.
struct Signer {
    der: Vec<u8>,
    jwk: Value,
    kid: String,
}

impl Signer {
    fn new(kid: &str) -> Signer {
        use rsa::Generate;
        use rsa::pkcs1::EncodeRsaPrivateKey;
        use rsa::traits::PublicKeyParts;
        let key = rsa::PrivateKey::generate();
        let der = key.to_pkcs1_der().expect("DER").as_bytes().to_vec();
        let jwk = json!({
            "kty": "RSA", "alg": "RS256", "use": "sig", "kid": kid,
            "n": URL_SAFE_NO_PAD.encode(key.n_bytes()),
            "e": URL_SAFE_NO_PAD.encode(key.e_bytes()),
        });
        Signer {
            der,
            jwk,
            kid: kid.to_owned(),
        }
    }

    fn token(&self, claims: &Value) -> String {
        let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(
            &header,
            claims,
            &jsonwebtoken::EncodingKey::from_rsa_der(&self.der),
        )
        .expect("signs")
    }
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// Claims as Cognito writes an ID token's.
fn id_claims() -> Value {
    json!({
        "sub": "cdad23f0-2ad6-4dc1-993d-bbb3f6f8c707",
        "aud": "clientid123",
        "email_verified": true,
        "token_use": "id",
        "auth_time": 1_469_814_773u64,
        "iss": format!("https://cognito-idp.{REGION}.amazonaws.com/{POOL}"),
        "cognito:username": "sarah",
        "cognito:groups": ["admins", "users"],
        "exp": now() + 3600,
        "iat": now(),
        "email": "sarah@example.com",
    })
}

fn access_claims(scope: &str) -> Value {
    json!({
        "sub": "cdad23f0-2ad6-4dc1-993d-bbb3f6f8c707",
        "token_use": "access",
        "scope": scope,
        "client_id": "clientid123",
        "iss": format!("https://cognito-idp.{REGION}.amazonaws.com/{POOL}"),
        "exp": now() + 3600,
        "iat": now(),
        "username": "sarah",
    })
}

fn cognito_request(path: &str, token: Option<&str>) -> GatewayRequest {
    let mut headers = vec![("Content-Type".to_owned(), "application/json".to_owned())];
    if let Some(token) = token {
        headers.push(("Authorization".to_owned(), token.to_owned()));
    }
    GatewayRequest {
        method: "GET".into(),
        path: path.into(),
        headers,
        ..Default::default()
    }
}

fn cognito_auth(signer: &Signer) -> LocalAuth {
    let jwks = json!({"keys": [signer.jwk]}).to_string();
    // By ARN, as `--jwks ARN=FILE` may name the pool.
    LocalAuth::new(REGION)
        .with_jwks(
            &format!("arn:aws:cognito-idp:{REGION}:123456789012:userpool/{POOL}"),
            &jwks,
        )
        .expect("JWKS")
}

fn assert_unauthorized(reply: &GatewayReply, message: &str) {
    assert_eq!(
        reply.status,
        401,
        "{:?}",
        String::from_utf8_lossy(&reply.body)
    );
    assert_eq!(body(reply), json!({ "message": message }));
    assert_eq!(
        reply.header("x-amzn-ErrorType"),
        Some("UnauthorizedException")
    );
}

// Developer guide, "Control access to REST APIs using Amazon Cognito user
// pools as an authorizer": a valid token passes and its claims reach
// `$context.authorizer.claims`; values are strings, `exp` a Java date
// (amazon-cognito-identity-js#92).
#[tokio::test]
async fn cognito_id_token_passes_and_its_claims_reach_templates_and_events() {
    let signer = Signer::new("k1");
    let api = api("COGNITO_USER_POOLS", json!({"Authorizer": "Pool"}));
    let gw = gateway(&api, cognito_auth(&signer));
    let claims = id_claims();
    let token = signer.token(&claims);

    let reply = send(&gw, cognito_request("/dev/mock", Some(&token))).await;
    assert_eq!(reply.status, 200, "{:?}", body(&reply));
    let shown = body(&reply);
    assert_eq!(shown["email"], "sarah@example.com");
    let exp = claims["exp"].as_u64().unwrap();
    assert_eq!(shown["exp"], phalanx_gateway::clock::java_date(exp));
    assert_eq!(shown["groups"], "admins,users");
    assert_eq!(shown["accessKey"], "");

    let reply = send(&gw, cognito_request("/dev/proxy/7", Some(&token))).await;
    assert_eq!(reply.status, 200);
    let event = body(&reply);
    let seen = &event["requestContext"]["authorizer"]["claims"];
    assert_eq!(seen["cognito:username"], "sarah");
    assert_eq!(seen["email_verified"], "true");
    assert_eq!(seen["auth_time"], "1469814773");
    assert_eq!(seen["token_use"], "id");
}

// Missing, garbage, expired, foreign-key and wrong-issuer tokens: 401.
// The expired answer is recorded in aws-amplify/amplify-js#6060
// (`401,{"message":"The incoming token has expired"}`).
#[tokio::test]
async fn cognito_refuses_bad_tokens_with_401() {
    let signer = Signer::new("k1");
    let api = api("COGNITO_USER_POOLS", json!({"Authorizer": "Pool"}));
    let gw = gateway(&api, cognito_auth(&signer));

    let reply = send(&gw, cognito_request("/dev/mock", None)).await;
    assert_unauthorized(&reply, "Unauthorized");

    for garbage in [
        "garbage",
        "Bearer x.y.z",
        "a.b.c",
        "....",
        "eyJhbGciOiJSUzI1NiJ9.e30.",
        "\u{1F600}.\u{1F600}.\u{1F600}",
    ] {
        let reply = send(&gw, cognito_request("/dev/mock", Some(garbage))).await;
        assert_unauthorized(&reply, "Unauthorized");
    }

    let mut expired = id_claims();
    expired["exp"] = json!(now() - 10);
    let reply = send(
        &gw,
        cognito_request("/dev/mock", Some(&signer.token(&expired))),
    )
    .await;
    assert_unauthorized(&reply, "The incoming token has expired");

    // Same kid, another key: the signature does not verify.
    let other = Signer::new("k1");
    let reply = send(
        &gw,
        cognito_request("/dev/mock", Some(&other.token(&id_claims()))),
    )
    .await;
    assert_unauthorized(&reply, "Unauthorized");

    // A kid the JWKS does not have.
    let stranger = Signer::new("k2");
    let token = stranger.token(&id_claims());
    let reply = send(&gw, cognito_request("/dev/mock", Some(&token))).await;
    assert_unauthorized(&reply, "Unauthorized");

    let mut foreign = id_claims();
    foreign["iss"] = json!("https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Other");
    let reply = send(
        &gw,
        cognito_request("/dev/mock", Some(&signer.token(&foreign))),
    )
    .await;
    assert_unauthorized(&reply, "Unauthorized");

    // Without scopes only ID tokens pass (an AWS answer on re:Post: "If
    // there are no scopes defined the API Gateway Cognito Authorizer will
    // require the ID Token"; an access token got 401 in
    // amazon-cognito-identity-js#274).
    let token = signer.token(&access_claims("orders/read"));
    let reply = send(&gw, cognito_request("/dev/mock", Some(&token))).await;
    assert_unauthorized(&reply, "Unauthorized");
}

// With AuthorizationScopes only an access token holding one of them
// passes (same sources).
#[tokio::test]
async fn cognito_scopes_need_an_access_token_with_one_of_them() {
    let signer = Signer::new("k1");
    let api = api(
        "COGNITO_USER_POOLS",
        json!({"Authorizer": "Pool", "AuthorizationScopes": ["orders/read", "orders/admin"]}),
    );
    let gw = gateway(&api, cognito_auth(&signer));
    let ok = signer.token(&access_claims("openid orders/admin"));
    let reply = send(&gw, cognito_request("/dev/proxy/1", Some(&ok))).await;
    assert_eq!(reply.status, 200);
    let event = body(&reply);
    assert_eq!(
        event["requestContext"]["authorizer"]["claims"]["scope"],
        "openid orders/admin"
    );

    let wrong_scope = signer.token(&access_claims("orders/write"));
    let reply = send(&gw, cognito_request("/dev/mock", Some(&wrong_scope))).await;
    assert_unauthorized(&reply, "Unauthorized");

    let id = signer.token(&id_claims());
    let reply = send(&gw, cognito_request("/dev/mock", Some(&id))).await;
    assert_unauthorized(&reply, "Unauthorized");
}

// A pool given no JWKS refuses everything (nothing can verify its tokens).
#[tokio::test]
async fn cognito_without_a_jwks_refuses() {
    let signer = Signer::new("k1");
    let api = api("COGNITO_USER_POOLS", json!({"Authorizer": "Pool"}));
    let gw = gateway(&api, LocalAuth::new(REGION));
    let reply = send(
        &gw,
        cognito_request("/dev/mock", Some(&signer.token(&id_claims()))),
    )
    .await;
    assert_unauthorized(&reply, "Unauthorized");
}

// ------------------------------------------------------------------- IAM

/// A request signed by the AWS SDK's signer (`aws-sigv4`), as a client
/// would send it.
fn signed(
    method: &str,
    path_and_query: &str,
    body: &[u8],
    secret: &str,
    region: &str,
    time: SystemTime,
) -> GatewayRequest {
    use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
    let host = "abc123.execute-api.localhost:3000";
    let headers = [
        ("host", host.to_owned()),
        ("content-type", "application/json".to_owned()),
        ("X-Custom", "Mixed Case".to_owned()),
    ];
    let identity =
        aws_credential_types::Credentials::new(KEY_ID, secret, None, None, "test").into();
    let params = aws_sigv4::sign::v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name("execute-api")
        .time(time)
        .settings(SigningSettings::default())
        .build()
        .unwrap()
        .into();
    let uri = format!("http://{host}{path_and_query}");
    let signable = SignableRequest::new(
        method,
        uri.as_str(),
        headers.iter().map(|(k, v)| (*k, v.as_str())),
        SignableBody::Bytes(body),
    )
    .unwrap();
    let (instructions, _) = sign(signable, &params).unwrap().into_parts();
    let mut request = http::Request::builder().method(method).uri(&uri);
    for (k, v) in &headers {
        request = request.header(*k, v);
    }
    let mut request = request.body(()).unwrap();
    instructions.apply_to_request_http1x(&mut request);
    let (path, query) = match path_and_query.split_once('?') {
        Some((p, q)) => (p.to_owned(), Some(q.to_owned())),
        None => (path_and_query.to_owned(), None),
    };
    GatewayRequest {
        method: method.into(),
        path,
        query,
        headers: request
            .headers()
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_str().unwrap().to_owned()))
            .collect(),
        body: Bytes::copy_from_slice(body),
        ..Default::default()
    }
}

fn iam_gateway() -> Gateway {
    gateway(
        &api("AWS_IAM", json!({})),
        LocalAuth::new(REGION).with_access_key(KEY_ID, SECRET, None),
    )
}

fn assert_forbidden(reply: &GatewayReply, error_type: &str, message: &str) {
    assert_eq!(
        reply.status,
        403,
        "{:?}",
        String::from_utf8_lossy(&reply.body)
    );
    assert_eq!(reply.header("x-amzn-ErrorType"), Some(error_type));
    assert_eq!(body(reply)["message"], message);
}

/// AWS's 403 for a signature made at `signed` that is too old:
/// `Signature expired: STAMP is now earlier than … (… WINDOW` (recorded
/// with `x-amzn-ErrorType: InvalidSignatureException`).
#[track_caller]
fn assert_expired(reply: &GatewayReply, signed: SystemTime, window: &str) {
    assert_eq!(reply.status, 403);
    assert_eq!(
        reply.header("x-amzn-ErrorType"),
        Some("InvalidSignatureException")
    );
    let message = body(reply)["message"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let stamp = phalanx_gateway::clock::amz_date(signed);
    assert!(
        message.starts_with(&format!("Signature expired: {stamp} is now earlier than ")),
        "{message}"
    );
    assert!(message.ends_with(window), "{message}");
}

const MISMATCH: &str = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";

// A request the SDK signed passes, and `$context.identity` shows the
// signer (the fields AWS fills for IAM callers: accessKey, accountId,
// caller, user, userArn).
#[tokio::test]
async fn iam_signed_requests_pass_and_fill_the_identity() {
    let gw = iam_gateway();
    let now = SystemTime::now();
    let reply = send(&gw, signed("GET", "/dev/mock", b"", SECRET, REGION, now)).await;
    assert_eq!(reply.status, 200, "{:?}", body(&reply));
    let shown = body(&reply);
    assert_eq!(shown["accessKey"], KEY_ID);
    assert_eq!(shown["accountId"], "123456789012");
    assert_eq!(shown["userArn"], "arn:aws:iam::123456789012:user/local");
    assert!(shown["caller"].as_str().unwrap().starts_with("AIDA"));
    assert_eq!(shown["caller"], shown["user"]);

    // Encoded path, query, body: all as the client signed them.
    let reply = send(
        &gw,
        signed(
            "POST",
            "/dev/proxy/a%20b?x=1&y=%2Fz&x=0",
            br#"{"hello": "world"}"#,
            SECRET,
            REGION,
            now,
        ),
    )
    .await;
    assert_eq!(reply.status, 200, "{:?}", body(&reply));
    let event = body(&reply);
    assert_eq!(event["requestContext"]["identity"]["accessKey"], KEY_ID);
    assert_eq!(event["pathParameters"]["id"], "a%20b");
}

// Knowledge center, "How do I troubleshoot HTTP 403 errors from API
// Gateway?": no signature → MissingAuthenticationTokenException
// "Missing Authentication Token"; an unknown key → AccessDeniedException
// "The security token included in the request is invalid."; a wrong
// secret or a changed request → InvalidSignatureException.
#[tokio::test]
async fn iam_refuses_unsigned_unknown_and_tampered_requests() {
    let gw = iam_gateway();
    let now = SystemTime::now();

    let unsigned = GatewayRequest {
        method: "GET".into(),
        path: "/dev/mock".into(),
        ..Default::default()
    };
    let reply = send(&gw, unsigned).await;
    assert_forbidden(
        &reply,
        "MissingAuthenticationTokenException",
        "Missing Authentication Token",
    );

    let reply = send(
        &gw,
        signed("GET", "/dev/mock", b"", "wrong-secret", REGION, now),
    )
    .await;
    assert_forbidden(&reply, "InvalidSignatureException", MISMATCH);

    let mut tampered = signed("POST", "/dev/proxy/1", b"{\"a\":1}", SECRET, REGION, now);
    tampered.body = Bytes::from_static(b"{\"a\":2}");
    let reply = send(&gw, tampered).await;
    assert_forbidden(&reply, "InvalidSignatureException", MISMATCH);

    let mut moved = signed("GET", "/dev/proxy/1", b"", SECRET, REGION, now);
    moved.path = "/dev/proxy/2".into();
    let reply = send(&gw, moved).await;
    assert_forbidden(&reply, "InvalidSignatureException", MISMATCH);

    let mut header_changed = signed("GET", "/dev/mock", b"", SECRET, REGION, now);
    for (k, v) in &mut header_changed.headers {
        if k.eq_ignore_ascii_case("x-custom") {
            *v = "changed".into();
        }
    }
    let reply = send(&gw, header_changed).await;
    assert_forbidden(&reply, "InvalidSignatureException", MISMATCH);

    let unknown = LocalAuth::new(REGION).with_access_key("AKIDOTHER", SECRET, None);
    let gw_other = gateway(&api("AWS_IAM", json!({})), unknown);
    let reply = send(
        &gw_other,
        signed("GET", "/dev/mock", b"", SECRET, REGION, now),
    )
    .await;
    assert_forbidden(
        &reply,
        "AccessDeniedException",
        "The security token included in the request is invalid.",
    );

    // Signed for another region.
    let reply = send(
        &gw,
        signed("GET", "/dev/mock", b"", SECRET, "us-west-2", now),
    )
    .await;
    assert_eq!(reply.status, 403);
    assert_eq!(
        reply.header("x-amzn-ErrorType"),
        Some("InvalidSignatureException")
    );
}

// A signature more than 5 minutes old: recorded answer
// `Signature expired: 20240522T115159Z is now earlier than
// 20240522T120519Z (20240522T121019Z - 5 min.)` (InvalidSignatureException).
#[tokio::test]
async fn iam_refuses_old_signatures() {
    let gw = iam_gateway();
    let then = SystemTime::now() - Duration::from_secs(20 * 60);
    let reply = send(&gw, signed("GET", "/dev/mock", b"", SECRET, REGION, then)).await;
    assert_expired(&reply, then, " - 5 min.)");
}

// Malformed Authorization headers never panic; AWS's
// IncompleteSignatureException texts come back with 403.
#[tokio::test]
async fn iam_malformed_authorization_headers_answer_403() {
    let gw = iam_gateway();
    let date = phalanx_gateway::clock::amz_date(SystemTime::now());
    for value in [
        "Bearer abc",
        "AWS4-HMAC-SHA256",
        "AWS4-HMAC-SHA256 ",
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE",
        "AWS4-HMAC-SHA256 Credential=/, SignedHeaders=, Signature=",
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/eu-west-1/execute-api/aws4_request, SignedHeaders=host, Signature=00",
        "AWS4-HMAC-SHA256 garbage, =, ==, Signature",
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/\u{1F600}/eu-west-1/execute-api/aws4_request, SignedHeaders=h\u{1F600}st;x-amz-date, Signature=\u{1F600}",
    ] {
        let request = GatewayRequest {
            method: "GET".into(),
            path: "/dev/mock".into(),
            headers: vec![
                ("Authorization".into(), value.into()),
                ("X-Amz-Date".into(), date.clone()),
                ("Host".into(), "bad host\u{1F600}".into()),
            ],
            ..Default::default()
        };
        let reply = send(&gw, request).await;
        assert_eq!(reply.status, 403, "{value}: {:?}", body(&reply));
    }
    let request = GatewayRequest {
        method: "GET".into(),
        path: "/dev/mock".into(),
        headers: vec![("Authorization".into(), "Bearer abc".into())],
        ..Default::default()
    };
    let reply = send(&gw, request).await;
    assert!(
        body(&reply)["message"]
            .as_str()
            .unwrap()
            .starts_with("Authorization header requires 'Credential' parameter.")
    );
}

#[test]
fn credentials_files_are_read() {
    let auth = LocalAuth::new("")
        .with_credentials_file(
            "# comment\n[default]\naws_access_key_id = AKIDEXAMPLE\naws_secret_access_key=secret\n\n[profile dev]\naws_access_key_id=AKID2\naws_secret_access_key=s2\naws_session_token=tok\n",
        )
        .expect("reads");
    assert_eq!(auth.region(), "us-east-1");
    assert!(
        LocalAuth::new("x")
            .with_credentials_file("key = value")
            .is_err()
    );
    assert!(
        LocalAuth::new("x")
            .with_credentials_file("[a]\nfoo=bar")
            .is_err()
    );
    assert!(LocalAuth::new("x").with_jwks(POOL, "not json").is_err());
}

// An authorizer's IdentitySource names the header; its
// IdentityValidationExpression must match the whole token before it is
// verified (developer guide, "Integrate a REST API with an Amazon Cognito
// user pool": token source and token validation).
#[tokio::test]
async fn cognito_reads_its_identity_source_and_validation_expression() {
    let signer = Signer::new("k1");
    let mut api = api("COGNITO_USER_POOLS", json!({"Authorizer": "Pool"}));
    api.authorizers[0].identity_source = Some("method.request.header.X-Id-Token".into());
    api.authorizers[0].identity_validation_expression = Some("eyJ[A-Za-z0-9._-]+".into());
    let gw = gateway(&api, cognito_auth(&signer));
    let token = signer.token(&id_claims());

    let mut request = cognito_request("/dev/mock", None);
    request.headers.push(("x-id-token".into(), token.clone()));
    assert_eq!(send(&gw, request).await.status, 200);

    // In Authorization, which this authorizer does not read.
    let reply = send(&gw, cognito_request("/dev/mock", Some(&token))).await;
    assert_unauthorized(&reply, "Unauthorized");

    let mut request = cognito_request("/dev/mock", None);
    request
        .headers
        .push(("X-Id-Token".into(), format!("{token} trailing")));
    assert_unauthorized(&send(&gw, request).await, "Unauthorized");
}

// Temporary credentials: the session token must come, signed, in
// X-Amz-Security-Token; another one is an invalid security token.
#[tokio::test]
async fn iam_session_tokens_must_match() {
    let gw = gateway(
        &api("AWS_IAM", json!({})),
        LocalAuth::new(REGION).with_access_key(KEY_ID, SECRET, Some("session-1")),
    );
    let now = SystemTime::now();
    // Without the token.
    let reply = send(&gw, signed("GET", "/dev/mock", b"", SECRET, REGION, now)).await;
    assert_forbidden(
        &reply,
        "AccessDeniedException",
        "The security token included in the request is invalid.",
    );
    let with_token = |token: &str| {
        use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
        let host = "localhost";
        let identity = aws_credential_types::Credentials::new(
            KEY_ID,
            SECRET,
            Some(token.to_owned()),
            None,
            "test",
        )
        .into();
        let params = aws_sigv4::sign::v4::SigningParams::builder()
            .identity(&identity)
            .region(REGION)
            .name("execute-api")
            .time(now)
            .settings(SigningSettings::default())
            .build()
            .unwrap()
            .into();
        let signable = SignableRequest::new(
            "GET",
            "http://localhost/dev/mock",
            [("host", host)].into_iter(),
            SignableBody::Bytes(b""),
        )
        .unwrap();
        let (instructions, _) = sign(signable, &params).unwrap().into_parts();
        let mut headers = vec![("Host".to_owned(), host.to_owned())];
        headers.extend(
            instructions
                .headers()
                .map(|(k, v)| (k.to_owned(), v.to_owned())),
        );
        GatewayRequest {
            method: "GET".into(),
            path: "/dev/mock".into(),
            headers,
            ..Default::default()
        }
    };
    let reply = send(&gw, with_token("session-1")).await;
    assert_eq!(reply.status, 200, "{:?}", body(&reply));
    let reply = send(&gw, with_token("session-2")).await;
    assert_forbidden(
        &reply,
        "AccessDeniedException",
        "The security token included in the request is invalid.",
    );
}

// --------------------------------------------------- IAM: presigned URLs

/// A presigned URL made by the AWS SDK's signer (`aws-sigv4` with
/// `SignatureLocation::QueryParams`), valid `expires` from `time`, as a
/// client would request it (host and one custom header signed too).
fn presigned(
    auth_key: (&str, &str, Option<&str>),
    path_and_query: &str,
    time: SystemTime,
    expires: Duration,
) -> GatewayRequest {
    use aws_sigv4::http_request::{
        SignableBody, SignableRequest, SignatureLocation, SigningSettings, sign,
    };
    let (key_id, secret, token) = auth_key;
    let host = "abc123.execute-api.localhost:3000";
    let headers = [("host", host), ("X-Custom", "Mixed Case")];
    let identity =
        aws_credential_types::Credentials::new(key_id, secret, token.map(str::to_owned), None, "t")
            .into();
    let mut settings = SigningSettings::default();
    settings.signature_location = SignatureLocation::QueryParams;
    settings.expires_in = Some(expires);
    let params = aws_sigv4::sign::v4::SigningParams::builder()
        .identity(&identity)
        .region(REGION)
        .name("execute-api")
        .time(time)
        .settings(settings)
        .build()
        .unwrap()
        .into();
    let uri = format!("http://{host}{path_and_query}");
    let signable = SignableRequest::new(
        "GET",
        uri.as_str(),
        headers.iter().copied(),
        SignableBody::Bytes(b""),
    )
    .unwrap();
    let (instructions, _) = sign(signable, &params).unwrap().into_parts();
    let mut request = http::Request::builder().uri(&uri).body(()).unwrap();
    instructions.apply_to_request_http1x(&mut request);
    assert!(request.headers().is_empty(), "everything is in the query");
    GatewayRequest {
        method: "GET".into(),
        path: request.uri().path().to_owned(),
        query: request.uri().query().map(str::to_owned),
        headers: headers
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
        ..Default::default()
    }
}

/// The request with one query parameter's value replaced.
fn with_param(mut request: GatewayRequest, name: &str, value: &str) -> GatewayRequest {
    let query = request.query.take().unwrap_or_default();
    let query: Vec<String> = query
        .split('&')
        .map(|p| match p.split_once('=') {
            Some((k, _)) if k == name => format!("{k}={value}"),
            _ => p.to_owned(),
        })
        .collect();
    request.query = Some(query.join("&"));
    request
}

fn param(request: &GatewayRequest, name: &str) -> String {
    request
        .query
        .as_deref()
        .unwrap_or_default()
        .split('&')
        .find_map(|p| p.strip_prefix(&format!("{name}=")))
        .unwrap_or_default()
        .to_owned()
}

const PERMANENT: (&str, &str, Option<&str>) = (KEY_ID, SECRET, None);
const INVALID_TOKEN: &str = "The security token included in the request is invalid.";

// IAM User Guide, "Create a signed AWS API request", and the S3 API
// reference, "Authenticating Requests: Using Query Parameters (AWS
// Signature Version 4)": the signature may travel in the query string
// (X-Amz-Algorithm, -Credential, -Date, -Expires, -SignedHeaders,
// -Signature). Such a request passes, keeps its own query parameters and
// fills `$context.identity` as a header-signed one does.
#[tokio::test]
async fn iam_presigned_urls_pass_and_fill_the_identity() {
    let gw = iam_gateway();
    let now = SystemTime::now();
    let url = presigned(PERMANENT, "/dev/mock", now, Duration::from_secs(60));
    assert!(
        param(&url, "X-Amz-Signature").len() == 64,
        "{:?}",
        url.query
    );
    let reply = send(&gw, url).await;
    assert_eq!(reply.status, 200, "{:?}", body(&reply));
    let shown = body(&reply);
    assert_eq!(shown["accessKey"], KEY_ID);
    assert_eq!(shown["accountId"], "123456789012");
    assert_eq!(shown["userArn"], "arn:aws:iam::123456789012:user/local");
    assert!(shown["caller"].as_str().unwrap().starts_with("AIDA"));

    let url = presigned(
        PERMANENT,
        "/dev/proxy/a%20b?x=1&y=%2Fz&x=0",
        now,
        Duration::from_secs(300),
    );
    let reply = send(&gw, url).await;
    assert_eq!(reply.status, 200, "{:?}", body(&reply));
    let event = body(&reply);
    assert_eq!(event["requestContext"]["identity"]["accessKey"], KEY_ID);
    assert_eq!(
        event["multiValueQueryStringParameters"]["x"],
        json!(["1", "0"])
    );
}

// A changed signature, query parameter, header or lifetime no longer
// matches: INVALID_SIGNATURE with AWS's mismatch message (knowledge
// center, "How do I troubleshoot HTTP 403 errors from API Gateway?").
#[tokio::test]
async fn iam_presigned_urls_refuse_tampering() {
    let gw = iam_gateway();
    let now = SystemTime::now();
    let url = || presigned(PERMANENT, "/dev/proxy/1?x=1", now, Duration::from_secs(60));

    let original = url();
    let mut signature = param(&original, "X-Amz-Signature");
    let last = if signature.ends_with('0') { "1" } else { "0" };
    signature.replace_range(63.., last);
    let reply = send(&gw, with_param(original, "X-Amz-Signature", &signature)).await;
    assert_forbidden(&reply, "InvalidSignatureException", MISMATCH);

    let reply = send(&gw, with_param(url(), "x", "2")).await;
    assert_forbidden(&reply, "InvalidSignatureException", MISMATCH);

    let reply = send(&gw, with_param(url(), "X-Amz-Expires", "61")).await;
    assert_forbidden(&reply, "InvalidSignatureException", MISMATCH);

    let mut header_changed = url();
    header_changed.headers[1].1 = "changed".into();
    let reply = send(&gw, header_changed).await;
    assert_forbidden(&reply, "InvalidSignatureException", MISMATCH);

    // Signed with another secret.
    let other = presigned(
        (KEY_ID, "wrong-secret", None),
        "/dev/mock",
        now,
        Duration::from_secs(60),
    );
    assert_forbidden(
        &send(&gw, other).await,
        "InvalidSignatureException",
        MISMATCH,
    );

    // An unknown key: AWS's invalid-token answer.
    let stranger = presigned(
        ("AKIDOTHER", SECRET, None),
        "/dev/mock",
        now,
        Duration::from_secs(60),
    );
    assert_forbidden(
        &send(&gw, stranger).await,
        "AccessDeniedException",
        INVALID_TOKEN,
    );
}

// X-Amz-Expires bounds a presigned URL ("Authenticating Requests: Using
// Query Parameters": "the time period, in seconds, for which the generated
// presigned URL is valid"). No recording of API Gateway's answer was
// found, so the recorded `Signature expired: …` message carries the
// URL's lifetime. The 5-minute window of header signing still holds:
// outside S3 the expiry cannot lengthen it (aws/aws-sdk-go#2224).
#[tokio::test]
async fn iam_presigned_urls_expire() {
    let gw = iam_gateway();
    let now = SystemTime::now();
    let then = now - Duration::from_secs(120);
    let reply = send(
        &gw,
        presigned(PERMANENT, "/dev/mock", then, Duration::from_secs(60)),
    )
    .await;
    assert_expired(&reply, then, " - 60 sec.)");

    // Still within its hour, but past the 5 minutes.
    let long_ago = now - Duration::from_secs(10 * 60);
    let reply = send(
        &gw,
        presigned(PERMANENT, "/dev/mock", long_ago, Duration::from_secs(3600)),
    )
    .await;
    assert_eq!(reply.status, 403);
    let message = body(&reply)["message"].as_str().unwrap().to_owned();
    assert!(message.starts_with("Signature expired: "), "{message}");
    assert!(message.ends_with(" - 5 min.)"), "{message}");

    // Within both.
    let reply = send(
        &gw,
        presigned(PERMANENT, "/dev/mock", then, Duration::from_secs(180)),
    )
    .await;
    assert_eq!(reply.status, 200, "{:?}", body(&reply));
}

// Malformed presigned URLs never panic; AWS's IncompleteSignatureException
// texts come back with 403 (as recorded by mhart/dynalite's index.js and
// dacut/scratchstack-aws-signature's src/canonical.rs), and a request
// signed both ways is refused (dynalite: "Found both …").
#[tokio::test]
async fn iam_malformed_presigned_urls_answer_403() {
    let gw = iam_gateway();
    let date = phalanx_gateway::clock::amz_date(SystemTime::now());
    let day = &date[..8];
    let good = format!(
        "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F{day}%2Feu-west-1%2Fexecute-api%2Faws4_request&X-Amz-Date={date}&X-Amz-Expires=60&X-Amz-SignedHeaders=host&X-Amz-Signature=00"
    );
    let cases = [
        (
            "X-Amz-Algorithm=AWS4-HMAC-SHA256".to_owned(),
            "AWS query-string parameters must include 'X-Amz-Credential'. AWS query-string parameters must include 'X-Amz-Signature'. AWS query-string parameters must include 'X-Amz-SignedHeaders'. AWS query-string parameters must include 'X-Amz-Date'. Re-examine the query-string parameters.",
        ),
        (
            good.replace("AWS4-HMAC-SHA256", "AWS4-HMAC-SHA512"),
            "Unsupported AWS 'algorithm': 'AWS4-HMAC-SHA512' (only AWS4-HMAC-SHA256 for now). ",
        ),
        (
            good.replace(&date, "yesterday"),
            "Date must be in ISO-8601 'basic format'. Got 'yesterday'. See http://en.wikipedia.org/wiki/ISO_8601",
        ),
        (
            good.replace("X-Amz-Expires=60", "X-Amz-Expires=soon"),
            "X-Amz-Expires should be a number",
        ),
        (
            good.replace("X-Amz-Expires=60", "X-Amz-Expires=604801"),
            "X-Amz-Expires must be less than a week (in seconds) that is 604800",
        ),
        (
            good.replace("X-Amz-Expires=60", "X-Amz-Expires=-1"),
            "X-Amz-Expires must be non-negative",
        ),
        (
            good.replace("X-Amz-Expires=60&", ""),
            "AWS query-string parameters must include 'X-Amz-Expires'. Re-examine the query-string parameters.",
        ),
        (
            good.replace("%2Faws4_request", ""),
            &format!(
                "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got 'AKIDEXAMPLE/{day}/eu-west-1/execute-api'"
            ),
        ),
        (
            good.replace("aws4_request", "aws5_request"),
            "Credential should be scoped with a valid terminator: 'aws4_request', not 'aws5_request'. ",
        ),
        (good.clone(), MISMATCH),
        (
            good.replace(&format!("%2F{day}%2F"), "%2F20000101%2F"),
            &format!(
                "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20000101' != '{day}', from '{date}'."
            ),
        ),
    ];
    for (query, message) in &cases {
        let request = GatewayRequest {
            method: "GET".into(),
            path: "/dev/mock".into(),
            query: Some(query.clone()),
            headers: vec![("Host".into(), "localhost".into())],
            ..Default::default()
        };
        let reply = send(&gw, request).await;
        assert_eq!(reply.status, 403, "{query}: {:?}", body(&reply));
        assert_eq!(body(&reply)["message"], *message, "{query}");
    }
    // Garbage: 403, never a panic.
    for query in [
        "X-Amz-Algorithm",
        "X-Amz-Algorithm=&X-Amz-Credential=&X-Amz-Date=&X-Amz-SignedHeaders=&X-Amz-Signature=",
        "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=%ZZ%2F%FF&X-Amz-Date=%F0%9F%98%80&X-Amz-SignedHeaders=;;&X-Amz-Signature=\u{1F600}",
        "X-Amz-%41lgorithm=AWS4-HMAC-SHA256&&&=&X-Amz-Expires=-1",
    ] {
        let request = GatewayRequest {
            method: "GET".into(),
            path: "/dev/mock".into(),
            query: Some(query.into()),
            headers: vec![("Host".into(), "bad host\u{1F600}".into())],
            ..Default::default()
        };
        let reply = send(&gw, request).await;
        assert_eq!(reply.status, 403, "{query}: {:?}", body(&reply));
    }

    let mut both = signed("GET", "/dev/mock", b"", SECRET, REGION, SystemTime::now());
    both.query = Some("X-Amz-Algorithm=AWS4-HMAC-SHA256".into());
    assert_forbidden(
        &send(&gw, both).await,
        "InvalidSignatureException",
        "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header.",
    );
}

// Temporary credentials in a presigned URL: the session token travels in
// X-Amz-Security-Token, inside the signed query ("Common Parameters":
// "If you are using temporary security credentials from AWS STS, you must
// include the security token"). Missing, unexpected or another token:
// "The security token included in the request is invalid." A key with a
// token from a credentials file's `aws_session_token` works the same.
#[tokio::test]
async fn iam_presigned_urls_carry_session_tokens() {
    let auth = LocalAuth::new(REGION)
        .with_credentials_file(&format!(
            "[temporary]\naws_access_key_id = {KEY_ID}\naws_secret_access_key = {SECRET}\naws_session_token = session-1\n"
        ))
        .expect("reads");
    let gw = gateway(&api("AWS_IAM", json!({})), auth);
    let now = SystemTime::now();
    let minute = Duration::from_secs(60);

    let url = presigned(
        (KEY_ID, SECRET, Some("session-1")),
        "/dev/mock",
        now,
        minute,
    );
    assert_eq!(param(&url, "X-Amz-Security-Token"), "session-1");
    let reply = send(&gw, url).await;
    assert_eq!(reply.status, 200, "{:?}", body(&reply));
    assert_eq!(
        body(&reply)["userArn"],
        "arn:aws:iam::123456789012:user/temporary"
    );

    for token in [None, Some("session-2")] {
        let url = presigned((KEY_ID, SECRET, token), "/dev/mock", now, minute);
        let reply = send(&gw, url).await;
        assert_forbidden(&reply, "AccessDeniedException", INVALID_TOKEN);
    }

    // A token for a key that has none.
    let url = presigned(
        (KEY_ID, SECRET, Some("session-1")),
        "/dev/mock",
        now,
        minute,
    );
    let reply = send(&iam_gateway(), url).await;
    assert_forbidden(&reply, "AccessDeniedException", INVALID_TOKEN);
}

// General Reference, "Handling dates in Signature Version 4": "If AWS
// can't find a value for x-amz-date, it looks for the date header", whose
// time stamp "must be in UTC and in the following ISO 8601 format:
// YYYYMMDD'T'HHMMSS'Z'". The SDK's signer is told to leave X-Amz-Date out
// of the signature, and the request carries `Date` instead. Another
// format answers AWS's "Date must be in ISO-8601 'basic format'" (the
// IncompleteSignatureException text dynalite records).
#[tokio::test]
async fn iam_accepts_the_date_header_in_place_of_x_amz_date() {
    use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
    let gw = iam_gateway();
    let now = SystemTime::now();
    let by_date = |date: &str| {
        let host = "localhost";
        let headers = [("host", host), ("date", date)];
        let identity =
            aws_credential_types::Credentials::new(KEY_ID, SECRET, None, None, "test").into();
        let mut settings = SigningSettings::default();
        if let Some(excluded) = settings.excluded_headers.as_mut() {
            excluded.push("x-amz-date".into());
        }
        let params = aws_sigv4::sign::v4::SigningParams::builder()
            .identity(&identity)
            .region(REGION)
            .name("execute-api")
            .time(now)
            .settings(settings)
            .build()
            .unwrap()
            .into();
        let signable = SignableRequest::new(
            "GET",
            "http://localhost/dev/mock",
            headers.iter().copied(),
            SignableBody::Bytes(b""),
        )
        .unwrap();
        let (instructions, _) = sign(signable, &params).unwrap().into_parts();
        let authorization = instructions
            .headers()
            .find(|(k, _)| k.eq_ignore_ascii_case("authorization"))
            .map(|(_, v)| v.to_owned())
            .unwrap();
        assert!(
            authorization.contains("SignedHeaders=date;host,"),
            "{authorization}"
        );
        GatewayRequest {
            method: "GET".into(),
            path: "/dev/mock".into(),
            headers: vec![
                ("Host".into(), host.into()),
                ("Date".into(), date.into()),
                ("Authorization".into(), authorization),
            ],
            ..Default::default()
        }
    };
    let iso = phalanx_gateway::clock::amz_date(now);
    let reply = send(&gw, by_date(&iso)).await;
    assert_eq!(reply.status, 200, "{:?}", body(&reply));
    assert_eq!(body(&reply)["accessKey"], KEY_ID);

    let rfc1123 = "Mon, 09 Sep 2011 23:36:00 GMT";
    let reply = send(&gw, by_date(rfc1123)).await;
    assert_eq!(reply.status, 403);
    assert_eq!(
        body(&reply)["message"],
        format!(
            "Date must be in ISO-8601 'basic format'. Got '{rfc1123}'. See http://en.wikipedia.org/wiki/ISO_8601"
        )
    );
}
