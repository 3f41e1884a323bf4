//! Events that act: a ball dropped from 1 m bounces on the floor with
//! restitution 0.9. An event on the height reverses (and damps) the velocity
//! at every impact; the solve ends at the 20th impact. The impact times are
//! compared with the analytic ones, `t_k = t1 (1 + 2 e + ... + 2 e^(k-1))`,
//! `t1 = sqrt(2 h0 / g)`. Then the same solve is interrupted after the 5th
//! bounce, saved as JSON, and resumed: the rest is bit-identical.
//!
//! Run with `cargo run --release --example bouncing_ball`; plots go to
//! `target/plots/`.
#[path = "common/plot.rs"]
mod plot;

use odestride::{Checkpoint, Event, Integrator, Method, Options};
use plot::{Figure, Scale, Series};

const G: f64 = 9.81;
const E: f64 = 0.9;
type V = [f64; 2];

fn fall(_t: f64, y: &V, dy: &mut V) {
    dy[0] = y[1];
    dy[1] = -G;
}

fn floor() -> Event<'static, f64, V> {
    Event::new(|_t, y: &V| y[0])
        .falling()
        .action(|_t, y: &mut V| y[1] *= -E)
        .terminal_after(20)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let t1 = (2.0 / G).sqrt();
    let exact: Vec<f64> = (0..20)
        .scan((0.0, 2.0 * t1 / E), |(t, flight), k| {
            *flight *= E;
            *t += if k == 0 { t1 } else { *flight };
            Some(*t)
        })
        .collect();

    println!("bouncing ball, h0 = 1 m, restitution {E}: 20 impacts, rtol = atol = 1e-12");
    println!("  method    worst |t_k - exact|   steps  f-evals");
    let mut errors = Vec::new();
    for m in [Method::Dp5, Method::Tsit5, Method::Dop853, Method::Rodas5p] {
        let sol =
            Integrator::new(m.stepper())
                .tol(1e-12)
                .event(floor())
                .solve(fall, 0.0, 100.0, [1.0, 0.0])?;
        let err: Vec<(f64, f64)> = sol
            .events
            .iter()
            .zip(&exact)
            .enumerate()
            .map(|(k, (r, t))| ((k + 1) as f64, (r.t - t).abs().max(1e-17)))
            .collect();
        let worst = err.iter().map(|e| e.1).fold(0.0, f64::max);
        println!(
            "  {:8}  {worst:.1e}             {:5}  {:7}",
            m.name(),
            sol.stats.naccept,
            sol.stats.nfev
        );
        errors.push(Series::markers(m.name(), err));
    }

    // The trajectory with dense output, for the plot.
    let sol = Integrator::new(Method::Dp5.stepper())
        .options(Options::default().tol(1e-12).dense(true))
        .event(floor())
        .solve(fall, 0.0, 100.0, [1.0, 0.0])?;
    let t_last = sol.last_time();
    let curve: Vec<(f64, f64)> = (0..=2000)
        .map(|i| t_last * i as f64 / 2000.0)
        .map(|t| (t, sol.at(t).map_or(f64::NAN, |y| y[0])))
        .collect();
    let impacts: Vec<(f64, f64)> = sol.events.iter().map(|r| (r.t, r.y[0])).collect();
    let exact_marks: Vec<(f64, f64)> = exact.iter().map(|t| (*t, 0.0)).collect();
    let path = plot::plot(
        "bouncing_ball.svg",
        &Figure {
            title: "A ball with restitution 0.9: height, impacts found by the event, analytic impact times",
            x_label: "t (s)",
            y_label: "height (m)",
            x_scale: Scale::Linear,
            y_scale: Scale::Linear,
            equal_aspect: false,
        },
        &[
            Series::line("height (DP5 dense output)", curve),
            Series::markers("impacts located by the event", impacts),
            Series::reference("analytic impact times", exact_marks),
        ],
    )?;
    println!("plot: {}", path.display());
    let path = plot::plot(
        "bouncing_ball_errors.svg",
        &Figure {
            title: "Error of the k-th impact time against the analytic value (rtol = atol = 1e-12)",
            x_label: "impact k",
            y_label: "|t_k - exact|",
            x_scale: Scale::Linear,
            y_scale: Scale::Log,
            equal_aspect: false,
        },
        &errors,
    )?;
    println!("plot: {}", path.display());

    // Interrupt after the 5th impact, save, resume from the JSON text.
    let full = Integrator::new(Method::Dp5.stepper())
        .tol(1e-12)
        .event(floor())
        .solve(fall, 0.0, 100.0, [1.0, 0.0])?;
    let mut integ = Integrator::new(Method::Dp5.stepper()).tol(1e-12).event(floor());
    let mut run = integ.start(fall, 0.0, 100.0, [1.0, 0.0])?;
    while run.solution().events.len() < 5 {
        run.step()?;
    }
    // The resumed solution starts with the checkpoint's own (t, y), the last
    // point saved so far.
    let n = run.solution().t.len() - 1;
    let json = serde_json::to_string(&run.checkpoint())?;
    drop(run);
    let cp: Checkpoint<f64, V> = serde_json::from_str(&json)?;
    let rest = Integrator::new(Method::Dp5.stepper())
        .event(floor())
        .resume(fall, cp)?
        .run()?;
    let identical = rest.t[..] == full.t[n..]
        && rest.y[..] == full.y[n..]
        && rest.events[..] == full.events[5..]
        && rest.stats == full.stats;
    println!(
        "checkpoint after impact 5 ({} bytes of JSON), resumed: {} more impacts, bit-identical to the uninterrupted run: {identical}",
        json.len(),
        rest.events.len()
    );
    Ok(())
}
