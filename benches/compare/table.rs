//! Printing results as Markdown tables with ratios against a baseline row.

use crate::measure::Measure;

/// Prints a section of timed results, with each row's speed relative to `baseline`
/// (> 1 means faster than the baseline) and CPU per call relative to it (< 1 is cheaper).
pub fn timed(title: &str, unit: &str, rows: &[Measure], baseline: &str) {
    let base = rows
        .iter()
        .find(|r| r.name == baseline)
        .expect("baseline row");
    println!("\n### {title}\n");
    println!(
        "| contender | {unit}s/s | ns per {unit} | client CPU ns per {unit} | speed vs {baseline} | CPU vs {baseline} |"
    );
    println!("|---|---:|---:|---:|---:|---:|");
    for r in rows {
        let cpu_ratio = r.cpu / base.cpu;
        println!(
            "| {} | {:.0} | {:.0} | {:.0} | {:.2}× | {:.2}× |",
            r.name,
            r.per_second(),
            r.wall * 1e9,
            r.cpu * 1e9,
            r.per_second() / base.per_second(),
            cpu_ratio,
        );
    }
}
