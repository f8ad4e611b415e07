//! Host objects' properties as references read them: the fast path that
//! writes a string found through properties of maps and objects must give
//! what the general path gives, in both dialects.

use phalanx_vtl::{Context, Engine, Object, Value};

/// A host object with a string, a map, a number and a property that is
/// null, like the gateway's `$context`.
struct Request;

impl Object for Request {
    fn type_name(&self) -> &str {
        "Request"
    }

    fn property(&self, name: &str) -> Option<Value> {
        match name {
            "stage" => Some(Value::from("dev")),
            "identity" => Some(Value::map([(
                Value::from("sourceIp"),
                Value::from("127.0.0.1"),
            )])),
            "count" => Some(Value::Int(3)),
            "nothing" => Some(Value::Null),
            _ => None,
        }
    }
}

fn render(engine: &Engine, src: &str) -> String {
    let mut ctx = Context::new();
    ctx.insert("request", Value::object(Request));
    engine
        .compile("t", src)
        .and_then(|t| t.render(&mut ctx))
        .unwrap_or_else(|e| panic!("{src}: {e}"))
}

#[test]
fn properties_of_host_objects_render_as_the_general_path_renders_them() {
    let cases = [
        // A string through an object, and through an object then a map.
        ("$request.stage", "dev", "dev"),
        ("$request.identity.sourceIp", "127.0.0.1", "127.0.0.1"),
        // Not strings at the end: the general path writes them.
        ("$request.count", "3", "3"),
        (
            "$request.identity",
            "{sourceIp=127.0.0.1}",
            "{sourceIp=127.0.0.1}",
        ),
        // Missing and null: Velocity writes the reference, API Gateway "".
        ("$request.missing", "$request.missing", ""),
        ("$request.nothing", "$request.nothing", ""),
        ("$request.identity.missing", "$request.identity.missing", ""),
        ("$request.stage.missing", "$request.stage.missing", ""),
        ("$!request.missing", "", ""),
        // A method after the properties is not the fast path's.
        ("$request.stage.toUpperCase()", "DEV", "DEV"),
    ];
    for (src, velocity, api_gateway) in cases {
        assert_eq!(
            render(&Engine::velocity(), src),
            velocity,
            "{src} (Velocity)"
        );
        assert_eq!(
            render(&Engine::api_gateway(), src),
            api_gateway,
            "{src} (API Gateway)"
        );
    }
}

#[test]
fn a_variable_set_over_the_object_is_read_instead() {
    let src = "$request.stage|#set($request = {'stage': 'prod'})$request.stage";
    assert_eq!(render(&Engine::velocity(), src), "dev|prod");
}

#[test]
fn properties_of_host_objects_read_as_values_are_the_general_paths() {
    // Read as values (assigned, compared, passed): the value path's walk
    // through objects, and references it leaves to the general path.
    let cases = [
        ("#set($ip = $request.identity.sourceIp)$ip", "127.0.0.1"),
        ("#if($request.count == 3)three#end", "three"),
        (
            "$request.stage.concat($request.identity.sourceIp)",
            "dev127.0.0.1",
        ),
        ("#set($m = $request.identity)$m.sourceIp", "127.0.0.1"),
        ("$request.identity.keySet()", "[sourceIp]"),
        ("$request.identity.get('sourceIp')", "127.0.0.1"),
        // Null and missing on the way: null at the end.
        ("#if(!$request.nothing.x)null#end", "null"),
        ("#if(!$request.missing.x.y)null#end", "null"),
    ];
    for (src, expected) in cases {
        assert_eq!(render(&Engine::velocity(), src), expected, "{src}");
    }
}
