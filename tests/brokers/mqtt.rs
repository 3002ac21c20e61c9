//! heartwire-mqtt against the real broker (to come).
