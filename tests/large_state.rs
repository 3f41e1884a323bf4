//! The method-of-lines heat equation of `benches/large_state.rs` with a
//! `DVector` state, n = 1000: checked against its exact semi-discrete
//! solution, and the explicit step bound the bench relies on.
//!
//! `u_t = u_xx` on `[0, 1]`, zero Dirichlet boundaries, central differences
//! on `n` interior points `x_i = i dx`, `dx = 1/(n+1)`. `sin(pi x_i)` is an
//! exact eigenvector of the discrete Laplacian, eigenvalue
//! `mu_1 = -4 sin^2(pi dx/2)/dx^2`, so the semi-discrete solution is
//! `exp(mu_1 t) sin(pi x_i)` with no spatial error to allow for. The largest
//! eigenvalue is `-4 sin^2(n pi dx/2)/dx^2`; DP5 is stable for
//! `|h lambda| <= 3.3066` on the negative real axis.

use nalgebra::DVector;
use odestride::{ExplicitRk, Integrator, Options, SaveMode, Solution, SolveFailure};
use std::f64::consts::PI;

const N: usize = 1000;

fn dx() -> f64 {
    1.0 / (N as f64 + 1.0)
}

fn eigenvalue(k: usize) -> f64 {
    let s = (k as f64 * PI * dx() / 2.0).sin();
    -4.0 * s * s / (dx() * dx())
}

/// The largest stable DP5 step for this discretisation.
fn h_stab() -> f64 {
    odestride::tableau::DORMAND_PRINCE_54.stability_boundary / eigenvalue(N).abs()
}

fn heat(_t: f64, u: &DVector<f64>, du: &mut DVector<f64>) {
    let c = 1.0 / (dx() * dx());
    let n = u.len();
    du[0] = c * (u[1] - 2.0 * u[0]);
    for i in 1..n - 1 {
        du[i] = c * (u[i - 1] - 2.0 * u[i] + u[i + 1]);
    }
    du[n - 1] = c * (u[n - 2] - 2.0 * u[n - 1]);
}

fn y0() -> DVector<f64> {
    DVector::from_fn(N, |i, _| (PI * (i + 1) as f64 * dx()).sin())
}

/// Max-norm distance of the final state from `exp(mu_1 t) sin(pi x)`.
fn error(sol: &Solution<f64, DVector<f64>>) -> f64 {
    let t = sol.t[sol.t.len() - 1];
    let a = (eigenvalue(1) * t).exp();
    let exact = y0() * a;
    (sol.last_state() - exact).amax()
}

/// The amplitude of the sine mode in the final state, and its exact value
/// `exp(mu_1 t)` (discrete orthogonality: `sum_i sin^2(pi x_i) = (n+1)/2`).
fn mode_amplitude(sol: &Solution<f64, DVector<f64>>) -> (f64, f64) {
    let t = sol.t[sol.t.len() - 1];
    let a = sol.last_state().dot(&y0()) * 2.0 * dx();
    (a, (eigenvalue(1) * t).exp())
}

fn solve(
    options: Options<f64>,
    t_end: f64,
) -> Result<Solution<f64, DVector<f64>>, SolveFailure<f64, DVector<f64>>> {
    Integrator::new(ExplicitRk::dopri5())
        .options(options.save(SaveMode::FinalOnly))
        .solve(heat, 0.0, t_end, y0())
}

#[test]
fn the_sine_mode_is_an_eigenvector_of_the_discrete_laplacian() {
    let y = y0();
    let mut dy = y.clone();
    heat(0.0, &y, &mut dy);
    let residual = (&dy - &y * eigenvalue(1)).amax();
    // Rounding of the stencil: a few ulp of |u|/dx^2 ~ 1e6.
    assert!(residual < 1e-8, "residual {residual:e}");
}

#[test]
fn adaptive_dp5_matches_the_semi_discrete_solution() {
    // 300 stability-limited steps, as in the bench; the sine mode decays by
    // 1 - exp(mu_1 t_end) ~ 2.4e-3 over the span, so a wrong rate or a
    // wrong stage shows far above the tolerance.
    let tol = 1e-6;
    let t_end = 300.0 * h_stab();
    let sol = solve(Options::default().tol(tol), t_end).expect("adaptive solve");
    let decay = 1.0 - (eigenvalue(1) * t_end).exp();
    assert!(decay > 1e-3, "decay {decay:e}");
    // The error is the rounding-level content of the top modes, which the
    // controller lets grow at the stability boundary until the error
    // estimate reaches the tolerance; it stays below it (4.1e-7 measured).
    let err = error(&sol);
    assert!(err < tol, "max error {err:e} vs tol {tol:e}");
    // The sine mode itself, free of that noise, is integrated far more
    // accurately than the tolerance (steps ~1e-6 against a rate of ~10; 1e-16 measured).
    let (a, exact) = mode_amplitude(&sol);
    eprintln!(
        "max error {err:e}, sine-mode amplitude error {:e}",
        (a - exact).abs()
    );
    assert!(
        (a - exact).abs() < 1e-12,
        "amplitude {a} vs exp(mu_1 t) = {exact}"
    );
    // Stability-limited: the mean step is of the order of h_stab. (It may
    // exceed it: the top modes start at rounding level, so the controller
    // can ride above the boundary until they have grown to the tolerance.)
    let ratio = t_end / sol.stats.naccept as f64 / h_stab();
    assert!(ratio > 0.3 && ratio < 2.0, "mean h / h_stab = {ratio}");
}

#[test]
fn fixed_step_inside_the_stability_interval_is_accurate() {
    let h = 0.75 * h_stab();
    let sol = solve(Options::default().fixed_step(h), 200.0 * h).expect("fixed-step solve");
    assert_eq!(sol.stats.nsteps, 200);
    // Local error of the sine mode ~ (h mu_1)^6 / 720: far below 1e-12.
    let err = error(&sol);
    assert!(err < 1e-12, "max error {err:e}");
}

#[test]
fn fixed_step_outside_the_stability_interval_blows_up() {
    // |R(h lambda_max)| = 1.80 at 1.1 h_stab: the rounding-level content of
    // the top modes grows by ~1e51 in 200 steps.
    let h = 1.1 * h_stab();
    match solve(Options::default().fixed_step(h), 200.0 * h) {
        Err(_) => {}
        Ok(sol) => {
            let err = error(&sol);
            assert!(err > 1.0, "expected an unstable run, max error {err:e}");
        }
    }
}
