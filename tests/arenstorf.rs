//! DP5 with the PI controller on the Arenstorf orbit against Hairer's own
//! DOPRI5 counts (docs/reference-problems.md).
mod common;
use common::*;
use odestride::{ExplicitRk, IController, Integrator, Options, PiController, SaveMode};

/// (tol, nfev, accepted, rejected, maxerr) of Hairer's DOPRI5.
const HAIRER_DOPRI5: [(f64, usize, usize, usize, f64); 10] = [
    (1e-3, 332, 43, 12, 2.354e+00),
    (1e-4, 494, 64, 18, 3.237e-01),
    (1e-5, 728, 93, 27, 1.076e-01),
    (1e-6, 986, 139, 23, 3.962e-02),
    (1e-7, 1442, 216, 22, 1.438e-03),
    (1e-8, 2168, 338, 21, 7.446e-05),
    (1e-9, 3212, 530, 3, 1.851e-05),
    (1e-10, 5060, 841, 0, 2.422e-06),
    (1e-11, 8012, 1333, 0, 2.731e-07),
    (1e-12, 12692, 2113, 0, 2.894e-08),
];

#[test]
fn dp5_matches_hairer_dopri5_counts() {
    println!("tol      nfev (Hairer)  acc (Hairer)  rej (Hairer)  maxerr (Hairer)");
    for (tol, nfev_h, acc_h, rej_h, err_h) in HAIRER_DOPRI5 {
        let sol = Integrator::new(ExplicitRk::dopri5())
            .options(Options::default().tol(tol).save(SaveMode::FinalOnly))
            .solve(arenstorf, 0.0, AREN_T, arenstorf_y0())
            .unwrap();
        let err = max_abs_diff(sol.last_state().as_slice(), arenstorf_y0().as_slice());
        let st = &sol.stats;
        println!(
            "{tol:.0e}  {:5} ({nfev_h:5})  {:4} ({acc_h:4})  {:3} ({rej_h:3})  {err:.3e} ({err_h:.3e})",
            st.nfev,
            st.naccept,
            st.nreject()
        );
        // Same tableau, norm, controller and initial step: the counts are
        // Hairer's exactly (rejections differ by the ones Hairer does not
        // count before the first accepted step) and the error lands on his.
        assert_eq!(st.nfev, nfev_h, "tol {tol}: nfev vs Hairer");
        assert_eq!(st.naccept, acc_h, "tol {tol}: accepted vs Hairer");
        assert!(
            err < 1.2 * err_h && err > err_h / 1.2,
            "tol {tol}: err {err} vs {err_h}"
        );
    }
}

#[test]
fn pi_rejects_less_than_i_on_arenstorf() {
    let mut total_pi = 0;
    let mut total_i = 0;
    for tol in [1e-4, 1e-5, 1e-6, 1e-7, 1e-8] {
        let opts = Options::default().tol(tol).save(SaveMode::FinalOnly);
        let pi = Integrator::new(ExplicitRk::dopri5())
            .options(opts.clone())
            .solve(arenstorf, 0.0, AREN_T, arenstorf_y0())
            .unwrap();
        let i = Integrator::new(ExplicitRk::dopri5())
            .controller(IController::new())
            .options(opts)
            .solve(arenstorf, 0.0, AREN_T, arenstorf_y0())
            .unwrap();
        println!(
            "tol {tol:.0e}: PI rejects {}, I rejects {}",
            pi.stats.nreject(),
            i.stats.nreject()
        );
        total_pi += pi.stats.nreject();
        total_i += i.stats.nreject();
    }
    assert!(total_pi < total_i, "PI {total_pi} vs I {total_i}");
}

/// (tol, nfev, accepted, rejected, maxerr) of Hairer's DOP853 (docs/reference-problems.md).
const HAIRER_DOP853: [(f64, usize, usize, usize, f64); 10] = [
    (1e-3, 427, 29, 7, 1.944e+00),
    (1e-4, 660, 42, 14, 2.163e-02),
    (1e-5, 836, 53, 18, 3.187e-02),
    (1e-6, 1035, 65, 22, 6.910e-03),
    (1e-7, 1361, 83, 32, 6.714e-04),
    (1e-8, 1736, 106, 41, 8.434e-05),
    (1e-9, 2184, 136, 49, 7.281e-06),
    (1e-10, 2785, 176, 59, 8.554e-07),
    (1e-11, 3509, 229, 67, 7.452e-09),
    (1e-12, 4249, 298, 59, 8.503e-10),
];

fn dop853_run(tol: f64, hairer_limits: bool) -> (odestride::Stats, f64) {
    use odestride::controller::Limits;
    let opts = Options::default().tol(tol).save(SaveMode::FinalOnly);
    let sol = if hairer_limits {
        // dop853.f defaults: SAFE = 0.9, FAC1 = 0.333, FAC2 = 6, BETA = 0.
        let limits = Limits {
            safety: 0.9,
            min_factor: 0.333,
            max_factor: 6.0,
        };
        Integrator::new(ExplicitRk::dop853())
            .controller(PiController::new(0.0).with_limits(limits))
            .options(opts)
            .solve(arenstorf, 0.0, AREN_T, arenstorf_y0())
    } else {
        // The default: a PI controller with the tableau's beta (0 for DOP853).
        Integrator::new(ExplicitRk::dop853())
            .options(opts)
            .solve(arenstorf, 0.0, AREN_T, arenstorf_y0())
    }
    .unwrap();
    let err = max_abs_diff(sol.last_state().as_slice(), arenstorf_y0().as_slice());
    (sol.stats, err)
}

#[test]
fn dop853_matches_hairer_dop853_counts() {
    println!("tol    | Hairer's limits [0.333, 6] given explicitly   | the default integrator");
    println!(
        "       | nfev (Hairer)  acc (Hairer)  rej (Hairer)  maxerr (Hairer)     | nfev   acc  rej  maxerr"
    );
    for (tol, nfev_h, acc_h, rej_h, err_h) in HAIRER_DOP853 {
        let (st, err) = dop853_run(tol, true);
        let (sd, errd) = dop853_run(tol, false);
        println!(
            "{tol:.0e}  | {:5} ({nfev_h:5})  {:4} ({acc_h:4})  {:3} ({rej_h:3})  {err:.3e} ({err_h:.3e}) | {:5} {:4} {:3}  {errd:.3e}",
            st.nfev,
            st.naccept,
            st.nreject(),
            sd.nfev,
            sd.naccept,
            sd.nreject()
        );
        // With Hairer's limits the counts are his exactly: the FSAL stage is
        // only evaluated for accepted steps, as in dop853.f.
        assert_eq!(st.nfev, nfev_h, "tol {tol}: nfev vs Hairer");
        assert_eq!(st.naccept, acc_h, "tol {tol}: accepted vs Hairer");
        // The default integrator is Hairer's DOP853 (beta 0, limits [0.333, 6]).
        assert_eq!(sd.nfev, nfev_h, "tol {tol}: default-controller nfev vs Hairer");
        assert_eq!(
            sd.naccept, acc_h,
            "tol {tol}: default-controller accepted vs Hairer"
        );
        assert_eq!(errd, err, "tol {tol}: the default is not Hairer's setting");
        // Same tableau, estimator and controller: the error is Hairer's to within a factor 2.
        assert!(
            err < 2.0 * err_h && err > err_h / 2.0,
            "tol {tol}: err {err} vs {err_h}"
        );
    }
}

#[test]
fn high_order_beats_dp5_at_tight_tolerance() {
    // rtol = atol = 1e-10; error against the 40-digit reference of the double-rounded problem.
    let run = |st: ExplicitRk<f64, V4>| {
        let sol = Integrator::new(st)
            .options(Options::default().tol(1e-10).save(SaveMode::FinalOnly))
            .solve(arenstorf, 0.0, AREN_T, arenstorf_y0())
            .unwrap();
        let err = max_abs_diff(sol.last_state().as_slice(), arenstorf_ref().as_slice());
        (sol.stats.nfev, err)
    };
    let (n5, e5) = run(ExplicitRk::dopri5());
    let (n8, e8) = run(ExplicitRk::dop853());
    let (n9, e9) = run(ExplicitRk::vern9());
    println!(
        "rtol = atol = 1e-10: DP5 {n5} f-evals, error {e5:.2e}; DOP853 {n8}, {e8:.2e}; Vern9 {n9}, {e9:.2e}"
    );
    assert!(n8 < n5 && e8 <= e5, "DOP853 {n8}/{e8:e} vs DP5 {n5}/{e5:e}");
    assert!(n9 < n5 && e9 <= e5, "Vern9 {n9}/{e9:e} vs DP5 {n5}/{e5:e}");
}
