//! The `tracing` feature: a span per call with the script name and SHA1, and an event in
//! it when `NOSCRIPT` made the call reload the script, with the reload's duration.
//! Recorded by a small `Subscriber` that keeps every span's and event's fields.

use std::fmt::Debug;
use std::sync::{Arc, Mutex};

use evalsha::Reload;
use evalsha_testkit::Server;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

evalsha::include_script!("tests/scripts/incr_by.lua");

/// A span or an event as recorded: its name, its parent span's name, and its fields.
#[derive(Debug, Clone, Default)]
struct Seen {
    name: String,
    parent: Option<String>,
    fields: Vec<(String, String)>,
}

impl Seen {
    fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

impl Visit for Seen {
    fn record_debug(&mut self, field: &Field, value: &dyn Debug) {
        self.fields
            .push((field.name().to_owned(), format!("{value:?}")));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.fields
            .push((field.name().to_owned(), value.to_owned()));
    }
}

#[derive(Default)]
struct Log {
    spans: Vec<Seen>,
    events: Vec<Seen>,
    stack: Vec<u64>,
}

#[derive(Clone, Default)]
struct Recorder {
    log: Arc<Mutex<Log>>,
}

impl Subscriber for Recorder {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, attrs: &Attributes<'_>) -> Id {
        let mut seen = Seen {
            name: attrs.metadata().name().to_owned(),
            ..Seen::default()
        };
        attrs.record(&mut seen);
        let mut log = self.log.lock().unwrap();
        log.spans.push(seen);
        Id::from_u64(log.spans.len() as u64)
    }
    fn record(&self, _: &Id, _: &Record<'_>) {}
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, event: &Event<'_>) {
        let mut log = self.log.lock().unwrap();
        let parent = log
            .stack
            .last()
            .map(|id| log.spans[*id as usize - 1].name.clone());
        let mut seen = Seen {
            name: event.metadata().name().to_owned(),
            parent,
            ..Seen::default()
        };
        event.record(&mut seen);
        log.events.push(seen);
    }
    fn enter(&self, span: &Id) {
        self.log.lock().unwrap().stack.push(span.into_u64());
    }
    fn exit(&self, _: &Id) {
        self.log.lock().unwrap().stack.pop();
    }
}

fn record(f: impl FnOnce()) -> Log {
    let recorder = Recorder::default();
    tracing::subscriber::with_default(recorder.clone(), f);
    std::mem::take(&mut *recorder.log.lock().unwrap())
}

fn script_spans(log: &Log) -> Vec<&Seen> {
    log.spans.iter().filter(|s| s.name == "evalsha").collect()
}

#[test]
fn span_per_call_names_the_script_and_sha1() {
    let server = Server::start();
    let mut con = server.connection();
    let log = record(|| {
        IncrBy.run(&mut con, "k", 1).unwrap();
        IncrBy.run(&mut con, "k", 1).unwrap();
    });
    let spans = script_spans(&log);
    assert_eq!(spans.len(), 2, "one span per call: {:?}", log.spans);
    for span in spans {
        assert_eq!(span.field("script"), Some("tests/scripts/incr_by.lua"));
        assert_eq!(span.field("sha1"), Some(IncrBy::SHA1));
    }
}

#[test]
fn noscript_reload_is_an_event_with_its_duration_inside_the_span() {
    let server = Server::start();
    let mut con = server.connection();
    redis::cmd("SCRIPT").arg("FLUSH").exec(&mut con).unwrap();
    let log = record(|| {
        IncrBy.run(&mut con, "k", 1).unwrap(); // cold: reloads
        IncrBy.run(&mut con, "k", 1).unwrap(); // warm: no event
        redis::cmd("SCRIPT").arg("FLUSH").exec(&mut con).unwrap();
        IncrBy
            .call("k", 1)
            .reload(Reload::Eval)
            .run(&mut con)
            .unwrap();
    });
    let reloads: Vec<&Seen> = log
        .events
        .iter()
        .filter(|e| e.field("duration_us").is_some())
        .collect();
    assert_eq!(reloads.len(), 2, "one per NOSCRIPT: {:?}", log.events);
    for (event, policy) in reloads.iter().zip(["Load", "Eval"]) {
        assert_eq!(
            event.parent.as_deref(),
            Some("evalsha"),
            "inside the call's span"
        );
        assert_eq!(event.field("script"), Some("tests/scripts/incr_by.lua"));
        assert_eq!(event.field("sha1"), Some(IncrBy::SHA1));
        assert_eq!(event.field("policy"), Some(policy));
        let us: u64 = event.field("duration_us").unwrap().parse().unwrap();
        assert!(us < 60_000_000, "a duration in microseconds: {us}");
    }
}

#[tokio::test]
async fn async_calls_get_the_same_span_and_event() {
    let server = Server::start();
    redis::cmd("SCRIPT")
        .arg("FLUSH")
        .exec(&mut server.connection())
        .unwrap();
    let mut con = server
        .client()
        .get_multiplexed_async_connection()
        .await
        .unwrap();
    let recorder = Recorder::default();
    let guard = tracing::subscriber::set_default(recorder.clone());
    assert_eq!(IncrBy.run_async(&mut con, "k", 3).await.unwrap(), 3);
    drop(guard);
    let log = std::mem::take(&mut *recorder.log.lock().unwrap());
    let spans = script_spans(&log);
    assert_eq!(spans.len(), 1, "{:?}", log.spans);
    assert_eq!(spans[0].field("sha1"), Some(IncrBy::SHA1));
    let reloads: Vec<&Seen> = log
        .events
        .iter()
        .filter(|e| e.field("duration_us").is_some())
        .collect();
    assert_eq!(reloads.len(), 1, "{:?}", log.events);
    assert_eq!(reloads[0].parent.as_deref(), Some("evalsha"));
}
