//! Merging the JSON reports of one plugin's instances (one per capture worker) into one report, for plugins that do not merge their own.
//!
//! The rule is generic and recursive, made for counters:
//! - numbers add (integers stay integers; a sum that no longer fits a `u64`
//!   or `i64`, or any float, adds as a float). Rates add up too, which is
//!   right for per-second figures of disjoint traffic, and wrong for averages
//!   or ratios: a plugin reporting those merges its own reports
//!   (`Plugin::merge_reports` in plugin-api);
//! - objects merge key by key (a key present in some reports only is kept);
//! - arrays are concatenated, in worker order;
//! - equal strings and booleans stay as they are; values that differ (or
//!   whose types differ) become an array of the distinct values, in worker order;
//! - `null` is no value: it gives way to the others.

use serde_json::{Number, Value};

/// Merges `reports` (each worker's report of one plugin) into one.
pub fn merge_all(reports: &[Value]) -> Value {
    reports.iter().fold(Value::Null, merge)
}

/// Merges `b` into `a` by the rules of this module.
pub fn merge(a: Value, b: &Value) -> Value {
    match (a, b) {
        (a, Value::Null) => a,
        (Value::Null, b) => b.clone(),
        (Value::Number(x), Value::Number(y)) => Value::Number(add(&x, y)),
        (Value::Object(mut x), Value::Object(y)) => {
            for (key, value) in y {
                let merged = match x.remove(key) {
                    Some(old) => merge(old, value),
                    None => value.clone(),
                };
                x.insert(key.clone(), merged);
            }
            Value::Object(x)
        }
        (Value::Array(mut x), Value::Array(y)) => {
            x.extend(y.iter().cloned());
            Value::Array(x)
        }
        (a, b) if a == *b => a,
        (a, b) => distinct(a, b),
    }
}

/// Two differing values as one array of distinct values (`a` may already be
/// such an array from an earlier merge).
fn distinct(a: Value, b: &Value) -> Value {
    let mut values = match a {
        Value::Array(values) => values,
        a => vec![a],
    };
    if !values.contains(b) {
        values.push(b.clone());
    }
    Value::Array(values)
}

fn add(x: &Number, y: &Number) -> Number {
    if let (Some(x), Some(y)) = (x.as_u64(), y.as_u64()) {
        if let Some(sum) = x.checked_add(y) {
            return Number::from(sum);
        }
    }
    if let (Some(x), Some(y)) = (x.as_i64(), y.as_i64()) {
        if let Some(sum) = x.checked_add(y) {
            return Number::from(sum);
        }
    }
    let sum = x.as_f64().unwrap_or(0.0) + y.as_f64().unwrap_or(0.0);
    // A non-finite sum has no JSON form: keep the first value then.
    Number::from_f64(sum).unwrap_or_else(|| x.clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn counters_add_up_recursively() {
        let a = json!({"packets": 3, "network": {"arp": 1, "ipv4": 2}, "interfaces": {"eth0": {"packets": 3}}});
        let b = json!({"packets": 4, "network": {"arp": 0, "ipv4": 4}, "interfaces": {"eth1": {"packets": 4}}});
        assert_eq!(
            merge_all(&[a, b]),
            json!({
                "packets": 7,
                "network": {"arp": 1, "ipv4": 6},
                "interfaces": {"eth0": {"packets": 3}, "eth1": {"packets": 4}}
            })
        );
    }

    #[test]
    fn numbers_keep_their_kind_and_overflow_to_floats() {
        assert_eq!(merge(json!(-2), &json!(5)), json!(3));
        assert_eq!(merge(json!(1.5), &json!(2)), json!(3.5));
        assert_eq!(
            merge(json!(u64::MAX), &json!(1)),
            json!(u64::MAX as f64 + 1.0)
        );
    }

    #[test]
    fn arrays_concatenate_and_differing_values_are_all_kept() {
        assert_eq!(
            merge_all(&[json!({"ticks": [1, 2]}), json!({"ticks": [3]})]),
            json!({"ticks": [1, 2, 3]})
        );
        assert_eq!(
            merge_all(&[json!("-"), json!("-"), json!("-")]),
            json!("-"),
            "equal values stay"
        );
        assert_eq!(
            merge_all(&[json!("a.w0"), json!("a.w1"), json!("a.w0"), json!("a.w2")]),
            json!(["a.w0", "a.w1", "a.w2"])
        );
        assert_eq!(merge(json!(true), &json!(false)), json!([true, false]));
        assert_eq!(merge(json!(1), &json!("x")), json!([1, "x"]));
    }

    #[test]
    fn null_gives_way_and_nothing_merges_to_null() {
        assert_eq!(merge_all(&[]), Value::Null);
        assert_eq!(merge_all(&[Value::Null, json!({"a": 1})]), json!({"a": 1}));
        assert_eq!(merge_all(&[json!({"a": 1}), Value::Null]), json!({"a": 1}));
        assert_eq!(merge_all(&[json!({}), json!({})]), json!({}));
    }

    #[test]
    fn one_report_is_unchanged() {
        let r = json!({"packets": 3, "top": [{"mac": "x", "frames": 3}], "output": "-"});
        assert_eq!(merge_all(std::slice::from_ref(&r)), r);
    }
}
