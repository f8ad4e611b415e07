//! OpenAPI import: the documents in `tests/openapi/` (written for these
//! tests) imported into the model, served, and the errors for bad elements,
//! each naming its JSON pointer.

use phalanx_gateway::cloudformation::{ImportOptions, Imported, import as import_template};
use phalanx_gateway::invoke::InProcess;
use phalanx_gateway::model::{ContentHandling, IntegrationType, PassthroughBehavior};
use phalanx_gateway::openapi::{OpenApiOptions, import};
use phalanx_gateway::{Gateway, GatewayReply, GatewayRequest};

fn dir() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/openapi")
}

fn read(name: &str) -> String {
    let path = dir().join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn load(name: &str) -> Imported {
    import(&read(name), name, &OpenApiOptions::default()).unwrap_or_else(|e| panic!("{e}"))
}

/// The error message of importing `source` as `doc.yaml`.
#[track_caller]
fn error(source: &str) -> String {
    match import(source, "doc.yaml", &OpenApiOptions::default()) {
        Ok(imported) => panic!("imported without error: {:#?}", imported.api),
        Err(e) => e.to_string(),
    }
}

fn request(method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> GatewayRequest {
    let (path, query) = match path.split_once('?') {
        Some((p, q)) => (p, Some(q.to_owned())),
        None => (path, None),
    };
    let mut all = vec![("Content-Type".to_owned(), "application/json".to_owned())];
    all.extend(headers.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    GatewayRequest {
        method: method.into(),
        path: path.into(),
        query,
        headers: all,
        body: body.to_owned().into(),
        source_ip: "127.0.0.1".into(),
        protocol: "HTTP/1.1".into(),
    }
}

fn body(reply: &GatewayReply) -> serde_json::Value {
    serde_json::from_slice(&reply.body).unwrap_or_else(|_| {
        serde_json::Value::String(String::from_utf8_lossy(&reply.body).into_owned())
    })
}

fn header<'r>(reply: &'r GatewayReply, name: &str) -> Option<&'r str> {
    reply
        .headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

// ----- OpenAPI 3.0, YAML -----

#[test]
fn openapi_3_paths_operations_and_parameters() {
    let imported = load("bookshelf-3.0.yaml");
    let api = &imported.api;
    assert_eq!(api.name, "bookshelf");
    assert_eq!(api.description.as_deref(), Some("Books on a shelf"));
    let routes: Vec<(String, String)> = api
        .methods
        .iter()
        .map(|m| (m.http_method.clone(), m.resource_path.clone()))
        .collect();
    let expected = [
        ("GET", "/"),
        ("GET", "/books"),
        ("POST", "/books"),
        ("GET", "/books/{isbn}"),
        ("ANY", "/files/{proxy+}"),
    ];
    assert_eq!(
        routes,
        expected.map(|(m, p)| (m.to_owned(), p.to_owned())).to_vec()
    );
    let get_books = &api.methods[1];
    // Path-level parameters (a `$ref` to components) join the operation's.
    assert_eq!(
        get_books.request_parameters.iter().collect::<Vec<_>>(),
        [
            (&"method.request.header.x-tenant".to_owned(), &false),
            (&"method.request.querystring.author".to_owned(), &true),
            (&"method.request.querystring.limit".to_owned(), &false),
        ]
    );
    assert!(api.methods[3].request_parameters["method.request.path.isbn"]);
    // Method responses: status codes, declared headers, response models.
    assert_eq!(get_books.method_responses.len(), 2);
    assert_eq!(get_books.method_responses[0].status_code, "200");
    assert!(!get_books.method_responses[0].response_parameters["method.response.header.x-count"]);
    assert_eq!(
        get_books.method_responses[0].response_models["application/json"],
        "Books"
    );
    assert_eq!(get_books.method_responses[1].status_code, "404");
}

#[test]
fn openapi_3_integrations() {
    let api = load("bookshelf-3.0.yaml").api;
    let get_books = api.methods[1].integration.as_ref().unwrap();
    assert_eq!(get_books.kind, IntegrationType::Mock);
    assert_eq!(
        get_books.passthrough_behavior,
        Some(PassthroughBehavior::WhenNoTemplates)
    );
    assert_eq!(
        get_books.content_handling,
        Some(ContentHandling::ConvertToText)
    );
    assert_eq!(get_books.timeout_in_millis, Some(5000));
    // Responses keyed by selection pattern; `default` has none.
    let responses = &get_books.integration_responses;
    assert_eq!(responses[0].selection_pattern.as_deref(), Some("404"));
    assert_eq!(responses[0].status_code, "404");
    assert_eq!(responses[1].selection_pattern, None);
    assert_eq!(
        responses[1].response_parameters["method.response.header.x-count"],
        "'1'"
    );
    assert_eq!(
        responses[1].content_handling,
        Some(ContentHandling::ConvertToText)
    );
    // A Lambda proxy integration names its function; a bare document's
    // functions are keyed by name.
    let find = api.methods[3].integration.as_ref().unwrap();
    assert_eq!(find.kind, IntegrationType::AwsProxy);
    assert_eq!(find.integration_http_method.as_deref(), Some("POST"));
    assert_eq!(find.function.as_deref(), Some("find-book"));
    assert_eq!(api.functions["find-book"].function_name, "find-book");
    let files = api.methods[4].integration.as_ref().unwrap();
    assert_eq!(files.kind, IntegrationType::HttpProxy);
    assert_eq!(
        files.request_parameters["integration.request.path.proxy"],
        "method.request.path.proxy"
    );
}

#[test]
fn openapi_3_models_validators_security_and_extensions() {
    let imported = load("bookshelf-3.0.yaml");
    let api = &imported.api;
    let names: Vec<&str> = api.models.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names, ["Book", "Books"]);
    // References between schemas become API Gateway's model URLs.
    assert_eq!(
        api.models[1].schema["items"]["$ref"],
        format!(
            "https://apigateway.amazonaws.com/restapis/{}/models/Book",
            api.id
        )
    );
    let post = &api.methods[2];
    assert_eq!(post.request_models["application/json"], "Book");
    assert_eq!(post.request_validator.as_deref(), Some("all"));
    assert!(post.api_key_required);
    // The document's default validator applies where none is named.
    assert_eq!(
        api.methods[1].request_validator.as_deref(),
        Some("params-only")
    );
    assert_eq!(api.request_validators.len(), 2);
    assert!(api.request_validators[0].validate_request_body);
    assert!(!api.request_validators[1].validate_request_body);
    // The authorizer is imported under the scheme's name; without an
    // identitySource, a token authorizer reads the header the scheme names
    // (developer guide, "x-amazon-apigateway-authorizer object" example).
    assert_eq!(api.methods[3].authorization_type.as_deref(), Some("CUSTOM"));
    assert_eq!(api.methods[3].authorizer.as_deref(), Some("librarian"));
    assert!(!api.methods[3].api_key_required);
    let librarian = &api.authorizers[0];
    assert_eq!(librarian.name, "librarian");
    assert_eq!(
        librarian.kind,
        phalanx_gateway::model::AuthorizerType::Token
    );
    assert_eq!(librarian.function.as_deref(), Some("check"));
    assert_eq!(
        librarian.identity_source.as_deref(),
        Some("method.request.header.Authorization")
    );
    assert!(
        !imported.warnings.iter().any(|w| w.contains("librarian")),
        "{:#?}",
        imported.warnings
    );
    assert_eq!(api.binary_media_types, ["image/png", "application/pdf"]);
    let gateway_response = &api.gateway_responses[0];
    assert_eq!(
        gateway_response.response_type,
        "MISSING_AUTHENTICATION_TOKEN"
    );
    assert_eq!(gateway_response.status_code.as_deref(), Some("404"));
    assert_eq!(
        gateway_response.response_parameters["gatewayresponse.header.x-shelf"],
        "'empty'"
    );
}

#[tokio::test]
async fn openapi_3_document_is_served() {
    let api = load("bookshelf-3.0.yaml").api;
    let mut functions = InProcess::new();
    functions.register("find-book", |_event| async {
        Ok(r#"{"statusCode": 200, "body": "{\"title\": \"Dune\"}"}"#.into())
    });
    functions.register("check", |_event| async {
        Ok(r#"{"principalId": "reader", "policyDocument": {"Statement": [{"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": "*"}]}}"#.into())
    });
    let gateway = Gateway::build(&api, "dev", functions).unwrap_or_else(|e| panic!("{e}"));

    let reply = gateway.handle(request("GET", "/dev", &[], "")).await;
    assert_eq!(
        (reply.status, body(&reply)),
        (200, serde_json::json!({"shelf": "main"}))
    );

    let reply = gateway
        .handle(request("GET", "/dev/books?author=Herbert", &[], ""))
        .await;
    assert_eq!(reply.status, 200, "{:?}", body(&reply));
    assert_eq!(header(&reply, "x-count"), Some("1"));
    assert_eq!(body(&reply)["books"][0]["author"], "Herbert");
    let reply = gateway
        .handle(request("GET", "/dev/books?author=nobody", &[], ""))
        .await;
    assert_eq!(reply.status, 404);
    // The default validator checks the required query parameter.
    let reply = gateway.handle(request("GET", "/dev/books", &[], "")).await;
    assert_eq!(reply.status, 400, "{:?}", body(&reply));

    // POST /books needs an API key, which the document alone has none of.
    let reply = gateway
        .handle(request("POST", "/dev/books", &[], r#"{"title": "Emma"}"#))
        .await;
    assert_eq!(reply.status, 403);

    // The librarian's TOKEN authorizer: no token, 401 without a call.
    let reply = gateway
        .handle(request("GET", "/dev/books/978", &[], ""))
        .await;
    assert_eq!(reply.status, 401);
    let reply = gateway
        .handle(request(
            "GET",
            "/dev/books/978",
            &[("Authorization", "Bearer reader")],
            "",
        ))
        .await;
    assert_eq!(
        (reply.status, body(&reply)),
        (200, serde_json::json!({"title": "Dune"}))
    );

    // The customised gateway response.
    let reply = gateway
        .handle(request("GET", "/dev/nowhere", &[], ""))
        .await;
    assert_eq!(reply.status, 404);
    assert_eq!(header(&reply, "x-shelf"), Some("empty"));
}

// ----- Swagger 2.0, JSON -----

#[test]
fn swagger_2_document() {
    let imported = load("orders-2.0.json");
    let api = &imported.api;
    assert_eq!(api.name, "orders");
    let post = &api.methods[0];
    assert_eq!(
        (post.http_method.as_str(), post.resource_path.as_str()),
        ("POST", "/orders")
    );
    // The body parameter's model, for each media type the operation consumes.
    assert_eq!(post.request_models["application/json"], "Order");
    assert_eq!(post.request_models["application/vnd.orders+json"], "Order");
    assert!(post.request_parameters["method.request.header.X-Trace"]);
    assert_eq!(post.request_validator.as_deref(), Some("body"));
    // The document's `security` applies; an empty list on an operation
    // lifts it.
    assert!(post.api_key_required);
    assert!(!api.methods[1].api_key_required);
    assert!(api.methods[1].request_parameters["method.request.path.orderId"]);
    assert!(!post.method_responses[0].response_parameters["method.response.header.Location"]);
    let integration = post.integration.as_ref().unwrap();
    assert_eq!(integration.kind, IntegrationType::Aws);
    assert_eq!(integration.function.as_deref(), Some("take-order"));
    assert_eq!(
        integration.passthrough_behavior,
        Some(PassthroughBehavior::Never)
    );
    assert_eq!(
        integration.integration_responses[1]
            .selection_pattern
            .as_deref(),
        Some("Refused:.*")
    );
    assert_eq!(api.models[0].name, "Order");
}

#[tokio::test]
async fn swagger_2_document_is_served() {
    let mut api = load("orders-2.0.json").api;
    api.api_keys.push(phalanx_gateway::model::ApiKey {
        name: "k".into(),
        value: "secret-key-secret-key".into(),
        enabled: true,
        stages: vec!["dev".into()],
    });
    let mut functions = InProcess::new();
    functions.register_parsing(
        "take-order",
        std::sync::Arc::new(|event: bytes::Bytes| {
            Box::pin(async move {
                let event: serde_json::Value = serde_json::from_slice(&event).unwrap();
                if event["order"]["item"] == "nothing" {
                    Err(r#"{"errorMessage": "Refused: nothing to take"}"#.into())
                } else {
                    Ok(r#"{"location": "/orders/1"}"#.into())
                }
            })
        }),
    );
    let gateway = Gateway::build(&api, "dev", functions).unwrap_or_else(|e| panic!("{e}"));
    let key = ("x-api-key", "secret-key-secret-key");
    let trace = ("X-Trace", "t1");
    let reply = gateway
        .handle(request(
            "POST",
            "/dev/orders",
            &[key, trace],
            r#"{"item": "pen"}"#,
        ))
        .await;
    assert_eq!(reply.status, 200, "{:?}", body(&reply));
    assert_eq!(header(&reply, "Location"), Some("/orders/1"));
    let reply = gateway
        .handle(request(
            "POST",
            "/dev/orders",
            &[key, trace],
            r#"{"item": "nothing"}"#,
        ))
        .await;
    assert_eq!(reply.status, 400);
    assert_eq!(body(&reply)["error"], "Refused: nothing to take");
    // The body validator and the model.
    let reply = gateway
        .handle(request(
            "POST",
            "/dev/orders",
            &[key, trace],
            r#"{"quantity": 0}"#,
        ))
        .await;
    assert_eq!(reply.status, 400);
    assert_eq!(body(&reply)["message"], "Invalid request body");
    let reply = gateway
        .handle(request(
            "POST",
            "/dev/orders",
            &[trace],
            r#"{"item": "pen"}"#,
        ))
        .await;
    assert_eq!(reply.status, 403);
    let reply = gateway
        .handle(request("DELETE", "/dev/orders/7", &[], ""))
        .await;
    assert_eq!(reply.status, 204);
}

// ----- CloudFormation: Body and BodyS3Location -----

#[test]
fn cloudformation_body_resolves_intrinsics() {
    let imported = import_template(
        &read("stack-with-body.yaml"),
        "stack-with-body.yaml",
        &ImportOptions::default(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let api = &imported.api;
    assert_eq!(api.name, "from-body");
    assert_eq!(api.stages[0].stage_name, "live");
    let greet = api.methods[0].integration.as_ref().unwrap();
    assert_eq!(
        greet.uri.as_deref(),
        Some(
            "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/\
             arn:aws:lambda:us-east-1:123456789012:function:greeter/invocations"
        )
    );
    // The template's function, by logical id.
    assert_eq!(greet.function.as_deref(), Some("Greeter"));
    assert_eq!(api.functions.len(), 1);
    let static_response = &api.methods[1]
        .integration
        .as_ref()
        .unwrap()
        .integration_responses[0];
    assert_eq!(
        static_response.response_templates["application/json"],
        r#"{"greeting": "hello"}"#
    );
}

#[test]
fn cloudformation_body_s3_location_is_a_local_file() {
    let options = ImportOptions {
        base_dir: Some(dir()),
        ..ImportOptions::default()
    };
    let imported = import_template(
        &read("stack-with-s3-body.yaml"),
        "stack-with-s3-body.yaml",
        &options,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(imported.api.name, "orders-from-s3");
    assert_eq!(imported.api.methods.len(), 2);
    assert_eq!(imported.api.models[0].name, "Order");

    let missing = read("stack-with-s3-body.yaml").replace("Key: orders-2.0.json", "Key: nope.json");
    let error = import_template(&missing, "t.yaml", &options)
        .unwrap_err()
        .to_string();
    assert!(
        error.starts_with(
            "t.yaml:4: Resources.Api.Properties.BodyS3Location: the OpenAPI document is not a \
             local file (S3 is not emulated); looked for "
        ),
        "{error}"
    );
    let error = import_template(&missing, "t.yaml", &ImportOptions::default())
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("BodyS3Location needs the template's folder"),
        "{error}"
    );
}

#[test]
fn cloudformation_body_errors_name_the_property_and_the_pointer() {
    let template = read("stack-with-body.yaml").replace("type: mock", "type: lambda");
    let error = import_template(&template, "t.yaml", &ImportOptions::default())
        .unwrap_err()
        .to_string();
    assert_eq!(
        error,
        "t.yaml:8: Resources.Api.Properties.Body/paths/~1static/get/\
         x-amazon-apigateway-integration/type: expected one of AWS, AWS_PROXY, HTTP, HTTP_PROXY, \
         MOCK, found `lambda`"
    );
    let clone = "Resources:\n  Api:\n    Type: AWS::ApiGateway::RestApi\n    Properties:\n      CloneFrom: abc\n";
    let error = import_template(clone, "t.yaml", &ImportOptions::default())
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("CloneFrom: cloning another API is not supported"),
        "{error}"
    );
}

// ----- Errors -----

const MINIMAL: &str = r#"
openapi: 3.0.1
info: {title: t, version: "1"}
paths:
  /pets:
    get:
      parameters:
        - {name: q, in: query}
      responses: {"200": {description: ok}}
      x-amazon-apigateway-integration:
        type: mock
        passthroughBehavior: when_no_match
        responses: {default: {statusCode: "200"}}
"#;

#[test]
fn the_minimal_document_imports() {
    assert_eq!(
        import(MINIMAL, "doc.yaml", &OpenApiOptions::default())
            .unwrap()
            .api
            .methods
            .len(),
        1
    );
}

#[test]
fn errors_name_the_json_pointer() {
    let cases = [
        (
            MINIMAL.replace("type: mock", "type: lambda"),
            "doc.yaml: /paths/~1pets/get/x-amazon-apigateway-integration/type: expected one of \
             AWS, AWS_PROXY, HTTP, HTTP_PROXY, MOCK, found `lambda`",
        ),
        (
            MINIMAL.replace("in: query", "in: cookiejar"),
            "doc.yaml: /paths/~1pets/get/parameters/0/in: expected one of query, header, path, \
             body, found `cookiejar`",
        ),
        (
            MINIMAL.replace("when_no_match", "sometimes"),
            "doc.yaml: /paths/~1pets/get/x-amazon-apigateway-integration/passthroughBehavior: \
             expected one of when_no_match, when_no_templates, never, found `sometimes`",
        ),
        (
            MINIMAL.replace("{statusCode: \"200\"}", "{}"),
            "doc.yaml: /paths/~1pets/get/x-amazon-apigateway-integration/responses/default/\
             statusCode: required",
        ),
        (
            MINIMAL.replace("/pets:", "pets:"),
            "doc.yaml: /paths/pets: the path `pets` does not start with `/`",
        ),
        (
            MINIMAL.replace(
                "{name: q, in: query}",
                "{$ref: '#/components/parameters/Q'}",
            ),
            "doc.yaml: /paths/~1pets/get/parameters/0/$ref: `#/components/parameters/Q` points \
             at nothing",
        ),
        (
            MINIMAL.replace(
                "      responses: {\"200\"",
                "      x-amazon-apigateway-request-validator: strict\n      responses: {\"200\"",
            ),
            "doc.yaml: /paths/~1pets/get/x-amazon-apigateway-request-validator: `strict` is not \
             one of the document's x-amazon-apigateway-request-validators (there are none)",
        ),
        (
            MINIMAL.replace(
                "      responses: {\"200\"",
                "      security: [{key: []}]\n      responses: {\"200\"",
            ),
            "doc.yaml: /paths/~1pets/get/security/0/key: `key` is not a security scheme of the \
             document",
        ),
        (
            MINIMAL.replace(
                "        type: mock",
                "        type: mock\n        timeoutInMillis: soon",
            ),
            "doc.yaml: /paths/~1pets/get/x-amazon-apigateway-integration/timeoutInMillis: \
             expected a non-negative integer, found a string",
        ),
        (
            MINIMAL.replace("openapi: 3.0.1", "openapi: 3.1.0"),
            "doc.yaml: /openapi: OpenAPI 3.1.0 is not supported (API Gateway imports 2.0 and 3.0)",
        ),
        (
            MINIMAL.replace("openapi: 3.0.1", "asyncapi: 2.0.0"),
            "doc.yaml: : not an OpenAPI document: expected `swagger: \"2.0\"` or `openapi: 3.0.x`",
        ),
        (
            MINIMAL.replace("info: {title: t, version: \"1\"}", "info: {version: \"1\"}"),
            "doc.yaml: /info/title: required (the API's name)",
        ),
    ];
    for (source, expected) in cases {
        assert_eq!(error(&source), expected);
    }
}

/// Whatever the input, an import returns; it never panics.
#[test]
fn odd_inputs_are_errors_not_panics() {
    let inputs = [
        "",
        "[]",
        "42",
        "openapi: 3.0.0",
        "openapi: 3.0.0\ninfo: {title: t}\npaths: []",
        "openapi: 3.0.0\ninfo: {title: t}\npaths: {/a: []}",
        "openapi: 3.0.0\ninfo: {title: t}\npaths: {/a: {get: 1}}",
        "openapi: 3.0.0\ninfo: {title: t}\npaths: {/a: {$ref: '#/paths/~1a'}}",
        "openapi: 3.0.0\ninfo: {title: t}\npaths: {/a: {get: {parameters: [1], responses: []}}}",
        "openapi: 3.0.0\ninfo: {title: t}\npaths: {/a: {get: {x-amazon-apigateway-integration: {type: aws, uri: 'x:lambda:path/functions//invocations'}}}}",
        "openapi: 3.0.0\ninfo: {title: t}\npaths: {/a: {get: {requestBody: {content: {a/b: {schema: {$ref: 7}}}}}}}",
        "swagger: '2.0'\ninfo: {title: t}\nsecurity: [1]\npaths: {/a: {get: {}}}",
        "swagger: '2.0'\ninfo: {title: t}\nx-amazon-apigateway-binary-media-types: [1]",
        "swagger: '2.0'\ninfo: {title: t}\nx-amazon-apigateway-gateway-responses: {A: 1}",
    ];
    for input in inputs {
        let _ = import(input, "doc.yaml", &OpenApiOptions::default());
    }
}

#[test]
fn unknown_keys_and_non_status_responses_are_warned_about() {
    let source = MINIMAL
        .replace("    get:", "    trace:\n      responses: {}\n    get:")
        .replace(
            "{\"200\": {description: ok}}",
            "{\"200\": {description: ok}, default: {description: other}}",
        );
    let imported = import(&source, "doc.yaml", &OpenApiOptions::default()).unwrap();
    assert_eq!(
        imported.warnings,
        [
            "/paths/~1pets/trace: API Gateway has no `trace` method; it is left out",
            "/paths/~1pets/get/responses/default: `default` is not a status code; no method \
             response is made",
        ]
    );
}

/// SAM writes `security: [{NONE: []}]` for an event with
/// `Auth: {Authorizer: NONE}`, with no `NONE` scheme; API Gateway imports
/// the method without authorization.
#[test]
fn security_none_without_such_a_scheme_is_no_authorization() {
    let source = MINIMAL.replace(
        "      responses: {\"200\"",
        "      security: [{NONE: []}]\n      responses: {\"200\"",
    );
    let imported = import(&source, "doc.yaml", &OpenApiOptions::default()).unwrap();
    let method = &imported.api.methods[0];
    assert_eq!(method.authorization_type, None);
    assert!(!method.api_key_required);
    assert_eq!(imported.warnings, Vec::<String>::new());
}
