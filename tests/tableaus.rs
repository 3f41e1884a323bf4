//! Every built-in tableau against the theory: order conditions from rooted trees (main,
//! embedded and continuous-extension weights), the real stability boundary recomputed from
//! the stability function, and convergence orders measured with fixed steps.
mod common;
use common::loglog_slope;
use nalgebra::SVector;
use odestride::tableau::{ErrorEstimate, Tableau, ALL};
use odestride::{ExplicitRk, Integrator, Options, SaveMode, Stepper};

// ---------------------------------------------------------------- rooted trees

/// A rooted tree: its order and its children (indices of smaller trees).
struct Tree {
    order: usize,
    children: Vec<usize>,
}

/// All rooted trees up to order `max`, each multiset of children listed once
/// (children sorted by index). 1, 1, 2, 4, 9, 20, 48, 115, 286 trees of orders 1..9.
fn trees(max: usize) -> Vec<Tree> {
    let mut t = vec![Tree {
        order: 1,
        children: vec![],
    }];
    for n in 2..=max {
        let mut new = Vec::new();
        fn rec(t: &[Tree], rem: usize, min: usize, seq: &mut Vec<usize>, out: &mut Vec<Vec<usize>>) {
            if rem == 0 {
                out.push(seq.clone());
                return;
            }
            for id in min..t.len() {
                if t[id].order <= rem {
                    seq.push(id);
                    rec(t, rem - t[id].order, id, seq, out);
                    seq.pop();
                }
            }
        }
        rec(&t, n - 1, 0, &mut Vec::new(), &mut new);
        for children in new {
            t.push(Tree { order: n, children });
        }
    }
    t
}

fn gamma(t: &[Tree], i: usize) -> f64 {
    t[i].order as f64 * t[i].children.iter().map(|&c| gamma(t, c)).product::<f64>()
}

/// Full square A over all stages (method stages, then dense-output extra stages).
fn full_a(tab: &Tableau) -> Vec<Vec<f64>> {
    let mut rows: Vec<&[f64]> = tab.a.to_vec();
    if let Some(d) = &tab.dense {
        rows.extend(d.extra_a.iter().copied());
    }
    let n = rows.len();
    rows.iter()
        .map(|r| {
            let mut v = r.to_vec();
            v.resize(n, 0.0);
            v
        })
        .collect()
}

/// Stage vectors g(t)_i = prod_children (A g(child))_i.
fn stage_vectors(t: &[Tree], a: &[Vec<f64>]) -> Vec<Vec<f64>> {
    let n = a.len();
    let mut g: Vec<Vec<f64>> = Vec::with_capacity(t.len());
    for tree in t {
        let mut v = vec![1.0; n];
        for &c in &tree.children {
            for i in 0..n {
                v[i] *= (0..n).map(|j| a[i][j] * g[c][j]).sum::<f64>();
            }
        }
        g.push(v);
    }
    g
}

/// Per order n = 1..=max: the largest |Phi(t) - 1/gamma(t)| over trees of order n, and the
/// largest scaled residual |Phi(t) - 1/gamma(t)| / max(1, Phi_abs(t)), where Phi_abs is Phi
/// evaluated with |A| and |w|. Rounding the coefficients to f64 perturbs Phi by a few ulp of
/// Phi_abs, which is O(1) for most methods but ~1e4 for Vern6 (stages 7 and 8 have c = 0.9995
/// and 1 and weights of -73 and +71): its order conditions hold to ~3e-11 absolute with the
/// f64-rounded coefficients, even evaluated exactly (checked in 50-digit arithmetic).
fn residuals(t: &[Tree], g: &[Vec<f64>], gabs: &[Vec<f64>], w: &[f64], max: usize) -> (Vec<f64>, Vec<f64>) {
    let mut r = vec![0.0f64; max + 1];
    let mut rel = vec![0.0f64; max + 1];
    for (i, tree) in t.iter().enumerate() {
        if tree.order > max {
            continue;
        }
        let phi: f64 = w.iter().zip(&g[i]).map(|(a, b)| a * b).sum();
        let phi_abs: f64 = w.iter().zip(&gabs[i]).map(|(a, b)| a.abs() * b).sum();
        let res = (phi - 1.0 / gamma(t, i)).abs();
        r[tree.order] = r[tree.order].max(res);
        rel[tree.order] = rel[tree.order].max(res / phi_abs.max(1.0));
    }
    (r, rel)
}

fn embedded_weights(tab: &Tableau) -> Vec<(Vec<f64>, u32, &'static str)> {
    let sub = |e: &[f64]| tab.b.iter().zip(e).map(|(b, e)| b - e).collect::<Vec<f64>>();
    match tab.error {
        ErrorEstimate::None => vec![],
        ErrorEstimate::Embedded(e) => vec![(sub(e), tab.embedded_order, "b - e")],
        // DOP853: b - e5 is a fifth-order, b - e3 (Hairer's BHH) a third-order solution.
        ErrorEstimate::Combined53 { e5, e3 } => vec![(sub(e5), 5, "b - e5"), (sub(e3), 3, "b - e3")],
    }
}

#[test]
fn order_conditions_from_rooted_trees() {
    let t = trees(10);
    assert_eq!(t.iter().filter(|x| x.order == 9).count(), 286);
    println!("method   main: order  max|res|   next-order res | embedded | dense");
    for tab in ALL {
        tab.validate().unwrap();
        let a = full_a(tab);
        let n = a.len();
        let g = stage_vectors(&t, &a);
        let a_abs: Vec<Vec<f64>> = a.iter().map(|r| r.iter().map(|x| x.abs()).collect()).collect();
        let gabs = stage_vectors(&t, &a_abs);
        let pad = |w: &[f64]| {
            let mut v = w.to_vec();
            v.resize(n, 0.0);
            v
        };
        let p = tab.order as usize;
        let (r, rel) = residuals(&t, &g, &gabs, &pad(tab.b), p + 1);
        let worst = r[1..=p].iter().cloned().fold(0.0, f64::max);
        let worst_rel = rel[1..=p].iter().cloned().fold(0.0, f64::max);
        assert!(
            worst_rel < 1e-13,
            "{}: order-{p} residual {worst:e} (scaled {worst_rel:e})",
            tab.name
        );
        // ...and the order is not higher than declared.
        assert!(
            r[p + 1] > 1e-8,
            "{}: order {} conditions hold too",
            tab.name,
            p + 1
        );
        let mut line = format!(
            "{:7} main {p}: {worst:.1e} (scaled {worst_rel:.1e}; order {}: {:.1e})",
            tab.name,
            p + 1,
            r[p + 1]
        );
        for (w, q, what) in embedded_weights(tab) {
            let q = q as usize;
            let (r, rel) = residuals(&t, &g, &gabs, &pad(&w), q + 1);
            let worst = r[1..=q].iter().cloned().fold(0.0, f64::max);
            let worst_rel = rel[1..=q].iter().cloned().fold(0.0, f64::max);
            assert!(
                worst_rel < 1e-13,
                "{} {what}: order-{q} residual {worst:e}",
                tab.name
            );
            assert!(r[q + 1] > 1e-8, "{} {what}: order {} holds too", tab.name, q + 1);
            line += &format!(" | {what} order {q}: {worst:.1e} (scaled {worst_rel:.1e})");
        }
        if let Some(d) = &tab.dense {
            // Continuous extension of order q: for every tree with |t| <= q and every power m,
            // sum_i b_theta[i][m] g_i(t) = [m + 1 == |t|] / gamma(t). The weights can be large
            // (Vern6: ~1e5), so the residual is measured against the size of the sum.
            let q = d.order as usize;
            assert_eq!(d.b_theta.len(), n);
            let mut worst = 0.0f64;
            for (i, tree) in t.iter().enumerate() {
                if tree.order > q {
                    continue;
                }
                for m in 0..d.b_theta[0].len() {
                    let (mut s, mut size) = (0.0, 1.0f64);
                    for ((row, gi), ga) in d.b_theta.iter().zip(&g[i]).zip(&gabs[i]) {
                        let r = row.get(m).copied().unwrap_or(0.0);
                        s += r * gi;
                        size += r.abs() * ga;
                    }
                    let target = if m + 1 == tree.order {
                        1.0 / gamma(&t, i)
                    } else {
                        0.0
                    };
                    worst = worst.max((s - target).abs() / size);
                }
            }
            assert!(
                worst < 1e-13,
                "{}: dense order-{q} relative residual {worst:e}",
                tab.name
            );
            // b_i(1) = b_i
            for (i, row) in d.b_theta.iter().enumerate() {
                let b1: f64 = row.iter().sum();
                let bi = tab.b.get(i).copied().unwrap_or(0.0);
                assert!((b1 - bi).abs() < 1e-12 * (1.0 + row.iter().map(|x| x.abs()).sum::<f64>()));
            }
            line += &format!(" | dense order {q}: {worst:.1e} (rel)");
        }
        println!("{line}");
    }
}

// ---------------------------------------------------------------- stability

/// R(x) = 1 + x b^T (I - x A)^{-1} 1 on the real axis (explicit: forward substitution).
fn stability_function(tab: &Tableau, x: f64) -> f64 {
    let s = tab.stages();
    let mut g = vec![0.0; s];
    for i in 0..s {
        g[i] = 1.0 + x * (0..i).map(|j| tab.a[i][j] * g[j]).sum::<f64>();
    }
    1.0 + x * tab.b.iter().zip(&g).map(|(b, g)| b * g).sum::<f64>()
}

#[test]
fn stability_boundaries_match_the_stability_function() {
    for tab in ALL {
        // Walk left from 0 until |R| > 1, then bisect.
        let step = 1e-3;
        let mut x = 0.0;
        while stability_function(tab, x - step).abs() <= 1.0 {
            x -= step;
            assert!(x > -50.0, "{}: no boundary found", tab.name);
        }
        let (mut lo, mut hi) = (x - step, x);
        for _ in 0..60 {
            let mid = 0.5 * (lo + hi);
            if stability_function(tab, mid).abs() <= 1.0 {
                hi = mid;
            } else {
                lo = mid;
            }
        }
        let computed = -hi;
        println!(
            "{:7} stability boundary {computed:.6} (stored {})",
            tab.name, tab.stability_boundary
        );
        let rel = (computed - tab.stability_boundary).abs() / computed;
        assert!(
            rel < 1e-3,
            "{}: {computed} vs {}",
            tab.name,
            tab.stability_boundary
        );
    }
}

// ---------------------------------------------------------------- convergence

type V2 = SVector<f64, 2>;

/// A manufactured smooth, nonlinear, non-autonomous problem with a known solution:
/// y' = N(y) - N(u(t)) + u'(t), N(y) = 4 (-y1 y2, y1^2/2 - y2^3), u = (1 + sin(2t)/2, cos t).
/// The factor 4 makes the nonlinearity (not the forcing) dominate the global error; the
/// interpolation test uses factor 1, so that the interpolant's own error, not the step's,
/// dominates at moderate h.
fn exact(t: f64) -> V2 {
    V2::new(1.0 + 0.5 * (2.0 * t).sin(), t.cos())
}
fn problem(k: f64) -> impl FnMut(f64, &V2, &mut V2) {
    let nl = move |y: &V2| k * V2::new(-y[0] * y[1], 0.5 * y[0] * y[0] - y[1] * y[1] * y[1]);
    move |t: f64, y: &V2, dy: &mut V2| {
        let du = V2::new((2.0 * t).cos(), -t.sin());
        *dy = nl(y) - nl(&exact(t)) + du;
    }
}

const T0: f64 = 0.3;
const T1: f64 = 2.3;

fn global_error(tab: &'static Tableau, n: usize) -> f64 {
    let h = (T1 - T0) / n as f64;
    let sol = Integrator::new(ExplicitRk::new(tab).unwrap())
        .options(Options::default().fixed_step(h).save(SaveMode::EveryStep))
        .solve(problem(4.0), T0, T1, exact(T0))
        .unwrap();
    assert_eq!(sol.stats.naccept, n);
    // Max over the trajectory: the error at one time can pass through zero.
    sol.t
        .iter()
        .zip(&sol.y)
        .map(|(t, y)| (y - exact(*t)).amax())
        .fold(0.0, f64::max)
}

/// Step counts (over [T0, T1]) where the error is in the asymptotic regime and above 5e-13,
/// and the slope the measurement must show.
///
/// Two of Verner's "most efficient" pairs were optimised to have a principal (order p+1)
/// local error far smaller than the next term: relative to 1/(p+1)!, the tall-tree residual
/// of Vern6 at order 7 is 1.8e-3 and of Vern9 at order 10 is 2.1e-2 (against ~1 for the
/// next order). The h^p global term then only dominates for steps whose errors are far
/// below f64 round-off, so in double precision these methods converge like order p + 1;
/// that is what is measured for them (their order p is established exactly by the
/// rooted-tree test above). Vern6 shows a clean slope 7; Vern9's measurable range is too
/// short for a clean 10 (10.2-10.6 depending on the range), so for Vern9 the test asserts a
/// slope of at least 9 (the third value `true`).
fn convergence_plan(tab: &Tableau) -> (Vec<usize>, f64, bool) {
    let p = tab.order as f64;
    match tab.name {
        "Euler" => (vec![200, 400, 800, 1600], p, false),
        "Midpoint" | "Heun" => (vec![50, 100, 200, 400], p, false),
        "BS3" => (vec![32, 64, 128, 256], p, false),
        "RK4" | "RKF45" => (vec![48, 96, 192, 384], p, false),
        "CK5" => (vec![90, 128, 180, 256], p, false),
        "DP5" => (vec![64, 90, 128, 180, 256], p, false),
        "Tsit5" => (vec![128, 180, 256], p, false),
        "Vern6" => (vec![22, 32, 45, 64], p + 1.0, false),
        "Vern7" => (vec![22, 32, 45, 64], p, false),
        "DOP853" => (vec![11, 16, 22, 32], p, false),
        "Vern9" => (vec![8, 11, 16, 22], p, true),
        other => panic!("no convergence plan for {other}"),
    }
}

/// One step of size h from the exact value, interpolated at theta = 0.3 (not 1/2: DP5's
/// interpolant is one order better at the midpoint by design).
fn dense_local_error(tab: &'static Tableau, h: f64) -> f64 {
    let tm = T0 + 0.3 * h;
    let sol = Integrator::new(ExplicitRk::new(tab).unwrap())
        .options(Options::default().fixed_step(h).save_at(vec![tm]))
        .solve(problem(1.0), T0, T0 + h, exact(T0))
        .unwrap();
    assert_eq!(sol.t[0], tm);
    (sol.y[0] - exact(tm)).amax()
}

#[test]
fn measured_convergence_orders() {
    println!("method  order  measured slope | dense order  local slope (expect q+1)");
    for tab in ALL {
        let (ns, expect, at_least_p) = convergence_plan(tab);
        let hs: Vec<f64> = ns.iter().map(|n| (T1 - T0) / *n as f64).collect();
        let errs: Vec<f64> = ns.iter().map(|n| global_error(tab, *n)).collect();
        let slope = loglog_slope(&hs, &errs);
        assert!(
            errs.iter().all(|e| *e > 5e-13),
            "{}: errors too close to round-off {errs:?}",
            tab.name
        );
        assert!(
            (slope - expect).abs() < 0.2 || (at_least_p && slope > expect - 0.2),
            "{}: measured order {slope}, expected {expect} (errors {errs:?})",
            tab.name
        );
        // Continuous extension (when the tableau has none, the engine's fallback: the
        // quartic Hermite-Birkhoff interpolant for order >= 4, the cubic Hermite below).
        // The interpolant uses y_new, so its local error is O(h^(min(q, p) + 1)).
        let q = Stepper::<f64, V2>::dense_order(&ExplicitRk::<f64, V2>::new(tab).unwrap()).min(tab.order);
        // Ranges where the local interpolation error is asymptotic and above 1e-13. Verner.s
        // interpolants, like their main weights, have a principal error much smaller
        // than the next term (Vern7's order-7 conditions fail only by ~1e-4), so their
        // measured local slope (Vern6 7.3, Vern7 7.5-8, Vern9 10-11) exceeds q + 1 over every
        // measurable range;
        // the ranges are short and noisy, so for them the test asserts a slope above q + 1/2.
        let (dh, at_least): (Vec<f64>, bool) = match tab.name {
            "Vern6" => (vec![0.18, 0.13, 0.1, 0.07], true),
            "Vern7" => (vec![0.45, 0.35, 0.25, 0.18], true),
            "DOP853" => (vec![0.35, 0.25, 0.18, 0.13, 0.1], false),
            "Vern9" => (vec![0.45, 0.35, 0.25, 0.18], true),
            // The fallback interpolants (quartic for RKF45, quintic for Cash-Karp) have a
            // large next-order term: per halving the errors fall by 41.5, 38.1, 35.5 (RKF45,
            // slope 5.26; 32 expected) and 79, 75, 70 (CK5, slope 6.22; 64 expected),
            // approaching the asymptote only below the 1e-13 floor; asserted above q + 1/2.
            "RKF45" => (vec![0.1, 0.05, 0.025, 0.0125], true),
            "CK5" => (vec![0.2, 0.1, 0.05, 0.025], true),
            _ => (vec![0.2, 0.1, 0.05, 0.025], false),
        };
        let derr: Vec<f64> = dh.iter().map(|h| dense_local_error(tab, *h)).collect();
        let dslope = loglog_slope(&dh, &derr);
        println!(
            "{:7} {} (expect {expect})  {slope:.2} (err {:.1e}..{:.1e}) | {q}  {dslope:.2}  (err {:.1e}..{:.1e})",
            tab.name,
            tab.order,
            errs[0],
            errs[errs.len() - 1],
            derr[0],
            derr[derr.len() - 1]
        );
        assert!(
            derr.iter().all(|e| *e > 1e-13),
            "{}: dense errors {derr:?}",
            tab.name
        );
        assert!(
            (dslope - (q + 1) as f64).abs() < 0.2 || (at_least && dslope > q as f64 + 0.5),
            "{}: dense local slope {dslope}, expected {} (errors {derr:?})",
            tab.name,
            q + 1
        );
    }
}

// ---------------------------------------------------------------- consistency to rounding

/// A double-double accumulator: sums of f64 values and of products of two f64 values,
/// exact to ~1e-32 relative to the sum of magnitudes, so that what is measured below is
/// the consistency of the stored f64 coefficients, not the rounding of the check.
#[derive(Clone, Copy, Default)]
struct Dd(f64, f64);

impl Dd {
    fn add(&mut self, x: f64) {
        // TwoSum (Knuth), then renormalise.
        let s = self.0 + x;
        let bb = s - self.0;
        let err = (self.0 - (s - bb)) + (x - bb);
        let lo = self.1 + err;
        self.0 = s + lo;
        self.1 = lo - (self.0 - s);
    }
    fn add_prod(&mut self, a: f64, b: f64) {
        let p = a * b;
        self.add(p);
        self.add(a.mul_add(b, -p));
    }
    fn minus(self, x: f64) -> f64 {
        (self.0 - x) + self.1
    }
}

fn dd_sum(v: &[f64]) -> Dd {
    let mut s = Dd::default();
    v.iter().for_each(|x| s.add(*x));
    s
}

fn dd_dot(v: &[f64], w: &[f64]) -> Dd {
    let mut s = Dd::default();
    v.iter().zip(w).for_each(|(x, y)| s.add_prod(*x, *y));
    s
}

/// The consistency conditions that make an explicit method reproduce polynomial solutions
/// hold for the stored f64 coefficients to a few ulp, evaluated exactly (double-double):
/// sum b = 1 and sum b c = 1/2 for the main and every embedded solution, c_i = sum_j a_ij
/// for every stage (method and dense-output stages), and for the continuous extension
/// sum_i b_i(theta) = theta (bushy tree of order 1) and sum_i b_i(theta) c_i = theta^2 / 2
/// (order 2) at several theta.
///
/// Rounding each published coefficient independently to f64 breaks these sums by up to
/// eps * (sum of the magnitudes), which is 1e-14 for Vern6's weights (|b_7|, |b_8| ~ 175)
/// and 1e-12 .. 1e-11 for the power-basis interpolants (coefficients up to 4e3 for Vern9,
/// 1.2e5 for Vern6); the tableaus therefore carry one or two coefficients per condition
/// adjusted by a few ulp so that the conditions hold exactly (see the tableau files).
#[test]
fn consistency_conditions_hold_to_a_few_ulp() {
    let eps = f64::EPSILON;
    let tol = 8.0 * eps;
    let thetas = [0.1, 0.25, 0.3, 0.5, 2.0 / 3.0, 0.7, 0.9, 1.0];
    println!("method  |sum b-1|  |sum b c-1/2|  |sum bh-1| |c-sum a|  dense: max|sum b(th)-th|  max|sum b(th)c-th^2/2|  (units of eps)");
    for tab in ALL {
        let c = tab.c;
        let main_sum = dd_sum(tab.b).minus(1.0).abs();
        let main_c = dd_dot(tab.b, c).minus(0.5).abs();
        assert!(main_sum <= tol, "{}: sum b - 1 = {main_sum:e}", tab.name);
        // (sum b c = 1/2 is the order-2 condition: not for Euler.)
        let main_c = if tab.order >= 2 { main_c } else { 0.0 };
        assert!(main_c <= tol, "{}: sum b c - 1/2 = {main_c:e}", tab.name);
        // Embedded weights b_hat = b - e: sum b_hat - 1 = (sum b - 1) - sum e, exactly.
        let es: Vec<&[f64]> = match tab.error {
            ErrorEstimate::None => vec![],
            ErrorEstimate::Embedded(e) => vec![e],
            ErrorEstimate::Combined53 { e5, e3 } => vec![e5, e3],
        };
        let mut emb = 0.0f64;
        for e in es {
            let mut sum = dd_sum(tab.b);
            e.iter().for_each(|x| sum.add(-x));
            let mut sc = dd_dot(tab.b, c);
            e.iter().zip(c).for_each(|(x, ci)| sc.add_prod(-x, *ci));
            let (r1, r2) = (sum.minus(1.0).abs(), sc.minus(0.5).abs());
            assert!(r1 <= tol, "{}: sum b_hat - 1 = {r1:e}", tab.name);
            assert!(r2 <= tol, "{}: sum b_hat c - 1/2 = {r2:e}", tab.name);
            emb = emb.max(r1.max(r2));
        }
        // Rows of A: method stages, then dense-output stages.
        let mut rows: Vec<(&[f64], f64)> = tab.a.iter().copied().zip(c.iter().copied()).collect();
        let mut cfull = c.to_vec();
        if let Some(d) = &tab.dense {
            rows.extend(d.extra_a.iter().copied().zip(d.extra_c.iter().copied()));
            cfull.extend_from_slice(d.extra_c);
        }
        let mut rowres = 0.0f64;
        for (i, (row, ci)) in rows.iter().enumerate().skip(1) {
            let r = dd_sum(row).minus(*ci).abs();
            assert!(r <= tol, "{}: stage {i}: c - sum_j a_ij = {r:e}", tab.name);
            rowres = rowres.max(r);
        }
        let mut line = format!(
            "{:7} {:6.2} {:6.2} {:6.2} {:6.2}",
            tab.name,
            main_sum / eps,
            main_c / eps,
            emb / eps,
            rowres / eps
        );
        if let Some(d) = &tab.dense {
            let deg = d.b_theta.iter().map(|r| r.len()).max().unwrap();
            assert_eq!(d.b_theta.len(), cfull.len());
            // Column residuals: sum_i b_theta[i][m] - [m = 0], sum_i b_theta[i][m] c_i - [m = 1]/2.
            let col = |m: usize| -> Vec<f64> {
                d.b_theta
                    .iter()
                    .map(|r| r.get(m).copied().unwrap_or(0.0))
                    .collect()
            };
            let r1: Vec<f64> = (0..deg)
                .map(|m| dd_sum(&col(m)).minus(if m == 0 { 1.0 } else { 0.0 }))
                .collect();
            let r2: Vec<f64> = (0..deg)
                .map(|m| dd_dot(&col(m), &cfull).minus(if m == 1 { 0.5 } else { 0.0 }))
                .collect();
            let at = |r: &[f64], th: f64| -> f64 { r.iter().rev().fold(0.0, |acc, x| acc * th + x) * th };
            let (mut w1, mut w2) = (0.0f64, 0.0f64);
            for th in thetas {
                let (e1, e2) = (at(&r1, th).abs(), at(&r2, th).abs());
                assert!(e1 <= tol, "{}: sum_i b_i({th}) - {th} = {e1:e}", tab.name);
                // The c-weighted sums of a column can only be moved in steps of the ulps of
                // its coefficients (up to ~4e3 for Vern9), so a few columns keep a residual
                // of up to 10 eps: allowed 32 eps in all.
                assert!(
                    e2 <= 4.0 * tol,
                    "{}: sum_i b_i({th}) c_i - {th}^2/2 = {e2:e}",
                    tab.name
                );
                w1 = w1.max(e1);
                w2 = w2.max(e2);
            }
            line += &format!("  dense {:6.2} {:6.2}", w1 / eps, w2 / eps);
        }
        println!("{line}");
    }
}

/// Rounding scale of the continuous extension at theta as the engine evaluates it (Horner in
/// powers of theta, per stage): sum_i sum_m |b_theta[i][m]| theta^(m+1). It is ~1 for DP5,
/// ~1e2 for DOP853 and Vern7, ~1e3 for Vern9 and ~1e5 for Vern6 near theta = 1. Without a
/// continuous extension the engine's Hermite(-Birkhoff) fallback is used (small coefficients).
fn dense_rounding_scale(tab: &Tableau, th: f64) -> f64 {
    match &tab.dense {
        None => 8.0,
        Some(d) => d
            .b_theta
            .iter()
            .map(|r| r.iter().rev().fold(0.0, |acc, x| acc * th + x.abs()) * th)
            .sum(),
    }
}

/// y' = const (y linear) and y' = t (y quadratic) are solved exactly by every method of order
/// at least 1 (2), step and continuous extension alike (given the consistency conditions
/// tested above), so all that remains is floating-point rounding. Checked for every tableau,
/// two fixed steps from t0 = 0.5, at every step end and at 9 points inside each step, through
/// both dense paths (`save_at`, which interpolates, and `Solution::at`, which stores the
/// polynomial coefficients per step).
///
/// The bound is 2 eps times the size of what is summed: |y| + h |f| (steps * sum|b_i| +
/// S(theta) + theta S(1)), with S the rounding scale of the interpolant above (the engine
/// corrects the interpolant by theta times its mismatch at theta = 1). For the methods with
/// small coefficients this is ~1e-15 relative (measured: at most 2.8e-15 for Tsit5, 7e-16 for
/// DP5). For Vern6, Vern7, Vern9 and DOP853 the engine's evaluation of the power-basis
/// interpolant (Horner per stage, coefficients up to 1.2e5, 4e3, 1e3, 5e2) is the floor,
/// not the data: measured relative errors up to 8e-12, 4e-13, 5e-12 and 1e-13 here. Making
/// those reach ~1e-15 too needs a better-conditioned evaluation in the stepper (e.g.
/// compensated Horner in `weights_at`, compensated sums in `dense_coefficients`).
#[test]
fn polynomial_solutions_are_reproduced_to_rounding() {
    let eps = f64::EPSILON;
    let (t0, h, nsteps) = (0.5, 0.45, 2usize);
    let y0 = V2::new(1.0, -2.0);
    type Rhs = fn(f64, &V2, &mut V2);
    let constant: Rhs = |_t, _y, dy| *dy = V2::new(1.0, -9.81);
    let linear: Rhs = |t, _y, dy| *dy = V2::new(t, 1.0 - 2.0 * t);
    let exact_constant = |t: f64| y0 + (t - t0) * V2::new(1.0, -9.81);
    let exact_linear = |t: f64| y0 + V2::new(0.5 * (t * t - t0 * t0), (t - t * t) - (t0 - t0 * t0));
    let fmax = [9.81, 1.0 + 2.0 * (t0 + nsteps as f64 * h)];
    println!(
        "method  worst error / (eps * scale): y'=const step, dense | y'=t step, dense; worst relative error"
    );
    for tab in ALL {
        let b_abs: f64 = tab.b.iter().map(|x| x.abs()).sum();
        let mut line = format!("{:7}", tab.name);
        let mut worst_rel = 0.0f64;
        for (p, (f, exact)) in [
            (constant, &exact_constant as &dyn Fn(f64) -> V2),
            (linear, &exact_linear as &dyn Fn(f64) -> V2),
        ]
        .into_iter()
        .enumerate()
        {
            if p == 1 && tab.order < 2 {
                continue; // Euler does not integrate y' = t exactly
            }
            let ends: Vec<f64> = (1..=nsteps).map(|k| t0 + k as f64 * h).collect();
            let inner: Vec<f64> = (0..nsteps)
                .flat_map(|k| (1..10).map(move |j| t0 + (k as f64 + j as f64 / 10.0) * h))
                .collect();
            let mut times: Vec<f64> = inner.iter().chain(&ends).copied().collect();
            times.sort_by(f64::total_cmp);
            let sol = Integrator::new(ExplicitRk::new(tab).unwrap())
                .options(
                    Options::default()
                        .fixed_step(h)
                        .save_at(times.clone())
                        .dense(true),
                )
                .solve(f, t0, t0 + nsteps as f64 * h, y0)
                .unwrap();
            assert_eq!(sol.t.len(), times.len());
            let bound = |t: f64| {
                let th = ((t - t0) / h).fract();
                let th = if th < 1e-9 { 1.0 } else { th };
                let dense = if ends.contains(&t) {
                    0.0
                } else {
                    dense_rounding_scale(tab, th) + th * dense_rounding_scale(tab, 1.0)
                };
                2.0 * eps * (exact(t).amax() + h * fmax[p] * (nsteps as f64 * b_abs + dense))
            };
            let (mut ws, mut wd) = (0.0f64, 0.0f64);
            for (t, y) in sol.t.iter().zip(&sol.y) {
                let want = exact(*t);
                let from_at = sol.at(*t).unwrap();
                for got in [y, &from_at] {
                    let err = (got - want).amax();
                    let ratio = err / bound(*t) * 2.0;
                    assert!(
                        err <= bound(*t),
                        "{} problem {p}: t = {t}: error {err:e} > bound {:e}",
                        tab.name,
                        bound(*t)
                    );
                    worst_rel = worst_rel.max(err / want.amax());
                    if ends.contains(t) {
                        ws = ws.max(ratio);
                    } else {
                        wd = wd.max(ratio);
                    }
                }
            }
            line += &format!(" | {ws:5.2} {wd:5.2}");
        }
        println!("{line}   {worst_rel:.1e}");
    }
}

// ------------------------------------------------- one method, every step path

/// Kepler's problem (eccentricity 0.6): after one period the exact solution is
/// back at its start.
fn kepler(_t: f64, y: &SVector<f64, 4>, dy: &mut SVector<f64, 4>) {
    let r3 = (y[0] * y[0] + y[1] * y[1]).powf(1.5);
    *dy = SVector::<f64, 4>::new(y[2], y[3], -y[0] / r3, -y[1] / r3);
}

/// The named constructors run a built-in tableau through compiled code: its
/// own unrolled step body (DP5, DOP853, Vern9) or its compiled kernels (the
/// others). A copy of the tableau under another name runs on the stored
/// nonzero lists instead, a separate implementation of the same sums. With
/// the same controller both must take the same steps to the bit (the three
/// implementations sum the same terms in the same order) and land on the
/// exact orbit.
#[test]
fn compiled_and_stored_coefficients_are_the_same_method() {
    use odestride::tableau;
    // The built-in tableau under another name: no longer recognised as
    // built in, so it runs on its stored coefficients.
    macro_rules! renamed {
        ($($copy:ident = $tab:ident;)*) => {$(
            static $copy: Tableau = Tableau {
                name: concat!(stringify!($tab), " (stored)"),
                ..tableau::$tab
            };
        )*};
    }
    renamed! {
        DP5 = DORMAND_PRINCE_54;
        TSIT5 = TSITOURAS_54;
        VERN6 = VERNER_65;
        VERN7 = VERNER_76;
        DOP853 = DORMAND_PRINCE_853;
        VERN9 = VERNER_98;
    }
    type V4 = SVector<f64, 4>;
    let e = 0.6;
    let y0 = V4::new(1.0 - e, 0.0, 0.0, ((1.0 + e) / (1.0 - e)).sqrt());
    let period = 2.0 * std::f64::consts::PI;
    let cases: [(ExplicitRk<f64, V4>, &'static Tableau, f64); 6] = [
        // Bounds: about 4x the measured errors after one period at tol 1e-10
        // (2.6e-8, 1.6e-8, 5.8e-10, 2.3e-10, 9.0e-9, 3.4e-10).
        (ExplicitRk::dopri5(), &DP5, 1e-7),
        (ExplicitRk::tsit5(), &TSIT5, 1e-7),
        (ExplicitRk::vern6(), &VERN6, 3e-9),
        (ExplicitRk::vern7(), &VERN7, 1e-9),
        (ExplicitRk::dop853(), &DOP853, 4e-8),
        (ExplicitRk::vern9(), &VERN9, 2e-9),
    ];
    for (named, stored, bound) in cases {
        // One controller for both, set explicitly: the named constructors
        // also choose tuning (Vern7's predictive step, DOP853's step-ratio
        // limits), which a renamed copy does not get.
        let ctrl = odestride::PiController::new(stored.pi_beta)
            .with_limits(odestride::controller::Limits::default())
            .with_predictive(false);
        let solve = |m: ExplicitRk<f64, V4>| {
            Integrator::new(m)
                .controller(ctrl)
                .tol(1e-10)
                .options(Options::default().save(SaveMode::FinalOnly))
                .solve(kepler, 0.0, period, y0)
                .unwrap()
        };
        let (a, b) = (solve(named), solve(ExplicitRk::new(stored).unwrap()));
        let (ya, yb) = (*a.last_state(), *b.last_state());
        assert_eq!(
            (a.stats.naccept, a.stats.nreject(), a.stats.nfev),
            (b.stats.naccept, b.stats.nreject(), b.stats.nfev),
            "{}: compiled and stored coefficients took different steps",
            stored.name
        );
        assert_eq!(ya, yb, "{}: states differ", stored.name);
        let err = (ya - y0).amax();
        assert!(err < bound, "{}: error after one period {err:e}", stored.name);
        println!("{:16} nfev {:5}  error {err:.1e}", stored.name, a.stats.nfev);
    }
}
