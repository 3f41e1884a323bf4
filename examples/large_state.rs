//! Time per step of odestride's DP5 on a large `DVector` state against a
//! hand-written DP5 loop: the runs of `benches/large_state.rs` (the
//! method-of-lines heat equation, n = 1e3, 1e4, 1e5; see
//! `benches/common/heat.rs` for the problem and what each run includes),
//! timed interleaved.
//!
//! Each round times every run once (a batch of solves of at least 50 ms), so
//! a busy machine slows all of them alike; the table reports the fastest
//! round per run, in ns per attempted step and per step and unknown, and the
//! ratio library / hand-written. The median round is printed after it, as a
//! measure of the noise.
//!
//! Writes `target/plots/large_state.svg` (ns per step against n, log-log).
//!
//! Run: `cargo run --release --example large_state` (about 15 s;
//! `-- --rounds 15` for more rounds, default 7).

#[path = "../benches/common/heat.rs"]
mod heat;
#[path = "common/plot.rs"]
mod plot;

use heat::{Case, Variant, SIZES};
use std::hint::black_box;
use std::time::Instant;

/// ns per attempted step of one batch of `reps` solves.
fn batch(case: &mut Case, v: Variant, reps: usize) -> f64 {
    let start = Instant::now();
    for _ in 0..reps {
        black_box(case.solve(v, case.y0.clone()));
    }
    start.elapsed().as_secs_f64() * 1e9 / (reps * case.steps(v)) as f64
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let rounds = match args.iter().position(|a| a == "--rounds") {
        Some(i) => args.get(i + 1).and_then(|s| s.parse().ok()).expect("--rounds N"),
        None => 7,
    };
    let mut rows = Vec::new();
    let mut medians = Vec::new();
    let mut curves: [Vec<(f64, f64)>; 3] = Default::default();
    for n in SIZES {
        let (mut case, report) = Case::new(n);
        println!("{report}");
        // Batch size: enough solves for >= 50 ms.
        let reps: Vec<usize> = Variant::ALL
            .iter()
            .map(|&v| {
                let t = batch(&mut case, v, 1) * case.steps(v) as f64 * 1e-9;
                ((0.05 / t).ceil() as usize).max(1)
            })
            .collect();
        let mut times = vec![Vec::new(); 3];
        for _ in 0..rounds {
            for (k, &v) in Variant::ALL.iter().enumerate() {
                times[k].push(batch(&mut case, v, reps[k]));
            }
        }
        for t in times.iter_mut() {
            t.sort_by(f64::total_cmp);
        }
        let best: Vec<f64> = times.iter().map(|t| t[0]).collect();
        let median: Vec<f64> = times.iter().map(|t| t[t.len() / 2]).collect();
        let nf = n as f64;
        for (c, b) in curves.iter_mut().zip(&best) {
            c.push((nf, *b));
        }
        rows.push(format!(
            "| {n} | {:.0} | {:.0} | {:.0} | {:.2} | {:.2} | {:.2} / {:.2} / {:.2} |",
            best[0],
            best[1],
            best[2],
            best[0] / best[2],
            best[1] / best[2],
            best[0] / nf,
            best[1] / nf,
            best[2] / nf
        ));
        medians.push(format!(
            "n={n}: median ns/step adaptive {:.0}, fixed {:.0}, hand {:.0}; ratios {:.2}, {:.2}",
            median[0],
            median[1],
            median[2],
            median[0] / median[2],
            median[1] / median[2]
        ));
    }
    println!();
    println!("Fastest of {rounds} rounds:");
    println!();
    println!(
        "| n | odestride adaptive, ns/step | odestride fixed, ns/step | hand-written, ns/step | \
         adaptive / hand | fixed / hand | ns/step/unknown (adaptive / fixed / hand) |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|");
    for r in &rows {
        println!("{r}");
    }
    println!();
    for m in &medians {
        println!("{m}");
    }
    let names = [
        "odestride DP5, adaptive",
        "odestride DP5, fixed step",
        "hand-written DP5 loop",
    ];
    let series: Vec<plot::Series> = names
        .iter()
        .zip(curves)
        .map(|(name, pts)| plot::Series::line(*name, pts))
        .collect();
    let fig = plot::Figure {
        title: "Heat equation on DVector, DP5: time per step grows linearly in n",
        x_label: "unknowns n",
        y_label: "time per attempted step [ns]",
        x_scale: plot::Scale::Log,
        y_scale: plot::Scale::Log,
        equal_aspect: false,
    };
    match plot::plot("large_state.svg", &fig, &series) {
        Ok(path) => println!("wrote {}", path.display()),
        Err(e) => eprintln!("plot failed: {e}"),
    }
}
