//! Stiffness detection: the DP5 step pinned at the stability boundary on
//! Prothero–Robinson and Van der Pol (docs/reference-problems.md), never
//! on the non-stiff Arenstorf and Kepler orbits.
mod common;
use common::*;
use odestride::detect::{StiffnessConfig, StiffnessReport};
use odestride::{ExplicitRk, Integrator, Options, SaveMode, Status, Stepper};
use std::f64::consts::PI;

/// The DP5 boundary on the negative real axis (Hairer, *Solving ODEs I*,
/// Fig. IV.2.1; 3.3066 to the digits given there).
const DP5_BOUNDARY: f64 = 3.3066;

fn prothero_robinson(lambda: f64) -> impl FnMut(f64, &f64, &mut f64) {
    move |t, y, dy| *dy = -lambda * (y - t.cos()) - t.sin()
}

fn vdp(mu: f64) -> impl FnMut(f64, &V2, &mut V2) {
    move |_t, y, dy| {
        dy[0] = y[1];
        dy[1] = mu * ((1.0 - y[0] * y[0]) * y[1] - y[0]);
    }
}

fn report<S>(sol: &odestride::Solution<f64, S>) -> &StiffnessReport<f64> {
    sol.diagnostics
        .stiffness
        .as_ref()
        .expect("DP5 has a boundary: a report")
}

#[test]
fn boundary_is_the_tableau_value() {
    let b = Stepper::<f64, f64>::stability_boundary(&ExplicitRk::dopri5()).unwrap();
    assert_eq!(b, DP5_BOUNDARY);
}

#[test]
fn prothero_robinson_is_flagged_at_the_boundary() {
    println!("lambda  tol    t_detected  steps   mean h*lambda  ratio   mean |lambda| est.");
    for lambda in [1e3, 1e4, 1e5] {
        for tol in [1e-4, 1e-6] {
            let sol = Integrator::new(ExplicitRk::dopri5())
                .options(
                    Options::default()
                        .tol(tol)
                        .save(SaveMode::FinalOnly)
                        .max_steps(1_000_000),
                )
                .solve(prothero_robinson(lambda), 0.0, 10.0, 1.0)
                .unwrap();
            assert_eq!(sol.status, Status::Success);
            // the solution is smooth and accurate: y = cos t
            assert!((sol.last_state() - 10f64.cos()).abs() < 10.0 * tol);
            let r = report(&sol);
            let ep = r.first().expect("flagged stiff");
            let ratio = ep.mean_h_lambda / r.boundary;
            println!(
                "{lambda:.0e}   {tol:.0e}  {:.3e}   {:6}  {:.4}         {ratio:.4}  {:.6e}",
                ep.t_detected, ep.steps, ep.mean_h_lambda, ep.mean_lambda
            );
            assert_eq!(r.boundary, DP5_BOUNDARY);
            assert!((ratio - 1.0).abs() < 0.2, "h lambda / boundary = {ratio}");
            // The stage-based estimate of |lambda| is exact for this linear problem.
            assert!((ep.mean_lambda / lambda - 1.0).abs() < 1e-6, "{}", ep.mean_lambda);
            // Detected after min_steps = 15 steps at the boundary, early on
            // (lambda = 1e3 at tol 1e-6 is stiff only intermittently).
            if lambda * tol >= 1e-2 {
                assert!(ep.t_detected < 0.1, "detected at {}", ep.t_detected);
                // Most of the steps are at the boundary.
                assert!(r.stiff_steps as f64 > 0.5 * sol.stats.naccept as f64);
            }
            // The step is pinned: mean h = (h lambda) / lambda ~ boundary / lambda.
            assert!((ep.mean_h * lambda / DP5_BOUNDARY - 1.0).abs() < 0.2);
        }
    }
}

#[test]
fn the_whole_pinned_run_is_within_20_percent() {
    // lambda = 1e4, tol 1e-4: the step stays at the boundary for the whole span.
    let sol = Integrator::new(ExplicitRk::dopri5())
        .options(Options::default().tol(1e-4).save(SaveMode::FinalOnly))
        .solve(prothero_robinson(1e4), 0.0, 10.0, 1.0)
        .unwrap();
    let r = report(&sol);
    assert_eq!(r.episodes.len(), 1);
    let ep = &r.episodes[0];
    assert!(ep.t_end > 9.99, "episode ends at {}", ep.t_end);
    assert!(
        (ep.mean_h_lambda / DP5_BOUNDARY - 1.0).abs() < 0.01,
        "{}",
        ep.mean_h_lambda
    );
    // accuracy alone would allow h ~ 0.1 on y = cos t (tol 1e-4); stability holds it at 3.3e-4
    let h_mean = 10.0 / sol.stats.naccept as f64;
    assert!(
        (h_mean * 1e4 / DP5_BOUNDARY - 1.0).abs() < 0.02,
        "mean h lambda {}",
        h_mean * 1e4
    );
}

#[test]
fn stop_on_stiffness_returns_the_status() {
    let sol = Integrator::new(ExplicitRk::dopri5())
        .detect_stiffness(StiffnessConfig::default().stop(true))
        .options(Options::default().tol(1e-6))
        .solve(prothero_robinson(1e4), 0.0, 10.0, 1.0)
        .unwrap();
    match sol.status {
        Status::Stiff {
            t_start,
            t,
            h_lambda,
            boundary,
        } => {
            println!("Stiff from t = {t_start:.2e}, declared at {t:.2e}, h lambda = {h_lambda:.3}");
            assert_eq!(boundary, DP5_BOUNDARY);
            assert!((h_lambda / boundary - 1.0).abs() < 0.2);
            assert!(t_start < t && t < 0.1);
            assert_eq!(sol.last_time(), t);
            // the solution so far is right: y = cos t
            assert!((sol.last_state() - t.cos()).abs() < 1e-5);
            // 15 steps at the boundary (+ the transient before it)
            assert!(
                sol.stats.naccept >= 15 && sol.stats.naccept < 60,
                "{}",
                sol.stats.naccept
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn van_der_pol_is_flagged() {
    let sol = Integrator::new(ExplicitRk::dopri5())
        .options(
            Options::default()
                .tol(1e-4)
                .save(SaveMode::FinalOnly)
                .max_steps(1_000_000),
        )
        .solve(vdp(1000.0), 0.0, 300.0, V2::new(2.0, 0.0))
        .unwrap();
    assert_eq!(sol.status, Status::Success);
    let r = report(&sol);
    let ep = r.first().expect("Van der Pol mu = 1000 is stiff for DP5");
    let ratio = ep.mean_h_lambda / DP5_BOUNDARY;
    println!(
        "VdP: detected at t = {:.3e}, {} episodes, {} of {} steps at the boundary, first mean h lambda / B = {ratio:.3}, |lambda| ~ {:.0}",
        ep.t_detected,
        r.episodes.len(),
        r.stiff_steps,
        sol.stats.naccept,
        ep.mean_lambda
    );
    assert!((ratio - 1.0).abs() < 0.2);
    assert!(ep.t_detected < 1.0);
    // On the slow branch near y1 = 2 the Jacobian's stiff eigenvalue is about
    // -mu (y1^2 - 1) ~ -3000.
    assert!(
        ep.mean_lambda > 1000.0 && ep.mean_lambda < 4000.0,
        "{}",
        ep.mean_lambda
    );
    assert!(r.stiff_steps as f64 > 0.5 * sol.stats.naccept as f64);
}

#[test]
fn arenstorf_and_kepler_are_never_flagged() {
    for tol in [1e-3, 1e-4, 1e-6, 1e-8, 1e-10, 1e-12] {
        let o = Options::default().tol(tol).save(SaveMode::FinalOnly);
        let sol = Integrator::new(ExplicitRk::dopri5())
            .options(o.clone())
            .solve(arenstorf, 0.0, AREN_T, arenstorf_y0())
            .unwrap();
        let r = report(&sol);
        assert!(
            !r.is_stiff() && r.estimated_steps == sol.stats.naccept,
            "Arenstorf tol {tol}"
        );
        assert!(r.max_h_lambda < DP5_BOUNDARY, "Arenstorf max {}", r.max_h_lambda);
        for e in [0.0, 0.5, 0.9] {
            let sol = Integrator::new(ExplicitRk::dopri5())
                .options(o.clone())
                .solve(kepler, 0.0, 20.0 * PI, kepler_y0(e))
                .unwrap();
            let r = report(&sol);
            assert!(!r.is_stiff(), "Kepler e = {e} tol {tol}: {:?}", r.first());
            assert!(r.max_h_lambda < DP5_BOUNDARY, "Kepler max {}", r.max_h_lambda);
        }
    }
}

/// Every explicit pair now has an estimate: Hairer's same-node stage pair
/// (DP5, Tsit5, Vern6, DOP853, and Vern7's and Vern9's non-FSAL pairs at
/// c = 1) or the error-combination quotient (BS3, RKF45, Cash–Karp). On
/// Prothero–Robinson with lambda = 1e4 each is flagged, and the mean
/// `|h lambda|` of its pinned run is its own boundary within 5 %; the signed
/// estimate says the mode decays (`h lambda ~ -B`).
#[test]
fn every_explicit_pair_is_flagged_at_its_own_boundary() {
    use odestride::method::Method;
    for m in Method::ALL {
        if m.tableau().is_none() || m.is_step_doubling() || !m.is_adaptive() {
            continue;
        }
        let b = Stepper::<f64, f64>::stability_boundary(&m.stepper::<f64, f64>()).unwrap();
        let sol = Integrator::new(m.stepper())
            .options(
                Options::default()
                    .tol(1e-4)
                    .save(SaveMode::FinalOnly)
                    .max_steps(1_000_000),
            )
            .solve(prothero_robinson(1e4), 0.0, 1.0, 1.0)
            .unwrap();
        let r = sol.diagnostics.stiffness.as_ref().expect("a boundary");
        assert_eq!(r.estimated_steps, sol.stats.naccept, "{m}");
        let ep = r.first().unwrap_or_else(|| panic!("{m} not flagged"));
        let ratio = ep.mean_h_lambda / b;
        // ... and the steps really are at the boundary: mean h lambda from
        // the step count.
        let h_mean = 1.0 / sol.stats.naccept as f64;
        println!(
            "{m:10} B = {b:.4}: mean |h lambda| / B = {ratio:.4} (from the step count {:.4})",
            h_mean * 1e4 / b
        );
        assert!((ratio - 1.0).abs() < 0.05, "{m}: {ratio}");
        assert!((h_mean * 1e4 / b - 1.0).abs() < 0.2, "{m}");
    }
    // The signed companion on DP5's last step: h lambda ~ -B.
    let mut integ = Integrator::new(ExplicitRk::<f64, f64>::dopri5())
        .options(Options::default().tol(1e-4).save(SaveMode::FinalOnly));
    let sol = integ.solve(prothero_robinson(1e4), 0.0, 0.1, 1.0).unwrap();
    assert_eq!(sol.status, Status::Success);
    let st = integ.stepper();
    let (e, s) = (
        st.stiffness_estimate().unwrap(),
        st.stiffness_estimate_signed().unwrap(),
    );
    assert!((s + e).abs() < 1e-6 * e && e > 0.8 * DP5_BOUNDARY, "{e} {s}");
}

#[test]
fn detector_can_be_switched_off() {
    let sol = Integrator::new(ExplicitRk::dopri5())
        .detect_stiffness(StiffnessConfig::off())
        .options(Options::default().tol(1e-4))
        .solve(prothero_robinson(1e4), 0.0, 0.1, 1.0)
        .unwrap();
    assert!(sol.diagnostics.stiffness.is_none());
}

/// Records `(|h lambda| estimate, h Re lambda estimate, |h| rho(J(y)))` of
/// every accepted step, the last from the exact Jacobian's eigenvalues.
struct EstimateLog<'a, F> {
    rho: F,
    out: &'a mut Vec<(f64, f64, f64)>,
}

impl<const N: usize, F: Fn(&nalgebra::SVector<f64, N>) -> f64 + Send>
    odestride::monitor::Monitor<f64, nalgebra::SVector<f64, N>> for EstimateLog<'_, F>
{
    fn name(&self) -> &str {
        "estimate log"
    }
    fn accepted(
        &mut self,
        s: &mut odestride::monitor::AcceptedStep<'_, f64, nalgebra::SVector<f64, N>>,
    ) -> odestride::monitor::AfterStep<f64> {
        if let (Some(e), Some(signed)) = (s.stiffness, s.stiffness_signed) {
            self.out.push((e, signed, s.h.abs() * (self.rho)(s.y)));
        }
        odestride::monitor::AfterStep::Continue
    }
}

/// The `q`-quantile of `v` (sorted in place).
fn quantile(v: &mut [f64], q: f64) -> f64 {
    v.sort_by(f64::total_cmp);
    v[((v.len() - 1) as f64 * q).round() as usize]
}

/// The estimate against the truth on nonlinear, multi-component problems:
/// on every accepted step where the exact `|h| rho(J)` (eigenvalues of the
/// analytic Jacobian) is at least `B / 2`, the estimate of every pair with a
/// same-node stage pair (DP5, DOP853, Vern7, Vern9) reads it within a few
/// per cent, and the signed estimate says the mode decays. Van der Pol
/// `mu = 100` at tol 1e-3 (the relaxation branches, where `rho` changes
/// along the orbit; 4 000–6 000 such steps per pair) and ROBER at
/// rtol 1e-7 (about 25 000). Vern9's earlier error-combination quotient read
/// down to 0.89 of the truth on Van der Pol (10th percentile).
#[test]
fn same_node_estimates_track_the_jacobian_spectral_radius() {
    use nalgebra::{Matrix2, Matrix3};
    type V3 = nalgebra::SVector<f64, 3>;
    let mu = 100.0;
    let rho_vdp = move |y: &V2| {
        let j = Matrix2::new(
            0.0,
            1.0,
            mu * (-2.0 * y[0] * y[1] - 1.0),
            mu * (1.0 - y[0] * y[0]),
        );
        j.complex_eigenvalues()
            .iter()
            .map(|c| c.norm())
            .fold(0.0, f64::max)
    };
    let rho_rober = |y: &V3| {
        #[rustfmt::skip]
        let j = Matrix3::new(
            -0.04, 1e4 * y[2], 1e4 * y[1],
            0.04, -1e4 * y[2] - 6e7 * y[1], -1e4 * y[1],
            0.0, 6e7 * y[1], 0.0,
        );
        j.complex_eigenvalues()
            .iter()
            .map(|c| c.norm())
            .fold(0.0, f64::max)
    };
    let check = |name: &str, log: &[(f64, f64, f64)], b: f64, min_steps: usize| {
        let pinned: Vec<_> = log.iter().filter(|x| x.2 >= 0.5 * b).collect();
        let mut ratio: Vec<f64> = pinned.iter().map(|x| x.0 / x.2).collect();
        let mut signed: Vec<f64> = pinned.iter().map(|x| -x.1 / x.2).collect();
        assert!(pinned.len() >= min_steps, "{name}: {} steps", pinned.len());
        let (p10, p50, p90) = (
            quantile(&mut ratio, 0.1),
            quantile(&mut ratio, 0.5),
            quantile(&mut ratio, 0.9),
        );
        let s50 = quantile(&mut signed, 0.5);
        println!(
            "{name:18} {:6} steps at >= B/2: estimate / truth p10 {p10:.4} p50 {p50:.4} p90 {p90:.4}; -signed / truth p50 {s50:.4}",
            pinned.len()
        );
        assert!((p50 - 1.0).abs() < 0.01, "{name}: median {p50}");
        assert!(p10 > 0.97 && p90 < 1.03, "{name}: {p10} .. {p90}");
        assert!((s50 - 1.0).abs() < 0.01, "{name}: signed median {s50}");
    };
    let methods = [
        ("dp5", ExplicitRk::<f64, V2>::dopri5()),
        ("dop853", ExplicitRk::dop853()),
        ("vern7", ExplicitRk::vern7()),
        ("vern9", ExplicitRk::vern9()),
    ];
    for (name, m) in methods {
        let b = Stepper::<f64, V2>::stability_boundary(&m).unwrap();
        let mut log = Vec::new();
        let sol = Integrator::new(m)
            .options(
                Options::default()
                    .tol(1e-3)
                    .save(SaveMode::FinalOnly)
                    .max_steps(1_000_000),
            )
            .monitor(EstimateLog {
                rho: rho_vdp,
                out: &mut log,
            })
            .solve(vdp(mu), 0.0, 200.0, V2::new(2.0, 0.0))
            .unwrap();
        assert_eq!(sol.status, Status::Success);
        check(&format!("{name} vdp"), &log, b, 3000);
    }
    let methods = [
        ("dp5", ExplicitRk::<f64, V3>::dopri5()),
        ("dop853", ExplicitRk::dop853()),
        ("vern7", ExplicitRk::vern7()),
        ("vern9", ExplicitRk::vern9()),
    ];
    for (name, m) in methods {
        let b = Stepper::<f64, V3>::stability_boundary(&m).unwrap();
        let mut log = Vec::new();
        let sol = Integrator::new(m)
            .options(
                Options::default()
                    .rtol(1e-7)
                    .atol(1e-11)
                    .save(SaveMode::FinalOnly)
                    .max_steps(1_000_000),
            )
            .monitor(EstimateLog {
                rho: rho_rober,
                out: &mut log,
            })
            .solve(
                odestride::problems::Rober.system(),
                0.0,
                40.0,
                V3::new(1.0, 0.0, 0.0),
            )
            .unwrap();
        assert_eq!(sol.status, Status::Success);
        check(&format!("{name} rober"), &log, b, 10_000);
    }
}
