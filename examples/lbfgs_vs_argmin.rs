//! L-BFGS of odestride against argmin's L-BFGS in the same process:
//! evaluations to reach ||g|| <= 1e-8 and wall time, measured in
//! interleaved rounds (odestride, argmin, odestride, ...) so that machine
//! load affects both alike; the reported time ratio is the median over
//! rounds of (odestride time / argmin time).
//!
//! Run: `cargo run --release --example lbfgs_vs_argmin`
//! (`-- --quick` for fewer rounds). Writes target/plots/lbfgs_vs_argmin.csv and two plots,
//! `lbfgs_vs_argmin_evals.svg` and `lbfgs_vs_argmin_time.svg`.

#[path = "common/argmin_peer.rs"]
mod peer;
#[path = "common/plot.rs"]
mod plot;
use std::hint::black_box;
use std::time::Instant;

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        0.5 * (v[n / 2 - 1] + v[n / 2])
    }
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let rounds = if quick { 5 } else { 21 };
    let mut csv = String::from("problem,lib,iterations,nf,ng,time_us\n");
    println!(
        "{:<24} {:>16} {:>16} {:>10} {:>10} {:>7}",
        "problem", "odestride nf/ng", "argmin nf/ng", "ode [us]", "argmin[us]", "ratio"
    );
    let (mut names, mut nf, mut times) = (Vec::new(), [Vec::new(), Vec::new()], [Vec::new(), Vec::new()]);
    for (pi, p) in peer::problems().into_iter().enumerate() {
        let a = peer::run_odestride(&p);
        let b = peer::run_argmin(&p);
        // repetitions per timed block: aim at ~2 ms per block
        let t = Instant::now();
        black_box(peer::run_argmin(&p));
        let one = t.elapsed().as_secs_f64();
        let reps = ((2e-3 / one).ceil() as usize).clamp(1, 1000);
        let (mut ta, mut tb, mut ratio) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..rounds {
            let t = Instant::now();
            for _ in 0..reps {
                black_box(peer::run_odestride(black_box(&p)));
            }
            let x = t.elapsed().as_secs_f64() / reps as f64;
            let t = Instant::now();
            for _ in 0..reps {
                black_box(peer::run_argmin(black_box(&p)));
            }
            let y = t.elapsed().as_secs_f64() / reps as f64;
            ta.push(x);
            tb.push(y);
            ratio.push(x / y);
        }
        let (ma, mb, mr) = (median(&mut ta), median(&mut tb), median(&mut ratio));
        let x = (pi + 1) as f64;
        names.push(format!("{} {}", pi + 1, p.name));
        nf[0].push((x, a.nf as f64 + a.ng as f64));
        nf[1].push((x, b.nf as f64 + b.ng as f64));
        times[0].push((x, ma * 1e6));
        times[1].push((x, mb * 1e6));
        println!(
            "{:<24} {:>16} {:>16} {:>10.1} {:>10.1} {:>7.3}{}",
            p.name,
            format!("{}/{}", a.nf, a.ng),
            format!("{}/{}", b.nf, b.ng),
            ma * 1e6,
            mb * 1e6,
            mr,
            if a.converged && b.converged {
                ""
            } else {
                "  (not converged!)"
            }
        );
        csv += &format!(
            "{},odestride,{},{},{},{:.3}\n",
            p.name,
            a.iterations,
            a.nf,
            a.ng,
            ma * 1e6
        );
        csv += &format!(
            "{},argmin,{},{},{},{:.3}\n",
            p.name,
            b.iterations,
            b.nf,
            b.ng,
            mb * 1e6
        );
    }
    let path = plot::plot_path("lbfgs_vs_argmin.csv");
    std::fs::write(&path, csv).expect("write csv");
    println!("wrote {}", path.display());
    let problems = names.join(", ");
    for (file, what, data, y) in [
        (
            "lbfgs_vs_argmin_evals.svg",
            "f + g evaluations to ||g|| <= 1e-8",
            &nf,
            "evaluations (f + g)",
        ),
        (
            "lbfgs_vs_argmin_time.svg",
            "median time per solve",
            &times,
            "time per solve [us]",
        ),
    ] {
        let title = format!("L-BFGS, odestride vs argmin: {what}");
        let x_label = format!("problem: {problems}");
        let path = plot::plot(
            file,
            &plot::Figure {
                title: &title,
                x_label: &x_label,
                y_label: y,
                x_scale: plot::Scale::Linear,
                y_scale: plot::Scale::Log,
                equal_aspect: false,
            },
            &[
                plot::Series::markers("odestride L-BFGS", data[0].clone()),
                plot::Series::markers("argmin L-BFGS", data[1].clone()),
            ],
        )
        .expect("plot");
        println!("wrote {}", path.display());
    }
}
