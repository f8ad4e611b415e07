//! `phalanx serve --template … --jwks POOL=FILE --credentials FILE`: a
//! Cognito user pool authorizer and an `AWS_IAM` method, end to end over
//! loopback TCP. The RSA key is made by the test; requests are signed by
//! the AWS SDK's signer (`aws-sigv4`). AWS's answers are pinned, with
//! their sources, in `phalanx-gateway/tests/auth.rs`; here the flags and
//! the server are checked.

mod common;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::{Server, serve};
use serde_json::{Value, json};
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

const POOL: &str = "eu-west-1_E2ePool";
const KEY_ID: &str = "AKIDE2EEXAMPLE";
const SECRET: &str = "e2e/secret/key";

const TEMPLATE: &str = r#"
AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Api:
    Type: AWS::ApiGateway::RestApi
    Properties:
      Name: auth-e2e
  Pool:
    Type: AWS::ApiGateway::Authorizer
    Properties:
      Name: Pool
      RestApiId: !Ref Api
      Type: COGNITO_USER_POOLS
      IdentitySource: method.request.header.Authorization
      ProviderARNs:
        - arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_E2ePool
  Me:
    Type: AWS::ApiGateway::Resource
    Properties:
      RestApiId: !Ref Api
      ParentId: !GetAtt Api.RootResourceId
      PathPart: me
  GetMe:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Api
      ResourceId: !Ref Me
      HttpMethod: GET
      AuthorizationType: COGNITO_USER_POOLS
      AuthorizerId: !Ref Pool
      MethodResponses: [{StatusCode: "200"}]
      Integration:
        Type: MOCK
        RequestTemplates: {application/json: '{"statusCode": 200}'}
        IntegrationResponses:
          - StatusCode: "200"
            ResponseTemplates:
              application/json: '{"user": "$context.authorizer.claims[''cognito:username'']"}'
  Signed:
    Type: AWS::ApiGateway::Resource
    Properties:
      RestApiId: !Ref Api
      ParentId: !GetAtt Api.RootResourceId
      PathPart: signed
  PostSigned:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Api
      ResourceId: !Ref Signed
      HttpMethod: POST
      AuthorizationType: AWS_IAM
      MethodResponses: [{StatusCode: "200"}]
      Integration:
        Type: MOCK
        RequestTemplates: {application/json: '{"statusCode": 200}'}
        IntegrationResponses:
          - StatusCode: "200"
            ResponseTemplates:
              application/json: '{"key": "$context.identity.accessKey", "arn": "$context.identity.userArn"}'
"#;

fn start(dir: &Path, jwks: &Path, credentials: &Path) -> Server {
    let template = dir.join("template.yaml");
    std::fs::write(&template, TEMPLATE).unwrap();
    let mut command = serve();
    command
        .current_dir(dir)
        // Only the credentials file's key.
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .env_remove("AWS_SESSION_TOKEN")
        .args(["--region", "eu-west-1"])
        .arg("--template")
        .arg(&template)
        .arg("--jwks")
        .arg(format!("{POOL}={}", jwks.display()))
        .arg("--credentials")
        .arg(credentials);
    Server::start(command)
}

/// One request to `/dev{path}`: status and body.
fn http(
    server: &Server,
    method: &str,
    path: &str,
    headers: &[(String, String)],
    body: &str,
) -> (u16, String) {
    let headers: Vec<(&str, &str)> = headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let reply = server.request(method, path, &headers, body);
    (reply.status, reply.body)
}

fn token(der: &[u8], claims: &Value) -> String {
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
    header.kid = Some("e2e".into());
    jsonwebtoken::encode(
        &header,
        claims,
        &jsonwebtoken::EncodingKey::from_rsa_der(der),
    )
    .unwrap()
}

/// The headers the SDK's signer adds to a request with `host` and `body`.
fn sign(host: &str, method: &str, path: &str, body: &str, secret: &str) -> Vec<(String, String)> {
    use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
    let identity =
        aws_credential_types::Credentials::new(KEY_ID, secret, None, None, "test").into();
    let params = aws_sigv4::sign::v4::SigningParams::builder()
        .identity(&identity)
        .region("eu-west-1")
        .name("execute-api")
        .time(SystemTime::now())
        .settings(SigningSettings::default())
        .build()
        .unwrap()
        .into();
    let uri = format!("http://{host}{path}");
    let headers = [("host", host), ("content-type", "application/json")];
    let signable = SignableRequest::new(
        method,
        uri.as_str(),
        headers.iter().copied(),
        SignableBody::Bytes(body.as_bytes()),
    )
    .unwrap();
    let (instructions, _) = sign(signable, &params).unwrap().into_parts();
    let mut out: Vec<(String, String)> = headers
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    out.extend(
        instructions
            .headers()
            .map(|(k, v)| (k.to_string(), v.to_string())),
    );
    out
}

#[test]
fn serve_checks_cognito_tokens_and_sigv4_signatures() {
    let dir = tempfile::tempdir().unwrap();

    // A key made now; its public half is the pool's JWKS.
    use rsa::Generate;
    use rsa::pkcs1::EncodeRsaPrivateKey;
    use rsa::traits::PublicKeyParts;
    let key = rsa::PrivateKey::generate();
    let der = key.to_pkcs1_der().unwrap().as_bytes().to_vec();
    let jwks = dir.path().join("jwks.json");
    let set = json!({"keys": [{"kty": "RSA", "alg": "RS256", "use": "sig", "kid": "e2e",
        "n": URL_SAFE_NO_PAD.encode(key.n_bytes()), "e": URL_SAFE_NO_PAD.encode(key.e_bytes())}]});
    std::fs::write(&jwks, set.to_string()).unwrap();
    let credentials = dir.path().join("credentials");
    std::fs::write(
        &credentials,
        format!("[e2e-user]\naws_access_key_id = {KEY_ID}\naws_secret_access_key = {SECRET}\n"),
    )
    .unwrap();
    let server = start(dir.path(), &jwks, &credentials);

    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let claims = json!({
        "sub": "u-1", "token_use": "id", "cognito:username": "e2e-user",
        "iss": format!("https://cognito-idp.eu-west-1.amazonaws.com/{POOL}"),
        "exp": now + 600, "iat": now,
    });
    let auth = |t: &str| vec![("Authorization".to_string(), t.to_string())];

    let (status, body) = http(&server, "GET", "/me", &auth(&token(&der, &claims)), "");
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap(),
        json!({"user": "e2e-user"})
    );
    let (status, body) = http(&server, "GET", "/me", &[], "");
    assert_eq!(
        (status, body.as_str()),
        (401, r#"{"message":"Unauthorized"}"#)
    );
    let mut expired = claims.clone();
    expired["exp"] = json!(now - 1);
    let (status, body) = http(&server, "GET", "/me", &auth(&token(&der, &expired)), "");
    assert_eq!(
        (status, body.as_str()),
        (401, r#"{"message":"The incoming token has expired"}"#)
    );

    // SigV4: signed for the Host header the server receives.
    let host = server.host_port().to_string();
    let payload = r#"{"n": 1}"#;
    let headers = sign(&host, "POST", "/dev/signed", payload, SECRET);
    let (status, body) = http(&server, "POST", "/signed", &headers, payload);
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap(),
        json!({"key": KEY_ID, "arn": "arn:aws:iam::123456789012:user/e2e-user"})
    );
    let (status, body) = http(&server, "POST", "/signed", &headers, r#"{"n": 2}"#);
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("The request signature we calculated does not match"));
    let wrong = sign(&host, "POST", "/dev/signed", payload, "not-the-secret");
    let (status, _) = http(&server, "POST", "/signed", &wrong, payload);
    assert_eq!(status, 403);
    let (status, body) = http(&server, "POST", "/signed", &[], payload);
    assert_eq!(
        (status, body.as_str()),
        (403, r#"{"message":"Missing Authentication Token"}"#)
    );
}
