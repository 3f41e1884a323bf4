//! The small vector-space trait the steppers need.
//!
//! Every stepper works on the components of a state as a flat slice, so the
//! trait asks for exactly three things: read access, write access and a
//! zero-filled value of the same shape (used once per solve to allocate the
//! workspace). Linear combinations are then plain loops over slices, which
//! the compiler vectorises, and stack types (`SVector`, arrays, scalars)
//! never touch the heap inside a step.

use crate::linalg::SquareMatrix;
use crate::Real;
use nalgebra::{DMatrix, DVector, SMatrix, SVector};

/// A state vector of an ODE: anything that can be viewed as a contiguous
/// slice of [`Real`] components.
///
/// Implemented for `nalgebra::SVector<T, N>`, `nalgebra::DVector<T>`,
/// `Vec<T>`, `[T; N]`, the plain scalars `f32` and `f64`, and (feature
/// `ndarray`) `ndarray::Array1<T>`. A struct of named `f64` components gets
/// an implementation from [`state_struct!`](crate::state_struct). Which to
/// choose: `docs/state-types.md`.
///
/// A state also names its [`Matrix`](State::Matrix) type: the storage of an
/// `n × n` Jacobian of a right-hand side on this state (`SMatrix<T, N, N>` for
/// `SVector<T, N>` and `[T; N]`, `DMatrix<T>` for `DVector<T>`, the scalar
/// itself for a scalar). Implicit methods factorise it; a custom state type
/// that does not care can use `DMatrix<T>`.
///
/// ```
/// use odestride::State;
/// let y = [1.0_f64, 2.0, 3.0];
/// assert_eq!(y.as_slice(), &[1.0, 2.0, 3.0]);
/// assert_eq!(State::<f64>::zeros_like(&y), [0.0; 3]);
/// ```
pub trait State<T: Real>: Clone + core::fmt::Debug {
    /// Storage of an `n × n` matrix (a Jacobian) on this state, column-major.
    type Matrix: SquareMatrix<T>;
    /// A zero matrix of the matching size.
    fn matrix_like(&self) -> Self::Matrix;
    /// The components, in order.
    fn as_slice(&self) -> &[T];
    /// The components, mutable.
    fn as_mut_slice(&mut self) -> &mut [T];
    /// A state of the same shape with every component zero.
    fn zeros_like(&self) -> Self;
    /// The number of components.
    fn dim(&self) -> usize {
        self.as_slice().len()
    }
    /// `true` when every component is finite.
    fn is_finite(&self) -> bool {
        // A fold without early exit vectorises (the common case is finite).
        self.as_slice().iter().fold(true, |ok, v| ok & v.is_finite())
    }
    /// `false` when the value cannot be viewed as one slice of its
    /// components in order (an `ndarray::Array1` with a stride other than
    /// 1, whose [`as_slice`](State::as_slice) is then empty). `solve` rejects
    /// such an initial state with
    /// [`SolveError::StateLayout`](crate::SolveError::StateLayout). Every
    /// other state type is always contiguous (the default).
    fn is_contiguous(&self) -> bool {
        true
    }
}

impl<T: Real, const N: usize> State<T> for SVector<T, N> {
    type Matrix = SMatrix<T, N, N>;
    fn matrix_like(&self) -> Self::Matrix {
        SMatrix::<T, N, N>::from_element(T::zero())
    }
    #[inline(always)]
    fn as_slice(&self) -> &[T] {
        nalgebra::Matrix::as_slice(self)
    }
    #[inline(always)]
    fn as_mut_slice(&mut self) -> &mut [T] {
        nalgebra::Matrix::as_mut_slice(self)
    }
    fn zeros_like(&self) -> Self {
        SVector::<T, N>::from_element(T::zero())
    }
}

impl<T: Real> State<T> for DVector<T> {
    type Matrix = DMatrix<T>;
    fn matrix_like(&self) -> Self::Matrix {
        DMatrix::<T>::from_element(self.len(), self.len(), T::zero())
    }
    #[inline(always)]
    fn as_slice(&self) -> &[T] {
        nalgebra::Matrix::as_slice(self)
    }
    #[inline(always)]
    fn as_mut_slice(&mut self) -> &mut [T] {
        nalgebra::Matrix::as_mut_slice(self)
    }
    fn zeros_like(&self) -> Self {
        DVector::<T>::from_element(self.len(), T::zero())
    }
}

/// A heap state whose length is chosen at run time, like `DVector<T>` (its
/// Jacobian is a `DMatrix<T>`). A right-hand side that changes the length of
/// `dy` ends the solve with
/// [`SolveError::StateLength`](crate::SolveError::StateLength).
impl<T: Real> State<T> for Vec<T> {
    type Matrix = DMatrix<T>;
    fn matrix_like(&self) -> Self::Matrix {
        DMatrix::<T>::from_element(self.len(), self.len(), T::zero())
    }
    #[inline(always)]
    fn as_slice(&self) -> &[T] {
        self
    }
    #[inline(always)]
    fn as_mut_slice(&mut self) -> &mut [T] {
        self
    }
    fn zeros_like(&self) -> Self {
        vec![T::zero(); self.len()]
    }
}

/// `ndarray`'s owned one-dimensional array (feature `ndarray`); its
/// Jacobian is a `DMatrix<T>`. An array with a stride other than 1 (e.g.
/// `a.slice_move(s![..;2])`) has no slice view: `solve` rejects it as an
/// initial state ([`SolveError::StateLayout`](crate::SolveError::StateLayout));
/// `a.as_standard_layout().into_owned()` makes a contiguous copy.
#[cfg(feature = "ndarray")]
impl<T: Real> State<T> for ndarray::Array1<T> {
    type Matrix = DMatrix<T>;
    fn matrix_like(&self) -> Self::Matrix {
        DMatrix::<T>::from_element(self.len(), self.len(), T::zero())
    }
    #[inline(always)]
    fn as_slice(&self) -> &[T] {
        // Empty for a non-contiguous array: `solve` rejects such an initial
        // state, and a right-hand side that writes one is caught by its
        // length (`SolveError::StateLength`), so no index goes out of range.
        let a: &ndarray::ArrayRef1<T> = self;
        a.as_slice().unwrap_or(&[])
    }
    #[inline(always)]
    fn as_mut_slice(&mut self) -> &mut [T] {
        let a: &mut ndarray::ArrayRef1<T> = self;
        a.as_slice_mut().unwrap_or(&mut [])
    }
    fn zeros_like(&self) -> Self {
        ndarray::Array1::from_elem(self.len(), T::zero())
    }
    fn is_contiguous(&self) -> bool {
        let a: &ndarray::ArrayRef1<T> = self;
        a.as_slice().is_some()
    }
}

impl<T: Real, const N: usize> State<T> for [T; N] {
    type Matrix = SMatrix<T, N, N>;
    fn matrix_like(&self) -> Self::Matrix {
        SMatrix::<T, N, N>::from_element(T::zero())
    }
    #[inline(always)]
    fn as_slice(&self) -> &[T] {
        self
    }
    #[inline(always)]
    fn as_mut_slice(&mut self) -> &mut [T] {
        self
    }
    fn zeros_like(&self) -> Self {
        [T::zero(); N]
    }
}

macro_rules! scalar_state {
    ($t:ty) => {
        impl State<$t> for $t {
            type Matrix = $t;
            fn matrix_like(&self) -> $t {
                0.0
            }
            #[inline(always)]
            fn as_slice(&self) -> &[$t] {
                core::slice::from_ref(self)
            }
            #[inline(always)]
            fn as_mut_slice(&mut self) -> &mut [$t] {
                core::slice::from_mut(self)
            }
            fn zeros_like(&self) -> Self {
                0.0
            }
        }
    };
}
scalar_state!(f32);
scalar_state!(f64);

/// `o += a * x` on slices.
#[inline(always)]
pub(crate) fn axpy<T: Real>(o: &mut [T], a: T, x: &[T]) {
    for (oi, xi) in o.iter_mut().zip(x) {
        *oi = *oi + a * *xi;
    }
}

/// The fused stage combination `out = base + sum_j scale c_j xs[j]` (`base`
/// zero when `None`) over the terms `(j, c_j)`.
///
/// This is the kernel every Runge–Kutta stage, solution and error estimate
/// goes through. It writes each output component once per group of four
/// terms (rather than once per term), which keeps a small state in registers
/// and cuts the memory traffic of a large one. The sum is accumulated left
/// to right exactly as the term-by-term `axpy` sequence would, so the result
/// is bitwise the same.
#[inline(always)]
pub(crate) fn lincomb<T: Real, S: State<T>>(
    out: &mut [T],
    base: Option<&[T]>,
    scale: T,
    terms: &[(usize, T)],
    xs: &[S],
) {
    let mut chunks = terms.chunks(4);
    let head = chunks.next().unwrap_or(&[]);
    match base {
        Some(y) => pass::<T, S, true, true>(out, y, scale, head, xs),
        None => pass::<T, S, true, false>(out, &[], scale, head, xs),
    }
    for c in chunks {
        pass::<T, S, false, false>(out, &[], scale, c, xs);
    }
}

/// One pass of up to four terms. `INIT`: overwrite `out` (with `y + sum` when
/// `BASE`, else `sum`); otherwise `out += sum`.
#[inline(always)]
fn pass<T: Real, S: State<T>, const INIT: bool, const BASE: bool>(
    out: &mut [T],
    y: &[T],
    scale: T,
    t: &[(usize, T)],
    xs: &[S],
) {
    let n = out.len();
    let y = if BASE { &y[..n] } else { y };
    // Slicing every operand to `n` lets the compiler see one trip count (a
    // constant for stack states) and drop the per-element bounds checks.
    macro_rules! go {
        ($(($j:expr, $c:expr)),*) => {{
            let terms = [$((scale * $c, &xs[$j].as_slice()[..n])),*];
            let start = |i: usize, out: &[T]| {
                if INIT {
                    if BASE { y[i] } else { T::zero() }
                } else {
                    out[i]
                }
            };
            // Components in pairs: two isomorphic chains that the compiler
            // turns into one vector chain, stored as one vector (so that the
            // right-hand side's vector loads of the result are forwarded
            // from the store; a load spanning two scalar stores stalls).
            let mut i = 0;
            while i + 1 < n {
                let (mut a0, mut a1) = (start(i, out), start(i + 1, out));
                for (c, x) in &terms {
                    a0 = a0 + *c * x[i];
                    a1 = a1 + *c * x[i + 1];
                }
                out[i] = a0;
                out[i + 1] = a1;
                i += 2;
            }
            if i < n {
                let mut a0 = start(i, out);
                for (c, x) in &terms {
                    a0 = a0 + *c * x[i];
                }
                out[i] = a0;
            }
        }};
    }
    match *t {
        [] => {
            if INIT {
                if BASE {
                    out.copy_from_slice(y);
                } else {
                    out.iter_mut().for_each(|v| *v = T::zero());
                }
            }
        }
        [(j0, c0)] => go!((j0, c0)),
        [(j0, c0), (j1, c1)] => go!((j0, c0), (j1, c1)),
        [(j0, c0), (j1, c1), (j2, c2)] => go!((j0, c0), (j1, c1), (j2, c2)),
        [(j0, c0), (j1, c1), (j2, c2), (j3, c3), ..] => go!((j0, c0), (j1, c1), (j2, c2), (j3, c3)),
    }
}

/// [`lincomb`] with the coefficients given as a row of `f64` (the published
/// data of a built-in tableau): `out = base + sum_j scale row_j xs[j]`.
/// Meant to be inlined with `row` a compile-time constant: the loop over the
/// row then unrolls, the zero tests fold away and the coefficients become
/// immediates. The scaled coefficients are formed once, then one pass over
/// the components; each component's sum runs left to right from the base,
/// as in the term-by-term form (and in [`lincomb`], so that a tableau gives
/// the same results to the bit through either).
#[inline(always)]
pub(crate) fn lincomb_row<T: Real, S: State<T>>(
    out: &mut [T],
    base: Option<&[T]>,
    scale: T,
    row: &[f64],
    xs: &[S],
) {
    let n = out.len();
    // Every operand sliced to `n` once, up front (one bounds check each).
    const MAX: usize = 16;
    assert!(
        row.len() <= MAX,
        "lincomb_row: rows of at most {MAX} coefficients"
    );
    let empty: &[T] = &[];
    let mut x = [empty; MAX];
    for (xj, s) in x.iter_mut().zip(&xs[..row.len()]) {
        *xj = &s.as_slice()[..n];
    }
    let y = base.map(|y| &y[..n]);
    // The scaled coefficients once per call (with `row` constant, one
    // multiplication per nonzero term), then each component summed left to
    // right from the base: the arithmetic of the term-by-term form, in a
    // plain loop over the components that the compiler unrolls and
    // vectorises for stack states.
    let mut cs = [T::zero(); MAX];
    for (cj, c) in cs.iter_mut().zip(row) {
        if *c != 0.0 {
            *cj = scale * T::lit(*c);
        }
    }
    for i in 0..n {
        let mut a = match y {
            Some(y) => y[i],
            None => T::zero(),
        };
        for ((c, cj), xj) in row.iter().zip(&cs).zip(&x) {
            if *c != 0.0 {
                a = a + *cj * xj[i];
            }
        }
        out[i] = a;
    }
}

/// Declares a state type with named `f64` components and implements
/// [`State<f64>`] for it, without `unsafe` and without a proc-macro
/// dependency.
///
/// ```
/// use odestride::{ExplicitRk, Integrator};
///
/// odestride::state_struct! {
///     /// A pendulum: angle and angular velocity.
///     pub struct Pendulum {
///         /// Angle from the vertical (rad).
///         theta,
///         /// Angular velocity (rad/s).
///         omega,
///     }
/// }
///
/// let f = |_t: f64, y: &Pendulum, dy: &mut Pendulum| {
///     *dy = Pendulum::new(y.omega(), -y.theta().sin());
/// };
/// let sol = Integrator::new(ExplicitRk::dopri5())
///     .tol(1e-10)
///     .solve(f, 0.0, 1.0, Pendulum::new(0.1, 0.0))
///     .unwrap();
/// let end = sol.last_state();
/// assert!(end.theta() < 0.1 && end.omega() < 0.0);
/// assert_eq!(Pendulum::FIELDS, ["theta", "omega"]);
/// ```
///
/// What it generates for `struct Name { a, b, ... }` (`N` components):
///
/// - the struct, `Clone + Copy + PartialEq + Default + Debug` (`Debug`
///   prints the names), storing its components as `[f64; N]` in declaration
///   order, which is what lets the engine see it as a slice with no
///   `unsafe`;
/// - `Name::new(a, b, ...)` (arguments in declaration order, named after
///   the fields), a getter `a()` per field (the field's doc comment becomes
///   the getter's), `Name::FIELDS` (the names), `Name::DIM` (`N`),
///   `to_array`/`From<[f64; N]>`, and `Index`/`IndexMut` by component
///   number;
/// - `State<f64>` with `Matrix = SMatrix<f64, N, N>`: a stack state, no
///   allocation per step, and Rosenbrock methods work on it (a Jacobian
///   entry `(i, j)` is `df_i/dy_j` in declaration order).
///
/// Why a declarative macro and not a derive on a struct with `f64` fields:
/// `docs/state-types.md`. In short, the engine works on slices of
/// components, and a struct of separate fields can be viewed as a slice
/// only with `unsafe` (or a casting crate); an array with named getters
/// can, and a `macro_rules!` macro costs users no extra crate to compile.
#[macro_export]
macro_rules! state_struct {
    (
        $(#[$attr:meta])*
        $vis:vis struct $name:ident {
            $($(#[$fattr:meta])* $field:ident),+ $(,)?
        }
    ) => {
        $(#[$attr])*
        #[derive(Clone, Copy, PartialEq)]
        $vis struct $name {
            c: [f64; [$(stringify!($field)),+].len()],
        }

        impl $name {
            /// The field names, in declaration (component) order.
            $vis const FIELDS: &'static [&'static str] = &[$(stringify!($field)),+];
            /// The number of components.
            $vis const DIM: usize = [$(stringify!($field)),+].len();

            /// A state from its components, in declaration order.
            #[allow(clippy::too_many_arguments)]
            #[inline(always)]
            $vis const fn new($($field: f64),+) -> Self {
                $name { c: [$($field),+] }
            }

            /// The components as an array, in declaration order.
            #[inline(always)]
            $vis const fn to_array(self) -> [f64; [$(stringify!($field)),+].len()] {
                self.c
            }
        }

        $crate::state_struct!(@getters $name, [$vis], 0usize; $($(#[$fattr])* $field,)+);

        impl ::core::default::Default for $name {
            fn default() -> Self {
                $name { c: [0.0; [$(stringify!($field)),+].len()] }
            }
        }

        impl ::core::fmt::Debug for $name {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                f.debug_struct(stringify!($name))
                    $(.field(stringify!($field), &self.$field()))+
                    .finish()
            }
        }

        impl ::core::convert::From<[f64; [$(stringify!($field)),+].len()]> for $name {
            #[inline(always)]
            fn from(c: [f64; [$(stringify!($field)),+].len()]) -> Self {
                $name { c }
            }
        }

        impl ::core::ops::Index<usize> for $name {
            type Output = f64;
            #[inline(always)]
            fn index(&self, i: usize) -> &f64 {
                &self.c[i]
            }
        }

        impl ::core::ops::IndexMut<usize> for $name {
            #[inline(always)]
            fn index_mut(&mut self, i: usize) -> &mut f64 {
                &mut self.c[i]
            }
        }

        impl $crate::State<f64> for $name {
            type Matrix = $crate::nalgebra::SMatrix<
                f64,
                { [$(stringify!($field)),+].len() },
                { [$(stringify!($field)),+].len() },
            >;
            fn matrix_like(&self) -> Self::Matrix {
                <Self::Matrix>::zeros()
            }
            #[inline(always)]
            fn as_slice(&self) -> &[f64] {
                &self.c
            }
            #[inline(always)]
            fn as_mut_slice(&mut self) -> &mut [f64] {
                &mut self.c
            }
            fn zeros_like(&self) -> Self {
                <Self as ::core::default::Default>::default()
            }
        }
    };
    (@getters $name:ident, [$vis:vis], $i:expr; ) => {};
    (@getters $name:ident, [$vis:vis], $i:expr; $(#[$fattr:meta])* $field:ident, $($rest:tt)*) => {
        impl $name {
            #[doc = concat!("The `", stringify!($field), "` component.")]
            $(#[$fattr])*
            #[inline(always)]
            $vis const fn $field(&self) -> f64 {
                self.c[$i]
            }
        }
        $crate::state_struct!(@getters $name, [$vis], $i + 1usize; $($rest)*);
    };
}
