//! Properties of the text codec over generated input (proptest).

use heartwire::text::{MAX_PROCESS_LEN, Message, Process, Seconds, Signal, SignalKind};
use proptest::prelude::*;

#[path = "support/schema.rs"]
mod schema;

/// A valid process name: tokens of the portable set joined by dots, within the limit.
fn process_name() -> impl Strategy<Value = String> {
    proptest::collection::vec("[A-Za-z0-9_-]{1,12}", 1..6)
        .prop_map(|tokens| tokens.join("."))
        .prop_filter("within the length limit", |n| n.len() <= MAX_PROCESS_LEN)
}

fn seconds() -> impl Strategy<Value = Seconds> {
    prop_oneof![
        (1u64..=86_400).prop_map(|s| Seconds::from_secs(s).expect("in range")),
        (1u64..=1_000_000_000_000_000_000).prop_map(|n| Seconds::from_nanos(n).expect("in range")),
    ]
}

fn signal() -> impl Strategy<Value = Signal> {
    (0usize..4, seconds()).prop_map(|(k, value)| {
        let kind = SignalKind::ALL[k];
        let value = (kind != SignalKind::Stop).then_some(value);
        kind.with_value(value).expect("kind and value agree")
    })
}

proptest! {
    /// encode then decode is the identity for every valid message.
    #[test]
    fn encode_then_decode_is_identity(name in process_name(), signal in signal()) {
        let process = Process::new(&name).expect("generated names are valid");
        let message = Message::new(process, signal);
        let (mut subject, mut payload) = (Vec::new(), Vec::new());
        message.encode_subject(&mut subject);
        message.encode_payload(&mut payload);
        prop_assert_eq!(Message::decode(&subject, &payload), Ok(message.clone()));

        let mut line = Vec::new();
        message.encode_line(&mut line);
        prop_assert_eq!(Message::decode_line(&line), Ok(message.clone()));
        let display = message.to_string();
        prop_assert_eq!(line.as_slice(), display.as_bytes());

        let json = message.json().to_string();
        prop_assert!(schema::is_valid("text", &json), "the text schema rejects {}", json);
        prop_assert_eq!(Message::from_json(&json), Ok(message));
    }

    /// Any accepted spelling of a number decodes to the value its canonical form names,
    /// and the canonical form is a fixed point.
    #[test]
    fn decode_then_encode_gives_the_canonical_form(
        int in 0u64..100_000,
        frac in "[0-9]{0,12}",
        exp in proptest::option::of(-12i32..12),
        upper in any::<bool>(),
    ) {
        let mut number = int.to_string();
        if !frac.is_empty() {
            number.push('.');
            number.push_str(&frac);
        }
        if let Some(e) = exp {
            number.push(if upper { 'E' } else { 'e' });
            number.push_str(&e.to_string());
        }
        let payload = format!("beat/{number}");
        if let Ok(signal) = Signal::parse(&payload) {
            let canonical = signal.to_string();
            prop_assert_eq!(Signal::parse(&canonical), Ok(signal));
            let digits = canonical.strip_prefix("beat/").unwrap_or_default();
            prop_assert!(!digits.contains(['e', 'E']), "no exponent in {}", canonical);
            prop_assert!(!digits.starts_with('0') || digits.starts_with("0."), "leading zero in {}", canonical);
            if digits.contains('.') {
                prop_assert!(!digits.ends_with('0'), "trailing zero in {}", canonical);
            }
        }
    }

    /// Arbitrary bytes never panic, and every error points inside the input it names.
    #[test]
    fn arbitrary_bytes_never_panic(subject in proptest::collection::vec(any::<u8>(), 0..300),
                                   payload in proptest::collection::vec(any::<u8>(), 0..80)) {
        if let Err(e) = Message::decode(&subject, &payload) {
            prop_assert!(e.offset() <= subject.len().max(payload.len()));
        }
        let mut line = subject.clone();
        line.push(b' ');
        line.extend_from_slice(&payload);
        if let Err(e) = Message::decode_line(&line) {
            prop_assert!(e.offset() <= line.len());
        }
        if let Ok(text) = std::str::from_utf8(&payload) {
            let _ = Message::from_json(text);
        }
    }

    /// Strings close to valid ones (mutated in one byte) never panic either, and when
    /// they decode, they re-encode to a canonical form that decodes to the same message.
    #[test]
    fn near_misses(name in process_name(), signal in signal(), at in any::<prop::sample::Index>(), byte in any::<u8>()) {
        let line = format!("heartbeat.{name} {signal}");
        let mut bytes = line.into_bytes();
        let i = at.index(bytes.len());
        bytes[i] = byte;
        if let Ok(message) = Message::decode_line(&bytes) {
            let again = message.to_string();
            prop_assert_eq!(Message::decode_line(again.as_bytes()), Ok(message));
        }
    }
}
