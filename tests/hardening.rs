//! Issue 13: hostile input and misbehaving callbacks. Every case gets a typed
//! error naming the real cause (with the partial solution), or a correct
//! answer checked against an exact solution; never a panic or a silent wrong
//! answer.
mod common;
use common::*;
use odestride::monitor::{AcceptedStep, AfterStep, Candidate, Monitor, Verdict};
use odestride::tableau::ALL;
use odestride::{
    Event, ExplicitRk, Integrator, Invariant, InvariantMonitor, Options, SaveMode, Solution, SolveError,
    SolveFailure, Status, StepDoubling,
};

type R<S> = Result<Solution<f64, S>, SolveFailure<f64, S>>;

fn dp5<S: odestride::State<f64>>() -> Integrator<'static, f64, S, ExplicitRk<f64, S>> {
    Integrator::new(ExplicitRk::dopri5())
}

fn failure<S: odestride::State<f64>>(r: R<S>) -> SolveFailure<f64, S> {
    match r {
        Ok(s) => panic!("expected an error, got {:?} at t = {}", s.status, s.last_time()),
        Err(f) => f,
    }
}

fn option_name(e: &SolveError) -> &str {
    match e {
        SolveError::InvalidOption { name, .. } => name,
        other => panic!("expected InvalidOption, got {other:?}"),
    }
}

// ------------------------------------------------------------ 1. atol = 0

/// Pure relative control with a component that stays exactly 0: it used to
/// make the norm 0/0 = NaN and the solve fail blaming the right-hand side.
#[test]
fn pure_relative_control_with_an_identically_zero_component() {
    // harmonic oscillator in (y0, y1), y2' = 0 with y2(0) = 0
    let f = |_t: f64, y: &V3, dy: &mut V3| *dy = V3::new(y[1], -y[0], 0.0);
    for tab in [
        ExplicitRk::dopri5(),
        ExplicitRk::dop853(),
        ExplicitRk::vern9(),
        ExplicitRk::rkf45(),
    ] {
        let name = tab.tableau().name;
        let sol = Integrator::new(tab)
            .options(Options::default().rtol(1e-10).atol(0.0))
            .solve(f, 0.0, 10.0, V3::new(1.0, 0.0, 0.0))
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let y = sol.last_state();
        let e = ((y[0] - 10f64.cos()).abs()).max((y[1] + 10f64.sin()).abs());
        assert!(e < 1e-8, "{name}: error {e}");
        assert_eq!(y[2], 0.0);
        assert_eq!(sol.stats.nreject_nonfinite, 0, "{name}");
    }
}

/// y0 = 0 with atol = 0: the initial step used to come out as 0. Components
/// that start at 0 are measured relative to their value from the first step on.
#[test]
fn pure_relative_control_from_a_zero_initial_state() {
    // y' = cos t, y(0) = 0: y = sin t (scalar, and as the zero component of a pair)
    let sol = dp5::<f64>()
        .rtol(1e-10)
        .atol(0.0)
        .solve(|t: f64, _y: &f64, dy: &mut f64| *dy = t.cos(), 0.0, 3.0, 0.0)
        .unwrap();
    assert!(sol.stats.h_initial > 1e-7 && sol.stats.h_initial.is_finite());
    assert!(
        (sol.last_state() - 3f64.sin()).abs() < 1e-9,
        "{}",
        sol.last_state()
    );
    // y = (sin t, cos t) from (0, 1)
    let sol = dp5::<V2>()
        .rtol(1e-10)
        .atol(0.0)
        .solve(
            |_t: f64, y: &V2, dy: &mut V2| *dy = V2::new(y[1], -y[0]),
            0.0,
            5.0,
            V2::new(0.0, 1.0),
        )
        .unwrap();
    let y = sol.last_state();
    assert!((y[0] - 5f64.sin()).abs() < 1e-9 && (y[1] - 5f64.cos()).abs() < 1e-9);
    // all zero and staying zero: y' = -y from 0
    let sol = dp5::<V2>()
        .rtol(1e-8)
        .atol(0.0)
        .solve(|_t: f64, y: &V2, dy: &mut V2| *dy = -y, 0.0, 4.0, V2::zeros())
        .unwrap();
    assert_eq!(sol.last_state(), &V2::zeros());
    assert_eq!(sol.last_time(), 4.0);
}

// ------------------------------------------------------------ 2. error_weights

#[test]
fn error_weights_are_validated() {
    let y0 = V2::new(1.0, 0.0);
    for (w, name) in [
        (vec![1.0, f64::NAN], "error_weights[1]"),
        (vec![-1.0, 1.0], "error_weights[0]"),
        (vec![1.0, f64::INFINITY], "error_weights[1]"),
        (vec![0.0, 0.0], "error_weights"),
    ] {
        let f = failure(
            dp5()
                .options(Options::default().error_weights(w.clone()))
                .solve(harmonic, 0.0, 1.0, y0),
        );
        assert_eq!(option_name(&f.error), name, "{w:?}");
        assert!(!f.to_string().contains("right-hand side"), "{f}");
        // the partial solution holds the initial state
        assert_eq!((f.partial.t.clone(), *f.partial.last_state()), (vec![0.0], y0));
    }
    // a zero weight on one component is fine: that component is not controlled
    let sol = dp5()
        .options(Options::default().tol(1e-10).error_weights(vec![1.0, 0.0]))
        .solve(harmonic, 0.0, 1.0, y0)
        .unwrap();
    assert!((sol.last_state()[0] - 1f64.cos()).abs() < 1e-8);
}

// ------------------------------------------------------------ 3. step bounds

#[test]
fn inconsistent_step_bounds_are_rejected_up_front() {
    let y0 = V2::new(1.0, 0.0);
    let cases: Vec<(Options<f64>, &str)> = vec![
        (Options::default().h_min(0.5).h_max(0.1), "h_min"),
        (Options::default().h_min(2.0), "h_min"),
        (Options::default().h_min(0.1).h0(0.01), "h0"),
        (Options::default().h_max(1e-20), "h_max"),
        (Options::default().fixed_step(0.5).h_max(0.1), "fixed_step"),
        (Options::default().fixed_step(1e-15), "fixed_step"),
    ];
    for (o, name) in cases {
        let f = failure(dp5().options(o.clone()).solve(harmonic, 1.0, 2.0, y0));
        assert_eq!(option_name(&f.error), name, "{o:?}");
        assert_eq!(f.partial.stats.nfev, 0);
    }
    // h0 below the resolution of t0
    let f = failure(
        dp5()
            .options(Options::default().h0(1e-12))
            .solve(harmonic, 1e6, 1e6 + 1.0, y0),
    );
    assert_eq!(option_name(&f.error), "h0");
    // a span below the resolution of t is one step, not a failure
    let t0 = 1e6;
    let t1 = t0 + 4.0 * f64::EPSILON * t0;
    let sol = dp5().solve(harmonic, t0, t1, y0).unwrap();
    assert_eq!((sol.last_time(), sol.stats.naccept), (t1, 1));
}

// ------------------------------------------------------------ 4. save_at, zero span

#[test]
fn empty_save_at_is_an_error_and_zero_span_dense_output_works() {
    let y0 = V2::new(1.0, 0.0);
    let f = failure(
        dp5()
            .options(Options::default().save(SaveMode::At(vec![])))
            .solve(harmonic, 0.0, 1.0, y0),
    );
    assert_eq!(option_name(&f.error), "save_at");
    assert!(f.to_string().contains("FinalOnly"));
    // t0 == t_end with dense output: at(t0) is y0
    let sol = dp5()
        .options(Options::default().dense(true))
        .solve(harmonic, 2.0, 2.0, y0)
        .unwrap();
    assert_eq!(sol.at(2.0), Ok(y0));
    assert!(matches!(
        sol.at(2.1),
        Err(odestride::QueryError::OutsideSpan { .. })
    ));
    // failing before the first accepted step: the partial dense output is the initial point
    let nan_after = |t: f64, y: &V2, dy: &mut V2| {
        harmonic(t, y, dy);
        if t > 0.0 {
            dy[0] = f64::NAN;
        }
    };
    let f = failure(
        dp5()
            .options(Options::default().dense(true))
            .solve(nan_after, 0.0, 1.0, y0),
    );
    assert!(
        matches!(f.error, SolveError::NonFiniteRejections { .. }),
        "{}",
        f.error
    );
    assert_eq!(f.partial.at(0.0), Ok(y0));
}

// ------------------------------------------------------------ 5. the real reason

struct VetoFrom(f64);
impl Monitor<f64, V2> for VetoFrom {
    fn name(&self) -> &str {
        "gate"
    }
    fn check(&mut self, c: &Candidate<f64, V2>) -> Verdict<f64> {
        if c.t_new > self.0 {
            Verdict::Veto {
                factor: 0.5,
                reason: "closed".into(),
            }
        } else {
            Verdict::Accept
        }
    }
}

#[test]
fn the_error_names_nan_or_the_monitor_not_the_step_size() {
    // f is NaN for t > 1 (the default max_consecutive_rejects = 50 is not
    // reached: h hits the floor first, which used to say "step size too small")
    let f = |t: f64, y: &V2, dy: &mut V2| {
        harmonic(t, y, dy);
        if t > 1.0 {
            dy[1] = f64::NAN;
        }
    };
    for (name, r) in [
        ("dp5", dp5().tol(1e-8).solve(f, 0.0, 3.0, V2::new(1.0, 0.0))),
        (
            "vern9",
            Integrator::new(ExplicitRk::vern9())
                .tol(1e-8)
                .solve(f, 0.0, 3.0, V2::new(1.0, 0.0)),
        ),
        (
            "rk4 doubling",
            Integrator::new(StepDoubling::rk4())
                .tol(1e-8)
                .solve(f, 0.0, 3.0, V2::new(1.0, 0.0)),
        ),
    ] {
        let fail = failure(r);
        assert!(
            matches!(fail.error, SolveError::NonFiniteRejections { .. }),
            "{name}: {}",
            fail.error
        );
        let msg = fail.to_string();
        assert!(msg.contains("NaN") && !msg.contains("singularity"), "{msg}");
        let tl = fail.partial.last_time();
        assert!((1.0 - 1e-6..=1.0).contains(&tl), "{name}: stopped at {tl}");
        let e = max_abs_diff(
            fail.partial.last_state().as_slice(),
            harmonic_exact(tl).as_slice(),
        );
        assert!(e < 1e-7, "{name}: {e}");
    }
    // a monitor vetoing everything past t = 1 (default rejection limit)
    let fail = failure(
        dp5()
            .tol(1e-8)
            .monitor(VetoFrom(1.0))
            .solve(harmonic, 0.0, 3.0, V2::new(1.0, 0.0)),
    );
    match &fail.error {
        SolveError::Vetoed {
            monitor,
            reason,
            vetoes,
            ..
        } => {
            assert_eq!((monitor.as_str(), reason.as_str()), ("gate", "closed"));
            assert!(*vetoes >= 1);
        }
        e => panic!("{e:?}"),
    }
    let tl = fail.partial.last_time();
    assert!((0.5..=1.0).contains(&tl), "{tl}");
    assert!(
        max_abs_diff(
            fail.partial.last_state().as_slice(),
            harmonic_exact(tl).as_slice()
        ) < 1e-7
    );
    // the error test itself still reports a too-small step at a singularity:
    // y' = y^2, y(0) = 1 blows up at t = 1
    let fail = failure(
        Integrator::new(ExplicitRk::dopri5())
            .tol(1e-8)
            .detect_blowup(odestride::BlowUpConfig::off())
            .solve(|_t: f64, y: &f64, dy: &mut f64| *dy = y * y, 0.0, 2.0, 1.0),
    );
    assert!(matches!(fail.error, SolveError::StepSizeTooSmall { t, .. } if (t - 1.0).abs() < 1e-6));
}

/// A monitor whose `max_step` is unusable, and a cap below the time resolution.
struct Cap(f64);
impl Monitor<f64, V2> for Cap {
    fn name(&self) -> &str {
        "cap"
    }
    fn max_step(&self) -> Option<f64> {
        Some(self.0)
    }
}

#[test]
fn unusable_monitor_caps_name_the_monitor() {
    for cap in [0.0, f64::NAN, 1e-300] {
        let fail = failure(
            dp5()
                .monitor(Cap(cap))
                .solve(harmonic, 0.0, 1.0, V2::new(1.0, 0.0)),
        );
        assert!(
            matches!(&fail.error, SolveError::MonitorFault { monitor, .. } if monitor == "cap"),
            "cap {cap}: {}",
            fail.error
        );
        assert!(fail.partial.last_state().iter().all(|v| v.is_finite()));
    }
    // a genuine cap is honoured
    let sol = dp5()
        .monitor(Cap(0.01))
        .solve(harmonic, 0.0, 1.0, V2::new(1.0, 0.0))
        .unwrap();
    assert!(sol.stats.h_max_accepted <= 0.01 + 1e-15);
}

// ------------------------------------------------------------ 6. monitor writes NaN

struct Poison;
impl Monitor<f64, V2> for Poison {
    fn name(&self) -> &str {
        "poison"
    }
    fn accepted(&mut self, s: &mut AcceptedStep<f64, V2>) -> AfterStep<f64> {
        if s.t > 0.5 {
            s.y[1] = f64::NAN;
            // (even claiming not to have changed anything)
            return AfterStep::Continue;
        }
        AfterStep::Continue
    }
}

#[test]
fn a_monitor_writing_nan_is_an_error_naming_it() {
    for save in [SaveMode::EveryStep, SaveMode::FinalOnly] {
        let fail = failure(
            dp5()
                .options(Options::default().save(save))
                .monitor(Poison)
                .solve(harmonic, 0.0, 2.0, V2::new(1.0, 0.0)),
        );
        match &fail.error {
            SolveError::MonitorFault { monitor, t, problem } => {
                assert_eq!(monitor, "poison");
                assert!(*t > 0.5 && problem.contains("NaN") && problem.contains("component 1"));
            }
            e => panic!("{e:?}"),
        }
        let p = &fail.partial;
        let tl = p.last_time();
        assert!(tl <= 0.5 + 0.5, "{tl}");
        assert!(max_abs_diff(p.last_state().as_slice(), harmonic_exact(tl).as_slice()) < 1e-5);
    }
}

// ------------------------------------------------------------ 7. projection and dense output

fn kepler_energy(_t: f64, y: &V4) -> f64 {
    0.5 * (y[2] * y[2] + y[3] * y[3]) - 1.0 / (y[0] * y[0] + y[1] * y[1]).sqrt()
}

#[test]
fn dense_output_and_save_at_show_the_projected_states() {
    let e = 0.6;
    let opts = || Options::default().tol(1e-7);
    let mut mon = InvariantMonitor::new(Invariant::new("energy", kepler_energy)).project(true);
    let steps = dp5()
        .options(opts().dense(true))
        .monitor(&mut mon)
        .solve(kepler, 0.0, 20.0, kepler_y0(e))
        .unwrap();
    let max_corr = mon.projection().max_correction;
    assert!(
        max_corr > 1e-12,
        "projection must actually move states: {max_corr}"
    );
    let h0 = kepler_energy(0.0, &kepler_y0(e));
    // every saved (projected) state is the dense output at its time, exactly,
    // and the interpolant approaches it continuously from the left
    let mut worst_jump: f64 = 0.0;
    for (i, (t, y)) in steps.t.iter().zip(&steps.y).enumerate() {
        assert_eq!(steps.at(*t).as_ref(), Ok(y), "step {i}");
        assert!((kepler_energy(*t, y) - h0).abs() < 1e-13);
        if i > 0 {
            // (1e-12 of a step: the solution itself moves by ~1e-13 there)
            let before = steps.at(*t - 1e-12 * (*t - steps.t[i - 1])).unwrap();
            worst_jump = worst_jump.max((before - y).amax());
        }
    }
    assert!(
        worst_jump < 1e-3 * max_corr,
        "jump {worst_jump:e} vs correction {max_corr:e}"
    );
    // save_at at the step times gives the projected states (same step sequence)
    let at = dp5()
        .options(opts().save_at(steps.t.clone()))
        .monitor(InvariantMonitor::new(Invariant::new("energy", kepler_energy)).project(true))
        .solve(kepler, 0.0, 20.0, kepler_y0(e))
        .unwrap();
    assert_eq!(at.y, steps.y);
    // and in between, the dense output follows the exact orbit to the tolerance's order
    let worst = (0..=2000)
        .map(|k| {
            let t = 20.0 * k as f64 / 2000.0;
            (steps.at(t).unwrap() - kepler_exact(e, t)).amax()
        })
        .fold(0.0, f64::max);
    assert!(worst < 1e-4, "{worst}");
}

// ------------------------------------------------------------ 8. fixed step

#[test]
fn fixed_step_veto_is_an_error_and_times_stay_on_the_grid() {
    let fail = failure(
        Integrator::new(ExplicitRk::rk4())
            .options(Options::default().fixed_step(0.1))
            .monitor(VetoFrom(0.55))
            .solve(harmonic, 0.0, 1.0, V2::new(1.0, 0.0)),
    );
    match &fail.error {
        SolveError::FixedStepVetoed { monitor, t, .. } => {
            assert_eq!(monitor, "gate");
            assert!((t - 0.5).abs() < 1e-12);
        }
        e => panic!("{e:?}"),
    }
    let ts = &fail.partial.t;
    assert!(ts.windows(2).all(|w| w[1] > w[0]), "{ts:?}");
    // a monitor's cap does not bend the fixed grid (it used to make times repeat)
    let sol = Integrator::new(ExplicitRk::rk4())
        .options(Options::default().fixed_step(0.1))
        .monitor(Cap(0.05))
        .solve(harmonic, 0.0, 1.0, V2::new(1.0, 0.0))
        .unwrap();
    assert_eq!(sol.t.len(), 11);
    for (k, t) in sol.t.iter().enumerate() {
        assert!((t - 0.1 * k as f64).abs() < 1e-15, "{:?}", sol.t);
    }
}

// ------------------------------------------------------------ 9. events

#[test]
fn nan_event_functions_are_errors_naming_the_event() {
    // g is NaN from t = 0.3 on (and y' = 1 so that a spurious sign change
    // would have been "found")
    let g = |t: f64, y: &f64| if t > 0.3 { f64::NAN } else { *y - 5.0 };
    let fail = failure(
        dp5()
            .event(Event::new(|_t: f64, y: &f64| *y - 100.0))
            .event(Event::new(g))
            .solve(|_t: f64, _y: &f64, dy: &mut f64| *dy = 1.0, 0.0, 1.0, 0.0),
    );
    assert!(
        matches!(fail.error, SolveError::NonFiniteEvent { index: 1, t, value } if t > 0.3 && value.is_nan()),
        "{}",
        fail.error
    );
    assert!(fail.partial.events.is_empty());
    // NaN already at t0
    let fail = failure(dp5().event(Event::new(|_t: f64, _y: &f64| f64::INFINITY)).solve(
        |_t: f64, _y: &f64, dy: &mut f64| *dy = 1.0,
        0.0,
        1.0,
        0.0,
    ));
    assert!(matches!(fail.error, SolveError::NonFiniteEvent { index: 0, t, .. } if t == 0.0));
}

#[test]
fn directional_events_do_not_fire_on_a_touch() {
    // y' = 1 with fixed steps of 0.25, integrated exactly by RK4: y = t.
    // g = -(y - 1)^2 touches 0 from below at the step boundary t = 1.
    let run = |ev: Event<'static, f64, f64>| {
        Integrator::new(ExplicitRk::rk4())
            .options(Options::default().fixed_step(0.25))
            .event(ev)
            .solve(|_t: f64, _y: &f64, dy: &mut f64| *dy = 1.0, 0.0, 2.0, 0.0)
            .unwrap()
    };
    let touch = |_t: f64, y: &f64| -(*y - 1.0).powi(2);
    assert!(run(Event::new(touch).rising()).events.is_empty());
    assert!(run(Event::new(touch).falling()).events.is_empty());
    // (an Either event fires on any zero, as documented)
    assert_eq!(run(Event::new(touch)).events.len(), 1);
    // a real crossing exactly at a step boundary fires once, in its direction only
    let cross = |_t: f64, y: &f64| *y - 1.0;
    let r = run(Event::new(cross).rising());
    assert_eq!(
        r.events.iter().map(|e| (e.t, e.y)).collect::<Vec<_>>(),
        vec![(1.0, 1.0)]
    );
    assert!(run(Event::new(cross).falling()).events.is_empty());
    // terminal: the solve ends exactly there, in every save mode
    for save in [
        SaveMode::EveryStep,
        SaveMode::FinalOnly,
        SaveMode::At(vec![0.5, 1.0, 1.5]),
    ] {
        let sol = Integrator::new(ExplicitRk::rk4())
            .options(Options::default().fixed_step(0.25).save(save.clone()).dense(true))
            .event(Event::new(cross).rising().terminal())
            .solve(|_t: f64, _y: &f64, dy: &mut f64| *dy = 1.0, 0.0, 2.0, 0.0)
            .unwrap();
        assert_eq!(sol.status, Status::TerminalEvent { index: 0, t: 1.0 }, "{save:?}");
        assert_eq!((sol.last_time(), *sol.last_state()), (1.0, 1.0), "{save:?}");
        assert!(sol.t.windows(2).all(|w| w[1] > w[0]), "{:?}", sol.t);
        assert_eq!(sol.at(1.0), Ok(1.0));
        assert!(matches!(
            sol.at(1.25),
            Err(odestride::QueryError::OutsideSpan { .. })
        ));
        assert!((sol.at(0.6).unwrap() - 0.6).abs() < 1e-15);
    }
    // a zero at the very end of the span, with nothing after it, does not fire
    let sol = Integrator::new(ExplicitRk::rk4())
        .options(Options::default().fixed_step(0.25))
        .event(Event::new(|_t: f64, y: &f64| *y - 2.0).rising())
        .solve(|_t: f64, _y: &f64, dy: &mut f64| *dy = 1.0, 0.0, 2.0, 0.0)
        .unwrap();
    assert!(sol.events.is_empty());
}

#[test]
fn huge_interior_samples_is_rejected() {
    let fail = failure(
        dp5()
            .event(Event::new(|_t: f64, y: &f64| *y - 0.5).interior_samples(usize::MAX))
            .solve(|_t: f64, _y: &f64, dy: &mut f64| *dy = 1.0, 0.0, 1.0, 0.0),
    );
    assert_eq!(option_name(&fail.error), "event 0: interior_samples");
    // the largest allowed value works
    let sol = dp5()
        .event(
            Event::new(|_t: f64, y: &f64| *y - 0.5).interior_samples(odestride::event::MAX_INTERIOR_SAMPLES),
        )
        .solve(|_t: f64, _y: &f64, dy: &mut f64| *dy = 1.0, 0.0, 1.0, 0.0)
        .unwrap();
    assert_eq!(sol.events.len(), 1);
    assert!((sol.events[0].t - 0.5).abs() < 1e-15);
}

// ------------------------------------------------------------ 10. JSON

#[test]
fn errors_with_nan_and_inf_survive_json() {
    let y0 = V2::new(1.0, f64::NAN);
    let e = failure(dp5().solve(harmonic, 0.0, 1.0, y0)).error;
    let e2 = failure(dp5().solve(harmonic, 0.0, f64::NEG_INFINITY, V2::zeros())).error;
    let e3 = failure(dp5().rtol(f64::INFINITY).solve(harmonic, 0.0, 1.0, V2::zeros())).error;
    for err in [e, e2, e3] {
        let json = serde_json::to_string(&err).unwrap();
        let back: SolveError = serde_json::from_str(&json).unwrap_or_else(|x| panic!("{json}: {x}"));
        // NaN != NaN: compare the messages, which print every field
        assert_eq!(back.to_string(), err.to_string(), "{json}");
        assert_eq!(serde_json::to_string(&back).unwrap(), json);
    }
    // finite values stay numbers; `null` (older files) reads as NaN
    let fin = SolveError::NonFiniteDerivative { t: 0.25 };
    assert_eq!(
        serde_json::to_string(&fin).unwrap(),
        r#"{"NonFiniteDerivative":{"t":0.25}}"#
    );
    let old: SolveError = serde_json::from_str(r#"{"NonFiniteDerivative":{"t":null}}"#).unwrap();
    assert!(matches!(old, SolveError::NonFiniteDerivative { t } if t.is_nan()));
}

// ------------------------------------------------------------ 11. dense output

/// Every method: the dense output reproduces every accepted state exactly
/// and is continuous into it (Vern6 and Vern9's interpolants used to miss
/// their own end point by ~5e-12).
#[test]
fn dense_output_reproduces_every_step_end() {
    for tab in ALL {
        let integ = Integrator::new(ExplicitRk::<f64, V2>::new(tab).unwrap());
        let o = Options::default().tol(1e-10).dense(true);
        let o = if tab.error == odestride::tableau::ErrorEstimate::None {
            o.fixed_step(0.01)
        } else {
            o
        };
        let sol = integ
            .options(o)
            .solve(harmonic, 0.0, 3.0, V2::new(1.0, 0.0))
            .unwrap();
        let d = sol.dense.as_ref().unwrap();
        assert_eq!(d.segments.len() + 1, sol.t.len());
        for (i, seg) in d.segments.iter().enumerate() {
            // the segment's own value at theta = 1 (Horner), against the accepted state
            let sum = seg.coeffs.iter().fold(V2::zeros(), |a, c| a + c);
            let e = (sum - sol.y[i + 1]).amax();
            assert!(e <= 4.0 * f64::EPSILON, "{} step {i}: {e:e}", tab.name);
            assert_eq!(seg.t0 + seg.h, sol.t[i + 1], "{} step {i}", tab.name);
            assert_eq!(sol.at(sol.t[i + 1]), Ok(sol.y[i + 1]), "{} step {i}", tab.name);
        }
    }
}

/// RKF45 and Cash-Karp used the cubic Hermite interpolant, 300-500 times the
/// tolerance off between steps. Measured locally: on every step, the dense
/// output against the exact flow of the harmonic oscillator from the step's
/// start state (a rotation), relative to the tolerance; DP5's own
/// continuous extension is the yardstick.
#[test]
fn rkf45_and_cash_karp_dense_output_is_within_the_tolerance() {
    let tol = 1e-8;
    let local = |stepper: ExplicitRk<f64, V2>| {
        let sol = Integrator::new(stepper)
            .options(Options::default().tol(tol).dense(true))
            .solve(harmonic, 0.0, 20.0, V2::new(1.0, 0.0))
            .unwrap();
        let mut worst: f64 = 0.0;
        for (i, w) in sol.t.windows(2).enumerate() {
            let y = sol.y[i];
            for k in 1..10 {
                let t = w[0] + (w[1] - w[0]) * k as f64 / 10.0;
                let (s, c) = (t - w[0]).sin_cos();
                let exact = V2::new(c * y[0] + s * y[1], -s * y[0] + c * y[1]);
                worst = worst.max((sol.at(t).unwrap() - exact).amax() / tol);
            }
        }
        worst
    };
    let dp5 = local(ExplicitRk::dopri5());
    for (name, stepper) in [("RKF45", ExplicitRk::rkf45()), ("CK5", ExplicitRk::cash_karp())] {
        let r = local(stepper);
        println!("{name}: local dense error {r:.2} x tol (DP5: {dp5:.2} x tol)");
        assert!(r < 3.0, "{name}: {r} x tol");
    }
}

// ------------------------------------------------------------ siblings

/// A monitor moves the state (to finite values) where f is NaN: no step,
/// however small, can start from there, so the error says so at once instead
/// of shrinking the step to its floor.
struct Kick;
impl Monitor<f64, f64> for Kick {
    fn name(&self) -> &str {
        "kick"
    }
    fn accepted(&mut self, s: &mut AcceptedStep<f64, f64>) -> AfterStep<f64> {
        if s.t > 0.3 {
            *s.y = 10.0;
            return AfterStep::Modified;
        }
        AfterStep::Continue
    }
}

#[test]
fn nan_derivative_at_an_accepted_state_is_named() {
    let f = |_t: f64, y: &f64, dy: &mut f64| *dy = if *y > 5.0 { f64::NAN } else { 1.0 };
    let fail = failure(
        dp5()
            .options(Options::default().h_max(0.1))
            .monitor(Kick)
            .solve(f, 0.0, 1.0, 0.0),
    );
    match fail.error {
        SolveError::NonFiniteDerivative { t } => assert!(t > 0.3 && t < 1.0, "{t}"),
        ref e => panic!("{e:?}"),
    }
    assert_eq!(fail.partial.stats.nreject_nonfinite, 0);
    assert_eq!(*fail.partial.last_state(), 10.0);
    // fixed steps: f NaN from t = 0.5 on is reached by RK4's last stage from
    // t = 0.25; the message names the right-hand side as a possible cause
    let g = |t: f64, _y: &f64, dy: &mut f64| *dy = if t >= 0.5 { f64::NAN } else { 1.0 };
    let fail = failure(
        Integrator::new(ExplicitRk::rk4())
            .options(Options::default().fixed_step(0.25))
            .solve(g, 0.0, 1.0, 0.0),
    );
    assert_eq!(fail.error, SolveError::NonFiniteSolution { t: 0.25, h: 0.25 });
    assert!(fail.to_string().contains("right-hand side"));
    assert!((fail.partial.last_state() - 0.25).abs() < 1e-15);
}

#[test]
fn a_controller_proposing_garbage_is_named() {
    use odestride::controller::Limits;
    use odestride::PiController;
    let y0 = V2::new(1.0, 0.0);
    // NaN beta: every proposal is NaN
    let fail = failure(
        dp5()
            .controller(PiController::new(f64::NAN))
            .solve(harmonic, 0.0, 1.0, y0),
    );
    assert!(
        matches!(&fail.error, SolveError::BadStepProposal { proposed, .. } if proposed.is_nan()),
        "{}",
        fail.error
    );
    // min_factor = 1: a rejected step is retried with the same size forever
    let limits = Limits {
        safety: 0.9,
        min_factor: 1.0,
        max_factor: 10.0,
    };
    let fail = failure(
        dp5()
            .controller(PiController::new(0.04).with_limits(limits))
            .options(Options::default().tol(1e-12).h0(1.0))
            .solve(harmonic, 0.0, 1.0, y0),
    );
    assert!(
        matches!(&fail.error, SolveError::BadStepProposal { outcome, h, proposed, .. } if outcome == "rejected" && h == proposed),
        "{}",
        fail.error
    );
}

struct StopWith(Status<f64>);
impl Monitor<f64, V2> for StopWith {
    fn name(&self) -> &str {
        "stopper"
    }
    fn accepted(&mut self, s: &mut AcceptedStep<f64, V2>) -> AfterStep<f64> {
        if s.t > 0.3 {
            AfterStep::Stop(self.0.clone())
        } else {
            AfterStep::Continue
        }
    }
}

#[test]
fn a_monitor_cannot_report_success_before_the_end_or_failure_without_error() {
    let y0 = V2::new(1.0, 0.0);
    let sol = dp5()
        .monitor(StopWith(Status::Success))
        .solve(harmonic, 0.0, 1.0, y0)
        .unwrap();
    assert!(
        matches!(&sol.status, Status::Stopped { monitor, .. } if monitor == "stopper"),
        "{:?}",
        sol.status
    );
    assert!(sol.last_time() > 0.3 && sol.last_time() < 1.0);
    let fail = failure(
        dp5()
            .monitor(StopWith(Status::Failed))
            .solve(harmonic, 0.0, 1.0, y0),
    );
    assert!(matches!(&fail.error, SolveError::MonitorFault { monitor, .. } if monitor == "stopper"));
}

#[test]
fn a_failing_event_function_leaves_consistent_partial_outputs() {
    // g turns NaN inside a step; save_at and dense outputs of that step are dropped
    let g = |t: f64, y: &f64| if t > 2.05 { f64::NAN } else { *y - 10.0 };
    let times: Vec<f64> = (1..40).map(|k| 0.1 * k as f64).collect();
    let fail = failure(
        dp5()
            .options(Options::default().h_max(0.25).save_at(times).dense(true))
            .event(Event::new(g))
            .solve(|_t: f64, _y: &f64, dy: &mut f64| *dy = 1.0, 0.0, 4.0, 0.0),
    );
    assert!(matches!(fail.error, SolveError::NonFiniteEvent { index: 0, .. }));
    let p = &fail.partial;
    let tl = p.last_time();
    assert!(tl <= 2.05 && tl > 1.7, "{tl}");
    assert!(p.t.windows(2).all(|w| w[1] > w[0]), "{:?}", p.t);
    assert!((p.last_state() - tl).abs() < 1e-14);
    assert_eq!(p.at(tl), Ok(*p.last_state()));
    assert!(matches!(
        p.at(tl + 1e-9),
        Err(odestride::QueryError::OutsideSpan { .. })
    ));
}

#[test]
fn degenerate_problems_get_answers_or_errors() {
    // an empty state
    let sol = dp5::<nalgebra::DVector<f64>>()
        .solve(
            |_t: f64, _y: &nalgebra::DVector<f64>, _dy: &mut nalgebra::DVector<f64>| {},
            0.0,
            1.0,
            nalgebra::DVector::zeros(0),
        )
        .unwrap();
    assert_eq!((sol.last_time(), sol.last_state().len()), (1.0, 0));
    // a span that overflows
    let f = failure(dp5().solve(harmonic, -1e308, 1e308, V2::new(1.0, 0.0)));
    assert_eq!(option_name(&f.error), "t_end");
    // a tableau with a NaN coefficient is refused at construction
    static BAD: odestride::tableau::Tableau = odestride::tableau::Tableau {
        b: &[f64::NAN, 0.5],
        ..odestride::tableau::HEUN
    };
    let e = ExplicitRk::<f64, f64>::new(&BAD).unwrap_err();
    assert!(e.to_string().contains("non-finite"), "{e}");
}

/// `h_min` is a floor the steps are raised to, not a trap: the first step
/// (Hairer's heuristic starts far below 0.01 here) used to fail at once with
/// "step size too small".
#[test]
fn h_min_raises_steps_and_fails_only_when_a_step_of_h_min_is_rejected() {
    let y0 = V2::new(1.0, 0.0);
    let sol = dp5()
        .options(Options::default().tol(1e-10).h_min(0.01).h_max(0.05))
        .solve(harmonic, 0.0, 3.0, y0)
        .unwrap();
    assert!(sol.stats.h_min_accepted >= 0.01, "{}", sol.stats.h_min_accepted);
    assert!(max_abs_diff(sol.last_state().as_slice(), harmonic_exact(3.0).as_slice()) < 1e-9);
    // a floor too coarse for the tolerance: rejected at h_min itself
    let fail = failure(
        dp5()
            .options(Options::default().tol(1e-13).h_min(0.5))
            .solve(harmonic, 0.0, 3.0, y0),
    );
    assert!(
        matches!(fail.error, SolveError::StepSizeTooSmall { h_min, .. } if h_min == 0.5),
        "{}",
        fail.error
    );
}

/// Pure relative control on a solution that decays through the subnormal
/// range to exactly 0 (e^-800 underflows): relative accuracy ends at the
/// smallest normal number, where the scale is floored.
#[test]
fn pure_relative_control_through_underflow() {
    let sol = dp5::<V2>()
        .rtol(1e-8)
        .atol(0.0)
        .solve(
            |_t: f64, y: &V2, dy: &mut V2| *dy = V2::new(-y[0], -y[1]),
            0.0,
            800.0,
            V2::new(1.0, 2.0),
        )
        .unwrap();
    let y = sol.last_state();
    assert!(y[0].abs() < 1e-300 && y[1].abs() < 1e-300, "{y:?}");
    // where the exact solution is still normal, it is followed (the global
    // relative error grows by ~rtol per step: 1e-6 after 600 time units)
    let i = sol.t.iter().position(|t| *t > 600.0).unwrap();
    let rel = (sol.y[i][0] / (-sol.t[i]).exp() - 1.0).abs();
    assert!(rel < 1e-5, "relative error {rel:e} at t = {}", sol.t[i]);
    // a subnormal atol behaves like the floor, not like an overflow
    let sol = dp5::<V2>()
        .rtol(1e-8)
        .atol(1e-320)
        .solve(harmonic, 0.0, 3.0, V2::new(1.0, 0.0))
        .unwrap();
    assert!(max_abs_diff(sol.last_state().as_slice(), harmonic_exact(3.0).as_slice()) < 1e-7);
}

// ------------------------------------------------------------ 12. audit

/// An event with an action whose root is t_end itself: the action runs and
/// the solve ends there with Success. It used to restart at t_end and
/// attempt a step of h = 0, failing with a BadStepProposal that blamed the
/// step-size controller.
#[test]
fn an_event_action_at_t_end_ends_the_solve_with_the_changed_state() {
    // y' = 1 from y(t0) = t0 (y = t); g = t - t_end; the action adds 10.
    for (t_end, save) in [
        (1.0, SaveMode::EveryStep),
        (1.0, SaveMode::FinalOnly),
        (-1.0, SaveMode::EveryStep),
    ] {
        let sol = dp5()
            .options(Options::default().save(save.clone()).dense(true))
            .event(Event::new(move |t: f64, _y: &f64| t - t_end).action(|_t, y: &mut f64| *y += 10.0))
            .solve(|_t: f64, _y: &f64, dy: &mut f64| *dy = 1.0, 0.0, t_end, 0.0)
            .unwrap_or_else(|e| panic!("t_end {t_end} {save:?}: {e}"));
        assert_eq!(sol.status, Status::Success, "{t_end} {save:?}");
        assert_eq!(sol.events.len(), 1);
        assert_eq!(sol.events[0].t, t_end);
        assert!((sol.events[0].y - t_end).abs() < 1e-14, "{}", sol.events[0].y);
        assert_eq!(sol.last_time(), t_end);
        assert!(
            (sol.last_state() - (t_end + 10.0)).abs() < 1e-14,
            "{}",
            sol.last_state()
        );
        assert_eq!(sol.at(t_end), Ok(*sol.last_state()));
        assert!((sol.at(0.5 * t_end).unwrap() - 0.5 * t_end).abs() < 1e-14);
    }
}

#[test]
fn the_derivative_at_t_end_after_an_event_action_there_is_the_changed_states() {
    // y' = -y, y(0) = 1, to t_end = +-1; the action at t_end adds 10, so
    // after it y = e^-t_end + 10 and y' = -(e^-t_end + 10), as at(t_end)
    // returns the changed state.
    for t_end in [1.0, -1.0] {
        let sol = dp5()
            .tol(1e-10)
            .dense(true)
            .event(Event::new(move |t: f64, _y: &f64| t - t_end).action(|_t, y: &mut f64| *y += 10.0))
            .solve(|_t: f64, y: &f64, dy: &mut f64| *dy = -*y, 0.0, t_end, 1.0)
            .unwrap();
        let after = (-t_end).exp() + 10.0;
        assert!((sol.at(t_end).unwrap() - after).abs() < 1e-9, "{t_end}");
        let d = sol
            .derivative_at(t_end)
            .unwrap_or_else(|e| panic!("t_end {t_end}: {e}"));
        assert!((d + after).abs() < 1e-9, "t_end {t_end}: {d} vs {}", -after);
        // inside the span, the interpolant's derivative
        let d = sol.derivative_at(0.5 * t_end).unwrap();
        assert!((d + (-0.5 * t_end).exp()).abs() < 1e-8, "{d}");
    }
}

/// Tolerances so small that the scaled error overflows (rtol = atol =
/// 1e-300: err/sc ~ 1e284, squared = inf) on a perfectly smooth problem: the
/// error test rejects the steps and the solve ends with a step size at its
/// floor, naming the tolerances. The norm used to overflow to inf, and the
/// failure blamed NaN from the right-hand side.
#[test]
fn tolerances_below_floating_point_are_not_blamed_on_the_right_hand_side() {
    let y0 = V2::new(1.0, 0.0);
    for (name, r) in [
        (
            "dp5",
            dp5().rtol(1e-300).atol(1e-300).solve(harmonic, 0.0, 1.0, y0),
        ),
        (
            "dop853",
            Integrator::new(ExplicitRk::dop853())
                .rtol(1e-300)
                .atol(1e-300)
                .solve(harmonic, 0.0, 1.0, y0),
        ),
        (
            "rodas5p",
            Integrator::new(odestride::Rosenbrock::rodas5p())
                .rtol(1e-300)
                .atol(1e-300)
                .solve(harmonic, 0.0, 1.0, y0),
        ),
    ] {
        let fail = failure(r);
        // (DOP853 stays at t = 0, where the floor is MIN_POSITIVE, and runs
        // into the rejection limit; the others reach the floor)
        assert!(
            matches!(&fail.error, SolveError::StepSizeTooSmall { .. })
                || matches!(&fail.error, SolveError::TooManyRejections { reason, .. } if reason == "error test"),
            "{name}: {}",
            fail.error
        );
        let msg = fail.to_string();
        assert!(
            msg.contains("tolerances may be too tight") && !msg.contains("right-hand side"),
            "{name}: {msg}"
        );
        assert_eq!(fail.partial.stats.nreject_nonfinite, 0, "{name}");
        assert!(fail.partial.stats.nreject_error > 0, "{name}");
        let tl = fail.partial.last_time();
        assert!(
            max_abs_diff(
                fail.partial.last_state().as_slice(),
                harmonic_exact(tl).as_slice()
            ) < 1e-15
        );
    }
    // the norm: finite (capped) for finite errors, still inf / NaN for inf / NaN ones
    use odestride::{ErrorNorm, Tolerance};
    let norm = ErrorNorm::new(Tolerance::Scalar(1e-300_f64), Tolerance::Scalar(1e-300), None);
    let big = norm.rms(&[1.0, 1.0], &[1.0, 1.0], &[1e-10, 0.0]);
    assert!(big.is_finite() && big > 1e15, "{big}");
    assert_eq!(
        norm.rms(&[1.0, 1.0], &[1.0, 1.0], &[f64::INFINITY, 0.0]),
        f64::INFINITY
    );
    assert!(norm.rms(&[1.0, 1.0], &[1.0, 1.0], &[f64::NAN, 1e-10]).is_nan());
    let (s1, s2) = norm.sum_sq_pair(&[1.0], &[1.0], &[1e-10], &[0.0]);
    assert!(s1.is_finite() && s1 > 1e30 && s2 == 0.0, "{s1} {s2}");
    // ordinary tolerances: the same sums as before
    let norm = ErrorNorm::new(Tolerance::Scalar(1e-6_f64), Tolerance::Scalar(1e-6), None);
    assert_eq!(
        norm.sum_sq(&[1.0], &[1.0], &[2e-6]),
        (2e-6 / (1e-6 + 1e-6)) * (2e-6 / (1e-6 + 1e-6))
    );
}

/// A span below the resolution of t is one step; when the error test
/// rejects that step, it cannot be shortened (any step is the whole span),
/// so the solve ends with StepSizeTooSmall at the floor instead of 51
/// rejections reported as an error estimate that "stays above tolerance".
#[test]
fn a_rejected_step_over_a_span_below_the_resolution_of_t_is_a_step_at_its_floor() {
    // ulp(1e16) = 2: the span [1e16, 1e16 + 4] is 2 ulp, below the floor of
    // 16 ulp; y' = -y over 4 time units misses rtol 1e-10 in one DP5 step.
    let (t0, t1) = (1e16, 1e16 + 4.0);
    let fail = failure(
        dp5::<f64>()
            .tol(1e-10)
            .solve(|_t: f64, y: &f64, dy: &mut f64| *dy = -y, t0, t1, 1.0),
    );
    match fail.error {
        SolveError::StepSizeTooSmall { t, h, h_min } => {
            assert_eq!((t, h), (t0, 4.0));
            assert_eq!(h_min, 16.0 * f64::EPSILON * t0);
        }
        ref e => panic!("{e:?}"),
    }
    assert_eq!((fail.partial.last_time(), *fail.partial.last_state()), (t0, 1.0));
    // a step the error test accepts still covers such a span in one step
    let sol = dp5::<f64>()
        .tol(1e-10)
        .solve(|_t: f64, _y: &f64, dy: &mut f64| *dy = 1.0, t0, t1, 1.0)
        .unwrap();
    assert_eq!((sol.last_time(), sol.stats.naccept), (t1, 1));
    assert!((sol.last_state() - 5.0).abs() < 1e-14, "{}", sol.last_state());
}
