//! The stepping interface, checkpoints and resumption, events that act,
//! budgets and the step observer. Every number is checked against an
//! analytic solution or against the uninterrupted solve.

use odestride::checkpoint::Checkpoint;
use odestride::{
    Budget, Event, ExplicitRk, Integrator, Method, Options, Progress, SaveMode, Solution, SolveError, Status,
};
use std::f64::consts::PI;

type V2 = [f64; 2];

fn oscillator(_t: f64, y: &V2, dy: &mut V2) {
    dy[0] = y[1];
    dy[1] = -y[0];
}

/// Van der Pol with mu = 50: stiff on the slow manifold, not in the fast
/// jumps, so `auto` switches both ways.
fn vdp(_t: f64, y: &V2, dy: &mut V2) {
    dy[0] = y[1];
    dy[1] = 50.0 * (1.0 - y[0] * y[0]) * y[1] - y[0];
}

#[test]
fn stepped_solve_takes_exactly_the_steps_of_a_plain_solve() {
    let plain = Integrator::new(ExplicitRk::dop853())
        .tol(1e-9)
        .solve(oscillator, 0.0, 20.0, [1.0, 0.0])
        .unwrap();
    let mut integ = Integrator::new(ExplicitRk::dop853()).tol(1e-9);
    let mut run = integ.start(oscillator, 0.0, 20.0, [1.0, 0.0]).unwrap();
    let mut n = 0;
    while run.step().unwrap() == Progress::Stepped {
        n += 1;
    }
    let stepped = run.into_solution().unwrap();
    assert_eq!(n + 1, plain.stats.naccept);
    assert_eq!(stepped.t, plain.t);
    assert_eq!(stepped.y, plain.y);
    assert_eq!(stepped.stats, plain.stats);
    assert!((plain.last_state()[0] - 20f64.cos()).abs() < 1e-8);
}

#[test]
fn advance_to_lands_on_the_time_and_interpolation_matches_the_solution() {
    let mut integ = Integrator::new(ExplicitRk::dopri5()).tol(1e-10);
    let mut run = integ.start(oscillator, 0.0, 10.0, [1.0, 0.0]).unwrap();
    for k in 1..=9 {
        let t = k as f64;
        assert_eq!(run.advance_to(t).unwrap(), Progress::Stepped);
        assert_eq!(run.t(), t);
        assert!((run.y()[0] - t.cos()).abs() < 1e-9, "t = {t}");
        // Inside the last step, the dense output (order 4) to ~tolerance.
        let (t_prev, h) = run.last_step().unwrap();
        let tm = t_prev + 0.37 * h;
        let ym = run.interpolate(tm).unwrap();
        assert!((ym[0] - tm.cos()).abs() < 1e-9 && (ym[1] + tm.sin()).abs() < 1e-9);
        assert!(run.interpolate(t + 1.0).is_none());
    }
    assert!(matches!(
        run.advance_to(10.0).unwrap(),
        Progress::Finished(Status::Success)
    ));
    // Stop times in the past or beyond the end are errors that name the call.
    let err = run.add_stop_time(5.0).unwrap_err();
    assert!(matches!(err, SolveError::InvalidStepping { .. }), "{err}");
}

#[test]
fn set_state_restarts_the_solve_from_the_new_state() {
    // y' = -y; at t = 1 the state is doubled: y(2) = 2 e^-2.
    let f = |_t: f64, y: &f64, dy: &mut f64| *dy = -y;
    let mut integ = Integrator::new(ExplicitRk::dopri5()).tol(1e-11);
    let mut run = integ.start(f, 0.0, 2.0, 1.0).unwrap();
    run.advance_to(1.0).unwrap();
    let y1 = *run.y();
    assert!((y1 - (-1f64).exp()).abs() < 1e-11);
    run.set_state(2.0 * y1).unwrap();
    assert!(run.set_state(f64::NAN).is_err());
    let sol = run.run().unwrap();
    assert!((sol.last_state() - 2.0 * (-2f64).exp()).abs() < 1e-11);
    // Both states are in the solution at t = 1.
    let at1: Vec<f64> = sol
        .t
        .iter()
        .zip(&sol.y)
        .filter(|(t, _)| **t == 1.0)
        .map(|(_, y)| *y)
        .collect();
    assert_eq!(at1, vec![y1, 2.0 * y1]);
}

/// Solves `f` from `t0` with `method`, checkpoints after `k` steps, writes
/// the checkpoint as JSON, reads it back and resumes; the resumed solution
/// must equal the uninterrupted one bit for bit from step `k` on.
fn resume_matches(method: Method, f: fn(f64, &V2, &mut V2), y0: V2, t_end: f64, tol: f64, k: usize) {
    let opts = || Options::default().tol(tol).dense(true);
    let full = Integrator::new(method.stepper())
        .options(opts())
        .solve(f, 0.0, t_end, y0)
        .unwrap_or_else(|e| panic!("{}: {e}", method.name()));
    assert!(full.stats.naccept > k + 5, "{}: too few steps", method.name());
    let mut integ = Integrator::new(method.stepper()).options(opts());
    let mut run = integ.start(f, 0.0, t_end, y0).unwrap();
    for _ in 0..k {
        run.step().unwrap();
    }
    let json = serde_json::to_string(&run.checkpoint()).unwrap();
    drop(run);
    let cp: Checkpoint<f64, V2> = serde_json::from_str(&json).unwrap();
    let tail: Solution<f64, V2> = Integrator::new(method.stepper())
        .resume(f, cp)
        .unwrap()
        .run()
        .unwrap();
    let name = method.name();
    assert_eq!(tail.t.as_slice(), &full.t[k..], "{name}: times");
    assert_eq!(tail.y.as_slice(), &full.y[k..], "{name}: states");
    assert_eq!(tail.stats, full.stats, "{name}: statistics");
    assert_eq!(tail.status, full.status, "{name}: status");
    assert_eq!(tail.diagnostics, full.diagnostics, "{name}: diagnostics");
    let (fd, td) = (full.dense.as_ref().unwrap(), tail.dense.as_ref().unwrap());
    assert_eq!(td.segments.as_slice(), &fd.segments[k..], "{name}: dense output");
}

#[test]
fn resume_is_bit_identical_for_every_adaptive_method() {
    for m in Method::ALL {
        if !m.is_adaptive() {
            continue;
        }
        resume_matches(m, oscillator, [1.0, 0.0], 12.0, 1e-7, 7);
    }
}

#[test]
fn resume_is_bit_identical_for_fixed_step_methods() {
    for m in Method::ALL.into_iter().filter(|m| !m.is_adaptive()) {
        let opts = || Options::default().fixed_step(0.01);
        let full = Integrator::new(m.stepper())
            .options(opts())
            .solve(oscillator, 0.0, 1.0, [1.0, 0.0])
            .unwrap();
        let mut integ = Integrator::new(m.stepper()).options(opts());
        let mut run = integ.start(oscillator, 0.0, 1.0, [1.0, 0.0]).unwrap();
        for _ in 0..37 {
            run.step().unwrap();
        }
        let json = serde_json::to_string(&run.checkpoint()).unwrap();
        drop(run);
        let cp: Checkpoint<f64, V2> = serde_json::from_str(&json).unwrap();
        let tail = Integrator::new(m.stepper())
            .resume(oscillator, cp)
            .unwrap()
            .run()
            .unwrap();
        assert_eq!(tail.t.as_slice(), &full.t[37..], "{}", m.name());
        assert_eq!(tail.y.as_slice(), &full.y[37..], "{}", m.name());
        assert_eq!(tail.stats, full.stats, "{}", m.name());
    }
}

#[test]
fn resume_is_bit_identical_across_stiffness_switches() {
    // Checkpoints before, between and after the switches of `auto`.
    let full = Integrator::new(Method::Auto.stepper())
        .tol(1e-6)
        .solve(vdp, 0.0, 100.0, [2.0, 0.0])
        .unwrap();
    let sw = full.diagnostics.switching.as_ref().unwrap();
    assert!(sw.switches.len() >= 3, "{} switches", sw.switches.len());
    for k in [
        3,
        full.stats.naccept / 3,
        full.stats.naccept / 2,
        full.stats.naccept - 10,
    ] {
        resume_matches(Method::Auto, vdp, [2.0, 0.0], 100.0, 1e-6, k);
    }
    for m in [Method::Rodas5p, Method::Rodas4, Method::Rosenbrock23] {
        resume_matches(m, vdp, [2.0, 0.0], 100.0, 1e-6, 40);
    }
}

#[test]
fn resume_with_events_monitors_and_save_at() {
    // Energy monitor, a non-terminal event and output times: all restored.
    let energy = |_t: f64, y: &V2| 0.5 * (y[0] * y[0] + y[1] * y[1]);
    let build = || {
        Integrator::new(ExplicitRk::tsit5())
            .options(
                Options::default()
                    .tol(1e-8)
                    .save(SaveMode::At((0..=50).map(|k| 0.4 * k as f64).collect())),
            )
            .monitor(odestride::InvariantMonitor::new(
                odestride::Invariant::new("energy", energy).tol_total(1e-6),
            ))
            .event(Event::new(|_t, y: &V2| y[0]).rising())
    };
    let full = build().solve(oscillator, 0.0, 20.0, [1.0, 0.0]).unwrap();
    let mut integ = build();
    let mut run = integ.start(oscillator, 0.0, 20.0, [1.0, 0.0]).unwrap();
    for _ in 0..25 {
        run.step().unwrap();
    }
    let n_out = run.solution().t.len();
    let n_ev = run.solution().events.len();
    let cp = run.checkpoint();
    let json = serde_json::to_string(&cp).unwrap();
    drop(run);
    let cp: Checkpoint<f64, V2> = serde_json::from_str(&json).unwrap();
    let tail = build().resume(oscillator, cp).unwrap().run().unwrap();
    assert_eq!(tail.t.as_slice(), &full.t[n_out..]);
    assert_eq!(tail.y.as_slice(), &full.y[n_out..]);
    assert_eq!(tail.events.as_slice(), &full.events[n_ev..]);
    assert_eq!(tail.stats, full.stats);
    // The rising zeros of cos t are at 3 pi / 2 + 2 k pi.
    for (k, e) in full.events.iter().enumerate() {
        assert!((e.t - (1.5 * PI + 2.0 * PI * k as f64)).abs() < 1e-6);
    }
    // A different method or a missing event is refused with the reason.
    let mut integ = build();
    let mut run = integ.start(oscillator, 0.0, 20.0, [1.0, 0.0]).unwrap();
    run.step().unwrap();
    let cp = run.checkpoint();
    drop(run);
    let err = Integrator::new(ExplicitRk::dopri5())
        .resume(oscillator, cp.clone())
        .unwrap_err();
    assert!(err.to_string().contains("Tsit5"), "{err}");
    let err = Integrator::new(ExplicitRk::tsit5())
        .monitor(odestride::InvariantMonitor::new(odestride::Invariant::new(
            "energy", energy,
        )))
        .resume(oscillator, cp)
        .unwrap_err();
    assert!(err.to_string().contains("events"), "{err}");
}

/// A ball dropped from height `h0` under gravity `g`, restitution `e`:
/// impact k (k = 1, 2, ...) at `t1 (1 + 2 e + ... + 2 e^(k-1))`,
/// `t1 = sqrt(2 h0 / g)`.
fn bounce_times(h0: f64, g: f64, e: f64, n: usize) -> Vec<f64> {
    let t1 = (2.0 * h0 / g).sqrt();
    let mut t = t1;
    let mut out = vec![t1];
    let mut flight = 2.0 * t1;
    for _ in 1..n {
        flight *= e;
        t += flight;
        out.push(t);
    }
    out
}

#[test]
fn bouncing_ball_twenty_bounces_to_1e_10() {
    let (g, e) = (9.81, 0.9);
    let f = move |_t: f64, y: &V2, dy: &mut V2| {
        dy[0] = y[1];
        dy[1] = -g;
    };
    let exact = bounce_times(1.0, g, e, 20);
    for method in [
        Method::Dp5,
        Method::Tsit5,
        Method::Dop853,
        Method::Vern7,
        Method::Rodas5p,
    ] {
        let floor = Event::new(|_t, y: &V2| y[0])
            .falling()
            .action(move |_t, y: &mut V2| y[1] *= -e)
            .terminal_after(20);
        let sol = Integrator::new(method.stepper())
            .tol(1e-12)
            .event(floor)
            .solve(f, 0.0, 100.0, [1.0, 0.0])
            .unwrap();
        assert_eq!(
            sol.status,
            Status::TerminalEvent {
                index: 0,
                t: sol.events[19].t
            }
        );
        assert_eq!(sol.events.len(), 20, "{}", method.name());
        let worst = sol
            .events
            .iter()
            .zip(&exact)
            .map(|(r, t)| (r.t - t).abs())
            .fold(0.0, f64::max);
        assert!(
            worst < 1e-10,
            "{}: worst bounce-time error {worst:e}",
            method.name()
        );
        // Just before each impact the speed is that of the fall: v_k = g t1 e^(k-1).
        let v1 = g * exact[0];
        for (k, r) in sol.events.iter().enumerate() {
            let v = v1 * e.powi(k as i32);
            assert!((r.y[1] + v).abs() < 1e-9 * v1, "{}: impact {k}", method.name());
        }
    }
}

#[test]
fn an_acting_event_does_not_fire_twice_at_its_root() {
    // Either direction: after the bounce g = y0 starts at ~0 and rises; that
    // must not count as a second zero. One bounce per arc: 3 in [0, 2.5].
    let f = |_t: f64, y: &V2, dy: &mut V2| {
        dy[0] = y[1];
        dy[1] = -9.81;
    };
    let sol = Integrator::new(ExplicitRk::dopri5())
        .tol(1e-10)
        .event(Event::new(|_t, y: &V2| y[0]).action(|_t, y: &mut V2| y[1] *= -0.8))
        .solve(f, 0.0, 2.5, [1.0, 0.0])
        .unwrap();
    let exact = bounce_times(1.0, 9.81, 0.8, 4);
    let inside: Vec<_> = exact.iter().filter(|t| **t < 2.5).collect();
    assert_eq!(sol.events.len(), inside.len());
    for (r, t) in sol.events.iter().zip(inside) {
        assert!((r.t - t).abs() < 1e-10);
    }
    assert!(
        sol.y.iter().all(|y| y[0] > -1e-9),
        "the ball stays above the floor"
    );
}

#[test]
fn step_budget_and_wall_time_end_the_solve_cleanly() {
    let sol = Integrator::new(ExplicitRk::dopri5())
        .options(Options::default().tol(1e-10).step_budget(25))
        .solve(oscillator, 0.0, 100.0, [1.0, 0.0])
        .unwrap();
    assert_eq!(
        sol.status,
        Status::OutOfBudget {
            budget: Budget::Steps(25)
        }
    );
    assert_eq!(sol.stats.naccept, 25);
    let t = sol.last_time();
    assert!((sol.last_state()[0] - t.cos()).abs() < 1e-9);
    let sol = Integrator::new(ExplicitRk::dopri5())
        .options(Options::default().wall_time(std::time::Duration::ZERO))
        .solve(oscillator, 0.0, 100.0, [1.0, 0.0])
        .unwrap();
    assert!(matches!(
        sol.status,
        Status::OutOfBudget {
            budget: Budget::WallTime(_)
        }
    ));
    assert_eq!(sol.stats.naccept, 1);
}

#[test]
fn the_observer_sees_every_accepted_step() {
    let mut seen = Vec::new();
    let sol = Integrator::new(ExplicitRk::dopri5())
        .tol(1e-8)
        .on_step(|s| seen.push((s.t, s.fraction(), s.naccept)))
        .solve(oscillator, 0.0, 4.0, [1.0, 0.0])
        .unwrap();
    assert_eq!(seen.len(), sol.stats.naccept);
    assert_eq!(seen.iter().map(|s| s.0).collect::<Vec<_>>(), sol.t[1..].to_vec());
    assert_eq!(seen.last().unwrap().1, 1.0);
    assert!((seen[0].1 - sol.t[1] / 4.0).abs() < 1e-15);
    assert!(seen.iter().enumerate().all(|(i, s)| s.2 == i + 1));
}

#[test]
fn steps_iterator_yields_every_accepted_step() {
    let mut integ = Integrator::new(ExplicitRk::dopri5()).tol(1e-8);
    let mut run = integ.start(oscillator, 0.0, 3.0, [1.0, 0.0]).unwrap();
    let steps: Vec<_> = run.steps().map(|s| s.unwrap()).collect();
    assert_eq!(steps.last().unwrap().t, 3.0);
    for s in &steps {
        assert!((s.y[0] - s.t.cos()).abs() < 1e-7);
    }
    let sol = run.into_solution().unwrap();
    assert_eq!(steps.len(), sol.stats.naccept);
    assert_eq!(steps.iter().map(|s| s.h).sum::<f64>(), 3.0);
}

#[test]
fn integrators_and_solutions_move_between_threads() {
    // An integrator with a monitor and an event, built here, solved on
    // another thread; the solution comes back.
    let energy = |_t: f64, y: &V2| 0.5 * (y[0] * y[0] + y[1] * y[1]);
    let integ = Integrator::new(ExplicitRk::dop853())
        .tol(1e-10)
        .monitor(odestride::InvariantMonitor::new(odestride::Invariant::new(
            "energy", energy,
        )))
        .event(Event::new(|_t, y: &V2| y[1]).falling());
    let sol = std::thread::spawn(move || {
        let mut integ = integ;
        integ.solve(oscillator, 0.0, 7.0, [1.0, 0.0]).unwrap()
    })
    .join()
    .unwrap();
    assert!((sol.last_state()[0] - 7f64.cos()).abs() < 1e-9);
    // y1 = -sin t falls through 0 at t = 2 pi (not at t = 0, where g = 0 at the start).
    assert_eq!(sol.events.len(), 1);
    assert!((sol.events[0].t - 2.0 * PI).abs() < 1e-9);
}

/// A checkpoint whose time lies outside its span, or whose step size is zero
/// or points away from t_end (edited or corrupted after it was taken), is
/// refused at resume, naming the field. It used to resume and fail on the
/// first step blaming the controller (BadStepProposal) or the step-size
/// floor, or, with t before t0, to integrate from there and report Success.
#[test]
fn resume_refuses_a_checkpoint_outside_its_span_or_stepping_away_from_t_end() {
    let mut integ = Integrator::new(ExplicitRk::dopri5()).tol(1e-10);
    let mut run = integ.start(oscillator, 0.0, 10.0, [1.0, 0.0]).unwrap();
    run.advance_to(2.0).unwrap();
    let cp: Checkpoint<f64, V2> = run.checkpoint();
    drop(run);
    type Edit = fn(&mut Checkpoint<f64, V2>);
    let edits: [(&str, Edit); 5] = [
        ("lies outside its span", |c| c.t = 12.0),
        ("lies outside its span", |c| c.t = -1.0),
        ("is zero or points away", |c| c.h = 0.0),
        ("is zero or points away", |c| c.h = -c.h),
        ("outside its span", |c| c.t = f64::MAX),
    ];
    for (want, edit) in edits {
        let mut c = cp.clone();
        edit(&mut c);
        let mut integ = Integrator::new(ExplicitRk::dopri5());
        let fail = match integ.resume(oscillator, c.clone()) {
            Ok(_) => panic!("resumed from t = {}, h = {}", c.t, c.h),
            Err(f) => f,
        };
        match &fail.error {
            SolveError::CheckpointMismatch { problem } => assert!(problem.contains(want), "{problem}"),
            e => panic!("{e:?}"),
        }
        assert_eq!(fail.partial.last_time(), c.t);
        assert_eq!(fail.partial.stats.nfev, 0);
    }
    // the checkpoint as taken resumes to the exact solution
    let sol = Integrator::new(ExplicitRk::dopri5())
        .resume(oscillator, cp)
        .unwrap()
        .run()
        .unwrap();
    assert_eq!(sol.last_time(), 10.0);
    assert!((sol.last_state()[0] - 10f64.cos()).abs() < 1e-8);
}

/// A checkpoint of dopri5 on the oscillator at t = 2, with `controller`.
fn checkpoint_at_2<C: odestride::StepController<f64>>(controller: C) -> Checkpoint<f64, V2> {
    let mut integ = Integrator::new(ExplicitRk::dopri5())
        .tol(1e-10)
        .controller(controller);
    let mut run = integ.start(oscillator, 0.0, 10.0, [1.0, 0.0]).unwrap();
    run.advance_to(2.0).unwrap();
    run.checkpoint()
}

/// Resumes `c` with `controller` and expects it refused at resume with a
/// CheckpointMismatch containing `want`.
fn refused_at_resume<C: odestride::StepController<f64>>(c: Checkpoint<f64, V2>, controller: C, want: &str) {
    refused_by(
        Integrator::new(ExplicitRk::dopri5()).controller(controller),
        oscillator,
        c,
        want,
    );
}

/// Resumes `c` with `integ` on `f` and expects it refused at resume with a
/// CheckpointMismatch containing `want`, the partial solution at `c.t`.
fn refused_by<St: odestride::Stepper<f64, V2>, C: odestride::StepController<f64>>(
    mut integ: Integrator<'_, f64, V2, St, C>,
    f: fn(f64, &V2, &mut V2),
    c: Checkpoint<f64, V2>,
    want: &str,
) {
    let t = c.t;
    let fail = match integ.resume(f, c) {
        Ok(s) => match s.run() {
            Ok(sol) => panic!("resumed and reached {}", sol.last_time()),
            Err(f) => panic!("resumed, then failed with {:?}", f.error),
        },
        Err(f) => f,
    };
    match &fail.error {
        SolveError::CheckpointMismatch { problem } => assert!(problem.contains(want), "{problem}"),
        e => panic!("{e:?}"),
    }
    assert_eq!(fail.partial.last_time(), t);
}

/// A checkpoint whose controller record holds NaN or an impossible error
/// (edited or corrupted) is refused at resume, naming the field. It used to
/// resume and fail on the first step as BadStepProposal, blaming the
/// controller's parameters.
#[test]
fn resume_refuses_a_nan_in_the_controller_record() {
    use odestride::controller::{PiController, PidController};
    let cp = checkpoint_at_2(PiController::default());
    for (i, field) in ["err_old", "h_acc", "err_acc"].into_iter().enumerate() {
        let mut c = cp.clone();
        c.controller.reals[i] = f64::NAN;
        refused_at_resume(
            c,
            PiController::default(),
            &format!("controller history: {field} = NaN"),
        );
    }
    let mut c = cp.clone();
    c.controller.reals[0] = -1.0;
    refused_at_resume(
        c,
        PiController::default(),
        "controller history: err_old = -1 (must be finite and > 0)",
    );
    // the PID controller's record too
    let cp = checkpoint_at_2(PidController::h211pi());
    let mut c = cp.clone();
    c.controller.reals[2] = f64::NAN;
    refused_at_resume(c, PidController::h211pi(), "controller history: hs[0] = NaN");
    // an untouched checkpoint still resumes to the exact solution
    let sol = Integrator::new(ExplicitRk::dopri5())
        .controller(PidController::h211pi())
        .resume(oscillator, cp)
        .unwrap()
        .run()
        .unwrap();
    assert!((sol.last_state()[0] - 10f64.cos()).abs() < 1e-8);
}

/// A checkpoint whose stepper record (the stored derivative) holds NaN or
/// infinity is refused at resume, naming the record and the component. It
/// used to resume and fail as NonFiniteDerivative, blaming the right-hand
/// side.
#[test]
fn resume_refuses_a_nan_in_the_stepper_record() {
    use odestride::controller::PiController;
    let cp = checkpoint_at_2(PiController::default());
    let mut c = cp.clone();
    c.stepper.reals[1] = f64::NAN;
    refused_at_resume(
        c,
        PiController::default(),
        "stepper DP5: the stored derivative: component 1 is NaN",
    );
    let mut c = cp;
    c.stepper.reals[0] = f64::INFINITY;
    refused_at_resume(
        c,
        PiController::default(),
        "the stored derivative: component 0 is inf",
    );
}

/// A checkpoint of the automatic-switching stepper whose own numbers (not
/// the engines' derivatives) hold NaN is refused at resume, naming the
/// record and the field. They used to be restored as they were, to surface
/// later as a misleading error (or none).
#[test]
fn resume_refuses_a_nan_in_the_switching_record() {
    let mut integ = Integrator::new(Method::Auto.stepper()).tol(1e-6);
    let mut run = integ.start(vdp, 0.0, 100.0, [2.0, 0.0]).unwrap();
    run.advance_to(50.0).unwrap();
    let cp = run.checkpoint();
    drop(run);
    // reals: h_switch, h_implicit_max, prev_signed, last_h, last_t, the
    // power-iteration vector (2), then (t, h_lambda, boundary) per switch
    assert!(cp.stepper.reals.len() >= 10, "no switch recorded by t = 50");
    for (i, want) in [
        (0, "switching record: h_switch = NaN"),
        (3, "switching record: last_h = NaN"),
        (6, "switching record: power-iteration vector component 1 = NaN"),
        (7, "switching record: switch t = NaN"),
    ] {
        let mut c = cp.clone();
        c.stepper.reals[i] = f64::NAN;
        refused_by(Integrator::new(Method::Auto.stepper()).tol(1e-6), vdp, c, want);
    }
    // the untouched checkpoint still resumes
    let sol = Integrator::new(Method::Auto.stepper())
        .tol(1e-6)
        .resume(vdp, cp)
        .unwrap()
        .run()
        .unwrap();
    assert_eq!(sol.last_time(), 100.0);
}
