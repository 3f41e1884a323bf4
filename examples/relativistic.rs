//! A charged particle accelerated from rest by a constant electric field to
//! gamma ~ 1e4 (units m = c = qE = 1; exact solution p(t) = t,
//! x(t) = sqrt(1 + t^2) - 1, docs/reference-problems.md).
//!
//! Naive velocity formulation (state (x, v), v' = (1 - v^2)^(3/2), error
//! control on v) against the momentum formulation (state (x, p),
//! x' = p / sqrt(1 + p^2), p' = 1) with the relativistic monitor.
//!
//! Run with `cargo run --release --example relativistic`.
#[path = "common/plot.rs"]
mod plot;

use odestride::monitor::RelativisticMonitor;
use odestride::{ExplicitRk, Integrator, Options, Solution};
use plot::{Figure, Scale, Series};

const T_END: f64 = 1e4; // gamma(T_END) = sqrt(1 + 1e8) ~ 1e4

fn momentum_form(_t: f64, y: &[f64; 2], dy: &mut [f64; 2]) {
    dy[0] = y[1] / (1.0 + y[1] * y[1]).sqrt();
    dy[1] = 1.0;
}
fn velocity_form(_t: f64, y: &[f64; 2], dy: &mut [f64; 2]) {
    dy[0] = y[1];
    dy[1] = (1.0 - y[1] * y[1]).powf(1.5);
}
fn x_exact(t: f64) -> f64 {
    (1.0 + t * t).sqrt() - 1.0
}

struct Out {
    sol: Solution<f64, [f64; 2]>,
    failed: Option<String>,
    vetoes: usize,
    max_beta: f64,
}

fn run(momentum: bool, rtol: f64) -> Out {
    let mut mon = if momentum {
        RelativisticMonitor::momentum(vec![1], 1.0, 1.0)
    } else {
        RelativisticMonitor::velocity(vec![1], 1.0)
    }
    .expect("valid monitor parameters");
    let integ = Integrator::new(ExplicitRk::dopri5())
        .options(Options::default().rtol(rtol).atol(rtol).max_steps(5_000_000))
        .monitor(&mut mon);
    let f = if momentum { momentum_form } else { velocity_form };
    let mut integ = integ;
    let (sol, failed) = match integ.solve(f, 0.0, T_END, [0.0, 0.0]) {
        Ok(s) => (s, None),
        Err(e) => (*e.partial, Some(e.error.to_string())),
    };
    drop(integ);
    Out {
        sol,
        failed,
        vetoes: mon.vetoes_speed() + mon.vetoes_nonfinite(),
        max_beta: mon.max_beta(),
    }
}

/// (p, gamma) of a state of either formulation.
fn p_gamma(momentum: bool, y: &[f64; 2]) -> (f64, f64) {
    if momentum {
        (y[1], (1.0 + y[1] * y[1]).sqrt())
    } else {
        let g = 1.0 / ((1.0 - y[1]) * (1.0 + y[1])).sqrt();
        (g * y[1], g)
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!(
        "Charged particle in a constant field, t in [0, {T_END}], gamma(t_end) = {:.1}",
        (1.0 + T_END * T_END).sqrt()
    );
    println!(
        "{:>10} {:>6} {:>8} {:>7} {:>7} {:>13} {:>12} {:>12} {:>14}",
        "form", "rtol", "nfev", "vetoes", "nonfin", "1 - max|v|/c", "rel err x", "rel err p", "status"
    );
    for rtol in [1e-6, 1e-8, 1e-10] {
        for momentum in [false, true] {
            let o = run(momentum, rtol);
            let t = o.sol.last_time();
            let y = o.sol.last_state();
            let (p, _) = p_gamma(momentum, y);
            let ex = (y[0] - x_exact(t)).abs() / x_exact(t);
            let ep = (p - t).abs() / t;
            println!(
                "{:>10} {rtol:>6.0e} {:>8} {:>7} {:>7} {:>13.3e} {ex:>12.3e} {ep:>12.3e} {:>14}",
                if momentum { "momentum" } else { "velocity" },
                o.sol.stats.nfev,
                o.vetoes,
                o.sol.stats.nreject_nonfinite,
                1.0 - o.max_beta,
                match &o.failed {
                    None => "reached t_end".to_string(),
                    Some(_) => format!("failed t={t:.3e}"),
                }
            );
            if let Some(e) = &o.failed {
                println!("           ({e})");
            }
        }
    }
    // Plots at rtol = 1e-8: relative errors along the solution, and the steps.
    let mut errors = Vec::new();
    let mut steps = Vec::new();
    for momentum in [false, true] {
        let o = run(momentum, 1e-8);
        let form = if momentum {
            "momentum form"
        } else {
            "velocity form"
        };
        let along = |f: &dyn Fn(f64, &[f64; 2]) -> f64| -> Vec<(f64, f64)> {
            o.sol
                .t
                .iter()
                .zip(&o.sol.y)
                .skip(1)
                .map(|(t, y)| (*t, f(*t, y)))
                .collect()
        };
        if !momentum {
            // (p' = 1 makes the momentum form's p exact: nothing to plot.)
            errors.push(Series::line(
                format!("{form}: momentum p"),
                along(&|t, y| (p_gamma(false, y).0 - t).abs() / t),
            ));
        }
        errors.push(Series::line(
            format!("{form}: position x"),
            along(&|t, y| (y[0] - x_exact(t)).abs() / x_exact(t)),
        ));
        steps.push(Series::line(
            format!("{form} ({} evaluations)", o.sol.stats.nfev),
            o.sol.t.windows(2).map(|w| (w[1], w[1] - w[0])).collect(),
        ));
    }
    let f = Figure {
        title: "Particle to gamma = 1e4, DP5 rtol 1e-8: the velocity form loses the momentum",
        x_label: "time t (units m = c = qE = 1; gamma ~ t for t >> 1)",
        y_label: "relative error against the exact solution",
        x_scale: Scale::Log,
        y_scale: Scale::Log,
        equal_aspect: false,
    };
    println!(
        "wrote {}",
        plot::plot("relativistic_errors.svg", &f, &errors)?.display()
    );
    let f = Figure {
        title: "Particle to gamma = 1e4, DP5 rtol 1e-8: accepted step sizes",
        x_label: "time t (units m = c = qE = 1)",
        y_label: "accepted step size h",
        x_scale: Scale::Log,
        y_scale: Scale::Log,
        equal_aspect: false,
    };
    println!(
        "wrote {}",
        plot::plot("relativistic_steps.svg", &f, &steps)?.display()
    );
    Ok(())
}
