//! The JSON Schemas of `heartwire-schema`, for the properties that check that what the
//! encoders write validates against them (with format checks on).

use std::collections::HashMap;
use std::sync::OnceLock;

/// Whether `text` is JSON that the schema `name` accepts.
pub(crate) fn is_valid(name: &str, text: &str) -> bool {
    static VALIDATORS: OnceLock<HashMap<&'static str, jsonschema::Validator>> = OnceLock::new();
    let validators = VALIDATORS.get_or_init(|| {
        heartwire_schema::names()
            .map(|name| {
                let schema = heartwire_schema::schema(name).expect("a listed name has a schema");
                let value = serde_json::to_value(&schema).expect("a schema is JSON");
                let validator = jsonschema::draft202012::options()
                    .should_validate_formats(true)
                    .build(&value)
                    .expect("the schema compiles");
                (name, validator)
            })
            .collect()
    });
    let value: serde_json::Value = match serde_json::from_str(text) {
        Ok(value) => value,
        Err(_) => return false,
    };
    validators
        .get(name)
        .is_some_and(|validator| validator.is_valid(&value))
}
