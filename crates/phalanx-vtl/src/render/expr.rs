//! Expressions: the value of each kind ([`Renderer::value`]), conditions
//! and Velocity's `==` ([`Renderer::truthy`]), and what a property, method
//! or index access on a value gives ([`Renderer::access`]).

use super::fuel::{built_units, size_units};
use super::macros::defined_depth;
use super::{FAST_PATHS, Flow, Renderer};
use crate::compiler::ast::*;
use crate::error::{Error, Span};
use crate::value::{
    MethodError, Value, arithmetic, call_method, compare_numbers, get_index, get_property,
    same_name,
};
use indexmap::map::RawEntryApiV1;
use std::rc::Rc;

impl Renderer<'_> {
    /// The boolean an expression has as a condition. As in Velocity 1.7
    /// only references, `true`/`false`, comparisons and logic have one:
    /// a literal string, number, list or arithmetic result is false.
    pub(super) fn truthy(&mut self, e: &Expr) -> Result<bool, Error> {
        match e {
            Expr::Reference(r) if FAST_PATHS => {
                // Read where the value is kept, without a clone (a null is
                // left to `finish_reference`: API Gateway's is "", true).
                let mut units = 0;
                let reached = self.scopes.with_resolved(r, &mut units, |value, rest| {
                    if rest.is_empty() && !value.is_null() {
                        Ok(value.is_truthy())
                    } else {
                        Err((value.clone(), r.accessors.len() - rest.len()))
                    }
                });
                if units > 0 {
                    self.burn(units, r.span)?;
                }
                match reached {
                    Some(Ok(truthy)) => Ok(truthy),
                    Some(Err((value, walked))) => {
                        Ok(self.finish_reference(r, value, walked)?.is_truthy())
                    }
                    None => Ok(self.reference_value(r)?.is_truthy()),
                }
            }
            Expr::Reference(r) => Ok(self.reference_value(r)?.is_truthy()),
            Expr::Literal(Literal::Bool(b)) => Ok(*b),
            Expr::Unary {
                op: UnaryOp::Not,
                operand,
            } => Ok(!self.truthy(operand)?),
            Expr::Binary {
                op,
                left,
                right,
                span,
                ..
            } => match op {
                BinaryOp::And => Ok(self.truthy(left)? && self.truthy(right)?),
                BinaryOp::Or => Ok(self.truthy(left)? || self.truthy(right)?),
                BinaryOp::Eq | BinaryOp::Ne => {
                    let (l, r) = (self.value(left)?, self.value(right)?);
                    let eq = self.velocity_equals(&l, &r, *span)?;
                    Ok(eq == (*op == BinaryOp::Eq))
                }
                BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge => {
                    let (l, r) = (self.value(left)?, self.value(right)?);
                    Ok(compare_numbers(&l, &r).is_some_and(|o| match op {
                        BinaryOp::Lt => o.is_lt(),
                        BinaryOp::Le => o.is_le(),
                        BinaryOp::Gt => o.is_gt(),
                        _ => o.is_ge(),
                    }))
                }
                _ => Ok(false),
            },
            _ => Ok(false),
        }
    }

    /// Velocity 1.7's `==`: numbers by value; values of one class by
    /// `equals`; otherwise their `toString()`s; null equals only null.
    fn velocity_equals(&mut self, l: &Value, r: &Value, span: Span) -> Result<bool, Error> {
        if compare_numbers(l, r).is_some() {
            return Ok(compare_numbers(l, r).is_some_and(|o| o.is_eq()));
        }
        match (l, r) {
            (Value::Null, Value::Null) => Ok(true),
            (Value::Null, _) | (_, Value::Null) => Ok(false),
            _ if std::mem::discriminant(l) == std::mem::discriminant(r)
                && !matches!(l, Value::Object(_)) =>
            {
                Ok(l.java_equals(r))
            }
            _ => Ok(self.value_to_string(l, span)? == self.value_to_string(r, span)?),
        }
    }

    /// The source text Velocity writes for a null operand of `+` (see
    /// `Expr::Binary::literal`).
    fn literal_of(&self, e: &Expr) -> String {
        let span = match e {
            Expr::Reference(r) => return r.literal.to_string(),
            Expr::Binary { literal, .. } => literal,
            Expr::Range { span, .. } => span,
            _ => return "null".into(),
        };
        let text: &str = &self.source.text;
        text.get(span.start as usize..span.end as usize)
            .unwrap_or("null")
            .to_string()
    }

    /// The value of an expression.
    pub(crate) fn value(&mut self, e: &Expr) -> Result<Value, Error> {
        match e {
            Expr::Literal(l) => Ok(l.to_value()),
            Expr::Reference(r) => self.reference_value(r),
            Expr::Interpolated { parts, span } => {
                self.nest(*span)?;
                let start = self.out.len();
                let flow = self.block(parts);
                self.nesting -= 1;
                let text = self.out.split_off(start);
                match flow? {
                    Flow::Normal => Ok(Value::from(text)),
                    flow => Err(self.unwind(flow)),
                }
            }
            Expr::List(items) => {
                let items = items
                    .iter()
                    .map(|i| self.value(i))
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(Value::list(items))
            }
            Expr::Map(entries) => {
                let mut map =
                    indexmap::IndexMap::with_capacity_and_hasher(entries.len(), Default::default());
                for (k, v) in entries {
                    let k = self.value(k)?;
                    let v = self.value(v)?;
                    map.insert(k, v);
                }
                Ok(Value::Map(Rc::new(std::cell::RefCell::new(map))))
            }
            Expr::Range { from, to, span } => {
                let (from, to) = (self.value(from)?, self.value(to)?);
                let (Some(a), Some(b)) = (range_bound(&from), range_bound(&to)) else {
                    // Velocity 1.7 logs and yields null for a non-integer bound.
                    return Ok(Value::Null);
                };
                let len = a.abs_diff(b).saturating_add(1);
                self.burn(len, *span)?;
                let items: Vec<Value> = if a <= b {
                    (a..=b).map(Value::Int).collect()
                } else {
                    (b..=a).rev().map(Value::Int).collect()
                };
                Ok(Value::list(items))
            }
            Expr::Unary { .. } => Ok(Value::Bool(self.truthy(e)?)),
            Expr::Binary {
                op,
                left,
                right,
                span,
                ..
            } => match op {
                BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div | BinaryOp::Mod => {
                    let (l, r) = (self.value(left)?, self.value(right)?);
                    // `+` with a String on either side concatenates; a null
                    // side contributes its source text (ASTAddNode).
                    if *op == BinaryOp::Add
                        && (matches!(l, Value::String(_)) || matches!(r, Value::String(_)))
                    {
                        let ls = if l.is_null() {
                            self.literal_of(left)
                        } else {
                            self.value_to_string(&l, *span)?
                        };
                        let rs = if r.is_null() {
                            self.literal_of(right)
                        } else {
                            self.value_to_string(&r, *span)?
                        };
                        return Ok(Value::from(ls + &rs));
                    }
                    Ok(arithmetic(*op, &l, &r).unwrap_or_default())
                }
                _ => Ok(Value::Bool(self.truthy(e)?)),
            },
        }
    }

    /// What `accessor` (`.name`, `.name(args)`, `[index]`) gives on
    /// `target`, charged.
    pub(super) fn access(&mut self, target: &Value, accessor: &Accessor) -> Result<Value, Error> {
        match accessor {
            Accessor::Property { name, hash, span } => {
                let value = match target {
                    // Maps are keyed like the context: by the precomputed hash.
                    Value::Map(m) => m
                        .borrow()
                        .raw_entry_v1()
                        .from_hash(*hash, |k| k.as_str().is_some_and(|k| same_name(k, name)))
                        .map(|(_, v)| v.clone())
                        .unwrap_or_default(),
                    _ => get_property(target, name).unwrap_or_default(),
                };
                // `$s.bytes` builds a list as long as the string. (No walk
                // happens in a property read, so nothing else is charged.)
                let units = built_units(&value);
                if units > 0 {
                    self.burn(units, *span)?;
                }
                Ok(value)
            }
            // A call whose arguments are all literals: the values made at
            // compile time, passed as they are.
            Accessor::Method {
                name,
                kind,
                const_args: Some(values),
                span,
                ..
            } if FAST_PATHS => {
                let values = values.values();
                let result = call_method(target, name, values);
                let arg_units = values.iter().map(size_units).sum();
                self.call_result(target, name, *kind, arg_units, result, *span)
            }
            // Most calls take no or one argument: no vector for those.
            Accessor::Method {
                name,
                kind,
                args,
                span,
                ..
            } => match &args[..] {
                [] => self.invoke(target, name, *kind, &[], *span),
                [arg] => {
                    // A plain `$name` argument is passed from where it is
                    // kept, without a clone (a null one is evaluated: API
                    // Gateway's dialect passes it as "").
                    if FAST_PATHS
                        && let Expr::Reference(r) = arg
                        && r.accessors.is_empty()
                        && let Some(Some((result, arg_units))) =
                            self.scopes.with_resolved(r, &mut 0, |bound, _| {
                                (!bound.is_null()).then(|| {
                                    let args = std::slice::from_ref(bound);
                                    (call_method(target, name, args), size_units(bound))
                                })
                            })
                    {
                        return self.call_result(target, name, *kind, arg_units, result, *span);
                    }
                    let arg = self.value(arg)?;
                    self.invoke(target, name, *kind, std::slice::from_ref(&arg), *span)
                }
                _ => {
                    let mut values = smallvec::SmallVec::<[Value; 3]>::new();
                    for a in args {
                        values.push(self.value(a)?);
                    }
                    self.invoke(target, name, *kind, &values, *span)
                }
            },
            Accessor::Index { index, span } => {
                let index = self.value(index)?;
                match get_index(target, &index) {
                    Ok(v) => Ok(v),
                    Err(MethodError::NotFound) => Ok(Value::Null),
                    Err(MethodError::Failed(msg)) => {
                        Err(self.error(format!("index [{index}] failed: {msg}"), *span))
                    }
                }
            }
        }
    }

    /// Calls method `name` on `target` with evaluated arguments.
    fn invoke(
        &mut self,
        target: &Value,
        name: &str,
        kind: MethodKind,
        args: &[Value],
        span: Span,
    ) -> Result<Value, Error> {
        // A `#define` block's (and `$bodyContent`'s) `toString()` renders it.
        if kind == MethodKind::ToString && args.is_empty() && defined_depth(target).is_some() {
            return self.value_to_string(target, span).map(Value::from);
        }
        let result = call_method(target, name, args);
        let arg_units = args.iter().map(size_units).sum::<u64>();
        self.call_result(target, name, kind, arg_units, result, span)
    }

    /// Charges a method call (`arg_units`: what its arguments cost) and
    /// turns its result into the reference's value or a render error.
    fn call_result(
        &mut self,
        target: &Value,
        name: &str,
        kind: MethodKind,
        arg_units: u64,
        result: Result<Value, MethodError>,
        span: Span,
    ) -> Result<Value, Error> {
        let regex = kind == MethodKind::Regex;
        self.charge_call(target, name, regex, arg_units, result.as_ref().ok(), span)?;
        match result {
            Ok(v) => Ok(v),
            Err(MethodError::NotFound) => Ok(Value::Null),
            Err(MethodError::Failed(msg)) => Err(self.error(
                format!(
                    "invocation of method '{name}' on {} threw {msg}",
                    target.type_name()
                ),
                span,
            )),
        }
    }
}

fn range_bound(v: &Value) -> Option<i64> {
    match v {
        Value::Int(i) => Some(*i),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}
