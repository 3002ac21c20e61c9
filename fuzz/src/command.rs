//! Checks of the `command_decode` fuzz target (filled in with the command format).

/// Decodes arbitrary bytes as a command document and checks the codec's promises.
pub fn command_decode(data: &[u8]) {
    let _ = data;
}
