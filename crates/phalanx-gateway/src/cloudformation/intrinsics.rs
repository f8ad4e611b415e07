//! Intrinsic functions, parameters, conditions and references: what
//! CloudFormation computes before a resource sees its properties.
//!
//! Locally there is no deployed stack, so references get made-up but
//! stable values: a RestApi's id is a hash of its logical id, a Lambda
//! function's ARN is built from its name and the chosen region and account.
//! Anything that needs AWS itself (`Fn::ImportValue`, SSM parameters,
//! `Fn::Cidr`, …) is an error that says so and names the property.
//!
//! Resolution is lazy and shallow: [`Template::resolve`] only evaluates the
//! function at the top of a value, and the typed readers (in `template.rs`,
//! with the [`Template`] type itself) resolve what they read. So an
//! unsupported function in a property the emulator ignores (say an
//! integration's `Credentials`) never stops an import.
//!
//! Here: resolution and the functions themselves (`Template::call`,
//! `Fn::Sub`'s substitution), conditions, and references — what `Ref`
//! gives for each resource type (`Template::physical_id`) and what
//! `Fn::GetAtt` gives (`Template::attribute`).

use base64::Engine as _;
use serde_json::{Map, Value};

use crate::ids::{characters, made_up_id};

use super::template::{Parameter, Result, Template, child, item, kind_of};

/// The name and argument of an intrinsic function, if `value` is one: an
/// object with exactly one key, `Ref` or `Fn::…`.
pub(crate) fn intrinsic(value: &Value) -> Option<(&str, &Value)> {
    let Value::Object(map) = value else {
        return None;
    };
    if map.len() != 1 {
        return None;
    }
    let (name, argument) = map.iter().next()?;
    (name == "Ref" || name.starts_with("Fn::")).then_some((name.as_str(), argument))
}

impl Template<'_> {
    // ----- Resolution -----

    /// Resolves the intrinsic function at the top of `value`, if any; what
    /// is inside the result is left as written. `None` is `AWS::NoValue`.
    pub(crate) fn resolve(&self, value: &Value, path: &str) -> Result<Option<Value>> {
        match intrinsic(value) {
            None => Ok(Some(value.clone())),
            Some((name, argument)) => self.call(name, argument, path),
        }
    }

    /// Resolves every intrinsic function in `value`; `AWS::NoValue` removes
    /// object keys and list items.
    pub(crate) fn resolve_deep(&self, value: &Value, path: &str) -> Result<Option<Value>> {
        Ok(match self.resolve(value, path)? {
            None => None,
            Some(Value::Object(map)) => {
                let mut out = Map::new();
                for (key, value) in &map {
                    if let Some(value) = self.resolve_deep(value, &child(path, key))? {
                        out.insert(key.clone(), value);
                    }
                }
                Some(Value::Object(out))
            }
            Some(Value::Array(items)) => {
                let mut out = Vec::with_capacity(items.len());
                for (i, value) in items.iter().enumerate() {
                    if let Some(value) = self.resolve_deep(value, &item(path, i))? {
                        out.push(value);
                    }
                }
                Some(Value::Array(out))
            }
            Some(other) => Some(other),
        })
    }

    /// The argument of `name` as a list of `len` items (any length when
    /// `len` is `None`).
    fn arguments<'v>(
        &self,
        name: &str,
        argument: &'v Value,
        len: Option<usize>,
        what: &str,
        path: &str,
    ) -> Result<&'v [Value]> {
        match argument {
            Value::Array(items) if len.is_none_or(|len| items.len() == len) => Ok(items),
            _ => Err(self.invalid(path, format!("{name} expects {what}"))),
        }
    }

    fn call(&self, name: &str, argument: &Value, path: &str) -> Result<Option<Value>> {
        let inner = |i: usize| format!("{path}.{name}[{i}]");
        match name {
            "Ref" => match argument {
                Value::String(target) => self.reference(target, path),
                other => Err(self.invalid(
                    path,
                    format!(
                        "Ref expects a logical id or parameter name, found {}",
                        kind_of(other)
                    ),
                )),
            },
            "Fn::GetAtt" => {
                let (resource, attribute) = match argument {
                    Value::String(s) => match s.split_once('.') {
                        Some((resource, attribute)) => (resource.to_owned(), attribute.to_owned()),
                        None => {
                            return Err(self.invalid(
                                path,
                                format!("Fn::GetAtt {s}: expected `LogicalId.Attribute`"),
                            ));
                        }
                    },
                    Value::Array(items) if items.len() == 2 => {
                        let Value::String(resource) = &items[0] else {
                            return Err(self.expected(&inner(0), "a logical id", &items[0]));
                        };
                        (
                            resource.clone(),
                            self.required_string_of(&items[1], &inner(1))?,
                        )
                    }
                    _ => {
                        return Err(self.invalid(
                            path,
                            "Fn::GetAtt expects [LogicalId, Attribute] or `LogicalId.Attribute`",
                        ));
                    }
                };
                self.attribute(&resource, &attribute, path)
                    .map(|v| Some(Value::String(v)))
            }
            "Fn::Sub" => {
                let (text, variables) = match argument {
                    Value::String(text) => (text.as_str(), None),
                    Value::Array(items) if items.len() == 2 => {
                        let Value::String(text) = &items[0] else {
                            return Err(self.expected(&inner(0), "a string", &items[0]));
                        };
                        let variables = match self.resolve(&items[1], &inner(1))? {
                            Some(Value::Object(map)) => map,
                            Some(other) => {
                                return Err(self.expected(&inner(1), "an object", &other));
                            }
                            None => Map::new(),
                        };
                        (text.as_str(), Some(variables))
                    }
                    _ => {
                        return Err(
                            self.invalid(path, "Fn::Sub expects a string or [string, {variables}]")
                        );
                    }
                };
                self.substitute(text, variables.as_ref(), path, &inner(1))
                    .map(|s| Some(Value::String(s)))
            }
            "Fn::Join" => {
                let args =
                    self.arguments(name, argument, Some(2), "[delimiter, [values]]", path)?;
                let Value::String(delimiter) = &args[0] else {
                    return Err(self.expected(&inner(0), "a string", &args[0]));
                };
                let items = match self.resolve(&args[1], &inner(1))? {
                    Some(Value::Array(items)) => items,
                    Some(other) => return Err(self.expected(&inner(1), "a list", &other)),
                    None => Vec::new(),
                };
                let mut parts = Vec::with_capacity(items.len());
                for (i, value) in items.iter().enumerate() {
                    if let Some(part) = self.string_of(value, &item(&inner(1), i))? {
                        parts.push(part);
                    }
                }
                Ok(Some(Value::String(parts.join(delimiter))))
            }
            "Fn::Select" => {
                let args = self.arguments(name, argument, Some(2), "[index, [values]]", path)?;
                let index = self.required_string_of(&args[0], &inner(0))?;
                let index: usize = index.trim().parse().map_err(|_| {
                    self.invalid(&inner(0), format!("expected an index, found `{index}`"))
                })?;
                let items = match self.resolve(&args[1], &inner(1))? {
                    Some(Value::Array(items)) => items,
                    Some(other) => return Err(self.expected(&inner(1), "a list", &other)),
                    None => Vec::new(),
                };
                match items.get(index) {
                    Some(value) => self.resolve(value, &item(&inner(1), index)),
                    None => Err(self.invalid(
                        path,
                        format!(
                            "Fn::Select: index {index} is out of range (the list has {} items)",
                            items.len()
                        ),
                    )),
                }
            }
            "Fn::Split" => {
                let args = self.arguments(name, argument, Some(2), "[delimiter, string]", path)?;
                let Value::String(delimiter) = &args[0] else {
                    return Err(self.expected(&inner(0), "a string", &args[0]));
                };
                if delimiter.is_empty() {
                    return Err(self.invalid(&inner(0), "the delimiter is empty"));
                }
                let text = self.required_string_of(&args[1], &inner(1))?;
                Ok(Some(Value::Array(
                    text.split(delimiter.as_str())
                        .map(|s| Value::String(s.to_owned()))
                        .collect(),
                )))
            }
            "Fn::If" => {
                let args = self.arguments(
                    name,
                    argument,
                    Some(3),
                    "[ConditionName, value if true, value if false]",
                    path,
                )?;
                let Value::String(condition) = &args[0] else {
                    return Err(self.expected(&inner(0), "a condition name", &args[0]));
                };
                if self.condition(condition, &inner(0))? {
                    self.resolve(&args[1], &inner(1))
                } else {
                    self.resolve(&args[2], &inner(2))
                }
            }
            "Fn::FindInMap" => {
                let args = match argument {
                    Value::Array(items) if items.len() == 3 => items,
                    _ => {
                        return Err(self.invalid(
                            path,
                            "Fn::FindInMap expects [MapName, TopLevelKey, SecondLevelKey]",
                        ));
                    }
                };
                let map_name = self.required_string_of(&args[0], &inner(0))?;
                let top = self.required_string_of(&args[1], &inner(1))?;
                let second = self.required_string_of(&args[2], &inner(2))?;
                let value = self
                    .mappings
                    .get(&map_name)
                    .ok_or_else(|| {
                        self.invalid(
                            path,
                            format!("Fn::FindInMap: there is no mapping `{map_name}` in Mappings"),
                        )
                    })?
                    .get(&top)
                    .ok_or_else(|| {
                        self.invalid(
                            path,
                            format!("Fn::FindInMap: the mapping `{map_name}` has no key `{top}`"),
                        )
                    })?
                    .get(&second)
                    .ok_or_else(|| {
                        self.invalid(
                            path,
                            format!(
                                "Fn::FindInMap: the mapping `{map_name}` has no key \
                                 `{top}.{second}`"
                            ),
                        )
                    })?;
                self.resolve_deep(value, &format!("Mappings.{map_name}.{top}.{second}"))
            }
            "Fn::Base64" => {
                let text = self.required_string_of(argument, &format!("{path}.{name}"))?;
                Ok(Some(Value::String(
                    base64::engine::general_purpose::STANDARD.encode(text),
                )))
            }
            "Fn::GetAZs" => {
                let region = self.required_string_of(argument, &format!("{path}.{name}"))?;
                let region = if region.is_empty() {
                    self.pseudo.region.clone()
                } else {
                    region
                };
                Ok(Some(Value::Array(
                    ["a", "b", "c"]
                        .iter()
                        .map(|zone| Value::String(format!("{region}{zone}")))
                        .collect(),
                )))
            }
            "Fn::Equals" | "Fn::Not" | "Fn::And" | "Fn::Or" => Err(self.invalid(
                path,
                format!(
                    "{name} can only be used in the Conditions section (use a condition with \
                     Fn::If)"
                ),
            )),
            "Fn::ImportValue" => Err(self.unsupported(
                path,
                "Fn::ImportValue is not supported locally (there are no other stacks to import \
                 from); replace it with a literal",
            )),
            _ => Err(self.unsupported(
                path,
                format!("{name} is not supported locally; replace it with a literal"),
            )),
        }
    }

    /// `Fn::Sub`'s substitution of `${Name}`, `${Resource.Attribute}` and
    /// `${!Literal}`.
    fn substitute(
        &self,
        text: &str,
        variables: Option<&Map<String, Value>>,
        path: &str,
        variables_path: &str,
    ) -> Result<String> {
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let Some(end) = after.find('}') else {
                return Err(self.invalid(
                    path,
                    format!("Fn::Sub: `${{` without a closing `}}` in `{text}`"),
                ));
            };
            let name = &after[..end];
            rest = &after[end + 1..];
            if let Some(literal) = name.strip_prefix('!') {
                out.push_str("${");
                out.push_str(literal);
                out.push('}');
                continue;
            }
            let name = name.trim();
            if let Some(value) = variables.and_then(|v| v.get(name)) {
                let value = self.required_string_of(value, &child(variables_path, name))?;
                out.push_str(&value);
                continue;
            }
            if name.starts_with("AWS::") || !name.contains('.') {
                let value = match self.reference(name, path)? {
                    None => {
                        return Err(self.invalid(
                            path,
                            format!(
                                "Fn::Sub: ${{{name}}} is AWS::NoValue, which cannot be part of \
                                 a string"
                            ),
                        ));
                    }
                    Some(value) => value,
                };
                let value = self.scalar_string(&value, path).map_err(|_| {
                    self.invalid(
                        path,
                        format!("Fn::Sub: ${{{name}}} is {}, not a string", kind_of(&value)),
                    )
                })?;
                out.push_str(&value);
            } else {
                let (resource, attribute) = name.split_once('.').unwrap_or((name, ""));
                out.push_str(&self.attribute(resource, attribute, path)?);
            }
        }
        out.push_str(rest);
        Ok(out)
    }

    // ----- Conditions -----

    /// Whether the named condition of the Conditions section holds.
    pub(crate) fn condition(&self, name: &str, path: &str) -> Result<bool> {
        if let Some(&value) = self.condition_cache.borrow().get(name) {
            return Ok(value);
        }
        let Some(expression) = self.conditions.get(name) else {
            return Err(self.invalid(
                path,
                format!("the condition `{name}` is not defined in the Conditions section"),
            ));
        };
        if self.condition_stack.borrow().iter().any(|n| n == name) {
            let mut chain = self.condition_stack.borrow().clone();
            chain.push(name.to_owned());
            return Err(self.invalid(
                &child("Conditions", name),
                format!("the condition refers to itself ({})", chain.join(" → ")),
            ));
        }
        self.condition_stack.borrow_mut().push(name.to_owned());
        let value = self.evaluate(expression, &child("Conditions", name));
        self.condition_stack.borrow_mut().pop();
        let value = value?;
        self.condition_cache
            .borrow_mut()
            .insert(name.to_owned(), value);
        Ok(value)
    }

    /// Evaluates a condition expression.
    fn evaluate(&self, expression: &Value, path: &str) -> Result<bool> {
        const EXPECTED: &str =
            "expected a condition function (Fn::Equals, Fn::Not, Fn::And, Fn::Or or Condition)";
        if let Value::Bool(b) = expression {
            return Ok(*b);
        }
        let Value::Object(map) = expression else {
            return Err(self.invalid(path, EXPECTED));
        };
        let Some((name, argument)) = map.iter().next().filter(|_| map.len() == 1) else {
            return Err(self.invalid(path, EXPECTED));
        };
        let inner = |i: usize| format!("{path}.{name}[{i}]");
        match name.as_str() {
            "Fn::Equals" => {
                let args = self.arguments(name, argument, Some(2), "[value, value]", path)?;
                let left = self.resolve_deep(&args[0], &inner(0))?;
                let right = self.resolve_deep(&args[1], &inner(1))?;
                let comparable = |v: Option<Value>| match v {
                    Some(Value::Number(n)) => Some(Value::String(n.to_string())),
                    Some(Value::Bool(b)) => Some(Value::String(b.to_string())),
                    other => other,
                };
                Ok(comparable(left) == comparable(right))
            }
            "Fn::Not" => {
                let args = self.arguments(name, argument, Some(1), "[condition]", path)?;
                Ok(!self.evaluate(&args[0], &inner(0))?)
            }
            "Fn::And" | "Fn::Or" => {
                let args = self.arguments(name, argument, None, "a list of conditions", path)?;
                let mut values = Vec::with_capacity(args.len());
                for (i, arg) in args.iter().enumerate() {
                    values.push(self.evaluate(arg, &inner(i))?);
                }
                Ok(if name == "Fn::And" {
                    values.iter().all(|v| *v)
                } else {
                    values.iter().any(|v| *v)
                })
            }
            "Condition" => match argument {
                Value::String(other) => self.condition(other, path),
                other => Err(self.expected(path, "a condition name", other)),
            },
            _ => Err(self.invalid(path, EXPECTED)),
        }
    }

    /// Whether a resource exists: it has no `Condition` or its condition
    /// holds.
    pub(crate) fn exists(&self, logical_id: &str) -> Result<bool> {
        match self
            .resources
            .get(logical_id)
            .and_then(|r| r.condition.as_deref())
        {
            None => Ok(true),
            Some(condition) => self.condition(
                condition,
                &child(&child("Resources", logical_id), "Condition"),
            ),
        }
    }

    // ----- References -----

    /// `Ref`: a pseudo parameter, a parameter or a resource. `None` is
    /// `AWS::NoValue`.
    pub(crate) fn reference(&self, name: &str, path: &str) -> Result<Option<Value>> {
        let string = |s: &str| Ok(Some(Value::String(s.to_owned())));
        match name {
            "AWS::NoValue" => return Ok(None),
            "AWS::Region" => return string(&self.pseudo.region),
            "AWS::AccountId" => return string(&self.pseudo.account_id),
            "AWS::StackName" => return string(&self.pseudo.stack_name),
            "AWS::StackId" => {
                let id = characters(&self.pseudo.stack_name, 32, b"0123456789abcdef");
                return string(&format!(
                    "arn:{}:cloudformation:{}:{}:stack/{}/{}-{}-{}-{}-{}",
                    self.partition,
                    self.pseudo.region,
                    self.pseudo.account_id,
                    self.pseudo.stack_name,
                    &id[..8],
                    &id[8..12],
                    &id[12..16],
                    &id[16..20],
                    &id[20..],
                ));
            }
            "AWS::Partition" => return string(self.partition),
            "AWS::URLSuffix" => return string(self.url_suffix),
            "AWS::NotificationARNs" => return Ok(Some(Value::Array(Vec::new()))),
            _ if name.starts_with("AWS::") => {
                return Err(self.invalid(
                    path,
                    format!("Ref to `{name}`: there is no such pseudo parameter"),
                ));
            }
            _ => {}
        }
        if let Some(parameter) = self.parameters.get(name) {
            return self.parameter_value(name, parameter, path).map(Some);
        }
        if self.resources.contains_key(name) {
            return self
                .physical_id(name, path)
                .map(|id| Some(Value::String(id)));
        }
        Err(self.invalid(
            path,
            format!("Ref to `{name}`: there is no parameter or resource with that logical id"),
        ))
    }

    /// The value `Ref` gives for a parameter.
    fn parameter_value(&self, name: &str, parameter: &Parameter, path: &str) -> Result<Value> {
        if parameter.ty.starts_with("AWS::SSM::Parameter::") && !parameter.given {
            return Err(self.unsupported(
                path,
                format!(
                    "Ref to the parameter `{name}`: CloudFormation reads parameters of type {} \
                     from SSM Parameter Store; give its value in the import options",
                    parameter.ty
                ),
            ));
        }
        let Some(value) = &parameter.value else {
            return Err(self.invalid(
                path,
                format!(
                    "Ref to the parameter `{name}`, which has no Default: give it a value in \
                     the import options"
                ),
            ));
        };
        let list = parameter.ty == "CommaDelimitedList"
            || parameter.ty.starts_with("List<")
            || parameter.ty.starts_with("AWS::SSM::Parameter::Value<List<");
        Ok(if list {
            Value::Array(
                value
                    .split(',')
                    .map(|s| Value::String(s.trim().to_owned()))
                    .collect(),
            )
        } else {
            Value::String(value.clone())
        })
    }

    /// The made-up id of a RestApi.
    pub(crate) fn api_id(logical_id: &str) -> String {
        made_up_id(&format!("AWS::ApiGateway::RestApi/{logical_id}"), 10)
    }

    /// The made-up id of a RestApi's root resource.
    pub(crate) fn root_resource_id(api_logical_id: &str) -> String {
        made_up_id(&format!("root/{api_logical_id}"), 10)
    }

    /// Runs `f` with `logical_id` on the stack of references being
    /// resolved, so that a resource whose properties refer back to itself
    /// is an error rather than endless recursion.
    fn guarded<T>(&self, logical_id: &str, path: &str, f: impl FnOnce() -> Result<T>) -> Result<T> {
        let resource = self.resources.get(logical_id);
        if let Some(condition) = resource.and_then(|r| r.condition.as_deref())
            && !self.exists(logical_id)?
        {
            return Err(self.invalid(
                path,
                format!("`{logical_id}` is not created: its condition `{condition}` is false"),
            ));
        }
        if self
            .reference_stack
            .borrow()
            .iter()
            .any(|id| id == logical_id)
        {
            let mut chain = self.reference_stack.borrow().clone();
            chain.push(logical_id.to_owned());
            return Err(self.invalid(path, format!("circular reference: {}", chain.join(" → "))));
        }
        self.reference_stack
            .borrow_mut()
            .push(logical_id.to_owned());
        let result = f();
        self.reference_stack.borrow_mut().pop();
        result
    }

    /// What `Ref` gives for a resource: its name or id.
    pub(crate) fn physical_id(&self, logical_id: &str, path: &str) -> Result<String> {
        let Some(resource) = self.resources.get(logical_id) else {
            return Err(self.invalid(path, format!("there is no resource `{logical_id}`")));
        };
        self.guarded(logical_id, path, || {
            let named = |key: &str| -> Result<String> {
                Ok(self
                    .resource_string(logical_id, key)?
                    .unwrap_or_else(|| logical_id.to_owned()))
            };
            Ok(match resource.ty.as_str() {
                "AWS::ApiGateway::RestApi" => Self::api_id(logical_id),
                "AWS::Lambda::Function" => named("FunctionName")?,
                "AWS::ApiGateway::Model" => named("Name")?,
                "AWS::ApiGateway::Stage" => named("StageName")?,
                "AWS::IAM::Role" => named("RoleName")?,
                "AWS::Lambda::Alias" | "AWS::Lambda::Version" => {
                    let props_path = child(&child("Resources", logical_id), "Properties");
                    let props = self.properties(logical_id)?;
                    let function = self.required_string(&props, "FunctionName", &props_path)?;
                    let qualifier = if resource.ty == "AWS::Lambda::Alias" {
                        self.required_string(&props, "Name", &props_path)?
                    } else {
                        "1".to_owned()
                    };
                    format!("{}:{qualifier}", self.lambda_arn(&function))
                }
                ty if ty.starts_with("AWS::ApiGateway::") => {
                    made_up_id(&format!("{ty}/{logical_id}"), 10)
                }
                _ => logical_id.to_owned(),
            })
        })
    }

    /// The ARN of a Lambda function given its name (or ARN).
    pub(crate) fn lambda_arn(&self, name: &str) -> String {
        if name.starts_with("arn:") {
            name.to_owned()
        } else {
            format!(
                "arn:{}:lambda:{}:{}:function:{name}",
                self.partition, self.pseudo.region, self.pseudo.account_id
            )
        }
    }

    /// `Fn::GetAtt`.
    pub(crate) fn attribute(
        &self,
        logical_id: &str,
        attribute: &str,
        path: &str,
    ) -> Result<String> {
        let name = format!("Fn::GetAtt {logical_id}.{attribute}");
        let Some(resource) = self.resources.get(logical_id) else {
            let what = if self.parameters.contains_key(logical_id) {
                "is a parameter, which has no attributes (use Ref)".to_owned()
            } else {
                format!("there is no resource `{logical_id}`")
            };
            return Err(self.invalid(path, format!("{name}: {what}")));
        };
        let ty = resource.ty.as_str();
        let id_attribute = matches!(
            (ty, attribute),
            ("AWS::ApiGateway::Resource", "ResourceId")
                | ("AWS::ApiGateway::ApiKey", "APIKeyId")
                | ("AWS::ApiGateway::RequestValidator", "RequestValidatorId")
                | ("AWS::ApiGateway::Deployment", "DeploymentId")
                | ("AWS::ApiGateway::UsagePlan", "Id")
                | ("AWS::ApiGateway::Authorizer", "AuthorizerId")
                | ("AWS::ApiGateway::RestApi", "RestApiId")
        );
        if id_attribute {
            return self.physical_id(logical_id, path);
        }
        match (ty, attribute) {
            ("AWS::ApiGateway::RestApi", "RootResourceId") => {
                self.guarded(logical_id, path, || Ok(Self::root_resource_id(logical_id)))
            }
            ("AWS::Lambda::Function", "Arn") => {
                Ok(self.lambda_arn(&self.physical_id(logical_id, path)?))
            }
            ("AWS::IAM::Role", "Arn") => Ok(format!(
                "arn:{}:iam::{}:role/{}",
                self.partition,
                self.pseudo.account_id,
                self.physical_id(logical_id, path)?
            )),
            (_, "Arn") if ty.starts_with("AWS::") => {
                // A plausible ARN for any other AWS resource: locally it is
                // only ever a string handed around.
                let mut parts = ty.split("::").skip(1);
                let service = parts.next().unwrap_or_default().to_lowercase();
                let kind = parts.next().unwrap_or_default().to_lowercase();
                Ok(format!(
                    "arn:{}:{service}:{}:{}:{kind}/{}",
                    self.partition,
                    self.pseudo.region,
                    self.pseudo.account_id,
                    self.physical_id(logical_id, path)?
                ))
            }
            _ => Err(self.unsupported(
                path,
                format!(
                    "{name}: the attribute `{attribute}` of {ty} is not known locally; replace \
                     it with a literal"
                ),
            )),
        }
    }
}
