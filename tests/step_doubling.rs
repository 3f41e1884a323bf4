//! Step doubling: the estimate against the true local error, the order with local
//! extrapolation, honest evaluation counts, and use with the driver, controllers, options.
mod common;
use common::*;
use odestride::controller::PidController;
use odestride::norm::Tolerance;
use odestride::{ErrorNorm, IController, Integrator, Method, Options, SaveMode, StepDoubling, Stepper};

fn decay(_t: f64, y: &f64, dy: &mut f64) {
    *dy = -*y;
}

/// One attempt from the exact value at t0: (estimate, true local error of y_two), both as RMS
/// over the components (atol = 1, rtol -> 0 makes the scaled norm the plain RMS).
fn one_attempt<S: odestride::State<f64>, F: FnMut(f64, &S, &mut S)>(
    mut st: StepDoubling<f64, S>,
    mut f: F,
    t0: f64,
    y0: S,
    h: f64,
    exact: S,
) -> (f64, f64) {
    let norm = ErrorNorm::new(Tolerance::Scalar(1e-300), Tolerance::Scalar(1.0), None);
    let mut y_new = y0.clone();
    st.init(&mut f, t0, &y0);
    let est = st.attempt(&mut f, t0, &y0, h, &mut y_new, &norm);
    let n = y0.as_slice().len() as f64;
    let true_err = (y_new
        .as_slice()
        .iter()
        .zip(exact.as_slice())
        .map(|(a, b)| (a - b).powi(2))
        .sum::<f64>()
        / n)
        .sqrt();
    (est, true_err)
}

#[test]
fn estimate_tracks_the_true_local_error() {
    println!("method  problem    h       estimate    true error  ratio");
    for (name, mk, hs) in [
        (
            "Euler",
            StepDoubling::<f64, f64>::euler as fn() -> _,
            [1e-2, 1e-3],
        ),
        ("RK4", StepDoubling::<f64, f64>::rk4, [0.1, 0.05]),
    ] {
        for h in hs {
            let t0 = 0.3;
            let (est, tr) = one_attempt(mk(), decay, t0, (-t0).exp(), h, (-(t0 + h)).exp());
            let ratio = est / tr;
            println!("{name:6}  y' = -y     {h:.0e}  {est:.3e}  {tr:.3e}  {ratio:.3}");
            assert!((0.5..=2.0).contains(&ratio), "{name} y'=-y h={h}: ratio {ratio}");
        }
    }
    for (name, mk, hs) in [
        ("Euler", StepDoubling::<f64, V2>::euler as fn() -> _, [1e-2, 1e-3]),
        ("RK4", StepDoubling::<f64, V2>::rk4, [0.1, 0.05]),
    ] {
        for h in hs {
            let t0 = 0.7;
            let (est, tr) = one_attempt(mk(), harmonic, t0, harmonic_exact(t0), h, harmonic_exact(t0 + h));
            let ratio = est / tr;
            println!("{name:6}  harmonic   {h:.0e}  {est:.3e}  {tr:.3e}  {ratio:.3}");
            assert!(
                (0.5..=2.0).contains(&ratio),
                "{name} harmonic h={h}: ratio {ratio}"
            );
        }
    }
}

/// y' = -2 t y^2 (nonlinear, non-autonomous), y = 1/(1 + t^2), with fixed steps on [0, 2].
fn fixed_step_error(st: StepDoubling<f64, f64>, n: usize) -> f64 {
    let f = |t: f64, y: &f64, dy: &mut f64| *dy = -2.0 * t * y * y;
    let sol = Integrator::new(st)
        .options(Options::default().fixed_step(2.0 / n as f64))
        .solve(f, 0.0, 2.0, 1.0)
        .unwrap();
    sol.t
        .iter()
        .zip(&sol.y)
        .map(|(t, y)| (y - 1.0 / (1.0 + t * t)).abs())
        .fold(0.0, f64::max)
}

#[test]
fn order_p_and_p_plus_one_with_extrapolation() {
    for (name, base, ns) in [
        (
            "Euler",
            StepDoubling::<f64, f64>::euler as fn() -> _,
            vec![100, 200, 400, 800],
        ),
        ("RK4", StepDoubling::<f64, f64>::rk4, vec![10, 20, 40, 80]),
    ] {
        let p = base().order() as f64;
        let hs: Vec<f64> = ns.iter().map(|n| 2.0 / *n as f64).collect();
        let plain: Vec<f64> = ns.iter().map(|n| fixed_step_error(base(), *n)).collect();
        let extra: Vec<f64> = ns
            .iter()
            .map(|n| fixed_step_error(base().with_extrapolation(true), *n))
            .collect();
        let (sp, se) = (loglog_slope(&hs, &plain), loglog_slope(&hs, &extra));
        println!("{name}: order {sp:.2} (errors {plain:?}), extrapolated {se:.2} (errors {extra:?})");
        assert!((sp - p).abs() < 0.2, "{name}: slope {sp}");
        assert!((se - (p + 1.0)).abs() < 0.2, "{name} extrapolated: slope {se}");
        assert!(extra.iter().all(|e| *e > 1e-13));
        assert_eq!(base().with_extrapolation(true).order() as f64, p + 1.0);
    }
}

#[test]
fn counts_evaluations_honestly() {
    // Per attempt 3 s - 2 evaluations (shared first stage), per accepted step one more
    // (f at the new point), plus f(t0, y0) and one evaluation of the initial-step guess.
    for (st, s) in [
        (StepDoubling::<f64, V4>::rk4(), 4usize),
        (StepDoubling::euler(), 1),
    ] {
        let sol = Integrator::new(st)
            .options(Options::default().tol(1e-6))
            .solve(kepler, 0.0, 2.0 * std::f64::consts::PI, kepler_y0(0.5))
            .unwrap();
        let stt = &sol.stats;
        assert_eq!(stt.nfev, 2 + stt.nsteps * (3 * s - 2) + stt.naccept, "{stt:?}");
    }
}

#[test]
fn works_with_the_driver_controllers_and_options() {
    let tp = 2.0 * std::f64::consts::PI;
    let tol = 1e-8;
    let runs: Vec<(&str, odestride::Solution<f64, V4>)> = vec![
        (
            "PI (default)",
            Integrator::new(StepDoubling::rk4())
                .options(Options::default().tol(tol))
                .solve(kepler, 0.0, tp, kepler_y0(0.5))
                .unwrap(),
        ),
        (
            "I",
            Integrator::new(StepDoubling::rk4())
                .controller(IController::new())
                .options(Options::default().tol(tol))
                .solve(kepler, 0.0, tp, kepler_y0(0.5))
                .unwrap(),
        ),
        (
            "H211PI",
            Integrator::new(StepDoubling::rk4().with_extrapolation(true))
                .controller(PidController::h211pi())
                .options(Options::default().tol(tol))
                .solve(kepler, 0.0, tp, kepler_y0(0.5))
                .unwrap(),
        ),
    ];
    for (name, sol) in &runs {
        let err = max_abs_diff(sol.last_state().as_slice(), kepler_y0(0.5).as_slice());
        println!(
            "RK4 doubling, {name}: {} steps, {} rejected, nfev {}, error {err:.2e}",
            sol.stats.naccept,
            sol.stats.nreject(),
            sol.stats.nfev
        );
        // Kepler's phase error accumulates: DP5 at this tolerance ends 2e-6 off, RK4
        // doubling (error per step, order 4) 1.8e-5.
        assert!(err < 1e4 * tol && err > 1e-3 * tol, "{name}: error {err}");
    }
    // Tolerance proportionality: 1000x tighter tolerance, error at least 100x smaller.
    let loose = Integrator::new(StepDoubling::rk4())
        .options(Options::default().tol(1e-5))
        .solve(kepler, 0.0, tp, kepler_y0(0.5))
        .unwrap();
    let e_loose = max_abs_diff(loose.last_state().as_slice(), kepler_y0(0.5).as_slice());
    let e_tight = max_abs_diff(runs[0].1.last_state().as_slice(), kepler_y0(0.5).as_slice());
    assert!(e_tight < e_loose / 100.0, "{e_tight} vs {e_loose}");
    // Dense output (quintic Hermite) at requested times, and the registry name.
    let times: Vec<f64> = (1..20).map(|i| i as f64 * tp / 20.0).collect();
    let sol = Integrator::new(Method::Rk4Doubling.stepper())
        .options(Options::default().tol(1e-10).save_at(times.clone()))
        .solve(kepler, 0.0, tp, kepler_y0(0.5))
        .unwrap();
    let worst = times
        .iter()
        .zip(&sol.y)
        .map(|(t, y)| max_abs_diff(y.as_slice(), kepler_exact(0.5, *t).as_slice()))
        .fold(0.0, f64::max);
    // The same solve saving every step: the interpolant must not add to the global error.
    let steps = Integrator::new(Method::Rk4Doubling.stepper())
        .options(Options::default().tol(1e-10))
        .solve(kepler, 0.0, tp, kepler_y0(0.5))
        .unwrap();
    let at_steps = steps
        .t
        .iter()
        .zip(&steps.y)
        .map(|(t, y)| max_abs_diff(y.as_slice(), kepler_exact(0.5, *t).as_slice()))
        .fold(0.0, f64::max);
    println!("save_at through the quintic Hermite dense output: max error {worst:.2e} (at the steps: {at_steps:.2e})");
    assert!(worst < 1.5 * at_steps, "dense error {worst} vs {at_steps}");
    assert_eq!(sol.method, "RK4 (step doubling)");
    // Final-only output and a fixed step work too.
    let sol = Integrator::new(StepDoubling::rk4())
        .options(
            Options::default()
                .fixed_step(tp / 200.0)
                .save(SaveMode::FinalOnly),
        )
        .solve(kepler, 0.0, tp, kepler_y0(0.5))
        .unwrap();
    assert_eq!(sol.stats.naccept, 200);
    assert!(max_abs_diff(sol.last_state().as_slice(), kepler_y0(0.5).as_slice()) < 1e-4);
}

#[test]
fn dense_output_order() {
    // One RK4 doubling step from the exact value of y' = -y, interpolated at theta = 0.3:
    // the quintic Hermite data are O(h^5) accurate, so the local error is O(h^5).
    let hs = [0.4, 0.2, 0.1, 0.05];
    let errs: Vec<f64> = hs
        .iter()
        .map(|h| {
            let sol = Integrator::new(StepDoubling::<f64, f64>::rk4())
                .options(Options::default().fixed_step(*h).save_at(vec![0.3 * h]))
                .solve(decay, 0.0, *h, 1.0)
                .unwrap();
            (sol.y[0] - (-0.3 * h).exp()).abs()
        })
        .collect();
    let slope = loglog_slope(&hs, &errs);
    println!("RK4 doubling dense local slope {slope:.2} (errors {errs:?})");
    assert!((slope - 5.0).abs() < 0.2);
}
