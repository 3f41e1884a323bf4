//! Every Rosenbrock tableau against the theory (Hairer & Wanner, *Solving ODEs II*,
//! Sect. IV.7), in the classical form recovered from the stored transformed form:
//! order conditions from rooted trees (main, embedded and continuous-extension
//! weights), stage times and `gamma_i` as row sums, stiff accuracy, and the
//! stability function at infinity and on the imaginary axis.
//!
//! Classical form: `Gamma = (diag(1/gamma) - C)^(-1)` (lower triangular, `gamma` on the
//! diagonal), `alpha = a Gamma` (strictly lower), `b = m Gamma`,
//! `b_hat = (m - e) Gamma`, `B = alpha + Gamma`.
use odestride::tableau::{RosenbrockDense, RosenbrockTableau, ROSENBROCK_ALL};

type Mat = Vec<Vec<f64>>;

// ---------------------------------------------------------------- rooted trees

/// A rooted tree: its order and its children (indices of smaller trees).
struct Tree {
    order: usize,
    children: Vec<usize>,
}

/// All rooted trees up to order `max`, each multiset of children listed once
/// (children sorted by index). 1, 1, 2, 4, 9, 20, 48 trees of orders 1..7.
fn trees(max: usize) -> Vec<Tree> {
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
    let mut t = vec![Tree {
        order: 1,
        children: vec![],
    }];
    for n in 2..=max {
        let mut new = Vec::new();
        rec(&t, n - 1, 0, &mut Vec::new(), &mut new);
        t.extend(new.into_iter().map(|children| Tree { order: n, children }));
    }
    t
}

/// The density gamma(t) (the exact solution's weight is 1/gamma(t)).
fn density(t: &[Tree], i: usize) -> f64 {
    t[i].order as f64 * t[i].children.iter().map(|&c| density(t, c)).product::<f64>()
}

// ---------------------------------------------------------------- classical form

/// A Rosenbrock method in the classical form of HW IV.7 (square `s x s` matrices).
struct Classical {
    /// Lower triangular, `gamma` on the diagonal.
    gamma: Mat,
    /// Strictly lower triangular.
    alpha: Mat,
    b: Vec<f64>,
    b_hat: Vec<f64>,
}

fn mat_vec(m: &Mat, v: &[f64]) -> Vec<f64> {
    m.iter()
        .map(|r| r.iter().zip(v).map(|(a, b)| a * b).sum())
        .collect()
}

/// `v^T m`.
fn vec_mat(v: &[f64], m: &Mat) -> Vec<f64> {
    (0..m.len())
        .map(|j| (0..v.len()).map(|k| v[k] * m[k][j]).sum())
        .collect()
}

fn mat_mat(a: &Mat, b: &Mat) -> Mat {
    a.iter().map(|r| vec_mat(r, b)).collect()
}

/// Inverse of a lower-triangular matrix, row by row (forward substitution).
fn invert_lower(l: &Mat) -> Mat {
    let s = l.len();
    let mut inv: Mat = Vec::with_capacity(s);
    for (i, row) in l.iter().enumerate() {
        let r = (0..s)
            .map(|col| match col.cmp(&i) {
                std::cmp::Ordering::Greater => 0.0,
                std::cmp::Ordering::Equal => 1.0 / row[i],
                std::cmp::Ordering::Less => -(col..i).map(|k| row[k] * inv[k][col]).sum::<f64>() / row[i],
            })
            .collect();
        inv.push(r);
    }
    inv
}

/// Pads ragged strictly-lower rows (row `i` has `i` entries) to a square matrix.
fn square(rows: &[&[f64]]) -> Mat {
    let s = rows.len();
    rows.iter()
        .map(|r| {
            let mut v = r.to_vec();
            v.resize(s, 0.0);
            v
        })
        .collect()
}

fn check_shapes(tab: &RosenbrockTableau) {
    let s = tab.stages();
    let name = tab.name;
    assert!(s > 0 && tab.gamma > 0.0, "{name}: no stages or gamma <= 0");
    for (what, rows) in [("a", tab.a), ("c", tab.c)] {
        assert_eq!(rows.len(), s, "{name}: rows of {what}");
        for (i, r) in rows.iter().enumerate() {
            assert_eq!(r.len(), i, "{name}: row {i} of {what}");
        }
    }
    for (what, v) in [("alpha", tab.alpha), ("gamma_i", tab.gamma_i), ("e", tab.e)] {
        assert_eq!(v.len(), s, "{name}: length of {what}");
    }
    let (RosenbrockDense::Rodas(rows) | RosenbrockDense::Poly(rows)) = tab.dense;
    assert!(!rows.is_empty(), "{name}: empty dense output");
    for r in rows {
        assert_eq!(r.len(), s, "{name}: dense row length");
    }
}

fn classical(tab: &RosenbrockTableau) -> Classical {
    check_shapes(tab);
    let s = tab.stages();
    // Gamma^(-1) = diag(1/gamma) - C.
    let mut gamma_inv: Mat = square(tab.c)
        .iter()
        .map(|r| r.iter().map(|x| -x).collect())
        .collect();
    for (i, row) in gamma_inv.iter_mut().enumerate() {
        row[i] = 1.0 / tab.gamma;
    }
    let gamma = invert_lower(&gamma_inv);
    let alpha = mat_mat(&square(tab.a), &gamma);
    let m_hat: Vec<f64> = tab.m.iter().zip(tab.e).map(|(m, e)| m - e).collect();
    let c = Classical {
        b: vec_mat(tab.m, &gamma),
        b_hat: vec_mat(&m_hat, &gamma),
        gamma,
        alpha,
    };
    assert!(c
        .alpha
        .iter()
        .enumerate()
        .all(|(i, r)| r[i..].iter().all(|&x| x == 0.0)));
    assert_eq!(c.b.len(), s);
    c
}

impl Classical {
    /// `B = alpha + Gamma`: lower triangular with `gamma` on the diagonal.
    fn big_b(&self) -> Mat {
        let mut b = self.alpha.clone();
        for (r, g) in b.iter_mut().zip(&self.gamma) {
            for (x, y) in r.iter_mut().zip(g) {
                *x += y;
            }
        }
        b
    }

    /// Elementary weight vectors Phi(t): leaves are the vector of ones; a vertex with
    /// exactly one child applies `B` (the `J` term of the method joins `alpha` there); a
    /// vertex with two or more children multiplies `alpha Phi(child)` componentwise.
    fn elementary_weights(&self, t: &[Tree]) -> Vec<Vec<f64>> {
        let s = self.b.len();
        let big_b = self.big_b();
        let mut phi: Vec<Vec<f64>> = Vec::with_capacity(t.len());
        for tree in t {
            let v = match tree.children.as_slice() {
                [] => vec![1.0; s],
                [c] => mat_vec(&big_b, &phi[*c]),
                cs => cs.iter().fold(vec![1.0; s], |acc, &c| {
                    let w = mat_vec(&self.alpha, &phi[c]);
                    acc.iter().zip(&w).map(|(a, b)| a * b).collect()
                }),
            };
            phi.push(v);
        }
        phi
    }
}

/// Per order n = 1..=max: the largest |w^T Phi(t) - scale(n) / gamma(t)| over trees of order n.
fn residuals(t: &[Tree], phi: &[Vec<f64>], w: &[f64], max: usize, scale: impl Fn(usize) -> f64) -> Vec<f64> {
    let mut r = vec![0.0f64; max + 1];
    for (i, tree) in t.iter().enumerate().filter(|(_, x)| x.order <= max) {
        let value: f64 = w.iter().zip(&phi[i]).map(|(a, b)| a * b).sum();
        r[tree.order] = r[tree.order].max((value - scale(tree.order) / density(t, i)).abs());
    }
    r
}

fn worst(r: &[f64], upto: usize) -> f64 {
    r[1..=upto].iter().cloned().fold(0.0, f64::max)
}

fn fmt_orders(r: &[f64], upto: usize) -> String {
    (1..=upto)
        .map(|n| format!("{:.1e}", r[n]))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Transformed dense weights `P(theta)`: `y(t + theta h) = y + sum_j P_j(theta) u_j`.
fn dense_weights(tab: &RosenbrockTableau, theta: f64) -> Vec<f64> {
    match tab.dense {
        // (1 - th) y + th (y_new + (1 - th)(k_0 + th k_1 + th^2 k_2 ...))
        //   = y + th sum_j m_j u_j + th (1 - th) sum_l th^l k_l.
        RosenbrockDense::Rodas(h) => (0..tab.stages())
            .map(|j| {
                let poly: f64 = h.iter().rev().fold(0.0, |acc, row| acc * theta + row[j]);
                theta * tab.m[j] + theta * (1.0 - theta) * poly
            })
            .collect(),
        RosenbrockDense::Poly(rows) => (0..tab.stages())
            .map(|j| rows.iter().rev().fold(0.0, |acc, row| (acc + row[j]) * theta))
            .collect(),
    }
}

const THETAS: [f64; 5] = [0.1, 0.25, 0.5, 0.75, 0.9];

// ---------------------------------------------------------------- order conditions

#[test]
fn order_conditions_from_rooted_trees() {
    let t = trees(7);
    assert_eq!(t.iter().filter(|x| x.order == 7).count(), 48);
    println!("max |b^T Phi(t) - 1/gamma(t)| per order (dense: max over theta, rhs theta^|t|/gamma(t))");
    for tab in ROSENBROCK_ALL {
        let cl = classical(tab);
        let phi = cl.elementary_weights(&t);
        let (p, q) = (tab.order as usize, tab.embedded_order as usize);
        assert!(p.max(q) < 7, "{}: raise the tree order", tab.name);

        let main = residuals(&t, &phi, &cl.b, p + 1, |_| 1.0);
        assert!(
            worst(&main, p) <= 1e-13,
            "{}: order-{p} residuals {main:?}",
            tab.name
        );
        assert!(
            main[p + 1] > 1e-8,
            "{}: order {} conditions hold too",
            tab.name,
            p + 1
        );
        let emb = residuals(&t, &phi, &cl.b_hat, q + 1, |_| 1.0);
        assert!(
            worst(&emb, q) <= 1e-13,
            "{}: embedded order-{q} residuals {emb:?}",
            tab.name
        );
        assert!(
            emb[q + 1] > 1e-8,
            "{}: embedded order {} holds too",
            tab.name,
            q + 1
        );

        let d = tab.dense_order as usize;
        let mut dense = vec![0.0f64; d + 2];
        for &theta in &THETAS {
            let b_theta = vec_mat(&dense_weights(tab, theta), &cl.gamma);
            let r = residuals(&t, &phi, &b_theta, d + 1, |n| theta.powi(n as i32));
            for (x, y) in dense.iter_mut().zip(&r) {
                *x = x.max(*y);
            }
        }
        assert!(
            worst(&dense, d) <= 1e-12,
            "{}: dense order-{d} residuals {dense:?}",
            tab.name
        );
        assert!(
            dense[d + 1] > 1e-8,
            "{}: dense order {} holds too",
            tab.name,
            d + 1
        );

        println!(
            "{:12} main     order {p}: {} | order {}: {:.1e}",
            tab.name,
            fmt_orders(&main, p),
            p + 1,
            main[p + 1]
        );
        println!(
            "{:12} embedded order {q}: {} | order {}: {:.1e}",
            "",
            fmt_orders(&emb, q),
            q + 1,
            emb[q + 1]
        );
        println!(
            "{:12} dense    order {d}: {} | order {}: {:.1e}",
            "",
            fmt_orders(&dense, d),
            d + 1,
            dense[d + 1]
        );
    }
}

/// The conditions of HW Table IV.7.1 up to order 3, written out by hand with
/// `beta'_ij = alpha_ij + gamma_ij` for j < i: they hold for the main weights, and
/// they are the tree conditions above with the `gamma` terms moved to the right.
#[test]
fn hairer_wanner_table_up_to_order_3() {
    for tab in ROSENBROCK_ALL {
        let cl = classical(tab);
        let g = tab.gamma;
        let s = tab.stages();
        let mut beta = cl.big_b();
        for (i, r) in beta.iter_mut().enumerate() {
            r[i] = 0.0;
        }
        let ones = vec![1.0; s];
        let dot = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(x, y)| x * y).sum::<f64>();
        let c = mat_vec(&cl.alpha, &ones);
        let beta1 = mat_vec(&beta, &ones);
        let c2: Vec<f64> = c.iter().map(|x| x * x).collect();
        for (w, what) in [(&cl.b, "main"), (&cl.b_hat, "embedded")] {
            let order = if what == "main" {
                tab.order
            } else {
                tab.embedded_order
            };
            let conditions = [
                (1, dot(w, &ones), 1.0),
                (2, dot(w, &beta1), 0.5 - g),
                (3, dot(w, &c2), 1.0 / 3.0),
                (3, dot(w, &mat_vec(&beta, &beta1)), 1.0 / 6.0 - g + g * g),
            ];
            for (n, lhs, rhs) in conditions {
                if n <= order {
                    assert!(
                        (lhs - rhs).abs() <= 1e-13,
                        "{} {what}: HW order-{n} condition {lhs} vs {rhs}",
                        tab.name
                    );
                }
            }
        }
    }
}

// ---------------------------------------------------------------- structure

/// `alpha_i` and `gamma_i` are the row sums of the classical `alpha` and `Gamma`. The sums
/// `Gamma 1` are computed by one forward substitution, `(diag(1/gamma) - C) x = 1`, and
/// `alpha 1 = a x`: summing the rows of the explicitly inverted `Gamma` instead loses a
/// few more digits to cancellation (Rodas5P's `C` has entries up to 165: ~1e-14).
#[test]
fn stage_times_and_gamma_i_are_row_sums() {
    for tab in ROSENBROCK_ALL {
        let cl = classical(tab);
        let mut gamma_1 = Vec::with_capacity(tab.stages());
        for row in tab.c {
            let sum: f64 = row.iter().zip(&gamma_1).map(|(c, x)| c * x).sum();
            gamma_1.push(tab.gamma * (1.0 + sum));
        }
        let alpha_1 = mat_vec(&square(tab.a), &gamma_1);
        let mut worst = (0.0f64, 0.0f64, 0.0f64);
        for i in 0..tab.stages() {
            let (alpha_i, gamma_i) = (alpha_1[i], gamma_1[i]);
            assert!(
                (alpha_i - tab.alpha[i]).abs() <= 1e-14,
                "{}: alpha_{i} {alpha_i} vs {}",
                tab.name,
                tab.alpha[i]
            );
            assert!(
                (gamma_i - tab.gamma_i[i]).abs() <= 1e-14,
                "{}: gamma_{i} {gamma_i} vs {}",
                tab.name,
                tab.gamma_i[i]
            );
            assert!((cl.gamma[i][i] - tab.gamma).abs() <= 1e-15);
            // The explicit inverse agrees to a looser tolerance.
            let rows = (cl.alpha[i].iter().sum::<f64>(), cl.gamma[i].iter().sum::<f64>());
            assert!((rows.0 - alpha_i).abs() <= 1e-13 && (rows.1 - gamma_i).abs() <= 1e-13);
            worst.0 = worst.0.max((alpha_i - tab.alpha[i]).abs());
            worst.1 = worst.1.max((gamma_i - tab.gamma_i[i]).abs());
            worst.2 = worst
                .2
                .max((rows.0 - tab.alpha[i]).abs().max((rows.1 - tab.gamma_i[i]).abs()));
        }
        println!(
            "{:12} max |alpha_i - row sum| {:.1e}, |gamma_i - row sum| {:.1e} (explicit inverse {:.1e})",
            tab.name, worst.0, worst.1, worst.2
        );
    }
}

#[test]
fn stiff_accuracy_flags_are_honest() {
    for tab in ROSENBROCK_ALL {
        let s = tab.stages();
        let cl = classical(tab);
        // Transformed form: m_j = a_sj (j < s) and m_s = 1, i.e. y_new = Y_s + u_s.
        let transformed = tab.a[s - 1].iter().zip(tab.m).all(|(a, m)| a == m) && tab.m[s - 1] == 1.0;
        // Classical form: b is the last row of B = alpha + Gamma.
        let big_b = cl.big_b();
        let classical =
            cl.b.iter()
                .zip(&big_b[s - 1])
                .all(|(b, r)| (b - r).abs() <= 1e-13);
        assert_eq!(transformed, classical, "{}: the two forms disagree", tab.name);
        assert_eq!(
            transformed, tab.stiffly_accurate,
            "{}: stiffly_accurate flag",
            tab.name
        );
    }
}

/// A complex number, just enough for the stability function.
#[derive(Clone, Copy)]
struct Cx(f64, f64);

impl Cx {
    fn add(self, o: Cx) -> Cx {
        Cx(self.0 + o.0, self.1 + o.1)
    }
    fn mul(self, o: Cx) -> Cx {
        Cx(self.0 * o.0 - self.1 * o.1, self.0 * o.1 + self.1 * o.0)
    }
    fn div(self, o: Cx) -> Cx {
        let n = o.0 * o.0 + o.1 * o.1;
        Cx(
            (self.0 * o.0 + self.1 * o.1) / n,
            (self.1 * o.0 - self.0 * o.1) / n,
        )
    }
    fn abs(self) -> f64 {
        self.0.hypot(self.1)
    }
}

/// `R(z) = 1 + z w^T (I - z B)^(-1) 1` (forward substitution; `B` is lower triangular).
fn stability_function(big_b: &Mat, w: &[f64], z: Cx) -> Cx {
    let s = w.len();
    let mut x: Vec<Cx> = Vec::with_capacity(s);
    for (i, row) in big_b.iter().enumerate() {
        let sum = (0..i).fold(Cx(0.0, 0.0), |acc, j| acc.add(Cx(row[j], 0.0).mul(x[j])));
        let diag = Cx(1.0, 0.0).add(Cx(-row[i], 0.0).mul(z));
        x.push(Cx(1.0, 0.0).add(z.mul(sum)).div(diag));
    }
    let wx = (0..s).fold(Cx(0.0, 0.0), |acc, j| acc.add(Cx(w[j], 0.0).mul(x[j])));
    Cx(1.0, 0.0).add(z.mul(wx))
}

/// `R(inf) = 1 - w^T B^(-1) 1`.
fn r_infinity(big_b: &Mat, w: &[f64]) -> f64 {
    let x = mat_vec(&invert_lower(big_b), &vec![1.0; w.len()]);
    1.0 - w.iter().zip(&x).map(|(a, b)| a * b).sum::<f64>()
}

#[test]
fn stability_at_infinity_and_on_the_imaginary_axis() {
    for tab in ROSENBROCK_ALL {
        let cl = classical(tab);
        let big_b = cl.big_b();
        let r_main = r_infinity(&big_b, &cl.b);
        let r_emb = r_infinity(&big_b, &cl.b_hat);
        // The poles of R are at 1/gamma > 0, so |R| <= 1 on the imaginary axis (sampled
        // here, log-spaced) and the maximum principle give A-stability.
        let sup = (-400..=400)
            .map(|k| 10f64.powf(k as f64 / 100.0))
            .map(|y| stability_function(&big_b, &cl.b, Cx(0.0, y)).abs())
            .fold(0.0, f64::max);
        println!(
            "{:12} R(inf) = {r_main:.1e}, embedded R(inf) = {r_emb:.1e}, max |R(iy)| = {sup:.6}",
            tab.name
        );
        // R(inf) from the limit of R(z) agrees with 1 - b^T B^-1 1.
        let far = stability_function(&big_b, &cl.b, Cx(-1e9, 0.0));
        assert!((far.0 - r_main).abs() < 1e-6, "{}: R(-1e9) = {}", tab.name, far.0);
        if tab.l_stable {
            assert!(r_main.abs() <= 1e-13, "{}: R(inf) = {r_main:e}", tab.name);
            assert!(sup <= 1.0 + 1e-12, "{}: |R(iy)| up to {sup}", tab.name);
        } else {
            assert!(
                r_main.abs() > 1e-8 || sup > 1.0 + 1e-12,
                "{}: l_stable flag",
                tab.name
            );
        }
    }
}

#[test]
fn dense_output_end_points() {
    for tab in ROSENBROCK_ALL {
        assert!(
            dense_weights(tab, 0.0).iter().all(|&p| p == 0.0),
            "{}: theta = 0",
            tab.name
        );
        for (p, m) in dense_weights(tab, 1.0).iter().zip(tab.m) {
            assert!(
                (p - m).abs() <= 1e-14,
                "{}: theta = 1 gives {p}, m = {m}",
                tab.name
            );
        }
    }
}
