//! With the `tracing` feature: one span per call with OpenTelemetry's database fields
//! (the script's type name, the command) and its SHA1, and an event when a NOSCRIPT load
//! happens, with its reason and duration. (tests/observability.rs checks the failure
//! fields and that no key, argument or body appears.)

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
    /// Ids of the spans entered now, innermost last (tests run one call at a time).
    entered: Arc<Mutex<Vec<u64>>>,
    /// For each event, the innermost span entered when it fired.
    parents: Arc<Mutex<Vec<Option<u64>>>>,
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
        let parent = self.entered.lock().unwrap().last().copied();
        self.parents.lock().unwrap().push(parent);
    }
    fn enter(&self, span: &Id) {
        self.entered.lock().unwrap().push(span.into_u64());
    }
    fn exit(&self, _: &Id) {
        self.entered.lock().unwrap().pop();
    }
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
        for field in [
            "db.system.name=\"redis\"",
            "db.operation.name=\"EVALSHA\"",
            "db.stored_procedure.name=\"TracedIncr\"",
            "code.file.path=\"tests/scripts/incr_by.lua\"",
        ] {
            assert!(span.contains(field), "{field} in {span}");
        }
        assert!(
            span.contains(&format!("evalsha.script.sha1=\"{}\"", TracedIncr::SHA1)),
            "{span}"
        );
    }
    let events = recorder.events.lock().unwrap();
    assert_eq!(events.len(), 1, "one load, one event: {events:?}");
    assert!(
        events[0].contains("evalsha.load.reason=\"noscript\""),
        "{}",
        events[0]
    );
    assert!(events[0].contains("duration_us="), "{}", events[0]);
    assert!(events[0].contains("ok=true"), "{}", events[0]);
    let parents = recorder.parents.lock().unwrap();
    assert_eq!(
        parents[..],
        [Some(1)],
        "the load event is inside the cold call's span"
    );
}

evalsha::include_script!(TracedAsync = "tests/scripts/incr_by.lua");

#[tokio::test]
async fn run_async_gets_the_same_span_and_event() {
    let server = Server::start();
    redis::cmd("SCRIPT")
        .arg("FLUSH")
        .exec(&mut server.connection())
        .unwrap();
    let mut con = server.multiplexed().await;
    let recorder = Recorder::default();
    let guard = tracing::subscriber::set_default(recorder.clone());
    assert_eq!(TracedAsync.run_async(&mut con, "t", 3).await.unwrap(), 3); // cold
    assert_eq!(TracedAsync.run_async(&mut con, "t", 1).await.unwrap(), 4); // warm
    drop(guard);
    let spans = recorder.spans.lock().unwrap();
    let ours: Vec<&String> = spans.iter().filter(|s| s.starts_with("evalsha ")).collect();
    assert_eq!(ours.len(), 2, "{spans:?}");
    assert!(
        ours[0].contains(&format!("evalsha.script.sha1=\"{}\"", TracedAsync::SHA1)),
        "{}",
        ours[0]
    );
    let events = recorder.events.lock().unwrap();
    let loads: Vec<usize> = (0..events.len())
        .filter(|&i| events[i].contains("duration_us="))
        .collect();
    assert_eq!(loads.len(), 1, "one load, one event: {events:?}");
    let parent = recorder.parents.lock().unwrap()[loads[0]];
    let parent_name = parent.map(|id| spans[id as usize - 1].as_str());
    assert!(
        parent_name.is_some_and(|name| name.starts_with("evalsha ")),
        "the load event is inside the call's span: {parent_name:?}"
    );
}
