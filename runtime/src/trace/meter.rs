//! The `metrics` side, through the `metrics` crate's facade: whatever recorder the
//! program installed (a Prometheus, OpenTelemetry or statsd exporter) receives them.
//!
//! A warm call's labels are built at compile time with its [`Script`]
//! (`Script::metric_labels`) and its key (hashed) at its first call, so recording it
//! allocates and hashes nothing in evalsha; a failed call or a load builds its labels
//! (two more) then.

use metrics::{Label, Unit};

use crate::script::Script;

/// `db.client.operation.duration`: seconds per call, its reload included.
const DURATION: &str = "db.client.operation.duration";
/// `evalsha.script.loads`: loads, with their reason.
const LOADS: &str = "evalsha.script.loads";
/// `evalsha.pipeline.calls`: commands per batch written.
const BATCH: &str = "evalsha.pipeline.calls";

/// Where the metrics come from, for recorders that filter on it (as the `metrics` macros
/// would say it).
static METADATA: metrics::Metadata<'static> =
    metrics::Metadata::new(module_path!(), metrics::Level::INFO, Some(module_path!()));

/// Describes evalsha's metrics (unit and help text) to the installed recorder. Optional:
/// the metrics are recorded without it; call it once after installing the recorder so
/// that exporters which print units and help (Prometheus's `# HELP`, the `_seconds`
/// suffix with `PrometheusBuilder::set_enable_unit_suffix`) have them.
pub fn describe_metrics() {
    metrics::describe_histogram!(
        DURATION,
        Unit::Seconds,
        "Duration of each script or function call, its NOSCRIPT reload and retry included"
    );
    metrics::describe_counter!(
        LOADS,
        "Scripts and function libraries loaded by evalsha, by reason (noscript, \
         function_not_found, preload)"
    );
    metrics::describe_histogram!(
        BATCH,
        Unit::Count,
        "Commands per pipeline batch written to the server"
    );
}

/// Records one call: its duration, and on failure `error.type` and `evalsha.ran`.
pub(super) fn call(
    script: &'static Script,
    operation: &'static str,
    seconds: f64,
    failure: Option<(&'static str, &'static str)>,
) {
    let labels = script.metric_labels();
    if failure.is_none() && operation == script.call_command() {
        // The key made once per script, its labels borrowed: no allocation, no hashing.
        let key = script.metric_key(DURATION);
        metrics::with_recorder(|r| r.register_histogram(key, &METADATA).record(seconds));
        return;
    }
    let mut owned = Vec::with_capacity(labels.len() + 2);
    owned.extend(labels.iter().map(|label| {
        if label.key() == "db.operation.name" {
            Label::from_static_parts("db.operation.name", operation)
        } else {
            label.clone()
        }
    }));
    if let Some((error_type, ran)) = failure {
        owned.push(Label::from_static_parts("error.type", error_type));
        owned.push(Label::from_static_parts("evalsha.ran", ran));
    }
    metrics::histogram!(DURATION, owned).record(seconds);
}

/// Counts one load of `script` for `reason`, with `error.type` when it failed.
pub(super) fn loaded(script: &Script, reason: &'static str, error_type: Option<&'static str>) {
    let mut labels = vec![
        Label::from_static_parts("db.system.name", "redis"),
        Label::from_static_parts("db.stored_procedure.name", script.label()),
        Label::from_static_parts("evalsha.load.reason", reason),
    ];
    if let Some(error_type) = error_type {
        labels.push(Label::from_static_parts("error.type", error_type));
    }
    metrics::counter!(LOADS, labels).increment(1);
}

/// Records the size of one batch written.
pub(super) fn batch(calls: usize) {
    metrics::histogram!(BATCH, "db.system.name" => "redis").record(calls as f64);
}
