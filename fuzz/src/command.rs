//! The checks of the `command_decode` fuzz target, shared with the replay in
//! `tests/command_conformance.rs`, which runs them over the corpus on stable Rust.
//!
//! Every promise the command codec makes about one input, as assertions: decoding either
//! fails with an offset inside the input and a message, or gives an envelope whose
//! canonical form decodes to the same envelope and encodes to itself again, and which
//! every dialect writes and reads back unchanged.

use heartwire::command::{Command, Dialect, Envelope};
use heartwire::json::MAX_DOCUMENT_LEN;

/// Checks one fuzz input; panics when heartwire breaks a promise.
pub fn command_decode(data: &[u8]) {
    let shown = data.escape_ascii();
    match Envelope::decode(data) {
        Ok(envelope) => check_envelope(&envelope, data),
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
    // The string form alone, when the input is text: never a panic, offsets inside it.
    if let Ok(text) = std::str::from_utf8(data) {
        match text.parse::<Command<'static>>() {
            Ok(command) => {
                let again: Command<'static> = command
                    .to_string()
                    .parse()
                    .unwrap_or_else(|e| panic!("{command} does not parse again: {e:?}"));
                assert_eq!(again, command, "string form of \"{shown}\"");
            }
            Err(e) => assert!(e.offset <= text.len(), "{e:?} past the end of {text:?}"),
        }
    }
}

/// Everything that holds for a decoded envelope.
fn check_envelope(envelope: &Envelope<'_>, input: &[u8]) {
    let shown = input.escape_ascii();
    let canonical = envelope.to_string();
    // Near the size limit another spelling can be longer than the input (sury's `_0`
    // keys, the seed's escaped arguments): the limit then applies to it too.
    if canonical.len() > MAX_DOCUMENT_LEN {
        return;
    }
    let again = Envelope::decode(canonical.as_bytes())
        .unwrap_or_else(|e| panic!("canonical form {canonical} of \"{shown}\" fails: {e:?}"));
    assert_eq!(&again, envelope, "canonical form {canonical}");
    assert_eq!(again.to_string(), canonical, "not a fixed point");

    for dialect in Dialect::ALL {
        let mut buf = Vec::new();
        if let Err(e) = envelope.encode(dialect, &mut buf) {
            // Only a form over the size limit is refused, and nothing of it is kept.
            assert_eq!(
                e.class(),
                "json.size",
                "{dialect} form of \"{shown}\": {e:?}"
            );
            assert_eq!(e.offset, MAX_DOCUMENT_LEN);
            assert!(buf.is_empty(), "{dialect} form of \"{shown}\" left bytes");
            continue;
        }
        let back = Envelope::decode(&buf).unwrap_or_else(|e| {
            panic!(
                "{dialect} form {} of \"{shown}\" fails: {e:?}",
                buf.escape_ascii()
            )
        });
        assert_eq!(&back, envelope, "{dialect} form {}", buf.escape_ascii());
        let mut twice = Vec::new();
        back.encode(dialect, &mut twice)
            .unwrap_or_else(|e| panic!("{dialect} form refused the second time: {e:?}"));
        assert_eq!(twice, buf, "{dialect} form not a fixed point");
    }
    assert_eq!(&envelope.clone().into_owned(), envelope, "into_owned");
}
