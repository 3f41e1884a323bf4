use nalgebra::{SMatrix, SVector};
use odestride::system::with_jacobian;
use odestride::{Integrator, Options, Rosenbrock, Stepper};
type V3 = SVector<f64, 3>;
fn main() {
    let f = |_t: f64, y: &V3, dy: &mut V3| {
        dy[0] = -0.04 * y[0] + 1e4 * y[1] * y[2];
        dy[2] = 3e7 * y[1] * y[1];
        dy[1] = -dy[0] - dy[2];
    };
    let jac = |_t: f64, y: &V3, j: &mut SMatrix<f64, 3, 3>| {
        *j = SMatrix::<f64, 3, 3>::new(
            -0.04,
            1e4 * y[2],
            1e4 * y[1],
            0.04,
            -1e4 * y[2] - 6e7 * y[1],
            -1e4 * y[1],
            0.0,
            6e7 * y[1],
            0.0,
        );
    };
    let r = [
        0.2083340149701255e-07,
        0.8333360770334713e-13,
        0.9999999791665050e+00,
    ];
    for tol in [1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-7, 1e-8] {
        for (name, st) in [
            ("r23", Rosenbrock::rosenbrock23()),
            ("rodas4", Rosenbrock::rodas4()),
            ("rodas5p", Rosenbrock::rodas5p()),
        ] {
            let _ = st.name();
            let res = Integrator::new(st)
                .options(Options::default().rtol(tol).atol_per_component(vec![
                    tol * 1e-4,
                    tol * 1e-10,
                    tol * 1e-4,
                ]))
                .solve(
                    with_jacobian(f, jac).autonomous(),
                    0.0,
                    1e11,
                    V3::from([1.0, 0.0, 0.0]),
                );
            match res {
                Ok(sol) => {
                    let y = sol.last_state();
                    let e = (0..3).map(|i| ((y[i] - r[i]) / r[i]).abs()).fold(0.0, f64::max);
                    println!(
                        "{name} tol {tol:e}: relerr {e:.2e} nfev {} acc {} rej {} jev {} lu {}",
                        sol.stats.nfev,
                        sol.stats.naccept,
                        sol.stats.nreject(),
                        sol.stats.njev,
                        sol.stats.nlu
                    );
                }
                Err(e) => println!("{name} tol {tol:e}: {}", e.error),
            }
        }
    }
}
