//! Where API Gateway's VTL differs from Velocity 1.7, pinned to what real
//! AWS rendered.
//!
//! Sources, by the case's comment:
//! - `airspeed:NAME`: localstack/airspeed `tests/test_templating.py::TestTemplating::NAME`,
//!   whose `render-result-N` values in `tests/test_templating.snapshot.json`
//!   were recorded against API Gateway (a MOCK integration whose request
//!   template stores the body with `$context.requestOverride` and whose
//!   response template renders the case; context values arrive through
//!   `#set($name = $bodyJSON.name)` from `$util.parseJson`, so a JSON null
//!   is a null reference here).
//! - `localstack:NAME`: localstack/localstack
//!   `tests/aws/services/apigateway/NAME`, validated against AWS.
//! - `aws-docs`: the AWS API Gateway developer guide.
//!
//! Each case also checks that plain Velocity 1.7 differs, so the test shows
//! the difference is the dialect's and not the engine's.

use phalanx_vtl::{Context, Engine};

fn render(engine: &Engine, template: &str, vars: serde_json::Value) -> String {
    let mut ctx = Context::from_json(&vars).unwrap();
    engine
        .compile("case.vm", template)
        .and_then(|t| t.render(&mut ctx))
        .unwrap_or_else(|e| panic!("{template:?}: {e}"))
}

fn aws(template: &str, vars: serde_json::Value) -> String {
    render(&Engine::api_gateway(), template, vars)
}

fn velocity(template: &str, vars: serde_json::Value) -> String {
    render(&Engine::velocity(), template, vars)
}

fn squash(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

use serde_json::json;

#[test]
fn an_undefined_reference_renders_as_nothing() {
    // airspeed:test_unmatched_name_does_not_get_substituted → "Hello "
    assert_eq!(aws("Hello $name", json!({})), "Hello ");
    assert_eq!(velocity("Hello $name", json!({})), "Hello $name");
    // airspeed:test_silent_substitution_for_unmatched_values → "Hello "
    assert_eq!(aws("Hello $!name", json!({})), "Hello ");
}

#[test]
fn a_missing_map_key_renders_as_nothing() {
    // airspeed:test_when_dictionary_has_same_key_as_built_in_method → "  "
    let vars = json!({"user": {"items": "1;2;3"}});
    assert_eq!(aws(" $user.name ", vars.clone()), "  ");
    assert_eq!(velocity(" $user.name ", vars), " $user.name ");
}

#[test]
fn a_null_or_undefined_reference_is_true_in_if() {
    // airspeed:test_if_statement_considers_None_to_be_truthy → "hide me" twice
    let t = "#if ($some_value)hide me#end";
    assert_eq!(aws(t, json!({})), "hide me");
    assert_eq!(aws(t, json!({"some_value": null})), "hide me");
    assert_eq!(velocity(t, json!({"some_value": null})), "");
}

#[test]
fn negating_a_null_reference_is_false() {
    // airspeed:test_logical_negation_operator → "yes", "", "" for each operator
    for op in ["!", "not "] {
        let t = format!("#if ( {op}$value )yes#end");
        assert_eq!(aws(&t, json!({"value": false})), "yes");
        assert_eq!(aws(&t, json!({"value": true})), "");
        assert_eq!(aws(&t, json!({"value": null})), "");
        assert_eq!(velocity(&t, json!({"value": null})), "yes");
    }
}

#[test]
fn a_null_map_value_equals_the_empty_string() {
    // airspeed:test_put_null_in_map → "\"does-not-have-value\"" (whitespace ignored)
    let t = r##"
        #set( $myMap = {} )
        #set($ignore = $myMap.put('k', null))
        #if("$myMap.k" == "")
            "does-not-have-value"
        #else
            "has-value"
        #end
    "##;
    assert_eq!(squash(&aws(t, json!({}))), "\"does-not-have-value\"");
    assert_eq!(squash(&velocity(t, json!({}))), "\"has-value\"");
}

#[test]
fn an_undefined_reference_interpolates_as_nothing() {
    // airspeed:test_dict_assign_var_not_found → "{=foo}"
    let t = r#"#set($test_dict = {})#set($test_dict["$key"] = "foo")$test_dict.toString()"#;
    assert_eq!(aws(t, json!({})), "{=foo}");
    assert_eq!(velocity(t, json!({})), "{$key=foo}");
}

#[test]
fn a_null_value_is_null_and_empty_and_renders_nothing() {
    // localstack:test_apigateway_common.py::TestApiGatewayCommon::test_input_path_template_formatting
    // ("empty-body"): `$input.path("$.nonExisting")` → the same output as here.
    let t = r##"#set($result = $nothing){"body": $result, "nested": $result.nested, "isNull": #if($result == $null)"true"#else"false"#end, "isEmptyString": #if($result == "")"true"#else"false"#end}"##;
    assert_eq!(
        aws(t, json!({})),
        r#"{"body": , "nested": , "isNull": "true", "isEmptyString": "true"}"#
    );
}

#[test]
fn inline_macros_are_not_defined() {
    // airspeed:test_macro_whitespace_and_newlines_ignored → "\n#blah()"
    let t = "\n#macro ( blah )\nhello##\n#end\n#blah()";
    assert_eq!(aws(t, json!({})), "\n#blah()");
    assert_eq!(velocity(t, json!({})), "\nhello");
}

#[test]
fn library_macros_still_work() {
    // Not an AWS feature: a library is something a Phalanx user loads on
    // purpose, so it is honoured in both dialects.
    let mut engine = Engine::api_gateway();
    engine
        .add_library("lib.vm", "#macro(hi $who)hi $who#end")
        .unwrap();
    let t = engine.compile("t", "#hi('you')").unwrap();
    assert_eq!(t.render(&mut Context::new()).unwrap(), "hi you");
}

#[test]
fn evaluate_is_not_a_directive() {
    // airspeed:test_evaluate_directive → "\n#evaluate($dynamicsource)"
    let t = "\n#set($source1 = \"abc\")\n#set($select = \"1\")\n#set($dynamicsource = \"$source$select\")\n## $dynamicsource is now the string '$source1'\n#evaluate($dynamicsource)";
    assert_eq!(aws(t, json!({})), "\n#evaluate($dynamicsource)");
    assert_eq!(velocity(t, json!({})), "\nabc");
}

#[test]
fn foreach_is_limited_to_1000_iterations() {
    // aws-docs: "Amazon API Gateway quotas": "Number of iterations in a
    // #foreach ... #end loop in mapping templates: 1000".
    let engine = Engine::api_gateway();
    let ok = engine
        .compile("t", "#foreach($i in [1..1000])#end$i")
        .unwrap();
    assert_eq!(ok.render(&mut Context::new()).unwrap(), "");
    let over = engine
        .compile("t", "#foreach($i in [1..1001])x#end")
        .unwrap();
    let err = over.render(&mut Context::new()).unwrap_err();
    assert_eq!(err.kind(), phalanx_vtl::ErrorKind::Limit);
    insta::assert_snapshot!(err, @r"
        t:1:1: #foreach over 1001 items: more than 1000 iterations, the limit per loop
          |
        1 | #foreach($i in [1..1001])x#end
          | ^
    ");
    // Plain Velocity has no such limit.
    let t = Engine::velocity()
        .compile("t", "#foreach($i in [1..1001])#end")
        .unwrap();
    assert!(t.render(&mut Context::new()).is_ok());
}

#[test]
fn templates_are_limited_to_300_kb() {
    // aws-docs: "Amazon API Gateway important notes": mapping templates are
    // at most 300 KB.
    let big = "x".repeat(300 * 1024 + 1);
    let err = Engine::api_gateway().compile("big.vm", &big).unwrap_err();
    insta::assert_snapshot!(err, @r"
        big.vm:1:1: the template is 307201 bytes; the limit is 307200 bytes
          |
        1 | xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx
          | ^
    ");
    assert!(Engine::api_gateway().compile("ok.vm", &big[1..]).is_ok());
}
