//! Authorization and request models declared in Rust (issue 14, items 6
//! and 7): the `orders` example's authorizers, IAM method, API keys,
//! usage plan and derived request model — in process, exported to
//! CloudFormation (cfn-lint) and OpenAPI (openapi-spec-validator) in the
//! shapes AWS documents, and imported back.
//!
//! Shapes, as AWS documents them:
//! - CloudFormation resource reference: `AWS::ApiGateway::Authorizer`
//!   (`Type`, `AuthorizerUri` "arn:aws:apigateway:REGION:lambda:path/
//!   2015-03-31/functions/FUNCTION_ARN/invocations", `IdentitySource`,
//!   `IdentityValidationExpression`, `AuthorizerResultTtlInSeconds`,
//!   `ProviderARNs`), `AWS::ApiGateway::Method` (`AuthorizationType`
//!   NONE | AWS_IAM | CUSTOM | COGNITO_USER_POOLS, `AuthorizerId`,
//!   `AuthorizationScopes`, `ApiKeyRequired`, `RequestModels`,
//!   `RequestValidatorId`), `AWS::ApiGateway::ApiKey`,
//!   `AWS::ApiGateway::UsagePlan` (`ApiStages[].Throttle` keyed
//!   "/path/METHOD", `Throttle`, `Quota`), `AWS::ApiGateway::UsagePlanKey`
//!   (`KeyType: API_KEY`), `AWS::ApiGateway::Model`,
//!   `AWS::Lambda::Permission` (principal `apigateway.amazonaws.com`).
//! - API Gateway developer guide, "x-amazon-apigateway-authorizer object"
//!   and "x-amazon-apigateway-authtype property": a security scheme of
//!   type `apiKey` in a header, with `x-amazon-apigateway-authtype`
//!   (`custom`, `cognito_user_pools`, `awsSigv4`) and the authorizer
//!   object (`type` token | request | cognito_user_pools, `authorizerUri`,
//!   `identitySource`, `identityValidationExpression`,
//!   `authorizerResultTtlInSeconds`, `providerARNs`); "Set up method-level
//!   authorization scopes": scopes in the operation's security requirement.
//! - "Use request validation in API Gateway": a body that does not match
//!   the model is answered 400 `{"message": "Invalid request body"}`.

mod common;
#[allow(dead_code)]
#[path = "../examples/orders.rs"]
mod orders;

use common::{cfn_lint, openapi_validator, passes};
use phalanx::gateway::cloudformation::{ImportOptions, import};
use phalanx::gateway::model::{self, AuthorizerType};
use phalanx::gateway::openapi::OpenApiOptions;
use phalanx::gateway::{Gateway, GatewayReply, GatewayRequest};
use serde_json::{Value, json};

const KEY: &str = "partner-key-0123456789abcdef";

fn request(method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> GatewayRequest {
    let mut all = vec![
        ("content-type".to_string(), "application/json".to_string()),
        ("user-agent".to_string(), "t".to_string()),
    ];
    all.extend(headers.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    GatewayRequest {
        method: method.into(),
        path: path.into(),
        headers: all,
        body: body.to_string().into(),
        source_ip: "127.0.0.1".into(),
        ..GatewayRequest::default()
    }
}

fn body(reply: &GatewayReply) -> Value {
    serde_json::from_slice(&reply.body).unwrap_or(Value::Null)
}

/// The requests about the body model and the API key, which the engine
/// on this branch enforces.
fn key_and_model_requests() -> Vec<(GatewayRequest, u16, Value)> {
    let key = [("x-api-key", KEY)];
    vec![
        (
            request(
                "POST",
                "/dev/orders",
                &key,
                r#"{"item": "pen", "quantity": 2}"#,
            ),
            201,
            json!({"item": "pen", "quantity": 2}),
        ),
        // Quantity out of the model's range, a missing item, a wrong type,
        // not an object: the validator answers, the function never runs.
        (
            request(
                "POST",
                "/dev/orders",
                &key,
                r#"{"item": "pen", "quantity": 0}"#,
            ),
            400,
            json!({"message": "Invalid request body"}),
        ),
        (
            request("POST", "/dev/orders", &key, r#"{"quantity": 2}"#),
            400,
            json!({"message": "Invalid request body"}),
        ),
        (
            request("POST", "/dev/orders", &key, r#"{"item": 1, "quantity": 2}"#),
            400,
            json!({"message": "Invalid request body"}),
        ),
        (
            request("POST", "/dev/orders", &key, "[1]"),
            400,
            json!({"message": "Invalid request body"}),
        ),
        // No key, a wrong key: 403 Forbidden (developer guide, "Choose an
        // API key source": a missing or unknown key is refused).
        (
            request(
                "POST",
                "/dev/orders",
                &[],
                r#"{"item": "pen", "quantity": 2}"#,
            ),
            403,
            json!({"message": "Forbidden"}),
        ),
        (
            request(
                "POST",
                "/dev/orders",
                &[("x-api-key", "not-a-key-0123456789abcdef")],
                r#"{"item": "pen", "quantity": 2}"#,
            ),
            403,
            json!({"message": "Forbidden"}),
        ),
    ]
}

async fn assert_answers(gateway: &Gateway, cases: Vec<(GatewayRequest, u16, Value)>, what: &str) {
    for (r, status, expected) in cases {
        let case = format!(
            "{what}: {} {} {:?}",
            r.method,
            r.path,
            String::from_utf8_lossy(&r.body)
        );
        let reply = gateway.handle(r).await;
        assert_eq!((reply.status, body(&reply)), (status, expected), "{case}");
    }
}

/// The in-process service validates bodies against the model derived from
/// `NewOrder` and checks API keys, before any function runs.
#[tokio::test]
async fn in_process_the_model_and_the_api_key_are_checked_first() {
    let gateway = orders::service().gateway(None).unwrap();
    assert_answers(&gateway, key_and_model_requests(), "in process").await;
}

/// A body that does not match is refused before the function runs: a
/// handler that counts its calls is never called.
#[tokio::test]
async fn an_invalid_body_never_reaches_the_function() {
    use phalanx::{Api, ApiGatewayRequest, Context, Function, JsonSchema, Method, StatusCode};
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[derive(serde::Deserialize, JsonSchema)]
    #[schemars(crate = "phalanx::schemars")]
    #[allow(dead_code)]
    struct Point {
        x: f64,
        #[schemars(range(min = 0))]
        y: i64,
    }
    let calls = Arc::new(AtomicUsize::new(0));
    let counted = calls.clone();
    let f = Function::new("f", move |_: ApiGatewayRequest<Point>, _: Context| {
        let counted = counted.clone();
        async move {
            counted.fetch_add(1, Ordering::SeqCst);
            Ok::<_, std::convert::Infallible>("ok")
        }
    });
    let mut api = Api::new("points");
    api.resource("/points", &f)
        .method(Method::POST, StatusCode::OK)
        .request_body::<Point>();
    let gateway = phalanx::Service::new("points")
        .function(f)
        .api(api)
        .gateway(None)
        .unwrap();
    for invalid in [
        r#"{"x": 1}"#,
        r#"{"x": 1, "y": -1}"#,
        r#"{"x": "1", "y": 1}"#,
        "oops",
    ] {
        let reply = gateway
            .handle(request("POST", "/dev/points", &[], invalid))
            .await;
        assert_eq!(reply.status, 400, "{invalid}");
        assert_eq!(body(&reply), json!({"message": "Invalid request body"}));
    }
    assert_eq!(calls.load(Ordering::SeqCst), 0);
    let reply = gateway
        .handle(request("POST", "/dev/points", &[], r#"{"x": 1.5, "y": 2}"#))
        .await;
    assert_eq!(reply.status, 200);
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

/// The authorizer is a function of the service like any other: invoked
/// directly (as Lambda would, with AWS's TOKEN event) it answers AWS's
/// policy document.
#[tokio::test]
async fn the_authorizer_function_answers_a_policy() {
    let service = orders::service();
    let functions = service.in_process();
    let model = service.model();
    let authorizer = &model.authorizers[0];
    let function = authorizer.function.as_deref().unwrap();
    assert_eq!(function, "CheckToken");
    assert!(model.functions.contains_key(function));
    let event = json!({
        "type": "TOKEN",
        "authorizationToken": "Bearer alice",
        "methodArn": "arn:aws:execute-api:us-east-1:123456789012:abc123/dev/GET/orders"
    });
    use phalanx::gateway::invoke::{Invocation, InvokeOutput, Invoker};
    let output = functions
        .invoke(Invocation {
            function: function.to_string(),
            payload: event.to_string().into_bytes().into(),
            request_id: "r".into(),
            timeout: std::time::Duration::from_secs(3),
        })
        .await
        .unwrap();
    let InvokeOutput::Success(payload) = output else {
        panic!("{output:?}");
    };
    let answer: Value = serde_json::from_slice(&payload).unwrap();
    assert_eq!(answer["principalId"], "alice");
    assert_eq!(
        answer["policyDocument"],
        json!({"Version": "2012-10-17", "Statement": [{
            "Action": ["execute-api:Invoke"],
            "Effect": "Allow",
            "Resource": ["arn:aws:execute-api:us-east-1:123456789012:abc123/dev/GET/orders"]
        }]})
    );
    assert_eq!(answer["context"], json!({"user": "alice"}));
}

/// The model the builders make: what the engine enforces.
#[test]
fn the_model_has_the_authorizers_keys_plans_and_models() {
    let model = orders::service().model();
    assert_eq!(
        model.authorizers,
        vec![
            model::Authorizer {
                name: "check-token".into(),
                kind: AuthorizerType::Token,
                function: Some("CheckToken".into()),
                authorizer_uri: Some("arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:CheckToken/invocations".into()),
                identity_source: Some("method.request.header.Authorization".into()),
                identity_validation_expression: Some("^Bearer .+$".into()),
                authorizer_result_ttl_in_seconds: Some(300),
                provider_arns: vec![],
            },
            model::Authorizer {
                name: "users".into(),
                kind: AuthorizerType::CognitoUserPools,
                identity_source: Some("method.request.header.Authorization".into()),
                provider_arns: vec!["arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_AbCdEfGhI".into()],
                ..model::Authorizer::default()
            },
        ]
    );
    let method = |verb: &str, path: &str| {
        model
            .methods
            .iter()
            .find(|m| m.http_method == verb && m.resource_path == path)
            .unwrap()
            .clone()
    };
    let post = method("POST", "/orders");
    assert!(post.api_key_required);
    assert_eq!(post.request_models["application/json"], "NewOrder");
    assert_eq!(post.request_validator.as_deref(), Some("body"));
    let get = method("GET", "/orders");
    assert_eq!(get.authorization_type.as_deref(), Some("CUSTOM"));
    assert_eq!(get.authorizer.as_deref(), Some("check-token"));
    let mine = method("GET", "/orders/mine");
    assert_eq!(
        mine.authorization_type.as_deref(),
        Some("COGNITO_USER_POOLS")
    );
    assert_eq!(mine.authorization_scopes, vec!["orders/read".to_string()]);
    let all = method("GET", "/orders/all");
    assert_eq!(all.authorization_type.as_deref(), Some("AWS_IAM"));
    assert_eq!(all.authorizer, None);

    assert_eq!(
        model.api_keys,
        vec![model::ApiKey {
            name: "partner".into(),
            value: KEY.into(),
            enabled: true,
            stages: vec!["dev".into()],
        }]
    );
    assert_eq!(
        model.usage_plans,
        vec![model::UsagePlan {
            name: "partners".into(),
            api_stages: vec![model::UsagePlanStage {
                stage: "dev".into(),
                throttle: [(
                    "/orders/POST".to_string(),
                    model::Throttle {
                        rate_limit: Some(5.0),
                        burst_limit: Some(10)
                    }
                )]
                .into_iter()
                .collect(),
            }],
            throttle: Some(model::Throttle {
                rate_limit: Some(50.0),
                burst_limit: Some(100)
            }),
            quota: Some(model::Quota {
                limit: 10_000,
                period: "MONTH".into(),
                offset: 0
            }),
            api_keys: vec!["partner".into()],
        }]
    );
    assert_eq!(
        model.stages[0].method_settings,
        vec![
            model::MethodSetting {
                resource_path: "/*".into(),
                http_method: "*".into(),
                throttling_rate_limit: Some(1000.0),
                throttling_burst_limit: Some(2000),
            },
            model::MethodSetting {
                resource_path: "/orders/all".into(),
                http_method: "GET".into(),
                throttling_rate_limit: Some(10.0),
                throttling_burst_limit: Some(20),
            },
        ]
    );
    let schema = &model.models[0].schema;
    assert_eq!(model.models[0].name, "NewOrder");
    assert_eq!(schema["$schema"], "http://json-schema.org/draft-04/schema#");
    assert_eq!(schema["required"], json!(["item", "quantity"]));
    assert_eq!(
        schema["properties"]["quantity"],
        json!({"description": "How many.", "type": "integer", "format": "uint32", "minimum": 1, "maximum": 100})
    );
}

/// The CloudFormation export: the resources and properties of AWS's
/// CloudFormation reference, accepted by cfn-lint.
#[test]
fn the_cloudformation_export_declares_auth_as_aws_documents_it() {
    let template = phalanx::export::cloudformation(&orders::service());
    passes(&cfn_lint(), "orders", &template);
    let resources = &template["Resources"];

    assert_eq!(
        resources["AuthorizerCheckToken"],
        json!({"Type": "AWS::ApiGateway::Authorizer", "Properties": {
            "RestApiId": {"Ref": "RestApi"},
            "Name": "check-token",
            "Type": "TOKEN",
            "AuthorizerUri": {"Fn::Sub": "arn:${AWS::Partition}:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${CheckToken.Arn}/invocations"},
            "IdentitySource": "method.request.header.Authorization",
            "IdentityValidationExpression": "^Bearer .+$",
            "AuthorizerResultTtlInSeconds": 300
        }})
    );
    assert_eq!(
        resources["AuthorizerUsers"]["Properties"],
        json!({
            "RestApiId": {"Ref": "RestApi"},
            "Name": "users",
            "Type": "COGNITO_USER_POOLS",
            "IdentitySource": "method.request.header.Authorization",
            "ProviderARNs": ["arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_AbCdEfGhI"]
        })
    );
    // API Gateway may invoke the authorizer's function as that authorizer
    // only (SourceArn .../authorizers/ID), and the function has no
    // permission for methods, which never integrate with it.
    assert_eq!(
        resources["AuthorizerCheckTokenPermission"]["Properties"],
        json!({
            "Action": "lambda:InvokeFunction",
            "FunctionName": {"Fn::GetAtt": ["CheckToken", "Arn"]},
            "Principal": "apigateway.amazonaws.com",
            "SourceArn": {"Fn::Sub": "arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:${RestApi}/authorizers/${AuthorizerCheckToken}"}
        })
    );
    assert_eq!(resources["CheckToken"]["Type"], "AWS::Lambda::Function");
    assert_eq!(
        resources["CheckToken"]["Properties"]["Handler"],
        "check-token"
    );
    assert!(resources.get("CheckTokenPermission").is_none());

    let get = &resources["MethodOrdersGet"]["Properties"];
    assert_eq!(get["AuthorizationType"], "CUSTOM");
    assert_eq!(get["AuthorizerId"], json!({"Ref": "AuthorizerCheckToken"}));
    let mine = &resources["MethodOrdersMineGet"]["Properties"];
    assert_eq!(mine["AuthorizationType"], "COGNITO_USER_POOLS");
    assert_eq!(mine["AuthorizerId"], json!({"Ref": "AuthorizerUsers"}));
    assert_eq!(mine["AuthorizationScopes"], json!(["orders/read"]));
    let all = &resources["MethodOrdersAllGet"]["Properties"];
    assert_eq!(all["AuthorizationType"], "AWS_IAM");
    assert!(all.get("AuthorizerId").is_none());
    let post = &resources["MethodOrdersPost"]["Properties"];
    assert_eq!(post["AuthorizationType"], "NONE");
    assert_eq!(post["ApiKeyRequired"], true);
    assert_eq!(
        post["RequestModels"],
        json!({"application/json": {"Ref": "ModelNewOrder"}})
    );
    assert_eq!(post["RequestValidatorId"], json!({"Ref": "ValidatorBody"}));

    assert_eq!(
        resources["ValidatorBody"]["Properties"],
        json!({"RestApiId": {"Ref": "RestApi"}, "Name": "body", "ValidateRequestBody": true, "ValidateRequestParameters": false})
    );
    let model = &resources["ModelNewOrder"];
    assert_eq!(model["Type"], "AWS::ApiGateway::Model");
    assert_eq!(model["Properties"]["Name"], "NewOrder");
    assert_eq!(model["Properties"]["ContentType"], "application/json");
    assert_eq!(
        model["Properties"]["Schema"]["$schema"],
        "http://json-schema.org/draft-04/schema#"
    );

    // Stage throttles: `/*` `*` for the stage, and the method's path with
    // its slashes after the first written `~1` (CloudFormation reference,
    // AWS::ApiGateway::Stage MethodSetting, ResourcePath).
    assert_eq!(
        resources["Stage"]["Properties"]["MethodSettings"],
        json!([
            {"ResourcePath": "/*", "HttpMethod": "*", "ThrottlingRateLimit": 1000.0, "ThrottlingBurstLimit": 2000},
            {"ResourcePath": "/~1orders~1all", "HttpMethod": "GET", "ThrottlingRateLimit": 10.0, "ThrottlingBurstLimit": 20}
        ])
    );
    assert_eq!(
        resources["ApiKeyPartner"],
        json!({"Type": "AWS::ApiGateway::ApiKey", "Properties": {"Name": "partner", "Value": KEY, "Enabled": true}})
    );
    assert_eq!(
        resources["UsagePlanPartners"],
        json!({"Type": "AWS::ApiGateway::UsagePlan", "Properties": {
            "UsagePlanName": "partners",
            "ApiStages": [{
                "ApiId": {"Ref": "RestApi"},
                "Stage": {"Ref": "Stage"},
                "Throttle": {"/orders/POST": {"BurstLimit": 10, "RateLimit": 5.0}}
            }],
            "Throttle": {"BurstLimit": 100, "RateLimit": 50.0},
            "Quota": {"Limit": 10000, "Period": "MONTH"}
        }})
    );
    assert_eq!(
        resources["UsagePlanPartnersApiKeyPartner"],
        json!({"Type": "AWS::ApiGateway::UsagePlanKey", "Properties": {
            "KeyId": {"Ref": "ApiKeyPartner"},
            "KeyType": "API_KEY",
            "UsagePlanId": {"Ref": "UsagePlanPartners"}
        }})
    );
}

/// The OpenAPI export: security schemes with API Gateway's extensions, per
/// operation security, the model as a component schema and the request
/// body; valid OpenAPI 3.0.
#[test]
fn the_openapi_export_declares_auth_as_aws_documents_it() {
    let document = phalanx::export::openapi(&orders::service());
    passes(&openapi_validator(), "orders", &document);
    let schemes = &document["components"]["securitySchemes"];
    assert_eq!(
        schemes["check-token"],
        json!({
            "type": "apiKey",
            "name": "Authorization",
            "in": "header",
            "x-amazon-apigateway-authtype": "custom",
            "x-amazon-apigateway-authorizer": {
                "type": "token",
                "authorizerUri": "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:check-token/invocations",
                "identityValidationExpression": "^Bearer .+$",
                "authorizerResultTtlInSeconds": 300
            }
        })
    );
    assert_eq!(
        schemes["users"],
        json!({
            "type": "apiKey",
            "name": "Authorization",
            "in": "header",
            "x-amazon-apigateway-authtype": "cognito_user_pools",
            "x-amazon-apigateway-authorizer": {
                "type": "cognito_user_pools",
                "providerARNs": ["arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_AbCdEfGhI"]
            }
        })
    );
    assert_eq!(
        schemes["sigv4"],
        json!({"type": "apiKey", "name": "Authorization", "in": "header", "x-amazon-apigateway-authtype": "awsSigv4"})
    );
    assert_eq!(
        schemes["api_key"],
        json!({"type": "apiKey", "name": "x-api-key", "in": "header"})
    );
    let paths = &document["paths"];
    assert_eq!(
        paths["/orders"]["get"]["security"],
        json!([{"check-token": []}])
    );
    assert_eq!(
        paths["/orders/mine"]["get"]["security"],
        json!([{"users": ["orders/read"]}])
    );
    assert_eq!(
        paths["/orders/all"]["get"]["security"],
        json!([{"sigv4": []}])
    );
    let post = &paths["/orders"]["post"];
    assert_eq!(post["security"], json!([{"api_key": []}]));
    assert_eq!(
        post["requestBody"],
        json!({"content": {"application/json": {"schema": {"$ref": "#/components/schemas/NewOrder"}}}, "required": true})
    );
    assert_eq!(post["x-amazon-apigateway-request-validator"], "body");
    let schema = &document["components"]["schemas"]["NewOrder"];
    assert_eq!(schema["type"], "object");
    assert!(schema.get("$schema").is_none());
    assert_eq!(
        document["x-amazon-apigateway-request-validators"]["body"],
        json!({"validateRequestBody": true, "validateRequestParameters": false})
    );
}

/// A request REQUEST authorizer's identity sources and the API key source
/// reach both exports.
#[test]
fn a_request_authorizer_and_the_key_source_are_exported() {
    use phalanx::auth::{self, ApiKeySource, Authorizer, RequestEvent};
    use phalanx::{Api, Context, Function, Method, Service, StatusCode};
    let by_key = Authorizer::request("by-key", |e: RequestEvent, _: Context| async move {
        Ok::<_, &str>(auth::allow("k", &e.method_arn.unwrap_or_default()))
    })
    .identity_source("method.request.header.X-Key, method.request.querystring.key")
    .ttl(std::time::Duration::ZERO);
    let f = Function::new("f", |e: Value, _: Context| async move {
        Ok::<_, std::convert::Infallible>(e)
    });
    let mut api = Api::new("keys").api_key_source(ApiKeySource::Authorizer);
    api.resource("/", &f)
        .method(Method::GET, StatusCode::OK)
        .authorizer(&by_key)
        .api_key_required();
    let service = Service::new("keys").function(f).api(api);

    let template = phalanx::export::cloudformation(&service);
    passes(&cfn_lint(), "keys", &template);
    let r = &template["Resources"];
    assert_eq!(r["RestApi"]["Properties"]["ApiKeySourceType"], "AUTHORIZER");
    assert_eq!(r["AuthorizerByKey"]["Properties"]["Type"], "REQUEST");
    assert_eq!(
        r["AuthorizerByKey"]["Properties"]["IdentitySource"],
        "method.request.header.X-Key, method.request.querystring.key"
    );
    assert_eq!(
        r["AuthorizerByKey"]["Properties"]["AuthorizerResultTtlInSeconds"],
        0
    );

    let document = phalanx::export::openapi(&service);
    passes(&openapi_validator(), "keys", &document);
    assert_eq!(document["x-amazon-apigateway-api-key-source"], "AUTHORIZER");
    assert_eq!(
        document["components"]["securitySchemes"]["by-key"],
        json!({
            "type": "apiKey",
            "name": "X-Key",
            "in": "header",
            "x-amazon-apigateway-authtype": "custom",
            "x-amazon-apigateway-authorizer": {
                "type": "request",
                "authorizerUri": "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:by-key/invocations",
                "identitySource": "method.request.header.X-Key, method.request.querystring.key",
                "authorizerResultTtlInSeconds": 0
            }
        })
    );
    assert_eq!(
        document["paths"]["/"]["get"]["security"],
        json!([{"api_key": [], "by-key": []}])
    );
}

fn cloudformation_round_trip() -> model::RestApi {
    let template =
        serde_json::to_string(&phalanx::export::cloudformation(&orders::service())).unwrap();
    import(&template, "orders.json", &ImportOptions::default())
        .unwrap_or_else(|e| panic!("{e}"))
        .api
}

fn openapi_round_trip() -> model::RestApi {
    let service = orders::service();
    let document = serde_json::to_string(&phalanx::export::openapi(&service)).unwrap();
    let options = OpenApiOptions {
        functions: service.model().functions,
        ..OpenApiOptions::default()
    };
    phalanx::gateway::openapi::import(&document, "orders.json", &options)
        .unwrap_or_else(|e| panic!("{e}"))
        .api
}

fn method<'a>(api: &'a model::RestApi, verb: &str, path: &str) -> &'a model::Method {
    api.methods
        .iter()
        .find(|m| m.http_method == verb && m.resource_path == path)
        .unwrap_or_else(|| panic!("{verb} {path}"))
}

/// Exported to CloudFormation and imported back (`phalanx serve
/// --template`): the methods' authorization, the model and its validator,
/// the keys — and the template served answers the key and model requests
/// as the in-process service does.
#[tokio::test]
async fn the_cloudformation_export_imported_back_keeps_keys_and_models() {
    let service = orders::service();
    let ours = service.model();
    let imported = cloudformation_round_trip();
    for m in &ours.methods {
        let back = method(&imported, &m.http_method, &m.resource_path);
        assert_eq!(
            back.authorization_type, m.authorization_type,
            "{} {}",
            m.http_method, m.resource_path
        );
        assert_eq!(back.api_key_required, m.api_key_required);
        assert_eq!(back.request_models, m.request_models);
        assert_eq!(back.request_validator, m.request_validator);
    }
    assert_eq!(imported.models, ours.models);
    assert_eq!(imported.request_validators, ours.request_validators);
    assert_eq!(imported.api_keys, ours.api_keys);
    let gateway =
        Gateway::build(&imported, "dev", service.in_process()).unwrap_or_else(|e| panic!("{e}"));
    assert_answers(&gateway, key_and_model_requests(), "imported template").await;
}

/// `imported` (an export of `ours` read back) has `ours`'s authorizers and
/// each method's authorizer and scopes. The importer fills `function` from
/// `AuthorizerUri` and keeps the ARN as written (resolved): compared apart.
fn assert_same_authorization(ours: &model::RestApi, imported: &model::RestApi) {
    for m in &ours.methods {
        let back = method(imported, &m.http_method, &m.resource_path);
        assert_eq!(
            back.authorizer, m.authorizer,
            "{} {}",
            m.http_method, m.resource_path
        );
        assert_eq!(back.authorization_scopes, m.authorization_scopes);
    }
    let strip = |a: &model::Authorizer| model::Authorizer {
        authorizer_uri: None,
        ..a.clone()
    };
    assert_eq!(
        imported.authorizers.iter().map(strip).collect::<Vec<_>>(),
        ours.authorizers.iter().map(strip).collect::<Vec<_>>()
    );
}

/// Exported to CloudFormation and imported back, the authorizers, the
/// methods' authorizer names and the usage plan are the service's. These
/// need the engine's import of `AWS::ApiGateway::Authorizer`, of methods'
/// `AuthorizerId`/`AuthorizationScopes`, of `AWS::ApiGateway::UsagePlan`
/// and of a Stage's `MethodSettings`.
#[test]
fn the_cloudformation_export_imported_back_keeps_authorizers_and_plans() {
    let ours = orders::service().model();
    let imported = cloudformation_round_trip();
    assert_same_authorization(&ours, &imported);
    assert_eq!(imported.usage_plans, ours.usage_plans);
    assert_eq!(
        imported.stages[0].method_settings,
        ours.stages[0].method_settings
    );
}

/// The OpenAPI export imported back (`phalanx serve --openapi`): API keys
/// required where they were, the model and validator, and the served
/// document answers the model requests as the service does.
#[tokio::test]
async fn the_openapi_export_imported_back_keeps_keys_and_models() {
    let service = orders::service();
    let ours = service.model();
    let imported = openapi_round_trip();
    for m in &ours.methods {
        let back = method(&imported, &m.http_method, &m.resource_path);
        assert_eq!(back.api_key_required, m.api_key_required);
        // A document says NONE by having no security requirement.
        assert_eq!(
            back.authorization_type.as_deref().unwrap_or("NONE"),
            m.authorization_type.as_deref().unwrap_or("NONE"),
            "{} {}",
            m.http_method,
            m.resource_path
        );
        assert_eq!(back.request_validator, m.request_validator);
        assert_eq!(back.request_models, m.request_models);
    }
    // An OpenAPI document has no API keys or stages: the served document
    // is checked on the model requests only, with a key check off.
    let mut keyless = imported.clone();
    for m in &mut keyless.methods {
        m.api_key_required = false;
    }
    let gateway =
        Gateway::build(&keyless, "dev", service.in_process()).unwrap_or_else(|e| panic!("{e}"));
    let model_cases = key_and_model_requests()
        .into_iter()
        .filter(|(_, status, _)| *status != 403)
        .collect();
    assert_answers(&gateway, model_cases, "imported OpenAPI").await;
}

/// The OpenAPI export imported back keeps the authorizers (the security
/// schemes' `x-amazon-apigateway-authorizer`) and the methods' authorizer
/// names and scopes (the engine's OpenAPI import of authorizers).
#[test]
fn the_openapi_export_imported_back_keeps_authorizers() {
    let ours = orders::service().model();
    let imported = openapi_round_trip();
    assert_same_authorization(&ours, &imported);
}

/// In AWS the service binary is its authorizer's Lambda runtime as well
/// (`PHALANX_FUNCTION` names the function). The exported template served
/// with the `orders` binary as every function's process (through the
/// Runtime API, as `phalanx serve --template FILE --function
/// ID=target/debug/examples/orders` runs it): the authorizer function
/// answers AWS's TOKEN event with its policy, and the API answers the key
/// and model requests as the in-process service does.
#[tokio::test]
async fn the_binary_serves_the_authorizer_and_the_api_through_the_runtime_api() {
    use phalanx::gateway::invoke::{
        FunctionProcess, Invocation, InvokeOutput, Invoker, RuntimeApiHost,
    };
    let imported = cloudformation_round_trip();
    let command = common::example_binary("orders").display().to_string();
    let processes = imported
        .functions
        .iter()
        .map(|(id, f)| FunctionProcess::from_model(id, &command, f))
        .collect();
    let host = RuntimeApiHost::new(processes).unwrap();
    let event = json!({
        "type": "TOKEN",
        "authorizationToken": "Bearer nobody",
        "methodArn": "arn:aws:execute-api:us-east-1:123456789012:abc123/dev/GET/orders"
    });
    let output = host
        .invoke(Invocation {
            function: "CheckToken".into(),
            payload: event.to_string().into_bytes().into(),
            request_id: "r-1".into(),
            timeout: std::time::Duration::from_secs(10),
        })
        .await;
    let gateway = Gateway::build(&imported, "dev", host.clone()).unwrap_or_else(|e| panic!("{e}"));
    assert_answers(
        &gateway,
        key_and_model_requests(),
        "template served by processes",
    )
    .await;
    host.shutdown();
    let Ok(InvokeOutput::Success(payload)) = output else {
        panic!("{output:?}");
    };
    let answer: Value = serde_json::from_slice(&payload).unwrap();
    assert_eq!(answer["principalId"], "nobody");
    assert_eq!(answer["policyDocument"]["Statement"][0]["Effect"], "Deny");
}
