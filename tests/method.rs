//! The run-time method registry: names, serde, and every method solving a problem.
mod common;
use common::*;
use odestride::{Integrator, Method, Options, SolveError, Stepper};

#[test]
fn names_round_trip_through_fromstr_display_and_serde() {
    for m in Method::ALL {
        assert_eq!(m.to_string().parse::<Method>().unwrap(), m);
        let json = serde_json::to_string(&m).unwrap();
        assert_eq!(json, format!("\"{}\"", m.name()));
        assert_eq!(serde_json::from_str::<Method>(&json).unwrap(), m);
    }
    assert_eq!("DOP853".parse::<Method>().unwrap(), Method::Dop853);
    assert_eq!("rk4_doubling".parse::<Method>().unwrap(), Method::Rk4Doubling);
    assert_eq!("ode45".parse::<Method>().unwrap(), Method::Dp5);
    let err = "rk99".parse::<Method>().unwrap_err();
    assert!(err.to_string().contains("dop853") && err.to_string().contains("rk99"));
    assert!(serde_json::from_str::<Method>("\"rk99\"").is_err());
}

#[test]
fn every_method_solves_the_harmonic_oscillator() {
    let t_end = 2.0;
    for m in Method::ALL {
        let st = m.stepper::<f64, V2>();
        assert_eq!(st.order(), m.order());
        let opts = if m.is_adaptive() {
            Options::default().tol(1e-8)
        } else {
            Options::default().fixed_step(1e-3)
        };
        let sol = Integrator::new(st)
            .options(opts)
            .solve(harmonic, 0.0, t_end, V2::new(1.0, 0.0))
            .unwrap();
        let err = max_abs_diff(sol.last_state().as_slice(), harmonic_exact(t_end).as_slice());
        // Euler with h = 1e-3 over [0, 2]: ~2e-3; everything else far better.
        let bound = if matches!(m, Method::Euler | Method::EulerDoubling) {
            5e-3
        } else {
            1e-5
        };
        println!("{m:15} nfev {:6} error {err:.2e}", sol.stats.nfev);
        assert!(err < bound, "{m}: error {err}");
    }
    // A fixed-step method without a step size is a clear error, not a panic.
    let r = Integrator::new(Method::Rk4.stepper::<f64, V2>()).solve(harmonic, 0.0, 1.0, V2::new(1.0, 0.0));
    assert!(matches!(r, Err(f) if matches!(f.error, SolveError::NoErrorEstimate { .. })));
}
