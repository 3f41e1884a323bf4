//! Tolerance proportionality, backward integration, output modes and
//! dense output against analytic solutions.
mod common;
use common::*;
use odestride::{ExplicitRk, Integrator, Options, SaveMode, Status};
use std::f64::consts::PI;

/// Achieved global error for rtol = atol = tol on [0, t_end].
fn achieved<const N: usize>(
    mk: fn() -> ExplicitRk<f64, nalgebra::SVector<f64, N>>,
    f: fn(f64, &nalgebra::SVector<f64, N>, &mut nalgebra::SVector<f64, N>),
    y0: nalgebra::SVector<f64, N>,
    t_end: f64,
    exact: nalgebra::SVector<f64, N>,
    tol: f64,
) -> (f64, usize) {
    let sol = Integrator::new(mk())
        .options(Options::default().tol(tol).save(SaveMode::FinalOnly))
        .solve(f, 0.0, t_end, y0)
        .unwrap();
    (
        max_abs_diff(sol.last_state().as_slice(), exact.as_slice()),
        sol.stats.nfev,
    )
}

fn decay(_t: f64, y: &nalgebra::SVector<f64, 1>, dy: &mut nalgebra::SVector<f64, 1>) {
    dy[0] = -y[0];
}

#[test]
fn tolerance_proportionality() {
    let tols: Vec<f64> = (4..=12).map(|k| 10f64.powi(-k)).collect();
    type Case = (&'static str, Box<dyn Fn(f64) -> (f64, usize)>);
    let cases: Vec<Case> = vec![
        (
            "DP5 harmonic",
            Box::new(|tol| {
                achieved(
                    ExplicitRk::dopri5,
                    harmonic,
                    V2::from([1.0, 0.0]),
                    10.0,
                    harmonic_exact(10.0),
                    tol,
                )
            }),
        ),
        (
            "DP5 decay",
            Box::new(|tol| {
                achieved(
                    ExplicitRk::dopri5,
                    decay,
                    nalgebra::SVector::<f64, 1>::from([1.0]),
                    10.0,
                    nalgebra::SVector::<f64, 1>::from([(-10.0f64).exp()]),
                    tol,
                )
            }),
        ),
        (
            "BS3 harmonic",
            Box::new(|tol| {
                achieved(
                    ExplicitRk::bs3,
                    harmonic,
                    V2::from([1.0, 0.0]),
                    10.0,
                    harmonic_exact(10.0),
                    tol,
                )
            }),
        ),
    ];
    for (name, run) in cases {
        let res: Vec<(f64, usize)> = tols.iter().map(|t| run(*t)).collect();
        let errs: Vec<f64> = res.iter().map(|r| r.0).collect();
        let slope = loglog_slope(&tols, &errs);
        println!(
            "{name}: (tol, err, nfev) {:?}",
            tols.iter().zip(&res).collect::<Vec<_>>()
        );
        println!("{name}: d log err / d log tol = {slope:.3}");
        // the error falls steadily: every tenfold tightening gains accuracy
        for w in errs.windows(2) {
            assert!(w[1] < w[0], "{name}: error did not fall: {errs:?}");
        }
        // and proportionally (slope near 1, within what the method allows)
        assert!(slope > 0.75 && slope < 1.25, "{name}: slope {slope}");
        // the error stays within a modest factor of the tolerance
        for (tol, e) in tols.iter().zip(&errs) {
            assert!(*e < 100.0 * tol, "{name}: error {e} at tol {tol}");
        }
    }
}

#[test]
fn backward_integration_recovers_the_start() {
    // Kepler e = 0.5: forward one period, then back to t = 0.
    let tol = 1e-10;
    let y0 = kepler_y0(0.5);
    let fwd = Integrator::new(ExplicitRk::dopri5())
        .tol(tol)
        .solve(kepler, 0.0, 2.0 * PI, y0)
        .unwrap();
    let back = Integrator::new(ExplicitRk::dopri5())
        .tol(tol)
        .solve(kepler, 2.0 * PI, 0.0, *fwd.last_state())
        .unwrap();
    assert_eq!(back.status, Status::Success);
    assert_eq!(*back.t.last().unwrap(), 0.0);
    assert!(back.t.windows(2).all(|w| w[1] < w[0]), "times must decrease");
    let err = max_abs_diff(back.last_state().as_slice(), y0.as_slice());
    println!(
        "forward+backward error {err:.3e} ({} + {} steps)",
        fwd.stats.naccept, back.stats.naccept
    );
    assert!(err < 1e3 * tol, "error {err}");
    // Backward from the exact state at t = 2 pi matches the exact solution on the way.
    let sol = Integrator::new(ExplicitRk::dopri5())
        .options(Options::default().tol(1e-10).save_at(vec![5.0, 3.0, 1.0]))
        .solve(kepler, 2.0 * PI, 0.0, y0)
        .unwrap();
    assert_eq!(sol.t, vec![5.0, 3.0, 1.0]);
    for (t, y) in sol.t.iter().zip(&sol.y) {
        let e = max_abs_diff(y.as_slice(), kepler_exact(0.5, *t).as_slice());
        assert!(e < 1e-7, "t = {t}: error {e}");
    }
}

#[test]
fn save_at_and_dense_output_match_the_exact_solution() {
    let times: Vec<f64> = (0..=40).map(|i| i as f64 * 0.25).collect();
    let sol = Integrator::new(ExplicitRk::dopri5())
        .options(Options::default().tol(1e-10).save_at(times.clone()).dense(true))
        .solve(harmonic, 0.0, 10.0, V2::from([1.0, 0.0]))
        .unwrap();
    assert_eq!(sol.t, times);
    let mut worst = 0.0f64;
    for (t, y) in sol.t.iter().zip(&sol.y) {
        worst = worst.max(max_abs_diff(y.as_slice(), harmonic_exact(*t).as_slice()));
    }
    println!("save_at worst error {worst:.3e}");
    assert!(worst < 1e-8);
    // the kept interpolant, anywhere in the span
    let mut worst = 0.0f64;
    for i in 0..=997 {
        let t = i as f64 * 10.0 / 997.0;
        let y = sol.at(t).unwrap();
        worst = worst.max(max_abs_diff(y.as_slice(), harmonic_exact(t).as_slice()));
    }
    println!("dense worst error {worst:.3e}");
    assert!(worst < 1e-8);
    for t in [-0.1, 10.1] {
        assert_eq!(
            sol.at(t),
            Err(odestride::QueryError::OutsideSpan {
                t,
                start: 0.0,
                end: 10.0
            })
        );
    }
}

#[test]
fn per_component_tolerances_equal_scalar_ones_when_equal() {
    let a = Integrator::new(ExplicitRk::dopri5())
        .options(Options::default().tol(1e-8))
        .solve(arenstorf, 0.0, AREN_T, arenstorf_y0())
        .unwrap();
    let b = Integrator::new(ExplicitRk::dopri5())
        .options(
            Options::default()
                .rtol_per_component(vec![1e-8; 4])
                .atol_per_component(vec![1e-8; 4]),
        )
        .solve(arenstorf, 0.0, AREN_T, arenstorf_y0())
        .unwrap();
    assert_eq!(a.stats.nfev, b.stats.nfev);
    assert_eq!(a.last_state(), b.last_state());
    // A loose tolerance on the velocities alone costs fewer steps and still
    // keeps positions accurate to the position tolerance scale.
    let c = Integrator::new(ExplicitRk::dopri5())
        .options(
            Options::default()
                .rtol(1e-8)
                .atol_per_component(vec![1e-8, 1e-8, 1.0, 1.0]),
        )
        .solve(arenstorf, 0.0, AREN_T, arenstorf_y0())
        .unwrap();
    assert!(c.stats.nfev < a.stats.nfev);
}

#[test]
fn f32_states_work() {
    let f = |_t: f32, y: &nalgebra::SVector<f32, 2>, dy: &mut nalgebra::SVector<f32, 2>| {
        dy[0] = y[1];
        dy[1] = -y[0];
    };
    let sol = Integrator::new(ExplicitRk::dopri5())
        .tol(1e-5f32)
        .solve(
            f,
            0.0f32,
            2.0 * std::f32::consts::PI,
            nalgebra::SVector::<f32, 2>::new(1.0, 0.0),
        )
        .unwrap();
    let y = sol.last_state();
    let err = (y[0] - 1.0).abs().max(y[1].abs());
    println!("f32 harmonic error {err:e}");
    assert!(err < 1e-4);
    // arrays and scalars as states
    let sol = Integrator::new(ExplicitRk::bs3())
        .tol(1e-8)
        .solve(
            |_t: f64, y: &[f64; 1], dy: &mut [f64; 1]| dy[0] = -y[0],
            0.0,
            1.0,
            [1.0],
        )
        .unwrap();
    assert!((sol.last_state()[0] - (-1.0f64).exp()).abs() < 1e-6);
    let sol = Integrator::new(ExplicitRk::dopri5())
        .tol(1e-6f32)
        .solve(|_t: f32, y: &f32, dy: &mut f32| *dy = -*y, 0.0, 1.0, 1.0f32)
        .unwrap();
    assert!((sol.last_state() - (-1.0f32).exp()).abs() < 1e-5);
}

#[test]
fn dvector_states_work() {
    let n = 50;
    // independent decays y_i' = -(i+1) y_i
    let f = |_t: f64, y: &nalgebra::DVector<f64>, dy: &mut nalgebra::DVector<f64>| {
        for i in 0..y.len() {
            dy[i] = -((i + 1) as f64) * y[i] / n as f64;
        }
    };
    let sol = Integrator::new(ExplicitRk::dopri5())
        .tol(1e-10)
        .solve(f, 0.0, 2.0, nalgebra::DVector::from_element(n, 1.0))
        .unwrap();
    let y = sol.last_state();
    let err = (0..n)
        .map(|i| (y[i] - (-2.0 * (i + 1) as f64 / n as f64).exp()).abs())
        .fold(0.0, f64::max);
    assert!(err < 1e-9, "{err}");
}

#[test]
fn serde_roundtrip_of_solution_stats_and_options() {
    let opts = Options::default().tol(1e-7).save_at(vec![1.0, 2.0]).dense(true);
    let sol = Integrator::new(ExplicitRk::dopri5())
        .options(opts.clone())
        .solve(harmonic, 0.0, 3.0, V2::from([1.0, 0.0]))
        .unwrap();
    let json = serde_json::to_string(&sol).unwrap();
    let back: odestride::Solution<f64, V2> = serde_json::from_str(&json).unwrap();
    assert_eq!(back, sol);
    assert_eq!(back.at(1.5), sol.at(1.5));
    let o: Options<f64> = serde_json::from_str(&serde_json::to_string(&opts).unwrap()).unwrap();
    assert_eq!(o, opts);
    let st: odestride::Stats = serde_json::from_str(&serde_json::to_string(&sol.stats).unwrap()).unwrap();
    assert_eq!(st, sol.stats);
}

/// A PI controller survives a serde round trip with its history: the
/// restored controller proposes exactly the step the original does (its
/// cached `ln(err_old)` is rebuilt on deserialisation, not left at zero).
#[test]
fn pi_controller_serde_round_trip_keeps_its_history() {
    use odestride::controller::Decision;
    use odestride::{PiController, StepController};
    let mut c = PiController::<f64>::dopri5();
    c.commit(0.1, 0.37);
    let json = serde_json::to_string(&c).unwrap();
    let back: PiController<f64> = serde_json::from_str(&json).unwrap();
    assert_eq!(back, c);
    let next = |c: &PiController<f64>| match c.decide(0.1, 0.5, 5) {
        Decision::Accept { h_next } => h_next,
        Decision::Reject { .. } => panic!("err 0.5 must be accepted"),
    };
    // Hairer's formula: h * 0.9 * err^-(1/5 - 0.75 beta) * err_old^beta, beta = 0.04.
    let expected = 0.1 * 0.9 * 0.5f64.powf(-(0.2 - 0.03)) * 0.37f64.powf(0.04);
    assert!((next(&c) - expected).abs() < 1e-15, "{} vs {expected}", next(&c));
    assert_eq!(next(&back), next(&c));
}
