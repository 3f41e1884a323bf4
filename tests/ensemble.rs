//! Ensembles: every member bit-identical to a serial solve with a fresh
//! integrator, in input order, with per-member statistics and errors (a
//! failing or panicking member leaves the others intact); accuracy against
//! the exact solution of a linear sweep; `Send` where the parts are.
//!
//! Run with `--features rayon` for the parallel path (CI does); without it
//! the same tests check the serial fallback.
use odestride::nalgebra::SVector;
use odestride::{Ensemble, ExplicitRk, Integrator, Rosenbrock, Solution, SolveError, Status};

type V3 = SVector<f64, 3>;

fn lorenz(rho: f64) -> impl Fn(f64, &V3, &mut V3) + Copy {
    move |_t: f64, y: &V3, dy: &mut V3| {
        dy[0] = 10.0 * (y[1] - y[0]);
        dy[1] = y[0] * (rho - y[2]) - y[1];
        dy[2] = y[0] * y[1] - 8.0 / 3.0 * y[2];
    }
}

fn make() -> Integrator<'static, f64, V3, ExplicitRk<f64, V3>> {
    Integrator::new(ExplicitRk::dopri5()).tol(1e-9)
}

fn same(a: &Solution<f64, V3>, b: &Solution<f64, V3>) {
    assert_eq!(a.t, b.t);
    assert_eq!(a.y, b.y);
    assert_eq!(a.stats, b.stats);
    assert_eq!(a.status, b.status);
}

#[test]
fn a_lorenz_sweep_equals_serial_solves_member_by_member() {
    for reuse in [false, true] {
        lorenz_sweep(reuse);
    }
}

fn lorenz_sweep(reuse: bool) {
    let rhos: Vec<f64> = (0..64).map(|i| 0.5 + i as f64 * 0.75).collect();
    let out = Ensemble::new(make)
        .reuse_integrators(reuse)
        .solve(&rhos, |integ, &rho| {
            integ.solve(lorenz(rho), 0.0, 5.0, V3::from([1.0, 1.0, 1.0]))
        });
    assert_eq!(out.len(), rhos.len());
    assert_eq!(out.failed(), 0);
    let mut nfev = 0;
    for (i, (&rho, member)) in rhos.iter().zip(&out.members).enumerate() {
        let serial = make()
            .solve(lorenz(rho), 0.0, 5.0, V3::from([1.0, 1.0, 1.0]))
            .unwrap();
        same(member.as_ref().unwrap(), &serial);
        assert_eq!(out.stats(i), &serial.stats);
        nfev += serial.stats.nfev;
    }
    assert_eq!(out.total_nfev(), nfev);
    // Different members did different work (the order is not a coincidence).
    assert_ne!(out.stats(0).nfev, out.stats(63).nfev);
}

#[test]
fn initial_conditions_with_a_rosenbrock_method_match_the_exact_solution() {
    // x' = v, v' = -x from (cos a, -sin a): at t = 2 pi the state is back.
    type V2 = SVector<f64, 2>;
    let phases: Vec<f64> = (0..40).map(|i| i as f64 * 0.157).collect();
    let make = || Integrator::new(Rosenbrock::<f64, V2>::rodas5p()).tol(1e-9);
    let f = |_t: f64, y: &V2, dy: &mut V2| {
        dy[0] = y[1];
        dy[1] = -y[0];
    };
    let tau = std::f64::consts::TAU;
    let out = Ensemble::new(make).solve(&phases, |integ, &a| {
        integ.solve(f, 0.0, tau, V2::from([a.cos(), -a.sin()]))
    });
    for (&a, member) in phases.iter().zip(&out.members) {
        let sol = member.as_ref().unwrap();
        let end = sol.last_state();
        assert!((end[0] - a.cos()).abs() < 1e-6 && (end[1] + a.sin()).abs() < 1e-6);
        let serial = make().solve(f, 0.0, tau, V2::from([a.cos(), -a.sin()])).unwrap();
        assert_eq!(sol.y, serial.y);
        assert_eq!(sol.stats, serial.stats);
    }
}

#[test]
fn a_failing_or_panicking_member_does_not_lose_the_others() {
    for reuse in [false, true] {
        failing_members(reuse);
    }
}

fn failing_members(reuse: bool) {
    // Member 1: invalid span; member 3: a step budget too small; member 5:
    // the right-hand side panics.
    let inputs: Vec<usize> = (0..8).collect();
    let out = Ensemble::new(make)
        .reuse_integrators(reuse)
        .solve(&inputs, |integ, &i| {
            let t_end = if i == 1 { f64::NAN } else { 2.0 };
            integ.options_mut().max_steps = if i == 3 { 5 } else { 100_000 };
            let rho = 28.0 + i as f64;
            integ.solve(
                move |t: f64, y: &V3, dy: &mut V3| {
                    if i == 5 && t > 0.5 {
                        panic!("member {i} gave up at t > 0.5");
                    }
                    lorenz(rho)(t, y, dy)
                },
                0.0,
                t_end,
                V3::from([1.0, 1.0, 1.0]),
            )
        });
    assert_eq!(out.failed(), 3);
    let failed: Vec<usize> = out.failures().map(|(i, _)| i).collect();
    assert_eq!(failed, [1, 3, 5]);
    let err = |i: usize| &out.members[i].as_ref().unwrap_err().error;
    assert!(matches!(err(1), SolveError::NonFiniteTime { .. }));
    assert!(matches!(err(3), SolveError::TooManySteps { max_steps: 5, .. }));
    assert_eq!(
        err(5),
        &SolveError::MemberPanicked {
            message: "member 5 gave up at t > 0.5".into()
        }
    );
    // Per-member statistics of a failure: its partial solution's.
    assert!(out.stats(3).nsteps >= 5 && out.stats(3).nfev > 0);
    for i in [0, 2, 4, 6, 7] {
        let sol = out.members[i].as_ref().unwrap();
        assert_eq!(sol.status, Status::Success);
        let serial = make()
            .solve(lorenz(28.0 + i as f64), 0.0, 2.0, V3::from([1.0, 1.0, 1.0]))
            .unwrap();
        same(sol, &serial);
    }
}

#[test]
fn an_empty_ensemble_is_empty() {
    let out = Ensemble::new(make).solve(&[] as &[f64], |integ, &rho| {
        integ.solve(lorenz(rho), 0.0, 1.0, V3::from([1.0, 1.0, 1.0]))
    });
    assert!(out.is_empty());
    assert_eq!(out.total_nfev(), 0);
}

fn assert_send<T: Send>() {}

#[test]
fn solutions_and_failures_are_send() {
    assert_send::<Solution<f64, V3>>();
    assert_send::<Solution<f64, Vec<f64>>>();
    assert_send::<odestride::SolveFailure<f64, V3>>();
    assert_send::<odestride::EnsembleResult<f64, V3>>();
}

// `Integrator` holds its monitors and event closures as `Send` trait
// objects, so it is `Send` (for `Send` steppers and controllers).
#[test]
fn an_integrator_without_monitors_is_send() {
    assert_send::<Integrator<'static, f64, V3, ExplicitRk<f64, V3>>>();
}
