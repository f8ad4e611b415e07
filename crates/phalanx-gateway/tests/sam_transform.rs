//! The SAM transform: what SAM's translator refuses is refused here with the
//! place to fix, and the translated API behaves as SAM deploys it. The
//! comparison with the translator itself, template by template, is
//! `tests/sam_translator.rs`.

use phalanx_gateway::cloudformation::{ImportOptions, Imported, import, parse_template};
use phalanx_gateway::invoke::InProcess;
use phalanx_gateway::sam::transform;
use phalanx_gateway::{Gateway, GatewayReply, GatewayRequest};

fn load(source: &str) -> Imported {
    import(source, "template.yaml", &ImportOptions::default()).unwrap_or_else(|e| panic!("{e}"))
}

#[track_caller]
fn error(source: &str) -> String {
    match import(source, "template.yaml", &ImportOptions::default()) {
        Ok(imported) => panic!("imported without error: {:#?}", imported.api),
        Err(e) => e.to_string(),
    }
}

fn request(method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> GatewayRequest {
    GatewayRequest {
        method: method.into(),
        path: path.into(),
        query: None,
        headers: headers
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        body: body.to_owned().into(),
        source_ip: "127.0.0.1".into(),
        protocol: "HTTP/1.1".into(),
    }
}

fn header<'r>(reply: &'r GatewayReply, name: &str) -> Option<&'r str> {
    reply
        .headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// A proxy stand-in that answers with the function's name and the path.
fn echo(functions: &mut InProcess, name: &'static str) {
    functions.register_parsing(
        name,
        std::sync::Arc::new(move |event: bytes::Bytes| {
            Box::pin(async move {
                let event: serde_json::Value = serde_json::from_slice(&event).unwrap_or_default();
                let body = serde_json::json!({"function": name, "path": event["path"]});
                Ok(
                    serde_json::json!({"statusCode": 200, "body": body.to_string()})
                        .to_string()
                        .into(),
                )
            })
        }),
    );
}

const HEAD: &str = "Transform: AWS::Serverless-2016-10-31\nResources:\n";

fn function(events: &str) -> String {
    format!(
        "{HEAD}  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n      Runtime: python3.12\n      Handler: app.handler\n      CodeUri: src/\n      Events:\n{events}"
    )
}

// ----- what SAM accepts, served -----

#[tokio::test]
async fn an_implicit_api_serves_its_events_on_stage_prod_through_proxy_integrations() {
    // SAM's guide, "Api" event source: without RestApiId the event goes to
    // the implicit API, `ServerlessRestApi`, deployed to stage `Prod`.
    let imported = load(&function(
        "        Hello:\n          Type: Api\n          Properties:\n            Path: /hello/{name}\n            Method: get\n",
    ));
    assert_eq!(imported.logical_id, "ServerlessRestApi");
    assert_eq!(
        imported.api.name, "phalanx-local",
        "the title is the stack name"
    );
    let stages: Vec<&str> = imported
        .api
        .stages
        .iter()
        .map(|s| s.stage_name.as_str())
        .collect();
    // The Deployment's own `Stage` stage is a SAM quirk without
    // OpenApiVersion, kept so that URLs that work on AWS work here.
    assert_eq!(stages, ["Prod", "Stage"]);
    assert_eq!(
        imported.api.functions["Fn"].runtime.as_deref(),
        Some("python3.12")
    );

    let mut functions = InProcess::new();
    echo(&mut functions, "Fn");
    let gateway = Gateway::build(&imported.api, "Prod", functions).unwrap();
    let reply = gateway
        .handle(request("GET", "/Prod/hello/ann", &[], ""))
        .await;
    assert_eq!(reply.status, 200);
    assert_eq!(
        String::from_utf8_lossy(&reply.body),
        r#"{"function":"Fn","path":"/hello/ann"}"#
    );
    let reply = gateway
        .handle(request("POST", "/Prod/hello/ann", &[], ""))
        .await;
    assert_eq!(reply.status, 403, "only GET was declared");
}

#[tokio::test]
async fn cors_preflights_and_api_keys_are_added_as_sam_adds_them() {
    let source = format!(
        "{HEAD}  Api:\n    Type: AWS::Serverless::Api\n    Properties:\n      StageName: dev\n      Cors:\n        AllowOrigin: \"'https://example.com'\"\n        AllowHeaders: \"'Content-Type'\"\n      Auth:\n        ApiKeyRequired: true\n        AddApiKeyRequiredToCorsPreflight: false\n        UsagePlan:\n          CreateUsagePlan: PER_API\n  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n      Runtime: python3.12\n      Handler: app.handler\n      InlineCode: x\n      Events:\n        Post:\n          Type: Api\n          Properties: {{RestApiId: !Ref Api, Path: /items, Method: post}}\n        Open:\n          Type: Api\n          Properties:\n            RestApiId: !Ref Api\n            Path: /items\n            Method: get\n            Auth: {{ApiKeyRequired: false}}\n"
    );
    let imported = load(&source);
    let key = &imported.generated_api_keys[0];
    assert_eq!(key.logical_id, "ApiApiKey");
    let mut functions = InProcess::new();
    echo(&mut functions, "Fn");
    let gateway = Gateway::build(&imported.api, "dev", functions).unwrap();

    // SAM's Cors: a MOCK OPTIONS method per path; without AllowMethods,
    // the path's methods, sorted, with OPTIONS.
    let preflight = gateway
        .handle(request("OPTIONS", "/dev/items", &[], ""))
        .await;
    assert_eq!(preflight.status, 200);
    assert_eq!(
        header(&preflight, "Access-Control-Allow-Origin"),
        Some("https://example.com")
    );
    assert_eq!(
        header(&preflight, "Access-Control-Allow-Methods"),
        Some("GET,OPTIONS,POST")
    );
    assert_eq!(
        header(&preflight, "Access-Control-Allow-Headers"),
        Some("Content-Type")
    );

    let no_key = gateway
        .handle(request("POST", "/dev/items", &[], "{}"))
        .await;
    assert_eq!(no_key.status, 403, "ApiKeyRequired applies to every method");
    let with_key = gateway
        .handle(request(
            "POST",
            "/dev/items",
            &[("x-api-key", &key.value)],
            "{}",
        ))
        .await;
    assert_eq!(with_key.status, 200);
    let opted_out = gateway.handle(request("GET", "/dev/items", &[], "")).await;
    assert_eq!(
        opted_out.status, 200,
        "the event's ApiKeyRequired: false wins"
    );
}

#[tokio::test]
async fn a_request_model_validates_the_body_before_the_function_runs() {
    let source = format!(
        "{HEAD}  Api:\n    Type: AWS::Serverless::Api\n    Properties:\n      StageName: v1\n      Models:\n        Order:\n          type: object\n          required: [item]\n          properties: {{item: {{type: string}}}}\n  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n      Runtime: python3.12\n      Handler: app.handler\n      CodeUri: src/\n      Events:\n        Post:\n          Type: Api\n          Properties:\n            RestApiId: !Ref Api\n            Path: /orders\n            Method: post\n            RequestModel: {{Model: Order, Required: true, ValidateBody: true}}\n"
    );
    let imported = load(&source);
    // SAM lower-cases model names in the document it writes.
    assert_eq!(imported.api.models[0].name, "order");
    let mut functions = InProcess::new();
    echo(&mut functions, "Fn");
    let gateway = Gateway::build(&imported.api, "v1", functions).unwrap();
    let json = [("Content-Type", "application/json")];
    let bad = gateway
        .handle(request("POST", "/v1/orders", &json, "{}"))
        .await;
    assert_eq!(
        (bad.status, String::from_utf8_lossy(&bad.body).into_owned()),
        (400, r#"{"message":"Invalid request body"}"#.to_owned())
    );
    let good = gateway
        .handle(request("POST", "/v1/orders", &json, r#"{"item": "tea"}"#))
        .await;
    assert_eq!(good.status, 200);
}

#[test]
fn globals_apply_to_functions_and_to_the_implicit_api() {
    let source = "Transform: AWS::Serverless-2016-10-31\nGlobals:\n  Function:\n    Runtime: python3.11\n    Timeout: 9\n    Environment:\n      Variables: {STAGE: prod}\n  Api:\n    Variables: {table: books}\nResources:\n  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n      Runtime: python3.12\n      Handler: app.handler\n      CodeUri: src/\n      Environment:\n        Variables: {TABLE: mine}\n      Events:\n        Get:\n          Type: Api\n          Properties: {Path: /, Method: get}\n";
    let imported = load(source);
    let function = &imported.api.functions["Fn"];
    assert_eq!(function.runtime.as_deref(), Some("python3.12"));
    assert_eq!(function.timeout, Some(9));
    assert_eq!(
        function.environment.iter().collect::<Vec<_>>(),
        [
            (&"STAGE".to_owned(), &"prod".to_owned()),
            (&"TABLE".to_owned(), &"mine".to_owned())
        ]
    );
    let prod = imported
        .api
        .stages
        .iter()
        .find(|s| s.stage_name == "Prod")
        .unwrap();
    assert_eq!(prod.variables["table"], "books");
}

#[test]
fn code_uri_becomes_code_that_phalanx_serve_can_run_from() {
    let source = function(
        "        Get:\n          Type: Api\n          Properties: {Path: /, Method: get}\n",
    );
    let root = parse_template(&source, "template.yaml").unwrap();
    let out = transform(&root, &source, "template.yaml").unwrap();
    assert_eq!(
        out.template["Resources"]["Fn"]["Properties"]["Code"],
        "src/"
    );
    let s3 = source.replace("CodeUri: src/", "CodeUri: s3://bucket/key.zip");
    let root = parse_template(&s3, "template.yaml").unwrap();
    let out = transform(&root, &s3, "template.yaml").unwrap();
    assert_eq!(
        out.template["Resources"]["Fn"]["Properties"]["Code"],
        serde_json::json!({"S3Bucket": "bucket", "S3Key": "key.zip"})
    );
}

#[test]
fn events_that_are_not_rest_api_requests_are_left_out_with_a_warning() {
    let imported = load(&function(
        "        Get:\n          Type: Api\n          Properties: {Path: /, Method: get}\n        Nightly:\n          Type: Schedule\n          Properties: {Schedule: rate(1 day)}\n        Http:\n          Type: HttpApi\n",
    ));
    assert_eq!(
        imported.warnings[..2],
        [
            "Resources.Fn.Properties.Events.Http: an HttpApi event belongs to an HTTP API (API \
             Gateway v2); only REST APIs are served locally, so it is left out"
                .to_owned(),
            "Resources.Fn.Properties.Events.Nightly: Schedule events are not API requests; they \
             are not emulated locally (invoke the function with `phalanx invoke` instead)"
                .to_owned(),
        ]
    );
}

// `MergeDefinitions`: each event's method is written into a document of
// its own and merged into DefinitionBody's: on a key both have, SAM's value
// wins (`security`, `responses`, the integration), the user's other keys
// and methods stay, and a path the body lacks is added.
// aws/serverless-application-model tests/translator/input/api_merge_definitions_with_conflicting_auth.yaml
// aws/serverless-application-model tests/translator/input/api_merge_definitions_with_different_methods.yaml
const MERGED: &str = r#"Transform: AWS::Serverless-2016-10-31
Resources:
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: v1
      MergeDefinitions: true
      Auth:
        Authorizers:
          Pool: {UserPoolArn: arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_a}
          Other: {UserPoolArn: arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_b}
      DefinitionBody:
        swagger: "2.0"
        info: {title: merged, version: "1"}
        paths:
          /items:
            get:
              summary: the items
              security: [{Other: []}]
              responses: {"200": {description: ok}}
            post:
              x-amazon-apigateway-integration:
                type: aws_proxy
                httpMethod: POST
                uri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Writer.Arn}/invocations
  Reader:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      InlineCode: x
      Events:
        List:
          Type: Api
          Properties: {RestApiId: !Ref Api, Path: /items, Method: GET, Auth: {Authorizer: Pool}}
        One:
          Type: Api
          Properties: {RestApiId: !Ref Api, Path: "/items/{id}", Method: get}
  Writer:
    Type: AWS::Serverless::Function
    Properties: {Runtime: python3.12, Handler: app.handler, InlineCode: x}
"#;

#[tokio::test]
async fn merge_definitions_merges_each_events_method_into_the_definition_body() {
    let root = parse_template(MERGED, "template.yaml").unwrap();
    let out = transform(&root, MERGED, "template.yaml").unwrap();
    let paths = &out.template["Resources"]["Api"]["Properties"]["Body"]["paths"];
    assert_eq!(
        paths["/items"]["get"],
        serde_json::json!({
            "summary": "the items",
            "security": [{"Pool": []}],
            "responses": {},
            "x-amazon-apigateway-integration": {
                "type": "aws_proxy",
                "httpMethod": "POST",
                "uri": {"Fn::Sub": "arn:${AWS::Partition}:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Reader.Arn}/invocations"},
            },
        })
    );
    assert!(
        paths["/items"]["post"].is_object(),
        "the body's own method stays"
    );
    assert!(
        paths["/items/{id}"]["get"].is_object(),
        "a new path is added"
    );

    let imported = load(MERGED);
    let mut functions = InProcess::new();
    echo(&mut functions, "Reader");
    echo(&mut functions, "Writer");
    let gateway = Gateway::build(&imported.api, "v1", functions).unwrap();
    let one = gateway
        .handle(request("GET", "/v1/items/a1", &[], ""))
        .await;
    assert_eq!(
        String::from_utf8_lossy(&one.body),
        r#"{"function":"Reader","path":"/items/a1"}"#
    );
    let post = gateway
        .handle(request("POST", "/v1/items", &[], "{}"))
        .await;
    assert_eq!(
        String::from_utf8_lossy(&post.body),
        r#"{"function":"Writer","path":"/items"}"#
    );
    let list = gateway.handle(request("GET", "/v1/items", &[], "")).await;
    assert_eq!(
        list.status, 401,
        "the event's authorizer replaced the body's"
    );
}

// SAM's merge reads the body's `paths` with `paths or {}`: missing, null or
// empty, the route is written into a map that is then dropped. And it
// stores an event's method lower-cased but not normalised, so ANY lands
// under `any` (which API Gateway does not take for a method).
// aws/serverless-application-model tests/translator/input/api_merge_definitions_with_any_method.yaml
// aws/serverless-application-model samtranslator/model/eventsources/push.py (_get_merged_definitions)
#[test]
fn merge_definitions_keeps_sams_quirks_for_empty_paths_and_any() {
    let source = |paths: &str| {
        api_and_event(
            &format!(
                "      MergeDefinitions: true\n      DefinitionBody:\n        swagger: \"2.0\"\n        info: {{title: t, version: \"1\"}}\n        paths: {paths}\n"
            ),
            "",
        )
        .replace("Method: get", "Method: ANY")
    };
    let empty = source("{}");
    let root = parse_template(&empty, "template.yaml").unwrap();
    let out = transform(&root, &empty, "template.yaml").unwrap();
    assert_eq!(
        out.template["Resources"]["Api"]["Properties"]["Body"]["paths"],
        serde_json::json!({})
    );
    assert_eq!(
        out.warnings,
        [
            "Resources.Api.Properties.DefinitionBody: its `paths` is missing or empty, so \
          MergeDefinitions adds no route of the events (ANY /items of Fn is left out), as SAM's \
          translator does"
        ]
    );

    let some = source("{/other: {}}");
    let root = parse_template(&some, "template.yaml").unwrap();
    let out = transform(&root, &some, "template.yaml").unwrap();
    let item = &out.template["Resources"]["Api"]["Properties"]["Body"]["paths"]["/items"];
    assert!(item["any"]["x-amazon-apigateway-integration"].is_object());
    assert!(item.get("x-amazon-apigateway-any-method").is_none());
}

// Under MergeDefinitions, a document SAM generates (here the implicit
// API's, with Globals.Api's MergeDefinitions) already has every event's
// path and method, empty, when the events are merged: SAM's implicit API
// plugin adds them first. So its routes are kept, and an ANY event leaves
// an empty `x-amazon-apigateway-any-method` beside its `any` (checked
// against aws-sam-translator), a method without integration that API
// Gateway does not deploy.
// aws/serverless-application-model samtranslator/plugins/api/implicit_api_plugin.py (_add_api_to_swagger)
#[tokio::test]
async fn merge_definitions_on_a_generated_document_keeps_the_events_routes() {
    let source = "Transform: AWS::Serverless-2016-10-31\nGlobals:\n  Api:\n    MergeDefinitions: true\nResources:\n  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n      Runtime: python3.12\n      Handler: app.handler\n      InlineCode: x\n      Events:\n        Get: {Type: Api, Properties: {Path: /items, Method: get}}\n        All: {Type: Api, Properties: {Path: /items, Method: ANY}}\n";
    let root = parse_template(source, "template.yaml").unwrap();
    let out = transform(&root, source, "template.yaml").unwrap();
    assert!(out.warnings.is_empty(), "{:?}", out.warnings);
    let item =
        &out.template["Resources"]["ServerlessRestApi"]["Properties"]["Body"]["paths"]["/items"];
    let mut keys: Vec<&str> = item
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(keys, ["any", "get", "x-amazon-apigateway-any-method"]);
    assert_eq!(
        item["x-amazon-apigateway-any-method"],
        serde_json::json!({})
    );

    let imported = load(source);
    let Err(refused) = Gateway::build(&imported.api, "Prod", InProcess::new()) else {
        panic!("an ANY method without integration was deployed");
    };
    assert!(
        refused
            .to_string()
            .contains("No integration defined for method"),
        "{refused}"
    );

    let without_any = source.replace(
        "        All: {Type: Api, Properties: {Path: /items, Method: ANY}}\n",
        "",
    );
    let imported = load(&without_any);
    let mut functions = InProcess::new();
    echo(&mut functions, "Fn");
    let gateway = Gateway::build(&imported.api, "Prod", functions).unwrap();
    let reply = gateway.handle(request("GET", "/Prod/items", &[], "")).await;
    assert_eq!(
        String::from_utf8_lossy(&reply.body),
        r#"{"function":"Fn","path":"/items"}"#
    );
}

// A path item under `Fn::If` in a DefinitionBody: SAM gives each branch
// its own CORS preflight and the API's API key (not the `Fn::If` taken for
// a method), and CloudFormation's choice of branch, with the parameters
// given, is the API served. Without `AllowMethods`, every branch's
// preflight lists the first branch's methods (SAM computes them once).
// aws/serverless-application-model tests/translator/input/api_rest_paths_with_if_condition_swagger.yaml
const CONDITIONAL_PATH: &str = r#"Transform: AWS::Serverless-2016-10-31
Parameters:
  Env: {Type: String, Default: prod}
Conditions:
  IsProd: !Equals [!Ref Env, prod]
Resources:
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: dev
      Cors: "'*'"
      Auth:
        ApiKeyRequired: true
        AddApiKeyRequiredToCorsPreflight: false
        UsagePlan: {CreateUsagePlan: PER_API}
      DefinitionBody:
        swagger: "2.0"
        info: {title: conditional, version: "1"}
        paths:
          /orders:
            Fn::If:
              - IsProd
              - post:
                  x-amazon-apigateway-integration:
                    type: aws_proxy
                    httpMethod: POST
                    uri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Live.Arn}/invocations
              - post:
                  x-amazon-apigateway-integration:
                    type: aws_proxy
                    httpMethod: POST
                    uri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Sandbox.Arn}/invocations
                get:
                  x-amazon-apigateway-integration:
                    type: aws_proxy
                    httpMethod: POST
                    uri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Sandbox.Arn}/invocations
  Live:
    Type: AWS::Serverless::Function
    Properties: {Runtime: python3.12, Handler: app.handler, InlineCode: x}
  Sandbox:
    Type: AWS::Serverless::Function
    Properties: {Runtime: python3.12, Handler: app.handler, InlineCode: x}
"#;

#[tokio::test]
async fn a_path_under_fn_if_gets_cors_and_api_keys_in_both_branches_and_serves_the_chosen_one() {
    for (env, function, get_status) in [("prod", "Live", 403), ("test", "Sandbox", 200)] {
        let options = ImportOptions {
            parameters: [("Env".to_owned(), env.to_owned())].into_iter().collect(),
            ..ImportOptions::default()
        };
        let imported =
            import(CONDITIONAL_PATH, "template.yaml", &options).unwrap_or_else(|e| panic!("{e}"));
        let key = imported.generated_api_keys[0].value.clone();
        let mut functions = InProcess::new();
        echo(&mut functions, "Live");
        echo(&mut functions, "Sandbox");
        let gateway = Gateway::build(&imported.api, "dev", functions).unwrap();

        let preflight = gateway
            .handle(request("OPTIONS", "/dev/orders", &[], ""))
            .await;
        assert_eq!(preflight.status, 200, "Env={env}");
        assert_eq!(
            header(&preflight, "Access-Control-Allow-Methods"),
            Some("OPTIONS,POST"),
            "Env={env}"
        );
        let no_key = gateway
            .handle(request("POST", "/dev/orders", &[], "{}"))
            .await;
        assert_eq!(no_key.status, 403, "Env={env}: the API key applies");
        let keyed = [("x-api-key", key.as_str())];
        let post = gateway
            .handle(request("POST", "/dev/orders", &keyed, "{}"))
            .await;
        assert_eq!(
            String::from_utf8_lossy(&post.body),
            format!(r#"{{"function":"{function}","path":"/orders"}}"#),
            "Env={env}"
        );
        let get = gateway
            .handle(request("GET", "/dev/orders", &keyed, ""))
            .await;
        assert_eq!(
            get.status, get_status,
            "Env={env}: GET is the test branch's"
        );
    }
}

// ----- what SAM refuses, refused with the place -----

#[test]
fn errors_name_the_file_line_and_property() {
    let cases: &[(String, &str)] = &[
        (
            function("        Get:\n          Type: Api\n          Properties: {Method: get}\n"),
            "template.yaml:3: Resources.Fn.Properties.Events.Get.Properties: an Api event needs \
             Path (e.g. Path: /items/{id}, Method: get)",
        ),
        (
            function(
                "        Get:\n          Type: Api\n          Properties: {Path: items, Method: get}\n",
            ),
            "template.yaml:3: Resources.Fn.Properties.Events.Get.Properties.Path: Path `items` \
             must start with `/`",
        ),
        (
            function(
                "        Get:\n          Type: Api\n          Properties: {Path: /, Method: fetch}\n",
            ),
            "template.yaml:3: Resources.Fn.Properties.Events.Get.Properties.Method: Method \
             `fetch` is not an HTTP method API Gateway knows (GET, POST, PUT, DELETE, PATCH, \
             HEAD, OPTIONS or ANY)",
        ),
        (
            function(
                "        Get:\n          Type: Api\n          Properties: {Path: /, Method: get, RestApiId: !Ref Nope}\n",
            ),
            "template.yaml:3: Resources.Fn.Properties.Events.Get.Properties.RestApiId: RestApiId \
             must be a reference (!Ref) to an AWS::Serverless::Api of this template",
        ),
        (
            function(
                "        A:\n          Type: Api\n          Properties: {Path: /, Method: get}\n        B:\n          Type: Api\n          Properties: {Path: /, Method: GET}\n",
            ),
            "template.yaml:3: Resources.Fn.Properties.Events.B.Properties: API method \"get\" \
             defined multiple times for path \"/\" (event B of Fn)",
        ),
        (
            format!(
                "{HEAD}  Api:\n    Type: AWS::Serverless::Api\n    Properties:\n      StageName: v1\n      DefinitionUri: api.yaml\n      Cors: \"'*'\"\n"
            ),
            "template.yaml:3: Resources.Api.Properties.Cors: Cors works only with an inline \
             OpenAPI document in DefinitionBody (SAM refuses it with DefinitionUri too)",
        ),
        (
            format!(
                "{HEAD}  Api:\n    Type: AWS::Serverless::Api\n    Properties:\n      StageName: v1\n      Auth:\n        DefaultAuthorizer: Missing\n        Authorizers:\n          Mine: {{FunctionArn: arn:aws:lambda:us-east-1:123456789012:function:a}}\n"
            ),
            "template.yaml:3: Resources.Api.Properties.Auth.DefaultAuthorizer: DefaultAuthorizer \
             `Missing` is not one of Authorizers (or AWS_IAM)",
        ),
        (
            format!(
                "{HEAD}  Api:\n    Type: AWS::Serverless::Api\n    Properties:\n      Name: x\n"
            ),
            "template.yaml:3: Resources.Api.Properties: an AWS::Serverless::Api needs StageName \
             (the first path segment of its URLs)",
        ),
        (
            format!(
                "{HEAD}  Api:\n    Type: AWS::Serverless::Api\n    Properties:\n      StageName: v1\n      Cors:\n        AllowOrigin: \"'*'\"\n        AllowCredentials: true\n"
            ),
            "template.yaml:3: Resources.Api.Properties.Cors.AllowCredentials: AllowCredentials \
             cannot be true when AllowOrigin is \"'*'\" or not set (browsers refuse it; SAM does \
             too)",
        ),
        (
            "Transform: [AWS::Serverless-2016-10-31, AWS::LanguageExtensions]\nResources: {}\n"
                .to_owned(),
            "template.yaml: Transform: the transform AWS::LanguageExtensions is not supported \
             locally (only AWS::Serverless-2016-10-31 is): import the processed template (`aws \
             cloudformation get-template --template-stage Processed`)",
        ),
    ];
    let mut failures = Vec::new();
    for (source, expected) in cases {
        let got = error(source);
        if got != *expected {
            failures.push(format!("expected: {expected}\n     got: {got}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn a_request_model_must_name_one_of_the_apis_models() {
    let source = format!(
        "{HEAD}  Api:\n    Type: AWS::Serverless::Api\n    Properties:\n      StageName: v1\n  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n      Runtime: python3.12\n      Handler: a.b\n      InlineCode: x\n      Events:\n        Post:\n          Type: Api\n          Properties:\n            RestApiId: !Ref Api\n            Path: /orders\n            Method: post\n            RequestModel: {{Model: Order}}\n"
    );
    assert_eq!(
        error(&source),
        "template.yaml:7: Resources.Fn.Properties.Events.Post.Properties.RequestModel.Model: \
         the model `Order` is not one of the Models of Api"
    );
}

// ----- found by the sweep over SAM's own translator tests -----
// (`examples/sam_sweep.rs`; each case names the suite file that showed it)

/// An API and one function with an event on it, `api` being the API's
/// properties (indented 6) and `event` the event's extra properties
/// (indented 12).
fn api_and_event(api: &str, event: &str) -> String {
    format!(
        "{HEAD}  Api:\n    Type: AWS::Serverless::Api\n    Properties:\n      StageName: v1\n{api}  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n      Runtime: python3.12\n      Handler: a.b\n      InlineCode: x\n      Events:\n        Get:\n          Type: Api\n          Properties:\n            RestApiId: !Ref Api\n            Path: /items\n            Method: get\n{event}"
    )
}

#[test]
fn an_unquoted_open_api_version_is_a_version_and_drops_the_extra_stage() {
    // aws/serverless-application-model tests/translator/input/api_request_model_openapi_3.yaml
    // `OpenApiVersion: 3.0` is the YAML number 3.0; SAM reads it as "3.0".
    let imported = load(&api_and_event("      OpenApiVersion: 3.0\n", ""));
    let stages: Vec<&str> = imported
        .api
        .stages
        .iter()
        .map(|s| s.stage_name.as_str())
        .collect();
    assert_eq!(stages, ["v1"], "no extra `Stage` stage with OpenApiVersion");
}

#[tokio::test]
async fn an_apis_cors_map_replaces_an_intrinsic_global_cors() {
    // aws/serverless-application-model tests/translator/input/api_with_cors.yaml
    // A global Cors that is an intrinsic is a value, not a map to merge
    // the API's keys into.
    let source = api_and_event(
        "      Cors:\n        AllowOrigin: \"'https://a.example'\"\n        AllowMethods: \"'GET'\"\n",
        "",
    )
    .replace(
        "Resources:\n",
        "Globals:\n  Api:\n    Cors: !Join [',', [\"'https://b.example'\"]]\nResources:\n",
    );
    let imported = load(&source);
    let gateway = Gateway::build(&imported.api, "v1", InProcess::new()).unwrap();
    let preflight = gateway
        .handle(request("OPTIONS", "/v1/items", &[], ""))
        .await;
    assert_eq!(
        header(&preflight, "Access-Control-Allow-Origin"),
        Some("https://a.example")
    );
    assert_eq!(
        header(&preflight, "Access-Control-Allow-Methods"),
        Some("GET")
    );
}

#[tokio::test]
async fn cors_without_allow_origin_allows_every_origin() {
    // aws/serverless-application-model tests/translator/input/api_with_cors_and_only_maxage.yaml
    // (MaxAge quoted: SAM writes it into the mapping as given, and API
    // Gateway takes an unquoted 600 for an invalid mapping expression.)
    let imported = load(&api_and_event(
        "      Cors:\n        MaxAge: \"'600'\"\n",
        "",
    ));
    let gateway = Gateway::build(&imported.api, "v1", InProcess::new()).unwrap();
    let preflight = gateway
        .handle(request("OPTIONS", "/v1/items", &[], ""))
        .await;
    assert_eq!(preflight.status, 200);
    assert_eq!(header(&preflight, "Access-Control-Allow-Origin"), Some("*"));
    assert_eq!(header(&preflight, "Access-Control-Max-Age"), Some("600"));
    // Not set counts as `'*'` for AllowCredentials too; empty is refused.
    assert!(
        error(&api_and_event(
            "      Cors:\n        AllowCredentials: true\n",
            ""
        ))
        .contains("Cors.AllowCredentials: AllowCredentials cannot be true")
    );
    assert_eq!(
        error(&api_and_event("      Cors:\n        AllowOrigin: ''\n", "")),
        "template.yaml:3: Resources.Api.Properties.Cors.AllowOrigin: Cors's AllowOrigin must \
         not be empty, e.g. \"'https://example.com'\" (leave it out for \"'*'\")"
    );
}

#[tokio::test]
async fn auth_applies_to_a_definition_body_with_an_unquoted_swagger_version() {
    // aws/serverless-application-model tests/translator/input/globals_for_api.yaml
    // `swagger: 2.0` unquoted is a number; SAM only asks that it be set.
    let api = "      Auth:\n        ApiKeyRequired: true\n      DefinitionBody:\n        swagger: 2.0\n        info: {title: t}\n        paths:\n          /items:\n            get:\n              x-amazon-apigateway-integration:\n                type: mock\n                requestTemplates: {application/json: '{\"statusCode\": 200}'}\n                responses: {default: {statusCode: '200'}}\n              responses: {'200': {description: ok}}\n";
    let source = format!(
        "{HEAD}  Api:\n    Type: AWS::Serverless::Api\n    Properties:\n      StageName: v1\n{api}"
    );
    let imported = load(&source);
    let gateway = Gateway::build(&imported.api, "v1", InProcess::new()).unwrap();
    let reply = gateway.handle(request("GET", "/v1/items", &[], "")).await;
    assert_eq!(
        reply.status, 403,
        "the API's ApiKeyRequired reached the method"
    );
}

#[test]
fn a_functions_implicit_role_can_be_named() {
    // aws/serverless-application-model tests/translator/input/api_rest_paths_with_if_condition_swagger.yaml
    // SAM creates `<Fn>Role` for a function without Role; an authorizer
    // may invoke with it.
    let api = "      Auth:\n        DefaultAuthorizer: Token\n        Authorizers:\n          Token:\n            FunctionArn: !GetAtt Fn.Arn\n            FunctionInvokeRole: !GetAtt FnRole.Arn\n";
    let imported = load(&api_and_event(api, ""));
    assert_eq!(imported.api.authorizers[0].name, "Token");
    assert_eq!(imported.api.methods[0].authorizer.as_deref(), Some("Token"));
}

#[tokio::test]
async fn override_api_auth_applies_an_events_auth_to_a_definition_body_route() {
    // aws/serverless-application-model tests/translator/input/api_with_swagger_authorizer_none_override_api_auth.yaml
    let api = "      Auth:\n        ApiKeyRequired: true\n      DefinitionBody:\n        swagger: '2.0'\n        info: {title: t}\n        paths:\n          /items:\n            get:\n              x-amazon-apigateway-integration:\n                type: aws_proxy\n                httpMethod: POST\n                uri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Fn.Arn}/invocations\n              responses: {}\n";
    let open = load(&api_and_event(
        api,
        "            Auth: {ApiKeyRequired: false, OverrideApiAuth: true}\n",
    ));
    let mut functions = InProcess::new();
    echo(&mut functions, "Fn");
    let gateway = Gateway::build(&open.api, "v1", functions).unwrap();
    let reply = gateway.handle(request("GET", "/v1/items", &[], "")).await;
    assert_eq!(reply.status, 200, "the event opted out of the API key");
    // Without OverrideApiAuth, SAM leaves the DefinitionBody's route alone.
    let keyed = load(&api_and_event(
        api,
        "            Auth: {ApiKeyRequired: false}\n",
    ));
    assert!(keyed.api.methods[0].api_key_required);
}

#[test]
fn what_sams_suite_refuses_is_refused_with_the_place() {
    let gateway_response = |response: &str| {
        api_and_event(
            &format!("      GatewayResponses:\n        UNAUTHORIZED:\n{response}"),
            "",
        )
    };
    let cases: &[(String, &str)] = &[
        (
            // aws/serverless-application-model tests/translator/input/error_api_gateway_responses_nonnumeric_status_code.yaml
            gateway_response("          StatusCode: four-oh-one\n"),
            "template.yaml:3: Resources.Api.Properties.GatewayResponses.UNAUTHORIZED.StatusCode: \
             StatusCode `four-oh-one` must be numeric, e.g. 401",
        ),
        (
            // aws/serverless-application-model tests/translator/input/error_api_gateway_responses_unknown_responseparameter.yaml
            gateway_response("          ResponseParameters:\n            Footers: {X: \"'y'\"}\n"),
            "template.yaml:3: Resources.Api.Properties.GatewayResponses.UNAUTHORIZED.\
             ResponseParameters.Footers: `Footers` is not a gateway response parameter group \
             (Headers, Paths, QueryStrings)",
        ),
        (
            // aws/serverless-application-model tests/translator/input/error_api_invalid_fail_on_warnings.yaml
            api_and_event("      FailOnWarnings: sometimes\n", ""),
            "template.yaml:3: Resources.Api.Properties.FailOnWarnings: FailOnWarnings must be \
             true or false",
        ),
        (
            // aws/serverless-application-model tests/translator/input/error_http_api_with_invalid_auth_while_method_auth_is_none.yaml
            api_and_event("      Auth: [NONE]\n", ""),
            "template.yaml:3: Resources.Api.Properties.Auth: Auth must be an object \
             (DefaultAuthorizer, Authorizers, ApiKeyRequired, …)",
        ),
        (
            // aws/serverless-application-model tests/translator/input/error_default_authorizer_should_be_string_in_api.yaml
            api_and_event(
                "      Auth:\n        DefaultAuthorizer: [A]\n        Authorizers:\n          A: {FunctionArn: !GetAtt Fn.Arn}\n",
                "",
            ),
            "template.yaml:3: Resources.Api.Properties.Auth.DefaultAuthorizer: DefaultAuthorizer \
             must be the name of one of Authorizers (or AWS_IAM), a string (SAM does not resolve \
             an intrinsic here)",
        ),
        (
            // aws/serverless-application-model tests/translator/input/error_function_with_method_auth_and_no_api_auth.yaml
            api_and_event("", "            Auth: {Authorizer: NONE}\n"),
            "template.yaml:7: Resources.Fn.Properties.Events.Get.Properties.Auth.Authorizer: \
             Authorizer NONE on get /items opts out of the API's DefaultAuthorizer, but Api has \
             none (SAM refuses it)",
        ),
        (
            api_and_event("", "            Auth: {Authorizer: Missing}\n"),
            "template.yaml:7: Resources.Fn.Properties.Events.Get.Properties.Auth.Authorizer: the \
             authorizer `Missing` of get /items is not one of the Authorizers of Api (or \
             AWS_IAM, NONE)",
        ),
        (
            // aws/serverless-application-model tests/translator/input/error_function_with_api_key_false.yaml
            api_and_event("", "            Auth: {ApiKeyRequired: false}\n"),
            "template.yaml:7: Resources.Fn.Properties.Events.Get.Properties.Auth.ApiKeyRequired: \
             ApiKeyRequired: false on get /items opts out of the API's ApiKeyRequired, but Api \
             does not require keys (SAM refuses it)",
        ),
        (
            // aws/serverless-application-model tests/translator/input/error_api_override_api_auth_without_authorizer.yaml
            api_and_event(
                "      Auth: {ApiKeyRequired: true}\n",
                "            Auth: {OverrideApiAuth: true}\n",
            ),
            "template.yaml:8: Resources.Fn.Properties.Events.Get.Properties.Auth.OverrideApiAuth: \
             OverrideApiAuth needs one of Authorizer, ApiKeyRequired or ResourcePolicy to \
             override the API's Auth with",
        ),
        (
            // aws/serverless-application-model tests/translator/input/error_api_merge_definitions_with_definitionuri.yaml
            api_and_event(
                "      MergeDefinitions: true\n      DefinitionUri: openapi.yaml\n",
                "",
            ),
            "template.yaml:3: Resources.Api.Properties.MergeDefinitions: MergeDefinitions cannot \
             be true with DefinitionUri: the events' routes are merged into an inline \
             DefinitionBody only",
        ),
        (
            api_and_event("      MergeDefinitions: yes please\n", ""),
            "template.yaml:3: Resources.Api.Properties.MergeDefinitions: MergeDefinitions must be \
             true or false",
        ),
        (
            // aws/serverless-application-model tests/translator/input/error_api_with_invalid_if_condition_swagger.yaml
            api_and_event(
                "      Auth: {ApiKeyRequired: true}\n      DefinitionBody:\n        swagger: \"2.0\"\n        info: {title: t, version: \"1\"}\n        paths:\n          /items:\n            Fn::If: {This: is not a list}\n",
                "",
            ),
            "template.yaml:3: Resources.Api.Properties.DefinitionBody.paths./items: Fn::If takes \
             a list: [ConditionName, value if true, value if false]",
        ),
    ];
    let mut failures = Vec::new();
    for (source, expected) in cases {
        let got = error(source);
        if got != *expected {
            failures.push(format!("expected: {expected}\n     got: {got}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

// A function with a `Condition`: SAM's implicit API plugin puts the
// implicit API itself under the condition when every route of it is a
// conditional function's; several conditions are combined with `Fn::Or`
// into `ServerlessRestApiCondition`, at most 10 to an `Fn::Or`.
// aws/serverless-application-model samtranslator/plugins/api/implicit_api_plugin.py
// (`_maybe_add_condition_to_implicit_api`, `make_combined_condition`)
#[test]
fn an_implicit_api_of_conditional_functions_only_is_itself_conditional() {
    let conditional = |count: usize| {
        let mut source = String::from(
            "Transform: AWS::Serverless-2016-10-31\nParameters:\n  Env: {Type: String, Default: dev}\nConditions:\n",
        );
        for i in 0..count {
            source.push_str(&format!("  C{i:02}: !Equals [!Ref Env, e{i}]\n"));
        }
        source.push_str("Resources:\n");
        for i in 0..count {
            source.push_str(&format!(
                "  Fn{i}:\n    Type: AWS::Serverless::Function\n    Condition: C{i:02}\n    Properties:\n      Runtime: python3.12\n      Handler: app.handler\n      CodeUri: s3://bucket/key\n      Events:\n        Get:\n          Type: Api\n          Properties: {{Path: /p{i}, Method: get}}\n"
            ));
        }
        let root = parse_template(&source, "template.yaml").unwrap_or_else(|e| panic!("{e}"));
        transform(&root, &source, "template.yaml")
            .unwrap_or_else(|e| panic!("{e}"))
            .template
    };
    let one = conditional(1);
    assert_eq!(one["Resources"]["ServerlessRestApi"]["Condition"], "C00");
    let body = &one["Resources"]["ServerlessRestApi"]["Properties"]["Body"]["paths"]["/p0"];
    assert_eq!(body["Fn::If"][0], "C00", "{body}");
    assert_eq!(body["Fn::If"][1]["get"]["Fn::If"][0], "C00", "{body}");

    let twelve = conditional(12);
    assert_eq!(
        twelve["Resources"]["ServerlessRestApi"]["Condition"],
        "ServerlessRestApiCondition"
    );
    let conditions = &twelve["Conditions"];
    let names = |c: &serde_json::Value| {
        c["Fn::Or"]
            .as_array()
            .map(|list| {
                list.iter()
                    .map(|x| x["Condition"].to_string())
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default()
    };
    // C00…C09 in the first group, then C10, C11 and that group.
    assert_eq!(names(&conditions["ServerlessRestApiCondition1"]).len(), 10);
    assert_eq!(
        names(&conditions["ServerlessRestApiCondition"]),
        ["\"C10\"", "\"C11\"", "\"ServerlessRestApiCondition1\""]
    );
    // With the defaults no condition holds: there is no API to serve.
    let source = serde_json::to_string(&twelve).unwrap_or_default();
    assert!(import(&source, "template.json", &ImportOptions::default()).is_err());
}
