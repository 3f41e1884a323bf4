//! Finite-time blow-up detection against the closed-form singular times of
//! docs/reference-problems.md, and no false alarm on regular problems.
mod common;
use common::*;
use odestride::detect::GrowthLaw;
use odestride::{BlowUpConfig, ExplicitRk, Integrator, Options, SaveMode, Solution, SolveError, Status};
use std::f64::consts::{FRAC_PI_2, PI};

/// (t_singular, uncertainty, exponent, t_last, h_last) of a BlowUp status.
fn blowup<S: odestride::State<f64>>(name: &str, sol: &Solution<f64, S>) -> (f64, f64, f64, f64, f64) {
    match sol.status {
        Status::BlowUp {
            t_singular,
            uncertainty,
            exponent,
            t_last,
            h_last,
            ..
        } => (t_singular, uncertainty, exponent, t_last, h_last),
        ref other => panic!("{name}: expected BlowUp, got {other:?}"),
    }
}

fn opts(rtol: f64) -> Options<f64> {
    Options::default()
        .rtol(rtol)
        .atol(1e-14)
        .save(SaveMode::FinalOnly)
}

type Row = (f64, f64, f64, f64, f64, usize);

fn row<S: odestride::State<f64>>(
    name: &str,
    r: Result<Solution<f64, S>, odestride::SolveFailure<f64, S>>,
) -> Row {
    match r {
        Ok(s) => {
            let (ts, unc, a, tl, hl) = blowup(name, &s);
            (ts, unc, a, tl, hl, s.stats.naccept)
        }
        Err(f) => panic!("{name}: solve failed: {}", f.error),
    }
}

/// Solves one of the four reference blow-ups with DP5 (detector on by default).
fn solve_case(case: usize, rtol: f64) -> Row {
    let dp5 = || Integrator::new(ExplicitRk::dopri5()).options(opts(rtol));
    match case {
        // y' = y^3, y0 = 1: t_s = 1/(2 y0^2) = 0.5, y ~ (2 (t_s - t))^(-1/2)
        0 => row(
            "y^3",
            dp5().solve(|_t: f64, y: &f64, dy: &mut f64| *dy = y * y * y, 0.0, 1.0, 1.0),
        ),
        // y' = y^2, y0 = 2: t_s = 1/y0 = 0.5, a = 1
        1 => row(
            "y^2",
            dp5().solve(|_t: f64, y: &f64, dy: &mut f64| *dy = y * y, 0.0, 1.0, 2.0),
        ),
        // y' = 1 + y^2, y0 = 0: y = tan t, t_s = pi/2, a = 1
        2 => row(
            "tan",
            dp5().solve(|_t: f64, y: &f64, dy: &mut f64| *dy = 1.0 + y * y, 0.0, 3.0, 0.0),
        ),
        // y1' = y1^2, y2' = -y2, y(0) = (0.5, 1): y1 = 0.5/(1 - 0.5 t), t_s = 2, a = 1
        _ => row(
            "2-D",
            Integrator::new(ExplicitRk::dopri5()).options(opts(rtol)).solve(
                |_t: f64, y: &V2, dy: &mut V2| {
                    dy[0] = y[0] * y[0];
                    dy[1] = -y[1];
                },
                0.0,
                3.0,
                V2::new(0.5, 1.0),
            ),
        ),
    }
}

const CASES: [(&str, f64, f64); 4] = [
    ("y' = y^3, y0 = 1", 0.5, 0.5),
    ("y' = y^2, y0 = 2", 0.5, 1.0),
    ("y' = 1 + y^2, y0 = 0", FRAC_PI_2, 1.0),
    ("y1' = y1^2, y2' = -y2", 2.0, 1.0),
];

#[test]
fn singular_time_and_exponent_per_tolerance() {
    println!("problem                  rtol    t_s rel.err  unc/err  exponent err  steps  h_last");
    for (case, (name, ts_exact, a_exact)) in CASES.iter().enumerate() {
        for rtol in [1e-4, 1e-6, 1e-8, 1e-10, 1e-12] {
            let (ts, unc, a, t_last, h_last, steps) = solve_case(case, rtol);
            let rel = (ts - ts_exact).abs() / ts_exact;
            println!(
                "{name:24} {rtol:.0e}  {rel:.2e}     {:7.1}  {:.1e}       {steps:5}  {h_last:.1e}",
                unc / (ts - ts_exact).abs(),
                (a - a_exact).abs()
            );
            let bound = match rtol {
                r if r >= 1e-5 => 1e-3,
                r if r >= 1e-7 => 1e-3,
                _ => 1e-6,
            };
            assert!(
                rel <= bound,
                "{name} rtol {rtol}: t_s {ts} rel err {rel:e} > {bound:e}"
            );
            // The reported uncertainty covers the true error.
            assert!(
                unc >= (ts - ts_exact).abs(),
                "{name} rtol {rtol}: unc {unc:e} < err"
            );
            // ... without being useless.
            assert!(
                unc / ts_exact < 1e3 * rtol.max(1e-12),
                "{name} rtol {rtol}: unc {unc:e}"
            );
            assert!((a - a_exact).abs() < 1e-5, "{name} rtol {rtol}: exponent {a}");
            // Well before the step floor (16 ulp of t ~ 1e-15 here).
            assert!(
                h_last.abs() > 1e3 * 16.0 * f64::EPSILON * t_last.abs(),
                "h_last {h_last:e}"
            );
            // Stopped close to the singularity: within 1e-6 of the span to it.
            assert!((ts - t_last).abs() < 1e-6 * ts_exact, "{name}: t_last {t_last}");
        }
    }
}

#[test]
fn required_accuracy_at_rtol_1e6_and_1e10() {
    for (case, (name, ts_exact, _)) in CASES.iter().enumerate() {
        let (ts6, ..) = solve_case(case, 1e-6);
        let (ts10, ..) = solve_case(case, 1e-10);
        let (e6, e10) = (
            (ts6 - ts_exact).abs() / ts_exact,
            (ts10 - ts_exact).abs() / ts_exact,
        );
        println!("{name:24} rel.err {e6:.2e} (rtol 1e-6)  {e10:.2e} (rtol 1e-10)");
        assert!(e6 <= 1e-3 && e10 <= 1e-6, "{name}: {e6:e} {e10:e}");
    }
}

#[test]
fn diagnostics_carry_the_estimate_and_last_state() {
    let sol = Integrator::new(ExplicitRk::dopri5())
        .options(Options::default().rtol(1e-10).atol(1e-14))
        .solve(|_t: f64, y: &f64, dy: &mut f64| *dy = y * y, 0.0, 1.0, 2.0)
        .unwrap();
    let (ts, _, _, t_last, _) = blowup("y^2", &sol);
    let est = sol.diagnostics.blowup.as_ref().expect("estimate in diagnostics");
    assert_eq!(est.t_singular, ts);
    assert_eq!(est.law, GrowthLaw::Power);
    assert!(est.range >= 1e8, "range {}", est.range);
    // The last saved state is the last accepted one, at t_last, and it is
    // the exact solution 2/(1 - 2t) there to the integration's accuracy.
    assert_eq!(sol.last_time(), t_last);
    let y_exact = 2.0 / (1.0 - 2.0 * t_last);
    let y = *sol.last_state();
    // Near t_s the relative error of y is (shift of t_s)/(t_s - t) ~ 2e-3 here;
    // the estimated t_s explains the last state to far better than that:
    // y = 1/(t_s - t) on the numerical solution.
    assert!(((y - y_exact) / y_exact).abs() < 1e-2, "y {y} vs {y_exact}");
    let y_est = 1.0 / (ts - t_last);
    assert!(
        ((y - y_est) / y).abs() < 1e-5,
        "y {y} vs 1/(t_s - t_last) = {y_est}"
    );
    assert!((est.norm_last - y.abs()).abs() <= 1e-12 * y.abs());
}

#[test]
fn bs3_detects_too() {
    for (rtol, bound) in [(1e-6, 1e-3), (1e-10, 1e-6)] {
        let sol = Integrator::new(ExplicitRk::bs3())
            .options(opts(rtol).max_steps(200_000))
            .solve(|_t: f64, y: &f64, dy: &mut f64| *dy = y * y, 0.0, 1.0, 2.0)
            .unwrap();
        let (ts, unc, a, ..) = blowup("bs3 y^2", &sol);
        let rel = (ts - 0.5).abs() / 0.5;
        println!(
            "BS3 rtol {rtol:.0e}: t_s rel err {rel:.2e}, unc {unc:.1e}, a - 1 = {:.1e}",
            a - 1.0
        );
        assert!(rel <= bound && unc >= (ts - 0.5).abs() && (a - 1.0).abs() < 1e-5);
    }
}

#[test]
fn logarithmic_blowup() {
    // y' = exp(y), y(0) = 0: y = -ln(1 - t), t_s = 1
    for (rtol, bound) in [(1e-6, 1e-5), (1e-10, 1e-9)] {
        let sol = Integrator::new(ExplicitRk::dopri5())
            .options(opts(rtol))
            .solve(|_t: f64, y: &f64, dy: &mut f64| *dy = y.exp(), 0.0, 2.0, 0.0)
            .unwrap();
        let (ts, unc, a, ..) = blowup("exp", &sol);
        assert_eq!(
            sol.diagnostics.blowup.as_ref().map(|e| e.law),
            Some(GrowthLaw::Logarithmic)
        );
        println!(
            "y' = e^y rtol {rtol:.0e}: t_s err {:.2e} unc {unc:.1e}",
            (ts - 1.0).abs()
        );
        assert!((ts - 1.0).abs() <= bound && unc >= (ts - 1.0).abs() && a == 0.0);
    }
}

#[test]
fn backward_in_time() {
    // y' = y^2, y(0) = -2: y = 1/(-1/2 - t), singular at t = -1/2 going backward.
    let sol = Integrator::new(ExplicitRk::dopri5())
        .options(opts(1e-10))
        .solve(|_t: f64, y: &f64, dy: &mut f64| *dy = y * y, 0.0, -1.0, -2.0)
        .unwrap();
    let (ts, unc, a, t_last, h_last) = blowup("backward", &sol);
    assert!((ts + 0.5).abs() < 1e-9 && unc >= (ts + 0.5).abs() && (a - 1.0).abs() < 1e-5);
    assert!(t_last > -0.5 && h_last < 0.0);
}

#[test]
fn far_from_the_origin_and_close_to_the_singularity() {
    // t0 = 1000: the floor 16 ulp(t) is 1000 times coarser.
    let sol = Integrator::new(ExplicitRk::dopri5())
        .options(opts(1e-8))
        .solve(|_t: f64, y: &f64, dy: &mut f64| *dy = y * y, 1000.0, 1001.0, 2.0)
        .unwrap();
    let (ts, unc, ..) = blowup("t0 = 1000", &sol);
    assert!((ts - 1000.5).abs() < 1e-8 && unc >= (ts - 1000.5).abs());
    // Starting 1e-9 before the singularity at t = 1: only ~3 decades are
    // left above the floor; the detector still answers (last-chance rule).
    let sol = Integrator::new(ExplicitRk::dopri5())
        .options(opts(1e-8))
        .solve(|_t: f64, y: &f64, dy: &mut f64| *dy = y * y, 1.0, 2.0, 1e9)
        .unwrap();
    let (ts, unc, ..) = blowup("y0 = 1e9", &sol);
    let exact = 1.0 + 1e-9;
    println!("y0 = 1e9: t_s err {:.1e}, unc {unc:.1e}", (ts - exact).abs());
    assert!((ts - exact).abs() < 1e-14 && unc >= (ts - exact).abs());
}

#[test]
fn single_precision() {
    let sol = Integrator::new(ExplicitRk::dopri5())
        .options(Options::default().rtol(1e-5f32).atol(1e-7))
        .solve(|_t: f32, y: &f32, dy: &mut f32| *dy = y * y, 0.0, 1.0, 2.0)
        .unwrap();
    match sol.status {
        Status::BlowUp {
            t_singular,
            uncertainty,
            ..
        } => {
            assert!((t_singular - 0.5).abs() < 1e-5, "{t_singular}");
            assert!(uncertainty >= (t_singular - 0.5).abs());
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn detection_off_fails_with_step_size_too_small() {
    let r = Integrator::new(ExplicitRk::dopri5())
        .detect_blowup(BlowUpConfig::off())
        .options(opts(1e-10))
        .solve(|_t: f64, y: &f64, dy: &mut f64| *dy = y * y * y, 0.0, 1.0, 1.0);
    let f = r.expect_err("without the detector the solve fails");
    match f.error {
        SolveError::StepSizeTooSmall { t, .. } => assert!((t - 0.5).abs() < 1e-9),
        e => panic!("{e}"),
    }
    assert!(f.partial.diagnostics.blowup.is_none());
}

#[test]
fn singularity_beyond_t_end_is_not_reported() {
    // y' = y^2, y0 = 1: t_s = 1; integrate to 1 - 1e-6 where y = 1e6.
    // (the relative error of y there is the numerical shift of t_s over 1e-6)
    for (rtol, bound) in [(1e-6, 0.5), (1e-10, 1e-4)] {
        let sol = Integrator::new(ExplicitRk::dopri5())
            .options(opts(rtol))
            .solve(|_t: f64, y: &f64, dy: &mut f64| *dy = y * y, 0.0, 1.0 - 1e-6, 1.0)
            .unwrap();
        assert_eq!(sol.status, Status::Success);
        let y = *sol.last_state();
        assert!((y - 1e6).abs() / 1e6 < bound, "y {y}");
    }
}

fn assert_success<S: odestride::State<f64>>(name: &str, sol: &Solution<f64, S>) {
    assert_eq!(sol.status, Status::Success, "{name}: false alarm");
    assert!(sol.diagnostics.blowup.is_none(), "{name}");
}

fn scalar(rtol: f64, f: impl FnMut(f64, &f64, &mut f64), t1: f64, y0: f64) -> Solution<f64, f64> {
    Integrator::new(ExplicitRk::dopri5())
        .options(
            Options::default()
                .tol(rtol)
                .save(SaveMode::FinalOnly)
                .max_steps(1_000_000),
        )
        .solve(f, 0.0, t1, y0)
        .unwrap()
}

#[test]
fn no_false_alarm_on_fast_regular_growth() {
    for tol in [1e-4, 1e-8, 1e-12] {
        let sol = scalar(tol, |_t, y, dy| *dy = *y, 50.0, 1.0);
        assert_success("y' = y", &sol);
        let rel = (sol.last_state() - 50f64.exp()) / 50f64.exp();
        assert!(rel.abs() < 1e3 * tol, "y' = y: rel err {rel:e}");
    }
}

#[test]
fn no_false_alarm_on_kepler_perihelia() {
    for tol in [1e-4, 1e-6, 1e-8, 1e-10, 1e-12] {
        let sol = Integrator::new(ExplicitRk::dopri5())
            .options(Options::default().tol(tol).save(SaveMode::FinalOnly))
            .solve(kepler, 0.0, 20.0 * PI, kepler_y0(0.9))
            .unwrap();
        assert_success("Kepler e = 0.9", &sol);
        if tol <= 1e-8 {
            let err = max_abs_diff(
                sol.last_state().as_slice(),
                kepler_exact(0.9, 20.0 * PI).as_slice(),
            );
            println!("Kepler e = 0.9, tol {tol:.0e}: error after 10 periods {err:.2e}");
            assert!(err < 1e6 * tol, "Kepler error {err:e} at tol {tol}");
        }
    }
    // Closer encounters (perihelion 1e-2 .. 1e-5) at a tolerance that follows them.
    for e in [0.99, 0.999, 0.9999, 0.99999] {
        let sol = Integrator::new(ExplicitRk::dopri5())
            .options(Options::default().tol(1e-10).save(SaveMode::FinalOnly))
            .solve(kepler, 0.0, 4.0 * PI, kepler_y0(e))
            .unwrap();
        assert_success(&format!("Kepler e = {e}"), &sol);
    }
}

#[test]
fn no_false_alarm_on_stiff_problems() {
    for tol in [1e-4, 1e-8] {
        // Prothero–Robinson, lambda = 1e4: y = cos t
        let sol = scalar(tol, |t, y, dy| *dy = -1e4 * (y - t.cos()) - t.sin(), 10.0, 1.0);
        assert_success("Prothero–Robinson", &sol);
        assert!((sol.last_state() - 10f64.cos()).abs() < 10.0 * tol);
    }
    // Van der Pol in the scaled form y2' = mu ((1 - y1^2) y2 - y1), mu = 1000 (the
    // oscillator with parameter sqrt(mu) ~ 31.6, period ~ 1.68): some 1500 periods
    // of stiff slow phases and fast jumps.
    let sol = Integrator::new(ExplicitRk::dopri5())
        .options(
            Options::default()
                .tol(1e-4)
                .save(SaveMode::FinalOnly)
                .max_steps(5_000_000),
        )
        .solve(
            |_t: f64, y: &V2, dy: &mut V2| {
                dy[0] = y[1];
                dy[1] = 1000.0 * ((1.0 - y[0] * y[0]) * y[1] - y[0]);
            },
            0.0,
            2500.0,
            V2::new(2.0, 0.0),
        )
        .unwrap();
    assert_success("Van der Pol", &sol);
    // the limit cycle stays within |y1| <= 2.02
    assert!(sol.last_state()[0].abs() < 2.1);
}

#[test]
fn no_false_alarm_on_sharp_finite_transients() {
    for tol in [1e-4, 1e-8, 1e-12] {
        // Lorentzian peak y = 1/((t - 1)^2 + eps^2): a pole at 1 +- i eps,
        // power-law growth (a = 2) over t_s - t in [eps, 1], height 1/eps^2.
        for eps in [1e-2, 1e-3, 1e-4] {
            let sol = scalar(
                tol,
                move |t, y, dy| *dy = -2.0 * (t - 1.0) * y * y,
                2.0,
                1.0 / (1.0 + eps * eps),
            );
            assert_success("Lorentzian", &sol);
            let exact = 1.0 / (1.0 + eps * eps);
            // the peak's conditioning multiplies the local errors by 1/eps^2
            assert!(
                (sol.last_state() - exact).abs() < 1e2 * tol / (eps * eps),
                "eps {eps}"
            );
        }
        // Steep front y = tanh(1e4 (t - t_c)), t_c ~ 1.4e-3
        let sol = scalar(tol, |_t, y, dy| *dy = 1e4 * (1.0 - y * y), 1.0, -(1.0 - 1e-12));
        assert_success("tanh front", &sol);
        assert!(
            (sol.last_state() - 1.0).abs() < 10.0 * tol,
            "tanh: {}",
            sol.last_state()
        );
        // A near-pole: y = 1/(C - sin t), C = 1 + 1e-7, peak 1e7 at t = pi/2.
        let c = 1.0 + 1e-7;
        let sol = scalar(tol, |t, y, dy| *dy = y * y * t.cos(), 3.0, 1.0 / c);
        assert_success("near-pole", &sol);
        let exact = 1.0 / (c - 3f64.sin());
        assert!(
            (sol.last_state() - exact).abs() < 1e-2 * exact,
            "near-pole {}",
            sol.last_state()
        );
        // Exponential chirp y'' = -e^(2t) y: the step shrinks like e^(-t), forever.
        let sol = Integrator::new(ExplicitRk::dopri5())
            .options(
                Options::default()
                    .tol(tol)
                    .save(SaveMode::FinalOnly)
                    .max_steps(1_000_000),
            )
            .solve(
                |t: f64, y: &V2, dy: &mut V2| {
                    dy[0] = y[1];
                    dy[1] = -(2.0 * t).exp() * y[0];
                },
                0.0,
                7.0,
                V2::new(1.0, 0.0),
            )
            .unwrap();
        assert_success("chirp", &sol);
        // Growth like 1/(t_s - t) that saturates at M = 1e4 (logistic cut-off)
        let sol = scalar(tol, |_t, y, dy| *dy = y * y * (1.0 - y / 1e4), 2.0, 1.0);
        assert_success("saturating growth", &sol);
        assert!((sol.last_state() - 1e4).abs() < 1.0);
    }
}

#[test]
fn no_false_alarm_under_tight_h_max() {
    // The step is pinned at h_max: nothing shrinks.
    let sol = Integrator::new(ExplicitRk::dopri5())
        .options(Options::default().tol(1e-8).h_max(1e-4).save(SaveMode::FinalOnly))
        .solve(|_t: f64, y: &f64, dy: &mut f64| *dy = y * y, 0.0, 0.9, 1.0)
        .unwrap();
    assert_success("h_max", &sol);
    assert!((sol.last_state() - 10.0).abs() < 1e-6);
    let sol = Integrator::new(ExplicitRk::dopri5())
        .options(Options::default().tol(1e-8).h_max(1e-3).save(SaveMode::FinalOnly))
        .solve(harmonic, 0.0, 20.0, V2::new(1.0, 0.0))
        .unwrap();
    assert_success("harmonic h_max", &sol);
    // ... while a real singularity under h_max is still found.
    let sol = Integrator::new(ExplicitRk::dopri5())
        .options(Options::default().rtol(1e-10).atol(1e-14).h_max(1e-3))
        .solve(|_t: f64, y: &f64, dy: &mut f64| *dy = y * y, 0.0, 2.0, 1.0)
        .unwrap();
    let (ts, ..) = blowup("y^2 with h_max", &sol);
    assert!((ts - 1.0).abs() < 1e-8);
}

#[test]
fn no_false_alarm_on_reference_problems() {
    for tol in [1e-3, 1e-6, 1e-9, 1e-12] {
        let o = Options::default().tol(tol).save(SaveMode::FinalOnly);
        let sol = Integrator::new(ExplicitRk::dopri5())
            .options(o.clone())
            .solve(arenstorf, 0.0, AREN_T, arenstorf_y0())
            .unwrap();
        assert_success("Arenstorf", &sol);
        let sol = Integrator::new(ExplicitRk::dopri5())
            .options(o)
            .solve(lorenz, 0.0, 20.0, V3::new(1.0, 0.0, 0.0))
            .unwrap();
        assert_success("Lorenz", &sol);
    }
}

/// Every explicit adaptive method (all of them now carry a stiffness
/// estimate), the four reference blow-ups and y' = exp(y), rtol 1e-2 ... 1e-12:
/// a true singularity is still a `BlowUp` (never `Unstable`), with t_s to the
/// accuracy the tolerance allows. The largest `|h lambda| / B` the detector saw
/// before it fired is printed: it stays far from the 0.9 that means "at the
/// stability boundary".
#[test]
fn true_blowups_are_never_called_instability() {
    use odestride::method::Method;
    type F = fn(f64, &f64, &mut f64);
    let cases: [(&str, F, f64, f64, f64); 4] = [
        ("y^3", |_t, y, dy| *dy = y * y * y, 1.0, 1.0, 0.5),
        ("y^2", |_t, y, dy| *dy = y * y, 2.0, 1.0, 0.5),
        ("tan", |_t, y, dy| *dy = 1.0 + y * y, 0.0, 3.0, FRAC_PI_2),
        ("exp", |_t, y, dy| *dy = y.exp(), 0.0, 2.0, 1.0),
    ];
    let mut worst = 0.0f64;
    let mut bad = 0;
    for m in Method::ALL {
        if m.tableau().is_none() || m.is_step_doubling() || !m.is_adaptive() {
            continue;
        }
        for (name, f, y0, t1, ts_exact) in cases {
            for rtol in [1e-2, 1e-4, 1e-6, 1e-8, 1e-10, 1e-12] {
                let sol = match Integrator::new(m.stepper::<f64, f64>())
                    .options(opts(rtol).max_steps(1_000_000))
                    .solve(f, 0.0, t1, y0)
                {
                    Ok(sol) => sol,
                    // The logarithmic law at loose tolerances (exp, rtol
                    // >= 1e-4 with BS3, RKF45, DP5, Vern6) can reach the step
                    // floor before eight decades of it are seen: the solve
                    // fails with StepSizeTooSmall, as it did before the
                    // instability check existed (a miss, not a false claim);
                    // when the last attempt overflowed (exp), the error names
                    // the non-finite values instead.
                    Err(e)
                        if matches!(
                            e.error,
                            SolveError::StepSizeTooSmall { .. } | SolveError::NonFiniteRejections { .. }
                        ) =>
                    {
                        assert!(name == "exp" && rtol >= 1e-4, "{m} {name} {rtol:e}: {}", e.error);
                        println!("{m} {name} rtol {rtol:e}: {}", e.error);
                        continue;
                    }
                    Err(e) => panic!("{m} {name} {rtol:e}: {}", e.error),
                };
                let Status::BlowUp { t_singular, .. } = sol.status else {
                    let est = sol.diagnostics.blowup.as_ref().unwrap();
                    println!(
                        "BAD {m} {name} rtol {rtol:e}: {:?} law from {:?}",
                        sol.status, est.range
                    );
                    bad += 1;
                    continue;
                };
                let rel = (t_singular - ts_exact).abs() / ts_exact;
                let bound = if rtol >= 1e-5 { 5e-2 } else { 1e-3 };
                assert!(rel < bound, "{m} {name} rtol {rtol:e}: t_s rel err {rel:e}");
                let est = sol.diagnostics.blowup.as_ref().unwrap();
                let r = est.boundary_ratio.expect("every explicit pair has an estimate");
                assert!(r < 0.9 && est.t_boundary.is_none(), "{m} {name} {rtol:e}: {r}");
                worst = worst.max(r);
            }
        }
    }
    println!("largest |h lambda| / B before a true blow-up: {worst:.3}");
    assert_eq!(bad, 0);
}

/// ROBER with scalar rtol = atol = 1e-2 ... 1e-4: every explicit pair lets
/// the stiff y2 go unstable (it is below the tolerance), y2 turns negative and
/// the numerical trajectory then runs into a singularity of the ODE that the
/// true solution never meets. That must be reported as `Unstable` (steps at
/// the stability boundary before the divergence), never as a blow-up.
#[test]
fn rober_divergence_at_loose_tolerances_is_instability() {
    use odestride::method::Method;
    use odestride::problems::Rober;
    let p = Rober;
    let mut unstable = 0;
    let mut missed = 0;
    for m in Method::ALL {
        if m.tableau().is_none() || m.is_step_doubling() || !m.is_adaptive() {
            continue;
        }
        for tol in [1e-2, 1e-3, 1e-4] {
            let r = Integrator::new(m.stepper())
                .options(
                    Options::default()
                        .tol(tol)
                        .save(SaveMode::FinalOnly)
                        .max_steps(100_000),
                )
                .solve(p.system(), 0.0, 1e3, p.y0());
            let sol = match r {
                Ok(sol) => sol,
                // Held at the boundary without diverging: runs out of steps.
                Err(f) => {
                    assert!(
                        matches!(f.error, SolveError::TooManySteps { .. }),
                        "{m} {tol:e}: {}",
                        f.error
                    );
                    continue;
                }
            };
            println!("{m:10} tol {tol:.0e}: {:?}", sol.status);
            let seen = sol.diagnostics.blowup.as_ref().and_then(|e| e.boundary_ratio);
            match sol.status {
                // Cash–Karp at 1e-3: its very first step (2.9e-3 from the
                // initial-step heuristic) goes from J = 0 into the stiff
                // regime in one go and sends y2 negative; that step reads
                // -0.69 B and the next +0.70 B, just below the 0.75 B that
                // counts as the boundary. Nothing else in the step sequence
                // tells this divergence from a true one.
                Status::BlowUp { .. } if seen.is_some_and(|r| r < 0.8) => {
                    println!("  (no step at the boundary before it: {seen:?})");
                    missed += 1;
                }
                Status::Unstable {
                    t_boundary,
                    h_lambda,
                    boundary,
                    t_last,
                    ..
                } => {
                    assert!(h_lambda >= 0.9 * boundary && t_boundary <= t_last && t_last < 1.0);
                    unstable += 1;
                }
                Status::Success => {
                    // A method that stays stable must be near the reference
                    // manifold: y1 + y2 + y3 = 1 and y2 >= 0 up to the tolerance.
                    let y = sol.last_state();
                    assert!((y.sum() - 1.0).abs() < 1e-6 && y[1] > -tol, "{m} {tol:e}: {y:?}");
                }
                ref other => panic!("{m} tol {tol:e}: {other:?}"),
            }
        }
    }
    assert!(
        unstable >= 24 && missed <= 1,
        "{unstable} unstable runs, {missed} missed"
    );
}
