//! Numbers as Velocity 1.7's `MathUtils` treats them, and Java's
//! `Double.toString`.

use super::Value;
use crate::compiler::ast::BinaryOp;
use std::cmp::Ordering;

/// Applies `+ - * / %` to two numbers. `None` means Velocity's null result
/// (division or modulo by zero), which leaves a `#set` target unchanged.
///
/// Integers stay integral (`5 / 2` is `2`); an `int` result that overflows
/// widens to `long`, as `MathUtils` does (both are `Value::Int` here).
pub(crate) fn arithmetic(op: BinaryOp, left: &Value, right: &Value) -> Option<Value> {
    match (left, right) {
        (Value::Int(a), Value::Int(b)) => {
            let (a, b) = (*a, *b);
            let r = match op {
                BinaryOp::Add => a.checked_add(b),
                BinaryOp::Sub => a.checked_sub(b),
                BinaryOp::Mul => a.checked_mul(b),
                BinaryOp::Div if b == 0 => return None,
                BinaryOp::Div => a.checked_div(b),
                BinaryOp::Mod if b == 0 => return None,
                BinaryOp::Mod => a.checked_rem(b),
                _ => return None,
            };
            // Beyond `long` Velocity moves to BigInteger; we fall back to a
            // double (a documented gap: the digits printed differ).
            Some(r.map_or_else(|| float_op(op, a as f64, b as f64), Value::Int))
        }
        _ => {
            let a = as_f64(left)?;
            let b = as_f64(right)?;
            if matches!(op, BinaryOp::Div | BinaryOp::Mod) && b == 0.0 {
                return None;
            }
            Some(float_op(op, a, b))
        }
    }
}

fn float_op(op: BinaryOp, a: f64, b: f64) -> Value {
    Value::Float(match op {
        BinaryOp::Add => a + b,
        BinaryOp::Sub => a - b,
        BinaryOp::Mul => a * b,
        BinaryOp::Div => a / b,
        // Java's `%` on doubles is C's fmod, as is Rust's.
        _ => a % b,
    })
}

fn as_f64(v: &Value) -> Option<f64> {
    match v {
        Value::Int(i) => Some(*i as f64),
        Value::Float(f) => Some(*f),
        _ => None,
    }
}

/// Compares two numbers of any numeric type; `None` if either is not one.
pub(crate) fn compare_numbers(left: &Value, right: &Value) -> Option<Ordering> {
    match (left, right) {
        (Value::Int(a), Value::Int(b)) => Some(a.cmp(b)),
        _ => as_f64(left)?.partial_cmp(&as_f64(right)?),
    }
}

/// Java's `Double.toString(d)`: `1.0`, `0.001`, `1.0E7`, `4.5E-4`, `NaN`.
///
/// ```
/// use phalanx_vtl::format_double;
/// assert_eq!(format_double(4500.0), "4500.0");
/// assert_eq!(format_double(4.5e55), "4.5E55");
/// assert_eq!(format_double(0.0045), "0.0045");
/// assert_eq!(format_double(1e7), "1.0E7");
/// ```
pub fn format_double(d: f64) -> String {
    let mut s = String::new();
    write_double(&mut s, d);
    s
}

pub(crate) fn write_double(out: &mut String, d: f64) {
    if d.is_nan() {
        out.push_str("NaN");
        return;
    }
    if d.is_infinite() {
        out.push_str(if d > 0.0 { "Infinity" } else { "-Infinity" });
        return;
    }
    if d == 0.0 {
        out.push_str(if d.is_sign_negative() { "-0.0" } else { "0.0" });
        return;
    }
    if d < 0.0 {
        out.push('-');
    }
    // Rust's `{:e}` gives the shortest digits that round-trip, which is what
    // Java's Double.toString prints (exactly so since JDK 19).
    let sci = format!("{:e}", d.abs());
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    let abs = d.abs();
    if (1e-3..1e7).contains(&abs) {
        if exp >= 0 {
            let int_len = exp as usize + 1;
            if digits.len() <= int_len {
                out.push_str(&digits);
                out.extend(std::iter::repeat_n('0', int_len - digits.len()));
                out.push_str(".0");
            } else {
                out.push_str(&digits[..int_len]);
                out.push('.');
                out.push_str(&digits[int_len..]);
            }
        } else {
            out.push_str("0.");
            out.extend(std::iter::repeat_n('0', (-exp - 1) as usize));
            out.push_str(&digits);
        }
    } else {
        out.push_str(&digits[..1]);
        out.push('.');
        if digits.len() > 1 {
            out.push_str(&digits[1..]);
        } else {
            out.push('0');
        }
        out.push('E');
        out.push_str(&exp.to_string());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_print_like_java() {
        for (d, java) in [
            (1.0, "1.0"),
            (0.1, "0.1"),
            (-2.5, "-2.5"),
            (100.0, "100.0"),
            (1234567.0, "1234567.0"),
            (1e7, "1.0E7"),
            (12345678.9, "1.23456789E7"),
            (0.001, "0.001"),
            (0.0001, "1.0E-4"),
            (1e10, "1.0E10"),
            (4.5e55, "4.5E55"),
            (f64::MAX, "1.7976931348623157E308"),
            (f64::MIN_POSITIVE, "2.2250738585072014E-308"),
            (-0.0, "-0.0"),
            (f64::NAN, "NaN"),
            (f64::NEG_INFINITY, "-Infinity"),
        ] {
            assert_eq!(format_double(d), java, "{d:e}");
        }
    }

    #[test]
    fn integer_arithmetic_stays_integral() {
        let r = arithmetic(BinaryOp::Div, &Value::Int(5), &Value::Int(2));
        assert!(matches!(r, Some(Value::Int(2))));
        let r = arithmetic(BinaryOp::Mod, &Value::Int(-7), &Value::Int(2));
        assert!(matches!(r, Some(Value::Int(-1))));
        assert!(arithmetic(BinaryOp::Div, &Value::Int(5), &Value::Int(0)).is_none());
        // int overflow widens to long
        let r = arithmetic(BinaryOp::Add, &Value::Int(i32::MAX.into()), &Value::Int(1));
        assert!(matches!(r, Some(Value::Int(2147483648))));
        let r = arithmetic(BinaryOp::Div, &Value::Int(5), &Value::Float(2.0));
        assert!(matches!(r, Some(Value::Float(f)) if f == 2.5));
    }
}
