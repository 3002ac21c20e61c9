//! Reading and writing schedule documents (`spec/schedule.md` §2-§6), on the shared JSON
//! foundation of [`crate::json`].

use crate::json::Buffer;
use std::borrow::Cow;
use std::fmt;

use crate::json::write::string;
use crate::json::{Appender, Doc, Extras, JsonError, JsonErrorKind, Kind, Object, Raw, required};

use super::error::ScheduleError;
use super::name::Name;
use super::rate::{Rate, RateKind};
use super::{Dialect, Schedule};

/// The keys of the arguments of the sury form, `_0` to `_4`.
const ARG_KEYS: [&str; 5] = ["_0", "_1", "_2", "_3", "_4"];

const RATE_EXPECTED: &str =
    "a rate: a string such as \"Daily(9,0)\", an object with \"TAG\" or an array";
const NAME_OF_RATE_EXPECTED: &str =
    "a rate name: Single, Minutes, Hours, Days, Daily, Weekdays or WeekdaysAndSaturday";

/// The `json.value` error of a text-form error in a string member: it points into the
/// string when the string has no escapes (so its text is the document's), else at its
/// opening quote.
fn in_string(doc: &Doc<'_>, raw: Raw<'_>, borrowed: bool, e: &ScheduleError) -> JsonError {
    let at = doc.offset(raw) + if borrowed { 1 + e.offset } else { 0 };
    JsonError::new(
        JsonErrorKind::Value {
            expected: e.expected(),
        },
        at,
    )
}

fn read_name<'a>(doc: &Doc<'a>, raw: Raw<'a>) -> Result<Name<'a>, JsonError> {
    let text = doc.string(raw)?;
    let borrowed = matches!(text, Cow::Borrowed(_));
    Name::new(text).map_err(|e| in_string(doc, raw, borrowed, &e))
}

fn read_kind<'a>(doc: &Doc<'a>, raw: Raw<'a>) -> Result<RateKind, JsonError> {
    let name = doc.string(raw)?;
    RateKind::from_name(name.as_bytes()).ok_or_else(|| doc.value_error(raw, NAME_OF_RATE_EXPECTED))
}

/// Argument `i` of a rate of `kind` whose earlier arguments are `before`: a JSON integer
/// in the range of its field.
fn read_arg<'a>(
    doc: &Doc<'a>,
    raw: Raw<'a>,
    kind: RateKind,
    i: usize,
    before: &[u64],
) -> Result<u64, JsonError> {
    if raw.kind() != Kind::Number {
        return Err(doc.type_error(raw, "a number"));
    }
    let field = kind.fields().get(i).copied().unwrap_or(super::Field::Count);
    let value = doc
        .number(raw)
        .ok()
        .and_then(|n| n.as_u64())
        .filter(|&v| super::rate::in_range(field, v, before));
    value.ok_or_else(|| doc.value_error(raw, field.expected()))
}

/// The rate of arguments [`read_arg`] has checked one by one (so this does not fail; if
/// it did, the error would point at the whole rate).
fn build(doc: &Doc<'_>, raw: Raw<'_>, kind: RateKind, args: &[u64]) -> Result<Rate, JsonError> {
    Rate::from_args(kind, args).map_err(|_| doc.value_error(raw, kind.arity_expected()))
}

/// The sury form: `{"TAG":"Daily","_0":9,"_1":0}`, members in any order.
fn read_sury<'a>(doc: &Doc<'a>, raw: Raw<'a>) -> Result<Rate, JsonError> {
    let mut tag: Option<Raw<'a>> = None;
    let mut args: [Option<Raw<'a>>; 5] = [None; 5];
    doc.object(raw, |key, value| {
        let slot = if key == "TAG" {
            &mut tag
        } else if let Some((slot, _)) = args.iter_mut().zip(ARG_KEYS).find(|(_, a)| key == *a) {
            slot
        } else {
            return Err(doc
                .value_error(
                    value,
                    "no member but \"TAG\" and the arguments \"_0\" to \"_4\"",
                )
                .in_field(&key));
        };
        doc.once(slot, &key, value).map_err(|e| e.in_field(&key))?;
        *slot = Some(value);
        Ok(())
    })?;
    let tag = required(doc, raw, tag, "TAG")?;
    let kind = read_kind(doc, tag).map_err(|e| e.in_field("TAG"))?;
    let arity = kind.arity();
    if let Some((extra, key)) = args
        .iter()
        .zip(ARG_KEYS)
        .skip(arity)
        .find_map(|(a, key)| a.map(|a| (a, key)))
    {
        return Err(doc.value_error(extra, kind.arity_expected()).in_field(key));
    }
    let mut values = [0u64; 5];
    for (i, (arg, key)) in args.iter().zip(ARG_KEYS).enumerate().take(arity) {
        let arg = required(doc, raw, *arg, key)?;
        let before = values.get(..i).unwrap_or_default();
        let value = read_arg(doc, arg, kind, i, before).map_err(|e| e.in_field(key))?;
        if let Some(slot) = values.get_mut(i) {
            *slot = value;
        }
    }
    build(doc, raw, kind, values.get(..arity).unwrap_or_default())
}

/// The decco form: `["Daily",9,0]`.
fn read_decco<'a>(doc: &Doc<'a>, raw: Raw<'a>) -> Result<Rate, JsonError> {
    let mut kind: Option<RateKind> = None;
    let mut values = [0u64; 5];
    let mut len = 0;
    doc.array(raw, |index, value| {
        let Some(k) = kind else {
            kind = Some(read_kind(doc, value).map_err(|e| e.in_index(index))?);
            return Ok(());
        };
        let i = index.saturating_sub(1);
        let (before, slot) = match (values.get(..i), values.get(i)) {
            (Some(before), Some(_)) if i < k.arity() => (before, i),
            _ => return Err(doc.value_error(value, k.arity_expected()).in_index(index)),
        };
        let v = read_arg(doc, value, k, i, before).map_err(|e| e.in_index(index))?;
        if let Some(s) = values.get_mut(slot) {
            *s = v;
        }
        len = index;
        Ok(())
    })?;
    let Some(kind) = kind else {
        return Err(doc.value_error(raw, "a rate name as the first element"));
    };
    if len < kind.arity() {
        return Err(doc.value_error(raw, kind.arity_expected()));
    }
    build(doc, raw, kind, values.get(..len).unwrap_or_default())
}

/// The string form: `"Daily(9,0)"`.
fn read_rate_string<'a>(doc: &Doc<'a>, raw: Raw<'a>) -> Result<Rate, JsonError> {
    let text = doc.string(raw)?;
    let borrowed = matches!(text, Cow::Borrowed(_));
    Rate::parse(&text).map_err(|e| in_string(doc, raw, borrowed, &e))
}

fn read_rate<'a>(doc: &Doc<'a>, raw: Raw<'a>) -> Result<Rate, JsonError> {
    match raw.kind() {
        Kind::String => read_rate_string(doc, raw),
        Kind::Object => read_sury(doc, raw),
        Kind::Array => read_decco(doc, raw),
        _ => Err(doc.type_error(raw, RATE_EXPECTED)),
    }
}

/// Reads a whole document.
pub(super) fn decode(bytes: &[u8]) -> Result<Schedule<'_>, JsonError> {
    let (doc, top) = Doc::parse(bytes)?;
    decode_object(&doc, Object::Text(top))
}

/// Reads the top-level object of a document known to be a schedule.
pub(crate) fn decode_object<'a>(
    doc: &Doc<'a>,
    object: Object<'a>,
) -> Result<Schedule<'a>, JsonError> {
    let top = object.raw();
    let mut name = None;
    let mut rate = None;
    let mut payload = None;
    let mut extras = Extras::new();
    doc.each(object, |key, value| {
        match key.as_ref() {
            "name" => {
                doc.once(&name, &key, value).map_err(|e| e.in_field(&key))?;
                name = Some(read_name(doc, value).map_err(|e| e.in_field("name"))?);
            }
            "rate" => {
                doc.once(&rate, &key, value).map_err(|e| e.in_field(&key))?;
                rate = Some(read_rate(doc, value).map_err(|e| e.in_field("rate"))?);
            }
            "payload" => {
                doc.once(&payload, &key, value)
                    .map_err(|e| e.in_field(&key))?;
                payload = Some(doc.string(value).map_err(|e| e.in_field("payload"))?);
            }
            _ => extras.keep(doc, key, value, 2)?,
        }
        Ok(())
    })?;
    Ok(Schedule {
        name: required(doc, top, name, "name")?,
        rate: required(doc, top, rate, "rate")?,
        payload: required(doc, top, payload, "payload")?,
        extras,
    })
}

/// Writes a rate as JSON in a dialect.
fn write_rate(w: &mut impl fmt::Write, rate: &Rate, dialect: Dialect) -> fmt::Result {
    let (args, n) = rate.args();
    let args = args.get(..n).unwrap_or_default();
    let name = rate.kind().as_str();
    match dialect {
        Dialect::String => write!(w, "\"{rate}\""),
        Dialect::Sury => {
            write!(w, "{{\"TAG\":\"{name}\"")?;
            for (i, a) in args.iter().enumerate() {
                write!(w, ",\"_{i}\":{a}")?;
            }
            w.write_char('}')
        }
        Dialect::Decco => {
            write!(w, "[\"{name}\"")?;
            for a in args {
                write!(w, ",{a}")?;
            }
            w.write_char(']')
        }
    }
}

/// Writes a whole document: `name`, `rate`, `payload`, then the extra members; the one
/// writer behind `encode`, `encode_as` and `Display`.
pub(super) fn write(
    schedule: &Schedule<'_>,
    w: &mut impl fmt::Write,
    dialect: Dialect,
) -> fmt::Result {
    w.write_str("{\"name\":")?;
    string(w, schedule.name.as_str())?;
    w.write_str(",\"rate\":")?;
    write_rate(w, &schedule.rate, dialect)?;
    w.write_str(",\"payload\":")?;
    string(w, &schedule.payload)?;
    for (key, value) in schedule.extras.iter() {
        w.write_char(',')?;
        string(w, key)?;
        w.write_char(':')?;
        w.write_str(value)?;
    }
    w.write_char('}')
}

/// Appends a whole document to a byte buffer.
pub(super) fn encode(schedule: &Schedule<'_>, buf: &mut impl Buffer, dialect: Dialect) {
    // Appending to a buffer cannot fail.
    let _ = write(schedule, &mut Appender(buf), dialect);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decoded(doc: &str) -> String {
        let s = Schedule::decode(doc.as_bytes()).unwrap_or_else(|e| panic!("{doc}: {e}"));
        s.to_string()
    }

    fn err(doc: &str) -> (&'static str, String, usize) {
        let e = Schedule::decode(doc.as_bytes()).expect_err(doc);
        (e.class(), e.path, e.offset)
    }

    fn e(class: &'static str, path: &str, offset: usize) -> (&'static str, String, usize) {
        (class, path.to_owned(), offset)
    }

    #[test]
    fn three_rate_encodings_one_canonical_form() {
        let canonical = r#"{"name":"n","rate":"Daily(9,0)","payload":"p"}"#;
        for rate in [
            r#""Daily(9,0)""#,
            r#""Daily(9, 0)""#,
            r#"{"TAG":"Daily","_0":9,"_1":0}"#,
            r#"{"_1":0,"_0":9,"TAG":"Daily"}"#,
            r#"[ "Daily", 9, 0 ]"#,
            r#"["Dail\u0079",9,0]"#,
        ] {
            let doc = format!(r#"{{"name":"n","rate":{rate},"payload":"p"}}"#);
            assert_eq!(decoded(&doc), canonical, "{rate}");
        }
    }

    #[test]
    fn members_in_any_order_extras_kept() {
        let doc = r#" { "x": [1, {"y": 1e-05}], "payload": "{\"a\": 1}", "rate": ["Hours", 6],
                       "name": "cleanup-task", "z": null } "#;
        assert_eq!(
            decoded(doc),
            r#"{"name":"cleanup-task","rate":"Hours(6)","payload":"{\"a\": 1}","x":[1, {"y": 1e-05}],"z":null}"#
        );
        let s = Schedule::decode(doc.as_bytes()).expect("valid");
        assert!(
            matches!(s.payload, Cow::Owned(_)),
            "escaped payloads are owned"
        );
        assert!(matches!(s.name.as_str(), "cleanup-task"));
        let mut sury = Vec::new();
        s.encode_as(&mut sury, Dialect::Sury);
        assert!(sury.starts_with(br#"{"name":"cleanup-task","rate":{"TAG":"Hours","_0":6},"#));
        let mut decco = Vec::new();
        s.encode_as(&mut decco, Dialect::Decco);
        assert!(decco.starts_with(br#"{"name":"cleanup-task","rate":["Hours",6],"#));
    }

    #[test]
    fn rejections_point_at_the_byte() {
        // Missing members: the enclosing object's brace, named in order.
        assert_eq!(err(r#" {"rate":"Hours(1)"}"#), e("json.missing", "", 1));
        assert_eq!(
            err(r#"{"name":"a","payload":""}"#),
            e("json.missing", "", 0)
        );
        assert_eq!(err("[]"), e("json.type", "", 0));
        // Duplicates: the second key.
        assert_eq!(
            err(r#"{"name":"a","name":"b","rate":"Hours(1)","payload":""}"#),
            e("json.duplicate", "name", 12)
        );
        assert_eq!(
            err(r#"{"x":1,"x":2,"name":"a","rate":"Hours(1)","payload":""}"#),
            e("json.duplicate", "x", 7)
        );
        // Names: into the string, or at the quote when escaped.
        assert_eq!(
            err(r#"{"name":"user reminder","rate":"Hours(1)","payload":""}"#),
            e("json.value", "name", 13)
        );
        assert_eq!(
            err(r#"{"name":"","rate":"Hours(1)","payload":""}"#),
            e("json.value", "name", 9)
        );
        assert_eq!(
            err(r#"{"name":"a\u0020b","rate":"Hours(1)","payload":""}"#),
            e("json.value", "name", 8)
        );
        assert_eq!(
            err(r#"{"name":7,"rate":"Hours(1)","payload":""}"#),
            e("json.type", "name", 8)
        );
        // Rate strings: into the string.
        assert_eq!(
            err(r#"{"name":"a","rate":"Daily(24,0)","payload":""}"#),
            e("json.value", "rate", 26)
        );
        assert_eq!(
            err(r#"{"name":"a","rate":"rate(5 minutes)","payload":""}"#),
            e("json.value", "rate", 20)
        );
        assert_eq!(
            err(r#"{"name":"a","rate":5,"payload":""}"#),
            e("json.type", "rate", 19)
        );
        // Sury.
        assert_eq!(
            err(r#"{"name":"a","rate":{"_0":9,"_1":0},"payload":""}"#),
            e("json.missing", "rate", 19)
        );
        assert_eq!(
            err(r#"{"name":"a","rate":{"TAG":"Daily","_0":9},"payload":""}"#),
            e("json.missing", "rate", 19)
        );
        assert_eq!(
            err(r#"{"name":"a","rate":{"TAG":"Daily","_0":9,"_1":0,"_2":1},"payload":""}"#),
            e("json.value", "rate._2", 53)
        );
        assert_eq!(
            err(r#"{"name":"a","rate":{"TAG":"Daily","_0":9,"_1":0,"x":1},"payload":""}"#),
            e("json.value", "rate.x", 52)
        );
        assert_eq!(
            err(r#"{"name":"a","rate":{"TAG":"Daily","_0":9,"_0":9,"_1":0},"payload":""}"#),
            e("json.duplicate", "rate._0", 41)
        );
        assert_eq!(
            err(r#"{"name":"a","rate":{"TAG":"daily","_0":9,"_1":0},"payload":""}"#),
            e("json.value", "rate.TAG", 26)
        );
        assert_eq!(
            err(r#"{"name":"a","rate":{"TAG":"Daily","_0":9.0,"_1":0},"payload":""}"#),
            e("json.value", "rate._0", 39)
        );
        assert_eq!(
            err(r#"{"name":"a","rate":{"TAG":"Daily","_0":"9","_1":0},"payload":""}"#),
            e("json.type", "rate._0", 39)
        );
        // Decco.
        assert_eq!(
            err(r#"{"name":"a","rate":[],"payload":""}"#),
            e("json.value", "rate", 19)
        );
        assert_eq!(
            err(r#"{"name":"a","rate":["Daily",9],"payload":""}"#),
            e("json.value", "rate", 19)
        );
        assert_eq!(
            err(r#"{"name":"a","rate":["Daily",9,0,0],"payload":""}"#),
            e("json.value", "rate[3]", 32)
        );
        assert_eq!(
            err(r#"{"name":"a","rate":["Single",2023,2,29,0,0],"payload":""}"#),
            e("json.value", "rate[3]", 36)
        );
        assert_eq!(
            err(r#"{"name":"a","rate":[9,0],"payload":""}"#),
            e("json.type", "rate[0]", 20)
        );
        // Payload: a string.
        assert_eq!(
            err(r#"{"name":"a","rate":"Hours(1)","payload":{"type":"x"}}"#),
            e("json.type", "payload", 40)
        );
    }
}
