//! Invariant and relativistic monitors on problems with known invariants and
//! exact solutions (docs/reference-problems.md).
mod common;
use common::*;
use odestride::monitor::{Candidate, Invariant, InvariantMonitor, Monitor, RelativisticMonitor, Verdict};
use odestride::{ExplicitRk, Integrator, Options, SaveMode, SolveError};
use std::f64::consts::PI;

const E: f64 = 0.9;

fn energy(_t: f64, y: &V4) -> f64 {
    0.5 * (y[2] * y[2] + y[3] * y[3]) - 1.0 / (y[0] * y[0] + y[1] * y[1]).sqrt()
}
fn energy_grad(_t: f64, y: &V4, g: &mut V4) {
    let r3 = (y[0] * y[0] + y[1] * y[1]).powf(1.5);
    g[0] = y[0] / r3;
    g[1] = y[1] / r3;
    g[2] = y[2];
    g[3] = y[3];
}
fn ang(_t: f64, y: &V4) -> f64 {
    y[0] * y[3] - y[1] * y[2]
}

fn opts() -> Options<f64> {
    Options::default()
        .tol(1e-6)
        .save(SaveMode::FinalOnly)
        .max_steps(2_000_000)
}

/// Relative energy drift at the end, and nfev.
fn kepler_run(mon: Option<&mut InvariantMonitor<'_, f64, V4>>) -> (f64, f64, usize) {
    let t_end = 100.0 * 2.0 * PI;
    let y0 = kepler_y0(E);
    let mut integ = Integrator::new(ExplicitRk::dopri5()).options(opts());
    if let Some(m) = mon {
        integ = integ.monitor(m);
    }
    let sol = integ.solve(kepler, 0.0, t_end, y0).unwrap();
    let y = sol.last_state();
    let dh = (energy(0.0, y) - energy(0.0, &y0)).abs() / 0.5;
    let dl = (ang(0.0, y) - ang(0.0, &y0)).abs() / (1.0 - E * E).sqrt();
    (dh, dl, sol.stats.nfev)
}

#[test]
fn kepler_energy_budget_and_projection() {
    let (dh0, dl0, n0) = kepler_run(None);
    let mut mon = InvariantMonitor::new(Invariant::new("energy", energy).tol_total(1e-10));
    let (dh1, dl1, n1) = kepler_run(Some(&mut mon));
    let rep = mon.reports();
    let mut proj =
        InvariantMonitor::new(Invariant::new("energy", energy).gradient(energy_grad)).project(true);
    let (dh2, dl2, n2) = kepler_run(Some(&mut proj));
    let mut proj2 = InvariantMonitor::new(Invariant::new("energy", energy))
        .with(Invariant::new("angular momentum", ang))
        .project(true);
    let (dh3, dl3, n3) = kepler_run(Some(&mut proj2));
    println!("Kepler e = 0.9, 100 periods, DP5, rtol = atol = 1e-6");
    println!("no monitor      : |dH|/|H0| = {dh0:.3e}  |dL|/L0 = {dl0:.3e}  nfev = {n0}");
    println!(
        "budget 1e-10    : |dH|/|H0| = {dh1:.3e}  |dL|/L0 = {dl1:.3e}  nfev = {n1}  vetoes {}",
        rep[0].vetoes
    );
    println!(
        "projection (H)  : |dH|/|H0| = {dh2:.3e}  |dL|/L0 = {dl2:.3e}  nfev = {n2}  {:?}",
        proj.projection()
    );
    println!(
        "projection (H,L): |dH|/|H0| = {dh3:.3e}  |dL|/L0 = {dl3:.3e}  nfev = {n3}  {:?}",
        proj2.projection()
    );
    // Without a monitor DP5 drifts far beyond the budget.
    assert!(dh0 > 1e-4, "{dh0}");
    // With the budget: within it, at a cost, and with few vetoes (the cap steers).
    assert!(dh1 <= 1e-10, "{dh1}");
    assert!(rep[0].max_drift <= 1e-10 && (rep[0].final_drift - dh1).abs() < 1e-13);
    assert!(n1 > n0, "{n1} vs {n0}");
    // fewer than 10% of the steps vetoed (~nfev/6 steps)
    assert!(rep[0].vetoes * 10 < n1 / 6, "vetoes {}", rep[0].vetoes);
    // Projection: round-off level, both with the user gradient and with
    // finite differences (two invariants projected jointly).
    assert!(dh2 <= 1e-13, "{dh2}");
    assert!(dh3 <= 1e-13 && dl3 <= 1e-13, "{dh3} {dl3}");
    assert_eq!(proj.projection().failures, 0);
    assert!(proj.projection().max_correction < 1e-5 && proj.projection().max_correction > 0.0);
    // Projecting the energy alone does not fix the angular momentum.
    assert!(dl2 > 1e-6, "{dl2}");
}

/// Arenstorf orbit: the Jacobi constant C = 2 Omega - |v|^2 of the restricted
/// three-body problem is conserved; projection keeps it, and the orbit still
/// closes (arenstorf.md).
#[test]
fn arenstorf_jacobi_projection() {
    let jacobi = |_t: f64, y: &V4| {
        let mu = AREN_MU;
        let r1 = ((y[0] + mu).powi(2) + y[1].powi(2)).sqrt();
        let r2 = ((y[0] - 1.0 + mu).powi(2) + y[1].powi(2)).sqrt();
        y[0] * y[0] + y[1] * y[1] + 2.0 * (1.0 - mu) / r1 + 2.0 * mu / r2 - y[2] * y[2] - y[3] * y[3]
    };
    let y0 = arenstorf_y0();
    let c0 = jacobi(0.0, &y0);
    let o = Options::default().tol(1e-8).save(SaveMode::FinalOnly);
    let plain = Integrator::new(ExplicitRk::dopri5())
        .options(o.clone())
        .solve(arenstorf, 0.0, AREN_T, y0)
        .unwrap();
    let mut mon = InvariantMonitor::new(Invariant::new("jacobi", jacobi)).project(true);
    let sol = Integrator::new(ExplicitRk::dopri5())
        .options(o)
        .monitor(&mut mon)
        .solve(arenstorf, 0.0, AREN_T, y0)
        .unwrap();
    let d_plain = (jacobi(0.0, plain.last_state()) - c0).abs() / c0.abs();
    let d_proj = (jacobi(0.0, sol.last_state()) - c0).abs() / c0.abs();
    let err = max_abs_diff(sol.last_state().as_slice(), arenstorf_ref().as_slice());
    println!(
        "Arenstorf tol 1e-8: Jacobi drift {d_plain:.2e} plain, {d_proj:.2e} projected; orbit error {err:.2e}"
    );
    assert!(d_plain > 1e-9, "{d_plain}");
    assert!(d_proj < 1e-14, "{d_proj}");
    assert!(err < 1e-3, "{err}");
}

struct AlwaysVeto;
impl Monitor<f64, V2> for AlwaysVeto {
    fn name(&self) -> &str {
        "always"
    }
    fn check(&mut self, c: &Candidate<f64, V2>) -> Verdict<f64> {
        if c.t >= 1.0 {
            Verdict::Veto {
                factor: 0.5,
                reason: "past t = 1".into(),
            }
        } else {
            Verdict::Accept
        }
    }
}

#[test]
fn always_vetoing_monitor_fails_cleanly_with_partial_solution() {
    let err = Integrator::new(ExplicitRk::dopri5())
        .options(Options::default().tol(1e-8).max_consecutive_rejects(12))
        .monitor(AlwaysVeto)
        .solve(harmonic, 0.0, 5.0, V2::new(1.0, 0.0))
        .unwrap_err();
    match &err.error {
        SolveError::Vetoed {
            rejections,
            vetoes,
            monitor,
            reason,
            ..
        } => {
            assert_eq!((*rejections, *vetoes), (13, 13));
            assert_eq!((monitor.as_str(), reason.as_str()), ("always", "past t = 1"));
        }
        e => panic!("unexpected {e:?}"),
    }
    let p = &err.partial;
    let tl = p.last_time();
    println!("{err}\npartial ends at t = {tl}, {} vetoes", p.stats.nveto);
    assert!((1.0..1.5).contains(&tl), "{tl}");
    let exact = harmonic_exact(tl);
    assert!(max_abs_diff(p.last_state().as_slice(), exact.as_slice()) < 1e-7);
    assert_eq!(
        p.stats.vetoes.get("always: past t = 1").copied(),
        Some(p.stats.nveto)
    );
}

/// Relativistic particle in a constant field, units m = c = qE = 1:
/// p(t) = t, x(t) = sqrt(1 + t^2) - 1, gamma(1e4) ~ 1e4.
fn rel_momentum(_t: f64, y: &[f64; 2], dy: &mut [f64; 2]) {
    dy[0] = y[1] / (1.0 + y[1] * y[1]).sqrt();
    dy[1] = 1.0;
}
/// Velocity formulation: v' = (1 - v^2)^(3/2).
fn rel_velocity(_t: f64, y: &[f64; 2], dy: &mut [f64; 2]) {
    dy[0] = y[1];
    dy[1] = (1.0 - y[1] * y[1]).powf(1.5);
}

#[test]
fn relativistic_momentum_formulation_matches_exact() {
    let t_end = 1e4;
    let mut mon = RelativisticMonitor::momentum(vec![1], 1.0, 1.0).unwrap();
    let sol = Integrator::new(ExplicitRk::dopri5())
        .options(Options::default().tol(1e-10))
        .monitor(&mut mon)
        .solve(rel_momentum, 0.0, t_end, [0.0, 0.0])
        .unwrap();
    let worst_p = sol
        .t
        .iter()
        .zip(&sol.y)
        .skip(1)
        .map(|(t, y)| ((y[1] - t) / t).abs())
        .fold(0.0, f64::max);
    let worst_x = sol
        .t
        .iter()
        .zip(&sol.y)
        .skip(1)
        .map(|(t, y)| {
            let x = (1.0 + t * t).sqrt() - 1.0;
            ((y[0] - x) / x).abs()
        })
        .fold(0.0, f64::max);
    println!(
        "momentum form: gamma_max {:.1}, max rel err p {worst_p:.2e}, x {worst_x:.2e}, nfev {}, vetoes {}",
        mon.max_gamma(),
        sol.stats.nfev,
        sol.stats.nveto
    );
    assert!((mon.max_gamma() - (1.0f64 + 1e8).sqrt()).abs() < 1e-6);
    assert!(worst_p < 1e-8 && worst_x < 1e-8);
    assert!(mon.max_beta() < 1.0 && mon.min_margin() > 0.0);
}

#[test]
fn relativistic_velocity_formulation_never_accepts_superluminal() {
    let mut mon = RelativisticMonitor::velocity(vec![1], 1.0).unwrap();
    let res = Integrator::new(ExplicitRk::dopri5())
        .options(Options::default().tol(1e-10).max_steps(200_000))
        .monitor(&mut mon)
        .solve(rel_velocity, 0.0, 1e4, [0.0, 0.0]);
    let sol = match &res {
        Ok(s) => s,
        Err(e) => {
            println!("velocity form failed: {e}");
            &e.partial
        }
    };
    let vmax = sol.y.iter().map(|y| y[1]).fold(0.0, f64::max);
    let t = sol.last_time();
    let v = sol.last_state()[1];
    let g_num = 1.0 / ((1.0 - v) * (1.0 + v)).sqrt();
    let g_ex = (1.0 + t * t).sqrt();
    println!(
        "velocity form: reached t = {t:.1}, gamma {g_num:.4e} (exact {g_ex:.4e}), max v {vmax}, vetoes {} (speed) {} (nonfinite), non-finite rejections {}, nfev {}",
        mon.vetoes_speed(),
        mon.vetoes_nonfinite(),
        sol.stats.nreject_nonfinite,
        sol.stats.nfev
    );
    assert!(vmax < 1.0 && mon.max_beta() < 1.0);
    // v stays below c, yet the momentum it implies is wrong by a lot.
    assert!(((g_num - g_ex) / g_ex).abs() > 1e-6);
}

#[test]
fn relativistic_monitor_rejects_bad_input() {
    assert!(RelativisticMonitor::<f64>::momentum(vec![1], -1.0, 1.0).is_err());
    assert!(RelativisticMonitor::<f64>::velocity(vec![], 1.0).is_err());
    assert!(RelativisticMonitor::<f64>::velocity(vec![0], f64::NAN).is_err());
    // an index beyond the state: a clear error, not a panic
    let mon = RelativisticMonitor::momentum(vec![5], 1.0, 1.0).unwrap();
    let err = Integrator::new(ExplicitRk::dopri5())
        .monitor(mon)
        .solve(rel_momentum, 0.0, 1.0, [0.0, 0.0])
        .unwrap_err();
    assert!(err.to_string().contains("index is beyond"), "{err}");
}
