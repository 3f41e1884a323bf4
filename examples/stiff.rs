//! Stiff problems solved: Van der Pol (mu = 1000) over [0, 2000] and ROBER
//! over [0, 1e11], with DP5 (explicit) and each Rosenbrock method, side by
//! side: evaluations, Jacobians, LU factorisations, steps, time and the
//! error against the published reference (Bari test set).
//!
//! Run with `cargo run --release --example stiff`; plots go to
//! `target/plots/` (`stiff_rober.svg`: ROBER on a log-time axis;
//! `stiff_vdpol.svg` and `stiff_vdpol_steps.svg`: the relaxation oscillation and
//! Rodas5P's step sizes).
#[path = "common/plot.rs"]
mod plot;

use nalgebra::SVector;
use odestride::problems::{Rober, VanDerPol};
use odestride::{ExplicitRk, Integrator, Options, Rosenbrock, SaveMode, Solution, SolveFailure};
use plot::{Figure, Scale, Series};
use std::time::Instant;

type Outcome<const N: usize> = Result<Solution<f64, SVector<f64, N>>, SolveFailure<f64, SVector<f64, N>>>;

/// `error`: the problem's tolerance-independent error, max_i |y_i - ref_i| / (|ref_i| + s_i)
/// with s_i the size below which component i is noise (`odestride::problems`).
fn row<const N: usize>(name: &str, r: &Outcome<N>, secs: f64, error: impl Fn(&SVector<f64, N>) -> f64) {
    match r {
        Ok(sol) => {
            let s = &sol.stats;
            println!(
                "  {name:13} {:>9} {:>6} {:>6} {:>8} {:>6} {:>9.2e} {:>10.3}",
                s.nfev,
                s.njev,
                s.nlu,
                s.naccept,
                s.nreject(),
                error(sol.last_state()),
                secs * 1e3
            );
        }
        Err(f) => println!(
            "  {name:13} failed at t = {:.3e} after {} evaluations: {}",
            f.partial.t.last().copied().unwrap_or(0.0),
            f.partial.stats.nfev,
            f.error
        ),
    }
}

fn header(title: &str) {
    println!("\n{title}");
    println!(
        "  {:13} {:>9} {:>6} {:>6} {:>8} {:>6} {:>9} {:>10}",
        "method", "nfev", "njev", "LUs", "steps", "rej", "error", "time [ms]"
    );
}

fn timed<R>(f: impl FnOnce() -> R) -> (R, f64) {
    let t = Instant::now();
    let r = f();
    (r, t.elapsed().as_secs_f64())
}

fn rosenbrocks<const N: usize>() -> [(&'static str, Rosenbrock<f64, SVector<f64, N>>); 3] {
    [
        ("Rosenbrock23", Rosenbrock::rosenbrock23()),
        ("Rodas4", Rosenbrock::rodas4()),
        ("Rodas5P", Rosenbrock::rodas5p()),
    ]
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let rtol = 1e-6;

    // ---------------------------------------------------------------- Van der Pol
    let p = VanDerPol;
    let opts = Options::default()
        .rtol(rtol)
        .atol_per_component(p.atol(rtol).to_vec());
    header(&format!(
        "Van der Pol, mu = 1000, t in [0, 2000], rtol = atol = {rtol:e}"
    ));
    let (r, secs) = timed(|| {
        Integrator::new(ExplicitRk::dopri5())
            .options(opts.clone().save(SaveMode::FinalOnly).max_steps(10_000_000))
            .solve(VanDerPol::rhs, 0.0, VanDerPol::T_END, p.y0())
    });
    row("DP5", &r, secs, |y| VanDerPol.error(y));
    let mut vdp_steps = Vec::new();
    let mut vdp_curve = Vec::new();
    for (name, st) in rosenbrocks::<2>() {
        let (r, secs) = timed(|| {
            Integrator::new(st)
                .options(opts.clone())
                .solve(p.system(), 0.0, VanDerPol::T_END, p.y0())
        });
        row(name, &r, secs, |y| VanDerPol.error(y));
        if let (Ok(sol), "Rodas5P") = (&r, name) {
            vdp_curve = sol.t.iter().zip(&sol.y).map(|(t, y)| (*t, y[0])).collect();
            vdp_steps = sol.t.windows(2).map(|w| (w[1], w[1] - w[0])).collect();
        }
    }

    // ---------------------------------------------------------------- ROBER
    let p = Rober;
    let opts = Options::default()
        .rtol(rtol)
        .atol_per_component(p.atol(rtol).to_vec());
    header(&format!(
        "ROBER, t in [0, 1e11], rtol = {rtol:e}, atol = ({rtol:e}, {:e}, {rtol:e})",
        1e-6 * rtol
    ));
    // DP5 cannot get far: cap it at 2 million steps.
    let (r, secs) = timed(|| {
        Integrator::new(ExplicitRk::dopri5())
            .options(opts.clone().save(SaveMode::FinalOnly).max_steps(2_000_000))
            .solve(Rober::rhs, 0.0, Rober::T_END, p.y0())
    });
    row("DP5", &r, secs, |y| Rober.error(y));
    let mut rober_series = Vec::new();
    for (name, st) in rosenbrocks::<3>() {
        let (r, secs) = timed(|| {
            Integrator::new(st)
                .options(opts.clone())
                .solve(p.system(), 0.0, Rober::T_END, p.y0())
        });
        row(name, &r, secs, |y| Rober.error(y));
        if let (Ok(sol), "Rodas5P") = (&r, name) {
            let pts = |i: usize, scale: f64| -> Vec<(f64, f64)> {
                sol.t
                    .iter()
                    .zip(&sol.y)
                    .filter(|(t, _)| **t >= 1e-6)
                    .map(|(t, y)| (*t, y[i] * scale))
                    .collect()
            };
            rober_series = vec![
                Series::line("y1", pts(0, 1.0)),
                Series::line("y2 x 1e4", pts(1, 1e4)),
                Series::line("y3", pts(2, 1.0)),
            ];
        }
    }

    // ---------------------------------------------------------------- plots
    let path = plot::plot(
        "stiff_rober.svg",
        &Figure {
            title: "ROBER with Rodas5P (rtol 1e-6): fast transient, then decades of slow decay",
            x_label: "t (log scale)",
            y_label: "concentration (y2 scaled by 1e4)",
            x_scale: Scale::Log,
            y_scale: Scale::Linear,
            equal_aspect: false,
        },
        &rober_series,
    )?;
    println!("\nwrote {}", path.display());
    let path = plot::plot(
        "stiff_vdpol.svg",
        &Figure {
            title: "Van der Pol mu = 1000 with Rodas5P: slow drift, then a jump every ~807",
            x_label: "t",
            y_label: "y1",
            x_scale: Scale::Linear,
            y_scale: Scale::Linear,
            equal_aspect: false,
        },
        &[Series::line("y1 (Rodas5P, rtol 1e-6)", vdp_curve)],
    )?;
    println!("wrote {}", path.display());
    let path = plot::plot(
        "stiff_vdpol_steps.svg",
        &Figure {
            title: "Rodas5P's step size: ~100 on the slow branches, 1e-4 in the jumps",
            x_label: "t",
            y_label: "accepted step size h",
            x_scale: Scale::Linear,
            y_scale: Scale::Log,
            equal_aspect: false,
        },
        &[Series::markers("h (Rodas5P, rtol 1e-6)", vdp_steps)],
    )?;
    println!("wrote {}", path.display());
    Ok(())
}
