//! Checks of the `schedule_decode` fuzz target (filled in with the schedule format).

/// Decodes arbitrary bytes as a schedule document and checks the codec's promises.
pub fn schedule_decode(data: &[u8]) {
    let _ = data;
}
