//! The odestride programs of `docs/api-comparison.md`, verbatim between the
//! `// program` and `// end` markers (the doc counts their lines, formatted
//! by rustfmt at its default width, hence `rustfmt::skip` against this
//! repository's wider setting), each followed by checks of what it computed
//! against analytic values.
use std::f64::consts::PI;

type Res = Result<(), Box<dyn std::error::Error>>;

#[test]
#[rustfmt::skip] // the programs as rustfmt formats them at its default width
fn task1_solve_and_read_a_component() -> Res {
    // program
    use odestride::{Integrator, Method};

    let mut ig = Integrator::new(Method::Auto.stepper());
    let sol = ig.solve_fn(|_, y, dy| *dy = [y[1], -y[0]], 0.0, 10.0, [1.0, 0.0])?;
    let x = sol.component(0)?;
    // end
    assert_eq!(x.len(), sol.t.len());
    // (the literals leave f32 or f64 open until the end of the function: the
    // checks name f64 to call float methods)
    for (t, x) in sol.t.iter().zip(&x) {
        assert!((x - f64::cos(*t)).abs() < 1e-4, "{t}: {x}");
    }
    Ok(())
}

#[test]
#[rustfmt::skip] // the programs as rustfmt formats them at its default width
fn task2_dense_output_at_many_times() -> Res {
    // program
    use odestride::{Integrator, Method};

    let sol = Integrator::new(Method::Auto.stepper())
        .dense(true)
        .solve_fn(|_, y, dy| *dy = [y[1], -y[0]], 0.0, 10.0, [1.0, 0.0])?;
    let ys = sol.at_many((0..=1000).map(|i| i as f64 / 100.0))?;
    // end
    assert_eq!(ys.len(), 1001);
    for (i, y) in ys.iter().enumerate() {
        let t = i as f64 / 100.0;
        assert!(
            (y[0] - t.cos()).abs() < 1e-4 && (y[1] + t.sin()).abs() < 1e-4,
            "{t}: {y:?}"
        );
    }
    Ok(())
}

#[test]
#[rustfmt::skip] // the programs as rustfmt formats them at its default width
fn task3_terminal_event() -> Res {
    // program
    use odestride::{Event, Integrator, Method};

    let sol = Integrator::new(Method::Auto.stepper())
        .event(Event::new(|_, y: &[f64; 2]| y[0]).falling().terminal())
        .solve_fn(|_, y, dy| *dy = [y[1], -y[0]], 0.0, 10.0, [1.0, 0.0])?;
    let t_hit = sol.events[0].t;
    // end
    assert!((t_hit - PI / 2.0).abs() < 1e-5, "{t_hit}");
    assert_eq!(sol.last_time(), t_hit);
    Ok(())
}

// program
#[rustfmt::skip]
fn kepler(_t: f64, y: &[f64; 4], dy: &mut [f64; 4]) {
    let r3 = y[0].hypot(y[1]).powi(3);
    *dy = [y[2], y[3], -y[0] / r3, -y[1] / r3];
}
// end

#[test]
#[rustfmt::skip] // the programs as rustfmt formats them at its default width
fn task4_energy_monitored_orbit() -> Res {
    // program
    use odestride::{Integrator, InvariantMonitor, Method};

    let h = |_, y: &[f64; 4]| 0.5 * (y[2] * y[2] + y[3] * y[3]) - 1.0 / y[0].hypot(y[1]);
    let mut energy = InvariantMonitor::energy(h, 1e-8);
    let sol = Integrator::new(Method::Auto.stepper())
        .monitor(&mut energy)
        .solve(kepler, 0.0, 200.0 * PI, [0.4, 0.0, 0.0, 2.0])?;
    let drift = energy.reports()[0].max_drift;
    // end
    // energy -1/(2a) = -0.5 with a = 1; the budget holds over 100 periods
    let y = sol.last_state();
    let e = 0.5 * (y[2] * y[2] + y[3] * y[3]) - 1.0 / y[0].hypot(y[1]);
    println!(
        "drift {drift:.2e}, final energy error {:.2e}, {} steps",
        (e + 0.5).abs(),
        sol.stats.naccept
    );
    assert!(drift <= 1e-8, "{drift}");
    assert!((e + 0.5).abs() <= 1e-8, "{e}");
    Ok(())
}

#[test]
#[rustfmt::skip] // the programs as rustfmt formats them at its default width
fn task5_tolerance_and_method() -> Res {
    // program
    use odestride::{ExplicitRk, Integrator};

    let sol = Integrator::new(ExplicitRk::dop853())
        .rtol(1e-10)
        .atol(1e-12)
        .solve_fn(|_, y, dy| *dy = [y[1], -y[0]], 0.0, 10.0, [1.0, 0.0])?;
    // end
    let y = sol.last_state();
    assert!(
        (y[0] - 10f64.cos()).abs() < 1e-9 && (y[1] + 10f64.sin()).abs() < 1e-9,
        "{y:?}"
    );
    Ok(())
}
