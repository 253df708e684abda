//! Observability with the `tracing` feature: a span per call carrying the script's name
//! and SHA1, and an event when a `NOSCRIPT` load happens, with its duration. Without the
//! feature every function here is an empty inline one and the timer a zero-sized value,
//! so the calls compile to nothing.

use crate::script::Script;

/// Measures a load, when tracing is on.
pub(crate) struct Timer {
    #[cfg(feature = "tracing")]
    start: std::time::Instant,
}

/// Starts timing a load.
#[inline(always)]
pub(crate) fn start() -> Timer {
    Timer {
        #[cfg(feature = "tracing")]
        start: std::time::Instant::now(),
    }
}

/// Records that the script was loaded after `NOSCRIPT` (`ok`: the load succeeded).
#[inline(always)]
pub(crate) fn loaded(script: &Script, timer: Timer, ok: bool) {
    #[cfg(feature = "tracing")]
    tracing::info!(
        script = script.name(),
        sha1 = script.sha1(),
        ok,
        duration_us = timer.start.elapsed().as_micros() as u64,
        "evalsha: NOSCRIPT, loaded the script and retried"
    );
    #[cfg(not(feature = "tracing"))]
    let _ = (script, timer, ok);
}

/// Runs `future` (one script call) inside a span naming the script.
#[cfg(feature = "tracing")]
pub(crate) fn in_span<F: std::future::Future>(
    script: &Script,
    future: F,
) -> tracing::instrument::Instrumented<F> {
    use tracing::Instrument;
    future.instrument(tracing::info_span!(
        "evalsha",
        script = script.name(),
        sha1 = script.sha1()
    ))
}

/// Without the feature: the future itself.
#[cfg(not(feature = "tracing"))]
#[inline(always)]
pub(crate) fn in_span<F: std::future::Future>(_script: &Script, future: F) -> F {
    future
}
