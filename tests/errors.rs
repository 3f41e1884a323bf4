//! Bad input gets its documented error; failures return the partial solution.
mod common;
use common::*;
use odestride::{ExplicitRk, Integrator, Options, SaveMode, SolveError, Status};

fn dp5() -> Integrator<'static, f64, V2, ExplicitRk<f64, V2>> {
    Integrator::new(ExplicitRk::dopri5())
}
fn err_of(r: Result<odestride::Solution<f64, V2>, odestride::SolveFailure<f64, V2>>) -> SolveError {
    match r {
        Ok(_) => panic!("expected an error"),
        Err(f) => {
            // every message is actionable text, not a debug dump
            assert!(f.to_string().len() > 20);
            f.error
        }
    }
}

#[test]
fn nan_in_y0() {
    let e = err_of(dp5().solve(harmonic, 0.0, 1.0, V2::from([1.0, f64::NAN])));
    assert!(
        matches!(e, SolveError::NonFiniteInitialState { index: 1, .. }),
        "{e:?}"
    );
}

#[test]
fn inf_in_span() {
    let e = err_of(dp5().solve(harmonic, 0.0, f64::INFINITY, V2::from([1.0, 0.0])));
    assert!(
        matches!(e, SolveError::NonFiniteTime { ref which, .. } if which == "t_end"),
        "{e:?}"
    );
    let e = err_of(dp5().solve(harmonic, f64::NAN, 1.0, V2::from([1.0, 0.0])));
    assert!(
        matches!(e, SolveError::NonFiniteTime { ref which, .. } if which == "t0"),
        "{e:?}"
    );
}

#[test]
fn bad_tolerances() {
    let e = err_of(dp5().rtol(0.0).solve(harmonic, 0.0, 1.0, V2::from([1.0, 0.0])));
    assert!(
        matches!(e, SolveError::InvalidTolerance { ref which, .. } if which == "rtol"),
        "{e:?}"
    );
    let e = err_of(dp5().atol(-1e-8).solve(harmonic, 0.0, 1.0, V2::from([1.0, 0.0])));
    assert!(
        matches!(e, SolveError::InvalidTolerance { ref which, .. } if which == "atol"),
        "{e:?}"
    );
    let e = err_of(
        dp5()
            .rtol(f64::NAN)
            .solve(harmonic, 0.0, 1.0, V2::from([1.0, 0.0])),
    );
    assert!(matches!(e, SolveError::InvalidTolerance { .. }), "{e:?}");
    // atol = 0 is allowed (pure relative control)
    assert!(dp5()
        .atol(0.0)
        .solve(harmonic, 0.0, 1.0, V2::from([1.0, 0.5]))
        .is_ok());
}

#[test]
fn wrong_tolerance_length() {
    let e = err_of(
        dp5()
            .options(Options::default().atol_per_component(vec![1e-6; 3]))
            .solve(harmonic, 0.0, 1.0, V2::from([1.0, 0.0])),
    );
    assert_eq!(
        e,
        SolveError::ToleranceLength {
            which: "atol".into(),
            expected: 2,
            got: 3
        }
    );
}

#[test]
fn invalid_options() {
    for o in [
        Options::default().h0(-1.0),
        Options::default().h_max(0.0),
        Options::default().save_at(vec![0.5, 2.0]),
        Options::default().save_at(vec![0.7, 0.5]),
    ] {
        let e = err_of(dp5().options(o).solve(harmonic, 0.0, 1.0, V2::from([1.0, 0.0])));
        assert!(matches!(e, SolveError::InvalidOption { .. }), "{e:?}");
    }
    // a fixed-step method without fixed_step
    let r = Integrator::new(ExplicitRk::rk4()).solve(harmonic, 0.0, 1.0, V2::from([1.0, 0.0]));
    assert!(matches!(r.unwrap_err().error, SolveError::NoErrorEstimate { .. }));
}

#[test]
fn zero_length_span_returns_the_initial_state() {
    let y0 = V2::from([1.0, 2.0]);
    for save in [SaveMode::EveryStep, SaveMode::FinalOnly, SaveMode::At(vec![3.0])] {
        let sol = dp5()
            .options(Options::default().save(save))
            .solve(harmonic, 3.0, 3.0, y0)
            .unwrap();
        assert_eq!(sol.t, vec![3.0]);
        assert_eq!(sol.y, vec![y0]);
        assert_eq!(sol.stats.naccept, 0);
        assert_eq!(sol.stats.nfev, 0);
        assert_eq!(sol.status, Status::Success);
    }
}

#[test]
fn nonfinite_derivative_at_start() {
    let f = |_t: f64, _y: &V2, dy: &mut V2| *dy = V2::from([f64::NAN, 0.0]);
    let e = err_of(dp5().solve(f, 0.0, 1.0, V2::from([1.0, 0.0])));
    assert!(
        matches!(e, SolveError::NonFiniteDerivative { t } if t == 0.0),
        "{e:?}"
    );
}

/// The right-hand side returns NaN for t > 1: the solve rejects the steps
/// that reach past it, then fails naming the non-finite values (not the step
/// size), returning everything up to there.
#[test]
fn nan_beyond_some_time_gives_rejections_then_an_error_with_the_partial_solution() {
    let f = |t: f64, y: &V2, dy: &mut V2| {
        if t > 1.0 {
            *dy = V2::from([f64::NAN, f64::NAN]);
        } else {
            harmonic(t, y, dy);
        }
    };
    let fail = dp5()
        .tol(1e-8)
        .solve(f, 0.0, 3.0, V2::from([1.0, 0.0]))
        .unwrap_err();
    println!("{}", fail);
    assert!(
        matches!(fail.error, SolveError::NonFiniteRejections { rejections, nonfinite, .. } if nonfinite == rejections && rejections > 3),
        "{:?}",
        fail.error
    );
    assert!(fail.to_string().contains("NaN"));
    let p = &fail.partial;
    assert_eq!(p.status, Status::Failed);
    assert!(p.stats.nreject_nonfinite > 0);
    let t_last = p.last_time();
    assert!(t_last <= 1.0 && t_last > 1.0 - 1e-6, "stopped at {t_last}");
    // the partial solution is accurate up to there
    let e = max_abs_diff(p.last_state().as_slice(), harmonic_exact(t_last).as_slice());
    assert!(e < 1e-7, "{e}");
    assert_eq!(p.t.len(), p.y.len());
    assert!(p.t.len() > 5);
}

#[test]
fn singularity_ends_with_step_size_too_small_and_keeps_the_partial_solution() {
    // y' = y^2, y(0) = 1 blows up at t = 1.
    let f = |_t: f64, y: &f64, dy: &mut f64| *dy = y * y;
    // (with the blow-up detector switched off: with it on, this ends as
    // `Status::BlowUp`, see tests/blowup.rs)
    let fail = Integrator::new(ExplicitRk::dopri5())
        .options(Options::default().tol(1e-8).save(SaveMode::FinalOnly))
        .detect_blowup(odestride::detect::BlowUpConfig::off())
        .solve(f, 0.0, 2.0, 1.0)
        .unwrap_err();
    match fail.error {
        SolveError::StepSizeTooSmall { t, h, .. } => {
            assert!((t - 1.0).abs() < 1e-6 && h.abs() < 1e-12, "t {t} h {h}");
        }
        ref e => panic!("{e:?}"),
    }
    // FinalOnly still returns the last accepted state, on the exact curve
    // y = 1/(1 - t): the time at which the exact solution takes this value
    // agrees with t (comparing times avoids the cancellation in 1 - t).
    let (t, y) = (fail.partial.last_time(), *fail.partial.last_state());
    // (to the accuracy the tolerance allows: the numerical singularity moves by ~tol).
    assert!(y > 1e6 && (1.0 - 1.0 / y - t).abs() < 1e-7, "t {t} y {y}");
}

#[test]
fn too_many_steps_keeps_the_partial_solution() {
    let fail = dp5()
        .options(Options::default().tol(1e-10).max_steps(50))
        .solve(harmonic, 0.0, 100.0, V2::from([1.0, 0.0]))
        .unwrap_err();
    assert!(matches!(
        fail.error,
        SolveError::TooManySteps { max_steps: 50, .. }
    ));
    assert_eq!(fail.partial.t.len(), 51); // t0 plus 50 accepted steps
    let t = fail.partial.last_time();
    let e = max_abs_diff(fail.partial.last_state().as_slice(), harmonic_exact(t).as_slice());
    assert!(e < 1e-8);
}

#[test]
fn fixed_step_beyond_stability_reports_nonfinite_solution() {
    // Euler on y' = -100 y with h = 0.05 (h lambda = -5, unstable) overflows.
    let f = |_t: f64, y: &f64, dy: &mut f64| *dy = -100.0 * y;
    let fail = Integrator::new(ExplicitRk::euler())
        .options(Options::default().fixed_step(0.05))
        .solve(f, 0.0, 1000.0, 1.0)
        .unwrap_err();
    assert!(
        matches!(fail.error, SolveError::NonFiniteSolution { .. }),
        "{:?}",
        fail.error
    );
    // |1 - 5|^k overflows after about log(1.8e308)/log(4) = 512 steps
    let n = fail.partial.stats.naccept;
    assert!((500..=515).contains(&n), "{n}");
}
