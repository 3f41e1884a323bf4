//! Progress on a long solve: `Integrator::on_step` feeds a progress bar
//! (the `indicatif` crate), and `Options::wall_time` ends a solve cleanly
//! with its partial solution when the time is up.
//!
//! The plots show what the bar is driven by: the accepted step sizes
//! against t, and the fraction of the span done against wall-clock time.
//!
//! Run with `cargo run --release --example progress`; the plots go to
//! `target/plots/progress*.svg`.
#[path = "common/plot.rs"]
mod plot;

use indicatif::{ProgressBar, ProgressStyle};
use nalgebra::SVector;
use odestride::{Integrator, Method, Options, Status, StepInfo};
use plot::{Figure, Scale, Series};
use std::time::{Duration, Instant};

type V3 = SVector<f64, 3>;

fn lorenz(_t: f64, y: &V3, dy: &mut V3) {
    dy[0] = 10.0 * (y[1] - y[0]);
    dy[1] = y[0] * (28.0 - y[2]) - y[1];
    dy[2] = y[0] * y[1] - 8.0 / 3.0 * y[2];
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let t_end = 4000.0;
    let bar = ProgressBar::new(1000);
    bar.set_style(ProgressStyle::with_template(
        "{bar:40} {percent:>3}%  t = {msg}  ({elapsed} elapsed, ~{eta} left)",
    )?);
    let clock = Instant::now();
    // Every 64th step's (t, |h|) and (wall time, fraction done), for the plots.
    let mut steps = Vec::new();
    let mut done = Vec::new();
    let sol = Integrator::new(Method::Vern9.stepper())
        .options(
            Options::default()
                .tol(1e-12)
                .max_steps(1_000_000)
                .save(odestride::SaveMode::FinalOnly),
        )
        .on_step(|s: &StepInfo<f64>| {
            // One call per accepted step; the bar redraws at most ~20 times a second.
            bar.set_position((s.fraction() * 1000.0) as u64);
            if s.naccept.is_multiple_of(1024) {
                bar.set_message(format!("{:.0}", s.t));
            }
            if s.naccept.is_multiple_of(64) {
                steps.push((s.t, s.h.abs()));
                done.push((clock.elapsed().as_secs_f64() * 1e3, s.fraction()));
            }
        })
        .solve(lorenz, 0.0, t_end, V3::new(1.0, 0.0, 0.0))?;
    bar.finish_with_message(format!("{t_end}"));
    println!(
        "Lorenz to t = {t_end}: {} steps, {} evaluations, status {:?}",
        sol.stats.naccept, sol.stats.nfev, sol.status
    );

    let path = plot::plot(
        "progress_steps.svg",
        &Figure {
            title: "Lorenz, Vern9 at tol 1e-12: the accepted step sizes the observer sees",
            x_label: "t",
            y_label: "step size |h|",
            x_scale: Scale::Linear,
            y_scale: Scale::Log,
            equal_aspect: false,
        },
        &[Series::markers("|h| (every 64th step)", steps)],
    )?;
    println!("plot: {}", path.display());
    let path = plot::plot(
        "progress.svg",
        &Figure {
            title: "What the progress bar shows: fraction of the span done against wall-clock time",
            x_label: "wall-clock time (ms)",
            y_label: "fraction of [0, t_end] done",
            x_scale: Scale::Linear,
            y_scale: Scale::Linear,
            equal_aspect: false,
        },
        &[Series::line("fraction() in on_step", done)],
    )?;
    println!("plot: {}", path.display());

    // A wall-clock budget: the solve stops cleanly where the time ran out.
    let sol = Integrator::new(Method::Vern9.stepper())
        .options(
            Options::default()
                .tol(1e-12)
                .save(odestride::SaveMode::FinalOnly)
                .wall_time(Duration::from_millis(20)),
        )
        .solve(lorenz, 0.0, 1e6, V3::new(1.0, 0.0, 0.0))?;
    match sol.status {
        Status::OutOfBudget { budget } => println!(
            "with a 20 ms budget ({budget:?}): stopped at t = {:.1} after {} steps, state {:.3?}",
            sol.last_time(),
            sol.stats.naccept,
            sol.last_state().as_slice()
        ),
        other => println!("unexpected status {other:?}"),
    }
    Ok(())
}
