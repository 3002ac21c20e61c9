//! The checks of the `record_decode` fuzz target, shared with the replay test in
//! `tests/record_conformance.rs`, which runs them over the corpus on stable Rust.
//!
//! Every promise the record codec makes about one input, as assertions: decoding either
//! fails with an offset inside the input and a message, or gives a record whose canonical
//! form is no longer than the input, decodes to the same record and encodes to itself
//! again. The input is also read as a channel name, with the same promises.

use heartwire::record::{Channel, Record};

/// Checks one fuzz input; panics when heartwire breaks a promise.
pub fn record_decode(data: &[u8]) {
    check_record(data);
    if let Ok(text) = std::str::from_utf8(data) {
        check_channel(text);
    }
}

fn check_record(data: &[u8]) {
    let shown = data.escape_ascii();
    match Record::decode(data) {
        Ok(record) => {
            let mut buf = Vec::new();
            record.encode(&mut buf);
            assert_eq!(
                buf.len(),
                record.encoded_len(),
                "encoded_len of \"{shown}\""
            );
            assert_eq!(
                record.to_string().as_bytes(),
                &buf[..],
                "Display and encode of \"{shown}\""
            );
            assert!(
                buf.len() <= data.len(),
                "the canonical form of \"{shown}\" is longer than the input"
            );
            let again = Record::decode(&buf).unwrap_or_else(|e| {
                panic!(
                    "the canonical form {} of \"{shown}\" fails: {e:?}",
                    buf.escape_ascii()
                )
            });
            assert_eq!(again, record, "canonical form {}", buf.escape_ascii());
            let mut buf_again = Vec::new();
            again.encode(&mut buf_again);
            assert_eq!(buf_again, buf, "\"{shown}\": not a fixed point");
            assert_eq!(record.clone().into_owned(), record, "into_owned");
        }
        Err(e) => {
            assert!(
                e.offset <= data.len(),
                "{e:?} points past the end ({} bytes) of \"{shown}\"",
                data.len()
            );
            assert!(!e.to_string().is_empty());
            assert!(e.class().starts_with("json."), "{e:?}");
        }
    }
}

fn check_channel(text: &str) {
    match Channel::parse(text) {
        Ok(channel) => {
            assert_eq!(channel.to_string(), text, "a channel has one spelling");
            let (service, convention) = channel.into_parts();
            assert_eq!(service.channel(convention), text);
        }
        Err(e) => {
            assert!(e.offset() <= text.len(), "{e:?} past the end of {text:?}");
            assert!(!e.to_string().is_empty());
        }
    }
}
