//! Convergence orders measured from the code: fixed steps on smooth nonlinear
//! problems with exact solutions, and the local order of the continuous
//! extensions.
mod common;
use common::*;
use odestride::{ExplicitRk, Integrator, Options, SaveMode, Stepper};
use std::f64::consts::PI;

/// A manufactured nonlinear, non-autonomous problem with exact solution
/// y(t) = 2 + sin t: y' = -y^3/2 + cos t + (2 + sin t)^3 / 2, y(0) = 2.
fn manufactured(t: f64, y: &f64, dy: &mut f64) {
    let s = 2.0 + t.sin();
    *dy = -0.5 * y * y * y + t.cos() + 0.5 * s * s * s;
}

/// Global error of the manufactured problem at t = 5 with n fixed steps.
fn manufactured_error(stepper: ExplicitRk<f64, f64>, n: usize) -> f64 {
    let t_end = 5.0;
    let sol = Integrator::new(stepper)
        .options(
            Options::default()
                .fixed_step(t_end / n as f64)
                .save(SaveMode::FinalOnly),
        )
        .solve(manufactured, 0.0, t_end, 2.0)
        .unwrap();
    assert_eq!(sol.stats.naccept, n);
    (sol.last_state() - (2.0 + t_end.sin())).abs()
}

/// Global error of Kepler (e = 0.5) after one period with n fixed steps.
fn kepler_error(stepper: ExplicitRk<f64, V4>, n: usize) -> f64 {
    let sol = Integrator::new(stepper)
        .options(
            Options::default()
                .fixed_step(2.0 * PI / n as f64)
                .save(SaveMode::FinalOnly),
        )
        .solve(kepler, 0.0, 2.0 * PI, kepler_y0(0.5))
        .unwrap();
    assert_eq!(sol.stats.naccept, n);
    max_abs_diff(sol.last_state().as_slice(), kepler_y0(0.5).as_slice())
}

fn slope_of(name: &str, ns: &[usize], span: f64, err: impl Fn(usize) -> f64) -> f64 {
    let hs: Vec<f64> = ns.iter().map(|n| span / *n as f64).collect();
    let errs: Vec<f64> = ns.iter().map(|n| err(*n)).collect();
    let p = loglog_slope(&hs, &errs);
    println!("{name}: errors {errs:?} -> order {p:.3}");
    p
}

#[test]
fn dp5_is_fifth_order_on_kepler() {
    let p = slope_of("DP5 Kepler", &[100, 200, 400, 800], 2.0 * PI, |n| {
        kepler_error(ExplicitRk::dopri5(), n)
    });
    assert!((p - 5.0).abs() < 0.2, "DP5 order {p}");
}

#[test]
fn bs3_is_third_order() {
    let p = slope_of("BS3 manufactured", &[100, 200, 400, 800, 1600], 5.0, |n| {
        manufactured_error(ExplicitRk::bs3(), n)
    });
    assert!((p - 3.0).abs() < 0.2, "BS3 order {p}");
    let p = slope_of("BS3 Kepler", &[200, 400, 800, 1600], 2.0 * PI, |n| {
        kepler_error(ExplicitRk::bs3(), n)
    });
    assert!((p - 3.0).abs() < 0.2, "BS3 order {p}");
}

#[test]
fn fixed_step_classics_have_their_orders() {
    for (tab, order) in [
        (&odestride::tableau::EULER, 1.0),
        (&odestride::tableau::MIDPOINT, 2.0),
        (&odestride::tableau::HEUN, 2.0),
        (&odestride::tableau::RK4, 4.0),
    ] {
        let p = slope_of(tab.name, &[200, 400, 800, 1600], 5.0, |n| {
            manufactured_error(ExplicitRk::new(tab).unwrap(), n)
        });
        assert!((p - order).abs() < 0.2, "{} order {p}", tab.name);
    }
}

/// A continuous extension of order q has local error O(h^(q+1)): one step of
/// size h from the exact Kepler state at t0 = 1, interpolated at mid-step.
#[test]
fn continuous_extensions_have_their_orders() {
    for (mk, q) in [
        (ExplicitRk::dopri5 as fn() -> ExplicitRk<f64, V4>, 4.0),
        (ExplicitRk::bs3, 3.0),
    ] {
        let hs = [0.1, 0.05, 0.025, 0.0125];
        let errs: Vec<f64> = hs
            .iter()
            .map(|h| {
                let t0 = 1.0;
                let sol = Integrator::new(mk())
                    .options(Options::default().fixed_step(*h).dense(true))
                    .solve(kepler, t0, t0 + h, kepler_exact(0.5, t0))
                    .unwrap();
                let mid = sol.at(t0 + 0.5 * h).unwrap();
                max_abs_diff(mid.as_slice(), kepler_exact(0.5, t0 + 0.5 * h).as_slice())
            })
            .collect();
        let order = loglog_slope(&hs, &errs) - 1.0;
        println!(
            "{} dense output: local errors {errs:?} -> order {order:.3}",
            mk().name()
        );
        assert!((order - q).abs() < 0.2, "{} dense order {order}", mk().name());
    }
}
