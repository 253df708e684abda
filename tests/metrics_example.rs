//! The Prometheus example end to end (examples/metrics.rs, included here for its
//! functions): its workload against a real server, with a `SCRIPT FLUSH` in the middle,
//! then a scrape over HTTP; the series and their counts must match what the server counted
//! (`INFO commandstats`), and every metric and label that the Grafana dashboard
//! (`dashboards/evalsha.json`) queries must be among the series the exporter serves.

use std::collections::{BTreeMap, BTreeSet};

use evalsha_testkit::{Server, Stats, reset_stats};

#[path = "../examples/metrics.rs"]
mod example;

/// One sample line of Prometheus's text format: name, labels, value.
#[derive(Debug)]
struct Sample {
    name: String,
    labels: BTreeMap<String, String>,
    value: f64,
}

fn parse(text: &str) -> Vec<Sample> {
    text.lines()
        .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
        .map(|line| {
            let (series, value) = line.rsplit_once(' ').expect("name value");
            let (name, labels) = match series.split_once('{') {
                Some((name, rest)) => (name, rest.trim_end_matches('}')),
                None => (series, ""),
            };
            let labels = labels
                .split(',')
                .filter(|pair| !pair.is_empty())
                .map(|pair| {
                    let (k, v) = pair.split_once('=').expect("label=value");
                    (k.to_owned(), v.trim_matches('"').to_owned())
                })
                .collect();
            Sample {
                name: name.to_owned(),
                labels,
                value: value.parse().expect("a number"),
            }
        })
        .collect()
}

/// The sum of `name`'s samples whose labels include `with`.
fn total(samples: &[Sample], name: &str, with: &[(&str, &str)]) -> u64 {
    samples
        .iter()
        .filter(|s| s.name == name)
        .filter(|s| {
            with.iter()
                .all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(v))
        })
        .map(|s| s.value as u64)
        .sum()
}

#[test]
fn the_scrape_matches_the_servers_counts_and_the_dashboard_queries_served_series() {
    let server = Server::start();
    let mut admin = server.connection();
    redis::cmd("SCRIPT").arg("FLUSH").exec(&mut admin).unwrap();
    reset_stats(&mut admin);
    let handle = example::install().unwrap();
    let addr = example::serve(handle, "127.0.0.1:0").unwrap();
    let done = example::workload(&mut server.connection(), 20).unwrap();
    let stats = Stats::read(&mut admin);
    let text = example::scrape(addr).unwrap();
    let samples = parse(&text);

    let count = "db_client_operation_duration_seconds_count";
    let script = ("db_stored_procedure_name", "RateLimit");
    let evalsha = total(&samples, count, &[script, ("db_operation_name", "EVALSHA")]);
    let eval = total(&samples, count, &[script, ("db_operation_name", "EVAL")]);
    let loads = "evalsha_script_loads_total";
    let noscript = total(
        &samples,
        loads,
        &[script, ("evalsha_load_reason", "noscript")],
    );
    // One call per call made; the cold start and the flush each cost one load.
    assert_eq!(evalsha + eval, done.calls + done.piped, "{text}");
    assert_eq!(noscript, 2, "{text}");
    assert_eq!(total(&samples, loads, &[]), 2, "{text}");
    // What the server counted: each call once, plus a retry after each load; the
    // pipeline's first call as EVAL.
    assert_eq!(
        stats.calls("evalsha"),
        evalsha + noscript,
        "{stats:?}\n{text}"
    );
    assert_eq!(stats.calls("eval"), eval, "{stats:?}");
    assert_eq!(eval, 1);
    // Redis 6.2 counts SCRIPT as a whole: the workload's SCRIPT FLUSH is one of them.
    let script_loads = if server.major_version() < 7 {
        stats.calls("script") - 1
    } else {
        stats.calls("script|load")
    };
    assert_eq!(script_loads, noscript, "{stats:?}");
    // The failed call: its own series.
    let failed = [script, ("error_type", "script"), ("evalsha_ran", "yes")];
    assert_eq!(total(&samples, count, &failed), 1, "{text}");
    // Histograms with buckets (for histogram_quantile), one pipeline batch of 10.
    assert!(
        samples
            .iter()
            .any(|s| s.name == "db_client_operation_duration_seconds_bucket"
                && s.labels.get("le").is_some_and(|le| le == "+Inf")),
        "{text}"
    );
    assert_eq!(total(&samples, "evalsha_pipeline_calls_count", &[]), 1);
    assert_eq!(total(&samples, "evalsha_pipeline_calls_sum", &[]), 10);

    // The dashboard queries only what is served.
    let served: BTreeSet<&str> = samples.iter().map(|s| s.name.as_str()).collect();
    let labels: BTreeSet<&str> = samples
        .iter()
        .flat_map(|s| s.labels.keys().map(String::as_str))
        .collect();
    let dashboard = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("dashboards/evalsha.json"),
    )
    .unwrap();
    let exprs = expressions(&dashboard);
    assert!(exprs.len() >= 5, "{exprs:?}");
    for expr in &exprs {
        let (metrics, used) = names_in(expr);
        assert!(!metrics.is_empty(), "no metric in {expr}");
        for metric in metrics {
            assert!(
                served.contains(metric.as_str()),
                "{metric} (in {expr}) is not served: {served:?}"
            );
        }
        for label in used {
            assert!(
                labels.contains(label.as_str()),
                "label {label} (in {expr}) is not served: {labels:?}"
            );
        }
    }
}

/// The `"expr"` strings of a Grafana dashboard, unescaped.
fn expressions(json: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = json;
    while let Some(at) = rest.find("\"expr\"") {
        rest = &rest[at + "\"expr\"".len()..];
        let start = rest.find('"').expect("a string") + 1;
        let mut expr = String::new();
        let mut chars = rest[start..].chars();
        while let Some(c) = chars.next() {
            match c {
                '\\' => expr.push(chars.next().unwrap()),
                '"' => break,
                c => expr.push(c),
            }
        }
        rest = &rest[start + expr.len()..];
        out.push(expr);
    }
    out
}

/// The metric names (a name followed by `{` or `[`) and the label names (before a
/// matcher inside `{}`, or inside `by (..)`) a PromQL expression uses.
fn names_in(expr: &str) -> (Vec<String>, Vec<String>) {
    let bytes = expr.as_bytes();
    let word = |c: u8| c.is_ascii_alphanumeric() || c == b'_' || c == b':';
    let (mut metrics, mut labels) = (Vec::new(), Vec::new());
    let (mut i, mut depth, mut in_by) = (0, 0, false);
    while i < bytes.len() {
        let c = bytes[i];
        if word(c) && !c.is_ascii_digit() {
            let start = i;
            while i < bytes.len() && word(bytes[i]) {
                i += 1;
            }
            let token = &expr[start..i];
            let next = expr[i..].trim_start().chars().next();
            if in_by || (depth > 0 && matches!(next, Some('=' | '!'))) {
                labels.push(token.to_owned());
            } else if depth == 0 && matches!(next, Some('{' | '[')) {
                metrics.push(token.to_owned());
            } else if (token == "by" || token == "without") && next == Some('(') {
                in_by = true;
            }
            continue;
        }
        match c {
            b'{' => depth += 1,
            b'}' => depth -= 1,
            b')' => in_by = false,
            b'"' => {
                // Skip a string (a label value or a Grafana variable).
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    i += 1;
                }
            }
            _ => {}
        }
        i += 1;
    }
    (metrics, labels)
}
