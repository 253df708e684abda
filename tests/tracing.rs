//! With the `tracing` feature: one span per call naming the script and its SHA1, and an
//! event when a NOSCRIPT load happens, with its duration.

use std::sync::{Arc, Mutex};

use evalsha_testkit::Server;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

evalsha::include_script!(TracedIncr = "tests/scripts/incr_by.lua");

/// Records span names with their fields, and event fields, as text.
#[derive(Clone, Default)]
struct Recorder {
    spans: Arc<Mutex<Vec<String>>>,
    events: Arc<Mutex<Vec<String>>>,
}

struct Fields(String);

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.push_str(&format!("{}={:?} ", field.name(), value));
    }
}

impl Subscriber for Recorder {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, span: &Attributes<'_>) -> Id {
        let mut fields = Fields(format!("{} ", span.metadata().name()));
        span.record(&mut fields);
        let mut spans = self.spans.lock().unwrap();
        spans.push(fields.0);
        Id::from_u64(spans.len() as u64)
    }
    fn record(&self, _: &Id, _: &Record<'_>) {}
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, event: &Event<'_>) {
        let mut fields = Fields(String::new());
        event.record(&mut fields);
        self.events.lock().unwrap().push(fields.0);
    }
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}

#[test]
fn a_span_per_call_and_an_event_per_load() {
    let server = Server::start();
    let mut con = server.connection();
    redis::cmd("SCRIPT").arg("FLUSH").exec(&mut con).unwrap();
    let recorder = Recorder::default();
    tracing::subscriber::with_default(recorder.clone(), || {
        TracedIncr.run(&mut con, "t", 1).unwrap(); // cold: loads
        TracedIncr.run(&mut con, "t", 1).unwrap(); // warm
    });
    let spans = recorder.spans.lock().unwrap();
    assert_eq!(spans.len(), 2, "{spans:?}");
    for span in spans.iter() {
        assert!(span.starts_with("evalsha "), "{span}");
        assert!(
            span.contains("script=\"tests/scripts/incr_by.lua\""),
            "{span}"
        );
        assert!(
            span.contains(&format!("sha1=\"{}\"", TracedIncr::SHA1)),
            "{span}"
        );
    }
    let events = recorder.events.lock().unwrap();
    assert_eq!(events.len(), 1, "one load, one event: {events:?}");
    assert!(events[0].contains("NOSCRIPT"), "{}", events[0]);
    assert!(events[0].contains("duration_us="), "{}", events[0]);
    assert!(events[0].contains("ok=true"), "{}", events[0]);
}
