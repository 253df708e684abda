//! The `tracing` side: a span per call and an event per load, with OpenTelemetry's field
//! names, so `tracing-opentelemetry` users get standard database client spans
//! (`otel.name` and `otel.kind` are that bridge's own fields).

use std::time::Duration;

use tracing::field::Empty;

use crate::script::Script;

/// The span of one call of `script` sent as `operation`; the failure's fields are
/// recorded into it by [`failed`].
pub(super) fn call(script: &'static Script, operation: &'static str) -> tracing::Span {
    tracing::info_span!(
        "evalsha",
        otel.name = operation,
        otel.kind = "client",
        otel.status_code = Empty,
        db.system.name = "redis",
        db.operation.name = operation,
        db.stored_procedure.name = script.label(),
        code.file.path = script.file(),
        evalsha.script.sha1 = script.sha1(),
        error.type = Empty,
        evalsha.ran = Empty,
    )
}

/// Records a failure into a call's span.
pub(super) fn failed(span: &tracing::Span, error_type: &'static str, ran: &'static str) {
    span.record("otel.status_code", "ERROR");
    span.record("error.type", error_type);
    span.record("evalsha.ran", ran);
}

/// The event of a load (inside the call's span when a call reloads).
pub(super) fn loaded(
    script: &Script,
    reason: &'static str,
    took: Duration,
    error_type: Option<&'static str>,
) {
    tracing::info!(
        db.system.name = "redis",
        db.stored_procedure.name = script.label(),
        evalsha.script.sha1 = script.sha1(),
        evalsha.load.reason = reason,
        error.type = error_type,
        ok = error_type.is_none(),
        duration_us = took.as_micros() as u64,
        "evalsha: loaded the script"
    );
}
