//! heartwire-amqp against the real broker (to come).
