//! CloudFormation import: the templates in `tests/templates/` and the error
//! messages for what cannot be imported.
//!
//! `pets_api.yaml` is a realistic API written with YAML's short forms;
//! `pets_api.json` is the same template in long forms (converted with
//! `cfn-flip`), and both must import to the same model, which is compared
//! with `pets_api.expected.json`. Set `PHALANX_UPDATE_EXPECTED=1` to rewrite
//! that file after an intended change, and review the diff.

use phalanx_gateway::cloudformation::{
    ImportError, ImportErrorKind, ImportOptions, Imported, import, parse_template,
};
use phalanx_gateway::model::IntegrationType;
use serde_json::{Value, json};

fn read(name: &str) -> String {
    let path = format!("{}/tests/templates/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn import_yaml(source: &str) -> Result<Imported, ImportError> {
    import(source, "t.yaml", &ImportOptions::default())
}

/// The error message (Display) of importing `source` as `t.yaml`.
#[track_caller]
fn error(source: &str) -> String {
    match import_yaml(source) {
        Ok(imported) => panic!("imported without error: {:#?}", imported.api),
        Err(e) => e.to_string(),
    }
}

fn snapshot(imported: &Imported) -> Value {
    json!({
        "LogicalId": imported.logical_id,
        "GeneratedApiKeys": imported.generated_api_keys.iter().map(|k| json!({
            "LogicalId": k.logical_id, "Name": k.name, "Value": k.value,
        })).collect::<Vec<_>>(),
        "Warnings": imported.warnings,
        "Api": imported.api,
    })
}

// ----- The realistic API -----

#[test]
fn pets_api_imports_to_the_expected_model() {
    let imported = import(
        &read("pets_api.yaml"),
        "pets_api.yaml",
        &ImportOptions::default(),
    )
    .expect("pets_api.yaml imports");
    let actual = snapshot(&imported);
    let path = format!(
        "{}/tests/templates/pets_api.expected.json",
        env!("CARGO_MANIFEST_DIR")
    );
    if std::env::var_os("PHALANX_UPDATE_EXPECTED").is_some() {
        let text = serde_json::to_string_pretty(&actual).expect("serializes") + "\n";
        std::fs::write(&path, text).expect("writes the expected model");
    }
    let expected: Value =
        serde_json::from_str(&read("pets_api.expected.json")).expect("valid JSON");
    assert_eq!(
        actual, expected,
        "the import differs from pets_api.expected.json (PHALANX_UPDATE_EXPECTED=1 rewrites it)"
    );
}

#[test]
fn pets_api_json_long_forms_import_the_same_as_yaml_short_forms() {
    let options = ImportOptions::default();
    let yaml = import(&read("pets_api.yaml"), "pets_api.yaml", &options).expect("YAML imports");
    let json = import(&read("pets_api.json"), "pets_api.json", &options).expect("JSON imports");
    assert_eq!(yaml, json);
}

#[test]
fn pets_api_key_facts() {
    let imported = import(
        &read("pets_api.yaml"),
        "pets_api.yaml",
        &ImportOptions::default(),
    )
    .expect("imports");
    let api = &imported.api;
    assert_eq!(imported.logical_id, "PetsApi");
    assert_eq!(api.name, "phalanx-local-pets-api");
    assert_eq!(api.description.as_deref(), Some("Pets (dev)"));
    // A stable id, 10 lowercase alphanumeric characters, from the logical id.
    assert_eq!(api.id.len(), 10);
    assert!(
        api.id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    );
    assert_eq!(
        api.binary_media_types,
        ["image/png", "application/octet-stream"]
    );

    let routes: Vec<(&str, &str)> = api
        .methods
        .iter()
        .map(|m| (m.http_method.as_str(), m.resource_path.as_str()))
        .collect();
    assert_eq!(
        routes,
        [
            ("GET", "/pets"),
            ("POST", "/pets"),
            ("OPTIONS", "/pets"),
            ("GET", "/pets/{petId}"),
            ("GET", "/pets/{petId}/photos"),
            ("ANY", "/files/{proxy+}"),
            ("GET", "/"),
        ]
    );

    let integration = |i: usize| {
        api.methods[i]
            .integration
            .as_ref()
            .expect("has an integration")
    };
    // Lambda integrations name the function by logical id, however the URI
    // was written (Fn::Sub with ${X.Arn}, Fn::Join, Fn::Sub with a variable).
    assert_eq!(integration(0).kind, IntegrationType::Aws);
    assert_eq!(integration(0).function.as_deref(), Some("PetsFunction"));
    assert_eq!(integration(1).function.as_deref(), Some("PetsFunction"));
    assert_eq!(integration(3).function.as_deref(), Some("PetFunction"));
    assert_eq!(
        integration(3).uri.as_deref(),
        Some(
            "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/\
             arn:aws:lambda:us-east-1:123456789012:function:PetFunction/invocations"
        )
    );
    assert_eq!(integration(2).kind, IntegrationType::Mock);
    assert_eq!(integration(5).function, None);
    // ${!Literal} stays for API Gateway to fill in.
    assert_eq!(
        integration(5).uri.as_deref(),
        Some("https://backend.example.com/${stageVariables.filesPrefix}/{proxy}")
    );
    assert_eq!(
        api.methods[1].request_validator.as_deref(),
        Some("body-only")
    );
    assert_eq!(api.methods[1].request_models["application/json"], "Pet");

    let stages: Vec<&str> = api.stages.iter().map(|s| s.stage_name.as_str()).collect();
    assert_eq!(stages, ["test", "dev-stage"]);
    assert_eq!(api.stages[0].variables["filesPrefix"], "scratch");
    assert_eq!(api.stages[1].variables["tableSuffix"], "-dev");

    let keys: Vec<(&str, &[String])> = api
        .api_keys
        .iter()
        .map(|k| (k.name.as_str(), k.stages.as_slice()))
        .collect();
    assert_eq!(
        keys,
        [
            ("client", &["dev-stage".to_owned(), "test".to_owned()][..]),
            (
                "PartnerKey",
                &["dev-stage".to_owned(), "test".to_owned()][..]
            ),
        ]
    );
    assert_eq!(api.api_keys[0].value, "local-client-key-0123456789");
    assert_eq!(imported.generated_api_keys.len(), 1);
    assert_eq!(imported.generated_api_keys[0].logical_id, "PartnerKey");
    assert_eq!(imported.generated_api_keys[0].value, api.api_keys[1].value);
    assert_eq!(api.api_keys[1].value.len(), 40);

    let pets = &api.functions["PetsFunction"];
    assert_eq!(pets.function_name, "phalanx-local-pets");
    assert_eq!(pets.memory_size, Some(256));
    assert_eq!(pets.environment["DEBUG"], "1");
    assert_eq!(
        pets.environment["ORIGINS"],
        "https://pets.example.com https://admin.example.com"
    );
}

#[test]
fn made_up_values_are_stable_between_runs() {
    let first =
        import(&read("pets_api.yaml"), "a.yaml", &ImportOptions::default()).expect("imports");
    let second =
        import(&read("pets_api.yaml"), "b.yaml", &ImportOptions::default()).expect("imports");
    assert_eq!(first, second);
    // Pinned: `$context.apiId` and generated keys must not change between
    // versions either.
    assert_eq!(first.api.id, "jxty82w3a5");
}

#[test]
fn options_give_parameters_region_account_and_stack_name() {
    let options = ImportOptions {
        parameters: [("Environment".to_owned(), "prod".to_owned())]
            .into_iter()
            .collect(),
        region: "eu-west-1".to_owned(),
        account_id: "210987654321".to_owned(),
        stack_name: "shop".to_owned(),
        ..ImportOptions::default()
    };
    let api = import(&read("pets_api.yaml"), "pets_api.yaml", &options)
        .expect("imports")
        .api;
    assert_eq!(api.name, "shop-pets-api");
    // Fn::If on a condition that is now true; AWS::NoValue removes DEBUG.
    let stages: Vec<&str> = api.stages.iter().map(|s| s.stage_name.as_str()).collect();
    assert_eq!(stages, ["test", "prod"]);
    let pets = &api.functions["PetsFunction"];
    assert_eq!(pets.function_name, "shop-pets");
    assert_eq!(pets.memory_size, Some(1024));
    assert_eq!(pets.environment.get("DEBUG"), None);
    assert_eq!(pets.environment["LOG_LEVEL"], "info");
    assert_eq!(
        api.methods[0]
            .integration
            .as_ref()
            .and_then(|i| i.uri.as_deref()),
        Some(
            "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/\
             arn:aws:lambda:eu-west-1:210987654321:function:shop-pets/invocations"
        )
    );
}

// ----- YAML short forms -----

#[test]
fn yaml_short_forms_equal_long_forms() {
    let short = parse_template(&read("short_forms.yaml"), "short_forms.yaml").expect("parses");
    let long = parse_template(&read("long_forms.json"), "long_forms.json").expect("parses");
    assert_eq!(short, long);
}

#[test]
fn short_and_long_forms_resolve_the_same() {
    let short = r#"
Parameters:
  Env: {Type: String, Default: dev}
Mappings:
  Hosts: {dev: {Name: dev.example.com}}
Conditions:
  IsDev: !Equals [!Ref Env, dev]
  Both: !And [!Condition IsDev, !Not [!Equals [!Ref Env, prod]]]
Resources:
  Api:
    Type: AWS::ApiGateway::RestApi
    Properties:
      Name: !Join ["-", [!Select [1, !Split [",", "a,b,c"]], !FindInMap [Hosts, !Ref Env, Name]]]
      Description: !If [Both, !Base64 "hi", !Ref AWS::NoValue]
      BinaryMediaTypes: [!Select [0, !GetAZs ""], !Sub ["${X}", {X: !GetAtt Api.RootResourceId}]]
"#;
    let long = r#"{
  "Parameters": {"Env": {"Type": "String", "Default": "dev"}},
  "Mappings": {"Hosts": {"dev": {"Name": "dev.example.com"}}},
  "Conditions": {
    "IsDev": {"Fn::Equals": [{"Ref": "Env"}, "dev"]},
    "Both": {"Fn::And": [{"Condition": "IsDev"}, {"Fn::Not": [{"Fn::Equals": [{"Ref": "Env"}, "prod"]}]}]}
  },
  "Resources": {
    "Api": {
      "Type": "AWS::ApiGateway::RestApi",
      "Properties": {
        "Name": {"Fn::Join": ["-", [{"Fn::Select": [1, {"Fn::Split": [",", "a,b,c"]}]}, {"Fn::FindInMap": ["Hosts", {"Ref": "Env"}, "Name"]}]]},
        "Description": {"Fn::If": ["Both", {"Fn::Base64": "hi"}, {"Ref": "AWS::NoValue"}]},
        "BinaryMediaTypes": [{"Fn::Select": [0, {"Fn::GetAZs": ""}]}, {"Fn::Sub": ["${X}", {"X": {"Fn::GetAtt": ["Api", "RootResourceId"]}}]}]
      }
    }
  }
}"#;
    let short = import_yaml(short).expect("short forms import").api;
    let long = import(long, "t.json", &ImportOptions::default())
        .expect("long forms import")
        .api;
    assert_eq!(short, long);
    assert_eq!(short.name, "b-dev.example.com");
    assert_eq!(short.description.as_deref(), Some("aGk="));
    assert_eq!(short.binary_media_types[0], "us-east-1a");
    assert_eq!(short.binary_media_types[1].len(), 10);
}

// ----- Errors -----

/// The start of a Lambda integration URI, up to `/functions/`.
const INVOKE: &str = "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31";
/// A Lambda function ARN without the name.
const FUNCTION: &str = "arn:aws:lambda:us-east-1:123456789012:function";

/// An API with `/pets`; tests append resources after it (from line 11).
const BASE: &str = "\
Resources:
  Api:
    Type: AWS::ApiGateway::RestApi
    Properties:
      Name: api
  Pets:
    Type: AWS::ApiGateway::Resource
    Properties:
      RestApiId: !Ref Api
      ParentId: !GetAtt Api.RootResourceId
      PathPart: pets
";

/// BASE plus a GET method on `/pets` with `properties` (indented by 6)
/// after HttpMethod, starting on line 12.
fn with_method(properties: &str) -> String {
    format!(
        "{BASE}  GetPets:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Api
      ResourceId: !Ref Pets
      HttpMethod: GET
{properties}"
    )
}

#[test]
fn syntax_errors_name_file_line_and_column() {
    let e = import_yaml("Resources:\n  Api:\n    Type: [unclosed\n").unwrap_err();
    assert_eq!(e.kind(), ImportErrorKind::Syntax);
    assert_eq!((e.line(), e.column()), (Some(4), Some(1)));
    assert_eq!(
        e.to_string(),
        "t.yaml:4:1: invalid YAML: did not find expected ',' or ']', while parsing a flow \
         sequence at line 3 column 11"
    );
    let e = import(
        "{\n  \"Resources\": {,}\n}",
        "t.json",
        &ImportOptions::default(),
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "t.json:2:17: invalid JSON: key must be a string"
    );
}

#[test]
fn import_value_is_unsupported_and_names_the_property() {
    let e = import_yaml(&with_method(
        "      AuthorizationType: NONE
      Integration:
        Type: HTTP_PROXY
        IntegrationHttpMethod: GET
        Uri: !ImportValue backend-url
",
    ))
    .unwrap_err();
    assert_eq!(e.kind(), ImportErrorKind::Unsupported);
    assert_eq!(e.logical_id(), Some("GetPets"));
    assert_eq!(
        e.path(),
        Some("Resources.GetPets.Properties.Integration.Uri")
    );
    assert_eq!(
        e.to_string(),
        "t.yaml:12: Resources.GetPets.Properties.Integration.Uri: Fn::ImportValue is not \
         supported locally (there are no other stacks to import from); replace it with a literal"
    );
}

#[test]
fn unsupported_functions_in_ignored_properties_do_not_matter() {
    let imported = import_yaml(&with_method(
        "      AuthorizationType: AWS_IAM
      Integration:
        Type: HTTP_PROXY
        IntegrationHttpMethod: GET
        Uri: https://example.com
        Credentials: !ImportValue shared-role-arn
",
    ))
    .expect("imports");
    // AWS_IAM is enforced (SigV4): no warning.
    assert!(imported.warnings.is_empty(), "{:?}", imported.warnings);
}

#[test]
fn nested_function_errors_name_the_argument() {
    assert_eq!(
        error(&with_method(
            "      Integration:
        Type: HTTP
        Uri: !Join ['', ['https://', !Ref Host, /pets]]
"
        )),
        "t.yaml:12: Resources.GetPets.Properties.Integration.Uri.Fn::Join[1][1]: Ref to `Host`: \
         there is no parameter or resource with that logical id"
    );
    assert_eq!(
        error(&with_method(
            "      Integration:
        Type: HTTP
        Uri: !Sub 'https://${Host/pets'
"
        )),
        "t.yaml:12: Resources.GetPets.Properties.Integration.Uri: Fn::Sub: `${` without a \
         closing `}` in `https://${Host/pets`"
    );
    assert_eq!(
        error(&with_method(
            "      Integration:
        Type: HTTP
        Uri: !Select [3, [a, b]]
"
        )),
        "t.yaml:12: Resources.GetPets.Properties.Integration.Uri: Fn::Select: index 3 is out of \
         range (the list has 2 items)"
    );
}

#[test]
fn methods_on_missing_resources_are_errors() {
    let missing = with_method("").replace("ResourceId: !Ref Pets", "ResourceId: !Ref Missing");
    assert_eq!(
        error(&missing),
        "t.yaml:12: Resources.GetPets.Properties.ResourceId: Ref to `Missing`: there is no \
         parameter or resource with that logical id"
    );
    let literal = with_method("").replace("ResourceId: !Ref Pets", "ResourceId: abc123");
    assert_eq!(
        error(&literal),
        "t.yaml:12: Resources.GetPets.Properties.ResourceId: `abc123` is neither the root \
         resource of `Api` (Fn::GetAtt Api.RootResourceId) nor an AWS::ApiGateway::Resource of it"
    );
    let not_created = format!(
        "Conditions:\n  Never: !Equals [a, b]\n{}",
        with_method("").replace(
            "      PathPart: pets\n",
            "      PathPart: pets\n    Condition: Never\n"
        )
    );
    assert_eq!(
        error(&not_created),
        "t.yaml:15: Resources.GetPets.Properties.ResourceId: `Pets` is not created: its condition \
         `Never` is false"
    );
    let orphan = format!(
        "{BASE}  Pet:
    Type: AWS::ApiGateway::Resource
    Properties:
      RestApiId: !Ref Api
      ParentId: xyz
      PathPart: '{{petId}}'
"
    );
    assert_eq!(
        error(&orphan),
        "t.yaml:12: Resources.Pet.Properties.ParentId: `xyz` is neither the root resource of \
         `Api` (Fn::GetAtt Api.RootResourceId) nor an AWS::ApiGateway::Resource of it"
    );
}

#[test]
fn resource_trees_must_be_trees_of_path_segments() {
    let resource = |id: &str, parent: &str, part: &str| {
        format!(
            "  {id}:
    Type: AWS::ApiGateway::Resource
    Properties:
      RestApiId: !Ref Api
      ParentId: {parent}
      PathPart: {part}
"
        )
    };
    let cycle = format!(
        "{BASE}{}{}",
        resource("A", "!Ref B", "a"),
        resource("B", "!Ref A", "b")
    );
    assert_eq!(
        error(&cycle),
        "t.yaml:12: Resources.A.Properties.ParentId: the resource is its own ancestor"
    );
    let slash = format!("{BASE}{}", resource("Deep", "!Ref Pets", "a/b"));
    assert_eq!(
        error(&slash),
        "t.yaml:12: Resources.Deep.Properties.PathPart: `a/b` is not a path segment (one \
         non-empty segment without `/`)"
    );
    let twice = format!(
        "{BASE}{}",
        resource("Again", "!GetAtt Api.RootResourceId", "pets")
    );
    assert_eq!(
        error(&twice),
        "t.yaml:12: Resources.Again.Properties: the path /pets is also defined by `Pets`"
    );
}

#[test]
fn properties_of_the_wrong_type_name_the_path_and_what_was_expected() {
    assert_eq!(
        error(&with_method("      ApiKeyRequired: [yes]\n")),
        "t.yaml:12: Resources.GetPets.Properties.ApiKeyRequired: expected a boolean (true or \
         false), found a list"
    );
    assert_eq!(
        error(&with_method("      Integration: MOCK\n")),
        "t.yaml:12: Resources.GetPets.Properties.Integration: expected an object, found a string"
    );
    assert_eq!(
        error(&with_method(
            "      Integration:
        Type: MOCK
        IntegrationResponses:
          - StatusCode: 200
          - SelectionPattern: '4\\d\\d'
"
        )),
        "t.yaml:12: Resources.GetPets.Properties.Integration.IntegrationResponses[1]: the \
         required property StatusCode is missing"
    );
    assert_eq!(
        error(&with_method("      Integration:\n        Type: LAMBDA\n")),
        "t.yaml:12: Resources.GetPets.Properties.Integration.Type: `LAMBDA` is not one of AWS, \
         AWS_PROXY, HTTP, HTTP_PROXY, MOCK"
    );
    assert_eq!(
        error(&with_method(
            "      RequestParameters:\n        method.request.path.id: {a: b}\n"
        )),
        "t.yaml:12: Resources.GetPets.Properties.RequestParameters.method.request.path.id: \
         expected a boolean (true or false), found an object"
    );
    assert_eq!(
        error(&with_method(
            "      Integration:\n        Type: MOCK\n        TimeoutInMillis: -5\n"
        )),
        "t.yaml:12: Resources.GetPets.Properties.Integration.TimeoutInMillis: expected a \
         non-negative integer, found a number"
    );
    assert_eq!(
        error(&BASE.replace("      Name: api\n", "      Name: api\n      Description:\n")),
        "t.yaml:2: Resources.Api.Properties.Description: null values are not allowed in \
         templates (in YAML, a key with nothing after it is null)"
    );
    assert_eq!(
        error(&with_method("").replace("HttpMethod: GET", "HttpMethod: FETCH")),
        "t.yaml:12: Resources.GetPets.Properties.HttpMethod: `FETCH` is not one of GET, POST, \
         PUT, DELETE, PATCH, HEAD, OPTIONS, ANY"
    );
}

#[test]
fn lambda_integrations_must_invoke_a_function_of_the_template() {
    assert_eq!(
        error(&with_method(&format!(
            "      Integration:
        Type: AWS_PROXY
        IntegrationHttpMethod: POST
        Uri: {INVOKE}/functions/{FUNCTION}:elsewhere/invocations
"
        ))),
        "t.yaml:12: Resources.GetPets.Properties.Integration.Uri: the integration invokes the \
         Lambda function `elsewhere` (arn:aws:lambda:us-east-1:123456789012:function:elsewhere), \
         which is not an AWS::Lambda::Function of this template"
    );
}

#[test]
fn lambda_functions_are_matched_through_aliases_and_stage_variables() {
    let source = with_method(&format!(
        "      Integration:
        Type: AWS_PROXY
        IntegrationHttpMethod: POST
        Uri: !Sub {INVOKE}/functions/${{Live}}/invocations
  GetRoot:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Api
      ResourceId: !GetAtt Api.RootResourceId
      HttpMethod: GET
      Integration:
        Type: AWS_PROXY
        IntegrationHttpMethod: POST
        Uri: {INVOKE}/functions/{FUNCTION}:${{stageVariables.fn}}/invocations
  Handler:
    Type: AWS::Lambda::Function
    Properties:
      FunctionName: handler
      Handler: index.handler
      Runtime: python3.12
  Live:
    Type: AWS::Lambda::Alias
    Properties:
      FunctionName: !Ref Handler
      FunctionVersion: '1'
      Name: live
"
    ));
    let imported = import_yaml(&source).expect("imports");
    let function = |i: usize| {
        imported.api.methods[i]
            .integration
            .as_ref()
            .and_then(|i| i.function.clone())
    };
    assert_eq!(function(0).as_deref(), Some("Handler"));
    assert_eq!(function(1), None);
    assert_eq!(
        imported.warnings,
        [
            "GetRoot (GET /): the Lambda function is chosen by a stage variable \
             (arn:aws:lambda:us-east-1:123456789012:function:${stageVariables.fn}), so the \
             importer cannot tell which one it is; the integration names no function"
        ]
    );
}

#[test]
fn cloning_and_sam_templates_are_unsupported() {
    // An OpenAPI Body is imported (tests/openapi_import.rs); an empty one
    // adds nothing to the template's resources.
    let body = BASE.replace(
        "      Name: api\n",
        "      Name: api\n      Body: {openapi: 3.0.1}\n",
    );
    assert_eq!(
        import_yaml(&body).unwrap().api,
        import_yaml(BASE).unwrap().api
    );
    let clone = BASE.replace(
        "      Name: api\n",
        "      Name: api\n      CloneFrom: abc\n",
    );
    let e = import_yaml(&clone).unwrap_err();
    assert_eq!(e.kind(), ImportErrorKind::Unsupported);
    assert_eq!(e.logical_id(), Some("Api"));
    assert_eq!(
        e.to_string(),
        "t.yaml:2: Resources.Api.Properties.CloneFrom: cloning another API is not supported; \
         describe the API with AWS::ApiGateway::Resource and AWS::ApiGateway::Method resources, \
         or an OpenAPI Body"
    );
    let macro_transform = format!("Transform: AWS::LanguageExtensions\n{BASE}");
    assert_eq!(
        error(&macro_transform),
        "t.yaml: Transform: the transform AWS::LanguageExtensions is not supported locally \
         (only AWS::Serverless-2016-10-31 is): import the processed template (`aws \
         cloudformation get-template --template-stage Processed`)"
    );
    let sam_resource = format!("{BASE}  Fn:\n    Type: AWS::Serverless::Function\n");
    assert_eq!(
        error(&sam_resource),
        "t.yaml: Resources.Fn.Type: AWS::Serverless::Function is a SAM resource, but the \
         template does not ask for SAM's transform: add `Transform: \
         AWS::Serverless-2016-10-31` at the top"
    );
}

#[test]
fn the_api_to_import_is_chosen_or_must_be_unique() {
    let two = format!(
        "{BASE}  Admin:\n    Type: AWS::ApiGateway::RestApi\n    Properties:\n      Name: admin\n"
    );
    assert_eq!(
        error(&two),
        "t.yaml: the template has several REST APIs (Api, Admin): choose one with `--api ID` \
         (ImportOptions::api)"
    );
    let options = ImportOptions {
        api: Some("Admin".to_owned()),
        ..ImportOptions::default()
    };
    let admin = import(&two, "t.yaml", &options).expect("imports").api;
    assert_eq!(admin.name, "admin");
    // `/pets` belongs to the other API.
    assert!(admin.methods.is_empty());
    let options = ImportOptions {
        api: Some("Pets".to_owned()),
        ..ImportOptions::default()
    };
    assert_eq!(
        import(&two, "t.yaml", &options).unwrap_err().to_string(),
        "t.yaml:6: Resources.Pets: the API to import is not an AWS::ApiGateway::RestApi; the \
         template's RestApis: Api, Admin"
    );
    assert_eq!(
        error("Resources:\n  Queue:\n    Type: AWS::SQS::Queue\n"),
        "t.yaml: the template has no AWS::ApiGateway::RestApi"
    );
}

#[test]
fn references_and_attributes_that_cannot_be_resolved() {
    assert_eq!(
        error(&BASE.replace("Name: api", "Name: !GetAtt Pets.PathPart")),
        "t.yaml:2: Resources.Api.Properties.Name: Fn::GetAtt Pets.PathPart: the attribute \
         `PathPart` of AWS::ApiGateway::Resource is not known locally; replace it with a literal"
    );
    let circular = format!(
        "{BASE}  Fn:
    Type: AWS::Lambda::Function
    Properties:
      FunctionName: !Sub '${{Fn.Arn}}-x'
"
    );
    assert_eq!(
        error(&circular),
        "t.yaml:12: Resources.Fn.Properties.FunctionName: circular reference: Fn → Fn"
    );
    assert_eq!(
        error(&BASE.replace("Name: api", "Name: !Equals [a, b]")),
        "t.yaml:2: Resources.Api.Properties.Name: Fn::Equals can only be used in the Conditions \
         section (use a condition with Fn::If)"
    );
    assert_eq!(
        error(&BASE.replace("Name: api", "Name: !If [Missing, a, b]")),
        "t.yaml:2: Resources.Api.Properties.Name.Fn::If[0]: the condition `Missing` is not \
         defined in the Conditions section"
    );
    let cycle = format!(
        "Conditions:\n  A: !Condition B\n  B: !Not [!Condition A]\n{}",
        BASE.replace("Name: api", "Name: !If [A, a, b]")
    );
    assert_eq!(
        error(&cycle),
        "t.yaml:2: Conditions.A: the condition refers to itself (A → B → A)"
    );
    assert_eq!(
        error(&BASE.replace("Name: api", "Name: !Foo api")),
        "t.yaml:5: Resources.Api.Properties.Name: unknown tag !Foo; CloudFormation's short forms \
         are !Ref, !GetAtt, !Sub, !Join, !Select, !Split, !If, !Equals, !Not, !And, !Or, \
         !FindInMap, !Base64, !Condition, !ImportValue, !GetAZs and !Cidr"
    );
    assert_eq!(
        error(&BASE.replace("Name: api", "Name: !Cidr [10.0.0.0/16, 2, 8]")),
        "t.yaml:2: Resources.Api.Properties.Name: Fn::Cidr is not supported locally; replace it \
         with a literal"
    );
}

#[test]
fn parameters_need_values() {
    let source = format!(
        "Parameters:\n  ApiName:\n    Type: String\n    AllowedValues: [a, b]\n{}",
        BASE.replace("Name: api", "Name: !Ref ApiName")
    );
    assert_eq!(
        error(&source),
        "t.yaml:6: Resources.Api.Properties.Name: Ref to the parameter `ApiName`, which has no \
         Default: give it a value in the import options"
    );
    let given = |value: &str| ImportOptions {
        parameters: [("ApiName".to_owned(), value.to_owned())]
            .into_iter()
            .collect(),
        ..ImportOptions::default()
    };
    assert_eq!(
        import(&source, "t.yaml", &given("b"))
            .expect("imports")
            .api
            .name,
        "b"
    );
    assert_eq!(
        import(&source, "t.yaml", &given("c"))
            .unwrap_err()
            .to_string(),
        "t.yaml:2: Parameters.ApiName: the value `c` is not one of the AllowedValues (a, b)"
    );
    let unknown = ImportOptions {
        parameters: [("Stage".to_owned(), "x".to_owned())].into_iter().collect(),
        ..ImportOptions::default()
    };
    assert_eq!(
        import(&source, "t.yaml", &unknown).unwrap_err().to_string(),
        "t.yaml: the parameter `Stage` given in the options is not declared in the template's \
         Parameters"
    );
    let ssm = format!(
        "Parameters:
  ApiName:
    Type: AWS::SSM::Parameter::Value<String>
    Default: /shop/api-name
{}",
        BASE.replace("Name: api", "Name: !Ref ApiName")
    );
    assert_eq!(
        error(&ssm),
        "t.yaml:6: Resources.Api.Properties.Name: Ref to the parameter `ApiName`: CloudFormation \
         reads parameters of type AWS::SSM::Parameter::Value<String> from SSM Parameter Store; \
         give its value in the import options"
    );
}

#[test]
fn duplicates_are_errors() {
    let twice = format!(
        "{}  GetPetsAgain:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Api
      ResourceId: !Ref Pets
      HttpMethod: get
",
        with_method("")
    );
    assert_eq!(
        error(&twice),
        "t.yaml:18: Resources.GetPetsAgain.Properties: GET /pets is also defined by `GetPets`"
    );
    let stage = |id: &str, name: &str| {
        format!(
            "  {id}:
    Type: AWS::ApiGateway::Stage
    Properties:
      RestApiId: !Ref Api
      DeploymentId: d
      StageName: {name}
"
        )
    };
    let stages = format!("{BASE}{}{}", stage("One", "prod"), stage("Two", "prod"));
    assert_eq!(
        error(&stages),
        "t.yaml:18: Resources.Two.Properties: the stage `prod` is also created by `One`"
    );
}

#[test]
fn errors_implement_std_error() {
    let e: Box<dyn std::error::Error> = Box::new(import_yaml("[").unwrap_err());
    assert!(e.to_string().starts_with("t.yaml:"));
}

// ----- Never panic -----

#[test]
fn truncated_templates_are_errors_not_panics() {
    for name in ["pets_api.yaml", "pets_api.json"] {
        let source = read(name);
        for end in (0..source.len())
            .step_by(23)
            .filter(|&end| source.is_char_boundary(end))
        {
            let _ = import(&source[..end], name, &ImportOptions::default());
        }
    }
}

/// Every value under `Resources` in turn replaced by a value of each other
/// type: the import must answer (usually an error naming the path), never
/// panic.
#[test]
fn values_of_the_wrong_type_are_errors_not_panics() {
    fn paths(value: &Value, path: &mut Vec<Value>, out: &mut Vec<Vec<Value>>) {
        out.push(path.clone());
        match value {
            Value::Object(map) => {
                for (key, value) in map {
                    path.push(Value::String(key.clone()));
                    paths(value, path, out);
                    path.pop();
                }
            }
            Value::Array(items) => {
                for (i, value) in items.iter().enumerate() {
                    path.push(Value::from(i));
                    paths(value, path, out);
                    path.pop();
                }
            }
            _ => {}
        }
    }
    fn at<'v>(value: &'v mut Value, path: &[Value]) -> &'v mut Value {
        path.iter().fold(value, |value, key| match key {
            Value::String(key) => &mut value[key.as_str()],
            _ => &mut value[key.as_u64().unwrap_or_default() as usize],
        })
    }
    let template: Value = serde_json::from_str(&read("pets_api.json")).expect("valid JSON");
    let mut all = Vec::new();
    paths(
        &template["Resources"],
        &mut vec![Value::from("Resources")],
        &mut all,
    );
    let replacements = [
        json!(null),
        json!(7),
        json!("x"),
        json!([1]),
        json!({"k": "v"}),
    ];
    let mut errors = 0;
    for (i, path) in all.iter().enumerate() {
        // Two replacements per value, rotating, to keep the test quick.
        for replacement in [&replacements[i % 5], &replacements[(i + 2) % 5]] {
            let mut mutated = template.clone();
            *at(&mut mutated, path) = replacement.clone();
            if let Err(e) = import(&mutated.to_string(), "m.json", &ImportOptions::default()) {
                assert_ne!(e.kind(), ImportErrorKind::Syntax, "{e}");
                errors += 1;
            }
        }
    }
    assert!(
        errors > all.len() / 2,
        "{errors} of {} mutations are errors",
        all.len() * 2
    );
}
