//! Bytes known to be ASCII, as text without std's UTF-8 automaton: the one place the
//! crate uses `unsafe`, shared by the beatit subject (`text::name`) and JSON documents
//! (`json`), where `std::str::from_utf8` was a large part of a short decode (issue 21:
//! 80 of 574 instructions of a text decode, about a third of a record's UTF-8 check).

/// `bytes` as text when every byte is ASCII; `None` otherwise (the caller then asks
/// `std::str::from_utf8`, which says where the first invalid byte is).
#[inline]
#[allow(unsafe_code)]
pub(crate) fn ascii_text(bytes: &[u8]) -> Option<&str> {
    if is_ascii(bytes) {
        // SAFETY: every byte is ASCII (checked on the line above: `is_ascii` ORs words
        // that together hold every byte and tests each byte's high bit; the property
        // tests `is_ascii_is_std` and `the_utf8_check_is_std_s` hold it to
        // `<[u8]>::is_ascii`), and a sequence of ASCII bytes is valid UTF-8.
        Some(unsafe { std::str::from_utf8_unchecked(bytes) })
    } else {
        None
    }
}

/// Whether every byte is ASCII, 16 bytes a step: `<[u8]>::is_ascii` goes byte by byte
/// below 32 bytes, which is most subjects.
///
/// The chunks of 16 and the last 16 bytes (or the first and last 8) together hold every
/// byte, and their OR has a high bit set exactly when one of them has; shorter input is
/// read byte by byte.
#[inline]
pub(crate) fn is_ascii(bytes: &[u8]) -> bool {
    const HIGH: u128 = u128::from_le_bytes([0x80; 16]);
    let high = if let Some(last) = bytes.last_chunk::<16>() {
        let (chunks, _) = bytes.as_chunks::<16>();
        chunks
            .iter()
            .fold(u128::from_le_bytes(*last), |acc, chunk| {
                acc | u128::from_le_bytes(*chunk)
            })
    } else if let (Some(first), Some(last)) = (bytes.first_chunk::<8>(), bytes.last_chunk::<8>()) {
        u128::from(u64::from_le_bytes(*first) | u64::from_le_bytes(*last))
    } else {
        return bytes.iter().all(u8::is_ascii);
    };
    high & HIGH == 0
}
