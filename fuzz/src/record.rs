//! Checks of the `record_decode` fuzz target (filled in with the record format).

/// Decodes arbitrary bytes as a record document and checks the codec's promises.
pub fn record_decode(data: &[u8]) {
    let _ = data;
}
