//! DP5 with the PI controller on the Arenstorf orbit against Hairer's own
//! DOPRI5 counts (../shared/problems/arenstorf.md).
mod common;
use common::*;
use odestride::{ExplicitRk, IController, Integrator, Options, SaveMode};

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
        let rel = (st.nfev as f64 - nfev_h as f64).abs() / nfev_h as f64;
        assert!(rel <= 0.10, "tol {tol}: nfev {} vs Hairer {nfev_h}", st.nfev);
        // Same tableau, norm, controller and initial step: the accepted
        // count and the error land on Hairer's figures.
        assert!(
            st.naccept.abs_diff(acc_h) <= 2,
            "tol {tol}: accepted {} vs {acc_h}",
            st.naccept
        );
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
