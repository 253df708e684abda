//! Interleaved timing: every contender runs a batch in turn, round after round, so that
//! drift on a shared machine hits them all alike. Reports the median batch and the
//! process CPU time per call.

use std::time::{Duration, Instant};

/// One way of doing the same work; `run(n)` performs `n` calls.
pub struct Contender<'a> {
    pub name: &'static str,
    pub run: Box<dyn FnMut(u64) + 'a>,
}

impl<'a> Contender<'a> {
    pub fn new(name: &'static str, run: impl FnMut(u64) + 'a) -> Self {
        Self {
            name,
            run: Box::new(run),
        }
    }
}

/// What one contender measured.
pub struct Measure {
    pub name: &'static str,
    /// Median over rounds of the wall time per call, in seconds.
    pub wall: f64,
    /// Process CPU time (all threads, user and kernel) per call over all rounds, in
    /// seconds.
    pub cpu: f64,
}

impl Measure {
    pub fn per_second(&self) -> f64 {
        1.0 / self.wall
    }
}

/// Runs `rounds` rounds of `calls` calls of each contender, interleaved.
pub fn interleave(rounds: usize, calls: u64, contenders: &mut [Contender<'_>]) -> Vec<Measure> {
    for c in contenders.iter_mut() {
        (c.run)(calls.div_ceil(10).max(1)); // warm-up
    }
    let mut walls = vec![Vec::new(); contenders.len()];
    let mut cpus = vec![Duration::ZERO; contenders.len()];
    for _ in 0..rounds {
        for (i, c) in contenders.iter_mut().enumerate() {
            let cpu = process_cpu();
            let start = Instant::now();
            (c.run)(calls);
            walls[i].push(start.elapsed());
            cpus[i] += process_cpu().saturating_sub(cpu);
        }
    }
    contenders
        .iter()
        .zip(walls)
        .zip(cpus)
        .map(|((c, mut w), cpu)| {
            w.sort();
            Measure {
                name: c.name,
                wall: w[w.len() / 2].as_secs_f64() / calls as f64,
                cpu: cpu.as_secs_f64() / (rounds as u64 * calls) as f64,
            }
        })
        .collect()
}

/// CPU time of this process so far: the sum over its live threads of the nanosecond
/// run time in `/proc/self/task/*/schedstat` (Linux; zero elsewhere). Threads that exit
/// take their share with them, so keep measured threads alive across a measurement.
pub fn process_cpu() -> Duration {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return Duration::ZERO;
    };
    let mut total = 0u64;
    for task in tasks.flatten() {
        if let Ok(stat) = std::fs::read_to_string(task.path().join("schedstat")) {
            total += stat
                .split_whitespace()
                .next()
                .and_then(|n| n.parse::<u64>().ok())
                .unwrap_or(0);
        }
    }
    Duration::from_nanos(total)
}
