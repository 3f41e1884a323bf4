//! Automatic stiffness switching (`AutoSwitch`, `Method::Auto`): switch times
//! on the stiff reference problems and their published references, never a
//! switch on the non-stiff orbits, ROBER at loose scalar tolerances solved
//! (the explicit pairs alone end `Unstable` there), a problem whose stiffness
//! comes and goes switched both ways, dense output / save_at / events across
//! switches, the work per engine, the registry and bad input.
mod common;
use common::*;
use nalgebra::{DVector, SVector};
use odestride::problems::{Hires, ProtheroRobinson, Rober, VanDerPol};
use odestride::stepper::{AutoSwitch, SwitchDirection, SwitchReport, SwitchTrigger};
use odestride::system::autonomous;
use odestride::{
    Event, ExplicitRk, Integrator, Method, Options, Rosenbrock, SaveMode, Solution, SolveError, State, Status,
};
use std::f64::consts::PI;

fn report<S>(sol: &Solution<f64, S>) -> &SwitchReport<f64> {
    sol.diagnostics
        .switching
        .as_ref()
        .expect("auto reports its switches")
}

fn auto<S: State<f64>>() -> odestride::MethodStepper<f64, S> {
    Method::Auto.stepper()
}

/// First switch to the implicit engine, if any.
fn first_to_implicit(r: &SwitchReport<f64>) -> Option<f64> {
    r.times(SwitchDirection::ToImplicit).first().copied()
}

#[test]
fn stiff_problems_switch_within_the_transient_and_meet_the_references() {
    println!("problem  rtol    engines               first switch   trigger    expl/impl steps  error ratio");
    for rtol in [1e-4, 1e-6, 1e-8, 1e-10] {
        let o = Options::default().rtol(rtol).save(SaveMode::FinalOnly);
        // (name, first switch, bound on it, error ratio, report)
        type Row = (&'static str, f64, f64, f64, SwitchReport<f64>, String);
        let mut rows: Vec<Row> = Vec::new();
        let s = Integrator::new(auto())
            .options(o.clone().atol_per_component(Rober.atol(rtol).to_vec()))
            .solve(Rober.system(), 0.0, Rober::T_END, Rober.y0())
            .unwrap();
        let r = report(&s).clone();
        rows.push((
            "ROBER",
            first_to_implicit(&r).unwrap(),
            0.05,
            Rober.error_ratio(s.last_state(), rtol),
            r,
            s.method.clone(),
        ));
        let s = Integrator::new(auto())
            .options(o.clone().atol(rtol))
            .solve(VanDerPol.system(), 0.0, VanDerPol::T_END, VanDerPol.y0())
            .unwrap();
        let r = report(&s).clone();
        rows.push((
            "VDPOL",
            first_to_implicit(&r).unwrap(),
            0.02,
            VanDerPol.error_ratio(s.last_state(), rtol),
            r,
            s.method.clone(),
        ));
        let s = Integrator::new(auto())
            .options(o.clone().atol_per_component(Hires.atol(rtol).to_vec()))
            .solve(Hires.system(), 0.0, Hires::T_END, Hires.y0())
            .unwrap();
        let r = report(&s).clone();
        rows.push((
            "HIRES",
            first_to_implicit(&r).unwrap(),
            10.0,
            Hires.error_ratio(s.last_state(), rtol),
            r,
            s.method.clone(),
        ));
        let pr = ProtheroRobinson { lambda: -1e6 };
        let s = Integrator::new(auto())
            .options(o.clone().atol(rtol))
            .solve(pr.system(), 0.0, 10.0, 0.0)
            .unwrap();
        let r = report(&s).clone();
        let e = (s.last_state() - ProtheroRobinson::exact(10.0)).abs() / (rtol * (1.0 + 10f64.sin().abs()));
        rows.push((
            "PR -1e6",
            first_to_implicit(&r).unwrap(),
            1e-4,
            e,
            r,
            s.method.clone(),
        ));
        for (name, t_switch, bound, ratio, r, method) in rows {
            let first = &r.switches[0];
            println!(
                "{name:8} {rtol:.0e}  {method:21} {t_switch:.3e}      {:9?}  {:5}/{:5}      {ratio:.2e}",
                first.trigger, r.explicit.steps, r.implicit.steps
            );
            assert_eq!(first.direction, SwitchDirection::ToImplicit);
            assert!(
                t_switch <= bound,
                "{name} rtol {rtol}: first switch at {t_switch}"
            );
            // the step was at the boundary when it switched
            assert!(first.h_lambda >= 0.5 * first.boundary, "{name}: {first:?}");
            // the Bari references (PR: the exact solution), in units of the tolerance
            assert!(ratio < 50.0, "{name} rtol {rtol}: error ratio {ratio}");
        }
    }
}

fn arenstorf_error(y: &V4) -> f64 {
    max_abs_diff(y.as_slice(), arenstorf_ref().as_slice())
}

#[test]
fn non_stiff_problems_never_switch() {
    // Arenstorf, Kepler e = 0.9 (ten periods, exact: the initial state) and
    // Lorenz (t = 10, no reference needed): no switch at any tolerance from
    // 1e-3 to 1e-12, no implicit work, and the accuracy of the explicit
    // engine run alone (its own default controller) within a factor 3.
    let e = 0.9;
    let kepler_end = 10.0 * 2.0 * PI;
    for k in 3..=12 {
        let tol = 10f64.powi(-k);
        let o = Options::default().tol(tol).save(SaveMode::FinalOnly);
        type Run<'a> = Box<dyn Fn(Method) -> (Solution<f64, V4>, f64) + 'a>;
        let runs: [(&str, Run); 2] = [
            (
                "Arenstorf",
                Box::new(|m: Method| {
                    let s = Integrator::new(m.stepper())
                        .options(o.clone())
                        .solve(arenstorf, 0.0, AREN_T, arenstorf_y0())
                        .unwrap();
                    let err = arenstorf_error(s.last_state());
                    (s, err)
                }),
            ),
            (
                "Kepler",
                Box::new(|m: Method| {
                    let s = Integrator::new(m.stepper())
                        .options(o.clone())
                        .solve(kepler, 0.0, kepler_end, kepler_y0(e))
                        .unwrap();
                    let err = max_abs_diff(s.last_state().as_slice(), kepler_y0(e).as_slice());
                    (s, err)
                }),
            ),
        ];
        let alone = if tol > 1e-7 { Method::Dp5 } else { Method::Dop853 };
        for (name, run) in &runs {
            let (s, err) = run(Method::Auto);
            let r = report(&s);
            assert!(
                r.switches.is_empty() && r.implicit.attempts == 0,
                "{name} {tol:e}: {r:?}"
            );
            // (Below 1e-6 the errors mean something: at looser tolerances
            // both orbits are off by O(1) and differ at random. auto's
            // controller is Gustafsson's predictive PI for both engines, so
            // its steps are not the engine's own; within a factor 10.)
            if tol <= 1e-6 {
                let (alone_sol, err_alone) = run(alone);
                println!(
                    "{name:9} {tol:.0e}: auto {err:.1e} ({} f), {alone} alone {err_alone:.1e} ({} f)",
                    s.stats.nfev, alone_sol.stats.nfev
                );
                assert!(
                    err <= 10.0 * err_alone + 1e-13,
                    "{name} {tol:e}: {err:e} vs {alone} alone {err_alone:e}"
                );
            }
        }
        let s = Integrator::new(auto())
            .options(o.clone())
            .solve(lorenz, 0.0, 10.0, V3::new(1.0, 0.0, 0.0))
            .unwrap();
        let r = report(&s);
        assert!(
            r.switches.is_empty() && r.implicit.attempts == 0,
            "Lorenz {tol:e}: {r:?}"
        );
    }
}

fn lorenz(_t: f64, y: &V3, dy: &mut V3) {
    dy[0] = 10.0 * (y[1] - y[0]);
    dy[1] = y[0] * (28.0 - y[2]) - y[1];
    dy[2] = y[0] * y[1] - 8.0 / 3.0 * y[2];
}

#[test]
fn rober_at_loose_scalar_tolerances_switches_before_the_instability() {
    // rtol = atol = 1e-2 ... 1e-5: every explicit pair alone lets y2 (below
    // the tolerance) go unstable and the solve ends Unstable; auto switches
    // first (the step that would have sent y2 negative is redone implicitly)
    // and ends at the Bari reference.
    for tol in [1e-2, 1e-3, 1e-4, 1e-5] {
        let alone = Integrator::new(ExplicitRk::dopri5())
            .options(Options::default().tol(tol).save(SaveMode::FinalOnly))
            .solve(Rober.system(), 0.0, 1.0, Rober.y0());
        let sol = Integrator::new(auto())
            .options(Options::default().tol(tol))
            .solve(Rober.system(), 0.0, Rober::T_END, Rober.y0())
            .unwrap();
        assert_eq!(sol.status, Status::Success);
        let r = report(&sol);
        let t_switch = first_to_implicit(r).unwrap();
        let y2_min = sol.y.iter().map(|y| y[1]).fold(f64::INFINITY, f64::min);
        let err = Rober.error(sol.last_state());
        println!(
            "tol {tol:.0e}: DP5 alone {:?}; auto switched at {t_switch:.3e} ({:?}), min y2 {y2_min:.1e}, error {err:.1e}",
            alone.as_ref().map(|s| format!("{:?}", s.status).split(' ').next().unwrap_or("").to_string()),
            r.switches[0].trigger
        );
        if tol >= 1e-3 {
            assert!(
                matches!(alone.map(|s| s.status), Ok(Status::Unstable { .. })),
                "DP5 alone at {tol:e}"
            );
        }
        assert!(t_switch < 0.02, "tol {tol:e}: {t_switch}");
        assert!(y2_min > -tol * 1e-3, "tol {tol:e}: y2 went to {y2_min:e}");
        assert!(err < 1e-7, "tol {tol:e}: error {err:e}");
    }
}

/// Van der Pol in Liénard's scaling with a damping that sweeps from 1 to 1e5
/// and back every 10 time units: not stiff around t = 0, 10, 20, very stiff
/// around t = 5, 15.
fn mu(t: f64) -> f64 {
    10f64.powf(2.5 * (1.0 - (2.0 * PI * t / 10.0).cos()))
}
fn vdp_mu(t: f64, y: &V2, dy: &mut V2) {
    dy[0] = y[1];
    dy[1] = mu(t) * ((1.0 - y[0] * y[0]) * y[1] - y[0]);
}

#[test]
fn stiffness_that_comes_and_goes_is_switched_both_ways() {
    let tol = 1e-6;
    let opts = || {
        Options::default()
            .tol(tol)
            .save(SaveMode::FinalOnly)
            .max_steps(3_000_000)
    };
    let sol = Integrator::new(auto())
        .options(opts())
        .solve(vdp_mu, 0.0, 20.0, V2::new(2.0, 0.0))
        .unwrap();
    // Reference: Rodas5P alone at rtol 1e-11 (no switching involved).
    let reference = Integrator::new(Rosenbrock::rodas5p())
        .options(
            Options::default()
                .tol(1e-11)
                .save(SaveMode::FinalOnly)
                .max_steps(3_000_000),
        )
        .solve(vdp_mu, 0.0, 20.0, V2::new(2.0, 0.0))
        .unwrap();
    let err = max_abs_diff(sol.last_state().as_slice(), reference.last_state().as_slice());
    let r = report(&sol);
    let to_i = r.times(SwitchDirection::ToImplicit);
    let to_e = r.times(SwitchDirection::ToExplicit);
    println!(
        "{} switches ({} to implicit, {} back); first to implicit at {:.3} (mu = {:.0}), error {err:.1e}",
        r.switches.len(),
        to_i.len(),
        to_e.len(),
        to_i[0],
        mu(to_i[0])
    );
    assert!(to_i.len() >= 2 && to_e.len() >= 2);
    assert!(err < 1e-3, "error {err:e}");
    // The engine at a time: the last switch before it decides.
    let engine_at = |t: f64| {
        r.switches
            .iter()
            .rfind(|s| s.t <= t)
            .map_or(SwitchDirection::ToExplicit, |s| s.direction)
    };
    // Not stiff near mu = 1 (t = 0, 10, 20), implicit in the stiff middle of
    // both sweeps, in which only the relaxation jumps are handed back.
    assert_eq!(engine_at(0.5), SwitchDirection::ToExplicit);
    assert_eq!(engine_at(10.0), SwitchDirection::ToExplicit);
    assert_eq!(engine_at(19.9), SwitchDirection::ToExplicit);
    for s in &r.switches {
        if s.direction == SwitchDirection::ToImplicit {
            assert!(
                mu(s.t) > 10.0,
                "switch to implicit at t = {} (mu = {})",
                s.t,
                mu(s.t)
            );
        }
    }
    let implicit_time: f64 = {
        let mut total = 0.0;
        let mut start = None;
        for s in &r.switches {
            match (s.direction, start) {
                (SwitchDirection::ToImplicit, None) => start = Some(s.t),
                (SwitchDirection::ToExplicit, Some(t0)) => {
                    total += s.t - t0;
                    start = None;
                }
                _ => {}
            }
        }
        total + start.map_or(0.0, |t0| 20.0 - t0)
    };
    assert!(
        implicit_time > 5.0 && implicit_time < 15.0,
        "implicit for {implicit_time}"
    );
    // Cheaper than either engine alone.
    for m in [Method::Dp5, Method::Rodas5p] {
        let alone = Integrator::new(m.stepper())
            .options(opts())
            .solve(vdp_mu, 0.0, 20.0, V2::new(2.0, 0.0))
            .unwrap();
        println!("{m}: nfev {} vs auto {}", alone.stats.nfev, sol.stats.nfev);
        assert!(sol.stats.nfev < alone.stats.nfev, "{m}");
    }
}

#[test]
fn dense_output_save_at_and_events_continue_across_switches() {
    let tol = 1e-7;
    let grid: Vec<f64> = (0..=400).map(|i| i as f64 * 0.05).collect();
    let crossing = || Event::new(|_t: f64, y: &V2| y[0]);
    let sol = Integrator::new(auto())
        .options(
            Options::default()
                .tol(tol)
                .dense(true)
                .save_at(grid.clone())
                .max_steps(3_000_000),
        )
        .event(crossing())
        .solve(vdp_mu, 0.0, 20.0, V2::new(2.0, 0.0))
        .unwrap();
    let reference = Integrator::new(Rosenbrock::rodas5p())
        .options(
            Options::default()
                .tol(1e-11)
                .dense(true)
                .save_at(grid.clone())
                .max_steps(3_000_000),
        )
        .event(crossing())
        .solve(vdp_mu, 0.0, 20.0, V2::new(2.0, 0.0))
        .unwrap();
    let r = report(&sol);
    assert!(r.switches.len() >= 4);
    // save_at: every requested time, close to the reference (y1 is O(1),
    // but y2 jumps by O(mu) in the relaxations: compare y1 only).
    assert_eq!(sol.t, grid);
    let worst = sol
        .y
        .iter()
        .zip(&reference.y)
        .map(|(a, b)| (a[0] - b[0]).abs())
        .fold(0.0, f64::max);
    println!(
        "save_at: worst |y1 - ref| {worst:.1e} over {} times, {} switches",
        grid.len(),
        r.switches.len()
    );
    assert!(worst < 1e-3, "{worst:e}");
    // Dense output agrees with save_at, and the interpolant of the last step
    // of one engine ends where that of the first step of the other starts.
    for (t, y) in sol.t.iter().zip(&sol.y) {
        let d = sol.at(*t).unwrap();
        assert!((d[0] - y[0]).abs() <= 1e-12 * (1.0 + y[0].abs()), "t = {t}");
    }
    let segs = &sol.dense.as_ref().unwrap().segments;
    for s in &r.switches {
        let k = segs
            .iter()
            .position(|g| g.t0 == s.t)
            .expect("a step starts at the switch");
        let end: V2 = segs[k - 1].coeffs.iter().sum();
        let start = segs[k].coeffs[0];
        assert!(
            max_abs_diff(end.as_slice(), start.as_slice()) <= 1e-12 * (1.0 + start.amax()),
            "dense output not continuous at the switch t = {}",
            s.t
        );
    }
    // Events: the zero crossings of y1, at the reference times.
    assert_eq!(sol.events.len(), reference.events.len());
    let worst_t = sol
        .events
        .iter()
        .zip(&reference.events)
        .map(|(a, b)| (a.t - b.t).abs())
        .fold(0.0, f64::max);
    println!("{} crossings, worst time error {worst_t:.1e}", sol.events.len());
    assert!(!sol.events.is_empty() && worst_t < 1e-5, "{worst_t:e}");
}

#[test]
fn work_per_engine_adds_up_and_is_saved() {
    let sol = Integrator::new(auto())
        .options(Options::default().tol(1e-6).save(SaveMode::FinalOnly))
        .solve(vdp_mu, 0.0, 20.0, V2::new(2.0, 0.0))
        .unwrap();
    let r = report(&sol);
    let st = &sol.stats;
    // The driver's initial-step evaluation is the one not attributed.
    assert_eq!(r.explicit.nfev + r.implicit.nfev + 1, st.nfev);
    assert_eq!(r.explicit.steps + r.implicit.steps, st.naccept);
    assert_eq!(
        r.explicit.attempts + r.implicit.attempts,
        st.nsteps
            + r.switches
                .iter()
                .filter(|s| s.trigger == SwitchTrigger::Unstable)
                .count()
    );
    assert_eq!(
        (r.explicit.method.as_str(), r.implicit.method.as_str()),
        ("DP5", "Rodas5P")
    );
    assert!(st.njev > 0 && st.nlu >= r.implicit.attempts);
    assert_eq!(r.unrecorded, 0);
    // The report survives serde with the solution.
    let json = serde_json::to_string(&sol).unwrap();
    let back: Solution<f64, V2> = serde_json::from_str(&json).unwrap();
    assert_eq!(back.diagnostics.switching.as_ref(), Some(r));
    // A solution saved before the field existed still loads.
    let mut v: serde_json::Value = serde_json::from_str(&json).unwrap();
    v["diagnostics"].as_object_mut().unwrap().remove("switching");
    let old: Solution<f64, V2> = serde_json::from_value(v).unwrap();
    assert!(old.diagnostics.switching.is_none());
}

#[test]
fn auto_by_name_picks_engines_by_tolerance_and_named_methods_stay_exact() {
    assert_eq!("auto".parse::<Method>().unwrap(), Method::Auto);
    assert_eq!(Method::default(), Method::Auto);
    assert!(Method::Auto.is_adaptive() && !Method::Auto.is_implicit());
    for (tol, name) in [
        (1e-3, "Auto(DP5+Rodas5P)"),
        (1e-6, "Auto(DP5+Rodas5P)"),
        (1e-9, "Auto(DOP853+Rodas5P)"),
    ] {
        let sol = Integrator::new(auto())
            .tol(tol)
            .solve(harmonic, 0.0, 10.0, V2::new(1.0, 0.0))
            .unwrap();
        assert_eq!(sol.method, name);
        let err = max_abs_diff(sol.last_state().as_slice(), harmonic_exact(10.0).as_slice());
        assert!(err < 1e3 * tol, "{tol:e}: {err:e}");
    }
    // Backward in time.
    let back = Integrator::new(auto())
        .tol(1e-8)
        .solve(harmonic, 10.0, 0.0, harmonic_exact(10.0))
        .unwrap();
    assert!(max_abs_diff(back.last_state().as_slice(), &[1.0, 0.0]) < 1e-6);
    // A named method is exactly that method: same counts as the engine
    // itself, no switching report.
    let named = Integrator::new(Method::Dp5.stepper())
        .tol(1e-6)
        .solve(Rober.system(), 0.0, 0.1, Rober.y0())
        .unwrap();
    let engine = Integrator::new(ExplicitRk::dopri5())
        .tol(1e-6)
        .solve(Rober.system(), 0.0, 0.1, Rober.y0())
        .unwrap();
    assert_eq!(named.method, "DP5");
    assert_eq!(named.stats, engine.stats);
    assert!(named.diagnostics.switching.is_none());
    // Own engines.
    let sol = Integrator::new(AutoSwitch::new(ExplicitRk::tsit5(), Rosenbrock::rodas4()))
        .options(
            Options::default()
                .rtol(1e-6)
                .atol_per_component(Rober.atol(1e-6).to_vec()),
        )
        .solve(Rober.system(), 0.0, Rober::T_END, Rober.y0())
        .unwrap();
    assert_eq!(sol.method, "Auto(Tsit5+Rodas4)");
    assert!(Rober.error_ratio(sol.last_state(), 1e-6) < 50.0);
    let r = report(&sol);
    assert_eq!(
        (r.explicit.method.as_str(), r.implicit.method.as_str()),
        ("Tsit5", "Rodas4")
    );
}

#[test]
fn bad_input_is_an_error_and_other_states_work() {
    let f = |_t: f64, y: &V2, dy: &mut V2| harmonic(0.0, y, dy);
    let e = Integrator::new(auto())
        .rtol(f64::NAN)
        .solve(f, 0.0, 1.0, V2::new(1.0, 0.0));
    assert!(matches!(e, Err(ref x) if matches!(x.error, SolveError::InvalidTolerance { .. })));
    let e = Integrator::new(auto()).solve(f, 0.0, 1.0, V2::new(f64::NAN, 0.0));
    assert!(matches!(e, Err(ref x) if matches!(x.error, SolveError::NonFiniteInitialState { .. })));
    // DVector ROBER without a Jacobian (differenced by the implicit engine).
    let rober = |_t: f64, y: &DVector<f64>, dy: &mut DVector<f64>| {
        let y3 = SVector::<f64, 3>::new(y[0], y[1], y[2]);
        let mut d = SVector::<f64, 3>::zeros();
        Rober::rhs(0.0, &y3, &mut d);
        dy.copy_from_slice(d.as_slice());
    };
    let sol = Integrator::new(auto())
        .options(
            Options::default()
                .rtol(1e-6)
                .atol_per_component(Rober.atol(1e-6).to_vec()),
        )
        .solve(
            autonomous(rober),
            0.0,
            Rober::T_END,
            DVector::from_vec(vec![1.0, 0.0, 0.0]),
        )
        .unwrap();
    let y = SVector::<f64, 3>::from_column_slice(sol.last_state().as_slice());
    assert!(Rober.error_ratio(&y, 1e-6) < 50.0);
    assert!(sol.stats.nfev_jac > 0);
    // f32 Prothero–Robinson.
    let pr = |t: f32, y: &f32, dy: &mut f32| *dy = -1e4 * (*y - t.sin()) + t.cos();
    let sol = Integrator::new(Method::Auto.stepper::<f32, f32>())
        .tol(1e-4)
        .solve(pr, 0.0, 2.0, 0.0)
        .unwrap();
    assert!((sol.last_state() - 2f32.sin()).abs() < 1e-3);
    assert!(!sol.diagnostics.switching.as_ref().unwrap().switches.is_empty());
}

#[test]
fn a_step_accepted_beyond_the_boundary_is_redone_implicitly() {
    // Prothero–Robinson from y(0) = sin 0: the stiff mode is not excited, so
    // the first explicit step passes the error test at |h lambda| >> B. It
    // is thrown away and redone by Rodas5P: no explicit step is accepted.
    let pr = ProtheroRobinson { lambda: -1e6 };
    let sol = Integrator::new(auto())
        .tol(1e-6)
        .solve(pr.system(), 0.0, 10.0, 0.0)
        .unwrap();
    let r = report(&sol);
    let s = &r.switches[0];
    println!("{s:?}");
    assert_eq!(
        (s.t, s.trigger, s.direction),
        (0.0, SwitchTrigger::Unstable, SwitchDirection::ToImplicit)
    );
    assert!(s.h_lambda > 10.0 * s.boundary);
    assert_eq!(r.explicit.steps, 0);
    assert!((sol.last_state() - ProtheroRobinson::exact(10.0)).abs() < 1e-6);
}
