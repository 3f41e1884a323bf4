//! Dense linear algebra for implicit steps: the iteration matrix and its LU.
//!
//! A Rosenbrock step solves several linear systems with one matrix,
//! `E = I/(h gamma) - J`. This module holds the storage of such a matrix and
//! its LU factorisation with partial pivoting (Doolittle, column-major,
//! right-looking, as LAPACK's `getrf`/`getrs` unblocked), factorised once per
//! step and reused by every stage.
//!
//! The matrix type follows the state ([`State::Matrix`](crate::State::Matrix)):
//! a stack state (`SVector<T, N>`, `[T; N]`, a scalar) has a stack matrix
//! (`SMatrix<T, N, N>`, a scalar) and stack pivots, so an implicit step
//! allocates nothing; a `DVector` has a `DMatrix`. The routines are generic
//! over the matrix type, so for a stack matrix the dimension is a
//! compile-time constant and the loops unroll.
//!
//! **Cost and scope.** Dense LU costs `n^3/3` multiply-adds per attempted
//! step and the solves `n^2` per stage. Measured on one core
//! (`cargo bench --bench stiff -- lu`: factorisation plus one solve):
//! 0.5 µs at `n = 8`, 6 µs at `n = 32`, 0.27 ms at `n = 128`, 16 ms at
//! `n = 512`. Up to a few dozen unknowns the right-hand side dominates; up to
//! a few hundred dense LU is reasonable; beyond that (method-of-lines
//! problems with thousands of unknowns) banded or sparse Jacobians are
//! needed (`docs/stiff.md` says what is planned).

use crate::Real;
use nalgebra::{DMatrix, SMatrix};

/// Storage of a square matrix, column-major, with its pivot vector type.
///
/// Implemented for `SMatrix<T, N, N>` (stack), `DMatrix<T>` (heap) and the
/// scalars `f32`/`f64` (a 1×1 matrix).
pub trait SquareMatrix<T: Real>: Clone + core::fmt::Debug {
    /// Row permutation of an LU factorisation: `[usize; N]` or `Vec<usize>`.
    type Pivots: AsRef<[usize]> + AsMut<[usize]> + Clone + core::fmt::Debug;
    /// The entries in column-major order (`n * n` of them).
    fn col_major(&self) -> &[T];
    /// The entries in column-major order, mutable.
    fn col_major_mut(&mut self) -> &mut [T];
    /// A pivot vector of the matching size.
    fn pivots(&self) -> Self::Pivots;
    /// The dimension `n`.
    fn dim(&self) -> usize {
        self.pivots().as_ref().len()
    }
    /// `(rows, columns)`; `(n, n)` unless the storage can be reshaped (a
    /// `DMatrix` assigned by user code).
    fn shape(&self) -> (usize, usize) {
        (self.dim(), self.dim())
    }
}

impl<T: Real, const N: usize> SquareMatrix<T> for SMatrix<T, N, N> {
    type Pivots = [usize; N];
    #[inline(always)]
    fn col_major(&self) -> &[T] {
        self.as_slice()
    }
    #[inline(always)]
    fn col_major_mut(&mut self) -> &mut [T] {
        self.as_mut_slice()
    }
    #[inline(always)]
    fn pivots(&self) -> [usize; N] {
        [0; N]
    }
    #[inline(always)]
    fn dim(&self) -> usize {
        N
    }
}

impl<T: Real> SquareMatrix<T> for DMatrix<T> {
    type Pivots = Vec<usize>;
    #[inline(always)]
    fn col_major(&self) -> &[T] {
        self.as_slice()
    }
    #[inline(always)]
    fn col_major_mut(&mut self) -> &mut [T] {
        self.as_mut_slice()
    }
    fn pivots(&self) -> Vec<usize> {
        vec![0; self.nrows()]
    }
    #[inline(always)]
    fn dim(&self) -> usize {
        self.nrows()
    }
    fn shape(&self) -> (usize, usize) {
        (self.nrows(), self.ncols())
    }
}

macro_rules! scalar_matrix {
    ($t:ty) => {
        impl SquareMatrix<$t> for $t {
            type Pivots = [usize; 1];
            #[inline(always)]
            fn col_major(&self) -> &[$t] {
                core::slice::from_ref(self)
            }
            #[inline(always)]
            fn col_major_mut(&mut self) -> &mut [$t] {
                core::slice::from_mut(self)
            }
            #[inline(always)]
            fn pivots(&self) -> [usize; 1] {
                [0]
            }
            #[inline(always)]
            fn dim(&self) -> usize {
                1
            }
        }
    };
}
scalar_matrix!(f32);
scalar_matrix!(f64);

/// Why a factorisation failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LuError {
    /// A pivot is exactly zero: the matrix is singular (column index).
    Singular(usize),
    /// A pivot is NaN or infinite (column index).
    NonFinite(usize),
}

/// An LU factorisation `P A = L U` held in the storage of `A`.
///
/// ```
/// use nalgebra::{SMatrix, SVector};
/// use odestride::linalg::Lu;
/// let a = SMatrix::<f64, 2, 2>::new(0.0, 2.0, 1.0, 1.0);
/// let mut lu = Lu::new(a);
/// lu.factor().unwrap();
/// let mut b = [2.0, 3.0]; // a x = b has x = (2, 1)
/// lu.solve(&mut b);
/// assert!((b[0] - 2.0).abs() < 1e-15 && (b[1] - 1.0).abs() < 1e-15);
/// ```
#[derive(Debug, Clone)]
pub struct Lu<T: Real, M: SquareMatrix<T>> {
    a: M,
    piv: M::Pivots,
    _t: core::marker::PhantomData<T>,
}

impl<T: Real, M: SquareMatrix<T>> Lu<T, M> {
    /// Takes ownership of the storage (not yet factorised).
    pub fn new(a: M) -> Self {
        let piv = a.pivots();
        Lu {
            a,
            piv,
            _t: core::marker::PhantomData,
        }
    }

    /// The matrix (before [`factor`](Lu::factor)) or its factors (after;
    /// the diagonal of `U` is stored as its reciprocals).
    pub fn matrix(&self) -> &M {
        &self.a
    }

    /// Writes `shift * I - j` into the storage (the iteration matrix of an
    /// implicit step; `j` has the same shape).
    #[inline]
    pub fn set_shifted_negative(&mut self, shift: T, j: &M) {
        let n = self.piv.as_ref().len();
        let (dst, src) = (self.a.col_major_mut(), j.col_major());
        let (dst, src) = (&mut dst[..n * n], &src[..n * n]);
        for (d, s) in dst.iter_mut().zip(src) {
            *d = -*s;
        }
        for i in 0..n {
            dst[i * n + i] = dst[i * n + i] + shift;
        }
    }

    /// Factorises the stored matrix in place with partial pivoting. On
    /// error the storage holds a partial factorisation and must be refilled.
    /// (The factors are stored LAPACK-style, except that the diagonal of `U`
    /// holds its reciprocals: the solves then multiply instead of divide.)
    #[inline]
    pub fn factor(&mut self) -> Result<(), LuError> {
        let piv = self.piv.as_mut();
        let n = piv.len();
        let a = &mut self.a.col_major_mut()[..n * n];
        for k in 0..n {
            // Pivot: the largest magnitude in column k at or below the
            // diagonal (a NaN anywhere there makes `finite` false).
            let col = &a[k * n + k..k * n + n];
            let (mut p, mut best, mut finite) = (0, T::zero(), true);
            for (i, v) in col.iter().enumerate() {
                let m = v.abs();
                finite &= m.is_finite();
                if m > best {
                    best = m;
                    p = i;
                }
            }
            let p = p + k;
            if !finite {
                return Err(LuError::NonFinite(k));
            }
            if best == T::zero() {
                return Err(LuError::Singular(k));
            }
            piv[k] = p;
            if p != k {
                for j in 0..n {
                    a.swap(j * n + k, j * n + p);
                }
            }
            let inv = T::one() / a[k * n + k];
            a[k * n + k] = inv;
            for v in &mut a[k * n + k + 1..k * n + n] {
                *v = *v * inv;
            }
            // Rank-one update of the trailing block, column by column.
            let (left, right) = a.split_at_mut((k + 1) * n);
            let lk = &left[k * n + k + 1..k * n + n];
            for colj in right.chunks_exact_mut(n) {
                let akj = colj[k];
                if akj != T::zero() {
                    for (x, l) in colj[k + 1..].iter_mut().zip(lk) {
                        *x = *x - *l * akj;
                    }
                }
            }
        }
        Ok(())
    }

    /// Solves `A x = b` in place with the factors (after a successful
    /// [`factor`](Lu::factor)).
    #[inline]
    pub fn solve(&self, b: &mut [T]) {
        let piv = self.piv.as_ref();
        let n = piv.len();
        let a = &self.a.col_major()[..n * n];
        let b = &mut b[..n];
        for (k, &p) in piv.iter().enumerate() {
            if p != k {
                b.swap(k, p);
            }
        }
        // L y = P b (unit lower), column-oriented.
        for k in 0..n {
            let bk = b[k];
            for (x, l) in b[k + 1..].iter_mut().zip(&a[k * n + k + 1..k * n + n]) {
                *x = *x - *l * bk;
            }
        }
        // U x = y, column-oriented (the diagonal holds 1/u_kk).
        for k in (0..n).rev() {
            let bk = b[k] * a[k * n + k];
            b[k] = bk;
            for (x, u) in b[..k].iter_mut().zip(&a[k * n..k * n + k]) {
                *x = *x - *u * bk;
            }
        }
    }
}
