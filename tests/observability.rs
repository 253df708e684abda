//! Features `metrics` and `tracing` together, against a real server: what each call, load
//! and pipeline records (a recording `metrics` recorder, metrics-util's
//! `DebuggingRecorder`, and a recording `tracing` subscriber, both local to the test's
//! thread), checked against what the server counted (`INFO commandstats`); and that no
//! attribute or field ever carries a key, an argument or a script body.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use evalsha_testkit::proxy::{Proxy, Replies};
use evalsha_testkit::{Server, Stats, requires, reset_stats};
use metrics_util::debugging::{DebugValue, DebuggingRecorder};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

evalsha::include_script!(ObsIncr = "tests/scripts/incr_by.lua");
evalsha::include_script!(ObsFail = "tests/scripts/error_reply.lua");
evalsha::include_script!(ObsTimeout = "tests/scripts/incr_by.lua");
evalsha::include_script!(ObsPiped = "tests/scripts/incr_by.lua");
evalsha::include_script!(ObsPreload = "tests/scripts/incr_by.lua");
evalsha::include_script!(ObsAuto = "tests/scripts/incr_by.lua");
evalsha::include_library!(ObsQueue = "tests/libraries/queue.lua");

/// One metric as recorded: name, labels in order, and its values (a counter's total, or a
/// histogram's samples).
#[derive(Debug, Clone)]
struct Metric {
    name: String,
    labels: Vec<(String, String)>,
    counter: u64,
    samples: Vec<f64>,
}

impl Metric {
    fn label(&self, key: &str) -> Option<&str> {
        self.labels
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// What one test recorded: metrics, span fields and event fields (as `name=value` text).
#[derive(Debug, Default)]
struct Recorded {
    metrics: Vec<Metric>,
    spans: Vec<String>,
    events: Vec<String>,
    /// For each event, the index in `spans` of the span it fired in.
    parents: Vec<Option<usize>>,
}

impl Recorded {
    /// The metrics named `name` whose labels include every pair of `with`.
    fn find(&self, name: &str, with: &[(&str, &str)]) -> Vec<&Metric> {
        self.metrics
            .iter()
            .filter(|m| m.name == name && with.iter().all(|(k, v)| m.label(k) == Some(v)))
            .collect()
    }

    /// The number of calls recorded in `db.client.operation.duration` with `with`.
    fn calls(&self, with: &[(&str, &str)]) -> usize {
        self.find("db.client.operation.duration", with)
            .iter()
            .map(|m| m.samples.len())
            .sum()
    }

    /// The loads counted in `evalsha.script.loads` with `with`.
    fn loads(&self, with: &[(&str, &str)]) -> u64 {
        self.find("evalsha.script.loads", with)
            .iter()
            .map(|m| m.counter)
            .sum()
    }

    /// Every attribute value and field text recorded.
    fn texts(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .metrics
            .iter()
            .flat_map(|m| m.labels.iter().map(|(_, v)| v.clone()))
            .collect();
        out.extend(self.spans.iter().cloned());
        out.extend(self.events.iter().cloned());
        out
    }
}

/// A `tracing` subscriber that keeps span and event fields as text.
#[derive(Clone, Default)]
struct Spans {
    recorded: Arc<Mutex<Recorded>>,
    entered: Arc<Mutex<Vec<usize>>>,
}

struct Fields(String);

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.push_str(&format!("{}={:?} ", field.name(), value));
    }
}

impl Subscriber for Spans {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, span: &Attributes<'_>) -> Id {
        let mut fields = Fields(format!("{} ", span.metadata().name()));
        span.record(&mut fields);
        let mut recorded = self.recorded.lock().unwrap();
        recorded.spans.push(fields.0);
        Id::from_u64(recorded.spans.len() as u64)
    }
    fn record(&self, id: &Id, values: &Record<'_>) {
        let mut fields = Fields(String::new());
        values.record(&mut fields);
        let mut recorded = self.recorded.lock().unwrap();
        recorded.spans[id.into_u64() as usize - 1].push_str(&fields.0);
    }
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, event: &Event<'_>) {
        let mut fields = Fields(String::new());
        event.record(&mut fields);
        let parent = self.entered.lock().unwrap().last().copied();
        let mut recorded = self.recorded.lock().unwrap();
        recorded.events.push(fields.0);
        recorded.parents.push(parent);
    }
    fn enter(&self, span: &Id) {
        self.entered
            .lock()
            .unwrap()
            .push(span.into_u64() as usize - 1);
    }
    fn exit(&self, _: &Id) {
        self.entered.lock().unwrap().pop();
    }
}

/// Runs `work` with a recording `metrics` recorder and `tracing` subscriber installed on
/// this thread, and returns what they recorded.
fn observe<T>(work: impl FnOnce() -> T) -> (T, Recorded) {
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    let spans = Spans::default();
    let out = metrics::with_local_recorder(&recorder, || {
        tracing::subscriber::with_default(spans.clone(), work)
    });
    let mut recorded = std::mem::take(&mut *spans.recorded.lock().unwrap());
    for (key, _, _, value) in snapshotter.snapshot().into_vec() {
        let key = key.key();
        let (counter, samples) = match value {
            DebugValue::Counter(n) => (n, Vec::new()),
            DebugValue::Histogram(values) => (0, values.into_iter().map(|v| v.0).collect()),
            DebugValue::Gauge(_) => (0, Vec::new()),
        };
        recorded.metrics.push(Metric {
            name: key.name().to_owned(),
            labels: key
                .labels()
                .map(|l| (l.key().to_owned(), l.value().to_owned()))
                .collect(),
            counter,
            samples,
        });
    }
    (out, recorded)
}

/// A current-thread runtime, so that the thread-local recorder and subscriber see every
/// poll of the calls.
fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn flush(con: &mut redis::Connection) {
    redis::cmd("SCRIPT").arg("FLUSH").exec(con).unwrap();
}

const SCRIPT: (&str, &str) = ("db.stored_procedure.name", "ObsIncr");

#[test]
fn warm_and_cold_calls_counted_as_the_server_counts_them() {
    let server = Server::start();
    let mut admin = server.connection();
    let mut con = server.connection();
    flush(&mut admin);
    reset_stats(&mut admin);
    let ((), recorded) = observe(|| {
        for _ in 0..5 {
            ObsIncr.run(&mut con, "obs:n", 1).unwrap(); // the first is cold: it loads
        }
        let rt = runtime();
        rt.block_on(async {
            let mut con = server.multiplexed().await;
            for _ in 0..3 {
                ObsIncr.run_async(&mut con, "obs:n", 1).await.unwrap();
            }
        });
    });
    let stats = Stats::read(&mut admin);
    let op = ("db.operation.name", "EVALSHA");
    assert_eq!(
        recorded.calls(&[SCRIPT, op, ("db.system.name", "redis")]),
        8
    );
    assert_eq!(recorded.calls(&[("error.type", "script")]), 0);
    assert_eq!(
        recorded.loads(&[SCRIPT, ("evalsha.load.reason", "noscript")]),
        1
    );
    // The server saw each call once and the cold one twice (NOSCRIPT, then the retry),
    // and one load: the calls recorded plus the reloads.
    assert_eq!(stats.calls("evalsha"), 8 + 1, "{stats:?}");
    assert_eq!(stats.calls("script|load"), 1, "{stats:?}");
    let durations = recorded.find("db.client.operation.duration", &[SCRIPT]);
    assert_eq!(durations.len(), 1, "one series: {durations:?}");
    assert!(
        durations[0].samples.iter().all(|&s| s > 0.0 && s < 10.0),
        "seconds: {:?}",
        durations[0].samples
    );
    assert_eq!(durations[0].label("error.type"), None);

    // A span per call with the OpenTelemetry fields; the load is an event inside the
    // cold call's span, with its reason.
    let ours: Vec<&String> = recorded
        .spans
        .iter()
        .filter(|s| s.starts_with("evalsha "))
        .collect();
    assert_eq!(ours.len(), 8, "{:?}", recorded.spans);
    for span in &ours {
        for field in [
            "db.system.name=\"redis\"",
            "db.operation.name=\"EVALSHA\"",
            "db.stored_procedure.name=\"ObsIncr\"",
            "otel.kind=\"client\"",
        ] {
            assert!(span.contains(field), "{field} in {span}");
        }
        assert!(!span.contains("error.type"), "{span}");
    }
    let loads: Vec<usize> = (0..recorded.events.len())
        .filter(|&i| recorded.events[i].contains("evalsha.load.reason"))
        .collect();
    assert_eq!(loads.len(), 1, "{:?}", recorded.events);
    let event = &recorded.events[loads[0]];
    assert!(
        event.contains("evalsha.load.reason=\"noscript\""),
        "{event}"
    );
    assert!(
        event.contains("db.stored_procedure.name=\"ObsIncr\""),
        "{event}"
    );
    assert_eq!(
        recorded.parents[loads[0]],
        Some(0),
        "the load is inside the first (cold) call's span"
    );
}

#[test]
fn a_lua_error_is_error_type_script_and_ran_yes() {
    let server = Server::start();
    let mut con = server.connection();
    let (err, recorded) = observe(|| ObsFail.run::<i64>(&mut con, "obs:f").unwrap_err());
    assert_eq!(err.ran(), evalsha::Ran::Yes, "{err}");
    let failed = recorded.find(
        "db.client.operation.duration",
        &[("db.stored_procedure.name", "ObsFail")],
    );
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert_eq!(failed[0].samples.len(), 1);
    assert_eq!(failed[0].label("error.type"), Some("script"));
    assert_eq!(failed[0].label("evalsha.ran"), Some("yes"));
    assert_eq!(failed[0].label("db.operation.name"), Some("EVALSHA"));
    let span = &recorded.spans[0];
    assert!(span.contains("error.type=\"script\""), "{span}");
    assert!(span.contains("evalsha.ran=\"yes\""), "{span}");
    assert!(span.contains("otel.status_code=\"ERROR\""), "{span}");
}

#[test]
fn a_timeout_through_the_proxy_is_ran_unknown() {
    let server = Server::start();
    evalsha::preload(&mut server.connection(), &[ObsTimeout::script()]).unwrap();
    let proxy = Proxy::start(server.port(), Duration::ZERO).unwrap();
    let mut con = proxy.client().get_connection().unwrap();
    con.set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    proxy.set_replies(Replies::Hold);
    let (err, recorded) = observe(|| ObsTimeout.run(&mut con, "obs:t", 1).unwrap_err());
    assert_eq!(err.ran(), evalsha::Ran::Unknown, "{err}");
    let failed = recorded.find(
        "db.client.operation.duration",
        &[("db.stored_procedure.name", "ObsTimeout")],
    );
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert_eq!(failed[0].label("evalsha.ran"), Some("unknown"));
    let error_type = failed[0].label("error.type");
    assert!(
        matches!(error_type, Some("timeout" | "io")),
        "{error_type:?}"
    );
    assert!(
        failed[0].samples[0] >= 0.15,
        "it waited for the timeout: {:?}",
        failed[0].samples
    );
}

#[test]
fn a_function_call_is_fcall_named_library_dot_function() {
    let server = Server::start();
    if !requires(&server, 7, "Redis Functions metrics") {
        return;
    }
    let mut admin = server.connection();
    redis::cmd("FUNCTION")
        .arg("FLUSH")
        .exec(&mut admin)
        .unwrap();
    reset_stats(&mut admin);
    let mut con = server.connection();
    let ((), recorded) = observe(|| {
        ObsQueue.push(&mut con, "obs:q", "obs:runs", "job").unwrap(); // cold: loads
        ObsQueue.push(&mut con, "obs:q", "obs:runs", "job").unwrap();
        ObsQueue
            .peek_at::<Option<String>>(&mut con, "obs:q", 0)
            .unwrap();
    });
    let stats = Stats::read(&mut admin);
    let push = ("db.stored_procedure.name", "ObsQueue.push");
    assert_eq!(recorded.calls(&[push, ("db.operation.name", "FCALL")]), 2);
    assert_eq!(
        recorded.calls(&[
            ("db.stored_procedure.name", "ObsQueue.peekAt"),
            ("db.operation.name", "FCALL_RO")
        ]),
        1
    );
    assert_eq!(
        recorded.loads(&[push, ("evalsha.load.reason", "function_not_found")]),
        1
    );
    assert_eq!(stats.calls("fcall"), 2 + 1, "{stats:?}");
    assert_eq!(stats.calls("fcall_ro"), 1, "{stats:?}");
    assert_eq!(stats.calls("function|load"), 1, "{stats:?}");
}

#[test]
fn a_pipeline_records_each_call_as_sent_and_its_batch() {
    let server = Server::start();
    let mut admin = server.connection();
    flush(&mut admin);
    reset_stats(&mut admin);
    let mut con = server.connection();
    let ((), recorded) = observe(|| {
        let mut pipe = evalsha::Pipeline::new();
        pipe.script(ObsPiped.call("obs:p", 1))
            .script(ObsPiped.call("obs:p", 2))
            .cmd("GET")
            .arg("obs:p");
        let (a, b, c): (i64, i64, i64) = pipe.query(&mut con).unwrap();
        assert_eq!((a, b, c), (1, 3, 3));
        // The same through an async connection: the same records.
        runtime().block_on(async {
            let mut con = server.multiplexed().await;
            let (a, b, c): (i64, i64, i64) = pipe.query_async(&mut con).await.unwrap();
            assert_eq!((a, b, c), (4, 6, 6));
        });
    });
    let stats = Stats::read(&mut admin);
    let piped = ("db.stored_procedure.name", "ObsPiped");
    // The first call of a script in a pipeline goes as EVAL, the next as EVALSHA.
    assert_eq!(recorded.calls(&[piped, ("db.operation.name", "EVAL")]), 2);
    assert_eq!(
        recorded.calls(&[piped, ("db.operation.name", "EVALSHA")]),
        2
    );
    assert_eq!(stats.calls("eval"), 2, "{stats:?}");
    assert_eq!(stats.calls("evalsha"), 2, "{stats:?}");
    let batches = recorded.find("evalsha.pipeline.calls", &[]);
    assert_eq!(batches.len(), 1, "{batches:?}");
    assert_eq!(
        batches[0].samples,
        [3.0, 3.0],
        "two batches of three commands"
    );
}

/// An `AutoPipeline` records each write it makes in `evalsha.pipeline.calls`: the
/// samples add up to the commands the server ran, and concurrent calls share writes.
#[test]
fn an_auto_pipeline_records_each_batch_it_writes() {
    const TASKS: usize = 20;
    let server = Server::start();
    let mut admin = server.connection();
    flush(&mut admin);
    evalsha::preload(&mut admin, &[ObsAuto::script()]).unwrap();
    reset_stats(&mut admin);
    let ((), recorded) = observe(|| {
        runtime().block_on(async {
            let con = evalsha::AutoPipeline::new(server.multiplexed().await);
            let mut tasks = tokio::task::JoinSet::new();
            for _ in 0..TASKS {
                let mut con = con.clone();
                tasks.spawn(async move { ObsAuto.run_async(&mut con, "obs:a", 1).await });
            }
            while let Some(done) = tasks.join_next().await {
                let _: i64 = done.unwrap().unwrap();
            }
        });
    });
    let stats = Stats::read(&mut admin);
    assert_eq!(stats.calls("evalsha"), TASKS as u64, "{stats:?}");
    let samples: Vec<f64> = recorded
        .find("evalsha.pipeline.calls", &[])
        .iter()
        .flat_map(|m| m.samples.iter().copied())
        .collect();
    assert_eq!(
        samples.iter().sum::<f64>(),
        TASKS as f64,
        "every command in one recorded batch: {samples:?}"
    );
    assert!(
        samples.len() < TASKS,
        "concurrent calls written together: {samples:?}"
    );
}

#[test]
fn preload_counts_each_script_with_reason_preload() {
    let server = Server::start();
    let mut admin = server.connection();
    flush(&mut admin);
    reset_stats(&mut admin);
    let ((), recorded) = observe(|| {
        evalsha::preload(
            &mut server.connection(),
            &[ObsPreload::script(), ObsFail::script()],
        )
        .unwrap();
    });
    let stats = Stats::read(&mut admin);
    for name in ["ObsPreload", "ObsFail"] {
        let with = [
            ("db.stored_procedure.name", name),
            ("evalsha.load.reason", "preload"),
        ];
        assert_eq!(recorded.loads(&with), 1, "{name}: {:?}", recorded.metrics);
    }
    assert_eq!(stats.calls("script|load"), 2, "{stats:?}");
}

#[test]
fn no_key_argument_or_body_in_any_attribute_or_field() {
    let server = Server::start();
    let mut admin = server.connection();
    flush(&mut admin);
    let mut con = server.connection();
    let key = "obs:secret-key-7f3a";
    let ((), recorded) = observe(|| {
        ObsIncr.run(&mut con, key, 424242).unwrap(); // cold: loads
        ObsIncr.run(&mut con, key, 424242).unwrap();
        let _ = ObsFail.run::<i64>(&mut con, key);
        let mut pipe = evalsha::Pipeline::new();
        pipe.script(ObsPiped.call(key, 424242));
        let _: (i64,) = pipe.query(&mut con).unwrap();
    });
    let texts = recorded.texts();
    assert!(texts.len() > 10, "{texts:?}");
    for text in &texts {
        assert!(!text.contains("secret-key"), "a key in {text}");
        assert!(!text.contains("424242"), "an argument in {text}");
        for body in [ObsIncr::SOURCE, ObsFail::SOURCE] {
            let code = body.lines().find(|l| !l.starts_with("--")).unwrap();
            assert!(!text.contains(code), "a body in {text}");
        }
        assert!(!text.contains("redis.call"), "a body in {text}");
        assert!(
            !text.contains("LIMIT exceeded"),
            "an error message in {text}"
        );
    }
}
