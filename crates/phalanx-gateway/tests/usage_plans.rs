//! Usage plans (throttling and quotas per API key) and stage throttling
//! (`MethodSettings`), from a CloudFormation template through the gateway.
//! Time is a manual [`Clock`]: nothing sleeps, and no test asserts timing.
//! Each test names its AWS source.

use phalanx_gateway::clock::Clock;
use phalanx_gateway::cloudformation::{ImportOptions, import};
use phalanx_gateway::invoke::InProcess;
use phalanx_gateway::{Gateway, GatewayReply, GatewayRequest};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A MOCK API: `/a` and `/b` require a key, `/open` does not; `dev` has
/// the method settings `settings` (YAML list items, indented), and the
/// usage plan `plan` (YAML properties, indented) covers `dev` with the
/// keys `gold` and `silver`.
fn template(settings: &str, plan: &str) -> String {
    let method = |id: &str, path_ref: &str, key: bool| {
        format!(
            r#"
  {id}:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Api
      ResourceId: !Ref {path_ref}
      HttpMethod: GET
      AuthorizationType: NONE
      ApiKeyRequired: {key}
      Integration:
        Type: MOCK
        RequestTemplates:
          application/json: '{{"statusCode": 200}}'
        IntegrationResponses:
          - StatusCode: "200"
            ResponseTemplates:
              application/json: '{{"ok": true}}'
      MethodResponses:
        - StatusCode: "200"
"#
        )
    };
    let resource = |id: &str, part: &str| {
        format!(
            r#"
  {id}:
    Type: AWS::ApiGateway::Resource
    Properties:
      RestApiId: !Ref Api
      ParentId: !GetAtt Api.RootResourceId
      PathPart: {part}
"#
        )
    };
    let key = |id: &str, value: &str| {
        format!(
            r#"
  {id}:
    Type: AWS::ApiGateway::ApiKey
    Properties:
      Name: {id}
      Value: {value}
      Enabled: true
  {id}PlanKey:
    Type: AWS::ApiGateway::UsagePlanKey
    Properties:
      KeyId: !Ref {id}
      KeyType: API_KEY
      UsagePlanId: !Ref Plan
"#
        )
    };
    format!(
        r#"
Resources:
  Api:
    Type: AWS::ApiGateway::RestApi
    Properties:
      Name: limits
{ra}{rb}{ro}{ma}{mb}{mo}
  Deployment:
    Type: AWS::ApiGateway::Deployment
    DependsOn: [GetA, GetB, GetOpen]
    Properties:
      RestApiId: !Ref Api
  Dev:
    Type: AWS::ApiGateway::Stage
    Properties:
      RestApiId: !Ref Api
      DeploymentId: !Ref Deployment
      StageName: dev
      MethodSettings:
{settings}
  Plan:
    Type: AWS::ApiGateway::UsagePlan
    Properties:
{plan}
{gold}{silver}
"#,
        ra = resource("A", "a"),
        rb = resource("B", "b"),
        ro = resource("Open", "open"),
        ma = method("GetA", "A", true),
        mb = method("GetB", "B", true),
        mo = method("GetOpen", "Open", false),
        gold = key("gold", "gold-key-0123456789"),
        silver = key("silver", "silver-key-0123456789"),
    )
}

const NO_SETTINGS: &str = "        []";

/// 2026-12-05T12:00:00Z, a Saturday.
fn saturday_noon() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_796_472_000)
}

fn gateway(source: &str, clock: &Clock) -> Gateway {
    let imported = import(source, "t.yaml", &ImportOptions::default())
        .unwrap_or_else(|e| panic!("imports: {e}"));
    Gateway::build(&imported.api, "dev", InProcess::new())
        .unwrap_or_else(|e| panic!("builds: {e}"))
        .with_clock(clock.clone())
}

async fn get(gw: &Gateway, path: &str, key: Option<&str>) -> GatewayReply {
    let mut headers = vec![("host".to_string(), "localhost".to_string())];
    if let Some(k) = key {
        headers.push(("x-api-key".to_string(), k.to_string()));
    }
    gw.handle(GatewayRequest {
        method: "GET".into(),
        path: format!("/dev{path}"),
        headers,
        ..GatewayRequest::default()
    })
    .await
}

async fn statuses(gw: &Gateway, path: &str, key: Option<&str>, n: usize) -> Vec<u16> {
    let mut out = Vec::new();
    for _ in 0..n {
        out.push(get(gw, path, key).await.status);
    }
    out
}

const GOLD: Option<&str> = Some("gold-key-0123456789");
const SILVER: Option<&str> = Some("silver-key-0123456789");

// Developer guide, "Throttle requests to your REST APIs": a token bucket
// per client (the API key of a usage plan) with the plan's rate and burst;
// past it, 429 `{"message":"Too Many Requests"}` — the THROTTLED gateway
// response, `x-amzn-ErrorType: TooManyRequestsException` (developer guide,
// "Gateway response types for API Gateway"). Keys of one plan do not share
// a bucket ("Usage plan limits are applied per key. Keys within the same
// plan do not share the limit", API Gateway's team on re:Post).
#[tokio::test]
async fn a_plan_throttles_each_key_with_its_own_token_bucket() {
    let clock = Clock::manual(saturday_noon());
    let plan = r#"      UsagePlanName: basic
      ApiStages:
        - ApiId: !Ref Api
          Stage: !Ref Dev
      Throttle:
        RateLimit: 2
        BurstLimit: 3"#;
    let gw = gateway(&template(NO_SETTINGS, plan), &clock);
    assert_eq!(statuses(&gw, "/a", GOLD, 4).await, [200, 200, 200, 429]);
    let reply = get(&gw, "/a", GOLD).await;
    assert_eq!(reply.status, 429);
    assert_eq!(
        String::from_utf8_lossy(&reply.body),
        r#"{"message":"Too Many Requests"}"#
    );
    assert_eq!(
        reply.header("x-amzn-ErrorType"),
        Some("TooManyRequestsException")
    );
    // The bucket is the key's, for every method of the plan.
    assert_eq!(get(&gw, "/b", GOLD).await.status, 429);
    // Another key of the plan has its own bucket.
    assert_eq!(statuses(&gw, "/a", SILVER, 3).await, [200, 200, 200]);
    // Tokens come back at the rate: 2 a second.
    clock.advance(Duration::from_millis(500));
    assert_eq!(statuses(&gw, "/a", GOLD, 2).await, [200, 429]);
    clock.advance(Duration::from_secs(10));
    assert_eq!(statuses(&gw, "/a", GOLD, 4).await, [200, 200, 200, 429]);
}

// Developer guide, "Throttle requests…" ("Configuring API-level and
// stage-level throttling targets in a usage plan"): a method listed in the
// plan stage's Throttle (`/a/GET`) has its own per-client limits instead of
// the plan's; AWS applies "per-client or per-method throttling limits that
// you set for an API stage in a usage plan" first.
#[tokio::test]
async fn a_plan_stage_throttle_overrides_the_plan_for_its_method() {
    let clock = Clock::manual(saturday_noon());
    let plan = r#"      ApiStages:
        - ApiId: !Ref Api
          Stage: dev
          Throttle:
            /a/GET:
              RateLimit: 1
              BurstLimit: 1
      Throttle:
        RateLimit: 100
        BurstLimit: 5"#;
    let gw = gateway(&template(NO_SETTINGS, plan), &clock);
    assert_eq!(statuses(&gw, "/a", GOLD, 2).await, [200, 429]);
    assert_eq!(
        statuses(&gw, "/b", GOLD, 6).await,
        [200, 200, 200, 200, 200, 429]
    );
}

// Only methods that require an API key are metered by usage plans: a
// usage plan's clients are identified by the API key the method requires
// (developer guide, "Usage plans and API keys for REST APIs"); `/open`
// never reads the x-api-key header, so a key sent to it is not counted.
#[tokio::test]
async fn methods_without_api_key_required_are_not_metered_by_plans() {
    let clock = Clock::manual(saturday_noon());
    let plan = r#"      ApiStages:
        - ApiId: !Ref Api
          Stage: dev
      Throttle:
        RateLimit: 1
        BurstLimit: 1
      Quota:
        Limit: 1
        Period: DAY"#;
    let gw = gateway(&template(NO_SETTINGS, plan), &clock);
    assert_eq!(statuses(&gw, "/open", GOLD, 5).await, [200; 5]);
    assert_eq!(get(&gw, "/a", GOLD).await.status, 200);
}

// Quotas: at most Limit requests per period, per key; past it 429
// `{"message":"Limit Exceeded"}`, the QUOTA_EXCEEDED gateway response with
// `x-amzn-ErrorType: LimitExceededException` (developer guide, "Gateway
// response types"). A DAY is a UTC calendar day ("1000 requests from 12am
// until 11:59pm UTC", an answer on the usage-plan day window); Offset is
// "the number of requests subtracted from the given limit in the initial
// time period" (API reference, QuotaSettings).
#[tokio::test]
async fn a_daily_quota_resets_at_midnight_utc_with_the_offset_in_the_first_day() {
    let clock = Clock::manual(saturday_noon());
    let plan = r#"      ApiStages:
        - ApiId: !Ref Api
          Stage: dev
      Quota:
        Limit: 3
        Offset: 1
        Period: DAY"#;
    let gw = gateway(&template(NO_SETTINGS, plan), &clock);
    assert_eq!(statuses(&gw, "/a", GOLD, 2).await, [200, 200]);
    let reply = get(&gw, "/b", GOLD).await;
    assert_eq!(reply.status, 429);
    assert_eq!(
        String::from_utf8_lossy(&reply.body),
        r#"{"message":"Limit Exceeded"}"#
    );
    assert_eq!(
        reply.header("x-amzn-ErrorType"),
        Some("LimitExceededException")
    );
    // Another key has its own quota.
    assert_eq!(statuses(&gw, "/a", SILVER, 1).await, [200]);
    // 23:59:59 UTC: still the same day.
    clock.advance(Duration::from_secs(12 * 3600 - 1));
    assert_eq!(get(&gw, "/a", GOLD).await.status, 429);
    // Midnight UTC: a new day, the whole limit.
    clock.advance(Duration::from_secs(1));
    assert_eq!(statuses(&gw, "/a", GOLD, 4).await, [200, 200, 200, 429]);
}

// WEEK and MONTH are UTC calendar periods too. That a week starts on
// Sunday 00:00 UTC is not in today's developer guide; the API reference's
// earlier QuotaSettings text said "with a time period of WEEK, an offset of
// 0 starts on Sunday" (a choice, see pipeline/authorize/usage_plan.rs).
#[tokio::test]
async fn weekly_quotas_start_on_sunday_and_monthly_on_the_first() {
    let clock = Clock::manual(saturday_noon());
    let weekly = r#"      ApiStages:
        - ApiId: !Ref Api
          Stage: dev
      Quota:
        Limit: 1
        Period: WEEK"#;
    let gw = gateway(&template(NO_SETTINGS, weekly), &clock);
    assert_eq!(statuses(&gw, "/a", GOLD, 2).await, [200, 429]);
    // Sunday 00:00 UTC.
    clock.advance(Duration::from_secs(12 * 3600));
    assert_eq!(statuses(&gw, "/a", GOLD, 2).await, [200, 429]);
    // The next Saturday is the same week.
    clock.advance(Duration::from_secs(6 * 86_400 + 3600));
    assert_eq!(get(&gw, "/a", GOLD).await.status, 429);

    let clock = Clock::manual(saturday_noon());
    let monthly = weekly.replace("WEEK", "MONTH");
    let gw = gateway(&template(NO_SETTINGS, &monthly), &clock);
    assert_eq!(statuses(&gw, "/a", GOLD, 2).await, [200, 429]);
    // 2026-12-31T23:59:59Z: December still.
    clock.set(UNIX_EPOCH + Duration::from_secs(1_798_761_599));
    assert_eq!(get(&gw, "/a", GOLD).await.status, 429);
    // 2027-01-01T00:00:00Z.
    clock.advance(Duration::from_secs(1));
    assert_eq!(statuses(&gw, "/a", GOLD, 2).await, [200, 429]);
}

// A stage's MethodSettings throttle every caller of a method, key or no
// key (developer guide, "Throttle requests…": "per-method throttling limits
// that you set for an API stage", applied after a usage plan's), with one
// bucket per method: `/*` + `*` gives each method its own. CloudFormation
// writes a method's ResourcePath with its slashes as ~1 (`/~1a`),
// CloudFormation's AWS::ApiGateway::Stage MethodSetting reference.
#[tokio::test]
async fn stage_method_settings_throttle_every_caller_per_method() {
    let clock = Clock::manual(saturday_noon());
    let settings = r#"        - ResourcePath: /*
          HttpMethod: "*"
          ThrottlingRateLimit: 1
          ThrottlingBurstLimit: 2
        - ResourcePath: /~1open
          HttpMethod: GET
          ThrottlingBurstLimit: 1"#;
    let plan = r#"      ApiStages:
        - ApiId: !Ref Api
          Stage: dev"#;
    let gw = gateway(&template(settings, plan), &clock);
    assert_eq!(statuses(&gw, "/open", None, 2).await, [200, 429]);
    assert_eq!(statuses(&gw, "/a", GOLD, 2).await, [200, 200]);
    // Another key: the same method's bucket, shared by all callers.
    assert_eq!(get(&gw, "/a", SILVER).await.status, 429);
    assert_eq!(statuses(&gw, "/b", SILVER, 3).await, [200, 200, 429]);
    clock.advance(Duration::from_secs(1));
    assert_eq!(statuses(&gw, "/open", None, 2).await, [200, 429]);
}

// A throttled answer goes through the gateway responses: a THROTTLED
// customisation applies (developer guide, "Gateway response types").
#[tokio::test]
async fn the_throttled_gateway_response_can_be_customised() {
    let clock = Clock::manual(saturday_noon());
    let settings = r#"        - ResourcePath: /*
          HttpMethod: "*"
          ThrottlingRateLimit: 1
          ThrottlingBurstLimit: 1"#;
    let plan = r#"      ApiStages:
        - ApiId: !Ref Api
          Stage: dev
  Throttled:
    Type: AWS::ApiGateway::GatewayResponse
    Properties:
      RestApiId: !Ref Api
      ResponseType: THROTTLED
      ResponseParameters:
        gatewayresponse.header.Retry-After: "'1'"
      ResponseTemplates:
        application/json: '{"slow down": "$context.error.messageString"}'"#;
    let gw = gateway(&template(settings, plan), &clock);
    assert_eq!(get(&gw, "/open", None).await.status, 200);
    let reply = get(&gw, "/open", None).await;
    assert_eq!(reply.status, 429);
    assert_eq!(reply.header("Retry-After"), Some("1"));
    assert_eq!(
        String::from_utf8_lossy(&reply.body),
        r#"{"slow down": ""Too Many Requests""}"#
    );
}

// What the importer reads: the plan (name, stages with method throttles,
// throttle, quota, key names) and the stage's method settings unescaped.
#[test]
fn the_importer_reads_plans_and_method_settings() {
    let settings = r#"        - ResourcePath: /~1a
          HttpMethod: get
          ThrottlingRateLimit: 2.5
        - ResourcePath: /*
          HttpMethod: "*"
          ThrottlingBurstLimit: 7"#;
    let plan = r#"      UsagePlanName: gold-plan
      ApiStages:
        - ApiId: !Ref Api
          Stage: dev
          Throttle:
            /a/GET: {RateLimit: 1, BurstLimit: 2}
      Throttle: {RateLimit: 10, BurstLimit: 20}
      Quota: {Limit: 1000, Offset: 10, Period: month}"#;
    let imported = import(
        &template(settings, plan),
        "t.yaml",
        &ImportOptions::default(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let api = serde_json::to_value(&imported.api).unwrap();
    assert_eq!(
        api["UsagePlans"],
        serde_json::json!([{
            "Name": "gold-plan",
            "ApiStages": [{"Stage": "dev", "Throttle": {"/a/GET": {"RateLimit": 1.0, "BurstLimit": 2}}}],
            "Throttle": {"RateLimit": 10.0, "BurstLimit": 20},
            "Quota": {"Limit": 1000, "Period": "MONTH", "Offset": 10},
            "ApiKeys": ["gold", "silver"]
        }])
    );
    let stage = &api["Stages"][0];
    assert_eq!(
        stage["MethodSettings"],
        serde_json::json!([
            {"ResourcePath": "/a", "HttpMethod": "GET", "ThrottlingRateLimit": 2.5, "ThrottlingBurstLimit": null},
            {"ResourcePath": "/*", "HttpMethod": "*", "ThrottlingRateLimit": null, "ThrottlingBurstLimit": 7}
        ])
    );
}

// Errors name the place: an unescaped ResourcePath, a quota period AWS
// does not have, a plan method path that is no method.
#[test]
fn import_and_build_errors_name_the_place() {
    let plan = r#"      ApiStages:
        - ApiId: !Ref Api
          Stage: dev"#;
    let bad_path = template(
        r#"        - ResourcePath: /a
          HttpMethod: GET
          ThrottlingRateLimit: 1"#,
        plan,
    );
    let e = import(&bad_path, "t.yaml", &ImportOptions::default())
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        e.contains("Dev") && e.contains("MethodSettings") && e.contains("~1"),
        "{e}"
    );

    let bad_period = template(
        NO_SETTINGS,
        &format!("{plan}\n      Quota: {{Limit: 1, Period: YEAR}}"),
    );
    let e = import(&bad_period, "t.yaml", &ImportOptions::default())
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        e.contains("Plan") && e.contains("Period") && e.contains("YEAR"),
        "{e}"
    );

    let bad_method = template(
        NO_SETTINGS,
        r#"      ApiStages:
        - ApiId: !Ref Api
          Stage: dev
          Throttle:
            /nope/GET: {RateLimit: 1, BurstLimit: 1}"#,
    );
    let imported =
        import(&bad_method, "t.yaml", &ImportOptions::default()).unwrap_or_else(|e| panic!("{e}"));
    let e = Gateway::build(&imported.api, "dev", InProcess::new())
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        e.contains("usage plan Plan") && e.contains("/nope/GET"),
        "{e}"
    );
}

// A deployment's StageDescription throttling (ThrottlingRateLimit,
// ThrottlingBurstLimit: CloudFormation's AWS::ApiGateway::Deployment
// StageDescription reference) is the stage's default for every method,
// and its MethodSettings are read as a Stage's are.
#[tokio::test]
async fn a_deployment_stage_description_throttles_every_method() {
    let source = r#"
Resources:
  Api:
    Type: AWS::ApiGateway::RestApi
    Properties:
      Name: described
  Get:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Api
      ResourceId: !GetAtt Api.RootResourceId
      HttpMethod: GET
      AuthorizationType: NONE
      Integration:
        Type: MOCK
        RequestTemplates:
          application/json: '{"statusCode": 200}'
        IntegrationResponses:
          - StatusCode: "200"
      MethodResponses:
        - StatusCode: "200"
  Post:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Api
      ResourceId: !GetAtt Api.RootResourceId
      HttpMethod: POST
      AuthorizationType: NONE
      Integration:
        Type: MOCK
        RequestTemplates:
          application/json: '{"statusCode": 200}'
        IntegrationResponses:
          - StatusCode: "200"
      MethodResponses:
        - StatusCode: "200"
  Deployment:
    Type: AWS::ApiGateway::Deployment
    DependsOn: [Get, Post]
    Properties:
      RestApiId: !Ref Api
      StageName: dev
      StageDescription:
        ThrottlingRateLimit: 1
        ThrottlingBurstLimit: 2
        MethodSettings:
          - ResourcePath: /
            HttpMethod: POST
            ThrottlingBurstLimit: 1
"#;
    let clock = Clock::manual(saturday_noon());
    let gw = gateway(source, &clock);
    let send = |method: &str| {
        gw.handle(GatewayRequest {
            method: method.into(),
            path: "/dev".into(),
            headers: vec![("host".to_string(), "localhost".to_string())],
            ..GatewayRequest::default()
        })
    };
    let mut got = Vec::new();
    for method in ["GET", "GET", "GET", "POST", "POST"] {
        got.push(send(method).await.status);
    }
    assert_eq!(got, [200, 200, 429, 200, 429]);
}
