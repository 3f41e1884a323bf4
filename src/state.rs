//! The small vector-space trait the steppers need.
//!
//! Every stepper works on the components of a state as a flat slice, so the
//! trait asks for exactly three things: read access, write access and a
//! zero-filled value of the same shape (used once per solve to allocate the
//! workspace). Linear combinations are then plain loops over slices, which
//! the compiler vectorises, and stack types (`SVector`, arrays, scalars)
//! never touch the heap inside a step.

use crate::Real;
use nalgebra::{DVector, SVector};

/// A state vector of an ODE: anything that can be viewed as a contiguous
/// slice of [`Real`] components.
///
/// Implemented for `nalgebra::SVector<T, N>`, `nalgebra::DVector<T>`,
/// `[T; N]` and the plain scalars `f32` and `f64`.
///
/// ```
/// use odestride::State;
/// let y = [1.0_f64, 2.0, 3.0];
/// assert_eq!(y.as_slice(), &[1.0, 2.0, 3.0]);
/// assert_eq!(State::<f64>::zeros_like(&y), [0.0; 3]);
/// ```
pub trait State<T: Real>: Clone + core::fmt::Debug {
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
        self.as_slice().iter().all(|v| v.is_finite())
    }
}

impl<T: Real, const N: usize> State<T> for SVector<T, N> {
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

impl<T: Real, const N: usize> State<T> for [T; N] {
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
