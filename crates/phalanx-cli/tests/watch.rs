//! `phalanx serve --watch`: a template edited under a running server is
//! served as soon as it is saved; a broken one is reported and the
//! previous API is still served; a function whose code changed gets a new
//! process while an unchanged one stays warm; connections survive reloads.
//!
//! Waits are bounded polls (10 s), never fixed sleeps: file events and the
//! debounce take a moment that depends on the machine.

mod common;

use common::{PATIENCE, Server, get_on, serve};
use std::io::BufReader;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// `phalanx serve --watch FLAG FILE`, with `TMPDIR` set to `tmp` if
/// given.
fn watch(flag: &str, file: &Path, tmp: Option<&Path>) -> Server {
    let mut command = serve();
    command.arg("--watch").arg(flag).arg(file);
    if let Some(tmp) = tmp {
        command.env("TMPDIR", tmp);
    }
    Server::start(command)
}

/// `GET /dev{path}` on a new connection: (status, body).
fn get(server: &Server, path: &str) -> (u16, String) {
    let reply = server.get(path);
    (reply.status, reply.body)
}

/// A REST API whose routes `GET /NAME` are MOCK integrations answering
/// `{"route": "NAME"}`.
fn mock_template(routes: &[&str]) -> String {
    let mut t = String::from(
        "AWSTemplateFormatVersion: \"2010-09-09\"\nResources:\n  Api:\n    Type: AWS::ApiGateway::RestApi\n    Properties:\n      Name: watched\n",
    );
    for name in routes {
        t.push_str(&format!(
            r#"  Resource{name}:
    Type: AWS::ApiGateway::Resource
    Properties:
      RestApiId: !Ref Api
      ParentId: !GetAtt Api.RootResourceId
      PathPart: {name}
  Get{name}:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Api
      ResourceId: !Ref Resource{name}
      HttpMethod: GET
      AuthorizationType: NONE
      Integration:
        Type: MOCK
        RequestTemplates:
          application/json: '{{"statusCode": 200}}'
        IntegrationResponses:
          - StatusCode: "200"
            ResponseTemplates:
              application/json: '{{"route": "{name}"}}'
      MethodResponses:
        - StatusCode: "200"
"#
        ));
    }
    t
}

/// Writes `text` to `path` as an editor that saves in place does.
fn write(path: &Path, text: &str) {
    std::fs::write(path, text).expect("write the file");
}

/// Writes `text` to `path` as editors that save atomically do: a new file
/// renamed over the old one.
fn write_by_rename(path: &Path, text: &str) {
    let temporary = path.with_extension("tmp~");
    std::fs::write(&temporary, text).expect("write the file");
    std::fs::rename(&temporary, path).expect("rename it into place");
}

#[test]
fn an_edited_template_is_served_and_a_broken_one_is_not() {
    let folder = tempfile::tempdir().unwrap();
    let template = folder.path().join("template.yaml");
    write(&template, &mock_template(&["a"]));
    let server = watch("--template", &template, None);
    assert_eq!(get(&server, "/a"), (200, r#"{"route": "a"}"#.to_string()));
    assert_eq!(get(&server, "/b").0, 403, "no route b yet");
    // A connection kept open across the reloads.
    let kept = TcpStream::connect(server.host_port()).unwrap();
    kept.set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let mut kept = BufReader::new(kept);
    assert_eq!(get_on(&mut kept, server.host_port(), "/a").0, 200);

    // A new route.
    write(&template, &mock_template(&["a", "b"]));
    server.wait_for("route b", |s| get(s, "/b").0 == 200);
    assert_eq!(get(&server, "/b"), (200, r#"{"route": "b"}"#.to_string()));
    assert_eq!(get(&server, "/a").0, 200);
    server.wait_for("the reload line", |s| s.stdout().contains("(+1 -0)"));
    let stdout = server.stdout();
    assert!(
        stdout.contains(&format!(
            "Reloaded {}: API watched (stage dev) at http://{}/dev, 2 routes (+1 -0)\n  GET     http://{}/dev/a\n  GET     http://{}/dev/b\n",
            template.display(),
            server.host_port(),
            server.host_port(),
            server.host_port()
        )),
        "{stdout}"
    );
    assert_eq!(
        get_on(&mut kept, server.host_port(), "/b"),
        (200, r#"{"route": "b"}"#.to_string()),
        "the open connection is served by the new API"
    );

    // A template that is not YAML: the error, with the file and line, and
    // the previous API still served.
    write(&template, "Resources:\n  Api: [unclosed\n");
    server.wait_for("the reload error", |s| s.stderr().contains("reload failed"));
    let stderr = server.stderr();
    assert!(
        stderr.contains(&format!("{}:", template.display())),
        "the error names the file: {stderr}"
    );
    assert!(
        stderr.contains("reload failed: still serving the previous API"),
        "{stderr}"
    );
    assert_eq!(get(&server, "/a"), (200, r#"{"route": "a"}"#.to_string()));
    assert_eq!(get(&server, "/b"), (200, r#"{"route": "b"}"#.to_string()));
    assert_eq!(get_on(&mut kept, server.host_port(), "/b").0, 200);

    // A template that is YAML but not a valid API (a method without its
    // resource) is refused the same way.
    let failures = server.stderr().matches("reload failed").count();
    let mut invalid = mock_template(&["a"]);
    invalid = invalid.replace("ResourceId: !Ref Resourcea", "ResourceId: !Ref Nowhere");
    write(&template, &invalid);
    server.wait_for("the second reload error", |s| {
        s.stderr().matches("reload failed").count() > failures
    });
    assert_eq!(get(&server, "/b").0, 200);

    // Fixed, saved by renaming a new file over it: route b is gone.
    write_by_rename(&template, &mock_template(&["a"]));
    server.wait_for("route b to go", |s| get(s, "/b").0 == 403);
    assert_eq!(get(&server, "/a").0, 200);
    server.wait_for("the reload line", |s| s.stdout().contains("(+0 -1)"));
    assert_eq!(get_on(&mut kept, server.host_port(), "/a").0, 200);
    server.stop();
}

/// An OpenAPI 3.0 document whose operations `GET /NAME` are MOCK
/// integrations answering `{"route": "NAME"}`.
fn openapi_document(routes: &[&str]) -> String {
    let mut d = String::from("openapi: 3.0.1\ninfo:\n  title: watched\n  version: \"1\"\npaths:\n");
    for name in routes {
        d.push_str(&format!(
            r#"  /{name}:
    get:
      responses:
        "200":
          description: ok
      x-amazon-apigateway-integration:
        type: mock
        requestTemplates:
          application/json: '{{"statusCode": 200}}'
        responses:
          default:
            statusCode: "200"
            responseTemplates:
              application/json: '{{"route": "{name}"}}'
"#
        ));
    }
    d
}

/// `--openapi FILE` is watched as a template is; so is the document a
/// template's `BodyS3Location` names.
#[test]
fn openapi_documents_are_watched() {
    let folder = tempfile::tempdir().unwrap();
    let document = folder.path().join("api.yaml");
    write(&document, &openapi_document(&["a"]));
    let server = watch("--openapi", &document, None);
    assert_eq!(get(&server, "/a").0, 200);
    write(&document, &openapi_document(&["a", "b"]));
    server.wait_for("route b", |s| get(s, "/b").0 == 200);
    write(&document, "openapi: 3.1.0\npaths: {}\n");
    server.wait_for("the reload error", |s| s.stderr().contains("reload failed"));
    assert_eq!(get(&server, "/b").0, 200);
    server.stop();

    let template = folder.path().join("template.yaml");
    let body_folder = folder.path().join("openapi");
    std::fs::create_dir(&body_folder).unwrap();
    let body = body_folder.join("body.yaml");
    write(&body, &openapi_document(&["a"]));
    write(
        &template,
        "Resources:\n  Api:\n    Type: AWS::ApiGateway::RestApi\n    Properties:\n      Name: watched\n      BodyS3Location:\n        Bucket: openapi\n        Key: body.yaml\n",
    );
    let server = watch("--template", &template, None);
    assert_eq!(get(&server, "/a").0, 200);
    assert_eq!(get(&server, "/b").0, 403);
    write_by_rename(&body, &openapi_document(&["a", "b"]));
    server.wait_for("route b", |s| get(s, "/b").0 == 200);
    server.stop();
}

/// A Python function whose code is in a local folder (`Code: app`) and one
/// inline in the template, both answering with their text and process id.
fn function_template(inline_text: &str) -> String {
    let route = |name: &str, function: &str| {
        format!(
            r#"  Resource{name}:
    Type: AWS::ApiGateway::Resource
    Properties:
      RestApiId: !Ref Api
      ParentId: !GetAtt Api.RootResourceId
      PathPart: {name}
  Get{name}:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Api
      ResourceId: !Ref Resource{name}
      HttpMethod: GET
      AuthorizationType: NONE
      Integration:
        Type: AWS_PROXY
        IntegrationHttpMethod: POST
        Uri: !Sub arn:${{AWS::Partition}}:apigateway:${{AWS::Region}}:lambda:path/2015-03-31/functions/${{{function}.Arn}}/invocations
"#
        )
    };
    format!(
        r#"AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Api:
    Type: AWS::ApiGateway::RestApi
    Properties:
      Name: functions
{}{}  FolderFunction:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: handler.handler
      Code: app
      Role: arn:aws:iam::123456789012:role/local
  InlineFunction:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: index.handler
      Role: arn:aws:iam::123456789012:role/local
      Code:
        ZipFile: |
          import os
          def handler(event, context):
              return {{"statusCode": 200, "body": "{inline_text} %d" % os.getpid()}}
"#,
        route("folder", "FolderFunction"),
        route("inline", "InlineFunction"),
    )
}

fn handler_source(text: &str) -> String {
    format!(
        "import os\n\ndef handler(event, context):\n    return {{\"statusCode\": 200, \"body\": \"{text} %d\" % os.getpid()}}\n"
    )
}

/// "TEXT PID" → (TEXT, PID).
fn text_and_pid(body: &str) -> (String, u32) {
    let (text, pid) = body
        .rsplit_once(' ')
        .unwrap_or_else(|| panic!("TEXT PID: {body}"));
    (text.to_string(), pid.parse().expect("a pid"))
}

fn get_function(server: &Server, path: &str) -> (String, u32) {
    let (status, body) = get(server, path);
    assert_eq!(status, 200, "{body}\n--- stderr\n{}", server.stderr());
    text_and_pid(&body)
}

/// Whether a process is gone (or a zombie nobody reaped yet).
fn is_gone(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => {
            let state = stat.rsplit(')').next().unwrap_or("").trim_start();
            state.starts_with('Z') || state.starts_with('X')
        }
    }
}

fn wait_gone(pid: u32) {
    let start = Instant::now();
    while !is_gone(pid) {
        assert!(start.elapsed() < PATIENCE, "process {pid} still runs");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[cfg(target_os = "linux")]
#[test]
fn a_function_whose_code_changed_gets_a_new_process() {
    assert!(
        std::env::var_os("PHALANX_PYTHON").is_some(),
        "PHALANX_PYTHON must name a Python with awslambdaric (./scripts/test.sh sets it)"
    );
    let folder = tempfile::tempdir().unwrap();
    let template = folder.path().join("template.yaml");
    let app: PathBuf = folder.path().join("app");
    std::fs::create_dir(&app).unwrap();
    write(&app.join("handler.py"), &handler_source("folder v1"));
    write(&template, &function_template("inline v1"));
    // The server's temporary folder (for the inline source) goes here.
    let tmp = tempfile::tempdir().unwrap();
    let server = watch("--template", &template, Some(tmp.path()));

    let (text, folder_pid) = get_function(&server, "/folder");
    assert_eq!(text, "folder v1");
    let (text, inline_pid) = get_function(&server, "/inline");
    assert_eq!(text, "inline v1");
    assert_eq!(get_function(&server, "/folder").1, folder_pid, "warm");

    // The folder function's code changes: its process is replaced; the
    // inline function's is kept.
    write(&app.join("handler.py"), &handler_source("folder v2"));
    server.wait_for("the new code", |s| {
        get_function(s, "/folder").0 == "folder v2"
    });
    wait_gone(folder_pid);
    assert!(
        server.stderr().contains(
            "function FolderFunction: its code changed; new invocations start new processes"
        ),
        "{}",
        server.stderr()
    );
    assert_eq!(
        get_function(&server, "/inline"),
        ("inline v1".to_string(), inline_pid)
    );

    // The inline source changes in the template: that function restarts,
    // the folder one stays warm.
    let (_, folder_pid) = get_function(&server, "/folder");
    write(&template, &function_template("inline v2"));
    server.wait_for("the new inline code", |s| {
        get_function(s, "/inline").0 == "inline v2"
    });
    wait_gone(inline_pid);
    assert_eq!(
        get_function(&server, "/folder"),
        ("folder v2".to_string(), folder_pid)
    );
    let (_, inline_pid) = get_function(&server, "/inline");

    // The folder removed and written again, as build tools do: it is
    // still watched afterwards.
    std::fs::remove_dir_all(&app).unwrap();
    std::fs::create_dir(&app).unwrap();
    write(&app.join("handler.py"), &handler_source("folder v3"));
    server.wait_for("the rewritten folder", |s| {
        get_function(s, "/folder").0 == "folder v3"
    });
    write(&app.join("handler.py"), &handler_source("folder v4"));
    server.wait_for("an edit in the rewritten folder", |s| {
        get_function(s, "/folder").0 == "folder v4"
    });
    let (_, folder_pid) = get_function(&server, "/folder");

    // Python's own writes (__pycache__) and an editor's swap file are not
    // changes of the code.
    std::fs::create_dir_all(app.join("__pycache__")).unwrap();
    write(&app.join("__pycache__/handler.cpython-312.pyc"), "x");
    write(&app.join(".handler.py.swp"), "x");
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(get_function(&server, "/folder").1, folder_pid);

    // No process outlives the server, nor its temporary folder.
    let entries = || std::fs::read_dir(tmp.path()).unwrap().count();
    assert_eq!(entries(), 1, "the inline source's temporary folder");
    server.stop();
    wait_gone(folder_pid);
    wait_gone(inline_pid);
    assert_eq!(entries(), 0, "removed at exit");
}
