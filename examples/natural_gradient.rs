//! Natural-gradient flow: fitting a Gaussian's mean and log-std by the
//! preconditioned gradient flow with the Fisher metric.
//!
//! Per-sample negative log-likelihood of N(mu, sigma^2), sigma = e^s, for data
//! with sample mean m and variance v (constants dropped):
//! f(mu, s) = s + (v + (m - mu)^2) / (2 sigma^2). Its Fisher information in
//! (mu, s) is diag(1 / sigma^2, 2). From a narrow start (sigma = 0.05) the
//! plain flow is stiff (curvature 1/sigma^2 = 400 in mu); the natural flow is
//! not. Both are integrated by DOPRI5 (tol 1e-8) to ||grad f|| <= 1e-8.
//!
//! Run: `cargo run --release --example natural_gradient`; the accepted step
//! sizes of both flows are plotted to `target/plots/natural_gradient_steps.svg`.

#[path = "common/plot.rs"]
mod plot;

use nalgebra::SVector;
use odestride::gradient_flow::{objective, DiagonalMetric};
use odestride::minimize::{minimize, Criteria, Flow};
use odestride::ExplicitRk;

type V = SVector<f64, 2>;

fn main() {
    let (m, v) = (2.0, 0.25); // optimum mu = 2, s = ln 0.5
    let nll = || {
        objective(
            move |x: &V| x[1] + (v + (m - x[0]).powi(2)) * (-2.0 * x[1]).exp() / 2.0,
            move |x: &V, g: &mut V| {
                let inv = (-2.0 * x[1]).exp();
                g[0] = -(m - x[0]) * inv;
                g[1] = 1.0 - (v + (m - x[0]).powi(2)) * inv;
            },
        )
    };
    let x0 = V::new(-3.0, 0.05f64.ln());
    let crit = Criteria::default().gtol(1e-8).max_iter(1_000_000);
    let mut plain = Flow::new(ExplicitRk::dopri5()).tol(1e-8);
    let a = minimize(&mut plain, nll(), x0, &crit).expect("valid setup");
    let fisher = DiagonalMetric::new(|x: &V, d: &mut V| {
        d[0] = (-2.0 * x[1]).exp();
        d[1] = 2.0;
    });
    let mut natural = Flow::new(ExplicitRk::dopri5()).tol(1e-8).metric(fisher);
    let b = minimize(&mut natural, nll(), x0, &crit).expect("valid setup");
    for (name, r, steps) in [
        ("plain flow", &a, plain.steps()),
        ("natural flow", &b, natural.steps()),
    ] {
        println!(
            "{name:<13} {:?}: mu = {:.8}, sigma = {:.8}, accepted/rejected steps {:?}, gradient evals {}",
            r.status,
            r.x[0],
            r.x[1].exp(),
            steps,
            r.counts.ng
        );
    }
    println!("exact: mu = {m}, sigma = {}", v.sqrt());
    let steps = |r: &odestride::minimize::Minimum<f64, V>| -> Vec<(f64, f64)> {
        r.history
            .iter()
            .filter(|h| h.step > 0.0)
            .map(|h| (h.iter as f64, h.step))
            .collect()
    };
    let path = plot::plot(
        "natural_gradient_steps.svg",
        &plot::Figure {
            title: "Gaussian fit by gradient flow: the Fisher metric lifts the stiffness",
            x_label: "accepted step number",
            y_label: "step size h (flow time)",
            x_scale: plot::Scale::Linear,
            y_scale: plot::Scale::Log,
            equal_aspect: false,
        },
        &[
            plot::Series::markers("plain flow (DOPRI5, tol 1e-8)", steps(&a)),
            plot::Series::markers("natural flow, Fisher metric", steps(&b)),
        ],
    )
    .expect("plot");
    println!("wrote {}", path.display());
}
