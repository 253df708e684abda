//! Instrumentation with the `tracing` feature: a span per script call, named `evalsha`,
//! with the fields `script` (the file name) and `sha1`, and an event in it when a
//! `NOSCRIPT` reply made the call reload the script, with the field `duration_us`.
//!
//! Without the feature every function here is an empty `#[inline(always)]` shim over
//! zero-sized values, so instrumented call sites compile to nothing.

#[cfg(not(feature = "tracing"))]
use crate::script::Script;

#[cfg(feature = "tracing")]
mod on {
    use std::future::Future;
    use std::time::Instant;

    use tracing::Instrument;

    use crate::script::{Reload, Script};

    fn span(script: &Script) -> tracing::Span {
        tracing::debug_span!("evalsha", script = script.name(), sha1 = script.sha1())
    }

    /// The span of one sync call, entered until the guard drops.
    pub(crate) fn enter(script: &Script) -> tracing::span::EnteredSpan {
        span(script).entered()
    }

    /// An async call's future, run inside its span.
    pub(crate) fn instrument<F: Future>(
        script: &Script,
        future: F,
    ) -> impl Future<Output = F::Output> {
        future.instrument(span(script))
    }

    /// When a reload after `NOSCRIPT` started.
    pub(crate) fn reload_started() -> Instant {
        Instant::now()
    }

    /// Records a reload after `NOSCRIPT` (inside the call's span) and how long it took.
    pub(crate) fn reloaded(script: &Script, policy: Reload, started: Instant) {
        let duration_us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
        tracing::info!(
            script = script.name(),
            sha1 = script.sha1(),
            policy = ?policy,
            duration_us,
            "NOSCRIPT: script reloaded"
        );
    }
}

#[cfg(feature = "tracing")]
pub(crate) use on::*;

/// The span of one sync call: nothing without the `tracing` feature.
#[cfg(not(feature = "tracing"))]
#[inline(always)]
pub(crate) fn enter(_script: &Script) {}

/// An async call's future: returned as is without the `tracing` feature.
#[cfg(not(feature = "tracing"))]
#[inline(always)]
pub(crate) fn instrument<F>(_script: &Script, future: F) -> F {
    future
}

/// When a reload started: nothing without the `tracing` feature.
#[cfg(not(feature = "tracing"))]
#[inline(always)]
pub(crate) fn reload_started() {}

/// Records a reload: nothing without the `tracing` feature.
#[cfg(not(feature = "tracing"))]
#[inline(always)]
pub(crate) fn reloaded(_script: &Script, _policy: crate::script::Reload, _started: ()) {}
