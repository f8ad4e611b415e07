//! Importing authorizers: CloudFormation's `AWS::ApiGateway::Authorizer`
//! (AWS::ApiGateway::Authorizer reference: Type, Name, AuthorizerUri,
//! IdentitySource, IdentityValidationExpression,
//! AuthorizerResultTtlInSeconds, ProviderARNs), a Method's `AuthorizerId`
//! and `AuthorizationScopes`, the RestApi's `ApiKeySourceType`; OpenAPI's
//! `x-amazon-apigateway-authorizer` schemes (developer guide,
//! "x-amazon-apigateway-authorizer object") and `security`. Errors name
//! the place: file and line (of the resource) with the property path, or
//! the JSON pointer.

use phalanx_gateway::cloudformation::{ImportOptions, import};
use phalanx_gateway::model::AuthorizerType;
use phalanx_gateway::openapi::{OpenApiOptions, import as import_openapi};

const TEMPLATE: &str = "\
Resources:
  Api:
    Type: AWS::ApiGateway::RestApi
    Properties:
      Name: api
      ApiKeySourceType: AUTHORIZER
  Pets:
    Type: AWS::ApiGateway::Resource
    Properties:
      RestApiId: !Ref Api
      ParentId: !GetAtt Api.RootResourceId
      PathPart: pets
  AuthFunction:
    Type: AWS::Lambda::Function
    Properties:
      FunctionName: auth-fn
      Runtime: python3.12
      Handler: auth.handler
      Code: {ZipFile: 'def handler(e, c): pass'}
  TokenAuth:
    Type: AWS::ApiGateway::Authorizer
    Properties:
      RestApiId: !Ref Api
      Name: token-auth
      Type: TOKEN
      AuthorizerUri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${AuthFunction.Arn}/invocations
      IdentitySource: method.request.header.Authorization
      IdentityValidationExpression: 'Bearer .+'
      AuthorizerResultTtlInSeconds: 60
  Pool:
    Type: AWS::ApiGateway::Authorizer
    Properties:
      RestApiId: !Ref Api
      Name: pool
      Type: COGNITO_USER_POOLS
      IdentitySource: method.request.header.Authorization
      ProviderARNs: [arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_abc]
  GetPets:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Api
      ResourceId: !Ref Pets
      HttpMethod: GET
      AuthorizationType: CUSTOM
      AuthorizerId: !Ref TokenAuth
      Integration: {Type: MOCK}
  PostPets:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Api
      ResourceId: !Ref Pets
      HttpMethod: POST
      AuthorizationType: COGNITO_USER_POOLS
      AuthorizerId: !Ref Pool
      AuthorizationScopes: [pets/write]
      Integration: {Type: MOCK}
";

#[test]
fn cloudformation_authorizers_methods_and_key_source_import() {
    let imported = import(TEMPLATE, "t.yaml", &ImportOptions::default()).expect("imports");
    let api = &imported.api;
    assert_eq!(api.api_key_source_type.as_deref(), Some("AUTHORIZER"));
    let token = &api.authorizers[0];
    assert_eq!(token.name, "token-auth");
    assert_eq!(token.kind, AuthorizerType::Token);
    assert_eq!(token.function.as_deref(), Some("AuthFunction"));
    assert_eq!(
        token.identity_source.as_deref(),
        Some("method.request.header.Authorization")
    );
    assert_eq!(
        token.identity_validation_expression.as_deref(),
        Some("Bearer .+")
    );
    assert_eq!(token.authorizer_result_ttl_in_seconds, Some(60));
    let pool = &api.authorizers[1];
    assert_eq!(pool.kind, AuthorizerType::CognitoUserPools);
    assert_eq!(pool.function, None);
    assert_eq!(
        pool.provider_arns,
        ["arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_abc"]
    );
    assert_eq!(api.methods[0].authorizer.as_deref(), Some("token-auth"));
    assert_eq!(api.methods[1].authorizer.as_deref(), Some("pool"));
    assert_eq!(api.methods[1].authorization_scopes, ["pets/write"]);
    // Lambda and Cognito authorizers are both enforced locally: no warning.
    assert!(imported.warnings.is_empty(), "{:?}", imported.warnings);
    phalanx_gateway::Gateway::build(api, "dev", phalanx_gateway::invoke::InProcess::new())
        .expect("compiles");
}

#[test]
fn cloudformation_errors_name_the_property() {
    let unknown = TEMPLATE.replace("AuthorizerId: !Ref TokenAuth", "AuthorizerId: nope");
    let e = import(&unknown, "t.yaml", &ImportOptions::default()).unwrap_err();
    assert_eq!(
        e.to_string(),
        "t.yaml:38: Resources.GetPets.Properties.AuthorizerId: `nope` is not an \
         AWS::ApiGateway::Authorizer of `Api`"
    );
    let bad_type = TEMPLATE.replace("Type: TOKEN", "Type: JWT");
    let e = import(&bad_type, "t.yaml", &ImportOptions::default()).unwrap_err();
    assert_eq!(
        e.to_string(),
        "t.yaml:20: Resources.TokenAuth.Properties.Type: `JWT` is not one of TOKEN, REQUEST, \
         COGNITO_USER_POOLS"
    );
    let other_function = TEMPLATE.replace(
        "${AuthFunction.Arn}",
        "arn:aws:lambda:us-east-1:123456789012:function:elsewhere",
    );
    let e = import(&other_function, "t.yaml", &ImportOptions::default()).unwrap_err();
    assert!(
        e.to_string().starts_with(
            "t.yaml:20: Resources.TokenAuth.Properties.AuthorizerUri: the authorizer invokes the \
             Lambda function `elsewhere`"
        ),
        "{e}"
    );
    let bad_source = TEMPLATE.replace("ApiKeySourceType: AUTHORIZER", "ApiKeySourceType: COOKIE");
    let e = import(&bad_source, "t.yaml", &ImportOptions::default()).unwrap_err();
    assert_eq!(
        e.to_string(),
        "t.yaml:2: Resources.Api.Properties.ApiKeySourceType: `COOKIE` is not one of HEADER, \
         AUTHORIZER"
    );
}

const OPENAPI: &str = r#"
openapi: 3.0.1
info: {title: shop}
x-amazon-apigateway-api-key-source: AUTHORIZER
paths:
  /orders:
    get:
      security:
        - shopper: []
      x-amazon-apigateway-integration: {type: mock}
    post:
      security:
        - pool: [orders/write]
      x-amazon-apigateway-integration: {type: mock}
components:
  securitySchemes:
    shopper:
      type: apiKey
      name: X-Session
      in: header
      x-amazon-apigateway-authtype: custom
      x-amazon-apigateway-authorizer:
        type: request
        identitySource: method.request.header.X-Session, method.request.querystring.shop
        authorizerUri: arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:shop-auth/invocations
        authorizerResultTtlInSeconds: 0
    pool:
      type: apiKey
      name: Authorization
      in: header
      x-amazon-apigateway-authtype: cognito_user_pools
      x-amazon-apigateway-authorizer:
        type: cognito_user_pools
        providerARNs: [arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_abc]
"#;

#[test]
fn openapi_authorizers_security_and_key_source_import() {
    let imported =
        import_openapi(OPENAPI, "shop.yaml", &OpenApiOptions::default()).expect("imports");
    let api = &imported.api;
    assert_eq!(api.api_key_source_type.as_deref(), Some("AUTHORIZER"));
    let shopper = &api.authorizers[0];
    assert_eq!(
        (shopper.name.as_str(), shopper.kind),
        ("shopper", AuthorizerType::Request)
    );
    // A bare document's function is added under its name.
    assert_eq!(shopper.function.as_deref(), Some("shop-auth"));
    assert!(api.functions.contains_key("shop-auth"));
    assert_eq!(shopper.authorizer_result_ttl_in_seconds, Some(0));
    let pool = &api.authorizers[1];
    // The scheme's header is the Cognito identity source too.
    assert_eq!(
        pool.identity_source.as_deref(),
        Some("method.request.header.Authorization")
    );
    assert_eq!(api.methods[0].authorization_type.as_deref(), Some("CUSTOM"));
    assert_eq!(api.methods[0].authorizer.as_deref(), Some("shopper"));
    assert_eq!(api.methods[1].authorizer.as_deref(), Some("pool"));
    assert_eq!(api.methods[1].authorization_scopes, ["orders/write"]);
    // Lambda and Cognito authorizers are both enforced locally: no warning.
    assert!(imported.warnings.is_empty(), "{:?}", imported.warnings);
}

#[test]
fn openapi_errors_name_the_pointer() {
    let bad_type = OPENAPI.replace("type: request", "type: jwt");
    let e = import_openapi(&bad_type, "shop.yaml", &OpenApiOptions::default()).unwrap_err();
    assert_eq!(
        e.to_string(),
        "shop.yaml: /components/securitySchemes/shopper/x-amazon-apigateway-authorizer/type: \
         expected one of token, request, cognito_user_pools, found `jwt`"
    );
    let no_uri = OPENAPI.replace(
        "        authorizerUri: arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:shop-auth/invocations\n",
        "",
    );
    let e = import_openapi(&no_uri, "shop.yaml", &OpenApiOptions::default()).unwrap_err();
    assert!(
        e.to_string().contains("/components/securitySchemes/shopper/x-amazon-apigateway-authorizer: a token or request authorizer needs an authorizerUri"),
        "{e}"
    );
    let unknown = OPENAPI.replace("- shopper: []", "- shoper: []");
    let e = import_openapi(&unknown, "shop.yaml", &OpenApiOptions::default()).unwrap_err();
    assert!(
        e.to_string().contains("/paths/~1orders/get/security/0/shoper: `shoper` is not a security scheme of the document"),
        "{e}"
    );
}
