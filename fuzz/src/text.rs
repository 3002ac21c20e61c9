//! The checks of the `text_decode` fuzz target, shared with the replay test
//! `tests/fuzz_corpus.rs`, which runs them over the corpus on stable Rust.
//!
//! Every promise the text codec makes about one input, as assertions: decoding either
//! fails with an offset inside the input or gives a message whose canonical form decodes
//! to the same message and encodes to itself again, in the subject/payload, line and
//! JSON forms alike.

use heartwire::text::{
    MAX_LINE_LEN, MAX_PAYLOAD_LEN, MAX_SUBJECT_LEN, Message, Part, Seconds, Signal, Subject,
    TextError,
};

/// Checks one fuzz input; panics when heartwire breaks a promise.
///
/// The input is split at its first `0x00` or newline into a subject and a payload, which
/// are decoded with [`Message::decode`]; the whole input is also decoded as a line with
/// [`Message::decode_line`] and, when it is UTF-8, as a number with [`Seconds::parse`]
/// and as JSON with [`Message::from_json`].
pub fn text_decode(data: &[u8]) {
    let (subject, payload) = match data.iter().position(|&b| b == 0 || b == b'\n') {
        Some(at) => (&data[..at], &data[at + 1..]),
        None => (data, &data[data.len()..]),
    };
    check_parts(subject, payload);
    check_line(data);
    if let Ok(text) = std::str::from_utf8(data) {
        check_seconds(text);
        check_json(text);
    }
}

/// Which part of the input an error of [`Message::decode`] says it points into.
fn part_of(error: &TextError) -> Part {
    match *error {
        TextError::NotUtf8 { part, .. } | TextError::TooLong { part, .. } => part,
        _ if error.class().starts_with("subject.") => Part::Subject,
        _ if error.class().starts_with("line.") => Part::Line,
        _ => Part::Payload,
    }
}

/// Checks what holds for every error: an offset within `len`, a sane length, a message.
fn check_error(error: &TextError, len: usize, input: &[u8]) {
    let shown = input.escape_ascii();
    assert!(
        error.offset() <= len,
        "{error:?} points past the end ({len} bytes) of \"{shown}\""
    );
    if let TextError::TooLong { len, max, .. } = *error {
        assert!(len > max, "{error:?} is not too long, in \"{shown}\"");
    }
    assert!(!error.to_string().is_empty());
    assert!(!error.class().is_empty());
}

fn check_parts(subject: &[u8], payload: &[u8]) {
    let (subject_shown, payload_shown) = (subject.escape_ascii(), payload.escape_ascii());
    let by_subject = Subject::decode(subject);
    let by_signal = Signal::decode(payload);
    match Message::decode(subject, payload) {
        Ok(msg) => {
            let whole = by_subject.unwrap_or_else(|e| {
                panic!("\"{subject_shown}\" decodes in a message but not as a subject: {e:?}")
            });
            assert_eq!(msg.process().as_str(), whole.process().as_str());
            assert_eq!(Ok(msg.signal()), by_signal, "payload \"{payload_shown}\"");
            // A subject has one spelling: encoding gives the input back.
            let mut buf = Vec::new();
            msg.encode_subject(&mut buf);
            assert_eq!(&buf[..], subject, "the subject does not encode to itself");
            check_message(&msg);
        }
        Err(e) => match by_subject {
            // The subject is checked first, and its errors count from its start.
            Err(subject_error) => {
                assert_eq!(e, subject_error, "subject \"{subject_shown}\"");
                assert_eq!(
                    part_of(&e),
                    Part::Subject,
                    "{e:?} for subject \"{subject_shown}\""
                );
                check_error(&e, subject.len(), subject);
            }
            Ok(_) => {
                assert_eq!(Err(e), by_signal, "payload \"{payload_shown}\"");
                assert_eq!(
                    part_of(&e),
                    Part::Payload,
                    "{e:?} for payload \"{payload_shown}\""
                );
                check_error(&e, payload.len(), payload);
            }
        },
    }
}

fn check_line(line: &[u8]) {
    let shown = line.escape_ascii();
    let space = line.iter().position(|&b| b == b' ');
    match Message::decode_line(line) {
        Ok(msg) => {
            assert!(line.len() <= MAX_LINE_LEN);
            // The line form is the subject, one space and the payload.
            let at = space.unwrap_or_else(|| panic!("line \"{shown}\" decodes without a space"));
            assert_eq!(
                Message::decode(&line[..at], &line[at + 1..]).as_ref(),
                Ok(&msg),
                "line \"{shown}\""
            );
            check_message(&msg);
        }
        Err(e) => {
            check_error(&e, line.len(), line);
            let Some(at) = space else { return };
            // And the other way round: when its parts decode, so does the line.
            if let Ok(msg) = Message::decode(&line[..at], &line[at + 1..]) {
                panic!("line \"{shown}\" fails with {e:?} but its parts decode to {msg:?}");
            }
            // A line within its limit, in UTF-8, with a valid subject fails in its payload,
            // and payload errors count from the start of the line (`spec/text.md` §10).
            if line.len() <= MAX_LINE_LEN
                && std::str::from_utf8(line).is_ok()
                && Subject::decode(&line[..at]).is_ok()
            {
                let payload = &line[at + 1..];
                let Err(alone) = Signal::decode(payload) else {
                    panic!("line \"{shown}\" fails with {e:?} but its payload decodes");
                };
                assert_eq!(e.class(), alone.class(), "line \"{shown}\"");
                assert_eq!(
                    e.offset(),
                    alone.offset() + at + 1,
                    "line \"{shown}\": {e:?} does not count from the start of the line \
                     (the payload alone gives {alone:?})"
                );
            }
        }
    }
}

/// Everything that holds for a valid message, whichever form it was decoded from.
fn check_message(msg: &Message<'_>) {
    let mut subject = Vec::new();
    msg.encode_subject(&mut subject);
    let mut payload = Vec::new();
    msg.encode_payload(&mut payload);
    assert!(
        subject.len() <= MAX_SUBJECT_LEN,
        "{msg:?}: subject too long"
    );
    assert!(
        payload.len() <= MAX_PAYLOAD_LEN,
        "{msg:?}: payload too long"
    );

    // The canonical form decodes to the same message...
    let again = Message::decode(&subject, &payload).unwrap_or_else(|e| {
        panic!("the canonical form {subject:?} {payload:?} of {msg:?} fails: {e:?}")
    });
    assert_eq!(&again, msg, "canonical form {subject:?} {payload:?}");
    // ... and encodes to itself: a fixed point.
    let mut subject_again = Vec::new();
    again.encode_subject(&mut subject_again);
    let mut payload_again = Vec::new();
    again.encode_payload(&mut payload_again);
    assert_eq!(subject_again, subject, "{msg:?}: subject not a fixed point");
    assert_eq!(payload_again, payload, "{msg:?}: payload not a fixed point");

    // The other ways of writing the payload agree.
    let mut signal = Vec::new();
    msg.signal().encode(&mut signal);
    assert_eq!(signal, payload, "{msg:?}: Signal::encode");
    assert_eq!(msg.signal().to_string().as_bytes(), &payload[..]);

    // The line form: encode_line, Display and FromStr agree with the parts.
    let mut line = Vec::new();
    msg.encode_line(&mut line);
    let mut expected = subject.clone();
    expected.extend_from_slice(b" ");
    expected.extend_from_slice(&payload);
    assert_eq!(line, expected, "{msg:?}: encode_line");
    assert_eq!(msg.to_string().as_bytes(), &line[..], "{msg:?}: Display");
    assert_eq!(
        Message::decode_line(&line).as_ref(),
        Ok(msg),
        "line form {line:?}"
    );
    let parsed: Result<Message<'static>, _> = msg.to_string().parse();
    assert_eq!(parsed.as_ref(), Ok(msg), "FromStr of {line:?}");
    assert_eq!(&msg.clone().into_owned(), msg, "into_owned");

    // The JSON form reads back to the same message and writes the same text again.
    let json = msg.json().to_string();
    let back = Message::from_json(&json)
        .unwrap_or_else(|e| panic!("the JSON form {json} of {msg:?} fails: {e:?}"));
    assert_eq!(&back, msg, "JSON form {json}");
    assert_eq!(back.json().to_string(), json, "JSON form not a fixed point");
}

fn check_seconds(text: &str) {
    let float = text.parse::<f64>().ok();
    match Seconds::parse(text) {
        Ok(seconds) => {
            let canonical = seconds.to_string();
            let again = Seconds::parse(&canonical)
                .unwrap_or_else(|e| panic!("canonical {canonical} of {text:?} fails: {e:?}"));
            assert_eq!(again, seconds, "{text:?} -> {canonical}");
            assert_eq!(again.to_string(), canonical, "{text:?}: not a fixed point");
            assert_eq!(Seconds::try_from(seconds.as_duration()), Ok(seconds));
            // The same number after `beat/` is the same period.
            let payload = format!("beat/{text}");
            if payload.len() <= MAX_PAYLOAD_LEN {
                assert_eq!(
                    Signal::parse(&payload),
                    Ok(Signal::Beat { period: seconds }),
                    "{payload:?}"
                );
            }
            // A number of the grammar is a number to Rust too, and the exact value is
            // within float rounding of the float's.
            let float = float.unwrap_or_else(|| panic!("{text:?} is a Seconds but no f64"));
            let want = float * 1e9;
            let got = seconds.as_nanos() as f64;
            let tolerance = 1.0 + want * 1e-15;
            assert!(
                (got - want).abs() <= tolerance,
                "{text:?} is {got} ns, the f64 says {want} ns"
            );
            // Converting the float gets within float rounding of the exact value too.
            if let Ok(converted) = Seconds::try_from(float) {
                let converted = converted.as_nanos() as f64;
                assert!(
                    (converted - got).abs() <= 2.0 * tolerance,
                    "{text:?} is {got} ns, Seconds::try_from({float:?}) is {converted} ns"
                );
            }
        }
        Err(e) => {
            check_error(&e, text.len(), text.as_bytes());
            match (e, float) {
                (TextError::ZeroDuration { .. }, Some(v)) => {
                    assert!(v * 1e9 <= 0.5 * (1.0 + 1e-12), "{text:?} is not zero");
                }
                (TextError::OutOfRange { .. }, Some(v)) => {
                    assert!(v >= 1e9, "{text:?} is not out of range");
                }
                _ => {}
            }
        }
    }
}

fn check_json(text: &str) {
    match Message::from_json(text) {
        Ok(msg) => check_message(&msg),
        Err(e) => {
            assert!(
                e.offset() <= text.len(),
                "{e:?} points past the end of {text:?}"
            );
            assert!(!e.to_string().is_empty());
            assert!(!e.class().is_empty());
        }
    }
}
