//! Standard test objectives with analytic gradients, for any [`State`]:
//! the examples, tests and benchmarks use them, and so can users checking
//! a method.
//!
//! Each implements [`Objective`] with `value_and_gradient` sharing the
//! work. Starting points and minima are the published ones (Moré, Garbow
//! & Hillstrom, "Testing unconstrained optimization software", ACM TOMS 7
//! (1981) 17–41, for Rosenbrock, Beale and Powell).

use crate::gradient_flow::Objective;
use crate::{Real, State};

/// The extended Rosenbrock function (MGH problem 21; problem 1 for n = 2):
/// `f = sum_{i} 100 (x_{2i+1} - x_{2i}^2)^2 + (1 - x_{2i})^2` over the
/// `n/2` pairs (`n` even). Standard start `(-1.2, 1, -1.2, 1, ...)`,
/// minimum `f = 0` at `(1, ..., 1)`. An odd last component is ignored
/// (its gradient is 0).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Rosenbrock;

impl Rosenbrock {
    /// The standard start of dimension `n`.
    pub fn start(n: usize) -> Vec<f64> {
        (0..n).map(|i| if i % 2 == 0 { -1.2 } else { 1.0 }).collect()
    }
}

fn rosen<T: Real>(x: &[T], g: Option<&mut [T]>) -> T {
    let (one, hundred) = (T::one(), T::lit(100.0));
    let mut f = T::zero();
    let mut gg = g;
    if let Some(g) = gg.as_deref_mut() {
        g.iter_mut().for_each(|v| *v = T::zero());
    }
    for i in 0..x.len() / 2 {
        let (a, b) = (x[2 * i], x[2 * i + 1]);
        let t = b - a * a;
        let u = one - a;
        f = f + hundred * t * t + u * u;
        if let Some(g) = gg.as_deref_mut() {
            g[2 * i] = -T::lit(400.0) * a * t - T::lit(2.0) * u;
            g[2 * i + 1] = T::lit(200.0) * t;
        }
    }
    f
}

impl<T: Real, S: State<T>> Objective<T, S> for Rosenbrock {
    fn value(&mut self, x: &S) -> T {
        rosen(x.as_slice(), None)
    }
    fn gradient(&mut self, x: &S, g: &mut S) {
        rosen(x.as_slice(), Some(g.as_mut_slice()));
    }
    fn value_and_gradient(&mut self, x: &S, g: &mut S) -> T {
        rosen(x.as_slice(), Some(g.as_mut_slice()))
    }
}

/// Beale's function (MGH problem 5), two variables:
/// `f = sum_{i=1..3} (c_i - x (1 - y^i))^2`, `c = (1.5, 2.25, 2.625)`.
/// Start `(1, 1)`, minimum `f = 0` at `(3, 0.5)`.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Beale;

fn beale<T: Real>(x: &[T], g: Option<&mut [T]>) -> T {
    let (a, b) = (x[0], x[1]);
    let c = [T::lit(1.5), T::lit(2.25), T::lit(2.625)];
    let one = T::one();
    let mut f = T::zero();
    let (mut ga, mut gb) = (T::zero(), T::zero());
    let mut yi = one; // b^(i-1)
    for (i, ci) in c.iter().enumerate() {
        let y = yi * b; // b^i
        let r = *ci - a * (one - y);
        f = f + r * r;
        ga = ga - T::lit(2.0) * r * (one - y);
        gb = gb + T::lit(2.0) * r * a * T::lit((i + 1) as f64) * yi;
        yi = y;
    }
    if let Some(g) = g {
        g[0] = ga;
        g[1] = gb;
    }
    f
}

impl<T: Real, S: State<T>> Objective<T, S> for Beale {
    fn value(&mut self, x: &S) -> T {
        beale(x.as_slice(), None)
    }
    fn gradient(&mut self, x: &S, g: &mut S) {
        beale(x.as_slice(), Some(g.as_mut_slice()));
    }
    fn value_and_gradient(&mut self, x: &S, g: &mut S) -> T {
        beale(x.as_slice(), Some(g.as_mut_slice()))
    }
}

/// Powell's singular function (MGH problem 13), four variables:
/// `f = (x1 + 10 x2)^2 + 5 (x3 - x4)^2 + (x2 - 2 x3)^4 + 10 (x1 - x4)^4`.
/// Start `(3, -1, 0, 1)`, minimum `f = 0` at the origin, where the Hessian
/// is singular.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct PowellSingular;

fn powell<T: Real>(x: &[T], g: Option<&mut [T]>) -> T {
    let (x1, x2, x3, x4) = (x[0], x[1], x[2], x[3]);
    let a = x1 + T::lit(10.0) * x2;
    let b = x3 - x4;
    let c = x2 - T::lit(2.0) * x3;
    let d = x1 - x4;
    let (c3, d3) = (c * c * c, d * d * d);
    if let Some(g) = g {
        let two = T::lit(2.0);
        g[0] = two * a + T::lit(40.0) * d3;
        g[1] = T::lit(20.0) * a + T::lit(4.0) * c3;
        g[2] = T::lit(10.0) * b - T::lit(8.0) * c3;
        g[3] = -T::lit(10.0) * b - T::lit(40.0) * d3;
    }
    a * a + T::lit(5.0) * b * b + c3 * c + T::lit(10.0) * d3 * d
}

impl<T: Real, S: State<T>> Objective<T, S> for PowellSingular {
    fn value(&mut self, x: &S) -> T {
        powell(x.as_slice(), None)
    }
    fn gradient(&mut self, x: &S, g: &mut S) {
        powell(x.as_slice(), Some(g.as_mut_slice()));
    }
    fn value_and_gradient(&mut self, x: &S, g: &mut S) -> T {
        powell(x.as_slice(), Some(g.as_mut_slice()))
    }
}

/// An ill-conditioned diagonal quadratic `f = sum a_i x_i^2 / 2` with
/// `a_i = kappa^(i/(n-1))`, `i = 0..n-1`: eigenvalues from 1 to `kappa`,
/// geometrically spaced. Minimum `f = 0` at the origin.
#[derive(Debug, Clone, PartialEq)]
pub struct IllConditionedQuadratic<T> {
    /// The diagonal `a`.
    pub a: Vec<T>,
}

impl<T: Real> IllConditionedQuadratic<T> {
    /// Dimension `n`, condition number `kappa`.
    pub fn new(n: usize, kappa: T) -> Self {
        let a = (0..n)
            .map(|i| {
                if n > 1 {
                    kappa.powf(T::lit(i as f64 / (n - 1) as f64))
                } else {
                    T::one()
                }
            })
            .collect();
        IllConditionedQuadratic { a }
    }
}

impl<T: Real, S: State<T>> Objective<T, S> for IllConditionedQuadratic<T> {
    fn value(&mut self, x: &S) -> T {
        let half = T::lit(0.5);
        x.as_slice()
            .iter()
            .zip(&self.a)
            .fold(T::zero(), |s, (xi, ai)| s + half * *ai * *xi * *xi)
    }
    fn gradient(&mut self, x: &S, g: &mut S) {
        for ((gi, xi), ai) in g.as_mut_slice().iter_mut().zip(x.as_slice()).zip(&self.a) {
            *gi = *ai * *xi;
        }
    }
    fn hessian_vec(&mut self, _x: &S, v: &S, hv: &mut S) {
        for ((o, vi), ai) in hv.as_mut_slice().iter_mut().zip(v.as_slice()).zip(&self.a) {
            *o = *ai * *vi;
        }
    }
}

/// The Lennard-Jones cluster energy in reduced units (`epsilon = sigma =
/// 1`): `E = 4 sum_{i<j} (r_ij^-12 - r_ij^-6)` over atoms whose
/// coordinates are `x = (x_1, y_1, z_1, x_2, ...)`. The global minimum of
/// LJ13 is the Mackay icosahedron with `E = -44.326801` (Wales & Doye,
/// J. Phys. Chem. A 101, 5111 (1997); Cambridge Cluster Database).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct LennardJones;

impl LennardJones {
    /// A centred icosahedron of 13 atoms (one at the origin, twelve at
    /// distance `r` on the vertices), coordinates flattened.
    pub fn icosahedron(r: f64) -> Vec<f64> {
        let phi = (1.0 + 5f64.sqrt()) / 2.0;
        let s = r / (1.0 + phi * phi).sqrt();
        let mut x = vec![0.0; 3];
        for &(a, b) in &[(1.0, phi), (1.0, -phi), (-1.0, phi), (-1.0, -phi)] {
            // cyclic permutations of (0, +-1, +-phi)
            x.extend_from_slice(&[0.0, a * s, b * s]);
            x.extend_from_slice(&[a * s, b * s, 0.0]);
            x.extend_from_slice(&[b * s, 0.0, a * s]);
        }
        x
    }
}

fn lj<T: Real>(x: &[T], mut g: Option<&mut [T]>) -> T {
    let n = x.len() / 3;
    if let Some(g) = g.as_deref_mut() {
        g.iter_mut().for_each(|v| *v = T::zero());
    }
    let mut e = T::zero();
    let four = T::lit(4.0);
    for i in 0..n {
        for j in i + 1..n {
            let d = [
                x[3 * i] - x[3 * j],
                x[3 * i + 1] - x[3 * j + 1],
                x[3 * i + 2] - x[3 * j + 2],
            ];
            let r2 = d[0] * d[0] + d[1] * d[1] + d[2] * d[2];
            let ir2 = T::one() / r2;
            let ir6 = ir2 * ir2 * ir2;
            let ir12 = ir6 * ir6;
            e = e + four * (ir12 - ir6);
            if let Some(g) = g.as_deref_mut() {
                // dE/dr2 = 4 (-6 r^-14 + 3 r^-8); grad_i = 2 d dE/dr2
                let c = four * (T::lit(-12.0) * ir12 + T::lit(6.0) * ir6) * ir2;
                for k in 0..3 {
                    g[3 * i + k] = g[3 * i + k] + c * d[k];
                    g[3 * j + k] = g[3 * j + k] - c * d[k];
                }
            }
        }
    }
    e
}

impl<T: Real, S: State<T>> Objective<T, S> for LennardJones {
    fn value(&mut self, x: &S) -> T {
        lj(x.as_slice(), None)
    }
    fn gradient(&mut self, x: &S, g: &mut S) {
        lj(x.as_slice(), Some(g.as_mut_slice()));
    }
    fn value_and_gradient(&mut self, x: &S, g: &mut S) -> T {
        lj(x.as_slice(), Some(g.as_mut_slice()))
    }
}
