//! Pieces every JSON format shares (`spec/json.md`).

use schemars::{JsonSchema, Schema};

/// The RFC 3339 `date-time` grammar of `spec/json.md` §4.1, as a regular expression:
/// `T` or `t`, seconds 00 to 59 (no leap second), 1 to 9 fraction digits, and `Z`, `z` or
/// an offset `±HH:MM` with a colon. Whether the date exists (`2025-02-29`) is left to the
/// `date-time` format, which validators that enforce formats check.
pub const TIMESTAMP_PATTERN: &str = concat!(
    r"^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])[Tt]",
    r"([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{1,9})?",
    r"([Zz]|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$"
);

/// # Timestamp
///
/// An RFC 3339 date-time with an offset (spec/json.md §4): `2025-01-16T08:30:00.123456+00:00`
/// as Python's `isoformat()` writes it, `2024-01-26T10:30:00.000Z` as JavaScript's
/// `toISOString()` does. No space separator, no leap second, at most nine fraction
/// digits, an offset always. Kept exactly as written.
#[derive(JsonSchema)]
#[schemars(
    extend("examples" = ["2025-01-16T08:30:00.123456+00:00", "2024-01-26T10:30:00.000Z"])
)]
pub struct Timestamp(
    #[schemars(regex(pattern = TIMESTAMP_PATTERN), extend("format" = "date-time"))] pub String,
);

/// # Non-empty string
///
/// Any string of at least one character.
#[derive(JsonSchema)]
pub struct NonEmptyString(#[schemars(length(min = 1))] pub String);

/// Makes an optional member's schema say what an optional member is in these formats:
/// absent or of its type, never `null`. (schemars lets an `Option` be `null`, which is
/// right only for the record's measurements.)
pub(crate) fn never_null(schema: &mut Schema) {
    if let Some(serde_json::Value::Array(types)) = schema.get("type") {
        let types: Vec<_> = types
            .iter()
            .filter(|t| t.as_str() != Some("null"))
            .cloned()
            .collect();
        if let [one] = types.as_slice() {
            schema.insert("type".to_owned(), one.clone());
        }
    }
    if let Some(serde_json::Value::Array(options)) = schema.get("anyOf") {
        let options: Vec<_> = options
            .iter()
            .filter(|option| option.get("type").and_then(|t| t.as_str()) != Some("null"))
            .cloned()
            .collect();
        schema.remove("anyOf");
        if let [one] = options.as_slice() {
            if let Some(one) = one.as_object() {
                for (key, value) in one {
                    schema.insert(key.clone(), value.clone());
                }
            }
        } else {
            schema.insert("anyOf".to_owned(), options.into());
        }
    }
}
